"""Shared by the benchmark scripts: run one sweep in-process on a loaded engine and read its figures back."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.run import RunConfig, run  # noqa: E402

DATA_DIR = os.environ.get("HARNESS_DATA_DIR") or str(ROOT.parent / "shared" / "data")


def sweep(engine, out: Path, *, cache="cache.sqlite", **cfg) -> dict:
    """Run one sweep; returns wall time, tokens decoded, engine calls and the manifest's timings."""
    t0 = time.perf_counter()
    run(RunConfig(**cfg), out, data_dir=DATA_DIR, engine=engine, progress=False, cache=cache)
    wall = time.perf_counter() - t0
    m = json.loads((out / "manifest.json").read_text())
    return {
        "wall_s": wall,
        "sweep_wall_s": m["sweep_wall_s"],
        "engine_s": m["engine_generation_s"],
        "tokens": m["generated_tokens"],
        "engine_calls": m["engine_calls"],
        "cache_hits": (m.get("cache") or {}).get("hits"),
    }


def load_engine(n_ctx: int = 4096, prefix_cache: bool = False):
    from harness.data import sha256_file
    from harness.engines.llamacpp import LlamaCppEngine, resolve_gguf

    return LlamaCppEngine(
        "smollm2-135m", n_ctx=n_ctx, sha256=sha256_file(resolve_gguf("smollm2-135m")), prefix_cache=prefix_cache
    )
