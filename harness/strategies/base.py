"""What every strategy shares: its settings, the calls it made, and the trace it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from harness.engines.base import Engine, GenRequest, GenResult, sampled_tokens
from harness.registry import Registry
from harness.thinking import ThinkingFormat


@dataclass(frozen=True)
class StrategyConfig:
    """Sampling and budget settings for one (sample, budget) run."""

    budget: int | str  # token count, or an effort level (the effort strategy)
    solution_budget: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    wait: int = 0
    wait_text: str = "Wait"
    final_answer_text: str = (
        "\nFinal Answer:"  # s1 after the end marker; e1/s1 after a cut response of a model without thinking
    )
    l1_template: str = "\n\nThink for {budget} tokens."
    fmt: ThinkingFormat = ThinkingFormat("prefill")
    top_k: int = 0  # 0: off
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    ignore_eos: bool = False
    min_tokens: int = 0

    def request(
        self,
        prompt,
        max_tokens: int,
        stop: tuple[str, ...] = (),
        thinking_budget: int | None = None,
        effort: str | None = None,
    ) -> GenRequest:
        return GenRequest(
            prompt,
            max_tokens,
            stop,
            self.temperature,
            self.top_p,
            self.seed,
            thinking_budget,
            self.top_k,
            self.min_p,
            self.repetition_penalty,
            self.presence_penalty,
            self.ignore_eos,
            self.min_tokens,
            effort,
        )


@dataclass(frozen=True)
class Call:
    """One engine call: the text the strategy appended before it, and what came back."""

    role: str
    prompt: str | tuple[int, ...]  # token ids where the strategy continued on ids (e1 with a one-token end marker)
    max_tokens: int
    stop: tuple[str, ...]
    output: str
    token_ids: tuple[int, ...]
    tokens: int
    finish_reason: str
    stop_string: str | None
    wall_s: float
    ttft_s: float | None
    error: str | None = None
    cached: bool = False
    tail_ids: tuple[int, ...] = ()
    derived_from: int | None = None  # the budget of the longer call this one was cut from
    modelled: bool = False  # wall_s is modelled from the longer call's decode speed, not measured
    counted_by: str = "engine"  # who counted `tokens`: engine (sampled ids) | server usage | local tokenizer
    prompt_tokens: int = 0  # as the engine (or the server's usage) counted them
    reasoning_tokens: int | None = None  # chat engines: usage.completion_tokens_details.reasoning_tokens
    local_tokens: int | None = None  # HTTP engines: the local tokenizer's count, beside the server's in `tokens`

    @property
    def sampled(self) -> int:
        return sampled_tokens(self)


@dataclass
class Trace:
    """A strategy's result: thinking and answer kept apart, with how thinking ended."""

    thinking: str = ""
    answer: str = ""
    thinking_closed: bool = True
    thinking_end: str = "none"  # natural | budget | eos | none (no thinking phase)
    hit_budget: bool = False  # the first call (thinking, or the whole response without thinking) was cut at the budget
    forced_text: str = ""
    continued_on: str | None = None  # how the solution call continued the thinking: tokens | text
    calls: list[Call] = field(default_factory=list)
    error: str | None = None
    thinking_source: str | None = None  # chat engines: reasoning_content | reasoning | think tags in content | hidden
    counts: tuple[int, int] | None = None  # (thinking, solution) tokens as the server counted them (chat engines)

    @property
    def wall_s(self) -> float:
        return sum(c.wall_s for c in self.calls)

    def tokens(self, role: str | None = None) -> int:
        """Tokens the engine generated (what budgets bound), for one call role or all."""
        return sum(c.tokens for c in self.calls if role is None or c.role == role)

    def part_tokens(self, count: Callable[[str], int]) -> tuple[int, int]:
        """(thinking, solution) tokens: multi-call strategies count their calls' generated ids (what budgets bound);
        single-call ones split their one response's count (`tokens()`, the total) at the end marker: `count` measures
        the thinking, the answer has the rest, so the parts add up to the total whoever counted it."""
        if self.counts is not None:
            return self.counts
        if any(c.role == "thinking" for c in self.calls):
            return self.tokens("thinking"), self.tokens("solution")
        total = self.tokens()
        thinking = (total if not self.answer else min(count(self.thinking), total)) if self.thinking else 0
        return thinking, total - thinking

    @property
    def ttft_s(self) -> float | None:
        return self.calls[0].ttft_s if self.calls else None


@dataclass(frozen=True)
class Continued:
    """A prompt that the model's own outputs and forced text extend, for a call that continues earlier ones. As token
    ids where the engine takes them: the prompt's ids, each call's sampled ids (the state it left; re-tokenizing its
    text can split it otherwise, as models emit non-canonical splits), forced text's ids. Else as text, which every
    engine continues alike. `on` says which, for the record."""

    text: str
    ids: tuple[int, ...] | None = None

    @staticmethod
    def of(engine: Engine, prompt: str) -> "Continued":
        ids = engine.prompt_ids(prompt) if engine.id_prompts else None
        return Continued(prompt, None if ids is None else tuple(ids))

    def plus(self, engine: Engine, output: "Call | None" = None, forced: str = "", fmt=None) -> "Continued":
        """This, then a call's output, then forced text; `fmt`: the end marker at the start of `forced` goes in as
        its one id where it is one token (as Elastic Reasoning's code appends it)."""
        text = self.text + (output.output if output else "") + forced
        if self.ids is None:
            return Continued(text)
        one = fmt is not None and fmt.close_token is not None and forced.startswith(fmt.close)
        rest = forced[len(fmt.close) :] if one else forced
        tail = ((fmt.close_token,) if one else ()) + (tuple(engine.tokenize(rest)) if rest else ())
        return Continued(text, self.ids + (output.token_ids if output else ()) + tail)

    @property
    def prompt(self) -> str | tuple[int, ...]:
        return self.text if self.ids is None else self.ids

    @property
    def on(self) -> str:
        return "text" if self.ids is None else "tokens"


