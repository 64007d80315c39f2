"""The run's scheduling loop: each job's traces (threads where the engines allow), each trace a graded record,
written as it finishes; then counts into the manifest and the report."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing as mp
import os
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path

from harness.cache import CACHE_FILE, CachedEngine
from harness.run.config import RunConfig
from harness.manifest import MANIFEST_FILE, now, write_manifest
from harness.prompts import ChatTemplateError, chat_builder, prompt_builder
from harness.records import RECORDS_FILE, RecordWriter, SampleRecord
from harness.run.output import release_output
from harness.run.plan import RunPlan, SampleJob, build_plan
from harness.run.record import gradable, graded, make_record
from harness.scoring import score_answer
from harness.scoring.choice import options_from_question
from harness.strategies import Context, EngineFailed, Trace, sweep


def run(
    cfg: RunConfig,
    output_path: str | Path,
    *,
    data_dir=None,
    overwrite: bool = False,
    argv: list[str] | None = None,
    engine=None,
    large_engine=None,
    progress: bool = True,
    cache: str | Path | None = CACHE_FILE,
    exec_workers: int | None = None,
    concurrency: int = 4,
    request_timeout: float = 600.0,
):
    """Run the sweep and write records, summary, plot and manifest into output_path. Returns (summary, table).

    `cache`: a response-cache file (relative paths are inside output_path), or None for no cache.
    `engine` / `large_engine`: engines to use instead of loading cfg.engine.model / cfg.strategy.offload.model.
    `exec_workers`: processes running generated code in the sandbox (default: one per core).
    `concurrency`: requests in flight for HTTP engines; `request_timeout`: seconds an HTTP request may take.
    """
    try:
        from tqdm import tqdm

        from harness.report.tables import write_report

        given = {role: e for role, e in (("model", engine), ("large", large_engine)) if e is not None}
        plan = build_plan(
            cfg,
            Path(output_path),
            data_dir=data_dir,
            overwrite=overwrite,
            argv=argv,
            engines=given,
            cache=cache,
            concurrency=concurrency,
            request_timeout=request_timeout,
        )
        write_manifest(plan.out / MANIFEST_FILE, plan.manifest)
        # Samples in flight: as many as every engine keeps (HTTP: --concurrency; vLLM: its max_num_seqs; llama.cpp 1)
        workers = min(e.max_in_flight for e in plan.engines.values())
        plan.manifest.parallel_samples = workers
        types = {t.spec.answer_type for t in plan.tasks}
        pools = _Pools("code" in types, exec_workers, warm=bool(types - {"code"}) and bool(plan.jobs))
        counts = _Counts()
        bar = tqdm(
            total=sum(len(j.points) for j in plan.jobs),
            desc=f"{cfg.strategy.name} sweep",
            unit="sample",
            disable=not progress,
            file=sys.stderr,
        )
        stall = _Stall(bar)
        try:
            _write_records(plan, cfg, workers, pools, counts, bar, stall)
        finally:
            stall.close()
            bar.close()
            pools.close()
            if isinstance(plan.engine, CachedEngine):
                plan.engine.cache.close()  # one database for every engine
        counts.into(plan)
        write_manifest(plan.out / MANIFEST_FILE, plan.manifest)
        return write_report(plan.out)
    finally:
        release_output(Path(output_path))


def _write_records(
    plan: RunPlan, cfg: RunConfig, workers: int, pools: "_Pools", counts: "_Counts", bar, stall: "_Stall"
) -> None:
    """Every point's record, graded, into records.jsonl as the samples finish (`workers` samples in flight)."""
    with RecordWriter(plan.out / RECORDS_FILE) as writer, pools.keeping_done(writer):
        for job, point, trace in _in_threads(plan, workers):
            record = make_record(
                job.task,
                job.sample,
                cfg,
                point,
                trace,
                plan.engine,
                cfg.engine.model,
                plan.engines.get("large"),
                job.seed,
            )
            counts.add(trace)
            if gradable(record):
                pools.grade(record, job.sample.question)
            else:
                writer.write(graded(record, None))
            pools.flush(writer, wait=False)
            bar.update(1)
            stall.seen()
            bar.set_postfix(tok_s=f"{counts.tokens / max(1e-9, time.perf_counter() - counts.t0):.1f}")
        pools.flush(writer, wait=True)


def traces(plan: RunPlan, job: SampleJob):
    """(point, trace) for each point of a job: from one long call where reuse holds, else one strategy run each."""
    instruction = plan.cfg.prompt.instruction if job.task.spec.instruction is None else job.task.spec.instruction
    settings = dataclasses.replace(plan.settings, instruction=instruction)
    if plan.engine.chat:
        build = chat_builder(settings, job.sample.question)
    else:
        build = _failing_calls(prompt_builder(plan.engine.info, settings, plan.fmt, job.sample.question))
    top = dataclasses.replace(plan.top, seed=job.seed)
    try:
        build("")  # a template that fails on this question fails this sample's records, not the run
    except EngineFailed as e:
        yield from ((point, Trace(error=str(e))) for point in job.points)
        return
    if plan.reuse_refused is None:
        budgets = [b for b, _ in job.points]
        yield from (((b, None), t) for b, t in sweep(plan.strategy, Context(plan.engines, build, top), budgets))
        return
    for b, r in job.points:
        ctx = Context(
            plan.engines,
            build,
            dataclasses.replace(top, budget=b),
            dataclasses.replace(plan.offload, ratio=r) if plan.offload else None,
        )
        try:
            yield (b, r), plan.strategy(ctx)
        except EngineFailed as e:
            yield (b, r), Trace(error=str(e))


