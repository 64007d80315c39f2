"""Compare an extracted answer with the gold, one checker per answer type.

Math goes through math-verify. Its timeouts use signal.alarm, so call these from a process's
main thread (the scoring pool runs them in worker processes).
"""

from __future__ import annotations

import os
import re
import signal
from contextlib import contextmanager
from functools import lru_cache

from math_verify import ExprExtractionConfig, LatexExtractionConfig
from math_verify import grader as _mv_grader
from math_verify import parser as _mv_parser
from math_verify import parse as _mv_parse
from math_verify import verify as _mv_verify
from math_verify.errors import TimeoutException

from harness.scoring.extract import all_boxed, choice_letters, final_answer, last_boxed

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


_CFG = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
_E_NOTATION = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?)\s*[eE]\s*([+-]?\d+)(?![\w.])")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_UNIT = r"(?:cm|mm|km|m|kg|g|s|m/s)(?:\^\{?[23]\}?)?|degrees?|yuan|元|个|人|天|小时|分钟|万元|米|厘米"
_LONG_UNIT = (
    r"(?:cm|mm|km|kg|m/s|[kMG]?eV|[kMG]?Hz|nm|mol|kPa|atm)(?:\^\{?[23]\}?)?|"
    r"degrees?|yuan|元|个|人|天|小时|分钟|万元|米|厘米"
)
# A unit after a number: multi-letter units may touch it ('22.1cm^{2}'); one-letter ones ('m', 's') need
# a space or LaTeX spacing, so '3s^2' stays an expression. Then the end of the text, a '}' or a '$'.
_TRAILING_UNIT = re.compile(
    r"(\d|\\pi)(?:\s*(?:" + _LONG_UNIT + r")|(?:\s+|\s*\\[;,]\s*)(?:" + _UNIT + r"))(?=\s*(?:\}|\$|$))"
)


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUP_RUN = re.compile("(?<![⁻])[⁰¹²³⁴⁵⁶⁷⁸⁹]+")  # 'x²' is x^2; 'm⁻²' is a unit and stays for math-verify to drop
# Thousands separators: a whole 1,234[,567] group, never one inside a tuple, interval or list ('(2,251,252)',
# '(2,12) \\cup (12,102)', '27,54,108,135'): not after '(' '[' ',' or a digit, not before ',' ')' ']' or a digit.
_THOUSANDS = re.compile(r"(?<![\d.,(\[])(\d{1,3}(?:,\d{3})+)(?![\d,)\]])")
_BARE_FUNC = re.compile(r"(?<![\\A-Za-z])(ln|log|sin|cos|tan|cot|sec|csc)(?=\s*[\d(a-z{])")
_ORDINAL = re.compile(r"(\d)\s*\^\s*\{?\s*(?:\\(?:mathrm|text|rm)\s*\{\s*)?(?:st|nd|rd|th)\s*\}?\}?")
_TRAILING_WORDS = re.compile(r"(\d)\s*(?:\\[,;!]\s*|\\quad\s*)*\\(?:text|mathrm)\s*\{\s*[A-Za-z][A-Za-z ]*\}\s*$")
_CONDITION = re.compile(r",?\s*(?:\\quad|\\qquad|\\[,;])*\s*\\text\s*\{\s*(?:for|where|if|when)\b.*$")


def normalize(text: str) -> str:
    """Rewrite forms math-verify misreads, in one place for golds and answers alike.

    \\mathrm{i} (taken as a unit), e-notation, bare trailing units and words ('12^{th} grade'), thousands
    separators (only a lone grouped number), subscripted E (read as Euler's number) and \\odot, Unicode
    superscripts, function names written without their backslash (GaoKao 'ln3'), '2./5' numerals, percent signs.
    """
    text = re.sub(r"\\(?:mathrm|text|rm)\s*\{\s*i\s*\}", "i", text)
    text = re.sub(r"(?<=\d),\\!\s*(?=\d{3}(?!\d))", "", text)  # '11,\\! 111,\\! 100': ',\\!' is only a separator
    text = text.replace("\\$", "").replace("\\!", "")
    text = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), text)  # 32,348 -> 32348
    text = _E_NOTATION.sub(r"\1\\times 10^{\2}", text)
    text = text.replace("\\;", " ")
    if "_" in text:  # E_{1}: math-verify reads E as Euler's number and gives up; \odot is not parsed at all
        text = re.sub(r"(?<![\\A-Za-z])E_", r"\\varepsilon_", text).replace("\\odot", "sun")
    if any(c in text for c in "⁰¹²³⁴⁵⁶⁷⁸⁹"):
        text = _SUP_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPT) + "}", text)
    text = _BARE_FUNC.sub(r"\\\1 ", text)
    text = re.sub(r"(\d)\.(?=\s*/)", r"\1", text)  # Minerva golds '-2./5'
    text = re.sub(r"\s*\\?%\s*$", "", text.strip())  # '12.5\\%' against 12.5
    text = _ORDINAL.sub(r"\1", text)
    text = re.sub(r"(\d)\s*°\s*(?:[CF]\b)?", r"\1", text)  # '700°C'; '45°'

    text = _REPEATING.sub(_repeating_fraction, text)  # '15.\\overline{3}' is 46/3, not 15
    if re.fullmatch(r"\s*-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?)+\s*", text):
        text = ", ".join(text.split())  # '4 6' is two values, not 4 + 6
    text = _CONDITION.sub("", text)
    text = _TRAILING_WORDS.sub(r"\1", text)
    return _TRAILING_UNIT.sub(r"\1", text.strip())