PromptFn = Callable[[str], str]  # extra instruction appended to the question -> full prompt text


@dataclass
class Context:
    """What a strategy gets for one (sample, budget): engines by role, the prompt builder, the settings."""

    engines: dict[str, Engine]  # "model"; offload strategies also "large"
    prompt_for: PromptFn
    cfg: StrategyConfig
    offload: object | None = None  # OffloadConfig, for strategies that need a large model

    @property
    def engine(self) -> Engine:
        return self.engines["model"]


@dataclass(frozen=True)
class Strategy:
    """A registered strategy: one function from a context to a trace, the engine roles it needs, and how one long
    first call may serve a whole sweep (`reuse`), or why it may not (`no_reuse`)."""

    run: Callable[[Context], "Trace"]
    roles: tuple[str, ...] = ("model",)
    reuse: object | None = None  # strategies.reuse.Reusable
    no_reuse: str | None = None
    chat: bool = False  # sends chat messages: needs a chat engine (openai-chat), which takes no other strategy
    continues_chat: bool = False  # also runs over a chat engine that continues an assistant message (--continue-via)

    def __call__(self, ctx: Context) -> "Trace":
        return self.run(ctx)

    @property
    def offload(self) -> bool:
        return "large" in self.roles


STRATEGIES: Registry[Strategy] = Registry("strategy")


class EngineFailed(Exception):
    """An engine call failed; the sample becomes a failed record, never a wrong answer."""


def record(trace: Trace, role: str, req: GenRequest, res: GenResult, failure: str | None = None) -> GenResult:
    """Add one engine call to the trace; a failed call sets the trace's error ("<failure>: <reason>") and raises."""
    trace.calls.append(
        Call(
            role,
            req.prompt,
            req.max_tokens,
            req.stop,
            res.text,
            res.token_ids,
            res.completion_tokens,
            res.finish_reason,
            res.stop_string,
            res.wall_s,
            res.ttft_s,
            res.error,
            res.cached,
            res.tail_ids,
            counted_by=res.counted_by,
            prompt_tokens=res.prompt_tokens,
            reasoning_tokens=res.reasoning_tokens,
            local_tokens=res.local_tokens,
        )
    )
    if res.finish_reason == "error":
        trace.error = f"{failure or role + ' call failed'}: {res.error}"
        raise EngineFailed(trace.error)
    return res


def call(
    engine: Engine,
    trace: Trace,
    role: str,
    prompt,
    max_tokens: int,
    stop: tuple[str, ...],
    cfg: StrategyConfig,
    thinking_budget: int | None = None,
    failure: str | None = None,
    effort: str | None = None,
) -> GenResult:
    req = cfg.request(prompt, max_tokens, stop, thinking_budget, effort)
    return record(trace, role, req, engine.generate([req])[0], failure)


def think(engine: Engine, trace: Trace, prompt: str, max_tokens: int, cfg: StrategyConfig) -> tuple[str, str]:
    """One thinking call that stops at the end marker. Returns (text, how it ended)."""
    call(engine, trace, "thinking", prompt, max_tokens, cfg.fmt.stops, cfg)
    return trace.calls[-1].output, thinking_end(trace.calls[-1], cfg)


def thinking_end(c: Call, cfg: StrategyConfig) -> str:
    if c.stop_string is not None and c.stop_string == cfg.fmt.close:
        return "natural"
    return "budget" if c.finish_reason == "length" else "eos"


def split_single(trace: Trace, text: str, cfg: StrategyConfig, by_budget: bool | None = None) -> Trace:
    """Fill thinking/answer from one whole response, by the run's thinking format.
    The response was cut by the budget if `by_budget`, else it ended by itself (default: the last call's finish)."""
    if by_budget is None:
        by_budget = trace.calls[-1].finish_reason == "length"
    part = cfg.fmt.split(text, by_budget)
    trace.thinking, trace.answer, trace.thinking_closed, trace.thinking_end = (
        part.thinking,
        part.answer,
        part.closed,
        part.end,
    )
    trace.hit_budget = by_budget
    return trace


def from_chat(trace: Trace, res: GenResult, cut_thinking: bool = False) -> Trace:
    """Thinking and answer of one chat response, with who counted what. `cut_thinking`: the server ended thinking at
    a budget (the response cannot tell a forced close from a natural one, so the caller decides)."""
    trace.thinking, trace.answer, trace.thinking_source = res.reasoning or "", res.text, res.reasoning_source
    thought = res.reasoning_tokens or 0
    trace.counts = (thought, max(res.completion_tokens - thought, 0))
    cut = res.finish_reason == "length"
    trace.hit_budget = cut or cut_thinking
    if not trace.thinking and res.reasoning_source != "hidden":
        trace.thinking_end = "none"
    elif cut and not res.text:
        trace.thinking_end, trace.thinking_closed = "budget", False
    else:
        trace.thinking_end = "budget" if cut_thinking else "natural"
    return trace
