"""plain: one call with max_tokens = the budget. Thinking cut at the budget leaves no answer."""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, split_single
from harness.strategies.reuse import REUSABLE, Reusable


def finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    return split_single(trace, trace.calls[0].output, cfg)


@STRATEGIES.register("plain")
def plain(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    call(engine, trace, "response", prompt_for(""), cfg.budget, (), cfg)
    return finish(engine, trace, "", cfg)


REUSABLE.add("plain", Reusable("response", lambda cfg: (), finish))
