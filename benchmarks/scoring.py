"""math-verify on all 5,000 MATH gold answers (written as \\boxed{gold}): a process pool against one process.

    .venv/bin/python benchmarks/scoring.py [--workers N]

Each answer must verify as correct; the script prints the count, the time for each and the speed-up.
"""

import argparse
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor

from common import DATA_DIR  # noqa: F401  (sets sys.path)

from harness.api import load_task
from harness.scoring import score_answer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    a = p.parse_args()
    samples = load_task("math", data_dir=DATA_DIR).samples
    jobs = [(f"The answer is \\boxed{{{s.gold}}}.", s.gold, s.answer_type) for s in samples]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        one = list(pool.map(score_answer, *zip(*jobs), chunksize=64))
    t_one = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers, mp_context=mp.get_context("spawn")) as pool:
        many = list(pool.map(score_answer, *zip(*jobs), chunksize=64))
    t_many = time.perf_counter() - t0
    print(
        f"MATH gold answers: {len(jobs)}; correct: one process {sum(s.correct for s in one)}, pool "
        f"{sum(s.correct for s in many)}"
    )
    print(f"one process: {t_one:6.1f} s ({len(jobs) / t_one:6.0f}/s)")
    print(f"pool of {a.workers}:   {t_many:6.1f} s ({len(jobs) / t_many:6.0f}/s)  speed-up {t_one / t_many:.2f}x")


if __name__ == "__main__":
    main()
