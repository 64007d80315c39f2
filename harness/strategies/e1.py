"""e1: Elastic Reasoning's separate budgets (t for thinking, s for the solution).

Call 1 thinks with max_tokens = t and stops at the end marker. If thinking did not end by itself, only the end
marker is appended (no extra words). Call 2 continues prompt + thinking + end marker with max_tokens = s: on token
ids (the prompt's ids, the sampled thinking ids, the end marker's ids) where the engine feeds exact ids, as Elastic
Reasoning's code does; else on the exact text. `Trace.continued_on` says
which. Either way the solution continues the thinking call's state on engines that keep it (llama.cpp: the KV cache
cut to the thinking's end, see docs/strategies.md; vLLM: prefix caching), the same on the reused and the
independent path.

A model without thinking (format `none`, or a `model`-format response that did not open thinking): a response that
ends within t is the answer, graded whole; one cut at t gets the final-answer cue and an answer within s.

Over a chat server (`openai-chat`, with `--continue-via`): the same two calls; the solution call sends the thinking
back as an assistant message (opener, thinking, end marker) that the server continues instead of answering. The
server re-renders that message with its template, so the continuation is on text (`continued_on` "chat message").
"""

from harness.engines.base import GenResult
from harness.strategies.base import (
    STRATEGIES,
    Context,
    Continued,
    Strategy,
    StrategyConfig,
    Trace,
    call,
    thinking_end,
)
from harness.strategies.reuse import Reusable


def continuation(engine, prompt: str, first, forced: str, cfg: StrategyConfig):
    """(prompt + the first call's sampled output + `forced` (the end marker, or the answer cue), how): on token ids
    where the engine takes them (`Continued`), the end marker as its one id; else on text."""
    c = Continued.of(engine, prompt).plus(engine, first, forced, cfg.fmt)
    return c.prompt, c.on


def finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    first = trace.calls[0]
    trace.hit_budget = first.finish_reason == "length"
    if not cfg.fmt.opened(first.output):  # no thinking phase: the response is the answer
        if not trace.hit_budget:
            trace.answer, trace.thinking_end = first.output, "none"
            return trace
        trace.thinking, trace.thinking_end, trace.forced_text = first.output, "budget", cfg.final_answer_text
        solution_prompt, trace.continued_on = continuation(engine, prompt, first, cfg.final_answer_text, cfg)
        # the cue is part of the answer the grader reads ("Final Answer: 18" is a final answer)
        trace.answer = (
            cfg.final_answer_text + call(engine, trace, "solution", solution_prompt, cfg.solution_budget, (), cfg).text
        )
        return trace
    trace.thinking, trace.thinking_end = cfg.fmt.strip_open(first.output), thinking_end(first, cfg)
    if trace.thinking_end != "natural":
        trace.forced_text = cfg.fmt.close
    solution_prompt, trace.continued_on = continuation(engine, prompt, first, cfg.fmt.close, cfg)
    trace.answer = call(engine, trace, "solution", solution_prompt, cfg.solution_budget, (), cfg).text
    return trace


def e1(ctx: Context) -> Trace:
    trace, prompt, cfg = Trace(), ctx.prompt_for(""), ctx.cfg
    res = call(ctx.engine, trace, "thinking", prompt, cfg.budget, cfg.fmt.stops, cfg)
    if ctx.engine.chat:
        return over_chat(ctx.engine, trace, prompt, res, cfg)
    return finish(ctx.engine, trace, prompt, cfg)


def chat_thinking(res: GenResult, fmt) -> tuple[str | None, str, str]:
    """(thinking, the assistant text that opened it, where it came from) of a chat thinking call; thinking None: the
    response has no thinking phase. The opener: the marker where the model wrote it (a parser or the harness took
    it off), the marker and a newline where the server's template wrote it (`--thinking template`)."""
    if res.reasoning_source in ("reasoning_content", "reasoning", "think tags in content"):
        return res.reasoning or "", fmt.open + ("\n" if fmt.mode == "template" else ""), res.reasoning_source
    stopped = res.stop_string is not None and res.stop_string == fmt.close
    if fmt.mode == "template" or (stopped and fmt.mode == "model"):  # the server returned the thinking as content
        return res.text, fmt.open + "\n", "content"
    return None, "", res.reasoning_source or "none"


def over_chat(engine, trace: Trace, prompt, res: GenResult, cfg: StrategyConfig) -> Trace:
    trace.hit_budget = res.finish_reason == "length"
    thinking, opener, trace.thinking_source = chat_thinking(res, cfg.fmt)
    if res.reasoning_source == "hidden":  # only a count comes back: an answer within t stands, a cut cannot go on
        if trace.hit_budget:
            trace.error = "e1 over chat: the server hides the thinking (it returns only a count), so a cut cannot go on"
        trace.answer, trace.thinking_end = res.text, "budget" if trace.hit_budget else "natural"
        return trace
    if thinking is None:  # no thinking phase: as over completions
        if not trace.hit_budget:
            trace.answer, trace.thinking_end = res.text, "none"
            return trace
        trace.thinking, trace.thinking_end, trace.forced_text = res.text, "budget", cfg.final_answer_text
        text = res.text + cfg.final_answer_text
        trace.answer = cfg.final_answer_text + solve(engine, trace, prompt.continued(text), cfg)
        return trace
    trace.thinking = thinking
    if trace.thinking_source != "content" and res.text:  # thinking closed, the answer came in the same call
        trace.thinking_end, trace.answer = "natural", res.text  # (a server whose stop check missed the marker)
        return trace
    trace.thinking_end = thinking_end(trace.calls[0], cfg)
    if trace.thinking_end != "natural":
        trace.forced_text = cfg.fmt.close
    trace.answer = solve(engine, trace, prompt.continued(opener + thinking + cfg.fmt.close), cfg)
    return trace


def solve(engine, trace: Trace, prompt, cfg: StrategyConfig) -> str:
    """The solution call over chat: all of it is answer, however a reasoning parser split it."""
    trace.continued_on = "chat message"
    res = call(engine, trace, "solution", prompt, cfg.solution_budget, (), cfg)
    return (res.reasoning or "") + res.text


STRATEGIES.add("e1", Strategy(e1, reuse=Reusable("thinking", lambda cfg: cfg.fmt.stops, finish), continues_chat=True))
