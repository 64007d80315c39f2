"""What a 5-budget e1 sweep costs with and without reuse, against the largest budget alone.

    .venv/bin/python benchmarks/sweep_cost.py [--limit 5] [--budgets 16,32,64,128,256] [--solution-budget 32]

(a) the largest budget alone, (b) the sweep with reuse (the default), (c) the sweep with --no-reuse.
Each run has its own empty response cache (the default), so a request repeated within a run -- e.g. the same
solution call for two budgets whose thinking ended naturally below both -- runs once, as in real use.
(d) is (b) with llama.cpp's KV prefix reuse on (request-order dependent, see docs/engines.md). Since solution calls
continue the thinking call's state by default, (b) no longer prefills prompt + thinking per budget either; for the
cost at reasoning lengths against the physical minimum see benchmarks/reasoning_lengths.py.
Target: b/a <= 1.3 in tokens decoded and wall time. The token ratio is (T + sum of solution tokens over budgets)
/ (T + s) for mean thinking length T, so it depends on s/T: print it for your model's settings.
"""

import argparse
import tempfile
from pathlib import Path

from common import load_engine, sweep


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--budgets", default="16,32,64,128,256")
    p.add_argument("--solution-budget", type=int, default=32)
    p.add_argument("--tasks", default="gsm8k")
    a = p.parse_args()
    budgets = [int(b) for b in a.budgets.split(",")]
    engine = load_engine()
    base = dict(tasks=a.tasks.split(","), strategy="e1", solution_budget=a.solution_budget, limit=a.limit)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "a: largest budget alone": sweep(engine, Path(tmp) / "a", budgets=[max(budgets)], **base),
            "b: sweep, reuse": sweep(engine, Path(tmp) / "b", budgets=budgets, **base),
            "c: sweep, --no-reuse": sweep(engine, Path(tmp) / "c", budgets=budgets, reuse=False, **base),
        }
        engine.close()
        cached_kv = load_engine(prefix_cache=True)
        runs["d: sweep, reuse, --prefix-cache"] = sweep(
            cached_kv, Path(tmp) / "d", budgets=budgets, prefix_cache=True, **base
        )
    a_ = runs["a: largest budget alone"]
    print(f"e1 on {a.tasks}, {a.limit} samples, budgets {budgets}, solution budget {a.solution_budget}")
    print(f"{'run':33} {'tokens':>7} {'calls':>6} {'wall s':>7} {'tokens/a':>9} {'wall/a':>7}")
    for name, r in runs.items():
        print(
            f"{name:33} {r['tokens']:7d} {r['engine_calls'] or 0:6d} {r['sweep_wall_s']:7.1f} "
            f"{r['tokens'] / a_['tokens']:9.2f} {r['sweep_wall_s'] / a_['sweep_wall_s']:7.2f}"
        )


if __name__ == "__main__":
    main()
