"""Engines by model spec: `smollm2-135m` (alias), `llama.cpp:PATH.gguf`."""
from __future__ import annotations

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo
from harness.errors import BadArgumentError

__all__ = ["Engine", "GenRequest", "GenResult", "ModelInfo", "make_engine", "parse_model"]

ENGINE_KINDS = ("llama.cpp",)


def parse_model(spec: str) -> tuple[str, str]:
    """'smollm2-135m' -> ('llama.cpp', 'smollm2-135m'); 'llama.cpp:x.gguf' -> ('llama.cpp', 'x.gguf')."""
    from harness.engines.llamacpp import ALIASES

    if spec in ALIASES:
        return "llama.cpp", spec
    kind, sep, rest = spec.partition(":")
    if sep and kind in ENGINE_KINDS and rest:
        return kind, rest
    if spec.endswith(".gguf"):
        return "llama.cpp", spec
    raise BadArgumentError(
        f"model {spec!r} is not known; use an alias ({', '.join(ALIASES)}) or llama.cpp:PATH.gguf"
    )


def make_engine(spec: str, **kwargs) -> Engine:
    kind, target = parse_model(spec)
    from harness.engines.llamacpp import LlamaCppEngine

    return LlamaCppEngine(target, **kwargs)
