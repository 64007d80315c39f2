"""A grid's runs carried out: finished runs skipped, the rest split into units (a run, or one shard of it), each
unit run by `run_once` (what `harness run` calls) into its own folder on whichever executor, sharded runs merged as
`harness merge` does, one progress bar and a line per finished run, and DIR/leaderboard.html at the end.

    DIR/<run>/                          each run's folder, as `harness run --output-path DIR/<run>` writes it
    DIR/leaderboard.html                every finished run, ranked (the site in DIR/leaderboard/)
    DIR/_grid/shards/<run>/<i>-of-<n>/  the shards of a run with shards: n (one writer each: its task)
    DIR/_grid/attempts.jsonl            one line per unit started and finished: where (node, pid) and when
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from harness.errors import BadArgumentError, HarnessError, OutputExistsError
from harness.grid.spec import LEADERBOARD, Grid, GridRun, Resources
from harness.manifest import MANIFEST_FILE, read_manifest
from harness.records import RECORDS_FILE, read_records
from harness.run.config import RunConfig
from harness.run.output import locked, run_finished
from harness.run.session import RunOptions, run_once

STATE = "_grid"


@dataclass(frozen=True)
class Unit:
    """One run, or one shard of a run: one call of run_once into one folder."""

    run: str
    shard: tuple[int, int] | None
    cfg: RunConfig
    out: Path
    resources: Resources

    @property
    def label(self) -> str:
        return self.run if self.shard is None else f"{self.run} shard {self.shard[0]}/{self.shard[1]}"


@dataclass(frozen=True)
class UnitResult:
    unit: Unit
    records: int = 0
    failed: int = 0
    seconds: float = 0.0
    node: str = ""
    error: str | None = None


def run_dir(grid_dir: Path, name: str) -> Path:
    return grid_dir / name


def shard_dir(grid_dir: Path, name: str, i: int, n: int) -> Path:
    return grid_dir / STATE / "shards" / name / f"{i}-of-{n}"


def shard_config(cfg: RunConfig, i: int, n: int) -> RunConfig:
    data = cfg.model_dump()
    data["selection"]["shard"] = f"{i}/{n}"
    return RunConfig.model_validate(data)


def units_to_do(grid: Grid, grid_dir: Path) -> tuple[list[Unit], list[str]]:
    """The units still to run, and the runs finished earlier. A folder holding another config than its run's is
    refused here, before anything starts, as a resume refuses it."""
    units, finished = [], []
    for run in grid.runs:
        out = run_dir(grid_dir, run.name)
        if _finished(out, run.config, run.name):
            finished.append(run.name)
            continue
        if run.shards == 1:
            units.append(Unit(run.name, None, run.config, out, run.declared()))
            continue
        if (out / MANIFEST_FILE).is_file() and read_manifest(out / MANIFEST_FILE).merged is None:
            raise OutputExistsError(
                f"run {run.name!r}: {out} holds the same run started without shards; finish it with shards: 1 "
                f"(rerun resumes it) or remove the folder"
            )
        for i in range(run.shards):
            cfg, folder = shard_config(run.config, i, run.shards), shard_dir(grid_dir, run.name, i, run.shards)
            if not _finished(folder, cfg, run.name):
                units.append(Unit(run.name, (i, run.shards), cfg, folder, run.declared()))
    return units, finished


def _finished(out: Path, cfg: RunConfig, name: str) -> bool:
    try:
        return run_finished(out, cfg, hint="restore the run's settings in the grid file, or give the run a new name")
    except OutputExistsError as e:
        raise OutputExistsError(f"run {name!r}: {e}") from None


def run_unit(unit: Unit, opts: RunOptions, argv: list[str], grid_dir: Path) -> UnitResult:
    """Run one unit where this process is (the driver, a local worker process, a Ray worker). An error comes back
    as the result's error (a rerun of the grid retries the unit); a crash of this process is the executor's to
    retry."""
    if not (grid_dir / STATE).is_dir():
        return UnitResult(
            unit,
            error=f"{grid_dir} is not visible on {_node()}: put --output-path on storage every "
            f"node mounts at the same path",
        )
    t0 = time.perf_counter()
    _attempt(grid_dir, unit, "started")
    try:
        run_once(unit.cfg, unit.out, dataclasses.replace(opts, progress=False), argv)
    except Exception as e:  # a bug or an engine's crash fails this unit, not the others
        error = str(e) if isinstance(e, HarnessError) else f"{type(e).__name__}: {e}"
        return UnitResult(unit, seconds=time.perf_counter() - t0, node=_node(), error=error)
    records = read_records(unit.out / RECORDS_FILE)
    _attempt(grid_dir, unit, "finished")
    failed = sum(r.status == "failed" for r in records)
    return UnitResult(unit, len(records), failed, time.perf_counter() - t0, _node())


def _node() -> str:
    """This process's Ray node id inside a Ray task, else the host name."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return ray.get_runtime_context().get_node_id()
    return socket.gethostname()