def _failing_calls(build):
    """A prompt builder whose template errors (on one question, or one l1 instruction) are failed calls."""

    def guarded(extra: str = ""):
        try:
            return build(extra)
        except ChatTemplateError as e:
            raise EngineFailed(f"prompt: {e}") from None

    return guarded


def _in_threads(plan: RunPlan, workers: int):
    """(job, point, trace) for every job: in order, or from `workers` threads as jobs finish."""
    if workers <= 1:
        yield from ((job, point, trace) for job in plan.jobs for point, trace in traces(plan, job))
        return
    ex = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {ex.submit(lambda j: list(traces(plan, j)), job): job for job in plan.jobs}
        for fut in as_completed(futures):
            yield from ((futures[fut], point, trace) for point, trace in fut.result())
    except BaseException:  # Ctrl-C, an error: a request still hanging must not hold the run up
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


class _Stall:
    """Shows on the progress bar how long the engine has been silent, once it is `after` seconds."""

    def __init__(self, bar, after: float = 5.0):
        self.bar, self.after, self.last = bar, after, time.perf_counter()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def seen(self) -> None:
        self.last = time.perf_counter()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            quiet = time.perf_counter() - self.last
            if quiet >= self.after:
                self.bar.set_postfix(waiting=f"{quiet:.0f}s for the engine")

    def close(self) -> None:
        self._stop.set()


class _Counts:
    """Tokens, calls and engine time the engines really ran (not the cache, not cut from a longer call)."""

    def __init__(self):
        self.tokens, self.calls, self.gen_s, self.t0 = 0, 0, 0.0, time.perf_counter()
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0, "reasoning_tokens": 0}

    def add(self, trace: Trace) -> None:
        fresh = [c for c in trace.calls if not c.cached and not c.modelled and c.derived_from is None]
        self.tokens += sum(
            c.tokens if c.counted_by.startswith("server") and not c.token_ids else c.sampled for c in fresh
        )
        for c in fresh:  # what a provider bills: the calls really sent
            self.usage["prompt_tokens"] += c.prompt_tokens
            self.usage["completion_tokens"] += c.tokens
            self.usage["reasoning_tokens"] += c.reasoning_tokens or 0
        self.gen_s += sum(c.wall_s for c in fresh)
        self.calls += len(fresh)

    def into(self, plan: RunPlan) -> None:
        m = plan.manifest
        m.finished = now()  # counts add to those of earlier sessions of a resumed run
        m.generated_tokens, m.engine_calls = (m.generated_tokens or 0) + self.tokens, (m.engine_calls or 0) + self.calls
        m.engine_generation_s = round((m.engine_generation_s or 0.0) + self.gen_s, 3)
        m.sweep_wall_s = round((m.sweep_wall_s or 0.0) + time.perf_counter() - self.t0, 3)
        m.usage = {k: (m.usage or {}).get(k, 0) + v for k, v in self.usage.items()}
        cached = [e for e in plan.engines.values() if isinstance(e, CachedEngine)]
        if cached:
            m.cache = {
                "path": str(cached[0].cache.path),
                "hits": sum(e.hits for e in cached),
                "misses": sum(e.misses for e in cached),
            }


class _Pools:
    """Grading off the main thread: math in one spawned process, generated code in a pool of sandbox runners."""

    def __init__(self, code: bool, exec_workers: int | None, warm: bool = False):
        spawn = mp.get_context("spawn")
        self.math = ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=die_with_parent)
        if warm:  # start the grading process now (its imports take a second or two) while the first sample runs
            self.math.submit(score_answer, "1", "1", "number")
        self.code = (
            ProcessPoolExecutor(
                max_workers=exec_workers or len(os.sched_getaffinity(0)), mp_context=spawn, initializer=die_with_parent
            )
            if code
            else None
        )
        self.pending: list[tuple[SampleRecord, Future]] = []

    def grade(self, record: SampleRecord, question: str) -> None:
        """Queue a record's answer; a choice question's options let an answer naming an option's value count."""
        pool = self.code if record.answer_type == "code" else self.math
        options = options_from_question(question) if record.answer_type == "choice" else None
        self.pending.append(
            (record, pool.submit(score_answer, record.answer, record.gold, record.answer_type, options))
        )

    def flush(self, writer: RecordWriter, wait: bool) -> None:
        left = []
        for record, fut in self.pending:
            if wait or fut.done():
                writer.write(graded(record, fut.result()))
            else:
                left.append((record, fut))
        self.pending = left

    @contextlib.contextmanager
    def keeping_done(self, writer: RecordWriter):
        """On Ctrl-C or an error, records whose grading has finished (or finishes within a few seconds: the samples
        were generated and paid for) are still written."""
        try:
            yield
        except BaseException:
            concurrent.futures.wait([f for _, f in self.pending], timeout=GRACE_S)
            done = [(r, f) for r, f in self.pending if f.done() and not f.cancelled() and f.exception() is None]
            for record, fut in done:
                writer.write(graded(record, fut.result()))
            raise

    def close(self) -> None:
        for pool in (self.math, self.code):
            if pool is not None:
                pool.shutdown(cancel_futures=True)


GRACE_S = 5.0  # how long an interrupted run waits for gradings under way


def die_with_parent() -> None:
    """A grading worker must not outlive a harness that was killed (SIGKILL leaves no time to shut the pool down)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
