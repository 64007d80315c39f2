"""Budget reuse on the real llama.cpp engine: token-for-token equal to independent sampling at temperature 0,
and in agreement with independent sweeps at temperature > 0."""

import math

import pytest

from harness.engines.llamacpp import LlamaCppEngine
from harness.report.metrics import wilson_interval
from harness.records import read_records
from harness.run import RunConfig, run

pytestmark = pytest.mark.slow
BUDGETS = [8, 24, 48]


@pytest.fixture(scope="module")
def engine():
    e = LlamaCppEngine("smollm2-135m", n_ctx=2048)
    yield e
    e.close()


def _sweep(engine, data_dir, out, **kw):
    cfg = RunConfig(tasks=["gsm8k"], budgets=BUDGETS, solution_budget=16, limit=3, log_samples=True, n_ctx=2048, **kw)
    run(cfg, out, data_dir=data_dir, engine=engine, progress=False, cache=None)
    return {(r.sample_id, r.budget): r for r in read_records(out / "records.jsonl")}


@pytest.mark.parametrize("strategy", ["e1", "plain"])
def test_derived_budgets_equal_independent_runs_token_for_token(engine, data_dir, tmp_path, strategy):
    reused = _sweep(engine, data_dir, tmp_path / "reuse", strategy=strategy)
    independent = _sweep(engine, data_dir, tmp_path / "independent", strategy=strategy, reuse=False)
    assert sorted(reused) == sorted(independent) and len(reused) == 9
    for key, r in reused.items():
        i = independent[key]
        assert r.calls[0].token_ids == i.calls[0].token_ids, key
        assert (r.thinking, r.answer, r.thinking_end, r.thinking_tokens, r.extracted, r.correct) == (
            i.thinking,
            i.answer,
            i.thinking_end,
            i.thinking_tokens,
            i.extracted,
            i.correct,
        ), key
        assert i.derived_from is None and not i.latency_modelled
        assert r.derived_from == (None if key[1] == max(BUDGETS) else max(BUDGETS))
    # a budget the long call ran past was cut, so its latency is modelled
    assert any(r.latency_modelled for r in reused.values())


def _mean_ci(xs):
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    half = 4.30 * sd / math.sqrt(len(xs))  # t(0.975, df=2)
    return m - half, m + half


def test_sampled_sweeps_agree_with_independent_ones(engine, data_dir, tmp_path):
    """At temperature 0.8, per-call seeds make a reused sweep equal the independent one with the same seed;
    an independent sweep with another seed agrees with it within confidence intervals."""
    reused = _sweep(engine, data_dir, tmp_path / "r", temperature=0.8)
    same_seed = _sweep(engine, data_dir, tmp_path / "s", temperature=0.8, reuse=False)
    assert all(reused[k].thinking == same_seed[k].thinking for k in reused)
    other_seed = _sweep(engine, data_dir, tmp_path / "o", temperature=0.8, reuse=False, seed=1)
    assert any(reused[(s, 48)].thinking != other_seed[(s, 48)].thinking for s in "012")  # really sampled
    for b in BUDGETS:
        a = [r for (s, bb), r in reused.items() if bb == b]
        o = [r for (s, bb), r in other_seed.items() if bb == b]
        lo_a, hi_a = wilson_interval(sum(bool(r.correct) for r in a), 3)
        lo_o, hi_o = wilson_interval(sum(bool(r.correct) for r in o), 3)
        assert lo_a <= hi_o and lo_o <= hi_a
        ca, co = _mean_ci([r.thinking_tokens for r in a]), _mean_ci([r.thinking_tokens for r in o])
        assert ca[0] <= co[1] and co[0] <= ca[1], (b, ca, co)
