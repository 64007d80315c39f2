"""The harness's own cost: its wall time against the engine's generation time on the same run.

    .venv/bin/python benchmarks/overhead.py [--limit 10] [--budgets 64,128] [--solution-budget 32]

Prints the sweep loop's wall time (first request to last record: prompts, strategy, records with fsync,
scoring hand-off) and the whole `run()` (also model-independent setup: data, manifest, scoring pool,
report and plot) against the sum of the engine's own per-call wall times. Target: sweep overhead <= 3%.
"""

import argparse
import tempfile
from pathlib import Path

from common import load_engine, sweep


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--budgets", default="64,128")
    p.add_argument("--solution-budget", type=int, default=32)
    a = p.parse_args()
    engine = load_engine()
    with tempfile.TemporaryDirectory() as tmp:
        r = sweep(
            engine,
            Path(tmp) / "o",
            cache=None,
            tasks=["gsm8k"],
            strategy="e1",
            limit=a.limit,
            budgets=[int(b) for b in a.budgets.split(",")],
            solution_budget=a.solution_budget,
            log_samples=True,
        )
    print(
        f"e1 on gsm8k, {a.limit} samples, budgets {a.budgets}, solution budget {a.solution_budget}: "
        f"{r['engine_calls']} engine calls, {r['tokens']} tokens"
    )
    print(f"engine generation time (sum of calls): {r['engine_s']:8.2f} s")
    print(
        f"sweep loop wall time:                  {r['sweep_wall_s']:8.2f} s  overhead "
        f"{r['sweep_wall_s'] / r['engine_s'] - 1:6.1%}"
    )
    print(
        f"whole run() wall time:                 {r['wall_s']:8.2f} s  overhead {r['wall_s'] / r['engine_s'] - 1:6.1%}"
    )


if __name__ == "__main__":
    main()
