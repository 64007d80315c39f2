"""The grid the tests run: 2 runs x 2 tasks x 2 budgets with the embedded model, tiny and greedy."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from harness.records import read_records

VOLATILE = {"latency_s", "ttft_s", "cached_calls"}  # timings, and whether a call came from the cache


def write_grid(path: Path, *, shards: int = 2, limit: int = 2, **defaults) -> Path:
    grid = {
        "defaults": {
            "tasks": ["gsm8k", "math500"],
            "budgets": [8, 16],
            "solution_budget": 16,
            "limit": limit,
            "temperature": 0.0,
            "n_threads": 1,  # one CPU: the Ray task asks for one, and each test node has one
            "n_ctx": 1024,
            **defaults,
        },
        "runs": [{"name": "e1", "strategy": "e1", "shards": shards}, {"name": "plain", "strategy": "plain"}],
    }
    path.write_text(yaml.safe_dump(grid, sort_keys=False))
    return path


def records_of(run_dir: Path) -> dict[tuple, dict]:
    """key -> record without timings; fails if a key is there twice."""
    records = read_records(run_dir / "records.jsonl")
    out = {r.key(): r.model_dump(exclude=VOLATILE) for r in records}
    assert len(out) == len(records), f"{run_dir}: a key is there twice"
    return out


def engine_calls(grid_dir: Path) -> dict[str, int]:
    """Every manifest's engine_calls under a grid folder (runs and shards)."""
    return {
        str(m.relative_to(grid_dir)): json.loads(m.read_text())["engine_calls"]
        for m in sorted(grid_dir.rglob("manifest.json"))
    }


def leaderboard_runs(grid_dir: Path) -> set[str]:
    """The runs DIR/leaderboard.html shows: it opens DIR/leaderboard/index.html, which links a page per run, and
    the leaderboard's table has a row per run, task, strategy and budget."""
    import csv
    import re

    assert 'url=leaderboard/index.html"' in (grid_dir / "leaderboard.html").read_text()
    index = (grid_dir / "leaderboard" / "index.html").read_text()
    pages = set(re.findall(r'href="runs/([^/"]+)/index.html"', index))
    with open(grid_dir / "leaderboard" / "leaderboard.csv", newline="") as f:
        rows = {row["run"] for row in csv.DictReader(f)}
    assert pages == rows, (pages, rows)
    return rows
