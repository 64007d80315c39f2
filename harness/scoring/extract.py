"""Pull answers out of text: thinking split, \\boxed{} contents, choice letters. No comparison here."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    """A response cut into thinking and answer. `closed` is False when thinking opened and never ended."""

    thinking: str
    answer: str
    opened: bool
    closed: bool


# Other reasoning models' thinking markers, recognised when the configured pair is absent from a response:
# Sky-T1 / Bespoke-Stratos write <|begin_of_thought|>...<|end_of_thought|> and wrap the answer in *_of_solution.
KNOWN_THINKING = (("<think>", "</think>"), ("<|begin_of_thought|>", "<|end_of_thought|>"))
_SOLUTION_TAGS = re.compile(r"<\|(?:begin|end)_of_solution\|>")


def split_thinking(text: str, think_open: str = "<think>", think_close: str = "</think>") -> Split:
    """Thinking is everything up to the last end marker; a response with no markers is all answer.

    The configured markers come first; when neither is in the text, the known pairs of KNOWN_THINKING are tried,
    so a response made elsewhere with other markers is not graded from inside its unfinished thinking.
    """
    if think_close not in text and think_open not in text:
        for o, c in KNOWN_THINKING:
            if o in text or c in text:
                think_open, think_close = o, c
                break
    if think_close in text:
        head, _, answer = text.rpartition(think_close)
        thinking = head.split(think_open, 1)[1] if think_open in head else head
        return Split(thinking, _SOLUTION_TAGS.sub("", answer), True, True)
    if think_open in text:
        return Split(text.split(think_open, 1)[1], "", True, False)
    return Split("", _SOLUTION_TAGS.sub("", text), False, False)


# A box: '\\boxed{..}' or '\\fbox{..}', also written without its backslash ('the answer is 6. boxed{6}').
_BOX_OPEN = re.compile(r"(?:\\|(?<![A-Za-z\\]))(?:boxed|fbox)\s*\{")


def _boxed_spans(text: str, with_pos: bool = False, unclosed: bool = False) -> list:
    """Every box's body in order; with `unclosed`, a box whose braces never close (cut off) is kept as None."""
    out = []
    for m in _BOX_OPEN.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[m.end() : i - 1].strip() if depth == 0 else None
        if body is not None or unclosed:
            out.append((m.start(), body) if with_pos else body)
    return out


def all_boxed(text: str) -> list[str]:
    """Every non-empty \\boxed{} / \\fbox{}, in order (an empty box, often a trailing template, is no answer)."""
    return [b for b in _boxed_spans(text) if b]


def last_boxed(text: str) -> str | None:
    spans = all_boxed(text)
    return spans[-1] if spans else None


_LETTERS = r"[A-K](?:\s*[,，、和及]?\s*(?:and\s+)?\(?[A-K]\)?)*"
_ANSWER_IS = re.compile(r"(?:answer|答案|选)\s*(?:is|are|为|是|:|：)?\s*[:：]?\s*\(?(" + _LETTERS + r")\b")


def choice_letters(text: str) -> str | None:
    """Choice letters from the last \\boxed{}, else from "answer is X", else a bare letter answer."""
    boxed = last_boxed(text)
    candidates = []
    if boxed is not None:
        candidates.append(boxed)
    found = _ANSWER_IS.findall(text)
    if found:
        candidates.append(found[-1])
    candidates.append(text.strip())
    for c in candidates:
        c = re.sub(r"\\text\{([^}]*)\}|\\mathrm\{([^}]*)\}", r"\1\2", c).strip().strip("$.")
        if re.fullmatch(r"\(?[A-K]\)?(?:[\s,，、和及]*(?:and\s+)?\(?[A-K]\)?)*", c):
            return "".join(sorted(set(re.findall(r"[A-K]", c))))
        m = re.match(r"^\(?([A-K])\)?[.．:：\s]", c)  # "C. 1-i" style
        if boxed is not None and c is candidates[0] and m:
            return m.group(1)
    return None


