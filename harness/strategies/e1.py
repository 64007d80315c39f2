"""e1: Elastic Reasoning's separate budgets (t for thinking, s for the solution).

Call 1 thinks with max_tokens = t and stops at the end marker. If thinking did not end by itself,
only the end marker is appended (no extra words). Call 2 continues the exact text
prompt + thinking + end marker with max_tokens = s.
"""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, think


@STRATEGIES.register("e1")
def e1(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    prompt = prompt_for("")
    trace.thinking, trace.thinking_end = think(engine, trace, prompt, cfg.budget, cfg)
    if trace.thinking_end != "natural":
        trace.forced_text = cfg.think_close
    res = call(engine, trace, "solution", prompt + trace.thinking + cfg.think_close, cfg.solution_budget, (), cfg)
    trace.answer = res.text
    return trace
