"""The HTTP engine against llama-cpp-python's OpenAI-compatible server (llama-cpp-python[server]) on 127.0.0.1,
serving the same SmolLM2 GGUF. It refuses token-id prompts, which the engine's probe finds: continuations go on
text, and a small e1 sweep gives the embedded engine's texts, answers and token counts when it too continues on
text (llama.cpp's own server, which takes ids, is in test_llama_server.py)."""

import json

import pytest

from harness.engines import make_engine
from harness.engines.llamacpp import LlamaCppEngine, resolve_gguf
from harness.engines.local_server import local_server
from harness.records import read_records
from harness.run import RunConfig, run

pytestmark = pytest.mark.slow
GREEDY = {"repeat_penalty": 1.0, "top_k": 0, "min_p": 0.0}  # the server's defaults differ from the embedded engine's


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with local_server("llama.cpp", resolve_gguf("smollm2-135m"), ["--n_ctx", "2048"], log=log) as server:
        yield server.url


def test_http_sweep_matches_the_embedded_engine(server_url, data_dir, tmp_path):
    kw = dict(
        tasks=["gsm8k"], strategy="e1", budgets=[16, 48], solution_budget=24, limit=3, n_ctx=2048, log_samples=True
    )
    http = make_engine("openai:smol", base_url=server_url, tokenizer="smollm2-135m", server_args=GREEDY)
    run(
        RunConfig(model="openai:smol", base_url=server_url, tokenizer="smollm2-135m", server_args=GREEDY, **kw),
        tmp_path / "http",
        data_dir=data_dir,
        engine=http,
        progress=False,
    )
    # The embedded engine continues each solution from the thinking call's KV state on the sampled ids; a server
    # takes text (re-tokenized, in other batch shapes), so near-tied greedy choices can round apart. Compared here
    # with the embedded engine as a server sees it: text prompts (no ids, so no reuse either, as over HTTP),
    # each evaluated from scratch. Then the HTTP path must give exactly the same records.
    embedded = LlamaCppEngine("smollm2-135m", n_ctx=2048, continue_state=False)
    embedded.exact_ids = embedded.id_prompts = False
    run(RunConfig(**kw), tmp_path / "embedded", data_dir=data_dir, engine=embedded, progress=False)
    a = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "http" / "records.jsonl")}
    b = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "embedded" / "records.jsonl")}
    assert sorted(a) == sorted(b) and len(a) == 6
    for key in a:
        x, y = a[key], b[key]
        assert (x.thinking, x.answer, x.correct, x.thinking_tokens, x.solution_tokens) == (
            y.thinking,
            y.answer,
            y.correct,
            y.thinking_tokens,
            y.solution_tokens,
        ), key
        assert x.status == "ok" and x.calls[0].prompt == y.calls[0].prompt
        assert x.continued_on == y.continued_on == "text", key
    probe = json.loads((tmp_path / "http" / "manifest.json").read_text())["model"]["server_ids"]
    assert probe["token_id_prompts"] is False and probe["probe"].startswith("refuses token-id prompts"), probe
