"""The leaderboard says which run a row came from and compares budgets only within a run; Ctrl-C on the embedded
engine is one line saying how to resume; --n-ctx too small for the prompt stops the run with one line."""

import time

import pytest

import harness.run
from harness.cli import main
from harness.engines.base import GenRequest
from harness.errors import BadArgumentError
from harness.report.leaderboard import merged_summary
from harness.run import RunConfig, run
from tests.scripted import ScriptedEngine


def _run(out, data_dir, budget, words):
    cfg = RunConfig(tasks=["gsm8k"], strategy="plain", budgets=[budget], limit=2, thinking="none")
    engine = ScriptedEngine([(" ".join(["w"] * words) + " \\boxed{18}", "stop", None)] * 2)
    run(cfg, out, data_dir=data_dir, engine=engine, progress=False, cache=None)


def test_leaderboard_has_a_run_column_and_aes_only_within_a_run(tmp_path, data_dir, capsys):
    _run(tmp_path / "short", data_dir, 8, 2)
    _run(tmp_path / "long", data_dir, 64, 40)
    df = merged_summary([str(tmp_path / "short"), str(tmp_path / "long")])
    assert sorted(df["run"]) == ["long", "short"]
    assert list(df["aes_vs_own_max_budget"]) == [0.0, 0.0]  # each run is its own baseline, not the other's budget
    assert (
        main(["leaderboard", str(tmp_path / "short"), str(tmp_path / "long"), "--output-path", str(tmp_path / "lb")])
        == 0
    )
    assert "| run |" in (tmp_path / "lb" / "leaderboard.md").read_text()


def test_ctrl_c_on_the_embedded_engine_is_one_line_saying_how_to_resume(tmp_path, data_dir, monkeypatch, capsys):
    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(harness.run, "run", interrupted)
    args = ["run", "--model", "smollm2-135m", "--tasks", "gsm8k", "--budgets", "8", "--output-path", str(tmp_path)]
    assert main(args) == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: interrupted: every record finished so far is kept; rerun the same command")
    assert err.endswith(f"to resume from {tmp_path}") and "\n" not in err


def test_n_ctx_too_small_for_the_prompt_is_one_line_naming_both(tmp_path):
    from harness.engines.llamacpp import LlamaCppEngine

    engine = LlamaCppEngine("smollm2-135m", n_ctx=16)
    with pytest.raises(BadArgumentError, match=r"the prompt needs \d+ tokens, --n-ctx is 16; pass --n-ctx \d+"):
        engine.generate([GenRequest("a prompt much longer than sixteen tokens " * 4, 8, (), 0.0, 1.0, 0)])
    fits = engine.generate([GenRequest("two words", 100, (), 0.0, 1.0, 0)])[0]
    assert fits.finish_reason == "error" and "pass a larger --n-ctx" in fits.error


def test_compare_says_what_config_differs_and_how_many_samples_were_unpaired(tmp_path, data_dir, capsys):
    for name, limit in (("base", 1), ("run", 2)):
        cfg = RunConfig(tasks=["gsm8k"], strategy="plain", budgets=[8], limit=limit, thinking="none")
        engine = ScriptedEngine([("\\boxed{18}", "stop", None)] * limit)
        run(cfg, tmp_path / name, data_dir=data_dir, engine=engine, progress=False, cache=None)
    capsys.readouterr()
    args = ["compare", str(tmp_path / "run"), "--baseline", str(tmp_path / "base"), "--resamples", "10"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "config differs from the baseline's: selection.limit: 1 -> 2" in err
    assert "1 run sample(s) have no baseline sample to pair with" in err


def test_a_stalled_engine_shows_on_the_progress_bar():
    from harness.run.execute import _Stall

    class Bar:
        postfix = None

        def set_postfix(self, **kw):
            self.postfix = kw

    bar = Bar()
    stall = _Stall(bar, after=0.0)
    time.sleep(1.3)
    stall.close()
    assert bar.postfix and bar.postfix["waiting"].endswith("s for the engine")
