"""The real llama.cpp engine with the real SmolLM2 GGUF: 3 GSM8K rows at two budgets, end to end."""

import json

import pandas as pd
import pytest

from harness.cli import main
from harness.engines.llamacpp import LlamaCppEngine
from harness.records import read_records
from tests.conftest import SWEEP_BUDGETS as BUDGETS, SWEEP_SOLUTION as SOLUTION

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine():
    e = LlamaCppEngine("smollm2-135m", n_ctx=2048)
    yield e
    e.close()


@pytest.fixture(scope="module")
def sweep(smollm2_sweep):  # the session's run (tests/conftest.py), shared with the site's tests
    return smollm2_sweep


def test_records_hold_every_sample_within_budgets(sweep, engine):
    out, _ = sweep
    records = read_records(out / "records.jsonl")
    assert sorted((r.sample_id, r.budget) for r in records) == [(s, b) for s in "012" for b in BUDGETS]
    for r in records:
        assert r.status == "ok" and r.gold in {"18", "3", "70000"}
        # SmolLM2 is an instruct model (thinking format none): a response cut at t is the "thinking", then
        # "\nFinal Answer:" and an answer within s on the sampled ids; one that ends within t is the answer.
        assert r.calls[0].prompt.startswith("<|im_start|>system\n") and r.calls[0].prompt.endswith("assistant\n")
        assert r.correct is not None and r.latency_s > 0
        if not r.hit_budget:
            assert r.n_calls == 1 and r.answer == r.calls[0].output and r.thinking == ""
            continue
        # Counts are the model's own token ids, which the tokenizer turns back into exactly the saved text.
        # (Re-tokenizing that text can give fewer ids: the model may emit a non-canonical split.)
        thinking, solution = r.calls
        assert engine.llm.detokenize(thinking.token_ids, special=True).decode() == r.thinking
        assert "\nFinal Answer:" + engine.llm.detokenize(solution.token_ids, special=True).decode() == r.answer
        assert r.thinking_tokens == len(thinking.token_ids) == r.budget
        assert r.solution_tokens == len(solution.token_ids) <= SOLUTION
        assert engine.count_tokens(r.thinking) <= r.thinking_tokens
        assert r.total_tokens == r.thinking_tokens + r.solution_tokens
        # the solution continues the thinking call's own state: the prompt's ids, the sampled ids, the cue's ids
        assert r.forced_text == "\nFinal Answer:" and r.continued_on == "tokens"
        cue = engine.tokenize("\nFinal Answer:")
        assert solution.prompt_ids == engine.prompt_ids(thinking.prompt) + list(thinking.token_ids) + cue


def test_temperature_zero_is_deterministic(sweep, engine):
    out, _ = sweep
    r = [x for x in read_records(out / "records.jsonl") if x.budget == 16][0]
    from harness.engines.base import GenRequest

    again = engine.generate([GenRequest(r.calls[0].prompt, 16, ("</think>",), 0.0, 1.0, 0)])[0]
    assert again.text == r.thinking


def test_summary_plot_and_manifest(sweep, data_dir):
    out, argv = sweep
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary["budget"]) == list(BUDGETS) and set(summary["n"]) == {3}
    csv = pd.read_csv(out / "summary.csv")
    assert len(csv) == 2 and {
        "accuracy",
        "acc_ci_low",
        "mean_thinking_tokens",
        "p90_latency_s",
        "hit_budget_rate",
        "no_answer_rate",
    } <= set(csv.columns)
    records = read_records(out / "records.jsonl")
    for b in BUDGETS:
        rs = [r for r in records if r.budget == b]
        row = summary[summary["budget"] == b].iloc[0]
        assert row["accuracy"] == sum(bool(r.correct) for r in rs) / 3
        assert row["mean_thinking_tokens"] == pytest.approx(sum(r.thinking_tokens for r in rs) / 3)
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    m = json.loads((out / "manifest.json").read_text())
    assert m["config"]["strategy"]["budgets"] == list(BUDGETS) and m["command"][1:] == argv
    assert len(m["model"]["sha256"]) == 64 and m["packages"]["llama-cpp-python"]
    assert m["data"]["gsm8k"]["sha256"] == "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"
    assert m["started"] and m["finished"] and "commit" in m["git"]


def test_rerun_resumes_without_new_records_and_report_rebuilds(sweep, capsys):
    out, argv = sweep
    before = (out / "records.jsonl").read_text()
    assert main(argv) == 0
    assert (out / "records.jsonl").read_text() == before
    (out / "sweep.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "sweep.png").is_file() and "| gsm8k | e1 | 16 | 3 |" in capsys.readouterr().out
