"""A run's configuration: everything that decides its results, checked before anything runs."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from harness import budgets
from harness.errors import BadArgumentError
from harness.latency import load_table, pick
from harness.prompts import PromptSettings
from harness.thinking import MODES
from harness.strategies import STRATEGIES, StrategyConfig
from harness.strategies.offload import OffloadConfig


class OffloadSettings(BaseModel):
    """The large model and the offload protocol's settings; budgets are then the total generated tokens."""

    model_config = ConfigDict(extra="forbid")
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

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, v: list[float]) -> list[float]:
        bad = [r for r in v if not 0.0 <= r <= 1.0]
        if bad:
            raise ValueError(f"offload ratios must lie in [0, 1], got {bad}")
        return sorted(set(v))

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


class RunConfig(BaseModel):
    """Everything that decides a run's results. Two runs with equal configs are the same run."""

    model_config = ConfigDict(extra="forbid")
    model: str = "smollm2-135m"
    tasks: list[str]
    strategy: str = "e1"
    budgets: list[int | str]  # token counts; effort levels (low, medium, high) for --strategy effort only
    solution_budget: int = StrategyConfig.solution_budget
    limit: int | None = None
    seed: int = 0
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0  # 0: off
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    ignore_eos: bool = False  # keep generating past end-of-generation tokens (fixed-length benchmarks)
    min_tokens: int = 0  # no end-of-generation token before this many tokens
    wait: int = 0
    instruction: str = PromptSettings.instruction  # a task's own instruction (YAML `instruction:`) still wins
    system: str | None = None
    thinking: str = "auto"  # auto | template | model | prefill | none (harness/thinking.py)
    think_markers: list[str] | None = None  # [open, close]; None: detected
    chat_template_kwargs: dict[str, bool | int | float | str] = {}
    n_ctx: int = 8192
    n_threads: int | None = None
    log_samples: bool = False
    include_path: list[str] = []
    base_url: str | None = None  # HTTP engines (openai:MODEL)
    tokenizer: str | None = None  # HTTP engines: an alias or GGUF whose tokenizer counts and cuts tokens
    chat_template: str | None = None  # a Jinja file replacing the model's chat template (every engine)
    stream: bool = False
    # openai-chat engine (flat here until the config is grouped): how budgets reach the server
    effort_via: str = "reasoning_effort"  # reasoning_effort field | system ("Reasoning: low" line, gpt-oss)
    budget_via: str = "thinking_token_budget"  # vLLM's field | budget_tokens (thinking: {type: enabled, ...})
    max_tokens_field: str = "both"  # both | max_completion_tokens (OpenAI's o-series) | max_tokens
    server_args: dict[str, float | int | str] = {}  # extra request fields, e.g. repeat_penalty for llama.cpp's server
    tensor_parallel_size: int = 1  # vLLM
    data_parallel_size: int = 1
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    prefix_cache: bool = False  # llama.cpp KV prefix reuse across requests: faster, but request order changes rounding
    n: int = 1  # samples per problem (seeds seed .. seed+n-1), for pass@k
    pass_k: list[int] = [1]
    difficulty: list[str] = []  # code tasks: keep these difficulties (easy, medium, hard)
    platform: list[str] = []  # code tasks: keep these platforms (atcoder, codeforces, leetcode)
    date_from: str | None = None  # keep problems dated on or after (YYYY-MM-DD)
    date_to: str | None = None
    code_tests_dir: str | None = None  # livecodebench_v5: the folder of md5-checked test files
    release: str | None = None  # hub loading of livecodebench: the release, e.g. release_v5
    shard: str | None = None  # "I/N": this run takes the samples whose (task, id) hash falls in shard I of N
    reuse: bool = True  # one long first call per (sample, seed) serves every budget where valid
    offload: OffloadSettings | None = None  # offload strategies (splitreason, random-offload) only

    @field_validator("thinking")
    @classmethod
    def _thinking(cls, v: str) -> str:
        if v not in MODES:
            raise ValueError(f"--thinking {v!r} is not a mode; use one of {', '.join(MODES)}")
        return v

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

    @field_validator("top_k", "wait", "min_tokens")
    @classmethod
    def _non_negative(cls, v: int, info) -> int:
        if v < 0:
            raise ValueError(
                f"{info.field_name} must be >= 0 ({'times' if info.field_name == 'wait' else '0 turns it off'}), got "
                f"{v}"
            )
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

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, v: list[int | str], info) -> list[int | str]:
        effort = info.data.get("strategy") == "effort"
        v = budgets.check(v, words_allowed=effort)
        if effort and budgets.is_numeric(v):
            raise ValueError(f"--strategy effort walks effort levels, got {v}; pass e.g. --budgets low,medium,high")
        return v

    @field_validator("limit")
    @classmethod
    def _limit(cls, v):
        if v is not None and v <= 0:
            raise ValueError(f"--limit must be a positive number of samples per task, got {v}")
        return v


