"""vLLM offline (`--model vllm:HF_ID_OR_PATH`, or `vllm:smollm2-135m` / `vllm:PATH.gguf`, converted once to a
Hugging Face folder by harness/engines/vllm_model.py), at vLLM's own speed: the whole run is one stream of requests.
One thread owns vLLM's engine (`LLM.llm_engine`): it adds the requests that the run's sample threads make, and steps
it as `LLM.generate` does, handing each finished request back to its caller; so every sample in flight, and every
later step of a strategy (each budget's solution call), shares vLLM's running batch, bounded only by vLLM's own
`max_num_seqs` (the runner keeps that many samples in flight: `max_in_flight`).

Prompts go in as token ids (`TokensPrompt`), tokenized here without special tokens, so a strategy's continuation
is exact and a chat template's BOS is never doubled. Prefix caching stays on (e1's solution call and offload
hand-backs reuse the thinking prefix). Per-request seeds. With `disable_log_stats=False`, `RequestOutput.metrics`
(vLLM's `RequestStateStats`) gives time to first token and decode time on vLLM's engine clock; otherwise each
request gets the batch's wall time. `CompletionOutput.token_ids` include the tokens that carried a matched stop
string; they are split off as `tail_ids` so that token counts and budget reuse see what an independent call would.

`--strategy vllm-budget` sends vLLM's `thinking_token_budget`, which vLLM accepts only when the engine has a
`ReasoningConfig` naming the thinking markers: the engine is built with
`ReasoningConfig(reasoning_start_str=think_open, reasoning_end_str=think_close)` (default `<think>`/`</think>`).

On vLLM's CPU build (`bash setup.sh --with-vllm` without a GPU) the engine runs float32 (bf16 flips near-tied greedy
choices), eager mode, and `VLLM_CPU_KVCACHE_SPACE=1` (GiB) unless set. A prompt as long as the context becomes a
failed result (a failed record) without reaching vLLM; a request vLLM refuses fails alone (a failed record).

vLLM is an optional extra (`bash setup.sh --with-vllm`); nothing imports it until this engine is built. In-process
data parallelism is refused by vLLM: run one shard per GPU (`harness run --shard I/N`, then `harness merge`) or
`vllm serve --data-parallel-size N` behind the HTTP engine.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from typing import Sequence

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo, split_stop_tail
from harness.engines.vllm_stream import StepLoop, max_num_seqs
from harness.errors import BadArgumentError


def sampling_params(r: GenRequest):
    """The one place a GenRequest becomes vLLM's SamplingParams (new sampling fields go here)."""
    from vllm import SamplingParams

    kw = dict(
        max_tokens=r.max_tokens,
        temperature=r.temperature,
        top_p=r.top_p,
        seed=r.seed,
        stop=list(r.stop) or None,
        skip_special_tokens=False,
        top_k=r.top_k if r.top_k > 0 else -1,
        min_p=r.min_p,
        repetition_penalty=r.repetition_penalty,
        presence_penalty=r.presence_penalty,
        ignore_eos=r.ignore_eos,
        min_tokens=r.min_tokens,
    )
    if r.thinking_budget is not None:
        kw["thinking_token_budget"] = r.thinking_budget
    return SamplingParams(**kw)


def _on_cpu() -> bool:
    try:
        from vllm.platforms import current_platform

        return current_platform.is_cpu()
    except Exception:  # an older vLLM or a test double: assume a GPU
        return False


