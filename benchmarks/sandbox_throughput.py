"""Sandboxed test executions per second: one worker against one per core, in one run.

    .venv/bin/python benchmarks/sandbox_throughput.py [--repeats 20] [--workers N]

Runs the reference solutions from tests/scoring/test_code.py (two stdin problems, two LeetCode problems) against
their public LiveCodeBench tests, `repeats` times each, through `harness.scoring.score_answer` in a process pool.
"""

import argparse
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor

from common import DATA_DIR, ROOT  # noqa: F401  (sets sys.path)

from harness.api import load_task
from harness.sandbox import mechanism
from harness.scoring import score_answer
from tests.scoring.test_code import BUY_CHOCO, COUNT_SENIORS, OVERALL_WINNER, SHORT_SORT, fenced


def timed(jobs, workers):
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        scores = list(pool.map(score_answer, *zip(*jobs)))
    return time.perf_counter() - t0, scores


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    a = p.parse_args()
    by_id = {s.id: s for s in load_task("livecodebench", data_dir=DATA_DIR).samples}
    refs = {"1873_A": SHORT_SORT, "abc301_a": OVERALL_WINNER, "2756": BUY_CHOCO, "2727": COUNT_SENIORS}
    jobs = [(fenced(code), by_id[qid].gold, "code") for qid, code in refs.items() for _ in range(a.repeats)]
    print(f"sandbox mechanism: {mechanism()}; {len(jobs)} problem runs")
    for workers in (1, a.workers):
        wall, scores = timed(jobs, workers)
        tests = sum(len(s.tests) for s in scores)
        print(
            f"{workers} worker(s): {tests} tests in {wall:5.1f} s = {tests / wall:5.1f} tests/s; "
            f"passed {sum(s.correct for s in scores)}/{len(scores)}"
        )


if __name__ == "__main__":
    main()
