"""vllm-budget: vLLM's own `thinking_token_budget` sampling parameter, one call of up to t + s tokens.

A different protocol from e1: vLLM forces only the end-of-thinking token when thinking reaches t (it counts
thinking already in the prompt), and the answer follows in the same call. Needs an engine with a native
thinking budget (vLLM offline, or `vllm serve` through the HTTP engine with a reasoning parser configured).
"""
from harness.strategies.base import STRATEGIES, Context, Strategy, Trace, call, split_single


def vllm_budget(ctx: Context) -> Trace:
    trace, cfg = Trace(), ctx.cfg
    res = call(ctx.engine, trace, "response", ctx.prompt_for(""), cfg.budget + cfg.solution_budget, (), cfg,
               thinking_budget=cfg.budget)
    return split_single(trace, res.text, cfg)


STRATEGIES.add("vllm-budget", Strategy(
    vllm_budget, no_reuse="vLLM forces the end of thinking inside the call, so each budget is its own call"))
