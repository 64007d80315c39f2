"""A run's configuration: everything that decides its results, in groups, each default and each check in one place.

    RunConfig
      engine     which model and how it is served (embedded llama.cpp, an HTTP server, vLLM)
      prompt     instruction, system prompt, chat template, thinking format
      sampling   seed, temperature and the other sampling knobs, samples per problem
      selection  tasks and which of their samples run
      strategy   the strategy, its budgets, and the offload part for offload strategies
      code       where code tasks' tests come from

Each field's description is its help text; its `Flag` metadata says how `harness run` takes it where the field's
name and type do not (harness/run/flags.py generates the flags from these definitions).

Configs written flat (manifests before version 2, and `RunConfig(tasks=..., budgets=...)` in scripts) are nested
by `nest`, so old runs still load and resume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness import budgets
from harness import cli_values
from harness.engines.base import NEUTRAL_SAMPLING
from harness.engines.openai_chat import BUDGET_VIA, CONTINUE_VIA, EFFORT_VIA, MAX_TOKENS_FIELDS
from harness.errors import BadArgumentError
from harness.latency import load_table, pick
from harness.prompts import PromptSettings
from harness.run.flags import Flag
from harness.strategies import STRATEGIES, StrategyConfig
from harness.strategies.offload import OffloadConfig
from harness.thinking import MODES


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _positive(v, info):
    if v is not None and v <= 0:
        raise ValueError(f"--{info.field_name.replace('_', '-')} must be a positive integer, got {v}")
    return v


HTTP, VLLM = Flag(section="http"), Flag(section="vllm")


class EngineOptions(_Group):
    """Which model, and how it is served."""

    model: str = Field(
        "smollm2-135m",
        description="smollm2-135m (default, embedded), llama.cpp:PATH.gguf, vllm:HF_ID_OR_PATH, or openai:MODEL / "
        "openai-chat:MODEL with --base-url",
    )
    n_ctx: int = Field(8192, description="llama.cpp context length")
    n_threads: int | None = Field(None, description="llama.cpp threads (default: all cores)")
    prefix_cache: bool = Field(
        False,
        description="llama.cpp: reuse the KV cache of a shared prompt prefix across requests (faster; greedy "
        "results may then depend on request order through rounding, so reruns are not exact)",
    )
    base_url: Annotated[str | None, HTTP] = Field(
        None, description="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
    )
    tokenizer: Annotated[str | None, HTTP] = Field(
        None,
        description="the served model's tokenizer: an alias, a GGUF, or hf:PATH_OR_ID (transformers.AutoTokenizer); "
        "gives the chat template and counts tokens",
    )
    stream: Annotated[bool, HTTP] = Field(False, description="stream responses to measure time to first token")
    server_args: Annotated[dict[str, float | int | str], Flag(parse=cli_values.server_args, section="http")] = Field(
        {}, description="extra request fields, e.g. repeat_penalty=1.0,top_k=0 for llama.cpp's server"
    )
    tensor_parallel_size: Annotated[int, VLLM] = Field(1, description="GPUs per model (Ray: the GPUs a run asks for)")
    data_parallel_size: Annotated[int, VLLM] = Field(
        1, description="refused in one process by vLLM: use --shard I/N per GPU and harness merge (or a grid)"
    )
    max_model_len: Annotated[int | None, VLLM] = Field(None, description="vLLM's context length")
    gpu_memory_utilization: Annotated[float, VLLM] = Field(0.9, description="share of GPU memory vLLM takes")
    distributed_executor_backend: Annotated[Literal["mp", "ray"] | None, VLLM] = Field(
        None,
        description="vLLM's executor: ray for a model larger than one node's GPUs (docs/grid.md); default: vLLM's "
        "choice (mp on one node)",
    )
    # openai-chat: how budgets reach the server
    effort_via: Annotated[Literal[EFFORT_VIA], HTTP] = Field(
        "reasoning_effort",
        description="openai-chat, --strategy effort: the reasoning_effort field, or gpt-oss's 'Reasoning: low' "
        "system line",
    )
    budget_via: Annotated[Literal[BUDGET_VIA], HTTP] = Field(
        "thinking_token_budget",
        description="openai-chat, --strategy server-budget: vLLM's thinking_token_budget, or thinking: {type: "
        "enabled, budget_tokens: N}",
    )
    max_tokens_field: Annotated[Literal[MAX_TOKENS_FIELDS], HTTP] = Field(
        "both", description="openai-chat: the answer-budget field(s) sent (OpenAI's o-series refuse max_tokens)"
    )
    continue_via: Annotated[Literal[CONTINUE_VIA], HTTP] = Field(
        "none",
        description="openai-chat, --strategy e1: how the server continues the assistant message after the thinking "
        "(vLLM, SGLang: continue_final_message; DeepSeek: prefix); none refuses e1 over chat",
    )

    _check_positive = field_validator(
        "n_ctx", "n_threads", "tensor_parallel_size", "data_parallel_size", "max_model_len"
    )(_positive)


class PromptOptions(_Group):
    """What the model is shown, and how its thinking is marked (harness/prompts.py, harness/thinking.py)."""

    instruction: str = Field(
        PromptSettings.instruction,
        description="text after the question (default: 'Please reason step by step, and put your final answer "
        "within \\boxed{}.'; '' for none); a task's own instruction (YAML `instruction:`) still wins",
    )
    system: str | None = Field(None, description="a system prompt (default: none, or the template's own default)")
    thinking: Annotated[str, Flag(choices=MODES)] = Field(
        "auto",
        description="auto (default: detected from the chat template and vocabulary), template (the template opens "
        "thinking), model (the model writes its opener), prefill (the harness opens it), none (no thinking)",
    )
    think_markers: Annotated[list[str] | None, Flag(parse=cli_values.markers)] = Field(
        None,
        description="OPEN,CLOSE thinking markers, e.g. '<|im_start|>think,<|im_start|>answer' (s1.1) or 'harmony' "
        "(gpt-oss); default: detected",
    )
    chat_template: str | None = Field(
        None, description="a Jinja chat template file replacing the model's own (every engine)"
    )
    chat_template_kwargs: dict[str, bool | int | float | str] = Field(
        {},
        description="template arguments, e.g. enable_thinking=false (Qwen3, SmolLM3, DeepSeek-V3.1) or "
        "reasoning_effort=high (gpt-oss)",
    )

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


GEN, CODE = Flag(via="--gen-kwargs"), Flag(section="code")


class SamplingOptions(_Group):
    """How tokens are drawn, and how many samples per problem."""

    seed: int = Field(0, description="the first sample's seed")
    temperature: Annotated[float, GEN] = 0.0
    top_p: Annotated[float, GEN] = 1.0
    top_k: Annotated[int, GEN] = 0  # 0: off
    min_p: Annotated[float, GEN] = 0.0
    repetition_penalty: Annotated[float, GEN] = 1.0
    presence_penalty: Annotated[float, GEN] = 0.0
    ignore_eos: Annotated[bool, GEN] = False  # keep generating past end-of-generation tokens (fixed-length benchmarks)
    min_tokens: Annotated[int, GEN] = 0  # no end-of-generation token before this many tokens
    n: Annotated[int, CODE] = Field(1, description="samples per problem (seeds seed..seed+n-1), for pass@k")
    pass_k: Annotated[list[int], CODE] = Field([1], description="k values for pass@k, each <= --n")

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

    tasks: list[str] = Field(description="comma-separated task or group names (see `harness tasks`)")
    limit: int | None = Field(None, description="first N samples of each task (before sharding)")
    include_path: Annotated[list[str], Flag(parse=str, append=True)] = Field(
        [], description="another folder of task YAML files (repeatable)"
    )
    difficulty: Annotated[list[str], CODE] = Field([], description="keep these difficulties, e.g. easy,medium")
    platform: Annotated[list[str], CODE] = Field([], description="keep these platforms: atcoder, codeforces, leetcode")
    date_from: Annotated[str | None, CODE] = Field(None, description="keep problems dated on or after YYYY-MM-DD")
    date_to: Annotated[str | None, CODE] = Field(None, description="keep problems dated on or before YYYY-MM-DD")
    shard: str | None = Field(
        None,
        description="I/N: run shard I of N (samples split by a stable hash of their id); combine the shards with "
        "`harness merge` (a grid's `shards: N` does both)",
    )

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


LARGE = Flag(via="--offload-gen-kwargs")


class OffloadOptions(_Group):
    """The large model and the offload protocol's settings; budgets are then the total generated tokens."""

    model: Annotated[str | None, Flag(name="--offload-model")] = Field(
        None, description="the large model: an alias or llama.cpp:PATH.gguf"
    )
    ratios: Annotated[list[float], Flag(name="--offload-ratios")] = Field(
        [], description="random-offload target ratios, e.g. 0,0.05,0.1,0.2,0.5,1"
    )
    temperature: Annotated[float | None, LARGE] = None  # the large model's sampling; None: the run's
    top_p: Annotated[float | None, LARGE] = None
    probe_every: int = Field(
        OffloadConfig.probe_every,
        description="splitreason: probe the small model after every k-th large-model token (1 = every prefix, as "
        "the paper)",
    )
    large_chunk: int = Field(OffloadConfig.large_chunk, description="splitreason: large-model tokens per chunk")
    max_offload: int = Field(
        OffloadConfig.max_offload, description="splitreason: large-model tokens per offload at most"
    )
    random_chunk: int = Field(OffloadConfig.random_chunk, description="random-offload: tokens per chunk")
    hint: Annotated[str, Flag(name="--offload-hint")] = Field(
        OffloadConfig.hint, description="splitreason: the hint that tells the small model it may hand over"
    )
    latency_table: str = Field(
        "splitreason",
        description="throughput table for modelled latency: a preset (splitreason) or a YAML file from `harness "
        "calibrate`",
    )
    latency_models: list[str] = Field(["1.5B", "32B"], description="the (small,large) rows of the latency table")

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

    name: str = Field(
        "e1",
        description="plain, e1 (default), s1, l1, effort, server-budget, vllm-budget, or an offload strategy: "
        "splitreason, random-offload",
    )
    budgets: Annotated[list[int | str], Flag(parse=cli_values.budget_list)] = Field(
        description="thinking budgets t, e.g. 64,128,256; effort levels low,medium,high for --strategy effort"
    )
    solution_budget: int = Field(StrategyConfig.solution_budget, description="solution budget s (e1, s1, l1)")
    wait: int = Field(0, description="s1: replace an early end of thinking with 'Wait' up to N times")
    reuse: bool = Field(
        True,
        description="one long thinking call per sample serves every smaller budget (e1, plain, s1 without --wait); "
        "--no-reuse samples every budget independently",
    )
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

    tests_dir: str | None = Field(None, description="folder of test files for livecodebench_v5 (md5-checked)")
    release: str | None = Field(
        None, description="hub release of livecodebench/code_generation_lite, e.g. release_v5 (hub loading only)"
    )


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
    log_samples: bool = Field(False, description="also save questions and every call's prompt and output")

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
