"""Paired comparisons and the CI gate: synthetic records for the statistics, the real engine for the gate."""

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.compare import compare_pairs, gate
from harness.records import SampleRecord

BASELINE = Path(__file__).resolve().parents[2] / "results" / "baselines" / "smollm2-gsm8k-e1"


def _recs(correct, tokens, budget=64, task="gsm8k"):
    return [
        SampleRecord(
            task=task,
            sample_id=str(i),
            index=i,
            strategy="e1",
            budget=budget,
            solution_budget=32,
            seed=0,
            model="m",
            gold="1",
            answer_type="number",
            correct=c,
            total_tokens=t,
        )
        for i, (c, t) in enumerate(zip(correct, tokens))
    ]


def test_accuracy_collapse_is_a_significant_regression():
    base = _recs([True] * 20, [100] * 20)
    run = _recs([False] * 20, [100] * 20)
    (c,) = compare_pairs(run, base, resamples=200)
    assert c.mcnemar_p < 1e-5 and c.d_acc == -1.0
    (r,) = gate([c])
    assert r.metric.startswith("accuracy") and "gsm8k" in r.message() and "threshold -0.02" in r.message()


def test_one_flip_is_noise_not_a_regression():
    base = _recs([True] * 20, [100] * 20)
    run = _recs([False] + [True] * 19, [100] * 20)
    (c,) = compare_pairs(run, base, resamples=200)
    assert c.mcnemar_p == 1.0 and gate([c]) == []


def test_bootstrap_interval_is_paired_and_seeded():
    base = _recs([True, False] * 10, [100 + i for i in range(20)])
    run = _recs([True, False] * 10, [50 + i for i in range(20)])
    a = compare_pairs(run, base, resamples=300, seed=1)[0]
    b = compare_pairs(run, base, resamples=300, seed=1)[0]
    assert a == b
    assert a.d_length_low <= a.d_length <= a.d_length_high and a.d_length > 0.4
    assert a.aes == pytest.approx(a.d_length) and a.aes_legacy == pytest.approx(a.d_length)
    # token efficiency M: baseline tokens over run tokens for correct answers, 0 for wrong ones
    assert a.token_efficiency == pytest.approx(sum((100 + i) / (50 + i) for i in range(0, 20, 2)) / 20)


def test_zero_accuracy_baseline_says_aes_undefined():
    (c,) = compare_pairs(_recs([True] * 4, [10] * 4), _recs([False] * 4, [10] * 4), resamples=50)
    assert c.note.startswith("AES undefined") and c.aes != c.aes  # nan


def test_no_common_samples_and_mismatched_tasks(tmp_path, capsys):
    with pytest.raises(Exception, match="share no samples"):
        compare_pairs(_recs([True], [1]), [r.model_copy(update={"sample_id": "x"}) for r in _recs([True], [1])])
    with pytest.raises(Exception, match="no records for task"):
        compare_pairs(_recs([True], [1], task="math"), _recs([True], [1]))
    assert main(["compare", str(tmp_path / "missing"), "--baseline-budget", "max"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_corrupt_record_line_is_reported_with_its_number(tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(BASELINE, run)
    lines = (run / "records.jsonl").read_text().splitlines()
    lines[2] = '{"broken": '
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["gate", str(run), "--baseline", str(BASELINE)]) == 2
    assert "records.jsonl:3 is not a valid record" in capsys.readouterr().err


@pytest.mark.slow
def test_gate_passes_on_a_rerun_and_fails_on_a_longer_run(tmp_path, data_dir, capsys):
    cfg = json.loads((BASELINE / "manifest.json").read_text())["config"]
    common = [
        "--model",
        "smollm2-135m",
        "--tasks",
        "gsm8k",
        "--strategy",
        "e1",
        "--solution-budget",
        str(cfg["solution_budget"]),
        "--limit",
        str(cfg["limit"]),
        "--data-dir",
        str(data_dir),
        "--no-progress",
    ]
    assert main(["run", *common, "--budgets", "32", "--output-path", str(tmp_path / "same")]) == 0
    assert main(["gate", str(tmp_path / "same"), "--baseline", str(BASELINE)]) == 0
    assert "gate passed" in capsys.readouterr().out
    assert main(["run", *common, "--budgets", "96", "--output-path", str(tmp_path / "long")]) == 0
    capsys.readouterr()
    assert main(["gate", str(tmp_path / "long"), "--baseline", str(BASELINE)]) == 1
    out = capsys.readouterr().out
    assert "regression: gsm8k (e1, budget 96) mean length (relative growth)" in out and "threshold 0.1" in out


def test_an_undefined_statistic_has_no_interval_and_no_numpy_warning():
    import warnings

    base = _recs([False] * 8, [100] * 8)  # baseline accuracy 0: AES is undefined in every resample
    run = _recs([True] * 8, [50] * 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (c,) = compare_pairs(run, base, resamples=50)
    assert c.note.startswith("AES undefined") and c.acc == 1.0 and c.d_acc_low != c.d_acc_low  # NaN
