"""The probe of what a server does with token ids, against servers on 127.0.0.1 that answer as each kind does: vLLM
(takes ids, returns `token_ids` when asked with `return_token_ids`), llama.cpp's llama-server (takes ids, returns
each sampled id in its logprobs entries), one that takes ids but returns text only, and llama-cpp-python's server
(refuses a list prompt: HTTP 500 there, 422 here). The real servers: test_vllm_server.py, test_llama_server.py."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from harness.engines.server_ids import probe

KINDS = {
    "vllm": lambda body: {"token_ids": [7, 8]} if body.get("return_token_ids") else {},
    "llama-server": lambda body: {"logprobs": {"content": [{"id": 7}, {"id": 8}]}} if body.get("logprobs") else {},
    "text only": lambda body: {},
}


@pytest.fixture()
def server_of():
    servers = []

    def start(kind):
        seen = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                seen.append(body)
                refused = kind == "refuses ids" and isinstance(body["prompt"], list)
                choice = {"text": "hi", "finish_reason": "length", **({} if refused else KINDS[kind](body))}
                data = (
                    b'{"detail": "prompt: Input should be a valid string"}'
                    if refused
                    else json.dumps({"choices": [choice], "usage": {"completion_tokens": 2}}).encode()
                )
                self.send_response(422 if refused else 200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen

    yield start
    for s in servers:
        s.shutdown()


@pytest.mark.parametrize(
    "kind, prompts, returned, requests",
    [
        ("vllm", True, "return_token_ids", 1),
        ("llama-server", True, "logprobs", 2),
        ("text only", True, None, 3),
        ("refuses ids", False, None, 3),
    ],
)
def test_the_probe_learns_what_each_kind_of_server_does(server_of, kind, prompts, returned, requests):
    url, seen = server_of(kind)
    with httpx.Client(base_url=url) as client:
        ids = probe(client, "m", [1, 2, 3], {"repeat_penalty": 1.0})
    assert (ids.prompts, ids.returned, len(seen)) == (prompts, returned, requests), ids.note
    assert all(b["prompt"] == [1, 2, 3] and b["max_tokens"] == 2 and b["repeat_penalty"] == 1.0 for b in seen)
    assert ids.manifest()["sampled_ids"] == (returned or "re-tokenized text")


def test_a_server_that_cannot_be_reached_is_continued_on_text():
    with httpx.Client(base_url="http://127.0.0.1:9/v1", timeout=2) as client:
        ids = probe(client, "m", [1], {})
    assert not ids.prompts and ids.returned is None and "probe failed" in ids.note
