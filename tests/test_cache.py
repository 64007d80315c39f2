"""The response cache: what its key covers, what it keeps, and that it persists."""

import dataclasses

import pytest

from harness.cache import CachedEngine, ResponseCache, request_key
from harness.engines.base import GenRequest
from tests.scripted import ScriptedEngine

REQ = GenRequest("prompt", 8, ("</think>",), 0.0, 1.0, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"prompt": "prompt "},
        {"prompt": (1, 2, 3)},
        {"max_tokens": 9},
        {"stop": ()},
        {"temperature": 0.7},
        {"top_p": 0.9},
        {"seed": 1},
        {"top_k": 20},
        {"min_p": 0.05},
        {"repetition_penalty": 1.1},
        {"presence_penalty": 0.5},
    ],
)
def test_every_request_field_is_in_the_key(change):
    assert request_key("m", REQ) != request_key("m", dataclasses.replace(REQ, **change))


def test_keys_made_before_the_extra_sampling_fields_still_match():
    """Neutral top_k/min_p/penalties leave the key as it was (the digest of the version 2 payload)."""
    assert request_key("m", REQ) == _v2_key("m", REQ)


def _v2_key(fingerprint, req):
    import hashlib
    import json

    payload = {
        "model": fingerprint,
        "prompt": req.prompt,
        "max_tokens": req.max_tokens,
        "stop": list(req.stop),
        "temperature": req.temperature,
        "top_p": req.top_p,
        "seed": req.seed,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_the_model_fingerprint_is_in_the_key():
    assert request_key("llama.cpp:aaa", REQ) != request_key("llama.cpp:bbb", REQ)


def test_hits_skip_the_engine_and_survive_a_reopen(tmp_path):
    engine = ScriptedEngine([("a b", "stop", "</think>")])
    cached = CachedEngine(engine, ResponseCache(tmp_path / "c.sqlite"))
    first = cached.generate([REQ])[0]
    again = cached.generate([REQ])[0]
    assert (cached.hits, cached.misses, len(engine.requests)) == (1, 1, 1)
    assert again.cached and not first.cached
    assert dataclasses.replace(again, cached=False) == first
    cached.cache.close()
    reopened = CachedEngine(
        ScriptedEngine([]), ResponseCache(tmp_path / "c.sqlite")
    )  # an empty script: must not be called
    assert reopened.generate([REQ])[0].text == "a b" and reopened.hits == 1


def test_failed_calls_are_not_cached(tmp_path):
    engine = ScriptedEngine([("", "error", None), ("ok", "stop", None)])
    cached = CachedEngine(engine, ResponseCache(tmp_path / "c.sqlite"))
    assert cached.generate([REQ])[0].finish_reason == "error"
    assert cached.generate([REQ])[0].text == "ok" and len(cached.cache) == 1


def test_a_batch_sends_only_its_misses(tmp_path):
    engine = ScriptedEngine([("one", "stop", None), ("two", "stop", None), ("three", "stop", None)])
    cached = CachedEngine(engine, ResponseCache(tmp_path / "c.sqlite"))
    cached.generate([REQ])
    other = [dataclasses.replace(REQ, seed=s) for s in (1, 2)]
    out = cached.generate([other[0], REQ, other[1]])
    assert [r.text for r in out] == ["two", "one", "three"] and [r.seed for r in engine.requests] == [0, 1, 2]


@pytest.mark.parametrize(
    "row",
    [
        '{"text": "a b", "finish_reason": "stop"}',  # no token_ids, no prompt_tokens
        '["a b"]',
        '{"text": "a b", "token_ids": "xy", "prompt_tokens": 1, "finish_reason": "stop"}',
        "not json",
    ],
)
def test_a_row_that_is_not_a_whole_result_is_a_miss_said_once(tmp_path, capsys, row):
    cache, other = ResponseCache(tmp_path / "c.sqlite"), dataclasses.replace(REQ, seed=1)
    engine = ScriptedEngine([("fresh", "stop", None), ("again", "stop", None)])
    for req in (REQ, other):  # valid SQLite, written by something else
        cache._db.execute("INSERT INTO responses VALUES (?, ?, ?)", (request_key(engine.fingerprint(), req), "m", row))
    cached = CachedEngine(engine, cache)
    assert [r.text for r in cached.generate([REQ, other])] == ["fresh", "again"] and cached.misses == 2
    err = capsys.readouterr().err
    assert err.count("treated as misses and generated again") == 1 and str(tmp_path / "c.sqlite") in err
    assert cached.generate([REQ])[0].text == "fresh" and cached.hits == 1  # the row was replaced
