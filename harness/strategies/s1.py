"""s1: budget forcing. At the budget, append the end marker and "Final Answer:" and let the model answer.

With wait=N, each time the model ends thinking early (budget left), the end is replaced by "Wait"
and thinking goes on, at most N times.
"""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, think, thinking_end
from harness.strategies.reuse import REUSABLE, Reusable


def answer(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    """The forced ending and the solution call, once thinking and how it ended are in the trace."""
    natural = trace.thinking_end == "natural"
    forced = cfg.think_close if natural else cfg.think_close + cfg.final_answer_text
    trace.forced_text = forced[len(cfg.think_close):] if natural else forced
    res = call(engine, trace, "solution", prompt + trace.thinking + forced, cfg.solution_budget, (), cfg)
    trace.answer = res.text
    return trace


@STRATEGIES.register("s1")
def s1(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    prompt = prompt_for("")
    thinking, used, waits = "", 0, 0
    while True:
        text, end = think(engine, trace, prompt + thinking, cfg.budget - used, cfg)
        thinking += text
        used += trace.calls[-1].tokens
        if end == "natural" and waits < cfg.wait and used < cfg.budget:
            thinking += cfg.wait_text
            waits += 1
            continue
        break
    trace.thinking, trace.thinking_end = thinking, end
    return answer(engine, trace, prompt, cfg)


def _finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    trace.thinking, trace.thinking_end = trace.calls[0].output, thinking_end(trace.calls[0], cfg)
    return answer(engine, trace, prompt, cfg)


REUSABLE.add("s1", Reusable("thinking", lambda cfg: (cfg.think_close,), _finish,
                            lambda cfg: "s1 with --wait replaces early ends with 'Wait', so thinking depends on the budget"
                            if cfg.wait else None))
