"""math-verify behind a time limit that does not depend on machine load: `parse` and `verify` as math-verify's,
bounded by the grading process's own CPU time. Never calls a model."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

from math_verify import ExprExtractionConfig, LatexExtractionConfig
from math_verify import grader as _mv_grader
from math_verify import parse as _mv_parse
from math_verify import parser as _mv_parser
from math_verify import verify as _mv_verify
from math_verify.errors import TimeoutException

_CFG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())


# The limit on one parse or one comparison, in seconds of the grading process's own CPU time (an ITIMER_PROF
# timer, not math-verify's wall-clock signal.alarm): a verdict must not depend on machine load, and CPU time does
# not grow with the number of processes sharing the cores. A grading that hits TIMEOUT_S is tried again alone with
# RETRY_TIMEOUT_S (scoring.score_answer); one that hits that too is recorded as `grading_timeout`, never as a
# wrong answer. Like signal.alarm, the timer works in a process's main thread only.
TIMEOUT_S = float(os.environ.get("HARNESS_GRADING_TIMEOUT_S", "5"))
RETRY_TIMEOUT_S = max(60.0, 4 * TIMEOUT_S)
_limit = [TIMEOUT_S]
for _module in (_mv_grader, _mv_parser):  # the limit is ours: no "timeout is disabled" warning
    _module.TIMEOUT_WARNING_SHOWN = True


class GradingTimeout(Exception):
    """A parse or comparison ran past the time limit: the verdict is unknown, not False."""


@contextmanager
def time_limit(seconds: float):
    """Run the gradings inside with another per-operation limit (the retry's)."""
    _limit.append(seconds)
    try:
        yield
    finally:
        _limit.pop()


def _on_cpu_limit(signum, frame):
    raise TimeoutException("CPU time limit")


@contextmanager
def _cpu_limit():
    """Raise math-verify's TimeoutException after _limit[-1] seconds of this process's CPU time."""
    old = signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.setitimer(signal.ITIMER_PROF, _limit[-1])
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def parse(text: str, extraction_config=None):
    """math-verify's parse; a timeout raises GradingTimeout instead of returning [] (its other errors do)."""
    try:
        with _cpu_limit():
            return _mv_parse(
                text, extraction_config=extraction_config or _CFG, parsing_timeout=None, raise_on_error=True
            )
    except TimeoutException:
        raise GradingTimeout(f"parsing took over {_limit[-1]:g} s of CPU time") from None
    except Exception:
        return []


def verify(golds: list, preds: list) -> bool:
    """math-verify's verify over every (gold, prediction) pair; True if any pair is equal. A pair that times out
    makes the result unknown (GradingTimeout) unless a cheaper pair, tried first, is equal."""
    pairs = [(g, p) for g in golds for p in preds]
    for g, p in sorted(pairs, key=lambda gp: not (isinstance(gp[0], str) or isinstance(gp[1], str))):
        try:
            with _cpu_limit():
                if _mv_verify(g, p, timeout_seconds=None, raise_on_error=True):
                    return True
        except TimeoutException:  # cheap (string) pairs came first; the other hard pairs would time out too
            raise GradingTimeout(f"a comparison took over {_limit[-1]:g} s of CPU time") from None
        except Exception:
            pass
    return False
