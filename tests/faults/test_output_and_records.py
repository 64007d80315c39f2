"""Faults at the output folder and the records file: second writers, duplicate keys, garbage lines, stale resumes,
--overwrite on a folder that is not a run, and the gate on broken runs. A scripted engine, no model."""

import json
import shutil
import subprocess
import sys

import pytest

from harness.cli import main
from harness.errors import BadArgumentError, OutputExistsError, RecordsError
from harness.importers import import_generations
from harness.records import read_records
from harness.run import RunConfig, run
from harness.run.merge import merge
from harness.run.output import locked, prepare_output, release_output
from tests.scripted import ScriptedEngine

REPLY = [("a b c d", "length", None), ("\\boxed{3}", "stop", None)]


def _cfg(**kw):
    return RunConfig(**{"tasks": ["gsm8k"], "strategy": "e1", "budgets": [4], "limit": 2, "solution_budget": 4, **kw})


def _run(out, data_dir, replies=None, overwrite=False, **kw):
    engine = ScriptedEngine(REPLY * 2 if replies is None else replies)
    run(_cfg(**kw), out, data_dir=data_dir, engine=engine, progress=False, overwrite=overwrite)
    return engine


def test_a_second_writer_is_refused_in_this_process_and_in_another(tmp_path, data_dir):
    out = tmp_path / "r"
    prepare_output(out, _cfg(), False)
    try:
        with pytest.raises(OutputExistsError, match="another harness process is writing"):
            prepare_output(out, _cfg(), False)
        code = (
            "import sys; from pathlib import Path; from harness.run.output import prepare_output; "
            "from harness.run import RunConfig; from harness.errors import OutputExistsError\n"
            "try: prepare_output(Path(sys.argv[1]), RunConfig(tasks=['gsm8k'], budgets=[4]), False)\n"
            "except OutputExistsError as e: print(e); sys.exit(3)"
        )
        p = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 3 and "another harness process" in p.stdout
    finally:
        release_output(out)
    _run(out, data_dir)  # released: the run goes ahead
    assert len(read_records(out / "records.jsonl")) == 2


def test_duplicate_keys_are_refused_by_readers_and_repaired_keeping_the_cache(tmp_path, data_dir, capsys):
    out = tmp_path / "r"
    _run(out, data_dir)
    path = out / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + lines[:1]))  # a second writer's copy of one key
    with pytest.raises(RecordsError, match="harness repair"):
        read_records(path)
    assert main(["report", str(out)]) == 2
    assert main(["compare", str(out), "--baseline-budget", "max"]) == 2
    assert main(["gate", str(out), "--baseline-budget", "max"]) == 2
    assert "duplicate" in capsys.readouterr().err or True
    cache = (out / "cache.sqlite").read_bytes()
    assert main(["repair", str(out)]) == 0
    assert len(read_records(path)) == 2 and (out / "cache.sqlite").read_bytes() == cache
    assert "dropped 1 duplicate" in capsys.readouterr().out


def test_resume_repairs_duplicates_and_counts_each_key_once(tmp_path, data_dir):
    out = tmp_path / "r"
    _run(out, data_dir)
    path = out / "records.jsonl"
    path.write_text(path.read_text() * 2)
    idle = _run(out, data_dir, replies=[])
    assert idle.requests == [] and len(read_records(path)) == 2
    assert "| gsm8k | e1 | 4 | 2 |" in (out / "summary.md").read_text()


def test_a_garbage_line_in_the_middle_is_repaired_keeping_every_good_record(tmp_path, data_dir, capsys):
    out = tmp_path / "r"
    _run(out, data_dir)
    path = out / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "garbage {\n" + lines[1])
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "records.jsonl:2" in err and f"harness repair {out}" in err and "--overwrite" not in err
    assert main(["repair", str(out)]) == 0
    assert len(read_records(path)) == 2 and (out / "records.rejected.jsonl").read_text() == "garbage {\n"
    idle = _run(out, data_dir, replies=[])  # resumes: nothing left to do
    assert idle.requests == []


def test_overwrite_refuses_a_folder_that_holds_no_run_and_does_not_suggest_it(tmp_path, data_dir):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    for overwrite in (False, True):
        with pytest.raises(OutputExistsError, match="holds no harness run") as e:
            run(_cfg(), out, data_dir=data_dir, engine=ScriptedEngine(REPLY * 2), progress=False, overwrite=overwrite)
        assert "pass --overwrite" not in str(e.value)
    assert (out / "thesis.tex").read_text() == "precious"


def test_overwrite_happens_only_after_the_arguments_are_checked(tmp_path, data_dir):
    out = tmp_path / "r"
    _run(out, data_dir)
    with pytest.raises(Exception, match="unknown task"):
        run(_cfg(tasks=["nope"]), out, data_dir=data_dir, engine=ScriptedEngine([]), progress=False, overwrite=True)
    assert len(read_records(out / "records.jsonl")) == 2
    _run(out, data_dir, overwrite=True)
    assert len(read_records(out / "records.jsonl")) == 2


