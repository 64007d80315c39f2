"""Build the static site: read each run once (in parallel worker processes), write its trace-viewer data, then the
overview, a page per run and a viewer per run. Reads records and manifests only."""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadArgumentError
from harness.records import RECORDS_FILE, read_records
from harness.report.leaderboard import RunSummary, run_names, run_summary
from harness.report.site import charts, overview, pages
from harness.report.site.samples import slug, write_run_data

POOL_FROM_BYTES = 32_000_000  # records to read before worker processes pay for their start (~1 s each, spawned)


@dataclass
class Collected:
    """The runs read, in order (a baseline not among them last), with their page ids and data folders."""

    runs: list[RunSummary]
    ids: list[str]
    folders: list[dict[str, str]]  # per run: task -> its data folder
    baseline: int | None = None


def _run_ids(names: list[str]) -> list[str]:
    ids: list[str] = []
    for name in names:
        base = slug(name)
        ids.append(base if base not in ids else f"{base}-{len(ids)}")
    return ids


def _process(run_dir: Path, data_dir: Path) -> tuple[RunSummary, dict[str, str]]:
    """One run: its summary and its viewer data files (in a worker process)."""
    records = read_records(run_dir / RECORDS_FILE)
    return run_summary(run_dir, records), write_run_data(records, data_dir)


def collect(run_dirs: list[Path], out: Path, baseline: Path | None = None) -> Collected:
    dirs = [Path(d) for d in run_dirs]
    if baseline is not None and baseline.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(baseline)
    for d in dirs:
        if not (d / RECORDS_FILE).is_file():
            raise BadArgumentError(f"{d} holds no records.jsonl; pass folders written by `harness run`")
    ids = _run_ids(run_names(dirs))
    data = [out / "runs" / i / "data" for i in ids]
    workers = min(len(dirs), os.cpu_count() or 1)
    if workers > 1 and sum((d / RECORDS_FILE).stat().st_size for d in dirs) >= POOL_FROM_BYTES:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:  # as harness run's pools
            done = list(pool.map(_process, dirs, data))
    else:
        done = [_process(d, p) for d, p in zip(dirs, data)]
    where = None if baseline is None else [d.resolve() for d in dirs].index(baseline.resolve())
    return Collected([r for r, _ in done], ids, [f for _, f in done], where)


def write_site(c: Collected, out: Path) -> Path:
    """The pages and assets for runs already collected into `out`; returns the overview page."""
    pages.copy_assets(out)
    names = run_names([r.path for r in c.runs])
    rows = overview.rows(c.runs, c.ids, names, c.baseline)
    series = [(_series_name(r, c.runs[c.ids.index(r.run_id)]), f"runs/{r.run_id}/", _strategy_rows(c, r)) for r in rows]
    reference = "each run's own largest budget" if c.baseline is None else f"{names[c.baseline]}'s largest budget"
    for run, run_id, name, folders in zip(c.runs, c.ids, names, c.folders):
        page = pages.RunPage(run_id, name, run.model, run.manifest, run.summary, folders)
        pages.run_page(out, page, [charts.budget_chart(run.summary, name, y) for y in ("accuracy", "tokens")])
    return pages.overview_page(out, rows, charts.overview_chart(series), reference)


def _series_name(row: overview.OverviewRow, run: RunSummary) -> str:
    return row.name if run.summary["strategy"].nunique() == 1 else f"{row.name} ({row.strategy})"


def _strategy_rows(c: Collected, row: overview.OverviewRow):
    s = c.runs[c.ids.index(row.run_id)].summary
    return s[s["strategy"] == row.strategy]


def build_site(run_dirs: list[Path], out_dir: Path, baseline: Path | None = None) -> Path:
    """The leaderboard site for these run folders in out_dir (index.html, runs/<run>/index.html and samples.html,
    runs/<run>/data/, assets/); AES against `baseline`'s largest budget, or each run's own. Returns index.html."""
    out_dir = Path(out_dir)
    return write_site(collect([Path(d) for d in run_dirs], out_dir, Path(baseline) if baseline else None), out_dir)
