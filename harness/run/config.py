"""A run's configuration: everything that decides its results, in groups, each default and each check in one place.

    RunConfig
      engine     which model and how it is served (embedded llama.cpp, an HTTP server, vLLM)
      prompt     instruction, system prompt, chat template, thinking format
      sampling   seed, temperature and the other sampling knobs, samples per problem
      selection  tasks and which of their samples run
      strategy   the strategy, its budgets, and the offload part for offload strategies
      code       where code tasks' tests come from

Configs written flat (manifests before version 2, and `RunConfig(tasks=..., budgets=...)` in scripts) are nested
by `nest`, so old runs still load and resume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness import budgets
from harness.engines.base import NEUTRAL_SAMPLING
from harness.engines.openai_chat import BUDGET_VIA, CONTINUE_VIA, EFFORT_VIA, MAX_TOKENS_FIELDS
from harness.errors import BadArgumentError
from harness.latency import load_table, pick
from harness.prompts import PromptSettings
from harness.strategies import STRATEGIES, StrategyConfig
from harness.strategies.offload import OffloadConfig
from harness.thinking import MODES


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _positive(v, info):
    if v is not None and v <= 0:
        raise ValueError(f"--{info.field_name.replace('_', '-')} must be a positive integer, got {v}")
    return v


class EngineOptions(_Group):
    """Which model, and how it is served."""

    model: str = "smollm2-135m"
    n_ctx: int = 8192  # llama.cpp
    n_threads: int | None = None
    prefix_cache: bool = False  # llama.cpp KV prefix reuse across requests: faster, but request order changes rounding
    base_url: str | None = None  # HTTP engines (openai:MODEL)
    tokenizer: str | None = None  # HTTP engines: an alias or GGUF whose tokenizer counts and cuts tokens
    stream: bool = False
    server_args: dict[str, float | int | str] = {}  # extra request fields, e.g. repeat_penalty for llama.cpp's server
    tensor_parallel_size: int = 1  # vLLM
    data_parallel_size: int = 1
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    # openai-chat: how budgets reach the server
    effort_via: Literal[EFFORT_VIA] = "reasoning_effort"  # the field, or gpt-oss's system line
    budget_via: Literal[BUDGET_VIA] = "thinking_token_budget"  # vLLM's, or a provider's
    max_tokens_field: Literal[MAX_TOKENS_FIELDS] = "both"  # o-series refuse max_tokens
    continue_via: Literal[CONTINUE_VIA] = "none"  # e1: how a server continues a message

    _check_positive = field_validator(
        "n_ctx", "n_threads", "tensor_parallel_size", "data_parallel_size", "max_model_len"
    )(_positive)


class PromptOptions(_Group):
    """What the model is shown, and how its thinking is marked (harness/prompts.py, harness/thinking.py)."""

    instruction: str = PromptSettings.instruction  # a task's own instruction (YAML `instruction:`) still wins
    system: str | None = None
    thinking: str = "auto"  # auto | template | model | prefill | none
    think_markers: list[str] | None = None  # [open, close]; None: detected
    chat_template: str | None = None  # a Jinja file replacing the model's chat template (every engine)
    chat_template_kwargs: dict[str, bool | int | float | str] = {}

    @field_validator("think_markers")
    @classmethod
    def _think_markers(cls, v: list[str] | None) -> list[str] | None:
        from harness.thinking import check_markers

        check_markers(v)
        return v

    @field_validator("thinking")
    @classmethod
    def _thinking(cls, v: str) -> str:
        if v not in MODES:
            raise ValueError(f"--thinking {v!r} is not a mode; use one of {', '.join(MODES)}")
        return v


class SamplingOptions(_Group):
    """How tokens are drawn, and how many samples per problem."""

    seed: int = 0
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0  # 0: off
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    ignore_eos: bool = False  # keep generating past end-of-generation tokens (fixed-length benchmarks)
    min_tokens: int = 0  # no end-of-generation token before this many tokens
    n: int = 1  # samples per problem (seeds seed .. seed+n-1), for pass@k
    pass_k: list[int] = [1]

    @field_validator("temperature")
    @classmethod
    def _temperature(cls, v: float) -> float:
        if not 0.0 <= v <= 100.0:
            raise ValueError(f"temperature must be >= 0, got {v}")
        return v

    @field_validator("top_p", "min_p")
    @classmethod
    def _probability(cls, v: float, info) -> float:
        if not 0.0 <= v <= 1.0 or (info.field_name == "top_p" and v == 0.0):
            raise ValueError(
                f"{info.field_name} must lie in {'(0, 1]' if info.field_name == 'top_p' else '[0, 1]'}, got {v}"
            )
        return v

    @field_validator("top_k", "min_tokens")
    @classmethod
    def _non_negative(cls, v: int, info) -> int:
        if v < 0:
            raise ValueError(f"{info.field_name} must be >= 0 (0 turns it off), got {v}")
        return v

    @field_validator("repetition_penalty")
    @classmethod
    def _repetition(cls, v: float) -> float:
        if v <= 0:
            raise ValueError(f"repetition_penalty must be > 0 (1 turns it off), got {v}")
        return v

    @field_validator("presence_penalty")
    @classmethod
    def _presence(cls, v: float) -> float:
        if not -2.0 <= v <= 2.0:
            raise ValueError(f"presence_penalty must lie in [-2, 2], got {v}")
        return v

    @field_validator("n")
    @classmethod
    def _n(cls, v: int) -> int:
        if v <= 0:
            raise ValueError(f"--n must be a positive number of samples per problem, got {v}")
        return v

    @model_validator(mode="after")
    def _pass_k(self):
        bad = [k for k in self.pass_k if not 1 <= k <= self.n]
        if bad:
            raise ValueError(f"--pass-k {bad}: each k must lie in 1..--n ({self.n}); raise --n or drop those k")
        if self.n > 1 and self.temperature == 0:
            raise ValueError(
                f"--n {self.n} at temperature 0 repeats one greedy answer; pass --gen-kwargs temperature=0.6 (or so)"
            )
        return self


class SelectionOptions(_Group):
    """The tasks, and which of their samples run."""

    tasks: list[str]
    limit: int | None = None  # the first N samples of each task (before sharding)
    include_path: list[str] = []  # more folders of task YAML files
    difficulty: list[str] = []  # code tasks: keep these difficulties (easy, medium, hard)
    platform: list[str] = []  # code tasks: keep these platforms (atcoder, codeforces, leetcode)
    date_from: str | None = None  # keep problems dated on or after (YYYY-MM-DD)
    date_to: str | None = None
    shard: str | None = None  # "I/N": this run takes the samples whose (task, id) hash falls in shard I of N

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("--tasks is empty; name tasks or groups, e.g. --tasks gsm8k,math500 (see `harness tasks`)")
        return v

    @field_validator("limit")
    @classmethod
    def _limit(cls, v):
        if v is not None and v <= 0:
            raise ValueError(f"--limit must be a positive number of samples per task, got {v}")
        return v


class OffloadOptions(_Group):
    """The large model and the offload protocol's settings; budgets are then the total generated tokens."""

    model: str | None = None
    ratios: list[float] = []  # random-offload's target ratios
    temperature: float | None = None  # the large model's sampling; None: the run's
    top_p: float | None = None
    probe_every: int = OffloadConfig.probe_every
    large_chunk: int = OffloadConfig.large_chunk
    max_offload: int = OffloadConfig.max_offload
    random_chunk: int = OffloadConfig.random_chunk
    hint: str = OffloadConfig.hint
    latency_table: str = "splitreason"
    latency_models: list[str] = ["1.5B", "32B"]  # (small, large) rows of the latency table

    _check_positive = field_validator("probe_every", "large_chunk", "max_offload", "random_chunk")(_positive)

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, v: list[float]) -> list[float]:
        bad = [r for r in v if not 0.0 <= r <= 1.0]
        if bad:
            raise ValueError(f"--offload-ratios must lie in [0, 1] (e.g. 0,0.1,0.5,1), got {bad}")
        return sorted(set(v))

    @model_validator(mode="after")
    def _latency(self):
        table = load_table(self.latency_table)
        for name in self.latency_models:
            pick(table, name)
        return self

    def protocol(self) -> OffloadConfig:
        """The strategy's settings (each job sets its ratio)."""
        return OffloadConfig(
            hint=self.hint,
            large_chunk=self.large_chunk,
            max_offload=self.max_offload,
            probe_every=self.probe_every,
            random_chunk=self.random_chunk,
            large_temperature=self.temperature,
            large_top_p=self.top_p,
        )


