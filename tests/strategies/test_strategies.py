"""The exact calls each strategy makes, checked with a scripted engine."""

import pytest

from harness.prompts import PromptSettings, prompt_builder
from harness.thinking import ThinkingFormat
from harness.strategies import STRATEGIES, Context, EngineFailed, StrategyConfig
from harness.errors import UnknownNameError
from tests.scripted import ScriptedEngine

PREFILL = ThinkingFormat("prefill")  # the opener appended by the harness, as these scripted models expect


def _run(name, replies, **cfg):
    engine = ScriptedEngine(replies)
    build = prompt_builder(engine.info, PromptSettings(), PREFILL, "What is 1+1?")
    trace = STRATEGIES.get(name)(Context({"model": engine}, build, StrategyConfig(**cfg)))
    return engine, build(""), trace


def test_prompt_uses_chat_template_and_opens_thinking():
    engine = ScriptedEngine([])
    text = prompt_builder(engine.info, PromptSettings(), PREFILL, "Q?")("")
    assert text.startswith("<|im_start|>user\nQ?\nPlease reason step by step")
    assert text.endswith("<|im_start|>assistant\n<think>\n")


def test_e1_cut_thinking_gets_only_the_end_marker():
    engine, prompt, trace = _run(
        "e1", [("a b c d", "length", None), ("so \\boxed{2}", "stop", None)], budget=4, solution_budget=16
    )
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
    assert (
        "What is 1+1?\nPlease reason step by step, and put your final answer within \\boxed{}.\n\nThink for 64 tokens."
        in req.prompt
    )
    assert req.max_tokens == 96


def test_engine_failure_raises_for_a_failed_record():
    with pytest.raises(EngineFailed, match="boom"):
        _run("e1", [("", "error", None)], budget=4)


def test_unknown_strategy_suggests_close_name():
    with pytest.raises(UnknownNameError, match="did you mean e1"):
        STRATEGIES.get("e2")


NONE = ThinkingFormat("none")
TEMPLATE = ThinkingFormat("template", close_token=None)


def _run_fmt(name, replies, fmt, **cfg):
    engine = ScriptedEngine(replies)
    build = prompt_builder(engine.info, PromptSettings(), fmt, "What is 1+1?")
    trace = STRATEGIES.get(name)(Context({"model": engine}, build, StrategyConfig(fmt=fmt, **cfg)))
    return engine, build(""), trace


def test_instruct_plain_grades_a_finished_response_whole():
    engine, prompt, trace = _run_fmt("plain", [("so \\boxed{2}", "stop", None)], NONE, budget=8)
    assert prompt.endswith("<|im_start|>assistant\n") and engine.requests[0].stop == ()
    assert (trace.thinking, trace.answer, trace.thinking_closed, trace.thinking_end) == (
        "",
        "so \\boxed{2}",
        True,
        "none",
    )
    assert not trace.hit_budget


def test_instruct_plain_cut_at_the_budget_is_graded_as_it_stands():
    _, _, trace = _run_fmt("plain", [("a b c", "length", None)], NONE, budget=3)
    assert trace.answer == "a b c" and trace.thinking_closed and trace.hit_budget


def test_instruct_e1_natural_end_is_the_answer_and_makes_no_second_call():
    engine, _, trace = _run_fmt("e1", [("so \\boxed{2}", "stop", None)], NONE, budget=8)
    assert len(engine.requests) == 1 and engine.requests[0].stop == ()
    assert trace.answer == "so \\boxed{2}" and trace.thinking_end == "none" and trace.continued_on is None


def test_instruct_e1_cut_at_t_forces_the_answer_within_s():
    engine, prompt, trace = _run_fmt(
        "e1", [("a b c d", "length", None), ("2", "stop", None)], NONE, budget=4, solution_budget=5
    )
    assert engine.requests[1].prompt == prompt + "a b c d" + "\nFinal Answer:" and engine.requests[1].max_tokens == 5
    assert (trace.thinking, trace.answer, trace.forced_text, trace.hit_budget) == (
        "a b c d",
        "\nFinal Answer:2",  # the cue belongs to the answer the grader reads
        "\nFinal Answer:",
        True,
    )


def test_instruct_s1_acts_as_e1():
    engine, prompt, trace = _run_fmt("s1", [("a b c", "length", None), ("2", "stop", None)], NONE, budget=3)
    assert engine.requests[1].prompt == prompt + "a b c\nFinal Answer:" and trace.answer == "\nFinal Answer:2"


def test_template_opened_thinking_adds_no_opener():
    engine, prompt, trace = _run_fmt(
        "e1", [("a b", "stop", "</think>"), ("\\boxed{2}", "stop", None)], TEMPLATE, budget=8
    )
    assert "<think>" not in prompt and engine.requests[1].prompt == prompt + "a b</think>"
    assert trace.continued_on == "text"


