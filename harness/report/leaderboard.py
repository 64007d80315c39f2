"""Merge runs into one ranked table (CSV, parquet, markdown, static plots) beside the leaderboard site."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from harness.budgets import order
from harness.errors import BadArgumentError
from harness.manifest import Manifest, read_manifest_in
from harness.records import RECORDS_FILE, SampleRecord, read_records
from harness.report.metrics import AESUndefinedError, aes, summarize

TABLE_COLUMNS = [
    ("rank", "rank", "{}"),
    ("run", "run", "{}"),
    ("model", "model", "{}"),
    ("task", "task", "{}"),
    ("strategy", "strategy", "{}"),
    ("budget", "budget", "{}"),
    ("n", "n", "{}"),
    ("accuracy", "acc", "{:.3f}"),
    ("mean_total_tokens", "tokens", "{:.1f}"),
    ("p50_latency_s", "p50 s", "{:.2f}"),
    ("aes_vs_own_max_budget", "AES vs the run's max budget", "{:+.3f}"),
    ("note", "note", "{}"),
]


@dataclass
class RunSummary:
    """One run folder read once: its summary rows, which samples each row measured, its manifest."""

    path: Path
    manifest: Manifest | None
    summary: pd.DataFrame
    samples: dict[tuple, frozenset] = field(default_factory=dict)  # (task, strategy, budget) -> {(sample_id, seed)}

    @property
    def model(self) -> str:
        return self.manifest.config.get("engine", {}).get("model", "?") if self.manifest else "?"


def run_summary(run_dir: Path, records: list[SampleRecord] | None = None) -> RunSummary:
    run = Path(run_dir)
    if not (run / RECORDS_FILE).is_file():
        raise BadArgumentError(f"{run} holds no records.jsonl; pass folders written by `harness run`")
    manifest = read_manifest_in(run)
    records = read_records(run / RECORDS_FILE) if records is None else records
    summary = summarize(records, manifest is not None and manifest.kind == "offload")
    sets: dict[tuple, set] = {}
    for r in records:
        sets.setdefault((r.task, r.strategy, r.budget), set()).add((r.sample_id, r.seed))
    return RunSummary(run, manifest, summary, {k: frozenset(v) for k, v in sets.items()})


def run_names(paths: list[Path]) -> list[str]:
    """Each run's name: its folder's name, or the path as given where two folders share a name."""
    names = [Path(p).name for p in paths]
    return [Path(p).name if names.count(Path(p).name) == 1 else str(p) for p in paths]


def merge(parts: list[RunSummary]) -> pd.DataFrame:
    """One frame of every run's summary rows, with the run's name, a label, AES against the run's own largest budget
    and a note on rows measured on other samples than their task's other rows."""
    frames = []
    for part, name in zip(parts, run_names([p.path for p in parts])):
        s = part.summary.copy()
        s["_samples"] = [part.samples.get(k, frozenset()) for k in zip(s["task"], s["strategy"], s["budget"])]
        s.insert(0, "model", part.model)
        s.insert(1, "run", name)  # which run a row came from
        frames.append(s)
    df = pd.concat(frames, ignore_index=True)
    df["label"] = df["run"] + ": " + df["model"] + " " + df["strategy"] + " " + df["task"]
    df["aes_vs_own_max_budget"] = [_own_aes(df, r) for _, r in df.iterrows()]
    df["note"] = _sample_notes(df)
    return df.drop(columns="_samples")


def merged_summary(run_dirs: list[str]) -> pd.DataFrame:
    return merge([run_summary(Path(d)) for d in run_dirs])


def _sample_notes(df: pd.DataFrame) -> list[str]:
    """A note on each row whose samples differ from another row's of the same task: their accuracies are not
    measured on the same problems, so their ranks are not a like-for-like comparison."""
    distinct = df.groupby("task")["_samples"].agg(lambda s: len(set(s)))
    most = df.groupby("task")["_samples"].agg(lambda s: max(len(x) for x in s))
    return [
        ""
        if distinct[task] == 1
        else f"different samples: n={len(samples)} of {most[task]} in {task}; not ranked like for like"
        for task, samples in zip(df["task"], df["_samples"])
    ]


def _own_aes(df: pd.DataFrame, row) -> float:
    """AES against the same run, strategy and task at its largest budget (the unconstrained baseline): within one
    run, so that both sides are the same samples."""
    same = df[(df["run"] == row["run"]) & (df["strategy"] == row["strategy"]) & (df["task"] == row["task"])]
    base = same.loc[max(same.index, key=lambda i: order(same.at[i, "budget"]))]
    try:
        return aes(row["accuracy"], row["mean_total_tokens"], base["accuracy"], base["mean_total_tokens"])
    except AESUndefinedError:
        return math.nan


def rank(df: pd.DataFrame, rank_by: str | None) -> pd.DataFrame:
    if rank_by is None:
        rank_by = "aes_vs_own_max_budget" if df["aes_vs_own_max_budget"].notna().any() else "accuracy"
    if rank_by not in df.columns:
        raise BadArgumentError(f"cannot rank by {rank_by!r}; choose one of: {', '.join(df.columns)}")
    df = df.sort_values(rank_by, ascending=False, na_position="last").reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    return df


def write_tables(df: pd.DataFrame, out: Path) -> list[Path]:
    """leaderboard.csv, .parquet, .md and the static plots (PNG and SVG) of a ranked frame."""
    from harness.report.plots import accuracy_vs_budget, accuracy_vs_tokens, latency_vs_budget
    from harness.report.tables import markdown_table

    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "leaderboard.csv", index=False)
    df.to_parquet(out / "leaderboard.parquet", index=False)
    (out / "leaderboard.md").write_text(markdown_table(df, TABLE_COLUMNS) + "\n", encoding="utf-8")
    return accuracy_vs_tokens(df, out) + accuracy_vs_budget(df, out) + latency_vs_budget(df, out)


def build_leaderboard(
    run_dirs: list[str], out: Path, rank_by: str | None = None, baseline: str | None = None
) -> pd.DataFrame:
    """The ranked table files and the site (index.html, a page per run, the trace viewer) in one folder; each run's
    records are read once."""
    from harness.report.site.build import collect, write_site

    parts = collect([Path(d) for d in run_dirs], out, Path(baseline) if baseline else None)
    df = rank(merge(parts.runs), rank_by)
    write_tables(df, out)
    write_site(parts, out)
    return df
