"""The runner with a scripted engine: reuse across budgets, cache, resume, failures, record repair."""

import json

import pytest

from harness.errors import RecordsError
from harness.records import RecordWriter, read_records
from harness.run import RunConfig, run
from tests.scripted import ScriptedEngine

THINK = "s1 s2 s3 s4 s5 s6"


def _cfg(**kw):
    return RunConfig(
        **{"tasks": ["gsm8k"], "strategy": "e1", "budgets": [2, 6], "limit": 2, "solution_budget": 4, **kw}
    )


def _script_e1(n_samples):
    return [
        r
        for _ in range(n_samples)
        for r in [(THINK, "length", None), ("\\boxed{18}", "stop", None), ("\\boxed{3}", "stop", None)]
    ]


def test_reused_sweep_records_say_what_was_derived_and_modelled(tmp_path, data_dir):
    engine = ScriptedEngine(_script_e1(2))
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=engine, progress=False)
    records = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "r" / "records.jsonl")}
    assert len(engine.requests) == 6 and sorted(records) == [("0", 2), ("0", 6), ("1", 2), ("1", 6)]
    small, big = records[("0", 2)], records[("0", 6)]
    assert (
        small.derived_from == 6 and small.latency_modelled and small.thinking == "s1 s2" and small.thinking_tokens == 2
    )
    assert big.derived_from is None and not big.latency_modelled and big.thinking == THINK
    assert small.correct is True and records[("0", 6)].correct is False  # gold of row 0 is 18
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["reuse"] == {"used": True, "why_not": None}
    assert manifest["cache"]["misses"] == 6 and manifest["generated_tokens"] == 2 * (
        6 + 2 + 2
    )  # each solution: 1 token + end-of-sequence


def test_rerun_calls_no_engine_and_keeps_records(tmp_path, data_dir):
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=ScriptedEngine(_script_e1(2)), progress=False)
    before = (tmp_path / "r" / "records.jsonl").read_text()
    idle = ScriptedEngine([])  # any call would fail: the script is empty
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=idle, progress=False)
    assert idle.requests == [] and (tmp_path / "r" / "records.jsonl").read_text() == before


def test_a_lost_record_is_regenerated_from_the_cache(tmp_path, data_dir):
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=ScriptedEngine(_script_e1(2)), progress=False)
    path = tmp_path / "r" / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # as if the run died before the last record was written
    idle = ScriptedEngine([])
    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=idle, progress=False)
    after = read_records(path)
    assert idle.requests == [] and len(after) == 4 and after[-1].cached_calls == 2
    path.write_text("".join(lines))
    assert after[-1].model_dump(exclude={"cached_calls"}) == read_records(path)[-1].model_dump(exclude={"cached_calls"})


def test_no_reuse_and_refused_reuse_sample_every_budget(tmp_path, data_dir):
    script = [
        (THINK[:5], "length", None),
        ("\\boxed{1}", "stop", None),
        (THINK, "length", None),
        ("\\boxed{1}", "stop", None),
    ]
    engine = ScriptedEngine(script)
    run(_cfg(limit=1, reuse=False), tmp_path / "a", data_dir=data_dir, engine=engine, progress=False, cache=None)
    assert [r.max_tokens for r in engine.requests] == [2, 4, 6, 4]
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["reuse"]["why_not"] == "--no-reuse"
    engine = ScriptedEngine([("x", "length", None), ("y", "length", None)])
    run(_cfg(limit=1, strategy="l1"), tmp_path / "b", data_dir=data_dir, engine=engine, progress=False)
    why = json.loads((tmp_path / "b" / "manifest.json").read_text())["reuse"]["why_not"]
    assert "budget into the prompt" in why and len(engine.requests) == 2


def test_a_failed_call_is_a_failed_record_never_a_wrong_answer(tmp_path, data_dir):
    engine = ScriptedEngine([("", "error", None)])
    run(_cfg(limit=1), tmp_path / "r", data_dir=data_dir, engine=engine, progress=False)
    records = read_records(tmp_path / "r" / "records.jsonl")
    assert {r.status for r in records} == {"failed"} and all(r.correct is None for r in records)
    assert all("boom" in r.error for r in records)


def test_half_written_last_line_is_reported_and_repaired(tmp_path, data_dir, capsys):
    run(_cfg(limit=1), tmp_path / "r", data_dir=data_dir, engine=ScriptedEngine(_script_e1(1)), progress=False)
    path = tmp_path / "r" / "records.jsonl"
    good = path.read_bytes()
    path.write_bytes(good + b'{"schema_version": 2, "task": "gs')
    with pytest.raises(RecordsError, match="records.jsonl:3"):
        read_records(path)
    assert len(read_records(path, repair=True)) == 2 and "half-written line" in capsys.readouterr().out
    assert path.read_bytes() == good


def test_corrupt_line_in_the_middle_names_its_number(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('{"not": "a record"}\n\n')
    with pytest.raises(RecordsError, match=r"records.jsonl:1 is not a valid record"):
        read_records(path, repair=True)
    assert RecordWriter  # the writer appends + fsyncs per record (see records.py)


def test_budgets_of_a_reused_sweep_are_compared_as_pairs(tmp_path, data_dir):
    from harness.report.compare import compare_pairs, load_pair

    run(_cfg(), tmp_path / "r", data_dir=data_dir, engine=ScriptedEngine(_script_e1(2)), progress=False)
    runs, base = load_pair(str(tmp_path / "r"), None, "max")
    rows = {c.budget: c for c in compare_pairs(runs, base, resamples=50)}
    assert rows[2].n_pairs == rows[6].n_pairs == 2  # each budget pairs with the same samples at the largest budget
    assert rows[6].d_acc == 0 and rows[6].mcnemar_p == 1.0  # the largest budget against itself


def test_a_choice_answer_naming_the_options_value_counts_as_its_letter(tmp_path, data_dir):
    """gaokao_math_qa row 0: gold D, whose option is $\\{x \\mid 1 \\leq x<2\\}$."""
    engine = ScriptedEngine(
        [
            ("The intersection is \\boxed{\\{x \\mid 1 \\leq x<2\\}}", "stop", None),
            ("The intersection is \\boxed{\\{x \\mid x \\geq 1\\}}", "stop", None),
        ]
    )
    cfg = RunConfig(
        tasks=["gaokao_math_qa"], strategy="plain", budgets=[64], limit=1, thinking="none", n=2, temperature=0.6
    )
    run(cfg, tmp_path / "r", data_dir=data_dir, engine=engine, progress=False, cache=None)
    recs = sorted(read_records(tmp_path / "r" / "records.jsonl"), key=lambda r: r.seed)
    assert [r.correct for r in recs] == [True, False]
