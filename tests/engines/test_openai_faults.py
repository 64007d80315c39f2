"""The HTTP engine against a fault-injection server on 127.0.0.1: retries, timeouts, dropped connections,
malformed JSON, refusals, the circuit breaker, concurrency, streaming, and failures becoming records."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.engines.base import GenRequest
from harness.engines.openai_http import OpenAIEngine, ServerUnavailableError
from harness.records import read_records
from harness.run import RunConfig, run

OK_BODY = {
    "choices": [{"text": "four", "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1},
}


class FaultServer:
    """Each request takes the next behaviour from `script` (then 'ok'): ok, 500, 429, 400, stall, drop, badjson,
    stream, hang; a dict is sent as the reply body, a callable writes the reply itself (given the handler).
    The engine's probe of what the server does with token ids (a 2-token id prompt) is refused with 422, as
    llama-cpp-python's server refuses id prompts (with a 500), without taking a behaviour: it is kept in `probes`."""

    ok_body = OK_BODY  # the reply to an "ok" request

    def __init__(self):
        self.script, self.requests, self.in_flight, self.max_in_flight = [], [], 0, 0
        self.probes = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if isinstance(body.get("prompt"), list) and body.get("max_tokens") == 2:
                    outer.probes.append(body)
                    return _send(self, b'{"detail": "prompt: Input should be a valid string"}', 422)
                with outer.lock:
                    outer.requests.append((self.path, body, self.headers.get("Authorization")))
                    what = outer.script.pop(0) if outer.script else "ok"
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    outer.respond(self, what, body)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def respond(self, h, what, body):
        if what == "hang":  # accepts the request and never answers
            time.sleep(60)
            return
        if isinstance(what, dict):  # a reply body of the test's own (a liar or a garbage server)
            return _send(h, json.dumps(what).encode())
        if callable(what):  # a behaviour of the test's own (a trickle, an endless stream)
            try:
                return what(h)
            except OSError:  # the client gave up and closed the connection
                return
        if what == "stall":
            time.sleep(1.5)
            what = "ok"
        if what == "slow":
            time.sleep(0.3)
            what = "ok"
        if what in ("500", "429", "400"):
            h.send_response(int(what))
            h.end_headers()
            h.wfile.write(b"nope")
            return
        if what == "drop":
            h.send_response(200)
            h.send_header("Content-Length", "500")
            h.end_headers()
            h.wfile.write(b'{"choices": [')
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if what == "stream":
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.end_headers()
            for part, finish in (("fo", None), ("ur", "stop")):
                chunk = {"choices": [{"text": part, "finish_reason": finish}]}
                h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                h.wfile.flush()
            h.wfile.write(b"data: [DONE]\n\n")
            return
        _send(h, b"{not json" if what == "badjson" else json.dumps(self.ok_body).encode())


def _send(h, data: bytes, status: int = 200) -> None:
    h.send_response(status)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


@pytest.fixture()
def server():
    s = FaultServer()
    yield s
    s.httpd.shutdown()


@pytest.fixture(scope="module")
def tokenizer():
    from harness.engines.llamacpp import LlamaCppEngine

    return LlamaCppEngine("smollm2-135m", n_ctx=512, vocab_only=True)


@pytest.fixture()
def engine_for(tokenizer):
    return lambda server, **kw: OpenAIEngine(
        "m", server.url, tokenizer=tokenizer, **{"timeout_s": 0.8, "retries": 3, "backoff_s": 0.01, **kw}
    )


REQ = GenRequest("2+2=", 8, (), 0.0, 1.0, 0)


@pytest.mark.parametrize("fault", ["500", "429", "stall", "drop", "badjson"])
def test_a_transient_fault_is_retried(engine_for, server, fault):
    server.script = [fault]
    res = engine_for(server).generate([REQ])[0]
    assert res.finish_reason == "stop" and res.text == "four" and res.completion_tokens == 1
    assert len(server.requests) == 2 and res.counted_by == "server usage"


def test_persistent_faults_become_a_failed_result_with_the_reason(engine_for, server):
    server.script = ["badjson"] * 4
    res = engine_for(server).generate([REQ])[0]
    assert res.finish_reason == "error" and "malformed response" in res.error and "after 4 attempts" in res.error


def test_a_client_error_is_not_retried(engine_for, server):
    server.script = ["400"]
    res = engine_for(server).generate([REQ])[0]
    assert res.finish_reason == "error" and "HTTP 400" in res.error and len(server.requests) == 1


def test_the_circuit_breaker_stops_the_run(engine_for, server):
    server.script = ["500"] * 20
    engine = engine_for(server, retries=0, breaker=2)
    assert engine.generate([REQ])[0].finish_reason == "error"
    with pytest.raises(ServerUnavailableError, match="2 requests in a row .* failed .*rerun the same command"):
        engine.generate([REQ])


