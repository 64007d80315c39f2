"""A run's plan, built once from its config: tasks and samples, engines by role, the strategy with its reuse decision,
the prompt settings and thinking format, the typed manifest, and the jobs still to do.

Every input error surfaces here, before the output folder is touched.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import budgets
from harness.api import Task
from harness.cache import CachedEngine, ResponseCache
from harness.run.config import RunConfig, SelectionOptions, check_budgets_fit, check_format, read_template
from harness.data import load_rows, resolve_data_dir, sha256_file, sha256_text
from harness.engines.base import Engine
from harness.errors import BadArgumentError
from harness.manifest import MANIFEST_VERSION, Manifest, environment, git_commit, now, package_versions
from harness.run.merge import in_shard, parse_shard
from harness.prompts import PromptSettings, prompt_settings, settle_format
from harness.run.output import prepare_output
from harness.strategies import STRATEGIES, Strategy, StrategyConfig, refusal
from harness.strategies.offload import OffloadConfig
from harness.tasks import Sample, build_samples, expand_task_names
from harness.thinking import ThinkingFormat


def chat_format(prompt) -> ThinkingFormat:
    """A chat engine's thinking format: the server applies the template, so nothing is detected here. `auto` is
    `model` (thinking comes back apart, from a reasoning parser, or inside the markers in content); `template` says
    the server's template opens thinking, so a response the server did not split is thinking up to the end marker
    (e1 over chat then continues from the opener and a newline, as such templates end)."""
    mode = "model" if prompt.thinking == "auto" else prompt.thinking
    if mode == "prefill":
        raise BadArgumentError(
            "--thinking prefill appends the opener to a prompt the harness renders; over chat the server renders "
            "it: use --thinking template (the server's template opens thinking) or model"
        )
    open_, close = prompt.think_markers or ("<think>", "</think>")
    how = {
        "model": "thinking comes back apart (a reasoning parser) or inside the markers in content",
        "template": "its template opens thinking (--thinking template)",
        "none": "no thinking phase (--thinking none)",
    }[mode]
    return ThinkingFormat(mode, open_, close, reason=f"the server applies the chat template; {how}")


@dataclass(frozen=True)
class SampleJob:
    """One (task, sample, seed) and the (budget, offload ratio) points it still needs."""

    task: Task
    sample: Sample
    seed: int
    points: tuple[tuple[int, float | None], ...]


@dataclass
class RunPlan:
    cfg: RunConfig
    out: Path
    tasks: list[Task]
    engines: dict[str, Engine]  # by role: "model", and "large" for offload strategies
    strategy: Strategy
    settings: PromptSettings
    fmt: ThinkingFormat
    top: StrategyConfig  # the strategy settings at the largest budget; jobs replace budget and seed
    offload: OffloadConfig | None
    reuse_refused: str | None  # None: one long first call per (sample, seed) serves every budget
    manifest: Manifest
    jobs: list[SampleJob]

    @property
    def engine(self) -> Engine:
        return self.engines["model"]


def load_tasks(cfg: RunConfig, data_dir) -> list[Task]:
    tasks = []
    shard = parse_shard(cfg.selection.shard)
    for spec in expand_task_names(cfg.selection.tasks, cfg.selection.include_path):
        rows, source = load_rows(spec.task, spec.folder, spec.hub, data_dir, cfg.code.release)
        samples = [s for s in build_samples(spec, rows, cfg.code.tests_dir) if _keep(s, cfg.selection)][
            : cfg.selection.limit
        ]
        samples = [s for s in samples if in_shard(spec.task, s.id, shard)]  # --limit applies before sharding
        tasks.append(Task(spec, samples, source))
    if not any(t.samples for t in tasks):
        raise BadArgumentError(
            f"no samples to run: --shard {cfg.selection.shard}, --limit {cfg.selection.limit} and the filters "
            f"select none of "
            f"{', '.join(t.name for t in tasks)}; use fewer shards, a larger --limit or wider filters"
        )
    return tasks


def _keep(s: Sample, sel: SelectionOptions) -> bool:
    if sel.difficulty and s.difficulty not in sel.difficulty:
        return False
    if sel.platform and s.platform not in sel.platform:
        return False
    day = (s.date or "")[:10]
    return not ((sel.date_from and day < sel.date_from) or (sel.date_to and day > sel.date_to))


def engine_loader(spec: str, cfg: RunConfig, concurrency: int, request_timeout: float = 600.0):
    """A function that loads the engine; resolving it first makes a missing model fail before anything loads."""
    from harness.engines import make_engine, parse_model
    from harness.engines.llamacpp import resolve_gguf

    e = cfg.engine
    kind, target = parse_model(spec)
    if kind == "vllm":
        open_, close = cfg.prompt.think_markers or ("<think>", "</think>")  # vLLM's ReasoningConfig (vllm-budget)
        args = {
            **e.model_dump(
                include={"tensor_parallel_size", "data_parallel_size", "max_model_len", "distributed_executor_backend"}
            ),
            "gpu_memory_utilization": e.gpu_memory_utilization,
            "seed": cfg.sampling.seed,
            "think_open": open_,
            "think_close": close,
        }
        return lambda: make_engine(spec, vllm_args=args)
    if kind in ("openai", "openai-chat"):
        if e.tokenizer and not e.tokenizer.startswith("hf:"):
            resolve_gguf(e.tokenizer)
        chat = e.model_dump(include={"effort_via", "budget_via", "max_tokens_field", "continue_via"})
        return lambda: make_engine(
            spec,
            base_url=e.base_url,
            tokenizer=e.tokenizer,
            concurrency=concurrency,
            timeout_s=request_timeout,
            stream=e.stream,
            server_args=e.server_args,
            chat_args=chat if kind == "openai-chat" else None,
        )
    path = resolve_gguf(target)
    return lambda: make_engine(
        spec, n_ctx=e.n_ctx, n_threads=e.n_threads, sha256=sha256_file(path), prefix_cache=e.prefix_cache
    )


def build_plan(
    cfg: RunConfig,
    out: Path,
    *,
    data_dir=None,
    overwrite: bool = False,
    argv: list[str] | None = None,
    engines: dict[str, Engine] | None = None,
    cache: str | Path | None = "cache.sqlite",
    concurrency: int = 4,
    request_timeout: float = 600.0,
) -> RunPlan:
    """Check everything, load what is missing of `engines`, prepare the output folder, and plan the jobs."""
    strategy = STRATEGIES.get(cfg.strategy.name)
    check_budgets_fit(cfg)
    data_dir = resolve_data_dir(data_dir)
    tasks = load_tasks(cfg, data_dir)
    template = read_template(cfg.prompt.chat_template)
    specs = {"model": cfg.engine.model, "large": cfg.strategy.offload.model if cfg.strategy.offload else None}
    engines = dict(engines or {})
    loaders = {
        role: engine_loader(specs[role], cfg, concurrency, request_timeout)
        for role in strategy.roles
        if role not in engines
    }
    engines.update({role: load() for role, load in loaders.items()})
    settings = prompt_settings(cfg.prompt, engines["model"].info, template)
    markers = cfg.prompt.think_markers
    fmt = (
        chat_format(cfg.prompt)
        if engines["model"].chat
        else settle_format(engines["model"], settings, cfg.prompt.thinking, tuple(markers) if markers else None)
    )
    check_format(cfg, fmt, list(engines.values()))
    manifest = _manifest(cfg, argv, engines, tasks, data_dir, None, settings, fmt, strategy)
    done = prepare_output(out, cfg, overwrite, manifest)
    if cache is not None:
        db = ResponseCache(out / cache)
        engines = {role: CachedEngine(e, db) for role, e in engines.items()}
    sampling = cfg.sampling.model_dump(exclude={"n", "pass_k"})
    top = StrategyConfig(
        budget=budgets.largest(cfg.strategy.budgets),
        solution_budget=cfg.strategy.solution_budget,
        wait=cfg.strategy.wait,
        fmt=fmt,
        **sampling,
    )
    refused = refusal(strategy, top) if cfg.strategy.reuse else "--no-reuse"
    if refused is None and not engines["model"].exact_ids:
        refused = f"the {engines['model'].name} engine returns text, not the sampled token ids, so a cut is not exact"
    offload = cfg.strategy.offload.protocol() if strategy.offload else None
    manifest.reuse = {"used": refused is None, "why_not": refused}
    return RunPlan(
        cfg, out, tasks, engines, strategy, settings, fmt, top, offload, refused, manifest, _jobs(cfg, tasks, done)
    )


def _jobs(cfg: RunConfig, tasks: list[Task], done: set[tuple]) -> list[SampleJob]:
    ratios = (cfg.strategy.offload.ratios if cfg.strategy.offload else []) or [None]
    points = [(b, r) for b in cfg.strategy.budgets for r in ratios]
    jobs = [
        SampleJob(t, s, seed, tuple(p for p in points if _key(t, s, cfg, p, seed) not in done))
        for t in tasks
        for s in t.samples
        for seed in range(cfg.sampling.seed, cfg.sampling.seed + cfg.sampling.n)
    ]
    return [j for j in jobs if j.points]


def _key(task: Task, sample: Sample, cfg: RunConfig, point, seed: int) -> tuple:
    """SampleRecord.key() of the record this point will write."""
    return task.name, sample.id, cfg.strategy.name, point[0], seed, point[1]


def _model_entry(engine: Engine) -> dict:
    return {"name": engine.info.name, "path": engine.info.path, "sha256": engine.info.sha256, **engine.info.extra}


def _manifest(cfg, argv, engines, tasks, data_dir, refused, settings, fmt, strategy) -> Manifest:
    large = engines.get("large")
    return Manifest(
        version=MANIFEST_VERSION,
        kind="offload" if strategy.offload else "budget",
        config=cfg.model_dump(mode="json"),
        command=argv if argv is not None else sys.argv,
        started=now(),
        model=_model_entry(engines["model"]),
        data={
            t.name: {
                "location": t.source.location,
                "sha256": t.source.sha256,
                "rows": t.source.rows,
                "samples_used": len(t.samples),
            }
            for t in tasks
        },
        data_dir=str(data_dir) if data_dir else None,
        reuse={"used": refused is None, "why_not": refused},
        thinking_format=fmt.manifest(),
        prompt={
            "chat_template": "applied by the server"
            if engines["model"].chat
            else cfg.prompt.chat_template or "the model's own",
            "template_sha256": sha256_text(settings.template_for(engines["model"].info)),
            "template_kwargs": settings.template_kwargs,
            "system": settings.system,
        },
        offload_model={
            **_model_entry(large),
            "same_weights_as_model": large.fingerprint() == engines["model"].fingerprint(),
        }
        if large is not None
        else None,
        packages=package_versions(),
        git=git_commit(),
        environment=environment(),
        code=_code_manifest(tasks),
    )


def _code_manifest(tasks: list[Task]) -> dict | None:
    """For code tasks: the sandbox mechanism detected here, its interpreter, and whether tests are public only."""
    code = [t for t in tasks if t.spec.answer_type == "code"]
    if not code:
        return None
    from harness.livecodebench import CodeGold
    from harness.sandbox import Limits, interpreter, mechanism

    return {
        "sandbox": mechanism(),
        "interpreter": interpreter(),
        "limits": dataclasses.asdict(Limits()),
        "public_tests_only": {t.name: all(CodeGold.loads(s.gold).public_only for s in t.samples) for t in code},
    }
