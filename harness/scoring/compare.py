"""Compare an extracted answer with the gold, one checker per answer type.

Math goes through math-verify. Its timeouts use signal.alarm, so call these from a process's
main thread (the scoring pool runs them in worker processes).
"""
from __future__ import annotations

import re
from functools import lru_cache

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

from harness.scoring.extract import all_boxed, choice_letters, last_boxed

TIMEOUT_S = 5
_CFG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
_E_NOTATION = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?)\s*[eE]\s*([+-]?\d+)(?![\w.])")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_UNIT = r"(?:cm|mm|km|m|kg|g|s|m/s)(?:\^\{?[23]\}?)?|degrees?|yuan|元|个|人|天|小时|分钟|万元|米|厘米"
_LONG_UNIT = r"(?:cm|mm|km|kg|m/s)(?:\^\{?[23]\}?)?|degrees?|yuan|元|个|人|天|小时|分钟|万元|米|厘米"
# A unit after a number: multi-letter units may touch it ('22.1cm^{2}'); one-letter ones ('m', 's') need
# a space or LaTeX spacing, so '3s^2' stays an expression. Then the end of the text, a '}' or a '$'.
_TRAILING_UNIT = re.compile(
    r"(\d|\\pi)(?:\s*(?:" + _LONG_UNIT + r")|(?:\s+|\s*\\[;,]\s*)(?:" + _UNIT + r"))(?=\s*(?:\}|\$|$))")


def normalize(text: str) -> str:
    """Rewrite forms math-verify misreads: \\mathrm{i} (taken as a unit), e-notation, bare trailing units."""
    text = re.sub(r"\\(?:mathrm|text|rm)\s*\{\s*i\s*\}", "i", text)
    text = text.replace("\\$", "").replace("\\!", "")
    text = re.sub(r"(?<![\d.])(\d{1,3}),(\d{3})(?![\d])", r"\1\2", text)  # 32,348 -> 32348
    text = _E_NOTATION.sub(r"\1\\times 10^{\2}", text)
    text = text.replace("\\;", " ")
    return _TRAILING_UNIT.sub(r"\1", text.strip())


@lru_cache(maxsize=8192)
def parse_gold(gold: str):
    g = gold.strip()
    if "\\boxed" not in g:  # gold is bare LaTeX, sometimes with stray $ and trailers: wrap it whole
        g = re.sub(r"\s*(solution:)?\s*\.?$", "", g.replace("\\$", "").replace("$", " ").strip())
        g = f"${normalize(g)}$"
    return parse(g, extraction_config=_CFG, parsing_timeout=TIMEOUT_S)


def parse_answer(answer: str):
    return parse(normalize(answer), extraction_config=_CFG, parsing_timeout=TIMEOUT_S)


def shown(parsed, fallback: str | None) -> str | None:
    """The extracted answer as text: math-verify keeps the matched string last."""
    return str(parsed[-1]) if parsed else fallback


def check_math(answer: str, gold: str) -> tuple[bool, str | None]:
    g = parse_gold(gold)
    p = parse_answer(answer)
    if not p:
        return False, None
    ok = bool(g) and verify(g, p, timeout_seconds=TIMEOUT_S) and _guards_pass(g[0], p[0])
    return ok, shown(p, None)


def _guards_pass(gold, pred) -> bool:
    """Two places where math-verify is too lenient for these sets.

    - It grades an equation by its right-hand side, so 'x^2/2 - y^2/2 = 1' would match gold '1'.
      Only 'symbol = value' stands for a value.
    - It rounds to 6 decimals, so 2.88e-19 and 1.325e-27 both become 0. Tiny numbers are compared
      by relative difference (1e-4) instead.
    """
    import sympy

    if isinstance(pred, sympy.Eq) and not isinstance(gold, sympy.Eq) and not isinstance(pred.lhs, sympy.Symbol):
        return False
    if all(isinstance(x, sympy.Basic) and x.is_number for x in (gold, pred)):
        try:
            a, b = complex(gold), complex(pred)
        except (TypeError, ValueError):
            return True
        if 0 < max(abs(a), abs(b)) < 1e-3:
            return abs(a - b) <= 1e-4 * max(abs(a), abs(b))
    return True


def labels(text: str) -> frozenset[str]:
    """Choice labels: letters A-K, or numbered items written ①③ or (1)(3)."""
    digits = {str(_CIRCLED.index(c) + 1) for c in text if c in _CIRCLED}
    digits |= set(re.findall(r"\((\d+)\)", text))
    return frozenset(digits) if digits else frozenset(re.findall(r"[A-K]", text))


def is_label_gold(gold: str) -> bool:
    return any(c in _CIRCLED for c in gold) or bool(re.fullmatch(r"\s*(\(\d+\)[\s,，、]*)+", gold))


def check_choice(answer: str, gold: str) -> tuple[bool, str | None]:
    if is_label_gold(gold):
        boxed = last_boxed(answer)
        got = labels(boxed if boxed is not None else answer)
        return bool(got) and got == labels(gold), "".join(sorted(got)) or None
    letters = choice_letters(answer)
    return letters is not None and set(letters) == labels(gold), letters


def _blank_parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"(?<!\\)[;；]", text) if p.strip()]


def check_blanks(answer: str, gold: str) -> tuple[bool, str | None]:
    golds = _blank_parts(gold)
    boxed = all_boxed(answer)
    if len(boxed) >= len(golds) > 1:
        preds = boxed[-len(golds):]
    elif boxed:
        preds = _blank_parts(boxed[-1])
        if len(preds) != len(golds):
            preds = [p.strip() for p in boxed[-1].split(",")] if len(golds) > 1 else [boxed[-1]]
    else:
        preds = _blank_parts(answer)
    if len(preds) != len(golds):
        return False, "; ".join(preds) or None
    ok = all(check_math(f"\\boxed{{{p}}}", g)[0] for p, g in zip(preds, golds))
    return ok, "; ".join(preds)


CHECKERS = {"number": check_math, "latex": check_math, "choice": check_choice, "blanks": check_blanks}
