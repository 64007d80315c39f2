"""Models for vLLM from the GGUFs the harness already ships: `vllm:smollm2-135m` (or `vllm:PATH.gguf`).

vLLM loads Hugging Face folders. A GGUF (an alias's file inside its installed package, or a path) is converted
once with transformers + `gguf` + `accelerate`: loaded with `GgufConfig(dequantize=True)`, its state dict copied
into a plain model of the same architecture (a GGUF-quantized model refuses `save_pretrained`), then model and
tokenizer saved. The folder is cached under `$HARNESS_CACHE_DIR` (default `~/.cache/reasoning-harness`), named by
the GGUF's name and a hash of its contents, and written to a temporary folder that is renamed into place when
complete, so a run that dies mid-conversion leaves nothing half-written. No hub access is needed.

Dequantized weights are not the GGUF's arithmetic: vLLM runs the unpacked float weights, llama.cpp the 4-bit
blocks, so the two engines agree on protocol facts (budgets, stops, token counts), not on every sampled token.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness.errors import BadArgumentError

MARKER = "harness_conversion.json"


def cache_dir() -> Path:
    root = os.environ.get("HARNESS_CACHE_DIR")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "reasoning-harness"


def _gguf_of(target: str) -> Path | None:
    from harness.engines.llamacpp import ALIASES, resolve_gguf

    if target in ALIASES or target.endswith(".gguf"):
        return resolve_gguf(target)
    return None


def resolve_vllm_model(target: str) -> str:
    """An alias or a .gguf path -> the cached Hugging Face folder (converted on first use); anything else as given
    (a hub id or a folder, for vLLM to load)."""
    gguf = _gguf_of(target)
    if gguf is None:
        return target
    digest = _sha256(gguf)[:16]
    folder = cache_dir() / "hf" / f"{gguf.stem}-{digest}"
    if not (folder / MARKER).is_file():
        convert_gguf(gguf, folder, digest)
    return str(folder)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def convert_gguf(gguf: Path, folder: Path, digest: str = "") -> Path:
    """Write a Hugging Face folder (float32 safetensors, config, tokenizer) for a GGUF file."""
    try:
        import torch
        import transformers
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GgufConfig
    except ImportError as e:
        raise BadArgumentError(
            f"converting {gguf.name} for vLLM needs transformers, gguf and accelerate (bash setup.sh --with-vllm): {e}"
        ) from None
    print(f"converting {gguf.name} to a Hugging Face folder for vLLM (once; cached in {folder})", file=sys.stderr)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        src, name = str(gguf.parent), gguf.name
        quantized = AutoModelForCausalLM.from_pretrained(
            src, gguf_file=name, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True)
        )
        config = AutoConfig.from_pretrained(src, gguf_file=name)
        config.dtype = torch.float32
        with torch.no_grad():
            plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
            missing, unexpected = plain.load_state_dict(
                {k: v.to(torch.float32) for k, v in quantized.state_dict().items()}, strict=False
            )
            # tied embeddings: lm_head.weight may be absent from the GGUF and is shared with embed_tokens
            missing = [
                k for k in missing if not (k == "lm_head.weight" and getattr(config, "tie_word_embeddings", False))
            ]
            if missing or unexpected:
                raise BadArgumentError(
                    f"converting {gguf.name}: weights missing {missing[:5]}, unexpected {unexpected[:5]}"
                )
        plain.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(src, gguf_file=name).save_pretrained(tmp)
        (tmp / MARKER).write_text(
            json.dumps(
                {
                    "gguf": str(gguf),
                    "sha256_prefix": digest,
                    "dtype": "float32",
                    "transformers": transformers.__version__,
                },
                indent=1,
            )
            + "\n"
        )
        if folder.exists():  # a half-written folder from an older layout; the marker was missing
            shutil.rmtree(folder)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
