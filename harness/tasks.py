"""Task definitions: YAML files under tasks/ turned into typed specs and samples.

A task names its data (hub id and local folder), how to build the question from a row,
how to pull the gold answer out of the row, and the answer type that picks the checker.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.errors import BadArgumentError, UnknownNameError

TASKS_DIR = Path(__file__).resolve().parent.parent / "tasks"
TASKS_ENV = "HARNESS_TASKS_DIR"
AnswerType = Literal["number", "latex", "choice", "blanks", "code"]
_CHOICE_GOLD = re.compile(r"^\s*\(?([A-K])\)?(?:[\s,，、]*\(?([A-K])\)?)*\s*$")


class GoldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str | None = None
    fields: list[str] | None = None
    extract: Literal["raw", "after_hash", "last_boxed", "int", "float", "list", "choice"] = "raw"


class AnswerTypeByField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str
    map: dict[str, AnswerType]


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str
    description: str = ""
    hub: dict[str, Any] | None = None
    folder: str
    id_field: str | None = None
    question: str = "{question}"
    strip_suffix: str | None = None
    answer_in_question: list[str] = []  # markers after which a row with an empty gold leaked its answer
    gold: GoldSpec
    answer_type: AnswerType | Literal["auto"] | AnswerTypeByField = "latex"
    instruction: str | None = None  # replaces the run's --instruction for this task (code tasks: "")
    builder: Literal["livecodebench", "livecodebench_v5"] | None = None  # code tasks: prompt and tests from the row
    meta: dict[
        str, str
    ] = {}  # sample attribute -> row field, for filters and per-group metrics (difficulty, platform, date)
    source_file: str | None = Field(default=None, exclude=True)

    @field_validator("gold")
    @classmethod
    def _one_field(cls, g: GoldSpec) -> GoldSpec:
        if (g.field is None) == (g.fields is None):
            raise ValueError("gold needs exactly one of 'field' or 'fields'")
        return g


@dataclass(frozen=True)
class Sample:
    """One problem: a stable id, the question text and the gold answer with its checker type."""

    id: str
    index: int
    question: str
    gold: str
    answer_type: AnswerType
    difficulty: str | None = None
    platform: str | None = None
    date: str | None = None


def _tasks_dirs(include: list[str] | None = None) -> list[Path]:
    for p in include or []:
        if not Path(p).is_dir():
            raise BadArgumentError(f"--include-path {p} is not a folder; pass a folder holding task YAML files")
    extra = list(include or []) + [p for p in os.environ.get(TASKS_ENV, "").split(os.pathsep) if p]
    return [TASKS_DIR] + [Path(p) for p in extra]


def load_specs(include: list[str] | None = None) -> tuple[dict[str, TaskSpec], dict[str, list[str]]]:
    """All task specs and groups. A task named like one of another folder is refused (it would replace it)."""
    specs: dict[str, TaskSpec] = {}
    groups: dict[str, list[str]] = {}
    for d in _tasks_dirs(include):
        for path in sorted(d.glob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as e:
                where = getattr(e, "problem_mark", None)
                line = f" (line {where.line + 1})" if where else ""
                raise BadArgumentError(
                    f"task file {path} is not valid YAML{line}: {str(e).splitlines()[0]}; fix or remove the file"
                ) from None
            if not isinstance(data, dict):
                raise BadArgumentError(f"task file {path} holds no mapping of task fields; fix or remove the file")
            if path.name == "groups.yaml":
                groups.update({k: list(v) for k, v in data.items()})
                continue
            try:
                spec = TaskSpec(**data, source_file=str(path))
            except Exception as e:
                raise BadArgumentError(f"task file {path} is invalid: {e}".replace("\n", " ")) from None
            if spec.task in specs:
                raise BadArgumentError(
                    f"task file {path} names task {spec.task!r}, already defined by {specs[spec.task].source_file}; "
                    f"give the task in {path.name} another name"
                )
            specs[spec.task] = spec
    return specs, groups


def expand_task_names(names: list[str], include: list[str] | None = None) -> list[TaskSpec]:
    """Task and group names -> specs, in order, without repeats."""
    specs, groups = load_specs(include)
    out: list[TaskSpec] = []
    for name in names:
        members = groups.get(name, [name])
        for m in members:
            if m not in specs:
                raise UnknownNameError("task", m, list(specs) + list(groups))
            if specs[m] not in out:
                out.append(specs[m])
    return out


def _boxed_last(text: str) -> str | None:
    from harness.scoring.extract import last_boxed

    return last_boxed(text)


def extract_gold(spec: TaskSpec, row: dict[str, Any]) -> str:
    g = spec.gold
    value: Any = None
    for f in g.fields or [g.field]:
        value = row.get(f)
        if value not in (None, "", []):
            break
    if value in (None, "", []):
        raise BadArgumentError(
            f"task {spec.task!r}: row has no gold in {g.fields or g.field}; fix the task's gold field"
        )
    if g.extract == "after_hash":
        return str(value).rsplit("####", 1)[-1].strip().replace(",", "")
    if g.extract == "last_boxed":
        boxed = _boxed_last(str(value))
        if boxed is None:
            raise BadArgumentError(f"task {spec.task!r}: no \\boxed{{}} in the gold field {g.field!r}")
        return boxed
    if g.extract in ("int", "float"):
        try:
            f = float(str(value).strip().replace(",", ""))
        except ValueError:
            raise BadArgumentError(
                f"task {spec.task!r}: gold {str(value)[:60]!r} in field {g.field!r} is not a number, but the task "
                f"file says extract: {g.extract}; fix the task's gold extract"
            ) from None
        if g.extract == "int" and not f.is_integer():
            raise BadArgumentError(
                f"task {spec.task!r}: gold {str(value)[:60]!r} is not a whole number, but the task file says "
                f"extract: int; use extract: float"
            )
        return str(int(f)) if f.is_integer() else repr(f)
    if g.extract == "list":
        return ", ".join(str(v).strip() for v in value) if isinstance(value, list) else str(value)
    if g.extract == "choice":
        return "".join(re.findall(r"[A-K]", str(value)))
    return str(value).strip()


def answer_type_of(spec: TaskSpec, row: dict[str, Any], gold: str) -> AnswerType:
    at = spec.answer_type
    if isinstance(at, AnswerTypeByField):
        return at.map[str(row.get(at.field))]
    if at != "auto":
        return at
    if _CHOICE_GOLD.match(gold):
        return "choice"
    if re.search(r"(?<!\\);", gold):  # '\;' is LaTeX spacing, not a blank separator
        return "blanks"
    return "latex"


def question_of(spec: TaskSpec, row: dict[str, Any]) -> str:
    fields = dict(row)
    if isinstance(row.get("options"), dict):
        fields["options_text"] = "\n".join(f"{k}. {v}" for k, v in row["options"].items())
    try:
        text = spec.question.format(**fields)
    except KeyError as e:
        raise BadArgumentError(f"task {spec.task!r}: question template names field {e} that the rows lack") from None
    if spec.strip_suffix and text.endswith(spec.strip_suffix):
        text = text[: -len(spec.strip_suffix)]
    return text


def build_samples(spec: TaskSpec, rows: list[dict[str, Any]], code_tests_dir: str | None = None) -> list[Sample]:
    samples = []
    for i, row in enumerate(rows):
        sid = str(row[spec.id_field]) if spec.id_field and row.get(spec.id_field) is not None else str(i)
        meta = {k: str(row[f]) for k, f in spec.meta.items() if row.get(f) is not None}
        if spec.builder:
            from harness.livecodebench import BUILDERS

            question, gold = BUILDERS[spec.builder](row, code_tests_dir)
            samples.append(Sample(sid, i, question, gold, "code", **meta))
            continue
        row = _recover_leaked_answer(spec, row)
        gold = extract_gold(spec, row)
        samples.append(Sample(sid, i, question_of(spec, row), gold, answer_type_of(spec, row, gold), **meta))
    _check_unique_ids(spec, samples)
    return samples


def _check_unique_ids(spec: TaskSpec, samples: list[Sample]) -> None:
    """Records are keyed by sample id: two rows of one id would overwrite each other, so a problem would vanish."""
    rows: dict[str, list[int]] = {}
    for s in samples:
        rows.setdefault(s.id, []).append(s.index + 1)
    dups = {sid: at for sid, at in rows.items() if len(at) > 1}
    if dups:
        shown = "; ".join(f"{sid!r} (rows {', '.join(map(str, at))})" for sid, at in list(dups.items())[:5])
        more = f" and {len(dups) - 5} more" if len(dups) > 5 else ""
        raise BadArgumentError(
            f"task {spec.task!r}: {len(dups)} sample id(s) repeat in its data ({spec.id_field or 'row number'}): "
            f"{shown}{more}; give each row its own {spec.id_field or 'id'} or remove the repeated rows"
        )


def _recover_leaked_answer(spec: TaskSpec, row: dict[str, Any]) -> dict[str, Any]:
    """A few rows keep their gold at the end of the question ("...Answer: A"): move it out."""
    field = spec.gold.field or (spec.gold.fields or [""])[0]
    if str(row.get(field) or "").strip() or not spec.answer_in_question:
        return row
    q = str(row.get("question", ""))
    for marker in spec.answer_in_question:
        if marker in q:
            head, _, tail = q.rpartition(marker)
            return {**row, "question": head.rstrip(), field: tail.strip()}
    return row
