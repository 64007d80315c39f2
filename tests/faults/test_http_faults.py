"""The HTTP engine against a hung, garbage and lying server on 127.0.0.1: wrong-type fields and usage beyond the
budget are failed calls, --server-args cannot replace the harness's fields, --request-timeout is honoured, and the
first Ctrl-C stops a run stuck on a hung request, keeping what was written and saying how to resume."""

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.cli import main
from harness.engines.openai_http import OpenAIEngine
from harness.errors import BadArgumentError
from harness.run import RunConfig
from harness.run.plan import engine_loader
from tests.engines.test_openai_faults import OK_BODY, REQ


@pytest.mark.parametrize(
    "body",
    [
        {"choices": [{"text": 123, "finish_reason": "stop"}]},
        {
            "choices": [{"text": "four", "finish_reason": "stop"}],
            "usage": {"prompt_tokens": "5", "completion_tokens": "1"},
        },
        {"choices": [{"text": "four", "finish_reason": ["stop"]}]},
        {"choices": "none"},
    ],
)
def test_a_reply_with_fields_of_the_wrong_type_is_a_failed_call(engine_for, server, body):
    server.script = [body] * 2
    res = engine_for(server, retries=1).generate([REQ])[0]
    assert res.finish_reason == "error" and "malformed response" in res.error


def test_usage_beyond_max_tokens_is_a_failed_call_not_a_valid_one(engine_for, server):
    server.script = [{**OK_BODY, "usage": {"prompt_tokens": 5, "completion_tokens": REQ.max_tokens + 1}}]
    res = engine_for(server).generate([REQ])[0]
    assert res.finish_reason == "error" and "ignored the budget" in res.error and len(server.requests) == 1


def test_server_args_may_not_set_the_fields_the_harness_owns(engine_for, server, capsys):
    with pytest.raises(BadArgumentError, match="may not set max_tokens, prompt"):
        engine_for(server, extra_body={"prompt": "x", "max_tokens": 9})
    with pytest.raises(SystemExit) as e:
        main(["run", "--model", "openai:m", "--server-args", "model=other"])
    assert e.value.code == 2 and "--server-args may not set model" in capsys.readouterr().err


def test_a_hung_server_fails_the_call_within_the_request_timeout(engine_for, server):
    server.script = ["hang"]
    t0 = time.perf_counter()
    res = engine_for(server, timeout_s=0.3, retries=0).generate([REQ])[0]
    assert res.finish_reason == "error" and "Timeout" in res.error and time.perf_counter() - t0 < 5


def test_request_timeout_reaches_the_http_engine():
    cfg = RunConfig(
        tasks=["gsm8k"], budgets=[4], model="openai:m", base_url="http://127.0.0.1:9/v1", tokenizer="smollm2-135m"
    )
    engine = engine_loader(cfg.engine.model, cfg, 2, request_timeout=7)()
    assert isinstance(engine, OpenAIEngine) and engine.timeout_s == 7


def test_first_ctrl_c_stops_a_run_stuck_on_a_hung_request(server, tmp_path, data_dir):
    server.script = ["ok", "ok"] + ["hang"] * 20
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "harness.cli", "run", "--model", "openai:m", "--base-url", server.url]
    cmd += ["--tokenizer", "smollm2-135m", "--tasks", "gsm8k", "--strategy", "plain", "--budgets", "8"]
    cmd += ["--limit", "6", "--concurrency", "1", "--request-timeout", "120", "--thinking", "none"]
    cmd += ["--data-dir", str(data_dir), "--output-path", str(out), "--no-progress"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    deadline, records = time.time() + 60, out / "records.jsonl"
    while len(server.requests) < 3 and time.time() < deadline:
        time.sleep(0.1)
    assert len(server.requests) >= 3, "the run never reached the hung request"
    time.sleep(1.5)  # the two answers are graded meanwhile
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("the first Ctrl-C did not stop the run")
    assert p.returncode == 130 and "Traceback" not in err
    assert "rerun the same command to resume" in err
    assert len(records.read_text().splitlines()) == 2  # what was written is kept
    server.script = []  # the server is back: the same command resumes and finishes
    assert main(cmd[3:]) == 0
    assert len(records.read_text().splitlines()) == 6 and len(server.requests) >= 3 + 4
