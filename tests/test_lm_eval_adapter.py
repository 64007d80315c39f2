"""The lm-eval adapter: simple_evaluate on a local lm-eval YAML task over the vendored GSM8K file, limit 3,
and lm-eval's own CLI through `harness lm-eval`."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
import lm_eval  # noqa: E402  (a test extra: installed by setup.sh, never skipped)

TASK = """task: gsm8k_local
dataset_path: json
dataset_kwargs:
  data_files:
    test: {path}
test_split: test
output_type: generate_until
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{answer.split('####')[-1].strip()}}}}"
generation_kwargs:
  until: ["Question:"]
  do_sample: false
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
filter_list:
  - name: last-number
    filter:
      - function: regex
        regex_pattern: "(-?[0-9][0-9.,]*)"
        group_select: -1
      - function: take_first
"""


@pytest.fixture()
def task_dir(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    d = tmp_path / "tasks"
    d.mkdir()
    (d / "gsm8k_local.yaml").write_text(TASK.format(path=data_dir / "gsm8k" / "test.jsonl"))
    return d


def test_simple_evaluate_runs_our_strategy_and_writes_our_records(task_dir, tmp_path):
    from lm_eval.tasks import TaskManager

    from harness.lm_eval_adapter import HarnessBudgetLM

    model = HarnessBudgetLM(
        strategy="e1", thinking_budget=16, solution_budget=24, n_ctx=2048, records_path=str(tmp_path / "records.jsonl")
    )
    out = lm_eval.simple_evaluate(
        model=model,
        tasks=["gsm8k_local"],
        task_manager=TaskManager(include_path=str(task_dir)),
        limit=3,
        log_samples=True,
    )
    assert "exact_match,last-number" in out["results"]["gsm8k_local"]
    records = [json.loads(line) for line in (tmp_path / "records.jsonl").read_text().splitlines()]
    assert len(records) == 3 and {r["task"] for r in records} == {"gsm8k_local"}
    assert all(r["status"] == "ok" and r["thinking_tokens"] <= 16 and r["solution_tokens"] <= 24 for r in records)
    responses = [s["resps"][0][0] for s in out["samples"]["gsm8k_local"]]
    assert all("<think>" not in r and "Question:" not in r for r in responses)  # thinking stripped, cut at `until`
    assert sorted(responses) == sorted(r["answer"] for r in records)


def test_loglikelihood_requests_are_refused_clearly():
    from harness.lm_eval_adapter import HarnessBudgetLM

    with pytest.raises(NotImplementedError, match="generative tasks"):
        HarnessBudgetLM(n_ctx=512).loglikelihood([])


def test_lm_eval_cli_through_harness(task_dir, tmp_path):
    out = tmp_path / "lm_eval_out"
    cmd = [
        sys.executable,
        "-m",
        "harness",
        "lm-eval",
        "--model",
        "harness-budget",
        "--model_args",
        "engine=llama.cpp,model=smollm2-135m,strategy=e1,thinking_budget=8,solution_budget=8,n_ctx=2048",
        "--tasks",
        "gsm8k_local",
        "--include_path",
        str(task_dir),
        "--limit",
        "2",
        "--output_path",
        str(out),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "HF_DATASETS_OFFLINE": "1"}, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "gsm8k_local" in proc.stdout
    assert len((out / "harness_records.jsonl").read_text().splitlines()) == 2  # beside lm-eval's own output
    assert list(out.rglob("results_*.json"))
