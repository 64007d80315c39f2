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


def split_thinking(text: str, think_open: str = "<think>", think_close: str = "</think>") -> Split:
    """Thinking is everything up to the last end marker; a response with no markers is all answer."""
    if think_close in text:
        head, _, answer = text.rpartition(think_close)
        thinking = head.split(think_open, 1)[1] if think_open in head else head
        return Split(thinking, answer, True, True)
    if think_open in text:
        return Split(text.split(think_open, 1)[1], "", True, False)
    return Split("", text, False, False)


def _boxed_spans(text: str) -> list[str]:
    out = []
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            out.append(text[m.end() : i - 1].strip())
    return out


def all_boxed(text: str) -> list[str]:
    return _boxed_spans(text)


def last_boxed(text: str) -> str | None:
    spans = _boxed_spans(text)
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
