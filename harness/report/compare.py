"""Paired comparison of a run against a baseline: AES, bootstrap intervals, McNemar's exact test, the CI gate.

Reads records only. Samples pair by (task, sample_id, seed); each (task, strategy, budget) group of the run
is compared with the baseline's single configuration for that task.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from harness.budgets import Budget, order, ordered_frame, parse
from harness.errors import BadArgumentError, RecordsError
from harness.manifest import read_manifest_in
from harness.report.metrics import AESUndefinedError, aes
from harness.records import RECORDS_FILE, SampleRecord, read_records


@dataclass(frozen=True)
class Comparison:
    task: str
    strategy: str
    budget: Budget
    base_label: str
    n_pairs: int
    acc: float
    base_acc: float
    length: float
    base_length: float
    d_acc: float  # relative, as in AES
    d_acc_low: float
    d_acc_high: float
    d_length: float  # relative reduction (positive = shorter)
    d_length_low: float
    d_length_high: float
    aes: float
    aes_low: float
    aes_high: float
    aes_legacy: float
    token_efficiency: float
    mcnemar_p: float
    note: str = ""
    n_unpaired: int = 0  # run records of the group with no baseline record of the same (sample id, seed)


def load_run(path: str | Path) -> list[SampleRecord]:
    run = Path(path)
    if not run.is_dir():
        raise BadArgumentError(f"run folder {run} does not exist; pass the --output-path of a `harness run`")
    return [r for r in read_records(run / RECORDS_FILE) if r.status == "ok"]


NOT_CONFIG = {"strategy.budgets", "selection.shard"}  # pairing is per budget; a shard is part of one run


def config_diff(run_dir: str | Path, baseline: str | Path) -> list[str]:
    """The config fields (recorded in both manifests) whose values differ, as 'field: baseline -> run'."""
    a, b = read_manifest_in(Path(run_dir)), read_manifest_in(Path(baseline))
    if a is None or b is None:
        return []
    sa, sb = a.settings(), b.settings()
    keys = sorted((set(sa) & set(sb)) - NOT_CONFIG)
    return [f"{k}: {sb[k]!r} -> {sa[k]!r}" for k in keys if sa[k] != sb[k]]


def run_problems(
    run_dir: str | Path,
    baseline: str | Path | None,
    *,
    max_failed: float = 0.0,
    min_samples: int = 1,
    allow_diff: frozenset[str] = frozenset(),
) -> list[str]:
    """Why a run cannot pass a gate whatever its numbers: a side (the run, or the baseline) that did not finish or
    whose samples failed, too few samples, ungraded samples, another config. Each problem names its side."""
    records = read_records(Path(run_dir) / RECORDS_FILE)
    problems = []
    if len(records) < min_samples:
        problems.append(f"the run {run_dir} has {len(records)} record(s), fewer than --min-samples {min_samples}")
    problems += _side_problems("the run", run_dir, records, max_failed)
    if baseline is not None and Path(baseline).resolve() != Path(run_dir).resolve():
        problems += _side_problems("the baseline", baseline, read_records(Path(baseline) / RECORDS_FILE), max_failed)
    if baseline is not None:
        # "sampling.temperature: 0.0 -> 0.6" is allowed by "sampling.temperature" or "temperature"
        diff = [
            d
            for d in config_diff(run_dir, baseline)
            if not {d.split(":")[0], d.split(":")[0].split(".")[-1]} & allow_diff
        ]
        if diff:
            problems.append(
                f"the run's config differs from the baseline's ({'; '.join(diff)}); rerun with the baseline's "
                f"config, or pass --allow-config-diff {','.join(d.split(':')[0] for d in diff)} if intended"
            )
    return problems


def _side_problems(side: str, folder: str | Path, records: list[SampleRecord], max_failed: float) -> list[str]:
    """What makes one side of a comparison unfit to compare: unfinished, failed or ungraded samples."""
    problems = []
    manifest = read_manifest_in(Path(folder))
    if manifest is not None and manifest.finished is None:
        problems.append(
            f"{side} {folder} did not finish (its manifest has no finish time: killed or still running); "
            f"rerun its `harness run` command to complete it, then gate"
        )
    failed = [r for r in records if r.status == "failed"]
    if records and len(failed) / len(records) > max_failed:
        problems.append(
            f"{side} {folder} is broken: {len(failed)} of {len(records)} samples failed "
            f"({len(failed) / len(records):.0%}, more than --max-failed {max_failed:g}), e.g. {failed[0].error}; "
            f"fix the cause and rerun it to retry them"
        )
    ungraded = [r for r in records if r.verdict_reason == "grading_timeout"]
    if ungraded:
        problems.append(
            f"{side} {folder}: {len(ungraded)} of {len(records)} samples could not be graded (grading_timeout, "
            f"e.g. sample {ungraded[0].sample_id}); rerun the same `harness run` to grade them (calls come from "
            f"the cache)"
        )
    return problems


def pick_budget(records: list[SampleRecord], budget: str | int) -> list[SampleRecord]:
    levels = sorted({r.budget for r in records}, key=order)
    try:
        b = levels[-1] if str(budget) == "max" else parse(str(budget))
    except ValueError:
        raise BadArgumentError(f"--baseline-budget {budget!r}: pass a budget of the run ({levels}) or 'max'") from None
    if b not in levels:
        raise BadArgumentError(
            f"baseline budget {budget} is not in the run (budgets: {levels}); pass one of them or 'max'"
        )
    return [r for r in records if r.budget == b]


def _mcnemar(base: np.ndarray, run: np.ndarray) -> float:
    from scipy.stats import binomtest

    worse, better = int(np.sum(base & ~run)), int(np.sum(~base & run))
    return 1.0 if worse + better == 0 else float(binomtest(better, worse + better, 0.5).pvalue)


def _stats(acc_r, acc_b, len_r, len_b, weights, kw) -> tuple[float, float, float]:
    a, ab = np.average(acc_r, weights=weights), np.average(acc_b, weights=weights)
    ln, lb = np.average(len_r, weights=weights), np.average(len_b, weights=weights)
    d_acc = (a - ab) / ab if ab else math.nan
    d_len = (lb - ln) / lb if lb else math.nan
    try:
        score = aes(a, ln, ab, lb, **kw)
    except AESUndefinedError:
        score = math.nan
    return d_acc, d_len, score


def compare_pairs(
    run: list[SampleRecord],
    base: list[SampleRecord],
    *,
    resamples: int = 1000,
    seed: int = 0,
    alpha: float = 1.0,
    beta: float = 3.0,
    gamma: float = 5.0,
) -> list[Comparison]:
    base_by_task: dict[str, dict[tuple, SampleRecord]] = {}
    for r in base:
        base_by_task.setdefault(r.task, {})[(r.sample_id, r.seed)] = r
    missing = sorted({r.task for r in run} - set(base_by_task))
    if missing:
        raise BadArgumentError(
            f"the baseline has no records for task(s) {', '.join(missing)}; compare runs of the same tasks"
        )
    groups: dict[tuple, list[SampleRecord]] = {}
    for r in run:
        groups.setdefault((r.task, r.strategy, r.budget), []).append(r)
    rng = np.random.default_rng(seed)
    kw = dict(alpha=alpha, beta=beta, gamma=gamma)
    out = []
    for (task, strategy, budget), recs in sorted(groups.items(), key=lambda kv: (*kv[0][:2], order(kv[0][2]))):
        pairs = [
            (r, base_by_task[task][(r.sample_id, r.seed)]) for r in recs if (r.sample_id, r.seed) in base_by_task[task]
        ]
        if not pairs:
            raise BadArgumentError(
                f"task {task}: the run and the baseline share no samples (paired by sample id and seed)"
            )
        unpaired = len(recs) - len(pairs)
        acc_r = np.array([bool(r.correct) for r, _ in pairs])
        acc_b = np.array([bool(b.correct) for _, b in pairs])
        len_r = np.array([r.total_tokens for r, _ in pairs], dtype=float)
        len_b = np.array([b.total_tokens for _, b in pairs], dtype=float)
        n = len(pairs)
        d_acc, d_len, score = _stats(acc_r, acc_b, len_r, len_b, None, kw)
        counts = rng.multinomial(n, np.full(n, 1 / n), size=resamples)  # paired bootstrap over problems
        boot = np.array([_stats(acc_r, acc_b, len_r, len_b, c, kw) for c in counts])
        lo, hi = _interval(boot)
        base_first = pairs[0][1]
        note = "" if acc_b.any() else "AES undefined: baseline accuracy is 0"
        eff = float(np.mean(np.where(acc_r, len_b / np.maximum(len_r, 1), 0.0)))
        try:
            legacy = aes(acc_r.mean(), len_r.mean(), acc_b.mean(), len_b.mean(), legacy=True, **kw)
        except AESUndefinedError:
            legacy = math.nan
        out.append(
            Comparison(
                task,
                strategy,
                budget,
                f"{base_first.strategy}@{base_first.budget}",
                n,
                float(acc_r.mean()),
                float(acc_b.mean()),
                float(len_r.mean()),
                float(len_b.mean()),
                d_acc,
                lo[0],
                hi[0],
                d_len,
                lo[1],
                hi[1],
                score,
                lo[2],
                hi[2],
                legacy,
                eff,
                _mcnemar(acc_b, acc_r),
                note,
                unpaired,
            )
        )
    return out


def comparison_frame(rows: list[Comparison]) -> pd.DataFrame:
    df = ordered_frame(pd.DataFrame([asdict(r) for r in rows]))
    avg = df.groupby(["strategy", "budget"], as_index=False, observed=True).mean(numeric_only=True)
    avg.insert(0, "task", "Average")
    avg["base_label"], avg["note"] = df["base_label"].iloc[0], "mean over tasks"
    return pd.concat([df, avg[df.columns]], ignore_index=True)


@dataclass(frozen=True)
class Regression:
    task: str
    strategy: str
    budget: Budget
    metric: str
    change: float
    low: float
    high: float
    threshold: float

    def message(self) -> str:
        return (
            f"regression: {self.task} ({self.strategy}, budget {self.budget}) {self.metric} changed by "
            f"{self.change:+.3f} (95% CI {self.low:+.3f} to {self.high:+.3f}); threshold {self.threshold}"
        )


def _interval(boot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95% bootstrap interval of each statistic (column); NaN for one undefined in every resample (AES at a
    baseline accuracy of 0), without numpy's "All-NaN slice" warning."""
    lo, hi = np.full(boot.shape[1], np.nan), np.full(boot.shape[1], np.nan)
    defined = ~np.isnan(boot).all(axis=0)
    if defined.any():
        lo[defined] = np.nanpercentile(boot[:, defined], 2.5, axis=0)
        hi[defined] = np.nanpercentile(boot[:, defined], 97.5, axis=0)
    return lo, hi


