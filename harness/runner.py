"""A budget sweep: tasks x samples x budgets through one strategy and engine, scored, recorded, summarized."""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import shutil
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from harness.api import Task
from harness.cache import CACHE_FILE, CachedEngine, ResponseCache
from harness.data import load_rows, resolve_data_dir, sha256_file
from harness.errors import BadArgumentError, OutputExistsError
from harness.manifest import MANIFEST_FILE, environment, git_commit, now, package_versions, read_manifest, write_manifest
from harness.prompts import PromptSettings, prompt_builder
from harness.records import RECORDS_FILE, CallRecord, RecordWriter, SampleRecord, read_records
from harness.scoring import Score, score_answer
from harness.strategies import STRATEGIES, EngineFailed, StrategyConfig, Trace, refusal, sweep
from harness.tasks import build_samples, expand_task_names


class RunConfig(BaseModel):
    """Everything that decides a run's results. Two runs with equal configs are the same run."""

    model_config = ConfigDict(extra="forbid")
    model: str = "smollm2-135m"
    tasks: list[str]
    strategy: str = "e1"
    budgets: list[int]
    solution_budget: int = 128
    limit: int | None = None
    seed: int = 0
    temperature: float = 0.0
    top_p: float = 1.0
    wait: int = 0
    instruction: str = PromptSettings.instruction
    think_open: str = "<think>"
    think_close: str = "</think>"
    n_ctx: int = 8192
    n_threads: int | None = None
    log_samples: bool = False
    include_path: list[str] = []
    prefix_cache: bool = False  # llama.cpp KV prefix reuse across requests: faster, but request order changes rounding
    reuse: bool = True  # one long first call per (sample, seed) serves every budget where valid

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, v: list[int]) -> list[int]:
        if not v or any(b <= 0 for b in v):
            raise ValueError(f"budgets must be positive integers, got {v}")
        return sorted(set(v))

    @field_validator("limit")
    @classmethod
    def _limit(cls, v):
        if v is not None and v <= 0:
            raise ValueError(f"--limit must be a positive number of samples per task, got {v}")
        return v


def load_tasks(cfg: RunConfig, data_dir) -> list[Task]:
    tasks = []
    for spec in expand_task_names(cfg.tasks, cfg.include_path):
        rows, source = load_rows(spec.task, spec.folder, spec.hub, data_dir)
        samples = build_samples(spec, rows)[: cfg.limit]
        tasks.append(Task(spec, samples, source, cfg.think_open, cfg.think_close))
    return tasks


def prepare_output(out: Path, cfg: RunConfig, overwrite: bool) -> set[tuple]:
    """Refuse a folder that holds a different run; resume the same run; --overwrite replaces it."""
    manifest = out / MANIFEST_FILE
    if out.exists() and any(out.iterdir()):
        if overwrite:
            shutil.rmtree(out)
        elif not manifest.is_file():
            raise OutputExistsError(f"output path {out} is not empty and holds no harness run; choose another --output-path or pass --overwrite")
        elif read_manifest(manifest).get("config") != cfg.model_dump():
            raise OutputExistsError(f"output path {out} holds a different run (its manifest.json config differs); "
                                    f"choose another --output-path or pass --overwrite to replace it")
        else:
            done = read_records(out / RECORDS_FILE, repair=True) if (out / RECORDS_FILE).exists() else []
            return {r.key() for r in done}
    out.mkdir(parents=True, exist_ok=True)
    return set()


def _record(task: Task, sample, cfg: RunConfig, budget: int, trace: Trace, engine, model_name: str) -> SampleRecord:
    count = engine.count_tokens
    calls = [CallRecord(role=c.role, prompt=c.prompt, max_tokens=c.max_tokens, stop=list(c.stop), output=c.output,
                        token_ids=list(c.token_ids), tokens=c.tokens, finish_reason=c.finish_reason, stop_string=c.stop_string, wall_s=c.wall_s,
                        ttft_s=c.ttft_s, error=c.error, cached=c.cached, derived_from=c.derived_from, modelled=c.modelled)
             for c in trace.calls]
    derived = next((c.derived_from for c in trace.calls if c.derived_from is not None), None)
    if any(c.role == "thinking" for c in trace.calls):
        thinking_tokens, solution_tokens = trace.tokens("thinking"), trace.tokens("solution")
    else:
        thinking_tokens, solution_tokens = count(trace.thinking), count(trace.answer)
    return SampleRecord(
        task=task.name, sample_id=sample.id, index=sample.index, strategy=cfg.strategy, budget=budget,
        solution_budget=cfg.solution_budget, seed=cfg.seed, model=model_name,
        status="failed" if trace.error else "ok", error=trace.error, gold=sample.gold, answer_type=sample.answer_type,
        thinking=trace.thinking, answer=trace.answer, thinking_end=trace.thinking_end,
        thinking_closed=trace.thinking_closed, forced_text=trace.forced_text,
        prompt_tokens=count(trace.calls[0].prompt) if trace.calls else 0,
        thinking_tokens=thinking_tokens, solution_tokens=solution_tokens, total_tokens=trace.tokens(),
        hit_budget=trace.thinking_end == "budget", latency_s=trace.wall_s, ttft_s=trace.ttft_s, n_calls=len(trace.calls),
        derived_from=derived, latency_modelled=any(c.modelled for c in trace.calls),
        cached_calls=sum(c.cached for c in trace.calls),
        question=sample.question if cfg.log_samples else None, calls=calls if cfg.log_samples else None,
    )


