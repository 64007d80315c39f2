"""Budgets: token counts (64, 128, ...) or reasoning-effort words (low, medium, high), in one order.

A sweep's budgets are all numbers or all words. Words are the levels of the `effort` strategy (OpenAI's
`reasoning_effort`, gpt-oss's "Reasoning: low" system line); they sort by level, not alphabetically, everywhere a
run's budgets are ordered: the config, summaries, plots (ordered categories), compare's "max" and the gate.
"""

from __future__ import annotations

Budget = int | str
MAX_BUDGET = 100_000_000  # tokens: beyond any model's context, and far inside the 64-bit columns of summaries
EFFORTS = ("none", "minimal", "low", "medium", "high")  # reasoning_effort levels, weakest first


def order(b: Budget) -> tuple[int, int]:
    """Sort key: numbers by value, effort words by level."""
    if isinstance(b, str):
        if b not in EFFORTS:
            raise ValueError(
                f"budget {b!r}: budgets must be positive integers (e.g. 64,128) or effort levels ({', '.join(EFFORTS)})"
            )
        return 1, EFFORTS.index(b)
    return 0, b


def parse(text: str) -> Budget:
    """'128' -> 128, 'low' -> 'low'; anything else raises ValueError naming the accepted forms."""
    t = text.strip()
    if t.lstrip("-").isdigit():
        return _in_range(int(t))
    order(t.lower())
    return t.lower()


def _in_range(b: int) -> int:
    if b > MAX_BUDGET:
        raise ValueError(
            f"budget {b} is beyond any model's context; budgets are token counts up to {MAX_BUDGET:,} (e.g. 64,128)"
        )
    return b


def check(budgets: list[Budget], words_allowed: bool) -> list[Budget]:
    """Sorted, deduplicated budgets; numbers positive and at most MAX_BUDGET; words only where the strategy takes
    effort levels."""
    for b in budgets:
        if isinstance(b, int):
            _in_range(b)
    words = [b for b in budgets if isinstance(b, str)]
    if not budgets or any(isinstance(b, int) and b <= 0 for b in budgets):
        raise ValueError(f"--budgets must be positive integers (e.g. 64,128,256) or effort levels, got {budgets}")
    for b in words:
        order(b)
    if words and not words_allowed:
        raise ValueError(
            f"budgets {words} are effort levels, which only --strategy effort takes; pass token counts (e.g. 64,128)"
        )
    if words and len(words) != len(budgets):
        raise ValueError(f"budgets {budgets} mix numbers and effort levels; a sweep walks one or the other")
    return sorted(set(budgets), key=order)


def largest(budgets) -> Budget:
    return max(budgets, key=order)


def is_numeric(budgets) -> bool:
    return all(not isinstance(b, str) for b in budgets)


def ordered_frame(df):
    """A frame with a `budget` column of effort words: that column as an ordered categorical (low < medium < high),
    rows sorted by task, strategy and budget, so tables, plots and `max` follow the levels, not the alphabet."""
    import pandas as pd

    if "budget" not in df or not len(df) or is_numeric(df["budget"]):
        return df
    levels = sorted(set(df["budget"]), key=order)
    df = df.assign(budget=pd.Categorical(list(df["budget"]), categories=levels, ordered=True))
    return df.sort_values([c for c in ("task", "strategy", "budget") if c in df], kind="stable").reset_index(drop=True)


def positions(values) -> tuple[list, bool]:
    """x values for a plot over budgets: the numbers themselves (log axis), or each level's rank (category axis)."""
    values = list(values)
    if is_numeric(values):
        return values, True
    return [order(v)[1] for v in values], False