# The final-answer rule (docs/tasks.md lists it with examples). A response's final answer is, in this order:
#   0. (the content of its last <answer> tag, when it has one, is the text read below);
#   1. its last non-empty \\boxed{} / \\fbox{} (also 'boxed{6}' without its backslash), with any other boxes on
#      that same line; when the last box is cut off before its closing brace, none;
#   2. else an explicit marker on the last line: '#### X' (anywhere on it), 'A: X', '故选X' / '答案为X';
#   3. else the last item of a '- name: value' list after a lead-in ('the final answers are:');
#   4. else the closing statement of the text: its last sentence (trailing affirmations and one or two stray tokens
#      set aside) states the answer ('the answer is X', 'Therefore ... is/costs/equals X', 'X is the correct
#      answer', a closing '**X**', ...);
#   5. else a last line that restates, as a bare value, the number ending the line before it;
#   6. else the whole text, when it is one short line of at most three words outside math.
# Anything else never reached a final answer (a chain cut off mid-thought, "Alternatively, ...", "Let me know if
# you want more detail"): `no_final_answer`, never a number scraped from the working.
_MATH_DELIMS = re.compile(
    r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL
)  # '\\$' is a dollar sign (currency), never a delimiter
_VERBS = (
    r"(?:\b(?:is|are|was|were|equals|has|have|be|gives|give|takes?|needs?|costs?|makes?|saved?|contains?|"
    r"bought|arrived at|end(?:ed)? up with|comes? out to|(?:in|de)creases? by|get|gets|got|obtain|obtains|yields?|"
    r"results? in|pays?|paid|spends?|spent|earns?|earned)\b|=)"
)
# Statement patterns, tried in this order on the closing sentence; group 1 holds the value.
_STATEMENTS = (
    re.compile(r"^\W*####\s*([-+$\\\d].*)$"),  # a value, not a markdown heading ('#### Step 3')
    re.compile(
        r"(?:\bfinal answers?\b|\b(?:the|same|my) answer\b|^\W*answer\b|^\W*(?:-\s*)?subproblem\s*\d+\b)"
        r"(?:\s+(?:to|for)\s+[^:]*?)?\s*(?:is|are|:|：)\s*(.*)$",
        re.I,
    ),
    re.compile(r"^(.*?)\s+(?:is|are)\s+(?:indeed\s+)?(?:the|my)\s+(?:correct|right|final)\b", re.I),
    re.compile(r"\bconfident that\s+(?:the answer is\s+)?(.*)$", re.I),
    re.compile(r"\bthere (?:is|are|were|will be)\s+(.*)$", re.I),
    re.compile(
        r"^\W*(?:conclusion\W+)?(?:[A-Za-z][^,.;]{0,80},\s*)?"  # '**Conclusion**: The ...', 'Solving this, we ...'
        r"(?:therefore|thus|so|hence|in conclusion|finally|consequently|in summary|the|and|since|we|"
        r"i(?=\s)|it|this|that)\b(.*)$",
        re.I,
    ),  # then the value after the last verb that is followed by one
    re.compile(r"^\W*final answer\W*(.*)$", re.I),  # '**Final Answer** The natural frequency is ...' (verbs again)
    re.compile(r"\*\*([^*]+)\*\*\W*$"),
)
_AFFIRMATION = re.compile(
    r"\b(?:think|confident|sure|correct|right|checks? out|makes? sense|covered|good|solid|"
    r"consistent|final answer|the answer|satisfied|verif|confirm|let me know|hope|feel free|"
    r"please note)|^\W*(?:this|these)\s+(?:problem|type|question|exercise|example|solution)",
    re.I,
)
_CONFIRMS = re.compile(
    r"\b(?:confident|sure|correct|right answer|checks? out|makes? sense|consistent|satisf|verif|"
    r"confirm|that's the answer|that is the answer)",
    re.I,
)
_COMMENTARY = re.compile(r"^\W*(?:this|these)\s+(?:problem|type|question|exercise|example)", re.I)
_TRAILING_CLAUSE = re.compile(r",\s*(?:which|so|and|as|since|because|where|confirming|meaning)\b.*$", re.I)
_LEADING_WORDS = re.compile(
    r"^(?:(?:indeed|definitely|exactly|approximately|about|equal to|just|also|still|"
    r"therefore|then|now|only|simply|again|always)\s+)+",
    re.I,
)
_DANGLING = re.compile(
    r"(?:[,;(+\-/=]|\b(?:so|and|but|or|then|which|that|because|since|where|the|a|an|of|to|is|are|"
    r"with|by|for|if|we|I|let|let's|wait|alternatively|maybe|perhaps))\s*$",
    re.I,
)
# Explicit markers, tried on the last line: GSM8K's '#### N' (also after text on the same line), the 'A: N' line
# of Q:/A: solutions, and the Chinese '故选' / '答案为' ('the answer is').
_MARKERS = (
    re.compile(r".*####\s*(.*\S)"),
    re.compile(r"^\W*A\s*[:：]\s*(.*\S)"),
    re.compile(r".*(?:故选|答案(?:应)?(?:为|是)|所以选)\s*[:：]?\s*(.*\S)"),
)
_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL)
_CUT_BOX = re.compile(r"\\(?:b|bo|box|boxe|boxed|f|fb|fbo|fbox)\s*$")  # cut off inside the command itself
# One or two stray lower-case tokens after a finished sentence ('... is $45^\\circ$. aurea'): set aside, unless
# they begin another thought ('... is 6. so').
_STRAY_TAIL = re.compile(
    r"(?<=[.!?$])\s+(?!(?:so|and|but|or|then|which|that|because|since|where|wait|let|hmm|maybe|perhaps|however|"
    r"alternatively|now|if|we|i|the|a|an|to|of|is|are)\b)[a-z]{2,}(?:\s+[a-z]{2,})?\s*$"
)
_HAS_VALUE = re.compile(r"[\dA-Za-z]")
_STARTERS = re.compile(r"^\W*(?:therefore|thus|so|hence|in conclusion|finally|consequently|in summary)\b", re.I)
_CONTINUES = re.compile(r"^\W*(?:wait|alternatively|but|hmm|let me|let's|maybe|perhaps|however|actually|now)\b", re.I)
_TERMINAL = re.compile(r"(?:[.!$]|\*\*|\\\)|\\\])\W*$")  # not '}' or ')': an unclosed display ends so
_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)
SHORT_ANSWER_CHARS = 40


