"""math-verify on all 5,000 MATH gold answers (written as \\boxed{gold}): a process pool against one process, and
optionally against the grader of another commit, side by side in one run.

    .venv/bin/python benchmarks/scoring.py [--workers N] [--against REV]

Each answer must verify as correct; the script prints the count, the time for each and the speed-up. With
`--against REV` the same answers are also graded by the harness at REV (a temporary git worktree) in the same
process layout, and the ratio of the two times is printed (issue 23: grading must stay as fast as before).
"""

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

from common import DATA_DIR, ROOT  # noqa: F401  (sets sys.path)

if os.environ.get("HARNESS_BENCH_TREE"):  # grade with the harness of another checkout (--against), workers too
    sys.path.insert(0, os.environ["HARNESS_BENCH_TREE"])
    for name in [m for m in sys.modules if m == "harness" or m.startswith("harness.")]:
        del sys.modules[name]

from harness.api import load_task  # noqa: E402


def _score(args):
    from harness.scoring import score_answer

    return score_answer(*args).correct


def timed(jobs: list, workers: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        correct = sum(pool.map(_score, jobs, chunksize=64))
    return time.perf_counter() - t0, correct


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--against", help="also time the grader of this git revision (e.g. HEAD~3)")
    a = p.parse_args()
    samples = load_task("math", data_dir=DATA_DIR).samples
    jobs = [(f"The answer is \\boxed{{{s.gold}}}.", s.gold, s.answer_type) for s in samples]
    if os.environ.get("HARNESS_BENCH_TREE"):
        t, correct = timed(jobs, a.workers)
        print(f"{t} {correct}")
        return
    t_one, c_one = timed(jobs, 1)
    t_many, c_many = timed(jobs, a.workers)
    print(f"MATH gold answers: {len(jobs)}; correct: one process {c_one}, pool {c_many}")
    print(f"one process: {t_one:6.1f} s ({len(jobs) / t_one:6.0f}/s)")
    print(f"pool of {a.workers}:   {t_many:6.1f} s ({len(jobs) / t_many:6.0f}/s)  speed-up {t_one / t_many:.2f}x")
    if a.against:
        with tempfile.TemporaryDirectory() as tmp:
            tree = os.path.join(tmp, "tree")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", tree, a.against], check=True)
            try:
                env = {**os.environ, "HARNESS_BENCH_TREE": tree}
                out = subprocess.run(
                    [sys.executable, __file__, "--workers", str(a.workers)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tree], check=True)
        t_rev, c_rev = float(out[-2]), int(out[-1])
        print(
            f"pool of {a.workers} at {a.against}: {t_rev:6.1f} s, correct {c_rev}; this tree / {a.against}: "
            f"{t_many / t_rev:.2f}x the time"
        )


if __name__ == "__main__":
    main()
