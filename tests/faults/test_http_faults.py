"""The HTTP engine against a hung, garbage and lying server on 127.0.0.1: wrong-type fields and usage beyond the
budget are failed calls, --server-args cannot replace the harness's fields, --request-timeout is honoured, and the
first Ctrl-C stops a run stuck on a hung request, keeping what was written and saying how to resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from harness.cli import main
from harness.engines.base import GenRequest
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


LONG = "The answer is four because two plus two makes four. " * 15  # 166 tokens by SmolLM2's tokenizer


def _chunks(h, chunks, done=True) -> None:
    """A streamed reply: each chunk is (text, finish_reason)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.end_headers()
    for text, finish in chunks:
        h.wfile.write(f"data: {json.dumps({'choices': [{'text': text, 'finish_reason': finish}]})}\n\n".encode())
        h.wfile.flush()
    if done:
        h.wfile.write(b"data: [DONE]\n\n")


def _trickle(h) -> None:
    """A whole reply sent one byte every 0.2 s: each read is quick, the request takes 20 s."""
    data = json.dumps(OK_BODY).encode().ljust(100)
    h.send_response(200)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    for i in range(len(data)):
        h.wfile.write(data[i : i + 1])
        h.wfile.flush()
        time.sleep(0.2)


def _endless(h) -> None:
    """A stream that never finishes: a token every 0.1 s for as long as the client reads."""
    _chunks(h, [], done=False)
    for _ in range(600):
        h.wfile.write(b'data: {"choices": [{"text": " x"}]}\n\n')
        h.wfile.flush()
        time.sleep(0.1)


@pytest.mark.parametrize("usage", [None, {"prompt_tokens": 5, "completion_tokens": 16}])
def test_a_completion_over_the_budget_is_refused_by_the_local_count(engine_for, server, usage):
    """A server that ignores max_tokens, with no usage or a usage that claims the budget was kept."""
    server.script = [{"choices": [{"text": LONG, "finish_reason": "length"}], **({"usage": usage} if usage else {})}]
    res = engine_for(server).generate([GenRequest("2+2=", 16)])[0]
    assert res.finish_reason == "error" and "for max_tokens 16: it ignored the budget" in res.error
    assert len(server.requests) == 1  # refused, not retried


@pytest.mark.parametrize(
    "usage, says",
    [
        ({"prompt_tokens": 5, "completion_tokens": 1}, "usage says 1 completion tokens where the local tokenizer"),
        ({"prompt_tokens": 5, "completion_tokens": 8, "total_tokens": -7}, "usage.total_tokens = -7"),
        ({"prompt_tokens": -1, "completion_tokens": 8}, "usage.prompt_tokens = -1"),
        ({"prompt_tokens": 5, "completion_tokens": 8, "total_tokens": 6}, "total_tokens 6 below completion_tokens 8"),
    ],
)
def test_usage_that_lies_or_is_impossible_is_refused(engine_for, server, usage, says):
    text = "x" * 811  # 203 tokens by the local tokenizer
    server.script = [{"choices": [{"text": text, "finish_reason": "stop"}], "usage": usage}]
    res = engine_for(server).generate([GenRequest("2+2=", 256)])[0]
    assert res.finish_reason == "error" and says in res.error and len(server.requests) == 1


def test_usage_within_the_tolerance_is_kept_beside_the_local_count(engine_for, server):
    server.script = [{"choices": [{"text": LONG, "finish_reason": "stop"}], "usage": {"completion_tokens": 170}}]
    res = engine_for(server).generate([GenRequest("2+2=", 256)])[0]
    assert (res.finish_reason, res.reported_tokens, res.local_tokens) == ("stop", 170, 166)


@pytest.mark.parametrize("fault", [_trickle, _endless])
def test_the_request_timeout_bounds_the_whole_request(engine_for, server, fault):
    server.script = [fault]
    t0 = time.perf_counter()
    res = engine_for(server, timeout_s=1.0, retries=0, stream=fault is _endless).generate([REQ])[0]
    assert res.finish_reason == "error" and "within --request-timeout 1 s" in res.error
    assert time.perf_counter() - t0 < 4


def test_text_streamed_after_the_finish_is_not_part_of_the_answer(engine_for, server):
    server.script = [lambda h: _chunks(h, [("fo", None), ("ur", "stop"), (" and 5", None), (" more", "stop")])]
    res = engine_for(server, stream=True).generate([REQ])[0]
    assert (res.finish_reason, res.text) == ("stop", "four")


@pytest.mark.parametrize("stream", [False, True])
def test_a_missing_finish_reason_is_the_same_fault_streamed_or_not(engine_for, server, stream):
    reply = (lambda h: _chunks(h, [("four", None)])) if stream else {"choices": [{"text": "four"}]}
    server.script = [reply] * 2
    res = engine_for(server, retries=1, stream=stream).generate([REQ])[0]
    assert res.finish_reason == "error" and "no finish_reason" in res.error and len(server.requests) == 2


def test_plain_over_http_splits_one_count_between_thinking_and_answer(engine_for, server, tmp_path, data_dir):
    """The server's usage (14) is the response's count; the parts are not recounted apart (16 by the tokenizer)."""
    from harness.records import read_records
    from harness.run import run

    text = "The answer is 4, since 2 + 2 = 4."  # 16 tokens by the local tokenizer
    server.script = [{"choices": [{"text": text, "finish_reason": "stop"}], "usage": {"completion_tokens": 14}}]
    cfg = RunConfig(
        model="openai:m",
        base_url=server.url,
        tasks=["gsm8k"],
        strategy="plain",
        budgets=[64],
        limit=1,
        log_samples=True,
    )
    run(cfg, tmp_path / "r", data_dir=data_dir, engine=engine_for(server), progress=False)
    (rec,) = read_records(tmp_path / "r" / "records.jsonl")
    assert rec.status == "ok" and rec.total_tokens == 14 and rec.thinking_tokens + rec.solution_tokens == 14
    assert (rec.calls[0].tokens, rec.calls[0].local_tokens) == (14, 16)
