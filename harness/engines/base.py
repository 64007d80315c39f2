"""The engine interface: a batch of generation requests in, texts with token counts and timings out.

Engines only generate. They know no strategy and no grading.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass, field
from typing import Literal, Sequence


# sampling settings beyond temperature and top_p, at the values that turn them off
NEUTRAL_SAMPLING = {
    "top_k": 0,
    "min_p": 0.0,
    "repetition_penalty": 1.0,
    "presence_penalty": 0.0,
    "ignore_eos": False,
    "min_tokens": 0,
}


@dataclass(frozen=True)
class ChatPrompt:
    """Messages for a server that applies the chat template itself (`/v1/chat/completions`), as (role, content)."""

    messages: tuple[tuple[str, str], ...]

    def as_json(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]

    def with_system_line(self, line: str) -> "ChatPrompt":
        """`line` appended to the system message (one is added first where there is none)."""
        if self.messages and self.messages[0][0] == "system":
            return ChatPrompt((("system", f"{self.messages[0][1]}\n{line}"), *self.messages[1:]))
        return ChatPrompt((("system", line), *self.messages))

    def continued(self, text: str) -> "ChatPrompt":
        """These messages and an assistant message `text` that the server is to continue, not answer
        (vLLM's `continue_final_message`, DeepSeek's prefix completion: `--continue-via`)."""
        return ChatPrompt((*self.messages, ("assistant", text)))

    @property
    def continues(self) -> bool:
        """The last message is the assistant's, to be continued."""
        return bool(self.messages) and self.messages[-1][0] == "assistant"

    def __str__(self) -> str:  # what records and the cache key show
        return json.dumps(self.as_json(), ensure_ascii=False)


@dataclass(frozen=True)
class GenRequest:
    """One completion call. `prompt` is raw text (continued byte for byte), token ids, or chat messages."""

    prompt: str | tuple[int, ...] | ChatPrompt
    max_tokens: int
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    thinking_budget: int | None = None  # engines with a native thinking budget (vLLM's thinking_token_budget)
    top_k: int = 0  # 0: off
    min_p: float = 0.0
    repetition_penalty: float = 1.0  # 1: off (llama.cpp's repeat_penalty)
    presence_penalty: float = 0.0
    ignore_eos: bool = False  # keep generating past end-of-generation tokens (fixed-length runs)
    min_tokens: int = 0  # no end-of-generation token before this many tokens
    effort: str | None = None  # chat engines: a reasoning-effort level (low, medium, high)

    def extra_sampling(self) -> dict:
        """The sampling settings beyond temperature and top_p that differ from their neutral values."""
        return {k: getattr(self, k) for k, v in NEUTRAL_SAMPLING.items() if getattr(self, k) != v}


@dataclass(frozen=True)
class GenResult:
    """What the engine produced. `text` excludes a matched stop string; `stop_string` names it.

    `tail_ids` are the generated ids that carried the stop string (dropped from `token_ids` and `text`);
    with them a caller can tell how many tokens were sampled before the stop was seen (`sampled`).
    `cached` is set by the response cache when no engine ran.
    """

    text: str
    token_ids: tuple[int, ...]
    prompt_tokens: int
    finish_reason: Literal["stop", "length", "error"]
    stop_string: str | None = None
    wall_s: float = 0.0
    ttft_s: float | None = None
    error: str | None = None
    tail_ids: tuple[int, ...] = ()
    cached: bool = False
    reported_tokens: int | None = None  # the server's own count (HTTP engines), when it gave one
    counted_by: str = "engine"  # engine (the sampled ids) | server usage | local tokenizer
    local_tokens: int | None = (
        None  # HTTP engines: the local tokenizer's count of the returned text (None: no tokenizer)
    )
    # chat engines: the thinking the server returned apart from `text`, where it came from, and its token count
    reasoning: str | None = None
    reasoning_source: str | None = None  # reasoning_content | reasoning | think tags in content | hidden | none
    reasoning_tokens: int | None = None  # usage.completion_tokens_details.reasoning_tokens

    @property
    def completion_tokens(self) -> int:
        return self.reported_tokens if self.reported_tokens is not None else len(self.token_ids)

    @property
    def sampled(self) -> int:
        return sampled_tokens(self)


