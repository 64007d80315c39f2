"""The small public grading API: load a task's samples and score responses made anywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from harness.data import DataSource, load_rows
from harness.scoring import Score, score_response
from harness.tasks import Sample, TaskSpec, build_samples, expand_task_names


@dataclass
class Task:
    spec: TaskSpec
    samples: list[Sample]
    source: DataSource
    think_open: str = "<think>"
    think_close: str = "</think>"
    _by_id: dict[str, Sample] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.spec.task

    def score(self, sample: Sample | str, response_text: str) -> Score:
        """Grade a full model response (thinking with or without its end marker is stripped first)."""
        if isinstance(sample, str):
            if not self._by_id:
                self._by_id = {s.id: s for s in self.samples}
            sample = self._by_id[sample]
        options = None
        if sample.answer_type == "choice":
            from harness.scoring.choice import options_from_question

            options = options_from_question(sample.question) or None
        return score_response(
            response_text, sample.gold, sample.answer_type, self.think_open, self.think_close, options
        )


def load_task(name: str, data_dir: str | os.PathLike | None = None, include: list[str] | None = None) -> Task:
    """`harness.load_task("gsm8k", data_dir="../shared/data")` -> Task with .samples and .score()."""
    specs = expand_task_names([name], include)
    if len(specs) != 1:
        raise ValueError(f"{name!r} is a group of {len(specs)} tasks; load its members one by one")
    spec = specs[0]
    rows, source = load_rows(spec.task, spec.folder, spec.hub, data_dir)
    return Task(spec, build_samples(spec, rows), source)
