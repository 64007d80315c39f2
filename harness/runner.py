"""A budget sweep: tasks x samples x budgets through one strategy and engine, scored, recorded, summarized."""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import shutil
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from harness.api import Task
from harness.config import RunConfig, check_format, check_offload, check_sampling, read_template
from harness.cache import CACHE_FILE, CachedEngine, ResponseCache
from harness.data import load_rows, resolve_data_dir, sha256_file, sha256_text
from harness.errors import OutputExistsError
from harness.merge import in_shard, parse_shard
from harness.manifest import MANIFEST_FILE, environment, git_commit, now, package_versions, read_manifest, write_manifest
from harness.prompts import prompt_builder, prompt_settings, settle_format
from harness.records import RECORDS_FILE, RecordWriter, SampleRecord, read_records
from harness.scoring import Score, score_answer
from harness.recording import make_record
from harness.strategies import STRATEGIES, EngineFailed, StrategyConfig, Trace, refusal, sweep
from harness.strategies.offload import OFFLOAD, OffloadConfig
from harness.tasks import build_samples, expand_task_names


def load_tasks(cfg: RunConfig, data_dir) -> list[Task]:
    tasks = []
    shard = parse_shard(cfg.shard)
    for spec in expand_task_names(cfg.tasks, cfg.include_path):
        rows, source = load_rows(spec.task, spec.folder, spec.hub, data_dir)
        samples = [s for s in build_samples(spec, rows) if _keep(s, cfg)][: cfg.limit]
        samples = [s for s in samples if in_shard(spec.task, s.id, shard)]  # --limit applies before sharding
        tasks.append(Task(spec, samples, source))
    return tasks


def _keep(s, cfg: RunConfig) -> bool:
    if cfg.difficulty and s.difficulty not in cfg.difficulty:
        return False
    if cfg.platform and s.platform not in cfg.platform:
        return False
    day = (s.date or "")[:10]
    return not ((cfg.date_from and day < cfg.date_from) or (cfg.date_to and day > cfg.date_to))


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
            failed = [r for r in done if r.status == "failed"]
            if failed:  # retried now; dropped first so that every key stays in the file once
                tmp = out / (RECORDS_FILE + ".tmp")
                tmp.write_text("".join(r.model_dump_json() + "\n" for r in done if r.status != "failed"), encoding="utf-8")
                tmp.replace(out / RECORDS_FILE)
                print(f"retrying {len(failed)} failed sample(s) from the earlier run", file=sys.stderr)
            return {r.key() for r in done if r.status != "failed"}
    out.mkdir(parents=True, exist_ok=True)
    return set()


def _engine(spec: str, cfg: RunConfig, concurrency: int):
    from harness.engines import make_engine, parse_model
    from harness.engines.llamacpp import resolve_gguf

    kind, target = parse_model(spec)
    if kind == "vllm":
        args = {"tensor_parallel_size": cfg.tensor_parallel_size, "data_parallel_size": cfg.data_parallel_size,
                "max_model_len": cfg.max_model_len, "gpu_memory_utilization": cfg.gpu_memory_utilization, "seed": cfg.seed}
        return lambda: make_engine(spec, vllm_args=args)
    if kind == "openai":
        if cfg.tokenizer and not cfg.tokenizer.startswith("hf:"):
            resolve_gguf(cfg.tokenizer)
        return lambda: make_engine(spec, base_url=cfg.base_url, tokenizer=cfg.tokenizer, chat_template=cfg.chat_template,
                                   concurrency=concurrency, stream=cfg.stream, server_args=cfg.server_args)
    path = resolve_gguf(target)
    return lambda: make_engine(spec, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads, sha256=sha256_file(path),
                               prefix_cache=cfg.prefix_cache)


