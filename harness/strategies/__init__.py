"""Strategies, registered by name: plain, e1, s1, l1. `reuse.sweep` serves every budget from one long call."""
from harness.strategies import e1, l1, plain, s1, vllm_budget  # noqa: F401  (registration)
from harness.strategies.base import STRATEGIES, Call, EngineFailed, StrategyConfig, Trace
from harness.strategies.reuse import REUSABLE, refusal, sweep

__all__ = ["REUSABLE", "STRATEGIES", "Call", "EngineFailed", "StrategyConfig", "Trace", "refusal", "sweep"]
