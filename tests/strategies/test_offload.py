"""SplitReason's hand-over protocol and the random-offload baseline, checked with scripted small and large engines."""

import dataclasses

import pytest

from harness.prompts import PromptSettings, prompt_builder
from harness.thinking import ThinkingFormat
from harness.strategies import EngineFailed, StrategyConfig
from harness.strategies import STRATEGIES, Context
from harness.strategies.offload import OffloadConfig, char_ratio, strip_tags
from tests.scripted import ScriptedEngine

PREFILL = ThinkingFormat("prefill")  # the opener appended by the harness, as these scripted models expect

OPEN, CLOSE = "<bigmodel>", "</bigmodel>"


def _run(name, small_replies, large_replies, budget=100, **ocfg):
    small, large = ScriptedEngine(small_replies), ScriptedEngine(large_replies)
    build = prompt_builder(small.info, PromptSettings(), PREFILL, "What is 1+1?")
    ctx = Context(
        {"model": small, "large": large}, build, StrategyConfig(budget=budget, solution_budget=8), OffloadConfig(**ocfg)
    )
    trace = STRATEGIES.get(name)(ctx)
    return small, large, build, trace


def test_splitreason_hands_over_at_the_tag_and_back_at_the_first_probe_that_closes():
    small_replies = [
        ("s a b", "stop", OPEN),
        ("x y", "length", None),
        ("z", "length", None),
        ("w </bigmodel> more", "length", None),
        ("q", "length", None),
        ("done </think> \\boxed{2}", "stop", None),
    ]
    small, large, build, trace = _run("splitreason", small_replies, [("L1 L2 L3 L4", "length", None)])
    hint = OffloadConfig().hint
    small_prompt, large_prompt = build(hint), build("")
    assert hint.strip() in small_prompt and hint.strip() not in large_prompt
    first, *probes, last = small.requests
    assert first.prompt == small_prompt and first.stop == (OPEN,) and first.max_tokens == 100
    # the large model sees neither the hint nor any tag
    assert large.requests[0].prompt == large_prompt + "s a b" and large.requests[0].max_tokens == 64
    # one probe per token prefix of the chunk, 8 tokens each, from the small model's own (tagged) text
    assert [p.prompt for p in probes] == [
        small_prompt + "s a b" + OPEN + t for t in ("L1", "L1 L2", "L1 L2 L3", "L1 L2 L3 L4")
    ]
    assert all(p.max_tokens == 8 for p in probes)
    # cut after the third prefix: the small model's text up to the marker, then the closing tag
    handed_back = "s a b" + OPEN + "L1 L2 L3" + "w " + CLOSE
    assert (
        last.prompt == small_prompt + handed_back and last.max_tokens == 100 - 3 - 1 - 3 - 1
    )  # small, tag, large, 'w'
    assert trace.response == handed_back + "done </think> \\boxed{2}"
    assert trace.thinking_closed and trace.answer.strip() == "\\boxed{2}"
    assert [(s.model, s.tokens) for s in trace.segments] == [("small", 4), ("large", 3), ("small", 5)]
    assert trace.handovers == 1 and trace.ended_by == "small-eos" and trace.probe_tokens == 2 + 1 + 3 + 1


def test_splitreason_caps_an_offload_and_closes_the_tag_itself():
    never = ("no tag here", "length", None)
    small_replies = [("think", "stop", OPEN)] + [never] * 2 + [never] * 2 + [("end", "length", None)]
    large_replies = [("A B C D", "length", None), ("E F G H", "length", None)]
    small, large, _, trace = _run(
        "splitreason",
        small_replies,
        large_replies,
        budget=14,
        large_chunk=4,
        max_offload=8,
        probe_every=2,
        force_answer=False,
    )
    assert [r.max_tokens for r in large.requests] == [4, 4]
    assert trace.response == "think" + OPEN + "A B C D" + "E F G H" + CLOSE + "end"
    assert [len(small.requests)] == [6]  # first call, 2 + 2 probes (every 2nd prefix), then the small model again
    assert small.requests[-1].max_tokens == 14 - 2 - 8  # 'think' and the sampled tag, 8 large tokens
    assert trace.ended_by == "budget" and not trace.thinking_closed and trace.thinking_end == "budget"


def test_large_model_end_of_sequence_ends_the_response_and_the_small_model_answers():
    small_replies = [("think", "stop", OPEN), ("no", "length", None), ("\\boxed{7}", "stop", None)]
    small, large, build, trace = _run("splitreason", small_replies, [("L", "stop", None)])
    assert trace.ended_by == "large-eos" and trace.response == "think" + OPEN + "L"
    solution = small.requests[-1]
    assert solution.prompt == build(OffloadConfig().hint) + trace.response + "</think>" and solution.max_tokens == 8
    assert trace.forced_text == "</think>" and trace.answer == "\\boxed{7}" and trace.thinking_end == "eos"


def test_a_large_model_failure_fails_the_sample_with_the_reason():
    with pytest.raises(EngineFailed, match="large model call failed: boom"):
        _run("splitreason", [("think", "stop", OPEN)], [("", "error", None)])


@pytest.mark.parametrize("ratio,who", [(0.0, {"small"}), (1.0, {"large"})])
def test_random_offload_extremes_use_one_model(ratio, who):
    replies = [("a b c", "length", None)] * 4
    small, large, _, trace = _run(
        "random-offload", list(replies), list(replies), budget=12, ratio=ratio, random_chunk=3, force_answer=False
    )
    assert {s.model for s in trace.segments} == who and sum(s.tokens for s in trace.segments) == 12
    assert all(r.max_tokens == 3 for r in small.requests + large.requests)


def test_random_offload_is_seeded_and_both_models_continue_the_same_text():
    replies = [(f"w{i}", "length", None) for i in range(20)]
    runs = [
        _run("random-offload", list(replies), list(replies), budget=20, ratio=0.5, random_chunk=1, force_answer=False)
        for _ in range(2)
    ]
    writers = [[s.model for s in r[3].segments] for r in runs]
    assert writers[0] == writers[1] and {"small", "large"} <= set(writers[0])
    small, large, build, trace = runs[0]
    everyone = sorted(small.requests + large.requests, key=lambda r: len(r.prompt))
    assert (
        all(r.prompt.startswith(build("")) for r in everyone) and OffloadConfig().hint.strip() not in everyone[0].prompt
    )


def test_char_ratio_counts_tags_and_only_the_response():
    text = "ab" + OPEN + "cd" + CLOSE
    assert char_ratio(text) == pytest.approx((len(OPEN) + 2 + len(CLOSE)) / len(text))
    assert char_ratio("plain text") == 0.0 and char_ratio("") == 0.0
    assert char_ratio("x" + OPEN + "yy") == pytest.approx((len(OPEN) + 2) / (3 + len(OPEN)))  # unclosed runs to the end
    assert strip_tags(text, OffloadConfig()) == "abcd"


def test_offload_config_defaults_are_the_papers():
    c = OffloadConfig()
    assert (c.large_chunk, c.max_offload, c.probe_tokens, c.probe_every, c.random_chunk) == (64, 512, 8, 1, 16)
    assert c.probe_marker == "</big" and dataclasses.replace(c, ratio=0.2).ratio == 0.2