def run(cfg: RunConfig, output_path: str | Path, *, data_dir=None, overwrite: bool = False,
        argv: list[str] | None = None, engine=None, large_engine=None, progress: bool = True,
        cache: str | Path | None = CACHE_FILE, exec_workers: int | None = None, concurrency: int = 4):
    """Run the sweep and write records, summary, plot and manifest into output_path. Returns the summary.

    `cache`: a response-cache file (relative paths are inside output_path), or None for no cache.
    `engine` / `large_engine`: engines to use instead of loading cfg.model / cfg.offload_model.
    `exec_workers`: processes running generated code in the sandbox (code tasks; default: one per core).
    `concurrency`: requests in flight for HTTP engines.
    """
    from tqdm import tqdm

    from harness.report import write_report

    out = Path(output_path)
    offload = cfg.strategy in OFFLOAD
    strategy = OFFLOAD.get(cfg.strategy) if offload else STRATEGIES.get(cfg.strategy)
    check_offload(cfg)
    check_sampling(cfg)
    data_dir = resolve_data_dir(data_dir)
    tasks = load_tasks(cfg, data_dir)  # every input error surfaces before anything is written
    template = read_template(cfg.chat_template)
    load_small = _engine(cfg.model, cfg, concurrency) if engine is None else None  # a missing model fails before any output
    load_large = _engine(cfg.offload_model, cfg, concurrency) if offload and large_engine is None else None
    engine = engine or load_small()
    large_engine = (large_engine or load_large()) if offload else None
    settings = prompt_settings(cfg, engine.info, template)
    fmt = settle_format(engine, settings, cfg.thinking, tuple(cfg.think_markers) if cfg.think_markers else None)
    check_format(cfg, fmt, [e for e in (engine, large_engine) if e is not None])
    done = prepare_output(out, cfg, overwrite)
    if cache is not None:
        db = ResponseCache(out / cache)
        engine = CachedEngine(engine, db)
        large_engine = CachedEngine(large_engine, db) if offload else None
    top = StrategyConfig(budget=max(cfg.budgets), solution_budget=cfg.solution_budget, temperature=cfg.temperature,
                         top_p=cfg.top_p, seed=cfg.seed, wait=cfg.wait, fmt=fmt, top_k=cfg.top_k, min_p=cfg.min_p,
                         repetition_penalty=cfg.repetition_penalty, presence_penalty=cfg.presence_penalty,
                         ignore_eos=cfg.ignore_eos, min_tokens=cfg.min_tokens)
    refused = ("offload strategies sample each response once" if offload else refusal(cfg.strategy, top)) \
        if cfg.reuse else "--no-reuse"
    if refused is None and not engine.exact_ids:
        refused = f"the {engine.name} engine returns text, not the sampled token ids, so a cut is not exact"
    manifest = {
        "config": cfg.model_dump(), "command": argv if argv is not None else sys.argv, "started": now(), "finished": None,
        "model": {"name": engine.info.name, "path": engine.info.path, "sha256": engine.info.sha256, **engine.info.extra},
        "data": {t.name: {"location": t.source.location, "sha256": t.source.sha256, "rows": t.source.rows,
                          "samples_used": len(t.samples)} for t in tasks},
        "data_dir": str(data_dir) if data_dir else None,
        "reuse": {"used": refused is None, "why_not": refused},
        "thinking_format": fmt.manifest(),
        "prompt": {"chat_template": cfg.chat_template or "the model's own", "template_sha256": sha256_text(
            settings.template_for(engine.info)), "template_kwargs": settings.template_kwargs, "system": settings.system},
        "offload_model": {"name": large_engine.info.name, "path": large_engine.info.path, "sha256": large_engine.info.sha256,
                          "same_weights_as_model": large_engine.fingerprint() == engine.fingerprint(),
                          **large_engine.info.extra} if offload else None,
        "packages": package_versions(), "git": git_commit(), "environment": environment(),
        "code": _code_manifest(tasks),
    }
    write_manifest(out / MANIFEST_FILE, manifest)
    points = [(b, r) for b in cfg.budgets for r in (cfg.offload_ratios or [None])]
    seeds = [cfg.seed + i for i in range(cfg.n)]
    work = [(t, s, seed, [p for p in points if (t.name, s.id, cfg.strategy, p[0], seed, p[1]) not in done])
            for t in tasks for s in t.samples for seed in seeds]
    work = [w for w in work if w[3]]
    ocfg = OffloadConfig(hint=cfg.offload_hint, large_chunk=cfg.large_chunk, max_offload=cfg.max_offload,
                         probe_every=cfg.probe_every, random_chunk=cfg.random_chunk,
                         large_temperature=cfg.offload_temperature, large_top_p=cfg.offload_top_p)

    def traces(task, sample, seed, todo):
        instruction = cfg.instruction if task.spec.instruction is None else task.spec.instruction
        build = prompt_builder(engine.info, dataclasses.replace(settings, instruction=instruction), fmt, sample.question)
        seeded = dataclasses.replace(top, seed=seed)
        if refused is None:
            yield from (((b, None), trace) for b, trace in sweep(cfg.strategy, engine, build, seeded, [b for b, _ in todo]))
            return
        for b, r in todo:
            scfg = dataclasses.replace(seeded, budget=b)
            try:
                if offload:
                    yield (b, r), strategy(engine, large_engine, build, scfg, dataclasses.replace(ocfg, ratio=r))
                else:
                    yield (b, r), strategy(engine, build, scfg)
            except EngineFailed as e:
                yield (b, r), Trace(error=str(e))

    # Samples run in threads when every engine takes concurrent calls (HTTP; vLLM through a batching wrapper).
    workers = concurrency if engine.parallel_safe and (large_engine is None or large_engine.parallel_safe) else 1
    manifest["parallel_samples"] = workers
    pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"), initializer=die_with_parent)
    code = any(t.spec.answer_type == "code" for t in tasks)
    code_pool = ProcessPoolExecutor(max_workers=exec_workers or len(os.sched_getaffinity(0)), mp_context=mp.get_context("spawn"),
                                    initializer=die_with_parent) if code else None
    pending: list[tuple[SampleRecord, Future]] = []
    tokens, calls, gen_s, t_start = 0, 0, 0.0, time.perf_counter()
    bar = tqdm(total=sum(len(w[3]) for w in work), desc=f"{cfg.strategy} sweep", unit="sample", disable=not progress, file=sys.stderr)
    try:
        with RecordWriter(out / RECORDS_FILE) as writer:
            for task, sample, seed, point, trace in _traces_of(work, traces, workers):
                record = make_record(task, sample, cfg, point, trace, engine, cfg.model, large_engine, seed)
                fresh = [c for c in trace.calls if not c.cached and not c.modelled and c.derived_from is None]
                tokens += sum(c.sampled for c in fresh)
                gen_s += sum(c.wall_s for c in fresh)
                calls += len(fresh)
                if record.status == "ok" and record.thinking_closed:
                    scorer = code_pool if sample.answer_type == "code" else pool
                    pending.append((record, scorer.submit(score_answer, record.answer, sample.gold, sample.answer_type)))
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
        code_pool.shutdown(cancel_futures=True) if code_pool else None
        engine.cache.close() if isinstance(engine, CachedEngine) else None  # one database for both engines
    manifest["finished"] = now()
    manifest["generated_tokens"] = tokens
    manifest["engine_calls"] = calls  # calls the engine ran (not answered by the cache, not cut from another)
    manifest["engine_generation_s"] = round(gen_s, 3)
    manifest["sweep_wall_s"] = round(time.perf_counter() - t_start, 3)
    if isinstance(engine, CachedEngine):
        hits, misses = engine.hits + getattr(large_engine, "hits", 0), engine.misses + getattr(large_engine, "misses", 0)
        manifest["cache"] = {"path": str(engine.cache.path), "hits": hits, "misses": misses}
    write_manifest(out / MANIFEST_FILE, manifest)
    return write_report(out)  # (summary frame, markdown: the sweep table and, for code tasks, pass@k)


