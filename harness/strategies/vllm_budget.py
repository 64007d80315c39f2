"""vllm-budget: vLLM's own `thinking_token_budget` sampling parameter, one call of up to t + s tokens.

A different protocol from e1: vLLM forces only the end-of-thinking marker when thinking reaches t (it counts
thinking already in the prompt), and the answer follows in the same call. Needs an engine with a native
thinking budget: vLLM offline (the engine builds vLLM's `ReasoningConfig` from the thinking markers), or
`vllm serve --reasoning-config '{"reasoning_start_str": "<think>", "reasoning_end_str": "</think>"}'` through
the HTTP engine. A close that vLLM forced at t is recorded as thinking ended by the budget (forced_text), since the
response alone cannot tell it from a natural close.
"""

from harness.strategies.base import STRATEGIES, Context, Strategy, Trace, call, split_single


def vllm_budget(ctx: Context) -> Trace:
    trace, cfg = Trace(), ctx.cfg
    res = call(
        ctx.engine,
        trace,
        "response",
        ctx.prompt_for(""),
        cfg.budget + cfg.solution_budget,
        (),
        cfg,
        thinking_budget=cfg.budget,
    )
    split_single(trace, res.text, cfg)
    if (
        trace.thinking_closed
        and trace.thinking_end == "natural"
        and ctx.engine.count_tokens(trace.thinking) >= cfg.budget
    ):
        trace.thinking_end, trace.forced_text, trace.hit_budget = "budget", cfg.fmt.close, True
    return trace


STRATEGIES.add(
    "vllm-budget",
    Strategy(vllm_budget, no_reuse="vLLM forces the end of thinking inside the call, so each budget is its own call"),
)
