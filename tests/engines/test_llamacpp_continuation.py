"""The real llama.cpp engine: solution calls continue the thinking call's KV state, with the same tokens on the
reused and the independent path and in any request order; ignore_eos / min_tokens; their refusal and parsing."""

import argparse
import dataclasses

import pytest

from harness.cli_args import _gen_kwargs
from harness.run.config import RunConfig, check_format
from harness.engines.base import GenRequest
from harness.engines.llamacpp import LlamaCppEngine
from harness.errors import BadArgumentError
from harness.prompts import PromptSettings, prompt_builder
from harness.strategies import STRATEGIES, Context, StrategyConfig, sweep
from harness.thinking import ThinkingFormat

QUESTIONS = ["What is 12 times 7?", "A shop sells 3 apples for 2 dollars. How much do 12 apples cost?"]
BUDGETS = [8, 24, 48]


@pytest.fixture(scope="module")
def engine():
    e = LlamaCppEngine("smollm2-135m", n_ctx=2048)
    yield e
    e.close()


def _ids(trace):
    return [(c.role, c.token_ids, c.tail_ids, c.finish_reason) for c in trace.calls]


@pytest.mark.slow
def test_state_continuation_gives_the_same_tokens_on_every_path_and_in_every_order(engine):
    cfg = StrategyConfig(budget=max(BUDGETS), solution_budget=12, fmt=ThinkingFormat("prefill"), ignore_eos=True)
    builds = {q: prompt_builder(engine.info, PromptSettings(), cfg.fmt, q) for q in QUESTIONS}
    evaluated = []
    llm_eval = engine.llm.eval
    engine.llm.eval = lambda tokens: (evaluated.append(len(tokens)), llm_eval(tokens))[1]
    try:
        reused = {}
        for q in QUESTIONS:
            before, continued = len(evaluated), engine.continued
            ctx = Context({"model": engine}, builds[q], cfg)
            reused.update({(q, b): t for b, t in sweep(STRATEGIES.get("e1"), ctx, BUDGETS)})
            assert engine.continued - continued == len(BUDGETS)  # every solution continued the long call's state
            # no re-prefill: the prompt once, each sampled token once, the end marker once per budget
            prompt = len(engine.prompt_ids(builds[q]("")))
            sampled = sum(c.sampled for b in BUDGETS for c in reused[(q, b)].calls if c.derived_from is None)
            marker = len(engine.tokenize(cfg.fmt.close))
            assert sum(evaluated[before:]) <= prompt + sampled + len(BUDGETS) * marker
        e1 = STRATEGIES.get("e1")
        ascending = {
            (q, b): e1(Context({"model": engine}, builds[q], dataclasses.replace(cfg, budget=b)))
            for q in QUESTIONS
            for b in BUDGETS
        }
        shuffled = {
            (q, b): e1(Context({"model": engine}, builds[q], dataclasses.replace(cfg, budget=b)))
            for b in reversed(BUDGETS)
            for q in reversed(QUESTIONS)
        }
    finally:
        engine.llm.eval = llm_eval
    for key, r in reused.items():
        assert [c[1] for c in _ids(r)] == [c[1] for c in _ids(ascending[key])] == [c[1] for c in _ids(shuffled[key])], (
            key
        )
        assert r.answer == ascending[key].answer == shuffled[key].answer, key
        assert r.calls[0].derived_from == (None if key[1] == max(BUDGETS) else max(BUDGETS))
    # SmolLM2 has no one-token </think>: the solution prompts are the sampled ids, then the marker's ids
    assert all(len(r.calls) == 2 and r.continued_on == "tokens" for r in reused.values())


@pytest.mark.slow
def test_a_continuation_equals_its_own_rerun_after_unrelated_requests(engine):
    prompt = tuple(engine.prompt_ids("<|im_start|>user\nCount to ten.<|im_end|>\n<|im_start|>assistant\n"))
    think = engine.generate([GenRequest(prompt, 20, ignore_eos=True)])[0]
    follow = GenRequest(prompt + think.token_ids + tuple(engine.tokenize("\nSo:")), 10, ignore_eos=True)
    first = engine.generate([follow])[0]
    engine.generate([GenRequest("<|im_start|>user\nHi<|im_end|>\n", 5)])  # an unrelated fresh request in between
    engine.generate([GenRequest(prompt, 20, ignore_eos=True)])
    again = engine.generate([follow])[0]
    assert first.token_ids == again.token_ids and first.text == again.text


@pytest.mark.slow
def test_ignore_eos_and_min_tokens_keep_generating(engine):
    prompt = "<|im_start|>user\nSay hello in one word.<|im_end|>\n<|im_start|>assistant\n"
    natural = engine.generate([GenRequest(prompt, 200)])[0]
    assert natural.finish_reason == "stop" and natural.stop_string is None and len(natural.token_ids) < 150
    n = len(natural.token_ids)
    fixed = engine.generate([GenRequest(prompt, n + 30, ignore_eos=True)])[0]
    assert (
        fixed.finish_reason == "length" and len(fixed.token_ids) == n + 30 and fixed.token_ids[:n] == natural.token_ids
    )
    at_least = engine.generate([GenRequest(prompt, 200, min_tokens=n + 5)])[0]
    assert len(at_least.token_ids) >= n + 5 and at_least.token_ids[:n] == natural.token_ids
    assert engine.generate([GenRequest(prompt, 200)])[0].token_ids == natural.token_ids  # the bias is gone again


def test_gen_kwargs_parse_ignore_eos_and_min_tokens():
    assert _gen_kwargs("ignore_eos=true,min_tokens=5") == {"ignore_eos": True, "min_tokens": 5}
    assert _gen_kwargs("ignore_eos=false") == {"ignore_eos": False}
    with pytest.raises(argparse.ArgumentTypeError, match="boolean"):
        _gen_kwargs("ignore_eos=maybe")
    with pytest.raises(ValueError, match="min_tokens must be >= 0"):
        RunConfig(tasks=["gsm8k"], budgets=[8], min_tokens=-1)


def test_an_engine_without_ignore_eos_is_refused_in_one_line():
    class NoEos:
        name, sampling_options, chat = "someserver", frozenset({"top_k"}), False

    cfg = RunConfig(tasks=["gsm8k"], budgets=[8], ignore_eos=True, min_tokens=3)
    with pytest.raises(BadArgumentError) as e:
        check_format(cfg, ThinkingFormat("prefill"), [NoEos()])
    assert "someserver engine has no ignore_eos, min_tokens" in str(e.value) and "\n" not in str(e.value)
    assert GenRequest("p", 4, ignore_eos=True, min_tokens=3).extra_sampling() == {"ignore_eos": True, "min_tokens": 3}
