"""Per-sample records: typed, versioned, one JSON line each, written atomically as samples finish."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict

from harness.errors import RecordsError

SCHEMA_VERSION = 3  # 2: cache, reuse and modelled-latency fields; 3: continued_on, prompt_ids (v1, v2 still load)
RECORDS_FILE = "records.jsonl"


class CallRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str
    prompt: str
    prompt_ids: list[int] | None = None  # the ids sent, where the call continued on token ids (prompt is their text)
    max_tokens: int
    stop: list[str]
    output: str
    token_ids: list[int] = []
    tokens: int
    finish_reason: str
    stop_string: str | None = None
    wall_s: float
    ttft_s: float | None = None
    error: str | None = None
    cached: bool = False
    derived_from: int | None = None
    modelled: bool = False
    counted_by: str = "engine"  # engine (sampled ids) | server usage | local tokenizer
    prompt_tokens: int = 0  # the context the call started from, as the engine (or the server's usage) counted it
    local_tokens: int | None = None  # HTTP engines: the local tokenizer's count beside the server's (`tokens`)


class OffloadRecord(BaseModel):
    """Who wrote what in an offloaded response. Token counts are each model's own tokenizer's."""

    model_config = ConfigDict(extra="forbid")
    target_ratio: float | None  # random-offload's p; None for splitreason (its ratio is emergent)
    small_model: str
    large_model: str
    same_weights: bool  # both engines load the same weights (e.g. one GGUF twice with different settings)
    tokenizers: dict[str, str]  # which model's tokenizer counted each token field
    small_tokens: int
    large_tokens: int
    probe_tokens: int  # small-model tokens spent probing for the hand-back, not part of the response
    ratio_tokens: float  # share of response tokens written by the large model
    ratio_chars: float  # share of response characters inside <bigmodel>...</bigmodel>, tags included
    handovers: int
    ended_by: str
    small_wall_s: float
    large_wall_s: float
    segments: list[tuple[str, int]]  # (model, tokens) in writing order: what the latency model reads
    latency_table: str
    modelled_sequential_s: float
    modelled_pipelined_s: float
    modelled_large_alone_s: float


class SampleRecord(BaseModel):
    """One (task, sample, strategy, budget, seed) result. Thinking and answer are kept apart."""

    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    task: str
    sample_id: str
    index: int
    strategy: str
    budget: int | str  # a token count, or an effort level (effort strategy; harness/budgets.py orders them)
    solution_budget: int
    seed: int
    model: str
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    gold: str
    answer_type: str
    thinking: str = ""
    answer: str = ""
    thinking_end: str = "none"
    thinking_source: str | None = None  # chat engines: reasoning_content | reasoning | think tags in content | hidden
    thinking_closed: bool = True
    forced_text: str = ""
    extracted: str | None = None
    correct: bool | None = None
    verdict_reason: str | None = None
    prompt_tokens: int = 0
    # Generated tokens. Multi-call strategies count the engine's ids per call (what the budgets bound);
    # single-call strategies (plain, l1) split their one response by the tokenizer's count of each part.
    thinking_tokens: int = 0
    solution_tokens: int = 0
    total_tokens: int = 0
    hit_budget: bool = False  # thinking, or a whole response without thinking, was cut at the budget
    continued_on: str | None = None  # how the solution call continued the thinking: tokens | text (None: no such call)
    latency_s: float = 0.0
    ttft_s: float | None = None
    n_calls: int = 0
    # Reuse: the larger budget whose first call this record's was cut from (None: generated for this budget);
    # then latency_s is the finishing calls' measured time plus the cut call's modelled time.
    derived_from: int | None = None
    latency_modelled: bool = False
    cached_calls: int = 0
    difficulty: str | None = None
    platform: str | None = None
    verdict: str | None = None  # code tasks: passed, wrong_answer, runtime_error, time_limit, ..., no_code
    test_verdicts: list[str] | None = None
    offload_ratio: float | None = None  # the swept target ratio (random-offload)
    offload: OffloadRecord | None = None
    question: str | None = None
    calls: list[CallRecord] | None = None

    def key(self) -> tuple:
        return (self.task, self.sample_id, self.strategy, self.budget, self.seed, self.offload_ratio)


class RecordWriter:
    """Appends one line per record, then flush + fsync, so a crash never leaves a half line behind."""

    def __init__(self, path: Path):
        self.path = path
        self._f = open(path, "a", encoding="utf-8")

    def write(self, record: SampleRecord) -> None:
        self._f.write(record.model_dump_json() + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_records(path: Path, *, repair: bool = False) -> list[SampleRecord]:
    """Read a records file. A corrupt line names its number; a half last line (a crash) is cut off with repair.

    A key written twice (two writers, a bad merge) is refused: counting it twice would be a wrong result. With
    repair (resume) the later record of a key wins, where it is ok, and the file is rewritten with each key once.
    """
    if not path.is_file():
        raise RecordsError(f"no records file at {path}; pass the output folder of a `harness run`")
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    records = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(SampleRecord.model_validate_json(line))
        except Exception as e:
            last = lineno == len(lines) and not raw.endswith(b"\n")
            if last and repair:
                with open(path, "r+b") as f:
                    f.truncate(len(raw) - len(line))
                print(f"warning: {path}:{lineno} was a half-written line from an interrupted run; removed it")
                break
            raise RecordsError(
                f"{path}:{lineno} is not a valid record ({type(e).__name__}); "
                f"run `harness repair {path.parent}` to keep every valid record (and the cache)"
            ) from None
    unique = once_per_key(records)
    if len(unique) < len(records):
        if not repair:
            dup = next(k for k, n in Counter(r.key() for r in records).items() if n > 1)
            raise RecordsError(
                f"{path} holds {len(records) - len(unique)} record(s) whose key is already there (e.g. {dup}): "
                f"two writers or a bad merge; run `harness repair {path.parent}` to keep one record per key"
            )
        write_records(path, unique)
        print(f"warning: {path} held {len(records) - len(unique)} duplicate record(s); kept one per key")
    return unique


def once_per_key(records: list[SampleRecord]) -> list[SampleRecord]:
    """One record per key, in first-seen order: an ok record wins over a failed one, then the later one."""
    best: dict[tuple, SampleRecord] = {}
    for r in records:
        old = best.get(r.key())
        if old is None or r.status == "ok" or old.status == "failed":
            best[r.key()] = r
    return list(best.values())


def write_records(path: Path, records: Iterable[SampleRecord]) -> None:
    """Replace a records file atomically (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)


