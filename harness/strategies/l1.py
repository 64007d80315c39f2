"""l1: prompted budget. The question gains "Think for N tokens."; one call of up to t + s tokens."""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, split_single


@STRATEGIES.register("l1")
def l1(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    prompt = prompt_for(cfg.l1_template.format(budget=cfg.budget))
    res = call(engine, trace, "response", prompt, cfg.budget + cfg.solution_budget, (), cfg)
    return split_single(trace, res.text, cfg)
