"""l1: prompted budget. The question gains "Think for N tokens."; one call of up to t + s tokens."""

from harness.strategies.base import STRATEGIES, Context, Strategy, Trace, call, split_single


def l1(ctx: Context) -> Trace:
    trace, cfg = Trace(), ctx.cfg
    prompt = ctx.prompt_for(cfg.l1_template.format(budget=cfg.budget))
    res = call(ctx.engine, trace, "response", prompt, cfg.budget + cfg.solution_budget, (), cfg)
    return split_single(trace, res.text, cfg)


STRATEGIES.add(
    "l1", Strategy(l1, no_reuse="l1 writes the budget into the prompt, so every budget has a different prompt")
)
