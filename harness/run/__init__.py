"""A run, in three stages: `plan` (config -> tasks, engines, strategy, reuse decision, typed manifest, jobs),
`execute` (the scheduling loop: each job's traces become graded records), `record` (trace -> record -> graded
record)."""

from harness.run.config import RunConfig
from harness.run.execute import run

__all__ = ["RunConfig", "run"]