class StrategyOptions(_Group):
    """The strategy and its budgets; offload strategies add the offload part."""

    name: str = "e1"
    budgets: list[int | str]  # token counts; effort levels (low, medium, high) for --strategy effort only
    solution_budget: int = StrategyConfig.solution_budget
    wait: int = 0  # s1: replace an early end of thinking with "Wait" up to N times
    reuse: bool = True  # one long first call per (sample, seed) serves every budget where valid
    offload: OffloadOptions | None = None  # offload strategies (splitreason, random-offload) only

    _check_positive = field_validator("solution_budget")(_positive)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        STRATEGIES.get(v)  # an unknown name fails here with "did you mean"
        return v

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, v: list[int | str], info) -> list[int | str]:
        effort = info.data.get("name") == "effort"
        v = budgets.check(v, words_allowed=effort)
        if effort and budgets.is_numeric(v):
            raise ValueError(f"--strategy effort walks effort levels, got {v}; pass e.g. --budgets low,medium,high")
        return v

    @field_validator("wait")
    @classmethod
    def _wait(cls, v: int) -> int:
        if v < 0:
            raise ValueError(f"--wait must be >= 0 (times), got {v}")
        return v

    @model_validator(mode="after")
    def _offload(self):
        offload = STRATEGIES.get(self.name).offload
        o = self.offload or OffloadOptions()
        if offload and not o.model:
            raise ValueError(
                f"strategy {self.name} needs --offload-model (the large model), "
                f"e.g. --offload-model llama.cpp:PATH.gguf"
            )
        if not offload and (o.model or o.ratios):
            raise ValueError(
                f"--offload-model and --offload-ratios need an offload strategy "
                f"({', '.join(n for n in STRATEGIES.names() if STRATEGIES.get(n).offload)}), not {self.name}"
            )
        if self.name == "random-offload" and not o.ratios:
            raise ValueError("random-offload needs --offload-ratios, e.g. --offload-ratios 0,0.05,0.1,0.2,0.5,1")
        if self.name == "splitreason" and o.ratios:
            raise ValueError(
                "splitreason's offload ratio is what the model chooses; drop --offload-ratios "
                "(random-offload takes target ratios)"
            )
        return self


