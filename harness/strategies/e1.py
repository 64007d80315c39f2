"""e1: Elastic Reasoning's separate budgets (t for thinking, s for the solution).

Call 1 thinks with max_tokens = t and stops at the end marker. If thinking did not end by itself,
only the end marker is appended (no extra words). Call 2 continues the exact text
prompt + thinking + end marker with max_tokens = s.
"""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, thinking_end
from harness.strategies.reuse import REUSABLE, Reusable


def finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    trace.thinking, trace.thinking_end = trace.calls[0].output, thinking_end(trace.calls[0], cfg)
    if trace.thinking_end != "natural":
        trace.forced_text = cfg.think_close
    res = call(engine, trace, "solution", prompt + trace.thinking + cfg.think_close, cfg.solution_budget, (), cfg)
    trace.answer = res.text
    return trace


@STRATEGIES.register("e1")
def e1(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    prompt = prompt_for("")
    call(engine, trace, "thinking", prompt, cfg.budget, (cfg.think_close,), cfg)
    return finish(engine, trace, prompt, cfg)


REUSABLE.add("e1", Reusable("thinking", lambda cfg: (cfg.think_close,), finish))
