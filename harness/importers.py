"""Generations made elsewhere, read into our records: lm-eval `--log_samples` files and Qwen2.5-Math-style dumps.

    harness import FILE.jsonl [FILE.jsonl ...] --output-path runs/imported --task math500 --model NAME

Each input row becomes one `Generation` (a row holding n sampled responses becomes n), graded here with the
harness's own scorer and written as `SampleRecord`s into a run folder (records.jsonl + manifest.json) that
`harness report`, `compare`, `leaderboard` and `gate` read like any other run. The publisher's own verdict,
when the file has one, is kept beside ours so the two can be compared (benchmarks/grading_corpus.py).

Formats, told apart by their fields (an unknown row is refused with the fields each format needs):
- lm-eval: `doc_id`, `doc`, `resps` (or `filtered_resps`), `target`; the verdict is the `exact_match` / `acc`
  metric when present. The task name comes from the file name `samples_<task>_<date>.jsonl`.
- qwen-math: `question` (or `problem`), `code` (the generated texts, a list; or one `generated_text` /
  `response` / `output` string); optional `gt` (or `answer`) gold, `pred`, and `score` (one bool per response).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadArgumentError

LM_EVAL_FIELDS = ("doc_id", "doc", "resps", "target")
QWEN_FIELDS = ("question|problem", "code|generated_text|response|output")
_QWEN_TEXT = ("code", "generated_text", "response", "output")
_LM_EVAL_METRICS = ("exact_match", "acc", "em", "correct")


@dataclass(frozen=True)
class Generation:
    """One response made elsewhere, with the publisher's verdict when there is one."""

    fmt: str  # lm-eval | qwen-math
    sample_id: str  # the row's own id (idx, doc_id), else its line number
    index: int  # line number in the file
    n: int  # which of the row's responses (0 for one response per row)
    question: str
    response: str
    gold: str | None
    published_correct: bool | None
    published_pred: str | None
    task: str | None  # from the file name (lm-eval) when known


def detect_format(row: dict) -> str:
    if not isinstance(row, dict):
        raise BadArgumentError(
            f"a row is a {type(row).__name__}, not a JSON object; expected lm-eval "
            f"({', '.join(LM_EVAL_FIELDS)}) or qwen-math ({', '.join(QWEN_FIELDS)}) rows"
        )
    if "doc" in row and ("resps" in row or "filtered_resps" in row) and "target" in row:
        return "lm-eval"
    if any(k in row for k in ("question", "problem")) and any(k in row for k in _QWEN_TEXT):
        return "qwen-math"
    raise BadArgumentError(
        f"unknown generations format (fields: {', '.join(sorted(row)[:12])}); expected lm-eval "
        f"--log_samples rows ({', '.join(LM_EVAL_FIELDS)}) or qwen-math rows ({', '.join(QWEN_FIELDS)})"
    )


def _as_list(value) -> list:
    if isinstance(value, str):  # a few dumps store the list as its repr: "['27']", "[True]"
        s = value.strip()
        if s.startswith("[") and s.endswith("]"):
            try:
                import ast

                got = ast.literal_eval(s)
                if isinstance(got, list):
                    return got
            except (ValueError, SyntaxError):
                pass
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "1.0", "0.0"):
        return value.strip().lower() in ("true", "1", "1.0")
    return None


def _qwen(row: dict, line: int) -> list[Generation]:
    key = next(k for k in _QWEN_TEXT if k in row)
    if any(isinstance(t, (dict, list)) for t in _as_list(row[key])):
        raise BadRowError(f"`{key}` holds objects or lists; expected a response text or a list of texts")
    texts = [str(t) for t in _as_list(row[key])]
    scores = _as_list(row["score"]) if "score" in row else [None] * len(texts)
    preds = _as_list(row["pred"]) if "pred" in row else [None] * len(texts)
    gold = row.get("gt", row.get("answer"))
    gold = ", ".join(map(str, gold)) if isinstance(gold, list) else (None if gold is None else str(gold))
    sid = str(row.get("idx", row.get("id", line)))
    q = str(row.get("question") or row.get("problem") or "")
    return [
        Generation(
            "qwen-math",
            sid,
            line,
            i,
            q,
            t,
            gold,
            _flag(scores[i]) if i < len(scores) else None,
            None if i >= len(preds) or preds[i] is None else str(preds[i]),
            None,
        )
        for i, t in enumerate(texts)
    ]


class BadRowError(ValueError):
    """A row of a known format whose fields have the wrong shape; `read_generations` names the file and line."""


def _lm_eval_question(doc: dict, args) -> object:
    """The question: the doc's own field, else the first request's first argument (a list of lists, or lm-eval's
    {"gen_args_0": {"arg_0": PROMPT, ...}})."""
    question = doc.get("question") or doc.get("problem") or doc.get("Question")
    if question is not None or not args:
        return question
    if not isinstance(args, (list, dict)):
        raise BadRowError(f"`arguments` is a {type(args).__name__}; expected a list or lm-eval's gen_args object")
    first = args[0] if isinstance(args, list) else next(iter(args.values()))
    if isinstance(first, list):
        return first[0] if first else None
    if isinstance(first, dict):
        return first.get("arg_0")
    raise BadRowError(f"`arguments` holds a {type(first).__name__}; expected [PROMPT, ...] or {{'arg_0': PROMPT}}")