def gate(
    rows: list[Comparison],
    *,
    max_acc_drop: float = 0.02,
    max_length_growth: float = 0.10,
    min_aes: float | None = None,
    alpha: float = 0.05,
) -> list[Regression]:
    """Regressions that are both beyond the threshold and significant at level alpha."""
    found = []
    for c in rows:
        drop = c.acc - c.base_acc  # absolute, in accuracy fraction
        if drop < -max_acc_drop and c.mcnemar_p < alpha:
            found.append(
                Regression(
                    c.task,
                    c.strategy,
                    c.budget,
                    "accuracy (absolute)",
                    drop,
                    c.d_acc_low * c.base_acc,
                    c.d_acc_high * c.base_acc,
                    -max_acc_drop,
                )
            )
        growth, g_low, g_high = -c.d_length, -c.d_length_high, -c.d_length_low
        if growth > max_length_growth and g_low > 0:
            found.append(
                Regression(
                    c.task,
                    c.strategy,
                    c.budget,
                    "mean length (relative growth)",
                    growth,
                    g_low,
                    g_high,
                    max_length_growth,
                )
            )
        if min_aes is not None and not math.isnan(c.aes) and c.aes < min_aes and c.aes_high < min_aes:
            found.append(Regression(c.task, c.strategy, c.budget, "AES", c.aes, c.aes_low, c.aes_high, min_aes))
    return found


def load_pair(run_dir: str, baseline: str | None, baseline_budget: str | None):
    run = load_run(run_dir)
    if baseline and baseline_budget is None:
        base = load_run(baseline)
        if len({r.budget for r in base}) > 1:
            raise BadArgumentError(f"baseline {baseline} has several budgets; pick one with --baseline-budget N or max")
        return run, base
    if baseline:
        return run, pick_budget(load_run(baseline), baseline_budget)
    if baseline_budget is None:
        raise BadArgumentError(
            "give a baseline: --baseline RUN_DIR or --baseline-budget N|max (a budget of the same run)"
        )
    if not run:
        raise RecordsError(f"{run_dir} has no successful records to compare")
    return run, pick_budget(run, baseline_budget)
