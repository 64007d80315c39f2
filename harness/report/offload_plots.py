"""Offload-ratio plots from a summary: accuracy vs measured ratio, latency vs ratio (measured and modelled).

Rows whose target ratio is 0 (small model only) and 1 (large model only) are drawn as labelled reference points.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.report.plots import _save, _style, pyplot


def _references(ax, g: pd.DataFrame, x: str, y: str, scale: float = 1.0) -> None:
    for target, name, marker in ((0.0, "small only", "s"), (1.0, "large only", "*")):
        ref = g[g["offload_ratio"] == target]
        if len(ref):
            ax.scatter(ref[x], scale * ref[y], s=120, marker=marker, facecolors="none", edgecolors="black", zorder=5)
            ax.annotate(
                name,
                (float(ref[x].iloc[0]), scale * float(ref[y].iloc[0])),
                textcoords="offset points",
                xytext=(6, -12),
                fontsize=8,
            )


def plot_offload(summary: pd.DataFrame, out: Path) -> list[Path]:
    """offload_accuracy.png/svg and offload_latency.png/svg (one line per task and strategy)."""
    plt = pyplot()
    paths = []
    groups = list(summary.groupby(["task", "strategy"], sort=True))
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for i, ((task, strategy), g) in enumerate(groups):
        g = g.sort_values("ratio_tokens_mean")
        err = [100 * (g["accuracy"] - g["acc_ci_low"]), 100 * (g["acc_ci_high"] - g["accuracy"])]
        ax.errorbar(
            g["ratio_tokens_mean"], 100 * g["accuracy"], yerr=err, capsize=3, label=f"{task} ({strategy})", **_style(i)
        )
        _references(ax, g, "ratio_tokens_mean", "accuracy", 100)
    ax.set_xlabel("measured offload ratio (share of response tokens written by the large model)")
    ax.set_ylabel("accuracy (%), 95% Wilson interval")
    ax.set_title("Accuracy vs offload ratio")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    paths += _save(fig, out, "offload_accuracy")

    fig, (measured, modelled) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=120)
    for i, ((task, strategy), g) in enumerate(groups):
        g = g.sort_values("ratio_tokens_mean")
        measured.plot(g["ratio_tokens_mean"], g["mean_latency_s"], label=f"{task} ({strategy})", **_style(i))
        _references(measured, g, "ratio_tokens_mean", "mean_latency_s")
        for j, (col, name) in enumerate(
            (("mean_modelled_pipelined_s", "pipelined"), ("mean_modelled_sequential_s", "sequential"))
        ):
            modelled.plot(g["ratio_tokens_mean"], g[col], label=f"{task} ({strategy}) {name}", **_style(2 * i + j))
        modelled.plot(
            g["ratio_tokens_mean"],
            g["mean_modelled_large_alone_s"],
            color="black",
            linestyle=":",
            label=f"{task}: large model alone",
        )
    measured.set_title("measured on this machine")
    modelled.set_title("modelled from the throughput table")
    for ax in (measured, modelled):
        ax.set_xlabel("measured offload ratio (token share of the large model)")
        ax.set_ylabel("latency per sample (s), mean")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    paths += _save(fig, out, "offload_latency")
    return paths
