"""plain: one call with max_tokens = the budget. Thinking cut at the budget leaves no answer."""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, split_single


@STRATEGIES.register("plain")
def plain(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    res = call(engine, trace, "response", prompt_for(""), cfg.budget, (), cfg)
    return split_single(trace, res.text, cfg)
