"""Strategies, registered by name in one registry (offload ones need a "large" engine too); `reuse.sweep` serves
every budget from one long call."""

from harness.strategies import e1, effort, l1, offload, plain, s1, server_budget, vllm_budget  # noqa: F401
from harness.strategies.base import STRATEGIES, Call, Context, EngineFailed, Strategy, StrategyConfig, Trace
from harness.strategies.reuse import refusal, sweep

__all__ = ["STRATEGIES", "Call", "Context", "EngineFailed", "Strategy", "StrategyConfig", "Trace", "refusal", "sweep"]
