"""The HTTP engine (`--model openai:...`) against vLLM's real OpenAI server on 127.0.0.1 (CPU build, SmolLM2):
an e1 sweep giving the offline vLLM engine's records, concurrency filling vLLM's batch, the server's thinking
budget (--reasoning-config), streaming, and faults becoming failed results. One server for the session
(tests/engines/conftest.py); benchmarks/vllm_throughput.py measures throughput at concurrency 1 and 8 in full."""

import contextlib
import json
import re
import threading
import time

import httpx
import pytest

from harness.engines import make_engine
from harness.engines.base import GenRequest
from harness.records import read_records
from harness.run import RunConfig, run

pytestmark = [pytest.mark.vllm, pytest.mark.slow]
PROMPT = "<|im_start|>user\nName three colours.<|im_end|>\n<|im_start|>assistant\n<think>\n"


@pytest.fixture(scope="module")
def http(vllm_server, vllm_model_dir):
    return dict(model="openai:smol", base_url=vllm_server, tokenizer=f"hf:{vllm_model_dir}")


def test_e1_sweep_over_http_gives_the_offline_engines_records(http, vllm_engine, data_dir, tmp_path):
    kw = dict(tasks=["gsm8k"], strategy="e1", budgets=[8, 24], solution_budget=16, limit=3, log_samples=True)
    run(
        RunConfig(thinking="prefill", **http, **kw),
        tmp_path / "http",
        data_dir=data_dir,
        engine=make_engine(**_engine_args(http, 4)),
        progress=False,
        cache=None,
        concurrency=4,
    )
    run(
        RunConfig(thinking="prefill", model="vllm:smollm2-135m", max_model_len=2048, **kw),
        tmp_path / "offline",
        data_dir=data_dir,
        engine=vllm_engine,
        progress=False,
        cache=None,
    )
    a = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "http" / "records.jsonl")}
    b = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "offline" / "records.jsonl")}
    assert sorted(a) == sorted(b) and len(a) == 6
    for k in a:
        x, y = a[k], b[k]
        assert x.status == "ok" and x.calls[0].prompt == y.calls[0].prompt
        assert (x.thinking, x.answer, x.thinking_end, x.thinking_tokens, x.solution_tokens) == (
            y.thinking,
            y.answer,
            y.thinking_end,
            y.thinking_tokens,
            y.solution_tokens,
        ), k
        assert x.calls[0].counted_by == "server usage" and x.prompt_tokens == y.prompt_tokens
        # the server takes token ids and returns the sampled ones: the solution continues on the same ids offline
        assert x.continued_on == y.continued_on == "tokens", k
        assert [c.prompt_ids for c in x.calls[1:]] == [c.prompt_ids for c in y.calls[1:]], k
    manifest = json.loads((tmp_path / "http" / "manifest.json").read_text())
    assert manifest["model"]["server_ids"]["sampled_ids"] == "return_token_ids" and manifest["reuse"]["used"]


def _engine_args(http, concurrency, **kw):
    return dict(
        spec=http["model"], base_url=http["base_url"], tokenizer=http["tokenizer"], concurrency=concurrency, **kw
    )


def test_concurrency_fills_vllms_batch(http):
    # What the harness controls is how many requests vLLM holds at once (its Prometheus gauge, read throughout);
    # the tokens/s that follow depend on the machine's load (benchmarks/vllm_throughput.py measures them).
    reqs = [GenRequest(PROMPT, 16, (), 0.0, 1.0, i) for i in range(8)]
    rates, running = {}, {}
    for c in (1, 8):
        engine = make_engine(**_engine_args(http, c, stream=True, server_args={"ignore_eos": True}))
        with _most_running(http["base_url"]) as seen:
            t0 = time.perf_counter()
            out = engine.generate(reqs)
            wall = time.perf_counter() - t0
        assert all(r.finish_reason == "length" and r.completion_tokens == 16 and r.ttft_s for r in out)
        rates[c], running[c] = 16 * len(reqs) / wall, max(seen)
    print(f"HTTP tokens/s against vLLM's server: concurrency 1 {rates[1]:.1f}, concurrency 8 {rates[8]:.1f}")
    assert running == {1: 1, 8: 8}, running  # one at a time, then all eight in vLLM's batch together


@contextlib.contextmanager
def _most_running(base_url: str):
    """The values of vLLM's `vllm:num_requests_running` gauge, read every 10 ms while the block runs."""
    seen, done = [0], threading.Event()

    def watch():
        with httpx.Client(base_url=base_url.removesuffix("/v1"), timeout=10) as client:
            while not done.is_set():
                text = client.get("/metrics").text
                seen.extend(float(v) for v in re.findall(r"^vllm:num_requests_running\{[^}]*\} (\S+)$", text, re.M))
                done.wait(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def test_server_thinking_budget_with_vllm_budget(http, data_dir, tmp_path):
    run(
        RunConfig(
            thinking="prefill",
            **http,
            tasks=["gsm8k"],
            strategy="vllm-budget",
            budgets=[6],
            solution_budget=10,
            limit=2,
            log_samples=True,
        ),
        tmp_path / "b",
        data_dir=data_dir,
        engine=make_engine(**_engine_args(http, 2)),
        progress=False,
        cache=None,
    )
    recs = read_records(tmp_path / "b" / "records.jsonl")
    assert len(recs) == 2 and all(r.status == "ok" for r in recs)
    assert any(r.thinking_end == "budget" for r in recs)
    assert all(r.thinking_tokens <= r.budget + 1 for r in recs if r.thinking_closed)  # vLLM 0.32: at most t + 1


def test_faults_become_failed_results_without_useless_retries(http):
    engine = make_engine(**_engine_args(http, 2))
    engine.backoff_s = 0.05
    long, ok = engine.generate([GenRequest((1,) * 2100, 4), GenRequest(PROMPT, 4)])
    assert long.finish_reason == "error" and "400" in long.error and "after 1 attempts" in long.error
    assert ok.finish_reason != "error"
    wrong = make_engine(**{**_engine_args(http, 1), "spec": "openai:no-such-model"})
    res = wrong.generate([GenRequest(PROMPT, 4)])[0]
    assert res.finish_reason == "error" and "404" in res.error and "after 1 attempts" in res.error