@dataclass(frozen=True)
class FinalAnswer:
    text: str
    how: str  # boxed | marker | listed | statement | restated | whole
    parts: tuple[str, ...] = ()  # boxed: each box of the final line ('\\boxed{7} and \\boxed{-5}')


def _clean_value(value: str) -> str:
    """The answer inside a closing statement: its last math span, else the words up to the sentence's end."""
    value = value.replace("\\$", "")  # an escaped dollar sign is currency, not a math delimiter
    spans = [next(g for g in m.groups() if g is not None) for m in _MATH_DELIMS.finditer(value)]
    if spans:
        return spans[-1].strip()
    value = re.split(r"\.(?:\s|$)", value.replace("**", "").replace("$", ""), maxsplit=1)[0].strip(" .:;*")
    value = _LEADING_WORDS.sub("", re.sub(r"\\[()\[\]]", " ", value).strip())
    first = value.split(" ", 1)[0].lower()
    if first in _NUMBER_WORDS:  # 'three boxes contain neither'
        value = str(_NUMBER_WORDS.index(first)) + value[len(first) :]
    m = re.match(r"^([-+]?[\d.,/]*\d%?)(?:\s+[A-Za-z].*)?$", value)  # '9 customers', '3 bushels', '10 years old'
    if m:
        return m.group(1)
    m = re.search(r"^[A-Za-z' ]+\s([-+]?\d[\d.,/]*%?)$", value)  # 'I think 1250' (before 'is the right answer')
    return m.group(1) if m else value


def _lines(text: str) -> list[str]:
    """The text's non-blank lines, stripped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _sentences(text: str) -> list[str]:
    """The text's last lines cut into sentences ('. ' before a capital ends one; '3.5' and 'vs.' do not)."""
    text = re.sub(
        r"(?<![$\\])\$[^$]+(?<!\\)\$|\\\(.*?\\\)",
        lambda m: m.group(0).replace("\n", " "),
        text[-4000:],
        flags=re.DOTALL,
    )
    lines = _lines(text)[-3:]  # inline math kept on one line
    out = []
    for ln in lines:
        out.extend(p for p in re.split(r"(?<=[^\\][.!?])\s+(?=[A-Z*\d])|(?<=\*\*)\s+(?=[A-Z])", ln) if p.strip())
    return out


