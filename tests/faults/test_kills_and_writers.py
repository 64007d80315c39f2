"""Whole `harness run` processes against a slow server on 127.0.0.1: SIGKILL at random points then a resume loses
nothing and counts nothing twice; a second writer into the same folder is refused while the first goes on."""

import os
import random
import signal
import subprocess
import sys
import time

from harness.cli import main
from harness.records import read_records


def _cmd(server, out, data_dir):
    cmd = [sys.executable, "-m", "harness.cli", "run", "--model", "openai:m", "--base-url", server.url]
    cmd += ["--tokenizer", "smollm2-135m", "--tasks", "gsm8k", "--strategy", "plain", "--budgets", "8"]
    cmd += ["--limit", "6", "--concurrency", "2", "--thinking", "none", "--no-progress"]
    return cmd + ["--data-dir", str(data_dir), "--output-path", str(out)]


def _wait_requests(server, n, timeout=60):
    deadline = time.time() + timeout
    while len(server.requests) < n and time.time() < deadline:
        time.sleep(0.05)
    assert len(server.requests) >= n, "the run never reached the server"


def test_sigkill_at_random_points_then_resume_loses_and_doubles_nothing(server, tmp_path, data_dir):
    out, rng = tmp_path / "r", random.Random(14)
    server.script = ["slow"] * 100
    for _ in range(2):
        p = subprocess.Popen(_cmd(server, out, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_requests(server, len(server.requests) + 1)
        time.sleep(rng.uniform(0.0, 0.8))
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
    assert main(_cmd(server, out, data_dir)[3:]) == 0
    records = read_records(out / "records.jsonl")
    assert len(records) == len({r.key() for r in records}) == 6 and all(r.status == "ok" for r in records)
    assert "| gsm8k | plain | 8 | 6 |" in (out / "summary.md").read_text()


def test_a_second_writer_is_refused_while_the_first_runs(server, tmp_path, data_dir):
    out = tmp_path / "r"
    server.script = ["slow"] * 100
    first = subprocess.Popen(_cmd(server, out, data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_requests(server, 1)
    second = subprocess.run(_cmd(server, out, data_dir), capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "another harness process is writing to" in second.stderr
    assert first.wait(timeout=120) == 0
    records = read_records(out / "records.jsonl")
    assert len(records) == len({r.key() for r in records}) == 6
