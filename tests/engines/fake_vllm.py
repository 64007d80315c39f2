"""A test double of the parts of vLLM the engine uses, with vLLM's own names and signatures
(vllm/outputs.py: CompletionOutput, RequestOutput; vllm.SamplingParams; vllm.inputs.TokensPrompt, a TypedDict;
vllm.config.ReasoningConfig; LLM.llm_engine's add_request / step / has_unfinished_requests; LLM.get_tokenizer()),
posing as vLLM on a GPU (`current_platform.is_cpu()` is False). Generation is real: the SmolLM2 GGUF through llama.cpp.

Real vLLM runs these paths on the CPU (tests/engines/test_vllm_real.py); the double stays only for what a CPU
build cannot show: the GPU-side engine settings (tensor parallelism, gpu_memory_utilization, no forced
float32/eager) and refusing in-process data parallelism. Like vLLM, CompletionOutput.token_ids keep the tokens of a
matched stop string while the text drops it, and stop_reason names the string (None for end-of-sequence)."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any, TypedDict

from harness.engines.base import GenRequest
from harness.engines.llamacpp import LlamaCppEngine


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: Any
    cumulative_logprob: float | None
    logprobs: Any
    routed_experts: Any = None
    finish_reason: str | None = None
    stop_reason: int | str | None = None


class RequestOutput:
    def __init__(
        self, request_id, prompt, prompt_token_ids, prompt_logprobs, outputs, finished, metrics=None, **kwargs
    ):
        self.request_id, self.prompt, self.prompt_token_ids = request_id, prompt, prompt_token_ids
        self.prompt_logprobs, self.outputs, self.finished, self.metrics = prompt_logprobs, outputs, finished, metrics


class TokensPrompt(TypedDict):
    prompt_token_ids: list[int]


@dataclass
class SamplingParams:
    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: str | list[str] | None = None
    max_tokens: int | None = 16
    skip_special_tokens: bool = True
    thinking_token_budget: int | None = None
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    presence_penalty: float = 0.0
    ignore_eos: bool = False
    min_tokens: int = 0


@dataclass
class ReasoningConfig:
    reasoning_parser: str = ""
    reasoning_start_str: str = ""
    reasoning_end_str: str = ""


class _Platform:
    @staticmethod
    def is_cpu() -> bool:
        return False


@dataclass
class RequestStateStats:
    first_token_latency: float = 0.0
    first_token_ts: float = 0.0
    last_token_ts: float = 0.0
    scheduled_ts: float = 0.0


class _Tokenizer:
    def __init__(self, engine: LlamaCppEngine):
        self.engine = engine
        self.chat_template = engine.info.chat_template
        self.bos_token, self.eos_token = engine.info.bos_token, engine.info.eos_token

    def encode(self, text, add_special_tokens=True):
        return self.engine.tokenize(text)

    def decode(self, ids, skip_special_tokens=True):
        return self.engine.detokenize(ids)


class _LLMEngine:
    """vLLM's LLMEngine as the harness drives it (add_request, step, has_unfinished_requests); one request a step."""

    def __init__(self, llm: "LLM"):
        self.llm, self.queue = llm, []

    def add_request(self, request_id, prompt, params, **kwargs):
        assert isinstance(prompt, dict) and "prompt_token_ids" in prompt, "the engine must send TokensPrompt"
        self.queue.append((request_id, prompt, params))
        return request_id + "-internal"

    def has_unfinished_requests(self) -> bool:
        return bool(self.queue)

    def step(self):
        request_id, prompt, params = self.queue.pop(0)
        out = self.llm.generate([prompt], [params])[0]
        out.request_id = request_id
        return [out]


class LLM:
    instances: list["LLM"] = []

    def __init__(
        self,
        model: str,
        *,
        tensor_parallel_size: int = 1,
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        enable_prefix_caching: bool | None = None,
        disable_log_stats: bool = True,
        seed: int | None = 0,
        **kwargs,
    ):
        self.kwargs = dict(
            model=model,
            tensor_parallel_size=tensor_parallel_size,
            max_model_len=max_model_len,
            enable_prefix_caching=enable_prefix_caching,
            disable_log_stats=disable_log_stats,
            seed=seed,
            **kwargs,
        )
        self.engine = LlamaCppEngine("smollm2-135m", n_ctx=2048)
        self.calls: list[tuple[list, list]] = []
        self.llm_engine = _LLMEngine(self)
        LLM.instances.append(self)

    def get_tokenizer(self):
        return _Tokenizer(self.engine)

    def generate(self, prompts, sampling_params=None, use_tqdm=True, **kwargs):
        self.calls.append((list(prompts), list(sampling_params)))
        outs = []
        for i, (p, sp) in enumerate(zip(prompts, sampling_params)):
            assert isinstance(p, dict) and "prompt_token_ids" in p, "the engine must send TokensPrompt"
            stop = tuple([sp.stop] if isinstance(sp.stop, str) else (sp.stop or ()))
            r = self.engine.generate(
                [GenRequest(tuple(p["prompt_token_ids"]), sp.max_tokens, stop, sp.temperature, sp.top_p, sp.seed or 0)]
            )[0]
            done = CompletionOutput(
                0,
                r.text,
                list(r.token_ids + r.tail_ids),
                None,
                None,
                finish_reason=r.finish_reason,
                stop_reason=r.stop_string,
            )
            stats = RequestStateStats(r.ttft_s or 0.0, 100.0, 100.0 + r.wall_s - (r.ttft_s or 0.0), 99.0)
            outs.append(RequestOutput(str(i), None, p["prompt_token_ids"], None, [done], True, stats))
        return outs


class RequestOutputKind:
    CUMULATIVE, DELTA, FINAL_ONLY = 0, 1, 2


def install(monkeypatch) -> None:
    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams, vllm.__version__ = LLM, SamplingParams, "fake"
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = TokensPrompt
    outputs = types.ModuleType("vllm.outputs")
    outputs.CompletionOutput, outputs.RequestOutput = CompletionOutput, RequestOutput
    config = types.ModuleType("vllm.config")
    config.ReasoningConfig = ReasoningConfig
    platforms = types.ModuleType("vllm.platforms")
    platforms.current_platform = _Platform()
    sampling = types.ModuleType("vllm.sampling_params")
    sampling.RequestOutputKind, sampling.SamplingParams = RequestOutputKind, SamplingParams
    vllm.inputs, vllm.outputs, vllm.config, vllm.platforms = inputs, outputs, config, platforms
    vllm.sampling_params = sampling
    for name, mod in (
        ("vllm.sampling_params", sampling),
        ("vllm", vllm),
        ("vllm.inputs", inputs),
        ("vllm.outputs", outputs),
        ("vllm.config", config),
        ("vllm.platforms", platforms),
    ):
        monkeypatch.setitem(sys.modules, name, mod)