def _attempt(grid_dir: Path, unit: Unit, event: str) -> None:
    line = {"run": unit.run, "shard": list(unit.shard) if unit.shard else None, "event": event,
            "node": _node(), "pid": os.getpid(), "time": round(time.time(), 3)}  # fmt: skip
    fd = os.open(grid_dir / STATE / "attempts.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


Executor = Callable[[list[Unit], Callable[[Unit], UnitResult]], Iterable[UnitResult]]


def run_grid(grid: Grid, grid_dir: Path, opts: RunOptions, argv: list[str], executor: Executor) -> list[str]:
    """Every unfinished run of the grid, then the leaderboard. Returns one line per failed run."""
    from tqdm import tqdm

    (grid_dir / STATE).mkdir(parents=True, exist_ok=True)
    with locked(grid_dir / STATE, hint="wait for the other `harness grid` on this --output-path"):
        units, done = units_to_do(grid, grid_dir)
        for name in done:
            print(f"{name}: finished earlier, skipped ({run_dir(grid_dir, name)})")
        left = {run.name: sum(u.run == run.name for u in units) for run in grid.runs if run.name not in done}
        failed: dict[str, str] = {}
        bar = tqdm(total=len(units), desc="grid", unit="run", disable=not (opts.progress and units), file=sys.stderr)
        try:
            for result in executor(units, _Job(opts, argv, grid_dir)):
                bar.update(1)
                name = result.unit.run
                left[name] -= 1
                if result.error:
                    failed.setdefault(name, f"{result.unit.label}: {result.error}")
                    tqdm.write(f"{result.unit.label}: failed: {result.error}", file=sys.stdout)
                elif left[name] == 0 and name not in failed:
                    tqdm.write(_finish(_named(grid, name), grid_dir), file=sys.stdout)
            for run in grid.runs:  # sharded runs whose shards had all finished earlier, but not their merge
                if left.get(run.name) == 0 and not any(u.run == run.name for u in units):
                    print(_finish(run, grid_dir))
        finally:
            bar.close()
        finished = [run_dir(grid_dir, r.name) for r in grid.runs if run_finished(run_dir(grid_dir, r.name), r.config)]
        if finished:
            print(f"wrote {write_leaderboard(finished, grid_dir)} ({len(finished)} of {len(grid.runs)} runs)")
        return list(failed.values())


def _named(grid: Grid, name: str) -> GridRun:
    return next(r for r in grid.runs if r.name == name)


@dataclass(frozen=True)
class _Job:
    """run_unit with the grid's settings: what each executor calls (picklable, for processes and Ray). It works in
    the driver's folder, so that relative paths (--output-path, --data-dir, a model or template file in the grid
    file) mean there what they mean to the driver, wherever the worker started."""

    opts: RunOptions
    argv: list[str]
    grid_dir: Path
    cwd: str = dataclasses.field(default_factory=os.getcwd)

    def __call__(self, unit: Unit) -> UnitResult:
        if os.path.isdir(self.cwd):
            os.chdir(self.cwd)
        return run_unit(unit, self.opts, self.argv, self.grid_dir)


def _finish(run: GridRun, grid_dir: Path) -> str:
    """A run whose units are all done: its shards merged into DIR/<run> (as `harness merge`); its line."""
    out = run_dir(grid_dir, run.name)
    if run.shards > 1:
        _merge(run, grid_dir)
    records = read_records(out / RECORDS_FILE)
    failed = sum(r.status == "failed" for r in records)
    graded = [r for r in records if r.correct is not None]
    acc = sum(bool(r.correct) for r in graded) / len(graded) if graded else float("nan")
    return f"{run.name}: done, {len(records)} records ({failed} failed), accuracy {acc:.3f} -> {out}"


def _merge(run: GridRun, grid_dir: Path) -> None:
    from harness.report.tables import write_report
    from harness.run.merge import merge

    shards = [str(shard_dir(grid_dir, run.name, i, run.shards)) for i in range(run.shards)]
    work = grid_dir / STATE / "merging" / run.name
    shutil.rmtree(work, ignore_errors=True)  # a merge cut short earlier
    merge(shards, work)
    write_report(work)
    out = run_dir(grid_dir, run.name)
    if out.exists():  # this run's earlier merge, with samples its shards have now redone
        old = grid_dir / STATE / "replaced" / run.name
        shutil.rmtree(old, ignore_errors=True)
        old.parent.mkdir(parents=True, exist_ok=True)
        out.rename(old)
        shutil.rmtree(old)
    work.rename(out)
    work.parent.rmdir() if not any(work.parent.iterdir()) else None


def write_leaderboard(run_dirs: list[Path], grid_dir: Path) -> Path:
    """The leaderboard of the runs' folders: tables and site in DIR/leaderboard/ (harness/report/leaderboard.py,
    as `harness leaderboard` writes them), opened from DIR/leaderboard.html. The one place that builds it."""
    from harness.report.leaderboard import build_leaderboard

    build_leaderboard([str(d) for d in run_dirs], grid_dir / LEADERBOARD)
    page = grid_dir / f"{LEADERBOARD}.html"
    target = f"{LEADERBOARD}/index.html"
    page.write_text(
        f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={target}">'
        f'<title>Leaderboard</title><a href="{target}">the leaderboard</a>\n',
        encoding="utf-8",
    )
    return page


def check_output(grid_dir: Path, grid: Grid) -> None:
    """DIR must be a folder; runs' names must not be taken by files."""
    if grid_dir.exists() and not grid_dir.is_dir():
        raise BadArgumentError(f"--output-path {grid_dir} is a file; choose a folder for the grid's runs")
    for run in grid.runs:
        if run_dir(grid_dir, run.name).is_file():
            raise BadArgumentError(f"run {run.name!r}: {run_dir(grid_dir, run.name)} is a file; rename the run")
