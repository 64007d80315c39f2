"""Tables and plots from saved records: summary.csv/.parquet, a markdown table, sweep.png."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from harness.manifest import read_manifest_in
from harness.report.metrics import summarize
from harness.records import RECORDS_FILE, read_records

TABLE_COLUMNS = [
    ("task", "task", "{}"),
    ("strategy", "strategy", "{}"),
    ("budget", "budget", "{}"),
    ("n", "n", "{}"),
    ("accuracy", "acc", "{:.3f}"),
    ("acc_ci_low", "acc 95% low", "{:.3f}"),
    ("acc_ci_high", "acc 95% high", "{:.3f}"),
    ("mean_thinking_tokens", "think tok", "{:.1f}"),
    ("mean_solution_tokens", "sol tok", "{:.1f}"),
    ("mean_total_tokens", "total tok", "{:.1f}"),
    ("p50_latency_s", "p50 s", "{:.2f}"),
    ("hit_budget_rate", "hit budget", "{:.2f}"),
    ("no_answer_rate", "no answer", "{:.2f}"),
    ("n_failed", "failed", "{}"),
    ("n_grading_timeout", "grading timed out", "{}"),  # shown only when some did
]
OFFLOAD_COLUMNS = [
    ("task", "task", "{}"),
    ("strategy", "strategy", "{}"),
    ("budget", "budget", "{}"),
    ("offload_ratio", "target p", "{:.2f}"),
    ("n", "n", "{}"),
    ("accuracy", "acc", "{:.3f}"),
    ("acc_ci_low", "acc 95% low", "{:.3f}"),
    ("acc_ci_high", "acc 95% high", "{:.3f}"),
    ("mean_small_tokens", "small tok", "{:.1f}"),
    ("mean_large_tokens", "large tok", "{:.1f}"),
    ("ratio_tokens_mean", "ratio (tok) mean", "{:.3f}"),
    ("ratio_tokens_median", "ratio (tok) median", "{:.3f}"),
    ("ratio_chars_mean", "ratio (chars)", "{:.3f}"),
    ("mean_handovers", "hand-overs", "{:.1f}"),
    ("mean_latency_s", "latency s", "{:.2f}"),
    ("mean_modelled_pipelined_s", "modelled pipelined s", "{:.1f}"),
    ("mean_modelled_sequential_s", "modelled seq s", "{:.1f}"),
    ("mean_modelled_large_alone_s", "modelled large alone s", "{:.1f}"),
    ("n_failed", "failed", "{}"),
]


def shown_columns(summary: pd.DataFrame, columns=None) -> list[tuple[str, str, str]]:
    """The (key, header, format) columns a table of this summary shows: those it has, the grading-timeout count only
    when some grading timed out."""
    columns = columns or (OFFLOAD_COLUMNS if "ratio_tokens_mean" in summary else TABLE_COLUMNS)
    return [c for c in columns if c[0] in summary.columns and (c[0] != "n_grading_timeout" or summary[c[0]].any())]


def markdown_table(summary: pd.DataFrame, columns=None) -> str:
    cols = shown_columns(summary, columns)
    lines = ["| " + " | ".join(c[1] for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in summary.iterrows():
        cells = []
        for key, _, fmt in cols:
            v = row[key]
            cells.append("–" if isinstance(v, float) and math.isnan(v) else fmt.format(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_sweep(summary: pd.DataFrame, path: Path) -> Path:
    """Accuracy against mean generated tokens, one line per task (and strategy), points labelled with the budget."""
    from harness.report.plots import pyplot

    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    markers = "osD^vP*X"
    styles = ["-", "--", ":", "-."]
    for i, ((task, strategy), g) in enumerate(summary.groupby(["task", "strategy"], sort=True)):
        g = g.sort_values("budget")
        x, y = g["mean_total_tokens"], 100 * g["accuracy"]
        err = [100 * (g["accuracy"] - g["acc_ci_low"]), 100 * (g["acc_ci_high"] - g["accuracy"])]
        ax.errorbar(
            x,
            y,
            yerr=err,
            marker=markers[i % len(markers)],
            linestyle=styles[i % len(styles)],
            capsize=3,
            label=f"{task} ({strategy})",
        )
        for xi, yi, b in zip(x, y, g["budget"]):
            ax.annotate(f"t={b}", (xi, yi), textcoords="offset points", xytext=(4, 6), fontsize=8)
    top = max(5.0, float(100 * summary["acc_ci_high"].max()) if summary["acc_ci_high"].notna().any() else 5.0)
    ax.set_ylim(-2, min(100, top * 1.15) + 2)  # readable when every accuracy is zero
    ax.set_xlabel("mean generated tokens per sample (thinking + solution)")
    ax.set_ylabel("accuracy (%), 95% Wilson interval")
    ax.set_title("Accuracy vs generated tokens across thinking budgets")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _code_report(run_dir: Path, records) -> str:
    """code_summary.csv/.md with pass@k and verdict counts, when the run has code tasks."""
    from harness.report.metrics import code_summary

    manifest = read_manifest_in(run_dir)
    ks = manifest.config.get("sampling", {}).get("pass_k", [1]) if manifest else [1]
    df = code_summary(records, ks)
    if df.empty:
        return ""
    df.to_csv(run_dir / "code_summary.csv", index=False)
    cols = [
        (c, c, "{:.3f}" if c.startswith("pass@") else "{}") for c in df.columns if not c.startswith("n_") or df[c].any()
    ]
    text = markdown_table(df, cols)
    (run_dir / "code_summary.md").write_text(text + "\n", encoding="utf-8")
    return text


def write_report(run_dir: Path) -> tuple[pd.DataFrame, str]:
    """Rebuild summary files, table and plot from a run folder's records."""
    records = read_records(run_dir / RECORDS_FILE)
    manifest = read_manifest_in(run_dir)
    offload = manifest.kind == "offload" if manifest else any(r.offload is not None for r in records)
    summary = summarize(records, offload)
    summary.to_csv(run_dir / "summary.csv", index=False)
    summary.to_parquet(run_dir / "summary.parquet", index=False)
    table = markdown_table(summary)
    (run_dir / "summary.md").write_text(table + "\n", encoding="utf-8")
    plot_sweep(summary, run_dir / "sweep.png")
    code = _code_report(run_dir, records)
    if code:
        table += "\n\n" + code
    if offload:
        from harness.report.offload_plots import plot_offload

        plot_offload(summary, run_dir)
    return summary, table