def test_model_written_opener_stays_in_the_continuation_but_not_in_the_thinking():
    fmt = ThinkingFormat("model")
    engine, prompt, trace = _run_fmt(
        "e1", [("<think> a b", "length", None), ("\\boxed{2}", "stop", None)], fmt, budget=3
    )
    assert engine.requests[1].prompt == prompt + "<think> a b</think>"
    assert trace.thinking == " a b" and trace.forced_text == "</think>"


def test_e1_continues_on_token_ids_when_the_end_marker_is_one_token():
    """As Elastic Reasoning's code: prompt ids + sampled thinking ids + the end marker's id."""
    engine = ScriptedEngine([("a b c", "length", None), ("\\boxed{2}", "stop", None)], token_prompts=True)
    close_id = engine.tokenize("</think>")[0]
    fmt = ThinkingFormat("template", close_token=close_id)
    build = prompt_builder(engine.info, PromptSettings(), fmt, "Q?")
    trace = STRATEGIES.get("e1")(Context({"model": engine}, build, StrategyConfig(budget=3, fmt=fmt)))
    second = engine.requests[1].prompt
    assert isinstance(second, tuple) and trace.continued_on == "tokens"
    assert second == tuple(engine.tokenize(build(""))) + tuple(engine.tokenize("a b c")) + (close_id,)
    assert trace.forced_text == "</think>" and trace.answer == "\\boxed{2}"


def test_sampling_settings_reach_every_request():
    engine, _, _ = _run_fmt(
        "e1",
        [("a", "length", None), ("b", "stop", None)],
        NONE,
        budget=1,
        top_k=20,
        min_p=0.05,
        repetition_penalty=1.1,
        presence_penalty=0.5,
    )
    for req in engine.requests:
        assert (req.top_k, req.min_p, req.repetition_penalty, req.presence_penalty) == (20, 0.05, 1.1, 0.5)
        assert req.extra_sampling() == {"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.1, "presence_penalty": 0.5}


def test_e1_continues_the_sampled_ids_when_the_marker_is_not_one_token():
    """The solution continues the state the thinking call left: the sampled ids, then the marker's ids (not the
    thinking re-tokenized, which a model's non-canonical splits would change)."""
    engine = ScriptedEngine([("a b", "length", None), ("c", "stop", None)], token_prompts=True)
    fmt = ThinkingFormat("template", close="</think> now", close_token=None)
    build = prompt_builder(engine.info, PromptSettings(), fmt, "Q?")
    trace = STRATEGIES.get("e1")(Context({"model": engine}, build, StrategyConfig(budget=2, fmt=fmt)))
    sampled = engine.tokenize("a b")
    expected = tuple(engine.prompt_ids(build(""))) + tuple(sampled) + tuple(engine.tokenize("</think> now"))
    assert engine.requests[1].prompt == expected and trace.continued_on == "tokens"


def test_e1_continues_on_text_where_the_engine_cannot_feed_ids():
    """Then every engine, HTTP ones included, continues the same text."""
    engine = ScriptedEngine([("a b", "length", None), ("c", "stop", None)])
    fmt = ThinkingFormat("template", close="</think> now", close_token=None)
    build = prompt_builder(engine.info, PromptSettings(), fmt, "Q?")
    trace = STRATEGIES.get("e1")(Context({"model": engine}, build, StrategyConfig(budget=2, fmt=fmt)))
    assert engine.requests[1].prompt == build("") + "a b</think> now" and trace.continued_on == "text"


def test_s1_continues_every_call_on_token_ids_waits_included():
    """s1's later calls continue the ones before as e1's do: the prompt's ids, each thinking call's sampled ids, then
    "Wait" (after an early end) or the forced ending, never the text re-tokenized."""
    engine = ScriptedEngine(
        [("a b", "stop", "</think>"), ("c d", "length", None), ("\\boxed{2}", "stop", None)], token_prompts=True
    )
    build = prompt_builder(engine.info, PromptSettings(), TEMPLATE, "Q?")
    cfg = StrategyConfig(budget=4, fmt=TEMPLATE, wait=1)
    trace = STRATEGIES.get("s1")(Context({"model": engine}, build, cfg))
    ids = tuple(engine.prompt_ids(build("")))
    wait = ids + tuple(engine.tokenize("a b")) + tuple(engine.tokenize("Wait"))
    assert engine.requests[1].prompt == wait and engine.requests[1].max_tokens == 2
    forced = "</think>\nFinal Answer:"
    assert engine.requests[2].prompt == wait + tuple(engine.tokenize("c d")) + tuple(engine.tokenize(forced))
    assert trace.continued_on == "tokens" and trace.thinking_end == "budget" and trace.answer.endswith("\\boxed{2}")
