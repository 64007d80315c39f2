"""The exact calls each strategy makes, checked with a scripted engine."""
import pytest

from harness.prompts import PromptSettings, prompt_builder
from harness.strategies import STRATEGIES, EngineFailed, StrategyConfig
from harness.errors import UnknownNameError
from tests.scripted import ScriptedEngine


def _run(name, replies, **cfg):
    engine = ScriptedEngine(replies)
    build = prompt_builder(engine.info, PromptSettings(), "What is 1+1?")
    trace = STRATEGIES.get(name)(engine, build, StrategyConfig(**cfg))
    return engine, build(""), trace


def test_prompt_uses_chat_template_and_opens_thinking():
    engine = ScriptedEngine([])
    text = prompt_builder(engine.info, PromptSettings(), "Q?")("")
    assert text.startswith("<|im_start|>user\nQ?\nPlease reason step by step")
    assert text.endswith("<|im_start|>assistant\n<think>\n")


def test_e1_cut_thinking_gets_only_the_end_marker():
    engine, prompt, trace = _run("e1", [("a b c d", "length", None), ("so \\boxed{2}", "stop", None)],
                                 budget=4, solution_budget=16)
    first, second = engine.requests
    assert first.prompt == prompt and first.max_tokens == 4 and first.stop == ("</think>",)
    assert second.prompt == prompt + "a b c d" + "</think>"
    assert second.max_tokens == 16 and second.stop == ()
    assert trace.thinking_end == "budget" and trace.forced_text == "</think>"
    assert trace.answer == "so \\boxed{2}"


def test_e1_natural_end_appends_nothing_extra():
    engine, prompt, trace = _run("e1", [("a b", "stop", "</think>"), ("\\boxed{2}", "stop", None)], budget=8)
    assert engine.requests[1].prompt == prompt + "a b</think>"  # the model's own marker, nothing added
    assert trace.thinking_end == "natural" and trace.forced_text == ""


def test_plain_single_call_and_unclosed_thinking():
    engine, prompt, trace = _run("plain", [("a b c", "length", None)], budget=3)
    assert len(engine.requests) == 1 and engine.requests[0].max_tokens == 3
    assert not trace.thinking_closed and trace.answer == "" and trace.thinking_end == "budget"
    _, _, trace = _run("plain", [("a</think> \\boxed{2}", "stop", None)], budget=8)
    assert trace.thinking == "a" and trace.answer == " \\boxed{2}" and trace.thinking_closed


def test_s1_forces_final_answer_at_budget():
    engine, prompt, trace = _run("s1", [("a b c", "length", None), ("2", "stop", None)], budget=3, solution_budget=5)
    assert engine.requests[1].prompt == prompt + "a b c</think>\nFinal Answer:"
    assert trace.forced_text == "</think>\nFinal Answer:"


def test_s1_wait_replaces_early_end_until_budget():
    replies = [("a", "stop", "</think>"), ("b", "stop", "</think>"), ("c", "stop", "</think>"), ("2", "stop", None)]
    engine, prompt, trace = _run("s1", replies, budget=50, wait=2)
    prompts = [r.prompt for r in engine.requests]
    assert prompts[1] == prompt + "aWait" and prompts[2] == prompt + "aWaitbWait"
    assert prompts[3] == prompt + "aWaitbWaitc</think>"  # waits used up: ends naturally
    assert [r.max_tokens for r in engine.requests[:3]] == [50, 49, 48]
    assert trace.thinking == "aWaitbWaitc"


def test_l1_adds_budget_to_question():
    engine, prompt, trace = _run("l1", [("a</think>\\boxed{2}", "stop", None)], budget=64, solution_budget=32)
    req = engine.requests[0]
    assert "What is 1+1?\nPlease reason step by step, and put your final answer within \\boxed{}.\n\nThink for 64 tokens." in req.prompt
    assert req.max_tokens == 96


def test_engine_failure_raises_for_a_failed_record():
    with pytest.raises(EngineFailed, match="boom"):
        _run("e1", [("", "error", None)], budget=4)


def test_unknown_strategy_suggests_close_name():
    with pytest.raises(UnknownNameError, match="did you mean e1"):
        STRATEGIES.get("e2")
