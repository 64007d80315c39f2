"""vLLM offline (`--model vllm:HF_ID_OR_PATH`): every request of a strategy step in one `LLM.generate` batch.

Prompts go in as token ids (`TokensPrompt`), tokenized here without special tokens, so a strategy's continuation
is exact and a chat template's BOS is never doubled. Prefix caching stays on (e1's solution call and offload
hand-backs reuse the thinking prefix). Per-request seeds. With `disable_log_stats=False`, `RequestOutput.metrics`
gives time to first token and decode time on vLLM's engine clock; otherwise each request gets the batch's wall
time. `CompletionOutput.token_ids` include the tokens that carried a matched stop string; they are split off as
`tail_ids` so that token counts and budget reuse see what an independent call would.

vLLM is an optional extra (`pip install -e .[vllm]`); nothing imports it until this engine is built. In-process
data parallelism is refused by vLLM: run one shard per GPU (`harness run --shard I/N`, then `harness merge`) or
`vllm serve --data-parallel-size N` behind the HTTP engine.
"""
from __future__ import annotations

import time
from typing import Sequence

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo
from harness.errors import BadArgumentError


class VLLMEngine(Engine):
    name = "vllm"

    def __init__(self, model: str, *, tensor_parallel_size: int = 1, data_parallel_size: int = 1,
                 max_model_len: int | None = None, gpu_memory_utilization: float = 0.9, seed: int = 0):
        if data_parallel_size > 1:
            raise BadArgumentError(
                "vLLM refuses data parallelism inside one process: run one shard per GPU (harness run --shard I/N with "
                "CUDA_VISIBLE_DEVICES=I, then harness merge), or `vllm serve --data-parallel-size N` with --model openai:...")
        try:
            import vllm
        except ImportError:
            raise BadArgumentError("--model vllm:... needs vLLM: pip install -e '.[vllm]' (on a machine with a GPU)") from None
        self.llm = vllm.LLM(model=model, tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len,
                            gpu_memory_utilization=gpu_memory_utilization, enable_prefix_caching=True,
                            disable_log_stats=False, seed=seed)
        self.tok = self.llm.get_tokenizer()
        self._info = ModelInfo(
            name=model, path=model, sha256=None, chat_template=getattr(self.tok, "chat_template", None),
            bos_token=getattr(self.tok, "bos_token", None) or "", eos_token=getattr(self.tok, "eos_token", None) or "",
            extra={"vllm": getattr(vllm, "__version__", None), "tensor_parallel_size": tensor_parallel_size,
                   "max_model_len": max_model_len, "gpu_memory_utilization": gpu_memory_utilization,
                   "prefix_caching": True})

    @property
    def info(self) -> ModelInfo:
        return self._info

    def fingerprint(self) -> str:
        return f"vllm:{self._info.name}:{self._info.extra.get('vllm')}"

    def tokenize(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=False)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        t0 = time.perf_counter()
        try:
            prompts = [TokensPrompt(prompt_token_ids=self.tokenize(r.prompt) if isinstance(r.prompt, str) else list(r.prompt))
                       for r in requests]
            params = [sampling_params(SamplingParams, r) for r in requests]
            outputs = self.llm.generate(prompts, params, use_tqdm=False)
        except Exception as e:  # every request of the batch fails as a record, never as answer text
            wall = time.perf_counter() - t0
            return [GenResult("", (), 0, "error", None, wall, None, f"{type(e).__name__}: {e}") for _ in requests]
        wall = time.perf_counter() - t0
        return [self._result(out, wall) for out in outputs]

    def prompt_ids(self, prompt: str) -> list[int]:
        return self.tokenize(prompt)

    def _result(self, out, batch_wall: float) -> GenResult:
        c = out.outputs[0]
        ids = tuple(c.token_ids)
        stop = c.stop_reason if isinstance(c.stop_reason, str) else None
        tail: tuple[int, ...] = ()
        if stop is not None:
            keep = next((k for k in range(len(ids) + 1) if len(self.detokenize(ids[:k])) >= len(c.text)), len(ids))
            ids, tail = ids[:keep], ids[keep:]
        finish = "length" if c.finish_reason == "length" else "stop"
        ttft, wall = None, batch_wall
        m = getattr(out, "metrics", None)
        if m is not None and getattr(m, "first_token_latency", None) is not None:
            ttft = m.first_token_latency
            if getattr(m, "last_token_ts", None) and getattr(m, "first_token_ts", None):
                wall = ttft + (m.last_token_ts - m.first_token_ts)
        return GenResult(c.text, ids, len(out.prompt_token_ids or ()), finish, stop, wall, ttft, tail_ids=tail)

    def close(self) -> None:
        self.llm = None


def sampling_params(cls, r: GenRequest):
    """One request's vLLM SamplingParams (top_k 0 is vLLM's "off" too; penalties at their neutral values)."""
    return cls(max_tokens=r.max_tokens, temperature=r.temperature, top_p=r.top_p, seed=r.seed, stop=list(r.stop) or None,
               skip_special_tokens=False, top_k=r.top_k if r.top_k > 0 else -1, min_p=r.min_p,
               repetition_penalty=r.repetition_penalty, presence_penalty=r.presence_penalty,
               ignore_eos=r.ignore_eos, min_tokens=r.min_tokens,
               **({"thinking_token_budget": r.thinking_budget} if r.thinking_budget else {}))
