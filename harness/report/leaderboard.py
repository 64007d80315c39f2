"""Merge runs into one ranked table (CSV, parquet, markdown, a self-contained HTML page with plots)."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from harness.errors import BadArgumentError
from harness.manifest import read_manifest_in
from harness.report.metrics import AESUndefinedError, aes, summarize
from harness.budgets import order
from harness.report.plots import accuracy_vs_budget, accuracy_vs_tokens, latency_vs_budget
from harness.records import RECORDS_FILE, read_records


def merged_summary(run_dirs: list[str]) -> pd.DataFrame:
    frames = []
    names = [Path(d).name for d in run_dirs]
    for d in run_dirs:
        run = Path(d)
        if not (run / RECORDS_FILE).is_file():
            raise BadArgumentError(f"{run} holds no records.jsonl; pass folders written by `harness run`")
        manifest = read_manifest_in(run)
        records = read_records(run / RECORDS_FILE)
        s = summarize(records, manifest is not None and manifest.kind == "offload")
        sets: dict[tuple, set] = {}
        for r in records:
            sets.setdefault((r.task, r.strategy, r.budget), set()).add((r.sample_id, r.seed))
        s["_samples"] = [frozenset(sets.get((t, st, b), ())) for t, st, b in zip(s["task"], s["strategy"], s["budget"])]
        s.insert(0, "model", manifest.config.get("engine", {}).get("model", "?") if manifest else "?")
        s.insert(1, "run", run.name if names.count(run.name) == 1 else str(d))  # which run a row came from
        frames.append(s)
    df = pd.concat(frames, ignore_index=True)
    df["label"] = df["run"] + ": " + df["model"] + " " + df["strategy"] + " " + df["task"]
    df["aes_vs_own_max_budget"] = [_own_aes(df, r) for _, r in df.iterrows()]
    df["note"] = _sample_notes(df)
    return df.drop(columns="_samples")


def _sample_notes(df: pd.DataFrame) -> list[str]:
    """A note on each row whose samples differ from another row's of the same task: their accuracies are not
    measured on the same problems, so their ranks are not a like-for-like comparison."""
    notes = []
    for task, samples in zip(df["task"], df["_samples"]):
        others = df.loc[df["task"] == task, "_samples"]
        if all(o == samples for o in others):
            notes.append("")
        else:
            most = max(len(o) for o in others)
            notes.append(f"different samples: n={len(samples)} of {most} in {task}; not ranked like for like")
    return notes


def _own_aes(df: pd.DataFrame, row) -> float:
    """AES against the same run, strategy and task at its largest budget (the unconstrained baseline): within one
    run, so that both sides are the same samples."""
    same = df[(df["run"] == row["run"]) & (df["strategy"] == row["strategy"]) & (df["task"] == row["task"])]
    base = same.loc[max(same.index, key=lambda i: order(same.at[i, "budget"]))]
    try:
        return aes(row["accuracy"], row["mean_total_tokens"], base["accuracy"], base["mean_total_tokens"])
    except AESUndefinedError:
        return math.nan


def build_leaderboard(run_dirs: list[str], out: Path, rank_by: str | None = None) -> pd.DataFrame:
    df = merged_summary(run_dirs)
    if rank_by is None:
        rank_by = "aes_vs_own_max_budget" if df["aes_vs_own_max_budget"].notna().any() else "accuracy"
    if rank_by not in df.columns:
        raise BadArgumentError(f"cannot rank by {rank_by!r}; choose one of: {', '.join(df.columns)}")
    df = df.sort_values(rank_by, ascending=False, na_position="last").reset_index(drop=True)
    df.insert(0, "rank", range(1, len(df) + 1))
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "leaderboard.csv", index=False)
    df.to_parquet(out / "leaderboard.parquet", index=False)
    from harness.report.tables import markdown_table

    cols = [
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
    (out / "leaderboard.md").write_text(markdown_table(df, cols) + "\n", encoding="utf-8")
    plots = accuracy_vs_tokens(df, out) + accuracy_vs_budget(df, out) + latency_vs_budget(df, out)
    (out / "leaderboard.html").write_text(
        _html(df, cols, [p for p in plots if p.suffix == ".png"], rank_by), encoding="utf-8"
    )
    return df


def _html(df: pd.DataFrame, cols, pngs: list[Path], rank_by: str) -> str:
    head = "".join(f"<th onclick='sortBy({i})'>{html.escape(c[1])}</th>" for i, c in enumerate(cols))
    body = []
    for _, r in df.iterrows():
        cells = []
        for key, _, fmt in cols:
            v = r[key]
            text = "–" if isinstance(v, float) and math.isnan(v) else fmt.format(v)
            cells.append(f"<td data-v='{html.escape(str(v))}'>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    imgs = "".join(
        f"<figure><img alt='{p.stem}' src='data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}'>"
        f"<figcaption>{p.stem.replace('_', ' ')}</figcaption></figure>"
        for p in pngs
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Leaderboard</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px}}
th{{cursor:pointer;background:#eee}}img{{max-width:640px}}figure{{display:inline-block}}</style></head><body>
<h1>Leaderboard</h1><p>Ranked by <code>{html.escape(rank_by)}</code>. Click a column header to sort.</p>
<table id="t"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{imgs}
<script>let dir=1;function sortBy(i){{const tb=document.querySelector('#t tbody');const rows=[...tb.rows];dir=-dir;
rows.sort((a,b)=>{{const x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;const nx=parseFloat(x),ny=parseFloat(y);
return (isNaN(nx)||isNaN(ny)?x.localeCompare(y):nx-ny)*dir}});rows.forEach(r=>tb.appendChild(r))}}</script></body></html>
"""
