"""Metrics per task x strategy x budget, computed from records only."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd

from harness import budgets

from harness.records import SampleRecord, iter_jsonable

GROUP = ["task", "strategy", "budget"]


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion, without continuity correction (as scipy's binomtest gives it, without
    its second of import time in every report), (nan, nan) for n = 0."""
    if n == 0:
        return math.nan, math.nan
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    p, z2 = k / n, z * z
    center, half = (p + z2 / (2 * n)) / (1 + z2 / n), z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (0.0 if k == 0 else center - half), (1.0 if k == n else center + half)  # exact at the ends, as scipy's


def records_frame(records: list[SampleRecord]) -> pd.DataFrame:
    return pd.DataFrame(iter_jsonable(records))


def summarize(records: list[SampleRecord], offload: bool = False) -> pd.DataFrame:
    """One row per task x strategy x budget (x target offload ratio for offload runs, as their manifest's kind
    says). Failed samples are counted, never graded; so are samples whose grading timed out (n_grading_timeout)."""
    df = records_frame(records)
    group = GROUP + ["offload_ratio"] if offload else GROUP
    rows = []
    for key, g in df.groupby(group, sort=True, dropna=False):
        ok = g[g["status"] == "ok"]
        n = len(ok)
        timeouts = int((ok["verdict_reason"] == "grading_timeout").sum()) if "verdict_reason" in ok else 0
        k = int(ok["correct"].fillna(False).astype(bool).sum())
        lo, hi = wilson_interval(k, n - timeouts)  # a grading that timed out is no verdict: left out, counted
        lat = ok["latency_s"].to_numpy(dtype=float)
        rows.append(
            {
                **dict(zip(group, key)),
                "solution_budget": int(g["solution_budget"].iloc[0]),
                "n": n,
                "n_failed": int((g["status"] == "failed").sum()),
                "n_grading_timeout": timeouts,
                "accuracy": k / (n - timeouts) if n - timeouts else math.nan,
                "acc_ci_low": lo,
                "acc_ci_high": hi,
                **{
                    f"{stat}_{part}_tokens": float(fn(ok[f"{part}_tokens"])) if n else math.nan
                    for part in ("thinking", "solution", "total")
                    for stat, fn in (("mean", np.mean), ("median", np.median))
                },
                "mean_latency_s": float(lat.mean()) if n else math.nan,
                "p50_latency_s": float(np.percentile(lat, 50)) if n else math.nan,
                "p90_latency_s": float(np.percentile(lat, 90)) if n else math.nan,
                "hit_budget_rate": float(ok["hit_budget"].mean()) if n else math.nan,
                "no_answer_rate": float(ok["extracted"].isna().mean()) if n else math.nan,
                "latency_modelled_rate": float(ok["latency_modelled"].mean())
                if n and "latency_modelled" in ok
                else 0.0,
                **(_offload_columns(ok) if offload else {}),
            }
        )
    return budgets.ordered_frame(pd.DataFrame(rows))


def _offload_columns(ok: pd.DataFrame) -> dict:
    """Per offload-ratio row: tokens per model, measured ratio, hand-overs, measured and modelled latency."""

    def mean(col):
        return float(ok[col].mean()) if len(ok) and col in ok else math.nan

    return {
        "mean_small_tokens": mean("offload_small_tokens"),
        "mean_large_tokens": mean("offload_large_tokens"),
        "mean_probe_tokens": mean("offload_probe_tokens"),
        "ratio_tokens_mean": mean("offload_ratio_tokens"),
        "ratio_tokens_median": float(ok["offload_ratio_tokens"].median())
        if len(ok) and "offload_ratio_tokens" in ok
        else math.nan,
        "ratio_chars_mean": mean("offload_ratio_chars"),
        "mean_handovers": mean("offload_handovers"),
        "mean_small_wall_s": mean("offload_small_wall_s"),
        "mean_large_wall_s": mean("offload_large_wall_s"),
        "mean_modelled_sequential_s": mean("offload_modelled_sequential_s"),
        "mean_modelled_pipelined_s": mean("offload_modelled_pipelined_s"),
        "mean_modelled_large_alone_s": mean("offload_modelled_large_alone_s"),
    }


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem, 1 - C(n-c, k)/C(n, k), computed stably as LiveCodeBench does."""
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def code_summary(records: list[SampleRecord], ks: list[int]) -> pd.DataFrame:
    """pass@k (averaged over problems) and verdict counts per task x strategy x budget, overall and per difficulty.
    `tests` says whether only public tests were run (then pass rates are optimistic)."""
    ok = [r for r in records if r.status == "ok" and r.answer_type == "code"]
    if not ok:
        return pd.DataFrame()
    from harness.livecodebench import CodeGold
    from harness.scoring.code import VERDICTS

    df = pd.DataFrame(
        [
            {
                "task": r.task,
                "strategy": r.strategy,
                "budget": r.budget,
                "difficulty": r.difficulty or "-",
                "sample_id": r.sample_id,
                "passed": bool(r.correct),
                "verdict": r.verdict or r.verdict_reason or "no_code",
                "public_only": CodeGold.loads(r.gold).public_only,
            }
            for r in ok
        ]
    )
    rows = []
    for key, g in df.groupby(GROUP, sort=True):
        for diff, h in [("all", g)] + sorted(g.groupby("difficulty")):
            per = h.groupby("sample_id")["passed"].agg(["count", "sum"])
            row = {
                **dict(zip(GROUP, key)),
                "difficulty": diff,
                "problems": len(per),
                "generations": len(h),
                "tests": "public only" if h["public_only"].all() else "public + private",
            }
            for k in ks:
                vals = [pass_at_k(int(n), int(c), k) for n, c in zip(per["count"], per["sum"]) if n >= k]
                row[f"pass@{k}"] = float(np.mean(vals)) if vals else math.nan
            counts = h["verdict"].value_counts()
            row.update({f"n_{v}": int(counts.get(v, 0)) for v in VERDICTS})
            rows.append(row)
    return pd.DataFrame(rows)


class AESUndefinedError(ValueError):
    """AES divides by the baseline's accuracy and length; it is undefined when either is zero."""


def aes(
    acc: float,
    length: float,
    base_acc: float,
    base_length: float,
    *,
    alpha: float = 1.0,
    beta: float = 3.0,
    gamma: float = 5.0,
    legacy: bool = False,
) -> float:
    """O1-Pruner's Accuracy-Efficiency Score.

    ΔLength = (L_base − L) / L_base and ΔAcc = (Acc − Acc_base) / Acc_base are relative, so accuracies may be
    fractions or percentages as long as both use the same unit. AES = α·ΔLength + β·|ΔAcc| when ΔAcc ≥ 0, and
    α·ΔLength − γ·|ΔAcc| when ΔAcc < 0. `legacy=True` reproduces the paper's Table 2, whose cells all use
    α·ΔLength + β·|ΔAcc| even where accuracy fell (the γ branch was not applied).
    """
    if base_acc == 0:
        raise AESUndefinedError(
            "AES is undefined: the baseline's accuracy is 0 (ΔAcc divides by it); pick a baseline that solves something"
        )
    if base_length == 0:
        raise AESUndefinedError("AES is undefined: the baseline's mean length is 0 tokens")
    d_len = (base_length - length) / base_length
    d_acc = (acc - base_acc) / base_acc
    if d_acc >= 0 or legacy:
        return alpha * d_len + beta * abs(d_acc)
    return alpha * d_len - gamma * abs(d_acc)