def repair_records(run_dir: Path) -> tuple[int, int, int]:
    """Keep every valid record once; move unreadable lines to records.rejected.jsonl. Returns (kept, bad, dups).

    The folder's output lock is held meanwhile: a run still appending would keep writing to the replaced file."""
    from harness.run.output import locked

    path = Path(run_dir) / RECORDS_FILE
    if not path.is_file():
        raise RecordsError(f"no records file at {path}; pass the output folder of a `harness run`")
    with locked(path.parent, hint="repair once it has stopped (a resume repairs the file itself)"):
        return _repair(path)


def _repair(path: Path) -> tuple[int, int, int]:
    records, bad = [], []
    for line in path.read_bytes().split(b"\n"):
        if not line.strip():
            continue
        try:
            records.append(SampleRecord.model_validate_json(line))
        except Exception:
            bad.append(line)
    if bad:
        with open(path.with_name("records.rejected.jsonl"), "ab") as f:
            f.write(b"".join(line + b"\n" for line in bad))
    unique = once_per_key(records)
    write_records(path, unique)
    return len(unique), len(bad), len(records) - len(unique)


def iter_jsonable(records: Iterable[SampleRecord]) -> list[dict]:
    rows = []
    for r in records:
        row = r.model_dump(mode="json", exclude={"calls", "question", "thinking", "answer", "offload"})
        if r.offload is not None:
            row.update({f"offload_{k}": v for k, v in r.offload.model_dump(exclude={"segments"}).items()})
        rows.append(row)
    return rows
