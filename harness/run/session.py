"""How one run is carried out, apart from its config: where its data is, its cache, its speed settings. These do
not change results, so they are not in RunConfig; `harness run` and each run of `harness grid` pass them the same
way, through `run_once`, to the one function that runs (harness/run/execute.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.cache import CACHE_FILE
from harness.run.config import RunConfig


@dataclass(frozen=True)
class RunOptions:
    data_dir: str | None = None
    cache: str | None = CACHE_FILE  # relative: inside the run folder; None: no cache
    overwrite: bool = False
    progress: bool = True
    concurrency: int = 4
    request_timeout: float = 600.0
    exec_workers: int | None = None

    @classmethod
    def from_args(cls, args, **override) -> "RunOptions":
        """From the session flags of `harness run` / `harness grid` (cli_args.add_session_flags)."""
        return cls(
            data_dir=args.data_dir,
            cache=None if args.no_cache else args.cache,
            overwrite=getattr(args, "overwrite", False),
            progress=not args.no_progress,
            concurrency=args.concurrency,
            request_timeout=args.request_timeout,
            exec_workers=args.exec_workers,
            **override,
        )


def run_once(cfg: RunConfig, out: str | Path, opts: RunOptions, argv: list[str]):
    """Run (or resume) one run into `out`; returns (summary, table) as harness.run.run does."""
    from harness.run import run

    return run(
        cfg,
        out,
        data_dir=opts.data_dir,
        overwrite=opts.overwrite,
        argv=argv,
        progress=opts.progress,
        cache=opts.cache,
        exec_workers=opts.exec_workers,
        concurrency=opts.concurrency,
        request_timeout=opts.request_timeout,
    )