_REPEATING = re.compile(r"(-?)(\d*)\.(\d*)\\overline\s*\{(\d+)\}")


def _repeating_fraction(m: re.Match) -> str:
    """A repeating decimal 'a.b\\overline{c}' as the exact fraction it stands for."""
    from fractions import Fraction

    sign, whole, fixed, rep = m.groups()
    value = Fraction(int(whole or 0)) + Fraction(int(fixed or 0), 10 ** len(fixed))
    value += Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(fixed))
    return f"{sign}\\frac{{{value.numerator}}}{{{value.denominator}}}"


def shown(parsed, fallback: str | None) -> str | None:
    """The extracted answer as text: math-verify keeps the matched string last."""
    return str(parsed[-1]) if parsed else fallback


def _wrap(text: str) -> str:
    """Bare LaTeX (a gold, or an extracted final answer) as one math span: stray $ and trailers dropped."""
    t = re.sub(r"\s*(solution:)?\s*\.?$", "", text.replace("\\$", "").replace("$", " ").strip())
    return f"${normalize(t)}$"


@lru_cache(maxsize=8192)
def parse_gold(gold: str, rename: str = ""):
    g = gold.strip()
    if "\\boxed" in g:
        return parse(g)
    return parse(_rename(_wrap(g), rename))


def parse_answer(answer: str, rename: str = ""):
    """A final answer's text (see extract.final_answer), parsed as one math span."""
    return parse(_rename(_wrap(answer), rename))


# math-verify strips one-letter units at the end ('m' metres, 'c', 's', 't', ...) even where the letter is a
# variable ('\\frac{37}{4} m', '\\frac{1}{\\sqrt{2}}c'). Each such letter that the gold uses as a variable (not
# right after a number and a space) is renamed to a Greek letter in both gold and answer.
_UNIT_LETTERS = {
    "c": "\\kappa",
    "d": "\\delta",
    "g": "\\gamma",
    "h": "\\eta",
    "l": "\\lambda",
    "m": "\\mu",
    "s": "\\sigma",
    "t": "\\tau",
}


def _unit_letters_as_variables(gold: str) -> str:
    """The letters to rename: 'm' wherever the gold uses it as a variable; the others only where math-verify
    strips them, at the gold's end ('\\frac{1}{\\sqrt{2}}c')."""
    g = gold.strip().strip("$")
    found = "m" if re.search(r"(?:^|[^\d\s\\A-Za-z]\s*|[=+\-*/(}]\s*)m(?![A-Za-z])", g) else ""
    end = re.search(r"(?:^|[^\d\s\\A-Za-z]\s*|[=+\-*/(}]\s*)([a-z])\s*$", g)
    return found + (end.group(1) if end and end.group(1) in _UNIT_LETTERS and end.group(1) != "m" else "")


def _rename(text: str, letters: str) -> str:
    for x in letters:
        text = re.sub(rf"(?<![\\A-Za-z]){x}(?![A-Za-z])", lambda _: _UNIT_LETTERS[x] + " ", text)
    return text


_WORDS = re.compile(r"^[A-Za-z][A-Za-z =]*$")


def _words(text: str) -> str | None:
    """A gold or answer that is words ('\\text{east}', 'north'), lower-cased, or None for math."""
    t = re.sub(r"\\(?:text|mathrm|textbf|mbox)\s*\{([^{}]*)\}", r"\1", text.replace("$", "")).strip(" .")
    t = re.sub(r"^(?:the|a|an)\s+", "", t, flags=re.IGNORECASE)
    if not (_WORDS.match(t) and len(t) > 1) or re.fullmatch(r"[A-Za-z]\s*=.*|.*=\s*[A-Za-z]", t):
        return None  # math ('x = y' is an equation of symbols, 'SRMC = LRMC' is words)
    return re.sub(r"\s*=\s*", "=", t.lower())


def _bare_list(gold: str) -> bool:
    g = gold.strip().strip("$")
    return "," in g and not re.search(r"[()\[\]{}]|\\left|\\cup", g)


