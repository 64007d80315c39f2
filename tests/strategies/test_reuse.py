"""One long first call serving every budget: the cut rule, modelled latency, failures, refusals (scripted engine)."""

import dataclasses

import pytest

from harness.engines.base import GenResult
from harness.prompts import PromptSettings, prompt_builder
from harness.thinking import ThinkingFormat
from harness.strategies import STRATEGIES, Context, StrategyConfig, refusal, sweep
from harness.strategies.base import Call
from harness.strategies.reuse import cut
from tests.scripted import ScriptedEngine

PREFILL = ThinkingFormat("prefill")  # the opener appended by the harness, as these scripted models expect

THINK = "s1 s2 s3 s4 s5 s6"


def _sweep(name, replies, budgets, **cfg):
    engine = ScriptedEngine(replies)
    build = prompt_builder(engine.info, PromptSettings(), PREFILL, "What is 1+1?")
    ctx = Context({"model": engine}, build, StrategyConfig(budget=max(budgets), **cfg))
    traces = dict(sweep(STRATEGIES.get(name), ctx, budgets))
    return engine, build(""), traces


def test_e1_thinks_once_at_the_largest_budget_and_cuts_the_smaller_ones():
    replies = [(THINK, "stop", "</think>")] + [(f"\\boxed{{{b}}}", "stop", None) for b in (2, 4, 8)]
    engine, prompt, traces = _sweep("e1", replies, [2, 4, 8], solution_budget=5)
    first, *solutions = engine.requests
    assert first.prompt == prompt and first.max_tokens == 8 and first.stop == ("</think>",)
    assert [r.prompt for r in solutions] == [
        prompt + "s1 s2</think>",
        prompt + "s1 s2 s3 s4</think>",
        prompt + THINK + "</think>",
    ]
    assert all(r.max_tokens == 5 for r in solutions)
    t2, t4, t8 = traces[2], traces[4], traces[8]
    assert (t2.thinking, t2.thinking_end, t2.forced_text) == ("s1 s2", "budget", "</think>")
    assert (t8.thinking, t8.thinking_end, t8.forced_text) == (THINK, "natural", "")
    assert t2.calls[0].token_ids == t8.calls[0].token_ids[:2] and t4.calls[0].tokens == 4
    assert [t.calls[0].derived_from for t in (t2, t4, t8)] == [8, 8, None]
    assert [t.calls[0].modelled for t in (t2, t4, t8)] == [True, True, False]
    assert t4.answer == "\\boxed{4}"


def test_a_natural_end_within_a_smaller_budget_is_kept_and_its_time_is_measured():
    replies = [("a b", "stop", "</think>"), ("x", "stop", None), ("y", "stop", None)]
    _, _, traces = _sweep("e1", replies, [4, 16])
    assert traces[4].thinking_end == "natural" and traces[4].calls[0].derived_from == 16
    assert not traces[4].calls[0].modelled and traces[4].calls[0].wall_s == traces[16].calls[0].wall_s


def _long(ids, tail=(), finish="stop", stop="</think>", wall=1.0, ttft=0.1):
    return Call(
        "thinking", "P", 10, ("</think>",), "", tuple(ids), len(ids), finish, stop, wall, ttft, tail_ids=tuple(tail)
    )


@pytest.mark.parametrize(
    "budget,expect_ids,expect_end",
    [
        (
            5,
            (1, 2, 3, 7, 8),
            "length",
        ),  # the stop string's own tokens were sampled after 3 ids: a budget of 5 sees them
        (6, (1, 2, 3), "stop"),  # 3 ids + 3 stop tokens: the stop is seen at 6
        (3, (1, 2, 3), "length"),  # the independent call ends by length right before the stop
    ],
)
def test_cut_matches_what_an_independent_call_would_sample(budget, expect_ids, expect_end):
    engine = ScriptedEngine([])
    engine.vocab = [str(i) for i in range(10)]
    c = cut(engine, _long([1, 2, 3], tail=[7, 8, 9]), budget, 10)
    assert c.token_ids == expect_ids and c.finish_reason == expect_end and c.max_tokens == budget


def test_an_end_of_sequence_counts_as_one_sampled_token():
    engine = ScriptedEngine([])
    engine.vocab = [str(i) for i in range(10)]
    eos = _long([1, 2, 3], stop=None)
    assert eos.sampled == 4
    assert cut(engine, eos, 3, 10).finish_reason == "length" and cut(engine, eos, 4, 10).finish_reason == "stop"


def test_modelled_time_is_first_token_plus_measured_decode_per_token():
    engine = ScriptedEngine([])
    engine.vocab = [str(i) for i in range(12)]
    long = _long(list(range(11)), finish="length", stop=None, wall=2.1, ttft=0.1)  # 10 decode steps after the first
    c = cut(engine, long, 6, 11)
    assert c.modelled and c.wall_s == pytest.approx(0.1 + 0.2 * 5)


def test_plain_cuts_the_single_response():
    engine, prompt, traces = _sweep("plain", [("t1 t2 </think> \\boxed{3}", "stop", None)], [2, 8])
    assert len(engine.requests) == 1 and engine.requests[0].max_tokens == 8 and engine.requests[0].stop == ()
    assert traces[2].thinking == "t1 t2" and not traces[2].thinking_closed and traces[2].thinking_end == "budget"
    assert traces[8].thinking_closed and traces[8].answer.strip() == "\\boxed{3}"


def test_failed_long_call_fails_every_budget_and_failed_solution_only_its_own():
    _, _, traces = _sweep("e1", [("", "error", None)], [2, 4])
    assert all(t.error and "thinking call failed" in t.error for t in traces.values())
    _, _, traces = _sweep("e1", [(THINK, "length", None), ("", "error", None), ("\\boxed{1}", "stop", None)], [2, 6])
    assert traces[2].error and "solution call failed" in traces[2].error
    assert traces[6].error is None and traces[6].answer == "\\boxed{1}"


def test_reuse_is_refused_where_the_text_before_the_cut_depends_on_the_budget():
    cfg = StrategyConfig(budget=8)
    get = STRATEGIES.get
    assert refusal(get("e1"), cfg) is None and refusal(get("plain"), cfg) is None and refusal(get("s1"), cfg) is None
    assert "Wait" in refusal(get("s1"), dataclasses.replace(cfg, wait=1))
    assert "prompt" in refusal(get("l1"), cfg) and "once" in refusal(get("splitreason"), cfg)


def test_s1_without_wait_reuses_and_forces_final_answer_on_cut_budgets():
    replies = [(THINK, "length", None), ("\\boxed{1}", "stop", None), ("\\boxed{2}", "stop", None)]
    engine, prompt, traces = _sweep("s1", replies, [3, 6])
    assert engine.requests[1].prompt == prompt + "s1 s2 s3</think>\nFinal Answer:"
    assert traces[3].forced_text == "</think>\nFinal Answer:" and traces[3].answer == "\nFinal Answer:\\boxed{1}"


def test_sampled_counts_stop_tokens_and_eos():
    r = GenResult("a", (1,), 3, "stop", "</think>", tail_ids=(5, 6))
    assert r.sampled == 3
    assert GenResult("a", (1,), 3, "stop", None).sampled == 2
    assert GenResult("a", (1,), 3, "length", None).sampled == 1
