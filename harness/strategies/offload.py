"""Offload strategies: a small model and a large one write one response together.

`splitreason` follows SplitReason's evaluation code: the small model reasons with a hint to mark hard parts;
when it writes `<bigmodel>`, the large model continues (from the text with the hint and every tag removed)
in chunks until the small model, probed after each chunk, would write `</bigmodel>`, or until the cap.
`random-offload` is the baseline: chunks of 16 tokens, each written by the large model with probability p.

Text is the interface between the two models; token counts are per model (each with its own tokenizer).
Every constant is a setting of `OffloadConfig`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass, field

from harness.engines.base import Engine
from harness.strategies.base import STRATEGIES, Context, Strategy, StrategyConfig, Trace, call, record, split_single


@dataclass(frozen=True)
class OffloadConfig:
    ratio: float | None = None  # random-offload's target share of chunks; None for splitreason
    hint: str = "\nYou always use <bigmodel>...</bigmodel> to mark parts of the reasoning process that are important."
    open_tag: str = "<bigmodel>"
    close_tag: str = "</bigmodel>"
    large_chunk: int = 64
    max_offload: int = 512
    probe_tokens: int = 8
    probe_every: int = 1  # probe after every k-th token of a large-model chunk (1: every prefix, as the paper)
    probe_marker: str = "</big"
    random_chunk: int = 16
    force_answer: bool = True  # if thinking is still open at the end, the small model answers within s (as e1)
    large_temperature: float | None = None  # None: the run's sampling settings
    large_top_p: float | None = None


@dataclass
class Segment:
    model: str  # small | large
    text: str
    tokens: int


@dataclass
class OffloadTrace(Trace):
    response: str = ""
    segments: list[Segment] = field(default_factory=list)
    handovers: int = 0
    probe_tokens: int = 0
    ended_by: str = "budget"  # small-eos | large-eos | budget


def strip_tags(text: str, ocfg: OffloadConfig) -> str:
    return text.replace(ocfg.open_tag, "").replace(ocfg.close_tag, "")


def _gen(
    engine: Engine,
    who: str,
    trace: OffloadTrace,
    prompt: str,
    max_tokens: int,
    stop: tuple[str, ...],
    cfg: StrategyConfig,
    ocfg: OffloadConfig,
):
    if who == "large":
        cfg = dataclasses.replace(
            cfg,
            temperature=cfg.temperature if ocfg.large_temperature is None else ocfg.large_temperature,
            top_p=cfg.top_p if ocfg.large_top_p is None else ocfg.large_top_p,
        )
    return call(engine, trace, who, prompt, max_tokens, stop, cfg, failure=f"{who} model call failed")


def _write(trace: OffloadTrace, who: str, text: str, tokens: int) -> None:
    trace.response += text
    if trace.segments and trace.segments[-1].model == who:
        trace.segments[-1].text += text
        trace.segments[-1].tokens += tokens
    else:
        trace.segments.append(Segment(who, text, tokens))


def _probe(
    small: Engine,
    trace: OffloadTrace,
    context: str,
    large: Engine,
    ids: tuple[int, ...],
    cfg: StrategyConfig,
    ocfg: OffloadConfig,
) -> tuple[int, str] | None:
    """The first prefix length j of the large chunk after which the small model would close the offload,
    with the small model's text before the marker; None if it would not."""
    cuts = sorted(set(range(ocfg.probe_every, len(ids) + 1, ocfg.probe_every)) | {len(ids)})
    prompts = [context + large.detokenize(ids[:j]) for j in cuts]
    requests = [cfg.request(p, ocfg.probe_tokens) for p in prompts]
    results = small.generate(requests)
    for req, res in zip(requests, results):  # the whole batch ran: every probe's tokens are spent
        trace.probe_tokens += res.completion_tokens
        record(trace, "probe", req, res, failure="small model probe failed")
    for j, res in zip(cuts, results):
        if ocfg.probe_marker in res.text:
            return j, res.text[: res.text.index(ocfg.probe_marker)]
    return None


def _finish(small: Engine, trace: OffloadTrace, prompt: str, cfg: StrategyConfig, ocfg: OffloadConfig) -> OffloadTrace:
    """Split thinking from answer; if thinking is still open, optionally let the small model answer (as e1)."""
    split_single(trace, trace.response, cfg, by_budget=trace.ended_by == "budget")
    if not trace.thinking_closed and ocfg.force_answer:
        trace.forced_text = cfg.fmt.close
        res = _gen(
            small, "solution", trace, prompt + trace.response + cfg.fmt.close, cfg.solution_budget, (), cfg, ocfg
        )
        trace.answer, trace.thinking_closed = res.text, True
    return trace