def run(cfg: RunConfig, output_path: str | Path, *, data_dir=None, overwrite: bool = False,
        argv: list[str] | None = None, engine=None, progress: bool = True, cache: str | Path | None = CACHE_FILE):
    """Run the sweep and write records, summary, plot and manifest into output_path. Returns the summary.

    `cache`: a response-cache file (relative paths are inside output_path), or None for no cache.
    """
    from tqdm import tqdm

    from harness.engines import make_engine
    from harness.report import markdown_table, write_report

    out = Path(output_path)
    strategy = STRATEGIES.get(cfg.strategy)
    data_dir = resolve_data_dir(data_dir)
    tasks = load_tasks(cfg, data_dir)  # every input error surfaces before anything is written
    if engine is None:
        from harness.engines import parse_model
        from harness.engines.llamacpp import resolve_gguf

        model_path = resolve_gguf(parse_model(cfg.model)[1])  # a missing model fails before any output
    done = prepare_output(out, cfg, overwrite)
    if engine is None:
        engine = make_engine(cfg.model, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads, sha256=sha256_file(model_path),
                             prefix_cache=cfg.prefix_cache)
    if cache is not None:
        engine = CachedEngine(engine, ResponseCache(out / cache))
    top = StrategyConfig(budget=max(cfg.budgets), solution_budget=cfg.solution_budget, temperature=cfg.temperature,
                         top_p=cfg.top_p, seed=cfg.seed, wait=cfg.wait, think_open=cfg.think_open, think_close=cfg.think_close)
    refused = refusal(cfg.strategy, top) if cfg.reuse else "--no-reuse"
    manifest = {
        "config": cfg.model_dump(), "command": argv if argv is not None else sys.argv, "started": now(), "finished": None,
        "model": {"name": engine.info.name, "path": engine.info.path, "sha256": engine.info.sha256, **engine.info.extra},
        "data": {t.name: {"location": t.source.location, "sha256": t.source.sha256, "rows": t.source.rows,
                          "samples_used": len(t.samples)} for t in tasks},
        "data_dir": str(data_dir) if data_dir else None,
        "reuse": {"used": refused is None, "why_not": refused},
        "packages": package_versions(), "git": git_commit(), "environment": environment(),
    }
    write_manifest(out / MANIFEST_FILE, manifest)
    settings = PromptSettings(instruction=cfg.instruction, think_open=cfg.think_open, think_close=cfg.think_close)
    work = [(t, s, [b for b in cfg.budgets if (t.name, s.id, cfg.strategy, b, cfg.seed) not in done])
            for t in tasks for s in t.samples]
    work = [w for w in work if w[2]]

    def traces(sample, budgets):
        build = prompt_builder(engine.info, settings, sample.question)
        if refused is None:
            yield from sweep(cfg.strategy, engine, build, top, budgets)
            return
        for b in budgets:
            try:
                yield b, strategy(engine, build, dataclasses.replace(top, budget=b))
            except EngineFailed as e:
                yield b, Trace(error=str(e))

    pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
    pending: list[tuple[SampleRecord, Future]] = []
    tokens, gen_s, t_start = 0, 0.0, time.perf_counter()
    bar = tqdm(total=sum(len(w[2]) for w in work), desc=f"{cfg.strategy} sweep", unit="sample", disable=not progress, file=sys.stderr)
    try:
        with RecordWriter(out / RECORDS_FILE) as writer:
            for task, sample, budgets in work:
                for budget, trace in traces(sample, budgets):
                    record = _record(task, sample, cfg, budget, trace, engine, cfg.model)
                    fresh = [c for c in trace.calls if not c.cached and not c.modelled and c.derived_from is None]
                    tokens += sum(c.sampled for c in fresh)
                    gen_s += sum(c.wall_s for c in fresh)
                    if record.status == "ok" and record.thinking_closed:
                        pending.append((record, pool.submit(score_answer, record.answer, sample.gold, sample.answer_type)))
                    else:
                        if record.status == "ok":
                            record.verdict_reason, record.correct = "thinking_not_closed", False
                        writer.write(record)
                    pending = _flush(pending, writer, wait=False)
                    bar.update(1)
                    bar.set_postfix(tok_s=f"{tokens / max(1e-9, time.perf_counter() - t_start):.1f}")
            _flush(pending, writer, wait=True)
    finally:
        bar.close()
        pool.shutdown(cancel_futures=True)
        engine.cache.close() if isinstance(engine, CachedEngine) else None
    manifest["finished"] = now()
    manifest["generated_tokens"] = tokens
    manifest["engine_generation_s"] = round(gen_s, 3)
    manifest["sweep_wall_s"] = round(time.perf_counter() - t_start, 3)
    if isinstance(engine, CachedEngine):
        manifest["cache"] = {"path": str(engine.cache.path), "hits": engine.hits, "misses": engine.misses}
    write_manifest(out / MANIFEST_FILE, manifest)
    summary, _ = write_report(out)
    return summary, markdown_table(summary)


def _flush(pending, writer: RecordWriter, wait: bool):
    left = []
    for record, fut in pending:
        if wait or fut.done():
            score: Score = fut.result()
            record.correct, record.extracted, record.verdict_reason = score.correct, score.extracted, score.reason
            writer.write(record)
        else:
            left.append((record, fut))
    return left
