"""Compare an extracted answer with the gold, one checker per answer type.

Math goes through math-verify (scoring.mathverify: its time limits use a signal timer, so call these from a
process's main thread; the scoring pool runs them in worker processes).
"""

from __future__ import annotations

import re
from functools import lru_cache

from harness.scoring.extract import final_answer
from harness.scoring.mathverify import parse, verify

_E_NOTATION = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?)\s*[eE]\s*([+-]?\d+)(?![\w.])")
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