@pytest.mark.parametrize("concurrency", [1, 4])
def test_concurrency_bounds_requests_in_flight(engine_for, server, concurrency):
    server.script = ["slow"] * 8
    engine_for(server, concurrency=concurrency, timeout_s=5).generate([REQ] * 8)
    assert server.max_in_flight == concurrency


def test_streaming_assembles_text_and_times_the_first_token(engine_for, server):
    server.script = ["stream"]
    res = engine_for(server, stream=True).generate([REQ])[0]
    assert res.text == "four" and res.ttft_s is not None and res.ttft_s <= res.wall_s
    assert server.requests[0][1]["stream"] is True


def test_request_body_and_key(engine_for, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    engine_for(server, extra_body={"repeat_penalty": 1.0}).generate(
        [GenRequest((1, 2, 3), 4, ("</think>",), 0.7, 0.9, 5)]
    )
    path, body, auth = server.requests[0]
    assert path == "/v1/completions" and auth == "Bearer sk-test-secret"
    assert body == {
        "model": "m",
        "prompt": [1, 2, 3],
        "max_tokens": 4,
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 5,
        "repeat_penalty": 1.0,
        "stop": ["</think>"],
    }


def test_sampling_settings_go_out_in_each_servers_terms(engine_for, server):
    engine_for(server).generate([GenRequest("p", 4, (), 0.6, 0.95, 0, None, 20, 0.0, 1.1, 0.5)])
    body = server.requests[0][1]
    assert (body["top_k"], body["repetition_penalty"], body["repeat_penalty"], body["presence_penalty"]) == (
        20,
        1.1,
        1.1,
        0.5,
    )
    assert "min_p" not in body  # neutral settings are not sent


def test_failed_calls_are_failed_records_and_a_rerun_resumes(engine_for, server, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-written")
    cfg = RunConfig(model="openai:m", base_url=server.url, tasks=["gsm8k"], budgets=[8], limit=2, solution_budget=4)
    server.script = ["500"] * 4  # the first sample's thinking call fails on every attempt
    engine = engine_for(server, concurrency=1)  # samples in order
    run(cfg, tmp_path / "r", data_dir=data_dir, engine=engine, progress=False)
    records = {r.sample_id: r for r in read_records(tmp_path / "r" / "records.jsonl")}
    assert records["0"].status == "failed" and "HTTP 500" in records["0"].error and records["0"].correct is None
    assert records["1"].status == "ok"
    manifest = (tmp_path / "r" / "manifest.json").read_text()
    assert "sk-never-written" not in manifest
    assert json.loads(manifest)["reuse"]["why_not"].startswith("the openai engine returns text")
    ids = json.loads(manifest)["model"]["server_ids"]  # one probe, refused: continuations go on text
    assert ids["token_id_prompts"] is False and "HTTP 422" in ids["probe"] and len(server.probes) == 3
    run(cfg, tmp_path / "r", data_dir=data_dir, engine=engine, progress=False)  # the server is healthy now
    after = read_records(tmp_path / "r" / "records.jsonl")
    assert sorted((r.sample_id, r.status) for r in after) == [("0", "ok"), ("1", "ok")]  # retried, each key once


def test_the_runner_keeps_concurrency_requests_in_flight(engine_for, server, tmp_path, data_dir):
    server.script = ["slow"] * 40
    cfg = RunConfig(model="openai:m", base_url=server.url, tasks=["gsm8k"], strategy="plain", budgets=[8], limit=8)
    run(cfg, tmp_path / "r", data_dir=data_dir, engine=engine_for(server, timeout_s=5), progress=False, concurrency=4)
    assert server.max_in_flight == 4 and len(read_records(tmp_path / "r" / "records.jsonl")) == 8
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["parallel_samples"] == 4


def test_a_hugging_face_tokenizer_gives_template_and_counts(server, tmp_path):
    """--tokenizer hf:FOLDER through transformers.AutoTokenizer, with a word-level tokenizer built here offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from harness.engines import make_engine

    vocab = {"[UNK]": 0, "<s>": 1, "</s>": 2, "four": 3, "2+2=": 4}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="[UNK]")
    fast.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    fast.save_pretrained(tmp_path / "tok")
    server.script = ["ok"]
    engine = make_engine("openai:m", base_url=server.url, tokenizer=f"hf:{tmp_path / 'tok'}")
    assert engine.info.chat_template.startswith("{% for m") and engine.info.eos_token == "</s>"
    res = engine.generate([REQ])[0]
    assert res.token_ids == (3,) and engine.count_tokens("2+2= four") == 2
