"""Modelled latency of an offloaded response from a throughput table (prefill and decode tokens/s per model).

Measured wall time on one machine is one number; the model answers "what would this response cost on a
deployment I do not have?". A response is a list of segments (model, tokens generated) after a prompt.

- sequential: one model runs at a time; when control passes to a model, it first prefills every token it
  has not seen yet (the prompt, on its first turn, and the other model's text since its last turn).
- pipelined: both models prefill in parallel, so the idle model keeps up with the text as it is written;
  each segment costs max(active model's decode of it, the other model's prefill of it).

Token counts are each writer's own; the other model's prefill uses the same count (tokenizers differ a little).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from harness.errors import BadArgumentError


@dataclass(frozen=True)
class Throughput:
    prefill_tok_s: float
    decode_tok_s: float


# SplitReason's measured table (their Table: prefill / decode tokens per second per model size).
PRESETS: dict[str, dict[str, Throughput]] = {
    "splitreason": {
        "1.5B": Throughput(28868, 141),
        "7B": Throughput(7658, 41.3),
        "8B": Throughput(7457, 40.3),
        "14B": Throughput(3836, 22),
        "32B": Throughput(2595, 16),
        "70B": Throughput(2238, 9),
    },
}


def load_table(spec: str) -> dict[str, Throughput]:
    """A preset name, or a YAML file of `{model: {prefill_tok_s: X, decode_tok_s: Y}}` (what `harness calibrate` "
    "writes)."""
    if spec in PRESETS:
        return PRESETS[spec]
    path = Path(spec)
    if not path.is_file():
        raise BadArgumentError(
            f"latency table {spec!r} is neither a preset ({', '.join(PRESETS)}) nor a YAML file; "
            f"pass one, or write one with `harness calibrate --model ... --output FILE.yaml`"
        )
    data = yaml.safe_load(path.read_text()) or {}
    try:
        return {str(k): Throughput(float(v["prefill_tok_s"]), float(v["decode_tok_s"])) for k, v in data.items()}
    except (TypeError, KeyError, ValueError):
        raise BadArgumentError(
            f"{path}: each entry needs prefill_tok_s and decode_tok_s numbers, e.g. "
            f"'7B: {{prefill_tok_s: 7658, decode_tok_s: 41.3}}'"
        ) from None


def pick(table: dict[str, Throughput], name: str) -> Throughput:
    if name not in table:
        raise BadArgumentError(f"latency table has no model {name!r}; it has {', '.join(table)}")
    return table[name]


def alone(prompt_tokens: int, generated: int, t: Throughput) -> float:
    return prompt_tokens / t.prefill_tok_s + generated / t.decode_tok_s


def sequential(prompt_tokens: int, segments: Sequence[tuple[str, int]], small: Throughput, large: Throughput) -> float:
    speeds = {"small": small, "large": large}
    seen, written, total = {"small": 0, "large": 0}, prompt_tokens, 0.0
    for model, n in segments:
        t = speeds[model]
        total += (written - seen[model]) / t.prefill_tok_s + n / t.decode_tok_s
        written += n
        seen[model] = written
    return total


def pipelined(prompt_tokens: int, segments: Sequence[tuple[str, int]], small: Throughput, large: Throughput) -> float:
    speeds = {"small": small, "large": large}
    total = max(prompt_tokens / small.prefill_tok_s, prompt_tokens / large.prefill_tok_s)
    for model, n in segments:
        other = speeds["large" if model == "small" else "small"]
        total += max(n / speeds[model].decode_tok_s, n / other.prefill_tok_s)
    return total


def calibrate(engine, prompt_tokens: int = 512, decode_tokens: int = 128, repeats: int = 3) -> Throughput:
    """Measure an engine's prefill and decode speed (best of `repeats`): prefill from the time to first token of
    a `prompt_tokens` prompt, decode from the time per further token of a `decode_tokens` greedy request."""
    from harness.engines.base import GenRequest

    words = ("the quick brown fox jumps over the lazy dog " * (prompt_tokens // 4 + 8)).split()
    ids = engine.tokenize(" ".join(words))[:prompt_tokens]
    prefill, decode = 0.0, 0.0
    for i in range(repeats):
        res = engine.generate([GenRequest(tuple(ids[:-1]) + (ids[-1 - i],), decode_tokens, (), 0.0, 1.0, i)])[0]
        if res.finish_reason == "error":
            raise BadArgumentError(f"calibration request failed: {res.error}")
        prefill = max(prefill, len(ids) / max(1e-9, res.ttft_s or res.wall_s))
        if res.completion_tokens > 1:
            decode = max(decode, (res.completion_tokens - 1) / max(1e-9, res.wall_s - (res.ttft_s or 0.0)))
    return Throughput(round(prefill, 1), round(decode, 2))
