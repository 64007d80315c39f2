"""The latency model: SplitReason's preset, the two execution models, tables from YAML, and the paper's check."""

import pytest

from harness.errors import BadArgumentError
from harness.latency import PRESETS, Throughput, alone, load_table, pick, pipelined, sequential

SMALL, LARGE = Throughput(100, 10), Throughput(50, 2)


def test_preset_is_splitreasons_table():
    t = PRESETS["splitreason"]
    assert (t["1.5B"], t["32B"], t["70B"]) == (Throughput(28868, 141), Throughput(2595, 16), Throughput(2238, 9))
    assert set(t) == {"1.5B", "7B", "8B", "14B", "32B", "70B"}


def test_sequential_pays_the_other_models_prefill_at_each_hand_over():
    segments = [("small", 20), ("large", 4), ("small", 10)]
    expected = (100 / 100 + 20 / 10) + (120 / 50 + 4 / 2) + (4 / 100 + 10 / 10)  # prompt 100 tokens
    assert sequential(100, segments, SMALL, LARGE) == pytest.approx(expected)


def test_pipelined_overlaps_prefill_with_the_active_models_decode():
    segments = [("small", 20), ("large", 4)]
    expected = max(100 / 100, 100 / 50) + max(20 / 10, 20 / 50) + max(4 / 2, 4 / 100)
    assert pipelined(100, segments, SMALL, LARGE) == pytest.approx(expected)
    assert pipelined(100, segments, SMALL, LARGE) <= sequential(100, segments, SMALL, LARGE)


def test_small_only_and_large_only_are_the_single_model_costs():
    assert pipelined(100, [("large", 30)], SMALL, LARGE) == pytest.approx(alone(100, 30, LARGE))
    assert sequential(100, [("small", 30)], SMALL, LARGE) == pytest.approx(alone(100, 30, SMALL))


def test_splitreason_paper_check_1_5b_with_32b():
    """1.5B + 32B, 2,048 prompt tokens, 16,384 generated, 1.35% offloaded in 4 spans: the paper reports
    "8-9x faster than the 32B model alone". This model gives 7.9x pipelined (7.6x sequential): the 16,163
    small-model tokens alone take 114.6 s at 141 tok/s (8.9x at 0% offload), and the 221 large-model tokens
    add 13.8 s at 16 tok/s."""
    t = PRESETS["splitreason"]
    large_tokens = round(16384 * 0.0135)
    spans = [55, 55, 55, 56]
    small_parts = [(16384 - large_tokens) // 5] * 4
    segments = []
    for s, big in zip(small_parts, spans):
        segments += [("small", s), ("large", big)]
    segments.append(("small", 16384 - large_tokens - sum(small_parts)))
    base = alone(2048, 16384, t["32B"])
    pipe = base / pipelined(2048, segments, t["1.5B"], t["32B"])
    seq = base / sequential(2048, segments, t["1.5B"], t["32B"])
    assert base == pytest.approx(1024.79, abs=0.01)
    assert round(pipe, 1) == 7.9 and round(seq, 1) == 7.6
    assert base / pipelined(2048, [("small", 16384)], t["1.5B"], t["32B"]) == pytest.approx(8.8, abs=0.05)


def test_tables_from_yaml_and_their_errors(tmp_path):
    good = tmp_path / "t.yaml"
    good.write_text("mine: {prefill_tok_s: 1000, decode_tok_s: 40}\n")
    assert load_table(str(good)) == {"mine": Throughput(1000.0, 40.0)}
    bad = tmp_path / "bad.yaml"
    bad.write_text("mine: {prefill: 1}\n")
    with pytest.raises(BadArgumentError, match="prefill_tok_s and decode_tok_s"):
        load_table(str(bad))
    with pytest.raises(BadArgumentError, match="neither a preset"):
        load_table("nope")
    with pytest.raises(BadArgumentError, match="has no model '3B'"):
        pick(PRESETS["splitreason"], "3B")