def _lm_eval(row: dict, line: int, task: str | None) -> list[Generation]:
    resps = row.get("resps") or row.get("filtered_resps") or []
    if not isinstance(resps, list):
        raise BadRowError(f"`resps` is a {type(resps).__name__}, not a list of responses ([[TEXT], ...])")
    texts = [r[0] if isinstance(r, list) and r else r for r in resps]  # [[text], ...] per repeat
    if not all(isinstance(t, str) for t in texts):
        raise BadRowError("`resps` holds something other than response texts; expected [[TEXT], ...] or [TEXT, ...]")
    doc = row.get("doc") or {}
    if not isinstance(doc, dict):
        raise BadRowError(f"`doc` is a {type(doc).__name__}, not an object (lm-eval writes the task's document)")
    question = _lm_eval_question(doc, row.get("arguments"))
    verdict = next((_flag(row[m]) for m in _LM_EVAL_METRICS if m in row), None)
    filtered = row.get("filtered_resps")
    pred = str(filtered[0]) if isinstance(filtered, list) and filtered and not isinstance(filtered[0], list) else None
    return [
        Generation(
            "lm-eval",
            str(row.get("doc_id", line)),
            line,
            i,
            str(question or ""),
            str(t),
            None if row.get("target") is None else str(row["target"]),
            verdict if len(texts) == 1 else None,
            pred,
            task,
        )
        for i, t in enumerate(texts)
    ]


def lm_eval_task(path: Path) -> str | None:
    m = re.match(r"samples_(.+?)_\d{4}-\d{2}-\d{2}T", path.name)
    return m.group(1) if m else None


def read_generations(path: str | Path) -> list[Generation]:
    """Every response in one JSONL file; the first row decides the format, and every row must fit it."""
    path = Path(path)
    if not path.is_file():
        raise BadArgumentError(f"no generations file at {path}")
    out: list[Generation] = []
    fmt = None
    with open(path, "rb") as f:
        for line, raw in enumerate(f):
            if not raw.strip():
                continue
            row = _json_row(path, line, raw)
            try:
                kind = detect_format(row)
            except BadArgumentError as e:
                raise BadArgumentError(f"{path}:{line + 1}: {e}") from None
            if fmt is not None and kind != fmt:
                raise BadArgumentError(f"{path}:{line + 1} is a {kind} row in a {fmt} file")
            fmt = kind
            try:
                out.extend(_lm_eval(row, line, lm_eval_task(path)) if kind == "lm-eval" else _qwen(row, line))
            except BadRowError as e:
                raise BadArgumentError(f"{path}:{line + 1}: {e}") from None
    if not out:
        raise BadArgumentError(f"{path} holds no rows")
    return out


def _json_row(path: Path, line: int, raw: bytes):
    """One line's JSON value; a line that is not UTF-8, not JSON, or nested too deeply to read is refused."""
    where = f"{path}:{line + 1}"
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise BadArgumentError(
            f"{where} is not UTF-8 text (byte {e.object[e.start]:#04x} at column {e.start + 1}); re-save it as UTF-8"
        ) from None
    except json.JSONDecodeError:
        raise BadArgumentError(
            f"{where} is not JSON; expected JSON lines (lm-eval --log_samples or qwen-math dumps)"
        ) from None
    except RecursionError:
        raise BadArgumentError(f"{where} nests JSON too deeply to read; a generations row is a flat object") from None