def check_sampling(cfg: RunConfig) -> None:
    bad = [k for k in cfg.pass_k if not 1 <= k <= cfg.n]
    if bad:
        raise BadArgumentError(f"--pass-k {bad}: each k must lie in 1..--n ({cfg.n}); raise --n or drop those k")
    if cfg.n > 1 and cfg.temperature == 0:
        raise BadArgumentError(
            f"--n {cfg.n} at temperature 0 repeats one greedy answer; pass --gen-kwargs temperature=0.6 (or so)"
        )


def check_offload(cfg: RunConfig) -> None:
    offload = STRATEGIES.get(cfg.strategy).offload
    o = cfg.offload or OffloadSettings()
    if offload and not o.model:
        raise BadArgumentError(
            f"strategy {cfg.strategy} needs --offload-model (the large model), e.g. --offload-model llama.cpp:PATH.gguf"
        )
    if not offload and (o.model or o.ratios):
        raise BadArgumentError(
            f"--offload-model and --offload-ratios need an offload strategy "
            f"({', '.join(n for n in STRATEGIES.names() if STRATEGIES.get(n).offload)}), not {cfg.strategy}"
        )
    if cfg.strategy == "random-offload" and not o.ratios:
        raise BadArgumentError("random-offload needs --offload-ratios, e.g. --offload-ratios 0,0.05,0.1,0.2,0.5,1")
    if cfg.strategy == "splitreason" and o.ratios:
        raise BadArgumentError(
            "splitreason's offload ratio is what the model chooses; drop --offload-ratios "
            "(random-offload takes target ratios)"
        )
    if offload:
        table = load_table(o.latency_table)
        for name in o.latency_models:
            pick(table, name)


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
    if cfg.wait and not fmt.thinks:
        raise BadArgumentError(
            f"--wait {cfg.wait} replaces the end of thinking, but this model does not think "
            f"({fmt.reason}); drop --wait or set --thinking / --think-markers"
        )
    chat_engine, chat_strategy = engines[0].chat, STRATEGIES.get(cfg.strategy).chat
    if chat_strategy and not chat_engine:
        raise BadArgumentError(
            f"--strategy {cfg.strategy} sends its budget as a chat request field; use --model openai-chat:MODEL "
            f"--base-url URL (a /v1/chat/completions server), not {cfg.model}"
        )
    if chat_engine and not chat_strategy:
        raise BadArgumentError(
            f"--strategy {cfg.strategy} continues the assistant's text (after a cut or </think>), which "
            f"/v1/chat/completions cannot express portably; use effort or server-budget with openai-chat, or "
            f"--model openai:MODEL (/v1/completions) on the same server for {cfg.strategy}"
        )
    if cfg.strategy == "vllm-budget" and not fmt.thinks:
        raise BadArgumentError(
            f"vllm-budget bounds thinking, but this model does not think ({fmt.reason}); use e1 or plain"
        )
    asked = {
        k: getattr(cfg, k)
        for k, neutral in (
            ("top_k", 0),
            ("min_p", 0.0),
            ("repetition_penalty", 1.0),
            ("presence_penalty", 0.0),
            ("ignore_eos", False),
            ("min_tokens", 0),
        )
        if getattr(cfg, k) != neutral
    }
    for engine in engines:
        missing = sorted(set(asked) - engine.sampling_options)
        if missing:
            raise BadArgumentError(
                f"the {engine.name} engine has no {', '.join(missing)}; drop "
                f"{', '.join(f'{k}={asked[k]}' for k in missing)} from --gen-kwargs"
            )
