"""Trace -> record -> graded record, in one place: a strategy's trace becomes a typed, versioned record (with an
offload block for offload strategies); a score (or the reason there is none) completes it."""

from __future__ import annotations

import dataclasses

from harness.api import Task
from harness.engines.base import ChatPrompt
from harness.run.config import RunConfig
from harness.latency import alone, load_table, pick, pipelined, sequential
from harness.records import CallRecord, OffloadRecord, SampleRecord
from harness.scoring import Score
from harness.strategies import Trace
from harness.strategies.offload import OffloadTrace, char_ratio


def offload_record(trace: OffloadTrace, cfg: RunConfig, ratio, small, large, prompt_tokens: int) -> OffloadRecord:
    o = cfg.strategy.offload
    table = load_table(o.latency_table)
    speeds = [pick(table, m) for m in o.latency_models]
    segments = [(seg.model, seg.tokens) for seg in trace.segments]
    small_tokens = sum(n for m, n in segments if m == "small")
    large_tokens = sum(n for m, n in segments if m == "large")
    wall = {
        who: sum(c.wall_s for c in trace.calls if c.role in roles)
        for who, roles in (("small", ("small", "probe", "solution")), ("large", ("large",)))
    }
    return OffloadRecord(
        target_ratio=ratio,
        small_model=cfg.engine.model,
        large_model=o.model or "",
        same_weights=small.fingerprint() == large.fingerprint(),
        tokenizers={"small_tokens": small.info.name, "probe_tokens": small.info.name, "large_tokens": large.info.name},
        small_tokens=small_tokens,
        large_tokens=large_tokens,
        probe_tokens=trace.probe_tokens,
        ratio_tokens=large_tokens / max(1, small_tokens + large_tokens),
        ratio_chars=char_ratio(trace.response),
        handovers=trace.handovers,
        ended_by=trace.ended_by,
        small_wall_s=wall["small"],
        large_wall_s=wall["large"],
        segments=segments,
        latency_table=f"{o.latency_table}:{','.join(o.latency_models)}",
        modelled_sequential_s=sequential(prompt_tokens, segments, *speeds),
        modelled_pipelined_s=pipelined(prompt_tokens, segments, *speeds),
        modelled_large_alone_s=alone(prompt_tokens, small_tokens + large_tokens, speeds[1]),
    )


def gradable(record: SampleRecord) -> bool:
    """A record whose answer can be graded: the calls succeeded and thinking ended (or there was none)."""
    return record.status == "ok" and record.thinking_closed


def graded(record: SampleRecord, score: Score | None) -> SampleRecord:
    """The record completed by its score; a record that is not `gradable` gets its reason instead (failed records keep
    `correct` None: a failure is never a wrong answer)."""
    if score is None:
        if record.status == "ok":
            record.verdict_reason, record.correct = "thinking_not_closed", False
        return record
    record.correct, record.extracted, record.verdict_reason = score.correct, score.extracted, score.reason
    if score.verdict is not None:
        record.verdict, record.test_verdicts = score.verdict, list(score.tests)
        record.verdict_reason = record.verdict_reason or (score.detail or None)
    return record


def _call_records(trace: Trace, engine) -> list[CallRecord]:
    """Each call as logged: a token-id prompt as its text and its ids, a chat prompt as its rendering."""

    def prompt(c) -> dict:
        if isinstance(c.prompt, str):
            return {}
        if isinstance(c.prompt, ChatPrompt):
            return {"prompt": str(c.prompt)}
        return {"prompt": engine.detokenize(c.prompt), "prompt_ids": list(c.prompt)}

    fields = CallRecord.model_fields
    return [
        CallRecord(**{**{k: v for k, v in dataclasses.asdict(c).items() if k in fields}, **prompt(c)})
        for c in trace.calls
    ]


def make_record(
    task: Task,
    sample,
    cfg: RunConfig,
    point: tuple[int | str, float | None],
    trace: Trace,
    engine,
    model_name: str,
    large=None,
    seed: int | None = None,
) -> SampleRecord:
    budget, ratio = point
    count = engine.count_tokens
    calls = _call_records(trace, engine) if cfg.log_samples else None
    derived = next((c.derived_from for c in trace.calls if c.derived_from is not None), None)
    first = trace.calls[0] if trace.calls else None
    if first is None:
        prompt_tokens = 0
    else:  # a chat prompt is rendered by the server, which counts it
        prompt_tokens = first.prompt_tokens if isinstance(first.prompt, ChatPrompt) else count(first.prompt)
    offload = None
    if isinstance(trace, OffloadTrace) and trace.error is None:
        offload = offload_record(trace, cfg, ratio, engine, large, prompt_tokens)
        thinking_tokens, solution_tokens = offload.small_tokens + offload.large_tokens, trace.tokens("solution")
    else:
        thinking_tokens, solution_tokens = trace.part_tokens(count)
    return SampleRecord(
        task=task.name,
        sample_id=sample.id,
        index=sample.index,
        difficulty=sample.difficulty,
        platform=sample.platform,
        strategy=cfg.strategy.name,
        budget=budget,
        solution_budget=cfg.strategy.solution_budget,
        seed=cfg.sampling.seed if seed is None else seed,
        model=model_name,
        status="failed" if trace.error else "ok",
        error=trace.error,
        gold=sample.gold,
        answer_type=sample.answer_type,
        thinking=trace.thinking,
        answer=trace.answer,
        thinking_end=trace.thinking_end,
        thinking_source=trace.thinking_source,
        thinking_closed=trace.thinking_closed,
        forced_text=trace.forced_text,
        prompt_tokens=prompt_tokens,
        thinking_tokens=thinking_tokens,
        solution_tokens=solution_tokens,
        total_tokens=thinking_tokens + solution_tokens if offload else trace.tokens(),
        hit_budget=trace.hit_budget or trace.thinking_end == "budget",
        continued_on=trace.continued_on,
        latency_s=trace.wall_s,
        ttft_s=trace.ttft_s,
        n_calls=len(trace.calls),
        derived_from=derived,
        latency_modelled=any(c.modelled for c in trace.calls),
        cached_calls=sum(c.cached for c in trace.calls),
        offload_ratio=ratio,
        offload=offload,
        question=sample.question if cfg.log_samples else None,
        calls=calls,
    )
