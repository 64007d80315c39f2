"""The HTTP engine against llama.cpp's own server (`llama-server`, built from the llama.cpp source that
llama-cpp-python vendors, so the same kernels) serving the embedded engine's SmolLM2 GGUF. The server takes token-id
prompts and gives back the ids it sampled (logprobs entries), which the engine learns with one probe: so e1's solution
calls continue the thinking on token ids, budget reuse holds over HTTP, and an e1 sweep gives the embedded engine's
records, record for record.

llama.cpp's CPU kernels round differently by batch shape (11 tokens evaluated as one batch or one at a time: logits
up to 0.46 apart, measured), so equal records need equal evaluation schedules: the server's prompt cache (one slot,
requests in order: the longest common prefix with the last request is kept, the rest evaluated as one batch) is the
embedded engine's `prefix_cache` mode. The embedded default (state continuation: every continued token evaluated
alone, which makes budget reuse exact in any order) rounds apart from any server that evaluates prompts in batches."""

import json
import os
import subprocess
import sys
import time

import pytest

from harness.engines import make_engine
from harness.engines.base import GenRequest
from harness.engines.llamacpp import LlamaCppEngine
from harness.records import read_records
from harness.run import RunConfig, run
from tests.conftest import ROOT

pytestmark = [pytest.mark.llama_server, pytest.mark.slow]
GREEDY = {"top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0}  # the server's sampling defaults differ from the embedded
E1 = dict(tasks=["gsm8k"], strategy="e1", budgets=[16, 48], solution_budget=24, limit=3, n_ctx=2048, log_samples=True)


def _http(url):
    return dict(model="openai:smol", base_url=url, tokenizer="smollm2-135m", server_args=GREEDY)


def _engine(url, **kw):
    return make_engine("openai:smol", base_url=url, tokenizer="smollm2-135m", server_args=GREEDY, **kw)


def test_the_probe_finds_id_prompts_and_sampled_ids(llama_server_url):
    engine = _engine(llama_server_url)
    assert engine.server_ids.manifest()["token_id_prompts"] is True
    assert engine.exact_ids and engine.server_ids.returned == "logprobs"
    prompt = "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n"
    by_text, by_ids = engine.generate(
        [GenRequest(prompt, 12, ("\n",)), GenRequest(tuple(engine.prompt_ids(prompt)), 12, ("\n",))]
    )
    local = LlamaCppEngine("smollm2-135m", n_ctx=2048).generate([GenRequest(prompt, 12, ("\n",))])[0]
    for res in (by_text, by_ids):  # the sampled ids, the stop string's ids split off as the embedded engine does
        assert (res.text, res.token_ids, res.stop_string) == (local.text, local.token_ids, local.stop_string)


def test_e1_sweep_over_llama_server_equals_the_embedded_engine(llama_server_url, data_dir, tmp_path):
    # one request at a time: the server's one slot then holds each sample's thinking state for its solution calls
    http = _engine(llama_server_url, concurrency=1)
    run(RunConfig(**_http(llama_server_url), **E1), tmp_path / "http", data_dir=data_dir, engine=http, progress=False)
    embedded = LlamaCppEngine("smollm2-135m", n_ctx=2048, prefix_cache=True)
    run(RunConfig(**E1, prefix_cache=True), tmp_path / "embedded", data_dir=data_dir, engine=embedded, progress=False)
    a = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "http" / "records.jsonl")}
    b = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "embedded" / "records.jsonl")}
    assert sorted(a) == sorted(b) and len(a) == 6
    for key in a:
        x, y = a[key], b[key]
        assert x.status == "ok" and x.continued_on == y.continued_on == "tokens", key
        assert (x.thinking, x.answer, x.thinking_end, x.correct, x.thinking_tokens, x.solution_tokens) == (
            y.thinking,
            y.answer,
            y.thinking_end,
            y.correct,
            y.thinking_tokens,
            y.solution_tokens,
        ), key
        assert [c.prompt_ids for c in x.calls[1:]] == [c.prompt_ids for c in y.calls[1:]], key
    manifest = json.loads((tmp_path / "http" / "manifest.json").read_text())
    assert manifest["model"]["server_ids"]["sampled_ids"] == "logprobs" and manifest["reuse"]["used"] is True


def test_a_killed_harness_leaves_no_server_behind(tmp_path):
    # SIGKILL runs no cleanup: the server must still go (setpriv --pdeathsig), not hold its port and cores
    code = (
        "import sys, time\n"
        "from harness.engines.llamacpp import resolve_gguf\n"
        "from harness.engines.local_server import local_server\n"
        "with local_server('llama-server', resolve_gguf('smollm2-135m'), ['--ctx-size', '512'], timeout_s=120) as s:\n"
        "    print(s.pid, flush=True)\n"
        "    time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    pid = int(holder.stdout.readline())
    os.kill(pid, 0)  # the server runs
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    assert not _alive(pid), f"llama-server {pid} outlived the process that started it"


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it (its parent, the killed holder, cannot)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False