def _code_manifest(tasks: list[Task]) -> dict | None:
    """For code tasks: the sandbox mechanism detected here, its interpreter, and whether tests are public only."""
    code = [t for t in tasks if t.spec.answer_type == "code"]
    if not code:
        return None
    from harness.livecodebench import CodeGold
    from harness.sandbox import Limits, interpreter, mechanism

    return {"sandbox": mechanism(), "interpreter": interpreter(), "limits": dataclasses.asdict(Limits()),
            "public_tests_only": {t.name: all(CodeGold.loads(s.gold).public_only for s in t.samples) for t in code}}


def _traces_of(work, traces, workers: int):
    """(task, sample, seed, point, trace) for every work item: in order, or from `workers` threads as they finish."""
    if workers <= 1:
        for task, sample, seed, todo in work:
            for point, trace in traces(task, sample, seed, todo):
                yield task, sample, seed, point, trace
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def one(item):
        task, sample, seed, todo = item
        return item, list(traces(task, sample, seed, todo))

    ex = ThreadPoolExecutor(max_workers=workers)
    try:
        for fut in as_completed([ex.submit(one, w) for w in work]):
            (task, sample, seed, _), results = fut.result()
            for point, trace in results:
                yield task, sample, seed, point, trace
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def die_with_parent() -> None:
    """A scoring worker must not outlive a harness that was killed (SIGKILL leaves no time to shut the pool down)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _flush(pending, writer: RecordWriter, wait: bool):
    left = []
    for record, fut in pending:
        if wait or fut.done():
            score: Score = fut.result()
            record.correct, record.extracted, record.verdict_reason = score.correct, score.extracted, score.reason
            if score.verdict is not None:
                record.verdict, record.test_verdicts = score.verdict, list(score.tests)
                record.verdict_reason = record.verdict_reason or (score.detail or None)
            writer.write(record)
        else:
            left.append((record, fut))
    return left
