"""Where a grid's units run: here one after another, in N local processes, or as Ray tasks. Each executor takes the
units and the job (harness/grid/execute.py `_Job`: run_unit with the grid's settings) and yields each unit's
result as it finishes; none of them runs anything but that job."""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator

from harness.errors import BadArgumentError
from harness.grid.execute import Unit, UnitResult

RAY_RETRIES = 3  # a task whose worker or node is lost is run again (it resumes from the records it wrote)


def sequential(units: list[Unit], job: Callable[[Unit], UnitResult]) -> Iterator[UnitResult]:
    for unit in units:
        yield job(unit)


def processes(n: int):
    """N units at once, each in its own (spawned) process; a process that dies fails its unit, which a rerun of
    the grid resumes."""

    def run(units: list[Unit], job: Callable[[Unit], UnitResult]) -> Iterator[UnitResult]:
        if not units:
            return
        with ProcessPoolExecutor(max_workers=min(n, len(units)), mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(job, u): u for u in units}
            for fut in as_completed(futures):
                try:
                    yield fut.result()
                except BrokenProcessPool as e:
                    yield UnitResult(futures[fut], error=f"its process died ({e}); rerun the grid to resume it")

    return run


def ray_tasks(address: str | None):
    """Each unit a Ray task asking for its run's resources (GridRun.declared); Ray retries a task whose worker or
    node is lost, and the retry resumes from the records the lost attempt wrote. `address`: Ray's own forms:
    "auto" (the running cluster), "ray://HOST:PORT" (Ray client), "HOST:PORT", "local" (start a local cluster)."""

    def run(units: list[Unit], job: Callable[[Unit], UnitResult]) -> Iterator[UnitResult]:
        if not units:
            return
        ray = _import_ray()
        if not ray.is_initialized():
            ray.init(address=address, **({"include_dashboard": False} if address == "local" else {}))
        remote = ray.remote(_call)
        refs = {}
        for u in units:
            r = u.resources
            options = dict(num_cpus=r.num_cpus, num_gpus=r.num_gpus, max_retries=RAY_RETRIES, retry_exceptions=False)
            refs[remote.options(**options, resources=r.custom or None).remote(job, u)] = u
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1)
            unit = refs.pop(done[0])
            try:
                yield ray.get(done[0])
            except ray.exceptions.RayError as e:  # lost more often than RAY_RETRIES, or not schedulable
                yield UnitResult(unit, error=f"Ray gave up on it ({type(e).__name__}: {str(e).splitlines()[0]})")

    return run


def _call(job, unit: Unit) -> UnitResult:
    return job(unit)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise BadArgumentError(
            "--ray needs Ray: pip install -e .[ray] (or bash setup.sh --with-ray), on every node of the cluster"
        ) from None
    return ray