def _value_after_verbs(sentence: str) -> str | None:
    """The value after the last verb ('is', '=', 'has', ...) that is followed by a number or math, else None."""
    spans = [m.span() for m in _MATH_DELIMS.finditer(sentence)]
    verbs = [m for m in re.finditer(_VERBS, sentence, re.I) if not any(a <= m.start() < b for a, b in spans)]
    for m in reversed(verbs):  # verbs outside math: 'the plane is: \\[ 5x - 7y = 0 \\]' is the whole equation
        value = _clean_value(_TRAILING_CLAUSE.sub("", sentence[m.end() :]).strip(" :"))
        if value and re.search(r"\d|\\|\^", value):
            return value
    if not verbs and spans:  # 'Therefore, the sum \\(a + b + c = 11 + 9 + 0 = 20\\).': the equation says it
        return _clean_value(sentence)
    return None


_DOLLAR = re.compile(r"(?<![\\$])\$(?!\$)")
_PROSE = re.compile(r"(?:\b[A-Za-z]{2,}\b[ ,]+){3}")


def _escape_currency(text: str) -> str:
    """Dollar signs that are currency, not math: a '$' whose span to the next '$' holds prose ('$216) by the total
    number of tickets ... is $8.') is written '\\$', which the value cleaning drops."""
    i = 0
    while (m := _DOLLAR.search(text, i)) is not None:
        j = text.find("$", m.end())
        inner = re.sub(r"\\text\s*\{[^}]*\}", "", text[m.end() : j if j >= 0 else len(text)])
        if j < 0 or _PROSE.search(inner):
            text, i = text[: m.start()] + "\\$" + text[m.end() :], m.start() + 2
        else:
            i = j + 1
    return text


def _restated_value(lines: list[str]) -> FinalAnswer | None:
    """A last line that is a bare value ('1.55 eV') restating the value that ends the line before it."""
    if len(lines) < 2 or len(lines[-1]) > SHORT_ANSWER_CHARS or len(lines[-1].split()) > 3:
        return None
    m = re.fullmatch(r"\$?\s*(-?\d[\d,]*(?:\.\d+)?)\s*\$?(?:\s*[A-Za-z%°]+\.?)?", lines[-1])
    before = re.findall(r"-?\d[\d,]*(?:\.\d+)?", lines[-2])
    return FinalAnswer(m.group(1), "restated") if m and before and before[-1] == m.group(1) else None


