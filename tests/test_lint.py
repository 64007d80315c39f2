"""ruff's lint and format checks (pyproject.toml: line length 120), as part of the suite CI runs."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUFF = [sys.executable, "-m", "ruff"]


def test_ruff_lint_passes():
    r = subprocess.run(RUFF + ["check", "harness", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_leaves_every_file_as_it_is():
    r = subprocess.run(
        RUFF + ["format", "--check", "harness", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, "run `.venv/bin/ruff format harness tests benchmarks`:\n" + r.stdout + r.stderr
