"""`harness grid --ray ADDRESS` on a real two-node Ray cluster (tests/grid/conftest.py): shards of both runs spread
over both nodes give a local run's records; a node killed mid-grid is a lost node, whose task Ray retries and
which resumes from its own records."""

import json
import subprocess
import sys
import time

import pytest

from tests.grid.grids import engine_calls, leaderboard_runs, records_of, write_grid

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def _grid(grid, out, data_dir, *extra):
    return [sys.executable, "-m", "harness", "grid", str(grid), "--output-path", str(out), "--data-dir",
            str(data_dir), "--no-progress", *extra]  # fmt: skip


def _nodes(out):
    lines = [json.loads(x) for x in (out / "_grid" / "attempts.jsonl").read_text().splitlines()]
    return lines, {x["node"] for x in lines}


def test_grid_on_two_ray_nodes_equals_the_local_run(ray_cluster, local_grid, tmp_path, data_dir):
    grid = write_grid(tmp_path / "grid.yaml")
    out = tmp_path / "out"
    t0 = time.perf_counter()
    done = subprocess.run(_grid(grid, out, data_dir, "--ray", ray_cluster.address), capture_output=True, text=True,
                          env=ray_cluster.env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"ray grid: {time.perf_counter() - t0:.1f} s")
    lines, nodes = _nodes(out)
    assert len(nodes) == 2, lines  # both nodes ran units
    for run in ("e1", "plain"):
        assert records_of(out / run) == local_grid[2][run]
    assert leaderboard_runs(out) == {"e1", "plain"}
    assert "e1: done" in done.stdout and "plain: done" in done.stdout
    calls = engine_calls(out)
    again = subprocess.run(_grid(grid, out, data_dir, "--ray", ray_cluster.address), capture_output=True, text=True,
                           env=ray_cluster.env, timeout=120)  # fmt: skip
    assert again.returncode == 0 and "e1: finished earlier, skipped" in again.stdout
    assert engine_calls(out) == calls and sum(calls.values()) > 0  # the rerun made no engine call


def test_a_node_lost_mid_grid_costs_nothing_and_doubles_nothing(ray_cluster, local_grid, tmp_path, data_dir):
    grid = write_grid(tmp_path / "grid.yaml")
    out = tmp_path / "out"
    proc = subprocess.Popen(_grid(grid, out, data_dir, "--ray", ray_cluster.address), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ray_cluster.env)  # fmt: skip
    try:
        victim, folder = _wait_for_records_on(ray_cluster.second, out, timeout=180)
        ray_cluster.second.kill()
        before = (folder / "records.jsonl").read_text()
        before = before[: before.rfind("\n") + 1]  # whole lines: a line cut by the kill is the resume's to drop
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, stdout[-2000:] + stderr[-3000:]
    lines, _ = _nodes(out)
    starts = [x for x in lines if (x["run"], x["shard"]) == victim and x["event"] == "started"]
    assert len(starts) == 2, lines  # the lost attempt, and Ray's retry
    after = (folder / "records.jsonl").read_text()
    assert after.startswith(before), (before, after)  # the retry resumed: what was written stays
    for run in ("e1", "plain"):
        got, want = records_of(out / run), local_grid[2][run]  # every key once, as the uninterrupted run
        assert got == want, [
            (k, {f: (v, want.get(k, {}).get(f)) for f, v in r.items() if v != want.get(k, {}).get(f)})
            for k, r in got.items()
            if r != want.get(k)
        ]


def _wait_for_records_on(node, out, timeout):
    """(run, shard) and folder of a unit running on `node` that has written a record but not finished."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        path = out / "_grid" / "attempts.jsonl"
        lines = [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []
        done = {(x["run"], tuple(x["shard"] or ())) for x in lines if x["event"] == "finished"}
        for x in lines:
            key = (x["run"], tuple(x["shard"] or ()))
            if x["event"] == "started" and x["pid"] in node.pids() and key not in done:
                folder = (
                    out / x["run"]
                    if not x["shard"]
                    else out / "_grid" / "shards" / x["run"] / "{}-of-{}".format(*x["shard"])
                )
                if (folder / "records.jsonl").is_file() and (folder / "records.jsonl").read_text().count("\n") >= 1:
                    return (x["run"], x["shard"]), folder
        time.sleep(0.05)
    pytest.fail("no unit wrote a record on the second node in time")
