"""reasoning-harness: accuracy-efficiency evaluation of reasoning LLMs."""

__version__ = "0.1.0"


def load_task(name, data_dir=None, include=None):
    """Load a task's samples for grading; see harness.api.load_task."""
    from harness.api import load_task as _load

    return _load(name, data_dir=data_dir, include=include)
