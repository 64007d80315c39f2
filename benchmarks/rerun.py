"""A finished run, run again: resumed in place, and re-run into a new folder from the same response cache.

    .venv/bin/python benchmarks/rerun.py [--limit 5] [--budgets 32,64,128]

Target: 0 engine calls for both reruns.
"""

import argparse
import tempfile
from pathlib import Path

from common import load_engine, sweep


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--budgets", default="32,64,128")
    a = p.parse_args()
    engine = load_engine()
    cfg = dict(
        tasks=["gsm8k"],
        strategy="e1",
        limit=a.limit,
        budgets=[int(b) for b in a.budgets.split(",")],
        solution_budget=32,
    )
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "shared-cache.sqlite"
        runs = {
            "first run": sweep(engine, Path(tmp) / "one", cache=cache, **cfg),
            "same command again": sweep(engine, Path(tmp) / "one", cache=cache, **cfg),
            "new folder, same cache": sweep(engine, Path(tmp) / "two", cache=cache, **cfg),
        }
    print(f"e1 on gsm8k, {a.limit} samples, budgets {a.budgets}")
    print(f"{'run':24} {'engine calls':>12} {'cache hits':>10} {'wall s':>7}")
    for name, r in runs.items():
        print(f"{name:24} {r['engine_calls']:12d} {r['cache_hits']:10d} {r['wall_s']:7.2f}")


if __name__ == "__main__":
    main()