def check_math(answer: str, gold: str) -> tuple[bool, str | None]:
    """Extract the final answer (extract.final_answer), then compare it with the gold through math-verify."""
    fa = final_answer(answer)
    if fa is None:
        return False, None
    text = fa.text
    if len(fa.parts) > 1 and not _bare_list(gold) and "," not in gold:  # one value asked: the line's last box
        text = fa.parts[-1]  # ('... is \\boxed{20.39} and the distance modulus is \\boxed{27.39}')
    text = _computed_value(text, gold)
    gold_words = _words(gold)
    if gold_words is not None:  # a word answer ('east', 'north') is compared as words, not as a product of letters
        return _words(text) == gold_words, text
    rename = _unit_letters_as_variables(gold)
    g = parse_gold(gold, rename)
    p = parse_answer(text, rename)
    if not p:
        return False, text
    if not g:
        return False, shown(p, text)
    pred = p[0] if "=" in gold else _values_of(g[0], p[0])  # a gold with equations wants equations
    gold_expr = g[0]
    if isinstance(pred, _sympy().Tuple) and _bare_list(gold):  # gold '1,-2' against the tuple '(1, -2)'
        gt = parse_gold(f"({gold.strip().strip('$')})", rename)
        gold_expr, g = (gt[0], gt) if gt else (gold_expr, g)
    if _plainable(gold_expr) and _plainable(pred):
        g, pred, gold_expr = [_plain_symbols(x) for x in g], _plain_symbols(pred), _plain_symbols(gold_expr)
    ok = verify(g, [pred, p[-1]]) or _hyperbolic_equal(gold_expr, pred) or _rounded_gold(gold, gold_expr, pred, text)
    return bool(ok) and _guards_pass(gold_expr, pred), shown(p, text)


def _plainable(expr) -> bool:
    """Values, sets and tuples; not equations or their chains (rebuilt, 'Eq(2i, 2i)' would collapse to True)."""
    sympy = _sympy()
    return isinstance(expr, (sympy.Expr, sympy.FiniteSet, sympy.Tuple))


def _plain_symbols(expr):
    """Every symbol as a plain one of its name: math-verify gives the same letter other assumptions by context
    ('8i\\sqrt{3}' has a real i, '8\\sqrt{3} i' a non-real one), so the same number would not equal itself."""
    sympy = _sympy()
    if not _plainable(expr) or not expr.free_symbols:
        return expr
    try:
        return expr.xreplace({s: sympy.Symbol(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)})
    except Exception:  # latex2sympy's own classes cannot always be rebuilt
        return expr


def _computed_value(text: str, gold: str) -> str:
    """A worked computation ('10\\cdot9=90', '3 + 4 = 7') stands for its result when the gold is no equation: the
    part after its last '=' outside braces, when everything before it is arithmetic (no letters but commands)."""
    if "=" in gold or "=" not in text:
        return text
    depth, cuts = 0, [-1]
    for i, c in enumerate(text):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(c, 0)
        if c == "=" and depth == 0 and text[i - 1 : i] not in ("<", ">", "!", "\\"):
            cuts.append(i)
    parts = [text[a + 1 : b] for a, b in zip(cuts, cuts[1:] + [len(text)])]
    if len(parts) > 2 and _NAME.fullmatch(parts[0].strip()):  # 'E = 2.12e-20/1.602e-19 = 0.13': the name goes
        parts = parts[1:]
    head, tail = "=".join(parts[:-1]), parts[-1].strip()
    if len(parts) < 2 or not tail or re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+|\d[eE][-+]?\d", "", head)):
        return text
    return tail


_NAME = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?(?:\(\w\))?")


def _sympy():
    import sympy

    return sympy


def _is_name(lhs) -> bool:
    """A left-hand side that names the answer: a symbol ('x', 'E_1'), letters ('AB' read as A*B) or f(x), tan A."""
    sympy = _sympy()
    if isinstance(lhs, sympy.Symbol):
        return True
    if isinstance(lhs, sympy.Mul):
        return all(isinstance(a, sympy.Symbol) for a in lhs.args)
    return isinstance(lhs, sympy.Function) and len(lhs.args) == 1 and isinstance(lhs.args[0], sympy.Symbol)


def _values_of(gold, pred):
    """'name = value' answers ('AB = 12', 'a = 2, b = -3') as their values, when the gold is no equation."""
    sympy = _sympy()
    if isinstance(gold, sympy.Eq):
        return pred
    if isinstance(pred, sympy.Eq) and _is_name(pred.lhs):
        return pred.rhs
    if (
        isinstance(pred, (sympy.FiniteSet, sympy.Tuple))
        and pred.args
        and all(isinstance(a, sympy.Eq) and _is_name(a.lhs) for a in pred.args)
    ):
        values = [a.rhs for a in pred.args]
        return sympy.Tuple(*values) if isinstance(pred, sympy.Tuple) else sympy.FiniteSet(*values)
    return pred