class CodeOptions(_Group):
    """Where code tasks' tests come from."""

    tests_dir: str | None = None  # livecodebench_v5: the folder of md5-checked test files
    release: str | None = None  # hub loading of livecodebench: the release, e.g. release_v5


GROUPS: dict[str, type[_Group]] = {
    "engine": EngineOptions,
    "prompt": PromptOptions,
    "sampling": SamplingOptions,
    "selection": SelectionOptions,
    "strategy": StrategyOptions,
    "code": CodeOptions,
}
_RENAMED = {("strategy", "name"): "strategy", ("code", "tests_dir"): "code_tests_dir"}
FLAT = {_RENAMED.get((g, n), n): (g, n) for g, cls in GROUPS.items() for n in cls.model_fields}  # flat -> (group, name)


def nest(config: dict[str, Any]) -> dict[str, Any]:
    """A flat config (manifests before version 2, keyword arguments in scripts) as groups; other keys stay."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in GROUPS and isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        elif key in FLAT:
            group, name = FLAT[key]
            out.setdefault(group, {})[name] = value
        else:
            out[key] = value
    return out


class RunConfig(BaseModel):
    """Everything that decides a run's results. Two runs with equal configs are the same run."""

    model_config = ConfigDict(extra="forbid")
    engine: EngineOptions = Field(default_factory=EngineOptions)
    prompt: PromptOptions = Field(default_factory=PromptOptions)
    sampling: SamplingOptions = Field(default_factory=SamplingOptions)
    selection: SelectionOptions
    strategy: StrategyOptions
    code: CodeOptions = Field(default_factory=CodeOptions)
    log_samples: bool = False  # also keep questions, prompts and token ids in the records

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data):
        return nest(data) if isinstance(data, dict) else data


