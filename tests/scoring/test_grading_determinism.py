"""A verdict is a pure function of (response, gold, answer type), whatever the machine's load (issue 23: 9 of
7,565 published responses flipped when graded with 16 processes on 2 cores, through math-verify's time limit).

The first limit is lowered to 1 s here (HARNESS_GRADING_TIMEOUT_S, read when a worker imports the scorer) so that
the hard comparisons below run past it on any machine, idle or loaded; the retry alone with the longer limit must
then give the same, right verdict everywhere, never a silent `False`."""

import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

# Comparisons that take sympy over a second (a polynomial quotient to cancel, a product to expand), and easy ones.
# 360 terms: with math-verify 0.9 / latex2sympy2_extended 1.11 the comparison of 240 terms fell under a second of
# CPU time (1.5 s for the whole grading, split over its parse and verify calls), which this test must stay above.
_TERMS = "+".join(f"x^{{{k}}}" for k in range(359, 0, -1)) + "+1"
RESPONSES = [
    (f"So the sum is \\boxed{{{_TERMS}}}.", "\\frac{x^{360}-1}{x-1}", "latex", True),
    (f"So the sum is \\boxed{{{_TERMS}+x}}.", "\\frac{x^{360}-1}{x-1}", "latex", False),
    ("\\boxed{(x+1)^{14}(x-2)^{14}(x+3)^{14}}", "(x^2-x-2)^{14}(x+3)^{14}", "latex", True),
    ("Thus, Janet makes $18 every day. #### 18", "18", "number", True),
    ("So the answer is $\\frac{3}{4}$.", "0.75", "latex", True),
    ("\\boxed{-3.3588989, 5.3588989}", "1 \\pm \\sqrt{19}", "latex", False),
    ("The total is 12, so", "12", "number", False),
]


def _grade(item):
    from harness.scoring import score_answer

    s = score_answer(item[0], item[1], item[2])
    return s.correct, s.reason


def _burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _grade_all(workers: int, load: int, copies: int = 1) -> list:
    ctx = mp.get_context("spawn")
    burners = [ctx.Process(target=_burn, args=(120,), daemon=True) for _ in range(load)]
    for b in burners:
        b.start()
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            return list(pool.map(_grade, RESPONSES * copies))
    finally:
        for b in burners:
            b.terminate()


@pytest.fixture
def one_second_limit(monkeypatch):
    monkeypatch.setenv("HARNESS_GRADING_TIMEOUT_S", "1")


def test_verdicts_are_the_same_with_one_process_and_many_under_load(one_second_limit):
    cores = len(os.sched_getaffinity(0))
    alone = _grade_all(workers=1, load=0)
    loaded = _grade_all(workers=4 * cores, load=4 * cores, copies=2)
    assert loaded == alone * 2
    assert [c for c, _ in alone] == [r[3] for r in RESPONSES]  # and right: a timeout never passes as False
    assert all(reason != "grading_timeout" for _, reason in alone)


def test_a_grading_that_times_out_even_alone_is_recorded_as_such(monkeypatch):
    from harness.scoring import mathverify, score_answer

    monkeypatch.setattr(mathverify, "RETRY_TIMEOUT_S", 1)
    monkeypatch.setattr(mathverify, "_limit", [1])
    s = score_answer(RESPONSES[0][0], RESPONSES[0][1], "latex")
    assert (s.correct, s.reason) == (None, "grading_timeout")