def _hyperbolic_equal(gold, pred) -> bool:
    """\\sinh(at)/a against (e^{at} - e^{-at})/(2a): math-verify does not rewrite hyperbolic functions."""
    sympy = _sympy()
    try:
        if not any(isinstance(x, sympy.Expr) and x.has(sympy.sinh, sympy.cosh, sympy.tanh) for x in (gold, pred)):
            return False
        return sympy.simplify((gold - pred).rewrite(sympy.exp)) == 0
    except Exception:
        return False


def _rounded_gold(gold_text: str, gold, pred, pred_text: str) -> bool:
    """A gold rounded by its author (Minerva '6630') against the unrounded answer ('6630.65'): within 1e-4
    relative, and only when the answer writes more decimals than the gold."""
    sympy = _sympy()
    if (
        not (isinstance(gold, sympy.Number) and isinstance(pred, sympy.Number))
        or gold == 0
        or not re.fullmatch(r"-?\d+(?:\.\d+)?", gold_text.strip().strip("$"))
    ):
        return False  # only a gold written as a plain decimal can be a rounded one (not '\\frac{600}{7}')

    def decimals(t: str) -> int:
        m = re.search(r"\d+(?:\.(\d+))?", t)
        return len(m.group(1) or "") if m else 0

    if decimals(pred_text) <= decimals(gold_text):
        return False
    return abs(float(pred) - float(gold)) <= 1e-4 * abs(float(gold))


def _guards_pass(gold, pred) -> bool:
    """Where math-verify is too lenient for these sets.

    - It grades an equation by its right-hand side, so 'x^2/2 - y^2/2 = 1' would match gold '1'.
      Only a name ('x', 'AB', 'f(x)') on the left stands for a value (see _values_of).
    - It takes an equation for any multiple of itself, so '20x - 28y + 44z + 16 = 0' would match the
      normalised '5x - 7y + 11z + 4 = 0' the question asks for. A numeric factor other than -1 fails.
    - It evaluates functions of numbers, so an unsimplified '\\frac{1}{4}[\\cos^2(...) + ...]' would match
      gold '1/16'. A number gold wants a number: trig, log or exp of numbers fail.
    - It accepts decimals for an exact irrational gold (rounded answers are wrong, as for a rational gold).
    - It rounds to 6 decimals, so 2.88e-19 and 1.325e-27 both become 0. Tiny numbers are compared
      by relative difference (1e-4) instead.
    """
    sympy = _sympy()
    if isinstance(pred, sympy.Eq) and not isinstance(gold, sympy.Eq) and not _is_name(pred.lhs):
        return False
    if _irrational(gold) and isinstance(pred, sympy.Basic) and pred.atoms(sympy.Float):
        # decimals for an exact irrational gold ('-3.3588989' for '1 - \\sqrt{19}') are rounded; an exact decimal
        # ('10^{0.01}' for '10^{1/100}') is read as the fraction it writes
        exact = pred.xreplace({f: sympy.Rational(str(f)) for f in pred.atoms(sympy.Float)})
        if not verify([gold], [exact]):
            return False
    if isinstance(pred, sympy.Eq) and isinstance(gold, sympy.Eq):
        try:
            ratio = sympy.simplify((pred.lhs - pred.rhs) / (gold.lhs - gold.rhs))
            if ratio.is_number and abs(abs(complex(ratio)) - 1) > 1e-9:
                return False
        except Exception:
            pass
    if (
        isinstance(gold, sympy.Number)
        and isinstance(pred, sympy.Expr)
        and pred.atoms(sympy.Function)
        and pred.is_number
    ):
        return False
    if all(isinstance(x, sympy.Basic) and x.is_number for x in (gold, pred)):
        try:
            a, b = complex(gold), complex(pred)
        except (TypeError, ValueError):
            return True
        if 0 < max(abs(a), abs(b)) < 1e-3:
            return abs(a - b) <= 1e-4 * max(abs(a), abs(b))
    return True


def _irrational(gold) -> bool:
    """A gold (or any member of a gold set or tuple) that is an exact irrational number: \\sqrt{19}, \\pi/2."""
    sympy = _sympy()
    members = gold.args if isinstance(gold, (sympy.FiniteSet, sympy.Tuple)) else (gold,)
    return any(
        isinstance(m, sympy.Expr) and m.is_number and not m.atoms(sympy.Float) and m.is_rational is False
        for m in members
    )


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


CHECKERS = {"number": check_math, "latex": check_math, "choice": check_choice, "blanks": check_blanks}
