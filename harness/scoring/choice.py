"""Choice and fill-in-the-blank answers: letters (or circled item numbers) compared as sets, an option named by its
value, and blanks compared one by one with the math checker."""

from __future__ import annotations

import re

from harness.scoring.compare import check_math
from harness.scoring.extract import all_boxed, choice_letters, final_answer, last_boxed

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def labels(text: str) -> frozenset[str]:
    """Choice labels: letters A-K, or numbered items written ①③ or (1)(3)."""
    digits = {str(_CIRCLED.index(c) + 1) for c in text if c in _CIRCLED}
    digits |= set(re.findall(r"\((\d+)\)", text))
    return frozenset(digits) if digits else frozenset(re.findall(r"[A-K]", text))


def is_label_gold(gold: str) -> bool:
    return any(c in _CIRCLED for c in gold) or bool(re.fullmatch(r"\s*(\(\d+\)[\s,，、]*)+", gold))


_OPTION_LINE = re.compile(r"^\s*\(?([A-K])\)?\s*[.．:：、)]\s*(.+?)\s*$", re.MULTILINE)


_OPTION_INLINE = re.compile(r"\(([A-K])\)\s*(.+?)\s*(?=\([A-K]\)|$)", re.DOTALL)


def options_from_question(question: str) -> dict[str, str]:
    """The options of a multiple-choice question, letter -> text: one a line ('A. $x>1$', '(B) 3'), else inline
    after the question ('...: (A) $4^{x}$ (B) $8^{x}$ (C) $8x$'), lettered A, B, C, ... in order."""
    found = dict(_OPTION_LINE.findall(question))
    if len(found) < 2:
        start = question.rfind("(A)")
        found = dict(_OPTION_INLINE.findall(question[start:])) if start >= 0 else {}
        if list(found) != [chr(ord("A") + i) for i in range(len(found))]:
            return {}
    return found if len(found) >= 2 else {}


def check_choice(answer: str, gold: str, options: dict[str, str] | None = None) -> tuple[bool, str | None]:
    if is_label_gold(gold):
        boxed = last_boxed(answer)
        got = labels(boxed if boxed is not None else answer)
        return bool(got) and got == labels(gold), "".join(sorted(got)) or None
    letters = choice_letters(answer)
    if letters is None and options:
        letters = _option_by_value(answer, options)
    return letters is not None and set(letters) == labels(gold), letters


def _option_by_value(answer: str, options: dict[str, str]) -> str | None:
    """An answer that gives the chosen option's value instead of its letter counts as that letter when its final
    answer matches exactly one option."""
    fa = final_answer(answer)
    if fa is None:
        return None
    same = [letter for letter, text in options.items() if _norm_option(fa.text) == _norm_option(text)]
    if len(same) == 1:  # written as the option is written
        return same[0]
    equal = [letter for letter, text in options.items() if check_math(f"\\boxed{{{fa.text}}}", text)[0]]
    return equal[0] if len(equal) == 1 else None


def _norm_option(text: str) -> str:
    return re.sub(r"[\s$]|\\left|\\right", "", text)


def _blank_parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"(?<!\\)[;；]", text) if p.strip()]


def check_blanks(answer: str, gold: str) -> tuple[bool, str | None]:
    golds = _blank_parts(gold)
    boxed = all_boxed(answer)
    if len(boxed) >= len(golds) > 1:
        preds = boxed[-len(golds) :]
    elif boxed:
        preds = _blank_parts(boxed[-1])
        if len(preds) != len(golds):
            preds = [p.strip() for p in boxed[-1].split(",")] if len(golds) > 1 else [boxed[-1]]
    else:
        fa = final_answer(answer)
        if fa is None:
            return False, None
        preds = _blank_parts(fa.text)
    if len(preds) != len(golds):
        return False, "; ".join(preds) or None
    ok = all(check_math(f"\\boxed{{{p}}}", g)[0] for p, g in zip(preds, golds))
    return ok, "; ".join(preds)
