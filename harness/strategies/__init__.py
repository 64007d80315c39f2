"""Strategies, registered by name: plain, e1, s1, l1."""
from harness.strategies import e1, l1, plain, s1  # noqa: F401  (registration)
from harness.strategies.base import STRATEGIES, Call, EngineFailed, StrategyConfig, Trace

__all__ = ["STRATEGIES", "Call", "EngineFailed", "StrategyConfig", "Trace"]