_LEAD_IN = re.compile(r"(?:final answers?|summarize|in summary)(?:\s+(?:is|are))?\W*$", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+[^:=\n]{1,80}?[:=]\**\s*(.*\S)\s*$")


def _listed(text: str) -> FinalAnswer | None:
    """The last item of a list of answers after a lead-in ('Thus, the final answers are:' / '**Final Answer**'
    then '- NH4OH: 35.06 g/mol' ... '- CH3CH2OH: 46.08 g/mol'; sign-offs after the list set aside): a multi-part
    question's last part is the one asked."""
    lines = _lines(text)
    while lines and _AFFIRMATION.search(lines[-1]) and not re.search(r"\d", lines[-1]):
        lines.pop()
    m = _LIST_ITEM.match(lines[-1]) if lines else None
    for line in reversed(lines[:-1] if m else []):
        if not _LIST_ITEM.match(line):
            value = _clean_value(m.group(1))
            return FinalAnswer(value, "listed") if _LEAD_IN.search(line) and _HAS_VALUE.search(value) else None
    return None


def _marked(text: str) -> FinalAnswer | None:
    """The value after an explicit marker on the text's last line ('#### 18', 'A: 260', '答案为 3'), else None."""
    lines = _lines(text)
    for pattern in _MARKERS if lines else ():
        m = pattern.search(lines[-1])
        if m:
            value = _clean_value(m.group(1))
            if value and re.search(r"[\d\\]", value) and not re.match(r"[A-Za-z]{2,}", value):  # not a heading
                return FinalAnswer(value, "marker")
    return None


def final_answer(text: str) -> FinalAnswer | None:
    """The final answer of an answer text (thinking already removed), by the rule above; None if it has none."""
    tagged = _ANSWER_TAG.findall(text)
    if tagged:  # '<answer> \\boxed{5}</answer>' (reasoning-gym, R1-style RL prompts): the tag holds the answer
        text = tagged[-1]
    spans = _boxed_spans(text, with_pos=True, unclosed=True)
    if (spans and spans[-1][1] is None) or _CUT_BOX.search(text):  # 'the final answer is \\( \\boxed{': unanswered
        return None
    boxes = [(pos, b) for pos, b in spans if b]
    if boxes:
        line_start = text.rfind("\n", 0, boxes[-1][0]) + 1
        same_line = tuple(b for pos, b in boxes if pos >= line_start)
        return FinalAnswer(", ".join(same_line), "boxed", same_line)
    marked = _marked(text) or _listed(text)
    if marked is not None:
        return marked
    text = _escape_currency(text)
    sentences = _sentences(_STRAY_TAIL.sub("", text.rstrip()))
    i = len(sentences) - 1
    while (
        i > 0
        and _AFFIRMATION.search(sentences[i])
        and not _STATEMENTS[1].search(sentences[i])
        and not (re.search(r"\d|\$|\\\(", sentences[i]) and not _COMMENTARY.match(sentences[i]))
    ):
        i -= 1  # "I think that's the answer.", "Let me know if you have other questions." after the statement
    complete = bool(sentences) and not (
        _DANGLING.search(sentences[i])
        or _CONTINUES.match(sentences[i])
        or not (_TERMINAL.search(sentences[i]) or any(p.search(sentences[i]) for p in _STATEMENTS[:2]))
    )
    if not complete:  # cut off mid-thought ('... = 16, so', 'Wait, but ...', a sentence without its end)
        sentences = []  # states nothing; only a short whole answer can still stand
    lead_in = (
        complete
        and i > 0
        and re.search(r":\**\s*$", sentences[i - 1])
        and (_STATEMENTS[1].search(sentences[i - 1]) or _STARTERS.match(sentences[i - 1]))
    )
    for j in [i - 1, i] if lead_in else [i] if complete else []:  # 'Thus, the final answer is:' then the value alone
        sentence = sentences[j]
        for k, pattern in enumerate(_STATEMENTS):
            m = pattern.search(sentence)
            if not m:
                continue
            if k in (5, 6):  # a concluding sentence: the value after its verb
                value = _value_after_verbs(m.group(1))
                if value is None and lead_in and j == i - 1:  # 'the equation of the plane is:' then the display
                    value = _clean_value(sentences[i])
                if value is None:
                    continue
                return FinalAnswer(value, "statement")
            value = m.group(1).strip()
            if k == 2:  # 'X is the correct answer': X is what follows the last comma or 'that'
                value = re.split(r",|\bthat\b", value)[-1].strip()
            elif k > 2:
                value = _TRAILING_CLAUSE.sub("", value).strip()
            if not value.strip("*:. ") and j + 1 < len(sentences):
                value = sentences[j + 1]
            value = _clean_value(value)
            if value and _HAS_VALUE.search(value):
                return FinalAnswer(value, "statement")
        m = re.search(r"=\s*([^=]+?)[\s.]*$", sentence)  # 'Profit: $93 - $15 = $78.' then 'I think that's right.'
        confirmed = any(_CONFIRMS.search(x) for x in sentences[i + 1 :])  # a sign-off ('Let me know ...') is not
        if m and re.search(r"\d", m.group(1)) and confirmed:
            return FinalAnswer(_clean_value(m.group(1)), "statement")
    lines = _lines(text)
    restated = _restated_value(lines)
    if restated is not None:
        return restated
    if len(lines) == 1 and len(_MATH_DELIMS.sub(" ", lines[0]).split()) <= 3:  # a value, not a sentence
        whole = _clean_value(lines[0]) if _MATH_DELIMS.search(lines[0]) else lines[0].strip(" .")
        if whole and len(whole) <= SHORT_ANSWER_CHARS:
            return FinalAnswer(whole, "whole")
    return None
