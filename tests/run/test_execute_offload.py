"""Offload sweeps through the runner with scripted engines: records, summary, plots, errors."""

import json

import pandas as pd
import pytest
from pydantic import ValidationError

from harness.cli import main
from harness.errors import BadArgumentError
from harness.records import read_records
from harness.run import RunConfig, run
from harness.run.config import OffloadOptions
from tests.scripted import ScriptedEngine


def _cfg(offload=None, **kw):
    offload = {"model": "scripted-large", "ratios": [0, 1], "random_chunk": 4, **(offload or {})}
    return RunConfig(
        **{
            "tasks": ["gsm8k"],
            "strategy": "random-offload",
            "budgets": [4],
            "limit": 2,
            "offload": OffloadOptions(**offload),
            **kw,
        }
    )


def test_random_offload_sweep_writes_ratio_records_summary_and_plots(tmp_path, data_dir):
    small = ScriptedEngine([("s </think> \\boxed{18}", "stop", None), ("s </think> \\boxed{9}", "stop", None)])
    large = ScriptedEngine(
        [("l </think> \\boxed{18}", "stop", None), ("l </think> \\boxed{3}", "stop", None)], name="big"
    )
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=small, large_engine=large, progress=False)
    records = {(r.sample_id, r.offload_ratio): r for r in read_records(tmp_path / "r" / "records.jsonl")}
    assert sorted(records) == [("0", 0.0), ("0", 1.0), ("1", 0.0), ("1", 1.0)]
    small_only, large_only = records[("0", 0.0)].offload, records[("0", 1.0)].offload
    assert (small_only.ratio_tokens, large_only.ratio_tokens) == (0.0, 1.0)
    assert small_only.small_tokens == 3 and large_only.large_tokens == 3 and not small_only.same_weights
    assert (
        large_only.tokenizers == {"small_tokens": "scripted", "probe_tokens": "scripted", "large_tokens": "big"}
        and large_only.ended_by == "large-eos"
    )
    assert large_only.modelled_pipelined_s == pytest.approx(large_only.modelled_large_alone_s)
    assert [records[k].correct for k in sorted(records)] == [True, True, False, True]
    summary = pd.read_csv(tmp_path / "r" / "summary.csv")
    assert list(summary["offload_ratio"]) == [0.0, 1.0] and list(summary["ratio_tokens_mean"]) == [0.0, 1.0]
    assert {"mean_small_tokens", "mean_large_tokens", "ratio_tokens_median", "mean_modelled_pipelined_s"} <= set(
        summary
    )
    for name in ("offload_accuracy.png", "offload_latency.png", "summary.md"):
        assert (tmp_path / "r" / name).stat().st_size > 0
    assert "target p" in (tmp_path / "r" / "summary.md").read_text()
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["offload_model"]["name"] == "big" and manifest["offload_model"]["same_weights_as_model"] is False


def test_a_large_model_failure_is_a_failed_record_and_the_run_goes_on(tmp_path, data_dir):
    small = ScriptedEngine([("s </think> \\boxed{18}", "stop", None), ("s </think> \\boxed{3}", "stop", None)])
    large = ScriptedEngine([("", "error", None), ("l </think> \\boxed{3}", "stop", None)], name="big")
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=small, large_engine=large, progress=False)
    records = {(r.sample_id, r.offload_ratio): r for r in read_records(tmp_path / "r" / "records.jsonl")}
    failed = records[("0", 1.0)]
    assert failed.status == "failed" and failed.correct is None and "large model call failed" in failed.error
    assert records[("1", 1.0)].status == "ok" and records[("1", 1.0)].correct is True


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"offload": {"model": None}}, "needs --offload-model"),
        ({"offload": {"ratios": []}}, "random-offload needs --offload-ratios"),
        ({"strategy": "splitreason"}, "drop --offload-ratios"),
        ({"strategy": "e1"}, "need an offload strategy"),
        ({"offload": {"latency_models": ["1.5B", "3B"]}}, "no model '3B'"),
    ],
)
def test_offload_settings_are_checked_before_anything_runs(kw, message):
    with pytest.raises((ValidationError, BadArgumentError), match=message):
        _cfg(**kw)


def test_ratios_outside_0_1_are_refused_by_the_cli(capsys, tmp_path):
    assert (
        main(
            [
                "run",
                "--tasks",
                "gsm8k",
                "--strategy",
                "random-offload",
                "--budgets",
                "16",
                "--offload-model",
                "smollm2-135m",
                "--offload-ratios",
                "0,1.5",
                "--output-path",
                str(tmp_path / "r"),
            ]
        )
        == 2
    )
    assert "--offload-ratios must lie in [0, 1]" in capsys.readouterr().err
