"""e1 over a chat engine: what the thinking call's response is taken to be for each way a server returns thinking,
and the assistant message the solution call asks the server to continue. A scripted chat engine replies with
GenResults as the openai-chat engine parses them (its parsing and the real server run are tested in
tests/engines/test_openai_chat_vllm.py)."""

import pytest

from harness.engines.base import ChatPrompt, GenResult, ModelInfo
from harness.engines.openai_chat import OpenAIChatEngine
from harness.errors import BadArgumentError
from harness.prompts import PromptSettings, chat_builder
from harness.strategies import STRATEGIES, Context, StrategyConfig
from harness.thinking import ThinkingFormat
from tests.scripted import ScriptedEngine


class ChatScripted(ScriptedEngine):
    chat, exact_ids = True, False
    continue_via = "continue_final_message"

    def __init__(self, results: list[GenResult]):
        super().__init__([])
        self.results = list(results)

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("chat", None, None, None)

    def generate(self, requests):
        self.requests += requests
        return [self.results.pop(0) for _ in requests]


def reply(text, finish="stop", stop=None, reasoning=None, source="none", tokens=5):
    return GenResult(text, (), 7, finish, stop, 0.1, None, reported_tokens=tokens, reasoning=reasoning,
                     reasoning_source=source)  # fmt: skip


def run(results, mode="model", budget=8):
    engine = ChatScripted(results)
    build = chat_builder(PromptSettings(), "What is 1+1?")
    cfg = StrategyConfig(budget=budget, solution_budget=16, fmt=ThinkingFormat(mode))
    trace = STRATEGIES.get("e1")(Context({"model": engine}, build, cfg))
    return engine, build(""), trace


def test_parser_split_thinking_cut_at_the_budget_is_sent_back_closed_to_be_continued():
    engine, prompt, trace = run([reply("", "length", None, "a b c", "reasoning_content"), reply("so 2")])
    first, second = engine.requests
    assert first.prompt == prompt and first.stop == ("</think>",) and first.max_tokens == 8
    # the model wrote the opener (mode model); the parser took it off: the message gives it back
    assert second.prompt == prompt.continued("<think>a b c</think>") and second.max_tokens == 16
    assert (trace.thinking, trace.answer, trace.thinking_end, trace.forced_text) == (
        "a b c",
        "so 2",
        "budget",
        "</think>",
    )
    assert trace.thinking_source == "reasoning_content" and trace.continued_on == "chat message"
    assert trace.part_tokens(len) == (5, 5)  # the server's counts of each call


def test_template_opened_thinking_returned_as_content_is_thinking_up_to_the_end_marker():
    engine, prompt, trace = run([reply("a b", "stop", "</think>"), reply("2")], mode="template")
    assert engine.requests[1].prompt == prompt.continued("<think>\na b</think>")
    assert (trace.thinking, trace.answer, trace.thinking_end, trace.forced_text) == ("a b", "2", "natural", "")
    assert trace.thinking_source == "content"


def test_thinking_the_server_closed_with_the_answer_in_the_same_call_needs_no_solution_call():
    engine, _, trace = run([reply("so 2", reasoning="a b", source="reasoning_content")])
    assert len(engine.requests) == 1 and (trace.thinking, trace.answer, trace.thinking_end) == (
        "a b",
        "so 2",
        "natural",
    )


def test_a_model_that_does_not_think_is_answered_whole_or_cued_after_a_cut():
    engine, _, trace = run([reply("it is 2")])
    assert len(engine.requests) == 1 and (trace.answer, trace.thinking_end) == ("it is 2", "none")
    engine, prompt, trace = run([reply("one plus one", "length"), reply(" 2")])
    assert engine.requests[1].prompt == prompt.continued("one plus one\nFinal Answer:")
    assert trace.answer == "\nFinal Answer: 2" and trace.thinking_end == "budget" and trace.hit_budget


def test_an_answer_the_server_put_in_reasoning_is_still_the_answer():
    # a parser that does not see the closed thinking in the prompt calls the continuation reasoning
    _, _, trace = run([reply("", "length", None, "a", "reasoning"), reply("", reasoning="so 2", source="reasoning")])
    assert trace.answer == "so 2"


def test_hidden_thinking_cut_at_the_budget_cannot_be_continued_and_makes_a_failed_record():
    engine, _, trace = run([reply("", "length", source="hidden")])
    assert len(engine.requests) == 1 and "hides the thinking" in trace.error
    engine, _, trace = run([reply("so 2", source="hidden")])  # it ended within t: the answer stands
    assert (
        len(engine.requests) == 1 and trace.error is None and (trace.answer, trace.thinking_end) == ("so 2", "natural")
    )


def test_the_request_body_asks_vllm_or_deepseek_to_continue_and_refuses_otherwise():
    prompt = ChatPrompt((("user", "Q"),)).continued("<think>a</think>")
    req = StrategyConfig(budget=8).request(prompt, 16)
    vllm = OpenAIChatEngine("m", "http://127.0.0.1:9/v1", continue_via="continue_final_message").body(req)
    assert vllm["continue_final_message"] is True and vllm["add_generation_prompt"] is False
    assert vllm["messages"][-1] == {"role": "assistant", "content": "<think>a</think>"}
    deepseek = OpenAIChatEngine("m", "http://127.0.0.1:9/v1", continue_via="prefix").body(req)
    assert deepseek["messages"][-1]["prefix"] is True and "continue_final_message" not in deepseek
    with pytest.raises(BadArgumentError, match="--continue-via"):
        OpenAIChatEngine("m", "http://127.0.0.1:9/v1").body(req)
    with pytest.raises(BadArgumentError, match="--continue-via 'yes' is not known"):
        OpenAIChatEngine("m", "http://127.0.0.1:9/v1", continue_via="yes")
