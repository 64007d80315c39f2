"""Metrics per task x strategy x budget, computed from records only."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from harness.records import SampleRecord, iter_jsonable

GROUP = ["task", "strategy", "budget"]


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (scipy's binomtest), (nan, nan) for n = 0."""
    if n == 0:
        return math.nan, math.nan
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def records_frame(records: list[SampleRecord]) -> pd.DataFrame:
    return pd.DataFrame(iter_jsonable(records))


def summarize(records: list[SampleRecord]) -> pd.DataFrame:
    """One row per task x strategy x budget. Failed samples are counted, never graded."""
    df = records_frame(records)
    rows = []
    for key, g in df.groupby(GROUP, sort=True):
        ok = g[g["status"] == "ok"]
        n = len(ok)
        k = int(ok["correct"].fillna(False).astype(bool).sum())
        lo, hi = wilson_interval(k, n)
        lat = ok["latency_s"].to_numpy(dtype=float)
        rows.append({
            **dict(zip(GROUP, key)),
            "solution_budget": int(g["solution_budget"].iloc[0]),
            "n": n,
            "n_failed": int((g["status"] == "failed").sum()),
            "accuracy": k / n if n else math.nan,
            "acc_ci_low": lo,
            "acc_ci_high": hi,
            **{f"{stat}_{part}_tokens": float(fn(ok[f"{part}_tokens"])) if n else math.nan
               for part in ("thinking", "solution", "total") for stat, fn in (("mean", np.mean), ("median", np.median))},
            "mean_latency_s": float(lat.mean()) if n else math.nan,
            "p50_latency_s": float(np.percentile(lat, 50)) if n else math.nan,
            "p90_latency_s": float(np.percentile(lat, 90)) if n else math.nan,
            "hit_budget_rate": float(ok["hit_budget"].mean()) if n else math.nan,
            "no_answer_rate": float(ok["extracted"].isna().mean()) if n else math.nan,
        })
    return pd.DataFrame(rows)


class AESUndefinedError(ValueError):
    """AES divides by the baseline's accuracy and length; it is undefined when either is zero."""


def aes(acc: float, length: float, base_acc: float, base_length: float, *, alpha: float = 1.0, beta: float = 3.0,
        gamma: float = 5.0, legacy: bool = False) -> float:
    """O1-Pruner's Accuracy-Efficiency Score.

    ΔLength = (L_base − L) / L_base and ΔAcc = (Acc − Acc_base) / Acc_base are relative, so accuracies may be
    fractions or percentages as long as both use the same unit. AES = α·ΔLength + β·|ΔAcc| when ΔAcc ≥ 0, and
    α·ΔLength − γ·|ΔAcc| when ΔAcc < 0. `legacy=True` reproduces the paper's Table 2, whose cells all use
    α·ΔLength + β·|ΔAcc| even where accuracy fell (the γ branch was not applied).
    """
    if base_acc == 0:
        raise AESUndefinedError("AES is undefined: the baseline's accuracy is 0 (ΔAcc divides by it); pick a baseline that solves something")
    if base_length == 0:
        raise AESUndefinedError("AES is undefined: the baseline's mean length is 0 tokens")
    d_len = (base_length - length) / base_length
    d_acc = (acc - base_acc) / base_acc
    if d_acc >= 0 or legacy:
        return alpha * d_len + beta * abs(d_acc)
    return alpha * d_len - gamma * abs(d_acc)
