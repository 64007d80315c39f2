"""A grid file, read and checked whole before anything runs.

    defaults:            # a run config: the fields of `harness run --config FILE` (flat, dotted or in groups)
      tasks: [gsm8k, math500]
      budgets: [256, 512]
    runs:
      - name: qwen-e1    # named overrides of the defaults
        model: llama.cpp:qwen.gguf
      - matrix:          # one run per combination; names from `name:` ({field} placeholders) or the values
          model: [smollm2-135m, vllm:Qwen/Qwen3-8B]
          strategy: [e1, plain]
        shards: 2        # grid keys: shards (split into N shards, merged), resources (what a Ray task asks for)

Every refusal names the file, the run and the field.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import BadArgumentError, HarnessError
from harness.run.config import RunConfig
from harness.run.flags import build_config, grouped, merged

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a run's folder name; "_" starts the grid's own folder
RUN_KEYS = ("name", "matrix", "shards", "resources")  # grid keys of a run entry; every other key is a config field
TOP_KEYS = ("defaults", "runs")
LEADERBOARD = "leaderboard"  # DIR/leaderboard/ (tables and site) and DIR/leaderboard.html: no run may take the name


class Resources(BaseModel):
    """What one Ray task of a run asks for (Ray's num_cpus, num_gpus and custom resources); unset: from the
    engine (vLLM: its tensor-parallel size in GPUs; llama.cpp: its threads in CPUs)."""

    model_config = ConfigDict(extra="forbid")
    num_cpus: float | None = Field(None, ge=0)
    num_gpus: float | None = Field(None, ge=0)
    custom: dict[str, float] = {}


class GridRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    config: RunConfig
    shards: int = Field(1, ge=1)
    resources: Resources = Resources()

    def declared(self) -> Resources:
        """The resources a task of this run asks Ray for."""
        from harness.engines import parse_model

        e = self.config.engine
        kind = parse_model(e.model)[0]
        if kind == "vllm":  # with vLLM's Ray executor, vLLM places its own GPU workers
            cpus, gpus = 1.0, 0.0 if e.distributed_executor_backend == "ray" else float(e.tensor_parallel_size)
        else:
            cpus, gpus = float(e.n_threads or 1) if kind == "llama.cpp" else 1.0, 0.0
        r = self.resources
        return Resources(
            num_cpus=cpus if r.num_cpus is None else r.num_cpus,
            num_gpus=gpus if r.num_gpus is None else r.num_gpus,
            custom=r.custom,
        )


class Grid(BaseModel):
    source: str
    runs: list[GridRun]


def load_grid(path: str | Path) -> Grid:
    """Every run of the file, each config validated; the first problem found is refused, naming where it is."""
    path = Path(path)
    data = _read(path)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise BadArgumentError(f"{path}: defaults: must be a mapping of run config fields (e.g. tasks: [gsm8k])")
    bad = [k for k in defaults if k in ("name", "matrix")]
    if bad:
        raise BadArgumentError(f"{path}: defaults: {bad[0]} belongs to a run under runs:, not to the defaults")
    entries = data.get("runs")
    if not isinstance(entries, list) or not entries:
        raise BadArgumentError(f"{path}: runs: must be a non-empty list of runs (each a name: and overrides)")
    named = [run for i, entry in enumerate(entries, 1) for run in _expand(path, i, entry)]
    seen: dict[str, int] = {}
    for name, i, _ in named:
        if name == LEADERBOARD:
            raise BadArgumentError(f"{path}: runs entry {i}: {name!r} is the grid's leaderboard folder; rename the run")
        if name in seen:
            raise BadArgumentError(
                f"{path}: duplicate run name {name!r} (runs entries {seen[name]} and {i}); give each run its own "
                f"name (a matrix: takes a name: template such as '{{model}}-{{strategy}}')"
            )
        seen[name] = i
    return Grid(
        source=str(path), runs=[_run(path, name, merged(grouped(defaults), grouped(over))) for name, _, over in named]
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise BadArgumentError(f"grid file {path}: cannot read it ({type(e).__name__}: {str(e).splitlines()[0]})")
    if not isinstance(data, dict):
        raise BadArgumentError(f"grid file {path}: expected a mapping with defaults: and runs:")
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise BadArgumentError(f"{path}: unknown field {unknown[0]!r} at the top; a grid file has defaults: and runs:")
    return data


def _expand(path: Path, i: int, entry) -> list[tuple[str, int, dict]]:
    """(name, entry number, overrides) for each run of one entry of runs:."""
    if not isinstance(entry, dict):
        raise BadArgumentError(f"{path}: runs entry {i} must be a mapping (name: and overrides), got {entry!r}")
    if "matrix" not in entry:
        name = entry.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise BadArgumentError(
                f"{path}: runs entry {i} needs a name: of letters, digits, '.', '_' or '-' (it names the run's "
                f"folder), got {name!r}"
            )
        return [(name, i, {k: v for k, v in entry.items() if k != "name"})]
    matrix, template = entry["matrix"], entry.get("name")
    if not isinstance(matrix, dict) or not matrix or not all(isinstance(v, list) and v for v in matrix.values()):
        raise BadArgumentError(f"{path}: runs entry {i}: matrix: maps fields to non-empty lists of values")
    rest = {k: v for k, v in entry.items() if k not in ("matrix", "name")}
    out = []
    for combo in itertools.product(*matrix.values()):
        picked = dict(zip(matrix, combo))
        slugs = {k.replace(".", "_"): _slug(v) for k, v in picked.items()}
        try:
            name = template.format(**slugs) if template else "-".join(slugs.values())
        except (KeyError, IndexError, ValueError, AttributeError) as e:
            raise BadArgumentError(
                f"{path}: runs entry {i}: name template {template!r} ({type(e).__name__}: {e}); use placeholders "
                f"of the matrix fields: {', '.join('{' + k + '}' for k in slugs)}"
            ) from None
        if not NAME.fullmatch(name):
            raise BadArgumentError(f"{path}: runs entry {i}: run name {name!r} is no folder name; set name:")
        out.append((name, i, {**rest, **picked}))
    return out


def _slug(value) -> str:
    """A value as part of a run name: a model spec by its file or repo name ('llama.cpp:/m/qwen.gguf' -> 'qwen')."""
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    text = text.split(":", 1)[1] if re.match(r"[a-z.-]+:", text) else text
    text = text.rstrip("/").rsplit("/", 1)[-1].removesuffix(".gguf")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "run"


def _run(path: Path, name: str, values: dict[str, Any]) -> GridRun:
    where = f"{path}: run {name!r}: "
    grid = {k: values.pop(k) for k in RUN_KEYS if k in values}
    cfg = build_config(values, where)
    try:
        run = GridRun(name=name, config=cfg, **grid)
    except ValidationError as e:
        err = e.errors()[0]
        raise BadArgumentError(f"{where}{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    if run.shards > 1 and cfg.selection.shard:
        raise BadArgumentError(f"{where}shard {cfg.selection.shard!r} and shards: {run.shards} both split it; keep one")
    _check_inputs(where, run)
    return run


def _check_inputs(where: str, run: GridRun) -> None:
    """What can be checked without data or weights: task names, the model spec, budgets the context holds."""
    from harness.run.config import check_budgets_fit
    from harness.tasks import expand_task_names

    try:
        expand_task_names(run.config.selection.tasks, run.config.selection.include_path)
        run.declared()
        check_budgets_fit(run.config)
    except HarnessError as e:
        raise BadArgumentError(where + str(e)) from None
