"""The trace viewer's data: per run and task, an index (one row per sample, a cell per budget) and chunks of full
records, each a .js file that hands its data to `HARNESS.put(key, data)`; a page loads one by adding a <script>
tag, which works from file:// where fetch() of JSON does not."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness import budgets
from harness.records import SampleRecord

CHUNK = 50  # samples per detail file: every budget of a sample in one file, small enough to open at once
# a cell's verdict code in the index: what the viewer's verdict filter and colours read
CORRECT, WRONG, FAILED, UNGRADED = 1, 0, 2, 3
CALL_FIELDS = (
    "role",
    "prompt",
    "output",
    "tokens",
    "max_tokens",
    "prompt_tokens",
    "finish_reason",
    "stop_string",
    "wall_s",
    "ttft_s",
    "error",
    "cached",
    "modelled",
    "derived_from",
    "counted_by",
)
RECORD_FIELDS = (
    "seed",
    "status",
    "error",
    "answer_type",
    "thinking",
    "answer",
    "thinking_end",
    "thinking_source",
    "thinking_closed",
    "forced_text",
    "extracted",
    "correct",
    "verdict_reason",
    "verdict",
    "test_verdicts",
    "prompt_tokens",
    "thinking_tokens",
    "solution_tokens",
    "total_tokens",
    "hit_budget",
    "continued_on",
    "latency_s",
    "ttft_s",
    "n_calls",
    "derived_from",
    "latency_modelled",
    "cached_calls",
    "difficulty",
    "offload_ratio",
)


@dataclass(frozen=True)
class Point:
    """One column of the viewer: a strategy, budget (and offload ratio) of the run."""

    strategy: str
    budget: int | str
    ratio: float | None

    def label(self, strategies: int) -> str:
        text = f"{self.strategy} @ {self.budget}" if strategies > 1 else str(self.budget)
        return text if self.ratio is None else f"{text}, p={self.ratio:g}"


def slug(text: str) -> str:
    """A file-name-safe form of a name (task or run)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "x"


def category(r: SampleRecord) -> str:
    """The reason filter's value: failed, the code verdict, or the grader's reason (none when graded plainly)."""
    if r.status == "failed":
        return "failed"
    if r.verdict and r.verdict != "passed":
        return r.verdict
    if r.verdict is None and r.verdict_reason:
        return r.verdict_reason
    return "none"


def verdict_code(r: SampleRecord) -> int:
    if r.status == "failed":
        return FAILED
    return UNGRADED if r.correct is None or r.verdict_reason == "grading_timeout" else int(bool(r.correct))


def gold_text(r: SampleRecord) -> str:
    """The gold as the viewer shows it; a code problem's gold is its tests, summarized."""
    if r.answer_type != "code":
        return r.gold
    from harness.livecodebench import CodeGold

    g = CodeGold.loads(r.gold)
    return f"{len(g.tests)} tests ({'public only' if g.public_only else 'public + private'})"


DETAIL = {**dict.fromkeys(RECORD_FIELDS + ("budget", "strategy", "gold"), True), "calls": {"__all__": set(CALL_FIELDS)}}


def detail(r: SampleRecord) -> str:
    """A record as the viewer reads it, as JSON: what the run recorded, absent (None) fields left out (the viewer
    says so); the question is kept once per sample, beside the records."""
    if r.answer_type != "code":
        return r.model_dump_json(include=DETAIL, exclude_none=True)
    return json.dumps({**r.model_dump(include=DETAIL, exclude_none=True), "gold": gold_text(r)})


def _js(key: str, data) -> str:
    return f"HARNESS.put({json.dumps(key)},{json.dumps(data, separators=(',', ':'))});\n"


def write_run_data(records: list[SampleRecord], out: Path) -> dict[str, str]:
    """out/<task>/index.js and out/<task>/<chunk>.js for every task of a run; returns task -> its folder's name."""
    if out.exists():
        shutil.rmtree(out)
    by_task: dict[str, list[SampleRecord]] = {}
    for r in records:
        by_task.setdefault(r.task, []).append(r)
    folders = {}
    for task, recs in sorted(by_task.items()):
        folders[task] = slug(task)
        _write_task(task, recs, out / folders[task])
    return folders


def _write_task(task: str, recs: list[SampleRecord], out: Path) -> None:
    out.mkdir(parents=True)
    points = sorted(
        {(r.strategy, r.budget, r.offload_ratio) for r in recs}, key=lambda p: (p[0], budgets.order(p[1]), p[2] or 0)
    )
    column = {p: i for i, p in enumerate(points)}
    items: dict[tuple, list] = {}  # (index, sample_id, seed) -> the records of each point
    for r in recs:
        items.setdefault((r.index, r.sample_id, r.seed), [None] * len(points))[
            column[(r.strategy, r.budget, r.offload_ratio)]
        ] = r
    keys = sorted(items)
    index = _index(task, [Point(*p) for p in points], keys, items)
    (out / "index.js").write_text(_js(f"{task}/index", index), encoding="utf-8")
    for start in range(0, len(keys), CHUNK):
        rows = [items[k] for k in keys[start : start + CHUNK]]
        records = ",".join("[" + ",".join("null" if r is None else detail(r) for r in row) + "]" for row in rows)
        part = f'{{"question":{json.dumps([_question(row) for row in rows])},"records":[{records}]}}'
        key = json.dumps(f"{task}/{start // CHUNK}")
        (out / f"{start // CHUNK}.js").write_text(f"HARNESS.put({key},{part});\n", encoding="utf-8")


def _index(task: str, points: list[Point], keys: list[tuple], items: dict[tuple, list]) -> dict:
    """One row per sample, a cell per point: [verdict code, reason's position in `reasons`, total tokens]."""
    reasons = sorted({category(r) for k in keys for r in items[k] if r is not None})
    reason_at = {c: i for i, c in enumerate(reasons)}
    strategies = len({p.strategy for p in points})
    return {
        "task": task,
        "points": [{"label": p.label(strategies), "budget": str(p.budget), "strategy": p.strategy} for p in points],
        "reasons": reasons,
        "items": [[sample_id, seed] for _, sample_id, seed in keys],
        "seeds": len({seed for _, _, seed in keys}) > 1,
        "cells": [
            [None if r is None else [verdict_code(r), reason_at[category(r)], r.total_tokens] for r in items[k]]
            for k in keys
        ],
        "chunk": CHUNK,
    }


def _question(recs: list[SampleRecord | None]) -> str | None:
    return next((r.question for r in recs if r is not None and r.question is not None), None)
