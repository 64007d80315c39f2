"""A LiveCodeBench run with a scripted engine: n samples per problem, filters, verdicts, pass@k, manifest."""

import json

import pandas as pd
import pytest
from pydantic import ValidationError

from harness.report.metrics import pass_at_k
from harness.records import read_records
from harness.run import RunConfig, run
from tests.scoring.test_code import SHORT_SORT, fenced
from tests.scripted import ScriptedEngine


def _cfg(**kw):
    return RunConfig(
        **{
            "tasks": ["livecodebench"],
            "strategy": "e1",
            "budgets": [4],
            "limit": 1,
            "n": 2,
            "pass_k": [1, 2],
            "temperature": 0.6,
            "platform": ["codeforces"],
            "difficulty": ["easy"],
            **kw,
        }
    )


def test_code_run_scores_by_execution_and_reports_pass_at_k(tmp_path, data_dir):
    good, bad = fenced(SHORT_SORT), fenced('print("YES")')
    engine = ScriptedEngine(
        [("think", "length", None), (good, "stop", None), ("think more", "length", None), (bad, "stop", None)]
    )
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=engine, progress=False)
    records = sorted(read_records(tmp_path / "r" / "records.jsonl"), key=lambda r: r.seed)
    assert [(r.sample_id, r.seed, r.platform, r.difficulty) for r in records] == [
        ("1873_A", 0, "codeforces", "easy"),
        ("1873_A", 1, "codeforces", "easy"),
    ]
    assert [r.verdict for r in records] == ["passed", "wrong_answer"] and [r.correct for r in records] == [True, False]
    assert records[0].test_verdicts == ["passed"] and "YES" not in engine.requests[0].prompt.split("Question:")[0]
    assert "\\boxed" not in engine.requests[0].prompt  # code tasks drop the math instruction
    code = pd.read_csv(tmp_path / "r" / "code_summary.csv")
    overall = code[code["difficulty"] == "all"].iloc[0]
    assert overall["pass@1"] == 0.5 and overall["pass@2"] == 1.0 and overall["tests"] == "public only"
    assert overall["n_passed"] == 1 and overall["n_wrong_answer"] == 1
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["code"]["sandbox"] in ("bubblewrap", "namespaces") and manifest["code"]["public_tests_only"] == {
        "livecodebench": True
    }


@pytest.mark.parametrize(
    "kw,message", [({"pass_k": [3]}, "each k must lie in 1..--n"), ({"temperature": 0.0}, "repeats one greedy answer")]
)
def test_sampling_settings_are_checked(kw, message):
    with pytest.raises(ValidationError, match=message):
        _cfg(**kw)


def test_filters_select_problems(data_dir, tmp_path):
    from harness.run.plan import load_tasks

    tasks = load_tasks(
        _cfg(limit=None, platform=["leetcode"], difficulty=["hard"], date_from="2023-09-01", date_to="2023-12-31"),
        data_dir,
    )
    samples = tasks[0].samples
    assert samples and all(s.platform == "leetcode" and s.difficulty == "hard" for s in samples)
    assert all("2023-09-01" <= s.date[:10] <= "2023-12-31" for s in samples)


@pytest.mark.parametrize("n,c,k,expected", [(2, 1, 1, 0.5), (5, 0, 3, 0.0), (4, 4, 2, 1.0), (10, 3, 5, 1 - 21 / 252)])
def test_pass_at_k_is_the_unbiased_estimator(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)
