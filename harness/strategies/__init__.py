"""Strategies, registered by name in one registry (offload ones need a "large" engine too); `reuse.sweep` serves
every budget from one long call."""

from harness.strategies import e1, l1, offload, plain, s1, vllm_budget  # noqa: F401  (registration)
from harness.strategies.base import STRATEGIES, Call, Context, EngineFailed, Strategy, StrategyConfig, Trace
from harness.strategies.reuse import refusal, sweep

__all__ = ["STRATEGIES", "Call", "Context", "EngineFailed", "Strategy", "StrategyConfig", "Trace", "refusal", "sweep"]
