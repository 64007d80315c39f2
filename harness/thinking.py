"""Thinking formats: how a model marks its reasoning, settled once per run from its chat template and vocabulary.

Modes (the `--thinking` flag overrides the detection):
- `template`: the chat template's generation prompt already opens thinking (DeepSeek-R1-Distill, QwQ-32B,
  Qwen3-Thinking-2507, Qwen3.5, DeepSeek-V3.1 in thinking mode). The harness adds nothing.
- `model`: the template leaves the assistant turn empty but the model knows the markers (Qwen3 hybrid, SmolLM3,
  gpt-oss's harmony channels, Magistral's [THINK]): it writes its own opener, which belongs to the thinking.
- `prefill`: the harness appends the opener itself (only when asked: `--thinking prefill`).
- `none`: an instruct model, or thinking switched off by the template (`enable_thinking=false`): there is no
  thinking phase; the budget bounds the whole response and a response that ends by itself is graded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

from harness.errors import BadArgumentError

Mode = Literal["template", "model", "prefill", "none"]
MODES: tuple[str, ...] = ("auto", "template", "model", "prefill", "none")

HARMONY = ("<|channel|>analysis<|message|>", "<|end|><|start|>assistant<|channel|>final<|message|>")
# Marker pairs the harness recognises without --think-markers, in the order they are tried.
KNOWN_MARKERS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),  # DeepSeek-R1 family, QwQ, Qwen3, SmolLM3, DeepSeek-V3.1
    ("[THINK]", "[/THINK]"),  # Magistral / Ministral reasoning
    ("<|begin_of_thought|>", "<|end_of_thought|>"),  # Sky-T1, Bespoke-Stratos
    ("<|START_THINKING|>", "<|END_THINKING|>"),  # Command A reasoning
    ("<seed:think>", "</seed:think>"),  # Seed-OSS
)
PROBE = "PROBE-QUESTION-7f3a"  # a user message the templates render verbatim; what follows it is the generation prompt


@dataclass(frozen=True)
class Split:
    """One response divided into thinking and answer (markers removed)."""

    thinking: str
    answer: str
    closed: bool  # thinking ended with its marker (or there was none to end)
    end: str  # natural | budget | eos | none (no thinking phase)


@dataclass(frozen=True)
class ThinkingFormat:
    mode: Mode
    open: str = "<think>"
    close: str = "</think>"
    close_token: int | None = None  # the end marker as one vocabulary id: e1 then continues on token ids
    reason: str = ""

    @property
    def thinks(self) -> bool:
        return self.mode != "none"

    @property
    def prefill(self) -> str:
        """Text the harness appends to the rendered prompt."""
        return self.open + "\n" if self.mode == "prefill" else ""

    @property
    def stops(self) -> tuple[str, ...]:
        """Stop strings of a call that should end with thinking."""
        return (self.close,) if self.thinks else ()

    def opened(self, output: str) -> bool:
        """Whether a response that starts with `output` is inside thinking."""
        if self.mode == "model":
            return output.lstrip().startswith(self.open)
        return self.thinks

    def strip_open(self, output: str) -> str:
        """The thinking text of an output that `opened`: a model-written opener is dropped."""
        if self.mode == "model":
            return output.lstrip()[len(self.open) :]
        return output

    def split(self, text: str, by_budget: bool) -> Split:
        """Split one whole response. `by_budget`: the response was cut by max_tokens (else it ended by itself)."""
        if not self.opened(text):
            return Split("", text, True, "none")
        body = self.strip_open(text)
        if self.close in body:
            thinking, _, answer = body.partition(self.close)
            return Split(thinking, answer, True, "natural")
        return Split(body, "", False, "budget" if by_budget else "eos")

    def manifest(self) -> dict:
        return {
            "mode": self.mode,
            "open": self.open,
            "close": self.close,
            "close_token": self.close_token,
            "reason": self.reason,
        }


def parse_markers(text: str) -> tuple[str, str]:
    """`--think-markers OPEN,CLOSE` (`harmony` names gpt-oss's analysis/final channels)."""
    if text.strip() == "harmony":
        return HARMONY
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        why = "the two markers are the same" if len(parts) == 2 and parts[0] == parts[1] and parts[0] else ""
        why = why or (f"{len(parts)} parts" if len(parts) != 2 else "an empty marker")
        raise BadArgumentError(
            f"--think-markers {text!r} ({why}): give two different markers OPEN,CLOSE, e.g. '<think>,</think>' or "
            f"'<|im_start|>think,<|im_start|>answer' (or 'harmony' for gpt-oss)"
        )
    return parts[0], parts[1]


def check_markers(markers) -> None:
    """A marker pair from a config (`think_markers`): two different non-empty strings, as --think-markers gives."""
    if markers is None or markers == list(HARMONY) or markers == HARMONY:
        return
    if not isinstance(markers, (list, tuple)) or not all(isinstance(m, str) for m in markers):
        raise BadArgumentError(f"think_markers {markers!r}: give [OPEN, CLOSE], two different strings")
    parse_markers(",".join(markers))


def single_token(marker: str, tokenize: Callable[[str], Sequence[int]], detokenize: Callable[[Sequence[int]], str]):
    """The marker's id if the vocabulary holds it as one token, else None."""
    try:
        ids = list(tokenize(marker))
        return ids[0] if len(ids) == 1 and detokenize(ids) == marker else None
    except Exception:  # a tokenizer that cannot take the text has no such token
        return None


def detect(
    template: str,
    render: Callable[[str], str],
    tokenize,
    detokenize,
    *,
    mode: str = "auto",
    markers: tuple[str, str] | None = None,
) -> ThinkingFormat:
    """Settle the thinking format from the chat template (its text and rendered generation prompt) and vocabulary.

    `render(user_content)` renders the generation prompt exactly as prompts will be rendered (same template,
    template arguments and system prompt)."""
    if mode not in MODES:
        raise BadArgumentError(f"--thinking {mode!r} is not a mode; use one of {', '.join(MODES)}")
    suffix = _generation_suffix(render)
    found, why = _markers(template, suffix, tokenize, detokenize, markers)
    open_, close = found or KNOWN_MARKERS[0]
    token = single_token(close, tokenize, detokenize)
    if mode != "auto":
        return ThinkingFormat(mode, open_, close, token if mode != "none" else None, f"--thinking {mode}")
    at = suffix.rfind(open_) if found else -1
    if at >= 0 and close in suffix[at:]:
        return ThinkingFormat(
            "none",
            open_,
            close,
            None,
            f"the chat template's generation prompt opens and closes {open_} at once "
            f"({suffix.strip()!r}): thinking is switched off; the response is the answer",
        )
    if at >= 0:
        return ThinkingFormat(
            "template",
            open_,
            close,
            token,
            f"the chat template's generation prompt already opens thinking ({suffix.strip()!r}); nothing is added",
        )
    if found:
        return ThinkingFormat(
            "model",
            open_,
            close,
            token,
            f"{why}, but the generation prompt does not open thinking: the model writes its own "
            f"opener, which belongs to the thinking",
        )
    return ThinkingFormat(
        "none",
        open_,
        close,
        None,
        f"no thinking markers in the chat template or the vocabulary ({', '.join(m[0] for m in KNOWN_MARKERS)}"
        f", harmony): an instruct model; the budget bounds the whole response",
    )


def _generation_suffix(render) -> str:
    text = render(PROBE)
    return text[text.rfind(PROBE) + len(PROBE) :] if PROBE in text else text[-200:]


def _markers(template: str, suffix: str, tokenize, detokenize, given) -> tuple[tuple[str, str] | None, str]:
    if given:
        return given, f"--think-markers {given[0]},{given[1]}"
    if "<|channel|>" in template and "analysis" in template:
        return HARMONY, "the chat template uses harmony channels (analysis, final)"
    for pair in KNOWN_MARKERS:
        if pair[0] in suffix or pair[0] in template:
            return pair, f"the chat template names {pair[0]}"
    for pair in KNOWN_MARKERS:
        if (
            single_token(pair[0], tokenize, detokenize) is not None
            and single_token(pair[1], tokenize, detokenize) is not None
        ):
            return pair, f"the vocabulary has {pair[0]} and {pair[1]} as tokens"
    return None, ""