def read_template(path: str | None) -> str | None:
    """The text of `--chat-template FILE`, or None."""
    if path is None:
        return None
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadArgumentError(
            f"--chat-template {path}: cannot read it ({type(e).__name__}: {e}); pass a readable Jinja "
            f"file such as a model's chat_template from its tokenizer_config.json"
        ) from None


def check_format(cfg: RunConfig, fmt, engines) -> None:
    """Options that the settled thinking format or the engines cannot honour, refused before anything is written."""
    if cfg.strategy.wait and not fmt.thinks:
        raise BadArgumentError(
            f"--wait {cfg.strategy.wait} replaces the end of thinking, but this model does not think "
            f"({fmt.reason}); drop --wait or set --thinking / --think-markers"
        )
    strategy = STRATEGIES.get(cfg.strategy.name)
    chat_engine, chat_strategy = engines[0].chat, strategy.chat
    if chat_strategy and not chat_engine:
        raise BadArgumentError(
            f"--strategy {cfg.strategy.name} sends its budget as a chat request field; use --model openai-chat:MODEL "
            f"--base-url URL (a /v1/chat/completions server), not {cfg.engine.model}"
        )
    if chat_engine and strategy.continues_chat and engines[0].continue_via == "none":
        raise BadArgumentError(
            f"--strategy {cfg.strategy.name} over chat continues the assistant's message after </think>, which a "
            f"server must be told how to do: pass --continue-via continue_final_message (vLLM, SGLang) or prefix "
            f"(DeepSeek); llama.cpp's server cannot (it answers with a new turn): use --model openai:MODEL there"
        )
    if chat_engine and not chat_strategy and not strategy.continues_chat:
        raise BadArgumentError(
            f"--strategy {cfg.strategy.name} continues the assistant's text (after a cut or </think>), which "
            f"/v1/chat/completions cannot express portably; use effort, server-budget or e1 (with --continue-via) "
            f"with openai-chat, or --model openai:MODEL (/v1/completions) on the same server"
        )
    if cfg.strategy.name == "vllm-budget" and not fmt.thinks:
        raise BadArgumentError(
            f"vllm-budget bounds thinking, but this model does not think ({fmt.reason}); use e1 or plain"
        )
    asked = {
        k: getattr(cfg.sampling, k) for k, neutral in NEUTRAL_SAMPLING.items() if getattr(cfg.sampling, k) != neutral
    }
    for engine in engines:
        missing = sorted(set(asked) - engine.sampling_options)
        if missing:
            raise BadArgumentError(
                f"the {engine.name} engine has no {', '.join(missing)}; drop "
                f"{', '.join(f'{k}={asked[k]}' for k in missing)} from --gen-kwargs"
            )


def check_budgets_fit(cfg: RunConfig) -> None:
    """A token budget the model's context cannot hold is refused before the model loads: under reuse its one long
    call would fail, and with it every smaller budget cut from that call."""
    from harness.engines import parse_model

    limits = []
    for spec in (cfg.engine.model, cfg.strategy.offload.model if cfg.strategy.offload else None):
        try:
            kind = parse_model(spec)[0] if spec else None
        except BadArgumentError:
            continue  # an unknown model is refused, with its own message, where it loads
        if kind == "llama.cpp":
            limits.append(("--n-ctx", cfg.engine.n_ctx))
        elif kind == "vllm" and cfg.engine.max_model_len:
            limits.append(("--max-model-len", cfg.engine.max_model_len))
    numeric = [b for b in cfg.strategy.budgets if isinstance(b, int)]
    for option, limit in limits:
        over = [b for b in numeric if b >= limit]
        if over:
            raise BadArgumentError(
                f"--budgets {','.join(map(str, over))}: the context ({option} {limit}) cannot hold that many "
                f"generated tokens after the prompt; drop those budgets or raise {option}"
            )
