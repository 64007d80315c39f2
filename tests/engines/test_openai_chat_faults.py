"""The openai-chat engine against the fault-injection server on 127.0.0.1 (errors only; real responses are
tested against llama.cpp's and vLLM's servers): it shares the completions engine's retries and refusals."""

import pytest

from harness.engines.base import ChatPrompt, GenRequest
from harness.engines.openai_chat import OpenAIChatEngine
from tests.engines.test_openai_faults import FaultServer

CHAT_OK = {
    "choices": [{"message": {"role": "assistant", "content": "four"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1},
}
REQ = GenRequest(ChatPrompt((("user", "2+2?"),)), 8, effort="low")


class ChatFaultServer(FaultServer):
    ok_body = CHAT_OK


@pytest.fixture()
def server():
    s = ChatFaultServer()
    yield s
    s.httpd.shutdown()


def engine(server):
    return OpenAIChatEngine("m", server.url, timeout_s=0.8, retries=3, backoff_s=0.01)


@pytest.mark.parametrize("fault", ["500", "429", "drop", "badjson"])
def test_a_transient_fault_is_retried_on_the_chat_endpoint(server, fault):
    server.script = [fault]
    res = engine(server).generate([REQ])[0]
    assert (res.finish_reason, res.text, res.completion_tokens, res.prompt_tokens) == ("stop", "four", 1, 9)
    assert [p for p, _, _ in server.requests] == ["/v1/chat/completions"] * 2
    body = server.requests[-1][1]
    assert body["messages"] == [{"role": "user", "content": "2+2?"}] and body["reasoning_effort"] == "low"
    assert body["max_completion_tokens"] == body["max_tokens"] == 8


def test_a_refusal_is_not_retried_and_becomes_a_failed_result(server):
    server.script = ["400"]
    res = engine(server).generate([REQ])[0]
    assert res.finish_reason == "error" and "HTTP 400" in res.error and len(server.requests) == 1
