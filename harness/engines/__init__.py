"""Engines by model spec: `smollm2-135m` (alias), `llama.cpp:PATH.gguf`, `openai:MODEL` (with a base URL)."""

from __future__ import annotations

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo
from harness.errors import BadArgumentError

__all__ = ["Engine", "GenRequest", "GenResult", "ModelInfo", "make_engine", "parse_model"]

ENGINE_KINDS = ("llama.cpp", "openai", "openai-chat", "vllm")


def parse_model(spec: str) -> tuple[str, str]:
    """'smollm2-135m' -> ('llama.cpp', 'smollm2-135m'); 'llama.cpp:x.gguf' -> ('llama.cpp', 'x.gguf');
    'openai:Qwen/QwQ-32B' -> ('openai', 'Qwen/QwQ-32B')."""
    from harness.engines.llamacpp import ALIASES

    if spec in ALIASES:
        return "llama.cpp", spec
    kind, sep, rest = spec.partition(":")
    if sep and kind in ENGINE_KINDS and rest:
        return kind, rest
    if spec.endswith(".gguf"):
        return "llama.cpp", spec
    raise BadArgumentError(
        f"model {spec!r} is not known; use an alias ({', '.join(ALIASES)}), llama.cpp:PATH.gguf, or openai:MODEL "
        "with --base-url"
    )


def make_engine(
    spec: str,
    *,
    base_url: str | None = None,
    tokenizer: str | None = None,
    concurrency: int = 4,
    timeout_s: float = 600.0,
    stream: bool = False,
    server_args: dict | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    vllm_args: dict | None = None,
    chat_args: dict | None = None,
    **llama_kwargs,
) -> Engine:
    kind, target = parse_model(spec)
    from harness.engines.llamacpp import LlamaCppEngine

    if kind == "llama.cpp":
        return LlamaCppEngine(target, **llama_kwargs)
    if kind == "vllm":
        from harness.engines.vllm_engine import VLLMEngine

        return VLLMEngine(target, **(vllm_args or {}))
    from harness.engines.openai_http import OpenAIEngine

    if not base_url:
        raise BadArgumentError(f"model {spec} is served over HTTP: pass --base-url http://HOST:PORT/v1")
    if kind == "openai-chat":
        from harness.engines.openai_chat import OpenAIChatEngine

        if stream:
            raise BadArgumentError("--stream is for openai:MODEL; the openai-chat engine reads whole responses")
        return OpenAIChatEngine(
            target,
            base_url,
            tokenizer=_tokenizer(tokenizer) if tokenizer else None,
            api_key_env=api_key_env,
            concurrency=concurrency,
            timeout_s=timeout_s,
            extra_body=server_args,
            **(chat_args or {}),
        )
    if not tokenizer:
        raise BadArgumentError(
            f"model {spec} is served over HTTP: pass --tokenizer (an alias or GGUF of the same model) "
            f"so prompts get its chat template and token counts can be made where the server gives none"
        )
    return OpenAIEngine(
        target,
        base_url,
        tokenizer=_tokenizer(tokenizer),
        api_key_env=api_key_env,
        concurrency=concurrency,
        timeout_s=timeout_s,
        stream=stream,
        extra_body=server_args,
    )


def _tokenizer(spec: str) -> Engine:
    """`--tokenizer`: `hf:PATH_OR_ID` through transformers, else an alias or GGUF loaded vocabulary-only."""
    if spec.startswith("hf:"):
        from harness.engines.hf_tokenizer import HFTokenizer

        return HFTokenizer(spec[3:])
    from harness.engines.llamacpp import LlamaCppEngine

    return LlamaCppEngine(spec, n_ctx=512, vocab_only=True)
