"""vllm-budget: vLLM's own `thinking_token_budget` sampling parameter, one call of up to t + s tokens.

A different protocol from e1: vLLM forces only the end-of-thinking token when thinking reaches t (it counts
thinking already in the prompt), and the answer follows in the same call. Needs an engine with a native
thinking budget (vLLM offline, or `vllm serve` through the HTTP engine with a reasoning parser configured).
"""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, split_single


@STRATEGIES.register("vllm-budget")
def vllm_budget(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    res = call(engine, trace, "response", prompt_for(""), cfg.budget + cfg.solution_budget, (), cfg, thinking_budget=cfg.budget)
    return split_single(trace, res.text, cfg)