class VLLMEngine(Engine):
    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        seed: int = 0,
        think_open: str = "<think>",
        think_close: str = "</think>",
        dtype: str | None = None,
        enforce_eager: bool | None = None,
        distributed_executor_backend: str | None = None,  # "ray": workers on a Ray cluster (models past one node)
    ):
        vllm = _import_vllm(data_parallel_size)
        from harness.engines.vllm_model import resolve_vllm_model

        path = resolve_vllm_model(model)
        cpu = _on_cpu()
        kwargs = dict(
            model=path,
            tensor_parallel_size=tensor_parallel_size,
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            enable_prefix_caching=True,
            disable_log_stats=False,
            seed=seed,
        )
        if cpu:
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        dtype = dtype or ("float32" if cpu else None)
        enforce_eager = cpu if enforce_eager is None else enforce_eager
        if dtype:
            kwargs["dtype"] = dtype
        if enforce_eager:
            kwargs["enforce_eager"] = True
        if distributed_executor_backend:
            kwargs["distributed_executor_backend"] = distributed_executor_backend
        reasoning = _reasoning_config(think_open, think_close)
        if reasoning is not None:
            kwargs["reasoning_config"] = reasoning
        self.llm = vllm.LLM(**kwargs)
        self.tok, self._tok_lock = self.llm.get_tokenizer(), threading.Lock()
        self.max_model_len = _max_model_len(self.llm, max_model_len)
        self.max_in_flight = max_num_seqs(self.llm)
        self.stream = StepLoop(self.llm.llm_engine)
        self._info = ModelInfo(
            name=model,
            path=path,
            sha256=None,
            chat_template=getattr(self.tok, "chat_template", None),
            bos_token=getattr(self.tok, "bos_token", None) or "",
            eos_token=getattr(self.tok, "eos_token", None) or "",
            extra={
                "vllm": getattr(vllm, "__version__", None),
                "tensor_parallel_size": tensor_parallel_size,
                "distributed_executor_backend": distributed_executor_backend,
                "max_model_len": self.max_model_len,
                "gpu_memory_utilization": gpu_memory_utilization,
                "prefix_caching": True,
                "device": "cpu" if cpu else "gpu",
                "dtype": dtype or "auto",
                "enforce_eager": bool(enforce_eager),
                "reasoning": [think_open, think_close],
                "kv_cache_space_gib": os.environ.get("VLLM_CPU_KVCACHE_SPACE") if cpu else None,
                "max_num_seqs": self.max_in_flight,
            },
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def fingerprint(self) -> str:
        return f"vllm:{self._info.name}:{self._info.extra.get('vllm')}"

    def tokenize(self, text: str) -> list[int]:
        with self._tok_lock:  # the run's sample threads share one Hugging Face tokenizer
            return list(self.tok.encode(text, add_special_tokens=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        with self._tok_lock:
            return self.tok.decode(list(ids), skip_special_tokens=False)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        """Each request joins the stream (vLLM's running batch); results in order, when all have finished."""
        t0 = time.perf_counter()
        waiting: list[Future | GenResult] = []
        for r in requests:
            ids = self.tokenize(r.prompt) if isinstance(r.prompt, str) else list(r.prompt)
            if self.max_model_len and len(ids) >= self.max_model_len:
                waiting.append(
                    _failed(
                        f"prompt of {len(ids)} tokens leaves no room in the context of "
                        f"{self.max_model_len} tokens (max_model_len)",
                        0.0,
                    )
                )
            else:
                waiting.append(self.stream.submit(ids, sampling_params(r)))
        return [w if isinstance(w, GenResult) else self._finished(w, t0) for w in waiting]

    def _finished(self, fut: Future, t0: float) -> GenResult:
        try:
            return self._result(fut.result(), time.perf_counter() - t0)
        except Exception as e:  # vLLM refused this request: a failed record, never answer text
            return _failed(f"{type(e).__name__}: {e}", time.perf_counter() - t0)

    def prompt_ids(self, prompt: str) -> list[int]:
        return self.tokenize(prompt)

    def _result(self, out, batch_wall: float) -> GenResult:
        c = out.outputs[0]
        ids = tuple(c.token_ids)
        stop = c.stop_reason if isinstance(c.stop_reason, str) else None
        tail: tuple[int, ...] = ()
        if stop is not None:
            ids, tail = split_stop_tail(ids, c.text, self.detokenize)
        finish = "length" if c.finish_reason == "length" else "stop"
        ttft, wall = None, batch_wall
        m = getattr(out, "metrics", None)
        if m is not None and getattr(m, "first_token_latency", None):
            ttft = m.first_token_latency
            if getattr(m, "last_token_ts", None) and getattr(m, "first_token_ts", None):
                wall = ttft + (m.last_token_ts - m.first_token_ts)
        return GenResult(c.text, ids, len(out.prompt_token_ids or ()), finish, stop, wall, ttft, tail_ids=tail)

    def close(self) -> None:
        self.stream.stop()
        llm, self.llm = self.llm, None
        if llm is not None:
            shutdown = getattr(getattr(llm, "llm_engine", None), "shutdown", None)
            if callable(shutdown):
                shutdown()


def _failed(message: str, wall: float) -> GenResult:
    return GenResult("", (), 0, "error", None, wall, None, message)


def _reasoning_config(start: str, end: str):
    try:
        from vllm.config import ReasoningConfig
    except ImportError:  # before vLLM's ReasoningConfig: thinking_token_budget is then refused by vLLM itself
        return None
    return ReasoningConfig(reasoning_start_str=start, reasoning_end_str=end)


def _max_model_len(llm, asked: int | None) -> int | None:
    try:
        return int(llm.llm_engine.model_config.max_model_len)
    except Exception:
        return asked


def _import_vllm(data_parallel_size: int):
    """vLLM, for settings it can run in one process."""
    if data_parallel_size > 1:
        raise BadArgumentError(
            "vLLM refuses data parallelism inside one process: run one shard per GPU (harness run --shard I/N with "
            "CUDA_VISIBLE_DEVICES=I, then harness merge), or `vllm serve --data-parallel-size N` with --model "
            "openai:..."
        )
    try:
        import vllm
    except ImportError:
        raise BadArgumentError(
            "--model vllm:... needs vLLM: run bash setup.sh --with-vllm "
            "(the CPU build, or the regular wheel where nvidia-smi works)"
        ) from None
    return vllm
