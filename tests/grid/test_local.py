"""`harness grid` with the local executor and the embedded model: runs written as `harness run` writes them, a
leaderboard of both, a rerun that skips finished runs, changed settings refused before anything runs, and N
processes giving the same records as one after another."""

import pytest
import yaml

from harness.cli import main
from tests.grid.grids import engine_calls, leaderboard_runs, records_of

pytestmark = pytest.mark.slow


def _grid(grid, out, data_dir, *extra):
    return ["grid", str(grid), "--output-path", str(out), "--data-dir", str(data_dir), "--no-progress", *extra]


def test_each_run_is_a_run_folder_and_the_leaderboard_lists_them(local_grid):
    _, out, records = local_grid
    for run in ("e1", "plain"):
        assert (out / run / "manifest.json").is_file() and (out / run / "summary.csv").is_file()
        assert {(k[0], k[3]) for k in records[run]} == {(t, b) for t in ("gsm8k", "math500") for b in (8, 16)}
        assert len(records[run]) == 8  # 2 tasks x 2 samples x 2 budgets
    assert sorted(p.name for p in (out / "_grid" / "shards" / "e1").iterdir()) == ["0-of-2", "1-of-2"]
    assert leaderboard_runs(out) == {"e1", "plain"}


def test_a_rerun_skips_finished_runs_with_no_engine_call(local_grid, data_dir, capsys):
    grid, out, records = local_grid
    calls = engine_calls(out)
    assert main(_grid(grid, out, data_dir)) == 0
    printed = capsys.readouterr().out
    assert "e1: finished earlier, skipped" in printed and "plain: finished earlier, skipped" in printed
    assert engine_calls(out) == calls and calls["e1/manifest.json"] > 0
    shards = [calls[f"_grid/shards/e1/{i}-of-2/manifest.json"] for i in range(2)]
    assert calls["e1/manifest.json"] == sum(shards)  # the merged run's count is its shards' together
    assert {run: records_of(out / run) for run in records} == records


def test_changed_settings_are_refused_before_anything_runs(local_grid, data_dir, tmp_path, capsys):
    grid, out, _ = local_grid
    spec = yaml.safe_load(grid.read_text())
    spec["runs"][1]["temperature"] = 0.5  # run 'plain' now samples otherwise: its folder holds another run
    changed = tmp_path / "grid.yaml"
    changed.write_text(yaml.safe_dump(spec))
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(_grid(changed, out, data_dir)) == 2
    err = capsys.readouterr().err
    assert "run 'plain'" in err and "holds a different run" in err and "sampling.temperature" in err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before  # nothing written


def test_parallel_processes_give_the_same_records(local_grid, data_dir, tmp_path):
    grid, _, records = local_grid
    assert main(_grid(grid, tmp_path / "out", data_dir, "--parallel", "2")) == 0
    assert {run: records_of(tmp_path / "out" / run) for run in records} == records
