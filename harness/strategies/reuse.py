"""One long first call serves every budget of a sweep, for strategies whose text before the cut is the same.

For e1 (thinking stops at t), plain (the response stops at t) and s1 without "Wait", the first call at
budget t is exactly the first t sampled tokens of the same call at a larger budget, with the same
prompt and seed. So the first call runs once at the largest budget; each budget t cuts its token ids
at t (a natural end, or end-of-sequence, sampled within t tokens is kept) and runs only its own
finishing call. Not valid, so refused: s1 with `wait` > 0 (the "Wait" appends depend on where thinking
ended) and l1 (the prompt names the budget).

A cut call's wall time cannot be measured: it is modelled as the long call's time to first token plus
its measured per-token decode time for each further token, and marked `modelled`.

On an engine that keeps many calls in flight (vLLM, HTTP servers) the budgets' finishing calls are made at once, so
they share the engine's batches; on llama.cpp they run in order.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

from harness.engines.base import Engine
from harness.strategies.base import Call, Context, EngineFailed, StrategyConfig, Trace, call

Finish = Callable[[Engine, Trace, str, StrategyConfig], Trace]


@dataclass(frozen=True)
class Reusable:
    role: str  # the first call's role
    stops: Callable[[StrategyConfig], tuple[str, ...]]
    finish: Finish  # completes a trace whose first call is in place
    valid: Callable[[StrategyConfig], str | None] = lambda cfg: None  # a reason reuse is invalid, or None


def refusal(strategy, cfg: StrategyConfig) -> str | None:
    """Why this registered strategy cannot share one long call across budgets, or None when it can."""
    if strategy.reuse is None:
        return strategy.no_reuse or "it has no reuse rule; its text before the cut may depend on the budget"
    return strategy.reuse.valid(cfg)


def cut(engine: Engine, long: Call, budget: int, long_budget: int) -> Call:
    """The call budget `budget` would have made: the long call's first `budget` sampled tokens."""
    if long.sampled <= budget:
        return dataclasses.replace(long, max_tokens=budget, derived_from=long_budget if budget < long_budget else None)
    sequence = long.token_ids + long.tail_ids
    ids = tuple(sequence[:budget])
    per_token = (long.wall_s - (long.ttft_s or 0.0)) / max(1, long.sampled - 1)
    wall = (long.ttft_s or 0.0) + per_token * (budget - 1)
    return dataclasses.replace(
        long,
        max_tokens=budget,
        output=engine.detokenize(ids),
        token_ids=ids,
        tokens=len(ids),
        finish_reason="length",
        stop_string=None,
        tail_ids=(),
        wall_s=wall,
        derived_from=long_budget,
        modelled=True,
    )


def sweep(strategy, ctx: Context, budgets: list[int]) -> Iterator[tuple[int, Trace]]:
    """(budget, trace) for each budget, as each finishes, from one first call at ctx.cfg.budget (the largest)."""
    rule, engine, cfg = strategy.reuse, ctx.engine, ctx.cfg
    prompt = ctx.prompt_for("")
    long = Trace()
    try:
        call(engine, long, rule.role, prompt, cfg.budget, rule.stops(cfg), cfg)
    except EngineFailed:
        yield from ((b, Trace(calls=list(long.calls), error=long.error)) for b in budgets)
        return

    def one(b: int) -> tuple[int, Trace]:
        trace = Trace(calls=[cut(engine, long.calls[0], b, cfg.budget)])
        try:
            rule.finish(engine, trace, prompt, dataclasses.replace(cfg, budget=b))
        except EngineFailed:
            pass  # the trace carries the error
        return b, trace

    if engine.max_in_flight <= 1 or len(budgets) <= 1:  # llama.cpp: in order, each restoring the long call's state
        yield from map(one, budgets)
        return
    with ThreadPoolExecutor(len(budgets)) as ex:  # engines that batch: every budget's finishing call in flight at once
        yield from ex.map(one, budgets)
