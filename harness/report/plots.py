"""Plots for sweeps and leaderboards, from summary tables and records only.

Each figure is saved as PNG and SVG, uses markers and line styles as well as colours (readable in black and white),
the colour-blind-safe Okabe-Ito palette, and labels its axes with units.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness import budgets

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = "osD^vP*X"
STYLES = ["-", "--", ":", "-."]


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (the one place it is set up)."""

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _style(i: int) -> dict:
    return {"color": OKABE_ITO[i % 8], "marker": MARKERS[i % 8], "linestyle": STYLES[i % 4]}


def _save(fig, out: Path, name: str) -> list[Path]:
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    fig.tight_layout()
    for p in paths:
        fig.savefig(p)
    pyplot().close(fig)
    return paths


def pareto_front(points: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Points no other point beats on both fewer tokens and higher accuracy."""
    pts = points.sort_values([x, y], ascending=[True, False])
    best, keep = -1.0, []
    for idx, row in pts.iterrows():
        if row[y] > best:
            keep.append(idx)
            best = row[y]
    return pts.loc[keep]


def accuracy_vs_tokens(summary: pd.DataFrame, out: Path, label: str = "label") -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for i, (name, g) in enumerate(summary.groupby(label, sort=True)):
        g = g.sort_values("budget")
        ax.plot(g["mean_total_tokens"], 100 * g["accuracy"], label=name, **_style(i))
    front = pareto_front(summary, "mean_total_tokens", "accuracy")
    ax.plot(
        front["mean_total_tokens"],
        100 * front["accuracy"],
        color="black",
        linewidth=3,
        alpha=0.25,
        label="Pareto frontier",
        zorder=0,
    )
    ax.set_xlabel("mean generated tokens per sample (tokens)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(-2, max(5, 100 * summary["accuracy"].max() * 1.15) + 2)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, out, "accuracy_vs_tokens")


def _per_budget(summary: pd.DataFrame, out: Path, label: str, name: str, ylabel: str, draw) -> list[Path]:
    """One line per label over the thinking budget (log2 axis); draw(ax, group, index, label) plots a line."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    numeric = True
    for i, (lab, g) in enumerate(summary.groupby(label, sort=True)):
        g = g.sort_values("budget")
        x, numeric = budgets.positions(g["budget"])
        draw(ax, g.assign(x=x), i, lab)
    if numeric:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("thinking budget t (tokens, log scale)")
    else:  # effort levels: ordered categories, weakest first
        levels = sorted(set(summary["budget"]), key=budgets.order)
        ax.set_xticks(budgets.positions(levels)[0], levels)
        ax.set_xlabel("reasoning effort")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, out, name)


def accuracy_vs_budget(summary: pd.DataFrame, out: Path, label: str = "label") -> list[Path]:
    def draw(ax, g, i, lab):
        st = _style(i)
        ax.plot(g["x"], 100 * g["accuracy"], label=lab, **st)
        ax.fill_between(
            g["x"],
            100 * g["acc_ci_low"],
            100 * g["acc_ci_high"],
            color=st["color"],
            alpha=0.15,
            hatch="//" if i % 2 else None,
        )

    return _per_budget(summary, out, label, "accuracy_vs_budget", "accuracy (%), 95% Wilson band", draw)


def latency_vs_budget(summary: pd.DataFrame, out: Path, label: str = "label") -> list[Path]:
    def draw(ax, g, i, lab):
        ax.plot(g["x"], g["p50_latency_s"], label=f"{lab} p50", **_style(i))

    return _per_budget(summary, out, label, "latency_vs_budget", "latency per sample (s), median", draw)


def length_distributions(records: pd.DataFrame, out: Path) -> list[Path]:
    plt = pyplot()
    levels = sorted(records["budget"].unique(), key=budgets.order)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    data = [records.loc[records["budget"] == b, "total_tokens"].to_numpy() for b in levels]
    ax.boxplot(data, tick_labels=[str(b) for b in levels], patch_artist=False)
    ax.set_xlabel("thinking budget t (tokens)")
    ax.set_ylabel("generated tokens per sample (tokens)")
    ax.grid(True, axis="y", alpha=0.3)
    return _save(fig, out, "length_distributions")


def aes_bars(compare: pd.DataFrame, out: Path) -> list[Path]:
    """AES per method (strategy@budget) and task, grouped like the paper's table."""
    plt = pyplot()
    df = compare.copy()
    df["method"] = df["strategy"] + "@" + df["budget"].astype(str)
    pivot = df.pivot_table(index="task", columns="method", values="aes", aggfunc="first").fillna(0.0)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    width = 0.8 / max(1, len(pivot.columns))
    hatches = ["", "//", "..", "xx", "\\\\", "oo"]
    for i, m in enumerate(pivot.columns):
        xs = [k + i * width for k in range(len(pivot.index))]
        ax.bar(xs, pivot[m], width, label=m, color=OKABE_ITO[i % 8], hatch=hatches[i % 6], edgecolor="black")
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(pivot.index))], pivot.index)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("AES (unitless; 0 = same as baseline)")
    ax.legend(fontsize=7)
    return _save(fig, out, "aes_bars")
