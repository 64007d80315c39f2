"""Sharded runs merged into one: the union of the shards equals the unsharded run; mismatches are refused."""

import json

import pytest

from harness.cli import main
from harness.errors import BadArgumentError
from harness.run.merge import in_shard, merge, parse_shard
from harness.records import read_records
from harness.run import RunConfig, run
from tests.scripted import ScriptedEngine

REPLY = [("a b c d", "length", None), ("\\boxed{3}", "stop", None)]


def _run(tmp_path, data_dir, name, **kw):
    cfg = RunConfig(tasks=["gsm8k"], budgets=[4], limit=6, solution_budget=4, **kw)
    run(cfg, tmp_path / name, data_dir=data_dir, engine=ScriptedEngine(REPLY * 6), progress=False, cache=None)
    return tmp_path / name


def test_shards_partition_the_samples_and_merge_back(tmp_path, data_dir, capsys):
    whole = {r.key(): r for r in read_records(_run(tmp_path, data_dir, "all") / "records.jsonl")}
    shards = [_run(tmp_path, data_dir, f"s{i}", shard=f"{i}/3") for i in range(3)]
    parts = [{r.key() for r in read_records(s / "records.jsonl")} for s in shards]
    assert sum(map(len, parts)) == len(whole) == 6 and set().union(*parts) == set(whole)
    assert main(["merge", *map(str, shards), "--output-path", str(tmp_path / "merged")]) == 0
    merged = {r.key(): r for r in read_records(tmp_path / "merged" / "records.jsonl")}
    assert {k: r.correct for k, r in merged.items()} == {k: r.correct for k, r in whole.items()}
    manifest = json.loads((tmp_path / "merged" / "manifest.json").read_text())
    assert manifest["config"]["selection"]["shard"] is None and len(manifest["shards"]) == 3
    assert (tmp_path / "merged" / "summary.csv").is_file() and "| gsm8k | e1 | 4 | 6 |" in capsys.readouterr().out


def test_merge_refuses_mismatched_missing_or_repeated_shards(tmp_path, data_dir):
    a = _run(tmp_path, data_dir, "a", shard="0/2")
    b = _run(tmp_path, data_dir, "b", shard="1/2", seed=7)
    with pytest.raises(BadArgumentError, match=r"different config .*\(sampling\.seed\)"):
        merge([str(a), str(b)], tmp_path / "m1")
    with pytest.raises(BadArgumentError, match=r"shards \[1\] are missing"):
        merge([str(a)], tmp_path / "m2")
    assert merge([str(a)], tmp_path / "m3", allow_partial=True).is_dir()
    with pytest.raises(BadArgumentError, match="given once"):
        merge([str(a), str(a)], tmp_path / "m4")


@pytest.mark.parametrize("text", ["2/2", "x/3", "1", "-1/2"])
def test_bad_shard_specs(text):
    with pytest.raises(BadArgumentError, match="I/N"):
        parse_shard(text)


def test_the_split_is_stable():
    assert [in_shard("gsm8k", str(i), (0, 2)) for i in range(8)] == [
        in_shard("gsm8k", str(i), (0, 2)) for i in range(8)
    ]


def test_merge_refuses_shards_run_on_other_data(tmp_path, data_dir):
    a = _run(tmp_path, data_dir, "a", shard="0/2")
    other = tmp_path / "data"
    (other / "gsm8k").mkdir(parents=True)
    rows = [json.loads(line) for line in (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines()]
    rows[0]["answer"] = rows[0]["answer"].rsplit("####", 1)[0] + "#### 12345"  # one gold changed
    (other / "gsm8k" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = RunConfig(tasks=["gsm8k"], budgets=[4], limit=6, solution_budget=4, shard="1/2")
    run(cfg, tmp_path / "b", data_dir=other, engine=ScriptedEngine(REPLY * 6), progress=False, cache=None)
    with pytest.raises(BadArgumentError, match=r"other inputs than .*task gsm8k data"):
        merge([str(a), str(tmp_path / "b")], tmp_path / "m")
    assert not (tmp_path / "m").exists()
