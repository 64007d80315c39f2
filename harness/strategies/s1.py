"""s1: budget forcing. At the budget, append the end marker and "Final Answer:" and let the model answer.

With wait=N, each time the model ends thinking early (budget left), the end is replaced by "Wait" and thinking goes
on, at most N times. Every call after the first continues the ones before on token ids where the engine takes them
(the sampled ids, then "Wait" or the forced ending), else on text (`continued_on`). A model without thinking is
treated as in e1: a response that ends within the budget is the answer; one cut at the budget gets "Final Answer:"
and an answer within s.
"""

from harness.strategies.base import (
    STRATEGIES,
    Context,
    Continued,
    Strategy,
    StrategyConfig,
    Trace,
    call,
    think,
    thinking_end,
)
from harness.strategies.e1 import finish as e1_finish
from harness.strategies.reuse import Reusable


def answer(engine, trace: Trace, sofar: Continued, cfg: StrategyConfig) -> Trace:
    """The forced ending and the solution call, once thinking (`sofar`: the prompt and the thinking as generated)
    and how it ended are known."""
    close = cfg.fmt.close
    natural = trace.thinking_end == "natural"
    forced = close if natural else close + cfg.final_answer_text
    trace.forced_text = forced[len(close) :] if natural else forced
    go = sofar.plus(engine, forced=forced, fmt=cfg.fmt)
    res = call(engine, trace, "solution", go.prompt, cfg.solution_budget, (), cfg)
    # a forced "Final Answer:" is part of the answer the grader reads
    trace.answer, trace.continued_on = forced[len(close) :] + res.text, go.on
    return trace


def s1(ctx: Context) -> Trace:
    engine, cfg, trace = ctx.engine, ctx.cfg, Trace()
    prompt = ctx.prompt_for("")
    text, end = think(engine, trace, prompt, cfg.budget, cfg)
    if not cfg.fmt.opened(text):
        return e1_finish(engine, trace, prompt, cfg)
    sofar = Continued.of(engine, prompt).plus(engine, trace.calls[-1])
    raw, used, waits = text, trace.calls[-1].tokens, 0
    while end == "natural" and waits < cfg.wait and used < cfg.budget:
        raw += cfg.wait_text
        sofar = sofar.plus(engine, forced=cfg.wait_text)
        waits += 1
        text, end = think(engine, trace, sofar.prompt, cfg.budget - used, cfg)
        sofar = sofar.plus(engine, trace.calls[-1])
        raw += text
        used += trace.calls[-1].tokens
    trace.thinking, trace.thinking_end = cfg.fmt.strip_open(raw), end
    trace.hit_budget = end == "budget"
    return answer(engine, trace, sofar, cfg)


def _finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    first = trace.calls[0]
    if not cfg.fmt.opened(first.output):
        return e1_finish(engine, trace, prompt, cfg)
    trace.thinking, trace.thinking_end = cfg.fmt.strip_open(first.output), thinking_end(first, cfg)
    trace.hit_budget = trace.thinking_end == "budget"
    return answer(engine, trace, Continued.of(engine, prompt).plus(engine, first), cfg)


STRATEGIES.add(
    "s1",
    Strategy(
        s1,
        reuse=Reusable(
            "thinking",
            lambda cfg: cfg.fmt.stops,
            _finish,
            lambda cfg: (
                "s1 with --wait replaces early ends with 'Wait', so thinking depends on the budget"
                if cfg.wait
                else None
            ),
        ),
    ),
)
