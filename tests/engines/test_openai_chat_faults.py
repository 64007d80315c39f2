"""The openai-chat engine against the fault-injection server on 127.0.0.1 (errors only; real responses are
tested against llama.cpp's and vLLM's servers): it shares the completions engine's retries and refusals."""

import dataclasses

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


@pytest.fixture(scope="module")
def tokenizer():
    from harness.engines.llamacpp import LlamaCppEngine

    return LlamaCppEngine("smollm2-135m", n_ctx=512, vocab_only=True)


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


def _reply(content: str, usage: dict | None, finish: str | None = "stop") -> dict:
    choice = {"message": {"role": "assistant", "content": content}, **({"finish_reason": finish} if finish else {})}
    return {"choices": [choice], **({"usage": usage} if usage is not None else {})}


@pytest.mark.parametrize(
    "reply, max_tokens, says",
    [
        (_reply("four " * 160, None, "length"), 8, "(by the local tokenizer) for max_tokens 8: it ignored the budget"),
        (_reply("four", {"completion_tokens": 12}), 8, "12 completion tokens for max_tokens 8: it ignored the budget"),
        (_reply("four " * 160, {"completion_tokens": 1}), 512, "usage says 1 completion tokens where the local"),
        (_reply("four", {"completion_tokens": 1, "total_tokens": -7}), 8, "usage.total_tokens = -7"),
        (_reply("four", {"completion_tokens_details": {"reasoning_tokens": -2}}), 8, "reasoning_tokens = -2"),
    ],
)
def test_a_reply_over_the_budget_or_with_impossible_usage_is_refused(server, tokenizer, reply, max_tokens, says):
    server.script = [reply]
    req = dataclasses.replace(REQ, max_tokens=max_tokens)
    res = OpenAIChatEngine("m", server.url, tokenizer=tokenizer, retries=1, backoff_s=0.01).generate([req])[0]
    assert res.finish_reason == "error" and says in res.error and len(server.requests) == 1


def test_hidden_reasoning_counts_beside_the_visible_answer(server, tokenizer):
    usage = {"completion_tokens": 7, "completion_tokens_details": {"reasoning_tokens": 6}}
    server.script = [_reply("four", usage)]
    res = OpenAIChatEngine("m", server.url, tokenizer=tokenizer).generate([REQ])[0]
    assert (res.reasoning_source, res.completion_tokens, res.local_tokens, res.reasoning_tokens) == ("hidden", 7, 1, 6)


def test_a_chat_reply_without_a_finish_reason_is_a_malformed_response(server):
    server.script = [_reply("four", None, finish=None)] * 2
    res = OpenAIChatEngine("m", server.url, retries=1, backoff_s=0.01).generate([REQ])[0]
    assert res.finish_reason == "error" and "no finish_reason" in res.error and len(server.requests) == 2


def test_request_timeout_reaches_the_chat_engine():
    from harness.run import RunConfig
    from harness.run.plan import engine_loader

    cfg = RunConfig(tasks=["gsm8k"], budgets=[4], model="openai-chat:m", base_url="http://127.0.0.1:9/v1")
    engine = engine_loader(cfg.engine.model, cfg, 2, request_timeout=7)()
    assert isinstance(engine, OpenAIChatEngine) and engine.timeout_s == 7
