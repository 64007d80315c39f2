"""Scoring: strip thinking, extract the answer, compare with the gold. Never calls a model."""

from __future__ import annotations

from dataclasses import dataclass

from harness.scoring import mathverify
from harness.scoring.choice import check_blanks, check_choice
from harness.scoring.compare import check_math
from harness.scoring.mathverify import GradingTimeout, time_limit
from harness.scoring.extract import split_thinking

__all__ = ["Score", "score_answer", "score_response"]

CHECKERS = {"number": check_math, "latex": check_math, "choice": check_choice, "blanks": check_blanks}


@dataclass(frozen=True)
class Score:
    """A verdict. `reason` says why there was nothing to grade: no_answer (empty answer text), no_final_answer
    (text that never reached a final answer, see extract.final_answer), thinking_not_closed, scoring_error, and
    grading_timeout (a comparison that ran past its limit even when retried alone: the verdict is unknown, and the
    record's `correct` is None, never a wrong answer)."""

    correct: bool | None  # None: grading_timeout
    extracted: str | None
    gold: str
    reason: str | None = None
    verdict: str | None = None  # code: passed, wrong_answer, runtime_error, ... (the first failing test's)
    tests: tuple[str, ...] = ()  # code: one verdict per test run
    detail: str = ""  # code: the exception's last line, or the limit hit


def score_answer(answer: str, gold: str, answer_type: str, options: dict[str, str] | None = None) -> Score:
    """Grade answer text that holds no thinking. Code answers run in the sandbox against the problem's tests.

    `options` (choice questions, letter -> text): an answer naming an option's value instead of its letter counts
    as that letter when it matches exactly one option (see choice.options_from_question).
    """
    if answer_type == "code":
        from harness.scoring.code import score_code

        cs = score_code(answer, gold)
        return Score(
            cs.passed, cs.code, gold, "no_code" if cs.verdict == "no_code" else None, cs.verdict, cs.tests, cs.detail
        )
    if not answer.strip():
        return Score(False, None, gold, "no_answer")

    def check():
        if answer_type == "choice" and options:
            return check_choice(answer, gold, options)
        return CHECKERS[answer_type](answer, gold)

    try:
        try:
            ok, extracted = check()
        except GradingTimeout:  # load, or a hard comparison: once more, alone, with the longer limit
            with time_limit(mathverify.RETRY_TIMEOUT_S):
                ok, extracted = check()
    except GradingTimeout as e:
        return Score(None, None, gold, "grading_timeout", detail=str(e))
    except Exception as e:  # a checker bug must not pass as a plain wrong answer
        return Score(False, None, gold, f"scoring_error: {type(e).__name__}: {e}")
    return Score(ok, extracted, gold, None if extracted is not None else "no_final_answer")


def score_response(
    response: str,
    gold: str,
    answer_type: str,
    think_open: str = "<think>",
    think_close: str = "</think>",
    options: dict[str, str] | None = None,
) -> Score:
    """Grade a full response that may hold thinking; thinking opened and never closed is unanswered."""
    split = split_thinking(response, think_open, think_close)
    if split.opened and not split.closed:
        return Score(False, None, gold, "thinking_not_closed")
    return score_answer(split.answer, gold, answer_type, options)
