"""plain: one call with max_tokens = the budget. Thinking cut at the budget leaves no answer."""

from harness.strategies.base import STRATEGIES, Context, Strategy, StrategyConfig, Trace, call, split_single
from harness.strategies.reuse import Reusable


def finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    return split_single(trace, trace.calls[0].output, cfg)


def plain(ctx: Context) -> Trace:
    trace = Trace()
    call(ctx.engine, trace, "response", ctx.prompt_for(""), ctx.cfg.budget, (), ctx.cfg)
    return finish(ctx.engine, trace, "", ctx.cfg)


STRATEGIES.add("plain", Strategy(plain, reuse=Reusable("response", lambda cfg: (), finish)))