def _norm_question(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def match_samples(gens: list[Generation], samples) -> list:
    """Our task's sample for each generation: by question text, else by a numeric id within range."""
    by_q = {_norm_question(s.question): s for s in samples}
    out = []
    for g in gens:
        s = by_q.get(_norm_question(g.question))
        if s is None and g.sample_id.isdigit() and int(g.sample_id) < len(samples):
            cand = samples[int(g.sample_id)]
            # the id must point at the same problem: one shares the other's first 40 characters
            a, b = _norm_question(cand.question)[:40], _norm_question(g.question)[:40]
            s = cand if a and (a in _norm_question(g.question) or b in _norm_question(cand.question)) else None
        out.append(s)
    return out


def seeded(per_file: list[list[Generation]]) -> list[int]:
    """The seed of each generation: files are kept apart (several seed files of one problem set are normal use),
    so file k's responses take seeds after those of the files before it; within a file, a row's n-th response."""
    seeds, offset = [], 0
    for gens in per_file:
        seeds.extend(offset + g.n for g in gens)
        offset += max((g.n for g in gens), default=-1) + 1
    return seeds


def check_unique(paths: list[str], per_file: list[list[Generation]], samples: list) -> None:
    """Two rows of one file naming one problem (a repeated idx or doc_id, or the same question twice) would be two
    records of one key; refused with both line numbers."""
    at = 0
    for path, gens in zip(paths, per_file):
        first: dict[tuple, int] = {}
        for g, s in zip(gens, samples[at : at + len(gens)]):
            key = (s.id if s is not None else g.sample_id, g.n)
            line = first.setdefault(key, g.index)
            if line != g.index:
                raise BadArgumentError(
                    f"{path}: rows {line + 1} and {g.index + 1} are both sample {key[0]!r}; keep one row per "
                    f"problem in a file (put other seeds in their own files)"
                )
        at += len(gens)


def import_generations(
    paths: list[str],
    output_path: str | Path,
    *,
    model: str,
    task: str | None = None,
    answer_type: str = "latex",
    data_dir=None,
    think_open: str = "<think>",
    think_close: str = "</think>",
    strategy: str = "imported",
    budget: int = 0,
    argv: list[str] | None = None,
) -> Path:
    """Grade generations made elsewhere and write them as a run folder. Returns the folder."""
    from harness.records import RECORDS_FILE, RecordWriter
    from harness.run.output import LOCK_FILE, locked

    out = Path(output_path)
    _check_empty(out, LOCK_FILE)
    per_file = [read_generations(p) for p in paths]
    gens = [g for gs in per_file for g in gs]
    samples = [None] * len(gens)
    if task is not None:
        from harness.api import load_task

        t = load_task(task, data_dir=data_dir)
        samples = match_samples(gens, t.samples)
        missing = sum(s is None for s in samples)
        if missing:
            raise BadArgumentError(
                f"{missing} of {len(gens)} generations match no question of task {task!r}; "
                f"pass the task they were made for, or leave --task out to grade against the file's gold"
            )
    elif any(g.gold is None for g in gens):
        raise BadArgumentError(
            "some rows carry no gold answer (gt / answer / target); pass --task NAME to take it from our task"
        )
    check_unique(paths, per_file, samples)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with locked(out, hint="choose a new folder for the imported run"):
        _check_empty(out, LOCK_FILE)  # again, now that no other process can write there
        with RecordWriter(out / RECORDS_FILE) as writer:
            for g, s, seed in zip(gens, samples, seeded(per_file)):
                name = task or g.task or "imported"
                counts[name] = counts.get(name, 0) + 1
                writer.write(_record(g, s, seed, name, model, strategy, budget, answer_type, think_open, think_close))
        config = {
            "model": model,
            "tasks": sorted(counts),
            "strategy": strategy,
            "budgets": [budget],
            "think_open": think_open,
            "think_close": think_close,
            "answer_type": None if task else answer_type,
        }
        _write_manifest(out, paths, per_file, config, counts, argv)
    return out


def _check_empty(out: Path, lock_file: str) -> None:
    if out.exists() and (not out.is_dir() or any(p.name != lock_file for p in out.iterdir())):
        raise BadArgumentError(f"output path {out} is not empty; choose a new folder for the imported run")


def _record(g, s, seed, name, model, strategy, budget, answer_type, think_open, think_close):
    from harness.records import SampleRecord
    from harness.scoring import score_response
    from harness.scoring.extract import split_thinking

    gold, at = (s.gold, s.answer_type) if s is not None else (g.gold, answer_type)
    score = score_response(g.response, gold, at, think_open, think_close)
    split = split_thinking(g.response, think_open, think_close)
    return SampleRecord(
        task=name,
        sample_id=s.id if s is not None else g.sample_id,
        index=s.index if s is not None else g.index,
        strategy=strategy,
        budget=budget,
        solution_budget=0,
        seed=seed,
        model=model,
        gold=gold,
        answer_type=at,
        thinking=split.thinking,
        answer=split.answer,
        thinking_closed=not (split.opened and not split.closed),
        thinking_end="natural" if split.closed else "none",
        extracted=score.extracted,
        correct=score.correct,
        verdict_reason=score.reason,
        question=g.question or None,
        difficulty=s.difficulty if s is not None else None,
    )


def _write_manifest(out, paths, per_file, config, counts, argv) -> None:
    from harness.manifest import (
        MANIFEST_FILE,
        MANIFEST_VERSION,
        Manifest,
        environment,
        git_commit,
        now,
        package_versions,
        write_manifest,
    )
    from harness.run.config import nest

    gens = [g for gs in per_file for g in gs]
    seeds = seeded(per_file)
    firsts = [seeds[sum(len(f) for f in per_file[:k])] if gs else None for k, gs in enumerate(per_file)]
    write_manifest(
        out / MANIFEST_FILE,
        Manifest(
            version=MANIFEST_VERSION,
            config=nest(config),
            command=argv or [],
            started=now(),
            finished=now(),
            imported={
                "files": [str(Path(p).resolve()) for p in paths],
                "first_seed": {str(Path(p).resolve()): f for p, f in zip(paths, firsts)},
                "formats": sorted({g.fmt for g in gens}),
                "generations": len(gens),
                "per_task": counts,
                "published_verdicts": sum(g.published_correct is not None for g in gens),
                "tokens": "not counted: the files carry no token counts, so token columns read 0",
            },
            model={"name": config["model"]},
            packages=package_versions(),
            git=git_commit(),
            environment=environment(),
        ),
    )
