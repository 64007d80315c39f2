"""Kill a real run with SIGKILL part-way, rerun the same command: every sample exactly once, as uninterrupted."""

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.records import read_records

pytestmark = pytest.mark.slow
VOLATILE = {"latency_s", "ttft_s", "cached_calls"}


def _argv(out, data_dir):
    return [
        sys.executable,
        "-m",
        "harness",
        "run",
        "--tasks",
        "gsm8k",
        "--strategy",
        "e1",
        "--budgets",
        "16,32",
        "--solution-budget",
        "16",
        "--limit",
        "4",
        "--output-path",
        str(out),
        "--data-dir",
        str(data_dir),
        "--no-progress",
        "--n-ctx",
        "2048",
    ]


def test_sigkill_then_rerun_gives_the_uninterrupted_records(tmp_path, data_dir):
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run(_argv(full, data_dir), check=True, capture_output=True)
    proc = subprocess.Popen(_argv(killed, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = killed / "records.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (records.is_file() and records.read_text().count("\n") >= 3):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = records.read_text().count("\n")
    assert 3 <= written < 8, f"the kill came too late to test anything ({written} records)"
    subprocess.run(_argv(killed, data_dir), check=True, capture_output=True)
    got, want = read_records(records), read_records(full / "records.jsonl")
    assert len({r.key() for r in got}) == len(got) == 8
    dump = lambda rs: sorted((r.model_dump(exclude=VOLATILE) for r in rs), key=lambda d: (d["sample_id"], d["budget"]))  # noqa: E731
    assert dump(got) == dump(want)
