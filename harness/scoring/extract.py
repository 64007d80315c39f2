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


def _boxed_spans(text: str, with_pos: bool = False) -> list:
    out = []
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            body = text[m.end() : i - 1].strip()
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


# The final-answer rule. A response's final answer is, in this order:
#   1. its last non-empty \\boxed{} (with any other boxes on that same line: '\\boxed{7} and \\boxed{-5}');
#   2. else a concluding statement in its last three non-empty lines: 'the (final) answer is X', 'Answer: X',
#      '#### X', or 'Therefore/Thus/So/Hence/In conclusion ... is X' (X may stand alone on the next line);
#   3. else the whole text, when it is one short line of at most three words outside math (an answer written
#      right after a forced 'Final Answer:', or a bare '18').
# Anything else never reached a final answer: `no_final_answer`, never a number scraped from the working.
_MATH_DELIMS = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_FINAL_IS = re.compile(r"(?:\bfinal answer\b|\bthe answer\b|^\W*answer\b)(?:\s+(?:to|for)\s+[^:]*?)?\s*(?:is|:|：)\s*(.*)$",
                        re.IGNORECASE)
_HASHES = re.compile(r"^\s*####\s*(.+)$")
_CONCLUDES = re.compile(r"\b(?:therefore|thus|so|hence|in conclusion|finally|consequently)\b.*\b(?:is|are|equals|be)\s*:?\s*(.*)$",
                        re.IGNORECASE)
SHORT_ANSWER_CHARS = 40


@dataclass(frozen=True)
class FinalAnswer:
    text: str
    how: str  # boxed | statement | whole


def _clean_value(value: str) -> str:
    """The answer inside a concluding statement: its last math span, else the words up to the sentence's end."""
    value = value.replace("\\$", "")  # an escaped dollar sign is currency, not a math delimiter
    spans = [next(g for g in m.groups() if g is not None) for m in _MATH_DELIMS.finditer(value)]
    if spans:
        return spans[-1].strip()
    value = re.split(r"\.(?:\s|$)", value.replace("**", ""), maxsplit=1)[0].strip(" .:;*")
    m = re.match(r"^([-+]?\$?[\d.,/]+)\s+[A-Za-z]", value)  # '9 customers', '3 bushels'
    return m.group(1) if m else value


def final_answer(text: str) -> FinalAnswer | None:
    """The final answer of an answer text (thinking already removed), by the rule above; None if it has none."""
    boxes = [(pos, b) for pos, b in _boxed_spans(text, with_pos=True) if b]
    if boxes:
        line_start = text.rfind("\n", 0, boxes[-1][0]) + 1
        same_line = [b for pos, b in boxes if pos >= line_start]
        return FinalAnswer(", ".join(same_line), "boxed")
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    tail = lines[-3:]
    for i in range(len(tail) - 1, -1, -1):
        for pattern in (_HASHES, _FINAL_IS, _CONCLUDES):
            m = pattern.search(tail[i])
            if not m:
                continue
            value = m.group(1).strip()
            if not value.strip("*:. ") and i + 1 < len(tail):  # 'the final answer is:' then the answer alone
                value = tail[i + 1]
            value = _clean_value(value)
            if value:
                return FinalAnswer(value, "statement")
    if len(lines) == 1 and len(_MATH_DELIMS.sub(" ", lines[0]).split()) <= 3:  # a value, not a sentence
        whole = _clean_value(lines[0]) if _MATH_DELIMS.search(lines[0]) else lines[0].strip(" .")
        if whole and len(whole) <= SHORT_ANSWER_CHARS:
            return FinalAnswer(whole, "whole")
    return None
