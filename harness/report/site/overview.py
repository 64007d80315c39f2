"""The overview's rows: one per run and strategy, a cell per task at the run's largest budget, AES at the run's most
efficient budget against a reference (a baseline run's largest budget, or the run's own), and marks on cells
measured on other samples than the task's other runs."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from harness import budgets
from harness.report.leaderboard import RunSummary
from harness.report.metrics import AESUndefinedError, aes


@dataclass
class Cell:
    """One task of one run at the run's largest budget."""

    task: str
    budget: int | str
    accuracy: float
    low: float
    high: float
    n: int
    tokens: float
    samples: frozenset
    differs: str = ""  # why this cell is not measured on the same samples as its task's other runs


@dataclass
class OverviewRow:
    run_id: str
    name: str
    model: str
    strategy: str
    cells: dict[str, Cell]
    baseline: bool = False
    aes: float = math.nan
    aes_budget: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(c.n for c in self.cells.values())

    @property
    def tokens(self) -> float:
        """Mean generated tokens per sample over the row's tasks (each task weighted by its samples)."""
        n = self.n
        return sum(c.tokens * c.n for c in self.cells.values() if c.n) / n if n else math.nan


def _order(g: pd.DataFrame, i) -> tuple:
    """A row's place among its run's points: the budget, then (offload runs) the offload ratio."""
    ratio = g.at[i, "offload_ratio"] if "offload_ratio" in g else None
    return budgets.order(g.at[i, "budget"]), -1.0 if ratio is None or pd.isna(ratio) else float(ratio)


def _largest(g: pd.DataFrame) -> pd.Series:
    """The row at the largest budget (offload runs: at its largest offload ratio)."""
    return g.loc[max(g.index, key=lambda i: _order(g, i))]


def _label(key: tuple) -> str:
    """A point's name: its budget, and its offload ratio where the run sweeps one."""
    budget, ratio = (*key, None)[:2]
    return str(budget) if ratio is None or pd.isna(ratio) else f"{budget}, p={ratio:g}"


def rows(runs: list[RunSummary], ids: list[str], names: list[str], baseline: int | None) -> list[OverviewRow]:
    out = []
    for i, (run, run_id, name) in enumerate(zip(runs, ids, names)):
        for strategy, g in run.summary.groupby("strategy", sort=True):
            cells = {}
            for task, t in g.groupby("task", sort=True):
                top = _largest(t)
                cells[task] = Cell(
                    task,
                    top["budget"],
                    float(top["accuracy"]),
                    float(top["acc_ci_low"]),
                    float(top["acc_ci_high"]),
                    int(top["n"]),
                    float(top["mean_total_tokens"]),
                    run.samples.get((task, strategy, top["budget"]), frozenset()),
                )
            out.append(OverviewRow(run_id, name, run.model, strategy, cells, baseline=i == baseline))
    _mark_differing(out)
    ref = next((r.cells for r in out if r.baseline), None)  # the baseline's first strategy, where one is chosen
    for row in out:
        _set_aes(row, runs[ids.index(row.run_id)], ref)
    return out


def _mark_differing(out: list[OverviewRow]) -> None:
    """Per task, the sample set most runs share (ties: the larger) is the reference; a cell on another set is marked,
    so that it is never ranked beside the others silently."""
    tasks = sorted({t for r in out for t in r.cells})
    for task in tasks:
        cells = [r.cells[task] for r in out if task in r.cells]
        counts = Counter(c.samples for c in cells)
        ref = max(counts, key=lambda s: (counts[s], len(s)))
        for row in out:
            c = row.cells.get(task)
            if c is not None and c.samples != ref:
                shared = len(c.samples & ref)
                c.differs = f"other samples than most runs of {task}: n={c.n}, {shared} of the {len(ref)} they share"
                row.notes.append(f"{task}: {c.differs}")


def _set_aes(row: OverviewRow, run: RunSummary, ref: dict[str, Cell] | None) -> None:
    """AES of each budget (offload runs: budget and ratio) against the reference, averaged over the tasks both have;
    the row keeps the best. Against the run's own largest budget, that budget scores 0, so the best is never below 0."""
    g = run.summary[run.summary["strategy"] == row.strategy]
    own = ref is None
    ref = ref or row.cells
    best: tuple[float, str, list[str]] = (-math.inf, "", [])
    point = ["budget", "offload_ratio"] if "offload_ratio" in g else ["budget"]
    for key, b in g.groupby(point, sort=False, observed=True, dropna=False):  # key: (budget,) or (budget, ratio)
        budget = key[0]
        scores, other = [], []
        for task, acc, tokens in zip(b["task"], b["accuracy"], b["mean_total_tokens"]):
            base = ref.get(task)
            try:
                scores.append(aes(acc, tokens, base.accuracy, base.tokens) if base else math.nan)
            except AESUndefinedError:
                scores.append(math.nan)
            if base and not own and run.samples.get((task, row.strategy, budget)) != base.samples:
                other.append(task)
        scores = [s for s in scores if not math.isnan(s)]
        if scores and sum(scores) / len(scores) > best[0]:
            best = (sum(scores) / len(scores), _label(key), other)
    if best[1]:
        row.aes, row.aes_budget = best[0], best[1]
        row.notes += [f"AES on {t} compares other samples than the baseline's" for t in best[2]]
