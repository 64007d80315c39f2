"""s1: budget forcing. At the budget, append the end marker and "Final Answer:" and let the model answer.

With wait=N, each time the model ends thinking early (budget left), the end is replaced by "Wait"
and thinking goes on, at most N times.
"""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, think


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
    forced = cfg.think_close if end == "natural" else cfg.think_close + cfg.final_answer_text
    trace.forced_text = forced[len(cfg.think_close):] if end == "natural" else forced
    res = call(engine, trace, "solution", prompt + thinking + forced, cfg.solution_budget, (), cfg)
    trace.answer = res.text
    return trace