def test_output_path_that_is_a_file_or_under_a_file_is_a_one_line_error(tmp_path, data_dir, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for out in (f, f / "sub"):
        with pytest.raises(OutputExistsError, match="output path"):
            _run(out, data_dir)


def test_resume_on_other_data_rows_is_refused(tmp_path, data_dir):
    out = tmp_path / "r"
    _run(out, data_dir, replies=REPLY, limit=1)
    other = tmp_path / "data"
    (other / "gsm8k").mkdir(parents=True)
    rows = (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines(keepends=True)
    (other / "gsm8k" / "test.jsonl").write_text("".join(reversed(rows)))
    with pytest.raises(OutputExistsError, match="task gsm8k data"):
        run(_cfg(limit=1), out, data_dir=other, engine=ScriptedEngine([]), progress=False)


def test_counts_accumulate_over_resumes(tmp_path, data_dir):
    out = tmp_path / "r"
    _run(out, data_dir, limit=1, replies=REPLY)
    first = json.loads((out / "manifest.json").read_text())
    assert first["engine_calls"] == 2
    _run(out, data_dir, limit=1, replies=[])  # finished: nothing to do
    again = json.loads((out / "manifest.json").read_text())
    assert again["engine_calls"] == 2 and again["generated_tokens"] == first["generated_tokens"]
    assert again["sweep_wall_s"] >= first["sweep_wall_s"]


def test_gate_fails_on_failed_samples_empty_records_and_another_config(tmp_path, data_dir, capsys):
    bad = tmp_path / "bad"
    _run(bad, data_dir, replies=[("", "error", None)] * 2)
    assert main(["gate", str(bad), "--baseline-budget", "max"]) == 1
    assert "2 of 2 samples failed" in capsys.readouterr().out
    good = tmp_path / "good"
    _run(good, data_dir)
    assert main(["gate", str(good), "--baseline", str(good), "--resamples", "20"]) == 0
    empty = tmp_path / "empty"
    shutil.copytree(good, empty)
    (empty / "records.jsonl").write_text("")
    assert main(["gate", str(empty), "--baseline", str(good)]) == 1
    assert "0 record(s), fewer than --min-samples 1" in capsys.readouterr().out
    hot = tmp_path / "hot"
    _run(hot, data_dir, temperature=0.6)
    assert main(["gate", str(hot), "--baseline", str(good), "--resamples", "20"]) == 1
    out = capsys.readouterr()
    assert "temperature: 0.0 -> 0.6" in out.out and "--allow-config-diff sampling.temperature" in out.out
    assert "config differs" in out.err
    args = ["gate", str(hot), "--baseline", str(good), "--resamples", "20", "--allow-config-diff", "temperature"]
    assert main(args) == 0


def test_baseline_budget_that_is_not_a_number_is_a_one_line_error(tmp_path, data_dir, capsys):
    _run(tmp_path / "r", data_dir)
    assert main(["compare", str(tmp_path / "r"), "--baseline-budget", "abc"]) == 2
    assert "--baseline-budget 'abc'" in capsys.readouterr().err


def test_merge_refuses_an_unfinished_shard_and_an_output_that_is_a_file(tmp_path, data_dir):
    shards = [tmp_path / f"s{i}" for i in range(2)]
    for i, s in enumerate(shards):
        _run(s, data_dir, shard=f"{i}/2", limit=4, replies=REPLY * 4)
    m = json.loads((shards[1] / "manifest.json").read_text())
    (shards[1] / "manifest.json").write_text(json.dumps({**m, "finished": None}))
    with pytest.raises(BadArgumentError, match="did not finish"):
        merge([str(s) for s in shards], tmp_path / "m")
    (tmp_path / "f").write_text("x")
    with pytest.raises(BadArgumentError, match="is a file"):
        merge([str(shards[0])], tmp_path / "f")


def test_repair_merge_and_import_are_refused_while_another_process_holds_the_folder(tmp_path, data_dir, capsys):
    out = tmp_path / "r"
    _run(out, data_dir)
    path = out / "records.jsonl"
    path.write_text(path.read_text() * 2)  # duplicates to repair
    before = path.read_text()
    with locked(out):  # a run writing the folder holds its lock (flock: another open file is another holder)
        assert main(["repair", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another harness process is writing" in err and len(err.strip().splitlines()) == 1
        assert path.read_text() == before  # the file the run appends to was not replaced
    assert main(["repair", str(out)]) == 0 and len(read_records(path)) == 2
    shard = tmp_path / "shard"
    _run(shard, data_dir, shard="0/1")
    target = tmp_path / "target"
    target.mkdir()
    with locked(target):  # another process writing the output folder
        with pytest.raises(OutputExistsError, match="another harness process is writing"):
            merge([str(shard)], target)
        src = tmp_path / "gen.jsonl"
        src.write_text(json.dumps({"idx": 0, "question": "1+1?", "gt": "2", "code": ["\\boxed{2}"]}) + "\n")
        with pytest.raises(OutputExistsError, match="another harness process is writing"):
            import_generations([str(src)], target, model="m")
    assert not (target / "records.jsonl").exists()


def test_overwrite_removes_only_the_files_a_run_writes(tmp_path, data_dir, capsys):
    out = tmp_path / "r"
    _run(out, data_dir)
    assert main(["compare", str(out), "--baseline-budget", "max", "--resamples", "10"]) == 0
    (out / "records.rejected.jsonl").write_text("garbage\n")
    (out / "NOTES.md").write_text("my notes")
    _run(out / "second", data_dir)  # a complete run in a subfolder
    (out / "plots").mkdir()
    (out / "plots" / "mine.png").write_bytes(b"png")
    _run(out, data_dir, replies=[("", "error", None)] * 2, overwrite=True)
    assert (out / "NOTES.md").read_text() == "my notes" and (out / "plots" / "mine.png").read_bytes() == b"png"
    assert len(read_records(out / "second" / "records.jsonl")) == 2 and (out / "second" / "manifest.json").is_file()
    assert [r.status for r in read_records(out / "records.jsonl")] == ["failed", "failed"]  # the new run's only
    assert not (out / "records.rejected.jsonl").exists() and not (out / "compare.md").exists()


def test_gate_refuses_a_killed_run_and_a_broken_baseline_saying_which_side(tmp_path, data_dir, capsys):
    good = tmp_path / "good"
    _run(good, data_dir, limit=8, replies=REPLY * 8)
    killed = tmp_path / "killed"
    shutil.copytree(good, killed)
    m = json.loads((killed / "manifest.json").read_text())
    (killed / "manifest.json").write_text(json.dumps({**m, "finished": None}))
    assert main(["gate", str(killed), "--baseline", str(good), "--resamples", "20"]) == 1
    out = capsys.readouterr().out
    assert f"the run {killed} did not finish" in out and "gate passed" not in out
    broken = tmp_path / "broken"  # 7 of 8 baseline samples failed
    _run(broken, data_dir, limit=8, replies=[("", "error", None)] * 7 + REPLY)
    assert main(["gate", str(good), "--baseline", str(broken), "--resamples", "20"]) == 1
    out = capsys.readouterr().out
    assert f"the baseline {broken} is broken: 7 of 8 samples failed" in out and "the run " not in out
    assert main(["gate", str(good), "--baseline", str(good), "--resamples", "20"]) == 0


def test_an_impossible_budget_is_refused_before_the_model_loads_naming_it(tmp_path, data_dir, capsys):
    args = ["run", "--model", "llama.cpp:/nonexistent.gguf", "--tasks", "gsm8k", "--data-dir", str(data_dir)]
    args += ["--budgets", "16,9000", "--n-ctx", "8192", "--output-path", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--budgets 9000" in err and "--n-ctx 8192" in err and "nonexistent" not in err
    assert not (tmp_path / "r").exists()


def test_a_run_whose_every_sample_failed_exits_non_zero(tmp_path, data_dir, monkeypatch, capsys):
    import harness.run

    replies = iter([[("", "error", None)] * 2, REPLY * 2])

    def scripted(cfg, out, **kw):
        return run(cfg, out, **{**kw, "engine": ScriptedEngine(next(replies))})

    monkeypatch.setattr(harness.run, "run", scripted)
    args = ["run", "--tasks", "gsm8k", "--budgets", "4", "--solution-budget", "4", "--limit", "2", "--no-progress"]
    args += ["--data-dir", str(data_dir), "--output-path", str(tmp_path / "r")]
    assert main(args) == 1
    assert "every one of the 2 samples failed" in capsys.readouterr().err
    assert main(args) == 0  # the rerun retries them, and they succeed


def test_a_grading_timeout_is_no_verdict_the_gate_refuses_it_and_a_resume_grades_it_again(tmp_path, data_dir):
    from harness.report.compare import run_problems
    from harness.report.metrics import summarize

    out = tmp_path / "r"
    _run(out, data_dir)
    path = out / "records.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0].update(correct=None, extracted=None, verdict_reason="grading_timeout")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    row = summarize(read_records(path)).iloc[0]
    assert (row["n"], row["n_grading_timeout"]) == (2, 1)  # counted apart, left out of the accuracy
    assert row["accuracy"] == float(rows[1]["correct"])
    assert any("could not be graded (grading_timeout" in p for p in run_problems(out, None))
    again = _run(out, data_dir, replies=[])  # the calls come back from the cache: only the grading is redone
    assert again.requests == []
    assert all(r.verdict_reason != "grading_timeout" and r.correct is not None for r in read_records(path))