def split_stop_tail(ids: Sequence[int], text: str, detokenize) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(ids, tail): the shortest prefix of the sampled ids whose text covers `text` (the output without its matched
    stop string), and the ids after it, which carried the stop string. Searched from the end, where the stop is."""
    ids, keep = tuple(ids), len(ids)
    while keep > 0 and len(detokenize(ids[: keep - 1])) >= len(text):
        keep -= 1
    return ids[:keep], ids[keep:]


def sampled_tokens(r) -> int:
    """Tokens drawn from the model for a result or call: its ids, the stop string's tokens, and a final
    end-of-sequence token."""
    eos = r.finish_reason == "stop" and r.stop_string is None
    return len(r.token_ids) + len(r.tail_ids) + int(eos)


@dataclass(frozen=True)
class ModelInfo:
    """What the manifest records about a model, and the markers prompts need."""

    name: str
    path: str | None
    sha256: str | None
    chat_template: str | None
    bos_token: str = ""
    eos_token: str = ""
    extra: dict = field(default_factory=dict)


class Engine(abc.ABC):
    """Subclasses implement `generate` and `tokenize`; `count_tokens` follows from the tokenizer."""

    name: str = "engine"
    exact_ids: bool = True  # token_ids are the ids the model sampled (budget reuse cuts them)
    id_prompts: bool = True  # takes token ids as a prompt (strategies continue a call on its ids)
    max_in_flight: int = 1  # samples the runner keeps in flight; above 1, generate() is called from many threads
    chat: bool = False  # takes ChatPrompt messages (the server applies the chat template), not rendered text
    sampling_options: frozenset[str] = frozenset(
        {"top_k", "min_p", "repetition_penalty", "presence_penalty", "ignore_eos", "min_tokens"}
    )

    @property
    @abc.abstractmethod
    def info(self) -> ModelInfo: ...

    @abc.abstractmethod
    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]: ...

    @abc.abstractmethod
    def tokenize(self, text: str) -> list[int]: ...

    @abc.abstractmethod
    def detokenize(self, ids: Sequence[int]) -> str: ...

    def fingerprint(self) -> str:
        """Identifies the weights for the response cache: the file hash, else the model name."""
        return f"{self.name}:{self.info.sha256 or self.info.name}"

    def prompt_ids(self, prompt: str) -> list[int] | None:
        """The ids the engine feeds the model for a text prompt, or None where it takes no ids (a server tokenizes)."""
        return self.tokenize(prompt) if self.id_prompts else None

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text)) if text else 0

    def close(self) -> None:  # release model memory; optional
        pass


class EngineWrapper(Engine):
    """An engine in front of another (the response cache): everything but `generate` forwards."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.name, self.chat, self.sampling_options = engine.name, engine.chat, engine.sampling_options

    @property
    def exact_ids(self) -> bool:  # read through: an HTTP engine learns it from the server
        return self.engine.exact_ids

    @property
    def id_prompts(self) -> bool:
        return self.engine.id_prompts

    @property
    def max_in_flight(self) -> int:
        return self.engine.max_in_flight

    @property
    def info(self) -> ModelInfo:
        return self.engine.info

    def fingerprint(self) -> str:
        return self.engine.fingerprint()

    def tokenize(self, text: str) -> list[int]:
        return self.engine.tokenize(text)

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.engine.detokenize(ids)

    def prompt_ids(self, prompt: str) -> list[int] | None:
        return self.engine.prompt_ids(prompt)

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def close(self) -> None:
        self.engine.close()