def splitreason(ctx: Context) -> OffloadTrace:
    small, large, cfg, ocfg = ctx.engines["model"], ctx.engines["large"], ctx.cfg, ctx.offload
    trace = OffloadTrace()
    small_prompt, large_prompt = ctx.prompt_for(ocfg.hint), ctx.prompt_for("")
    used = 0
    while used < cfg.budget:
        res = _gen(small, "small", trace, small_prompt + trace.response, cfg.budget - used, (ocfg.open_tag,), cfg, ocfg)
        _write(trace, "small", res.text, res.completion_tokens)
        used += res.completion_tokens
        if res.stop_string != ocfg.open_tag:
            trace.ended_by = "small-eos" if res.finish_reason == "stop" else "budget"
            break
        tag_tokens = len(res.tail_ids) or small.count_tokens(ocfg.open_tag)  # sampled, so within the budget
        _write(trace, "small", ocfg.open_tag, tag_tokens)
        used += tag_tokens
        trace.handovers += 1
        offloaded = 0
        while offloaded < ocfg.max_offload and used < cfg.budget:
            n = min(ocfg.large_chunk, ocfg.max_offload - offloaded, cfg.budget - used)
            chunk = _gen(large, "large", trace, large_prompt + strip_tags(trace.response, ocfg), n, (), cfg, ocfg)
            cut = (
                _probe(small, trace, small_prompt + trace.response, large, chunk.token_ids, cfg, ocfg)
                if chunk.token_ids
                else None
            )
            if cut is not None:
                j, small_text = cut
                _write(trace, "large", large.detokenize(chunk.token_ids[:j]), j)
                _write(trace, "small", small_text + ocfg.close_tag, small.count_tokens(small_text + ocfg.close_tag))
                used += j + small.count_tokens(small_text)
                break
            _write(trace, "large", chunk.text, chunk.completion_tokens)
            used += chunk.completion_tokens
            offloaded += chunk.completion_tokens
            if chunk.finish_reason == "stop":
                trace.ended_by = "large-eos"
                return _finish(small, trace, small_prompt, cfg, ocfg)
        else:
            _write(trace, "small", ocfg.close_tag, small.count_tokens(ocfg.close_tag))
    return _finish(small, trace, small_prompt, cfg, ocfg)


def random_offload(ctx: Context) -> OffloadTrace:
    small, large, cfg, ocfg = ctx.engines["model"], ctx.engines["large"], ctx.cfg, ctx.offload
    trace = OffloadTrace()
    prompt = ctx.prompt_for("")
    rng = random.Random(hashlib.sha256(f"{cfg.seed}\0{prompt}".encode()).digest())
    used = 0
    while used < cfg.budget:
        who, engine = ("large", large) if rng.random() < (ocfg.ratio or 0.0) else ("small", small)
        if who == "large" and (not trace.segments or trace.segments[-1].model != "large"):
            trace.handovers += 1
        res = _gen(
            engine, who, trace, prompt + trace.response, min(ocfg.random_chunk, cfg.budget - used), (), cfg, ocfg
        )
        _write(trace, who, res.text, res.completion_tokens)
        used += res.completion_tokens
        if res.finish_reason == "stop":
            trace.ended_by = f"{who}-eos"
            break
    return _finish(small, trace, prompt, cfg, ocfg)


ONCE = "offload strategies sample each response once"
STRATEGIES.add("splitreason", Strategy(splitreason, roles=("model", "large"), no_reuse=ONCE))
STRATEGIES.add("random-offload", Strategy(random_offload, roles=("model", "large"), no_reuse=ONCE))


def char_ratio(response: str, ocfg: OffloadConfig = OffloadConfig()) -> float:
    """Share of the response's characters inside open...close tags, tags included (an open span runs to the end)."""
    inside, pos = 0, 0
    while (start := response.find(ocfg.open_tag, pos)) != -1:
        end = response.find(ocfg.close_tag, start + len(ocfg.open_tag))
        stop = len(response) if end == -1 else end + len(ocfg.close_tag)
        inside += stop - start
        pos = stop
    return inside / len(response) if response else 0.0
