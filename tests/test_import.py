"""`harness import`: generations made elsewhere become a run folder that report, compare, leaderboard and gate read.

The input files are written here in the two formats' real field layouts: lm-eval 0.4 `--log_samples`
(`samples_<task>_<date>.jsonl`: doc_id, doc, target, arguments, resps, filtered_resps, filter, metrics,
exact_match) and Qwen2.5-Math's `math_eval.py --save_outputs` dumps (idx, question, gt, code, pred, score), with
questions taken from the vendored MATH-500 and GSM8K sets."""

import json
import re

import pytest

from harness import load_task
from harness.cli import main
from harness.errors import BadArgumentError
from harness.importers import import_generations, read_generations
from harness.manifest import MANIFEST_VERSION, read_manifest
from harness.records import read_records


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def math500(data_dir):
    return load_task("math500", data_dir=data_dir).samples[:3]


def qwen_rows(samples, right=(True, False, None)):
    """Row 0 answered right, row 1 wrong, row 2 cut off in its thinking (Sky-T1's markers)."""
    rows = []
    for i, (s, ok) in enumerate(zip(samples, right)):
        if ok is None:
            code = "<|begin_of_thought|>\n\nLet me try x = 3. Then 2x = 6, so maybe"
        else:
            code = f"Working.\n\nTherefore, the answer is $\\boxed{{{s.gold if ok else '0.123'}}}$."
        rows.append(
            {
                "idx": i,
                "question": s.question,
                "gt_cot": "None",
                "gt": s.gold,
                "code": [code],
                "pred": [s.gold if ok else "0.123"],
                "report": [None],
                "score": [bool(ok)],
            }
        )
    return rows


def test_import_qwen_math_dump_grades_with_our_task(tmp_path, math500, data_dir):
    src = _write(tmp_path / "test_qwen25-math-cot_-1_seed0_t0.0_s0_e-1.jsonl", qwen_rows(math500))
    out = import_generations([str(src)], tmp_path / "run", model="published-7b", task="math500", data_dir=data_dir)
    recs = read_records(out / "records.jsonl")
    assert [r.sample_id for r in recs] == [s.id for s in math500]
    assert [r.correct for r in recs] == [True, False, False]
    assert recs[2].verdict_reason == "thinking_not_closed" and not recs[2].thinking_closed
    assert recs[0].gold == math500[0].gold and recs[0].strategy == "imported" and recs[0].model == "published-7b"
    m = read_manifest(out / "manifest.json")
    assert (
        m.imported["formats"] == ["qwen-math"]
        and m.imported["published_verdicts"] == 3
        and m.version == MANIFEST_VERSION
    )


def test_import_lm_eval_log_samples_with_file_gold(tmp_path, data_dir):
    gsm = load_task("gsm8k", data_dir=data_dir).samples[:2]
    rows = [
        {
            "doc_id": i,
            "doc": {"question": s.question, "answer": f"...\n#### {s.gold}"},
            "target": s.gold,
            "arguments": {
                "gen_args_0": {"arg_0": f"Question: {s.question}\nAnswer:", "arg_1": {"until": ["Question:"]}}
            },
            "resps": [[f"She makes {s.gold if i == 0 else 1} dollars.\nThe answer is {s.gold if i == 0 else 1}."]],
            "filtered_resps": [s.gold if i == 0 else "1"],
            "filter": "strict-match",
            "metrics": ["exact_match"],
            "doc_hash": "x",
            "prompt_hash": "y",
            "target_hash": "z",
            "exact_match": 1.0 if i == 0 else 0.0,
        }
        for i, s in enumerate(gsm)
    ]
    src = _write(tmp_path / "samples_gsm8k_2024-11-02T10-00-00.123456.jsonl", rows)
    gens = read_generations(src)
    assert [g.task for g in gens] == ["gsm8k", "gsm8k"] and [g.published_correct for g in gens] == [True, False]
    out = import_generations([str(src)], tmp_path / "run", model="m", answer_type="number")
    recs = read_records(out / "records.jsonl")
    assert [r.task for r in recs] == ["gsm8k", "gsm8k"] and [r.correct for r in recs] == [True, False]


def test_import_refuses_unknown_format_naming_expected_fields(tmp_path):
    src = _write(tmp_path / "x.jsonl", [{"prompt": "2+2?", "completion": "4"}])
    with pytest.raises(BadArgumentError) as e:
        read_generations(src)
    msg = str(e.value)
    assert "\n" not in msg and "doc_id" in msg and "resps" in msg and "question|problem" in msg and "completion" in msg


def test_cli_import_then_report_compare_leaderboard_gate(tmp_path, math500, data_dir, capsys):
    a = _write(tmp_path / "a.jsonl", qwen_rows(math500, (True, True, False)))
    b = _write(tmp_path / "b.jsonl", qwen_rows(math500, (True, False, False)))
    for name, src in (("A", a), ("B", b)):
        assert (
            main(
                [
                    "import",
                    str(src),
                    "--output-path",
                    str(tmp_path / name),
                    "--model",
                    name,
                    "--task",
                    "math500",
                    "--data-dir",
                    str(data_dir),
                ]
            )
            == 0
        )
    assert (tmp_path / "A" / "summary.csv").is_file()
    assert main(["report", str(tmp_path / "A")]) == 0
    assert main(["compare", str(tmp_path / "A"), "--baseline", str(tmp_path / "B"), "--resamples", "50"]) == 0
    assert main(["gate", str(tmp_path / "A"), "--baseline", str(tmp_path / "B"), "--resamples", "50"]) in (0, 1)
    assert main(["leaderboard", str(tmp_path / "A"), str(tmp_path / "B"), "--output-path", str(tmp_path / "lb")]) == 0
    assert (tmp_path / "lb" / "leaderboard.csv").is_file()
    capsys.readouterr()
    bad = _write(tmp_path / "bad.jsonl", [{"text": "hi"}])
    assert main(["import", str(bad), "--output-path", str(tmp_path / "C"), "--model", "c"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"harness: error: {bad}:1: unknown generations format") and len(err.splitlines()) == 1


def test_import_keeps_seed_files_apart_and_refuses_a_repeated_idx(tmp_path, math500, data_dir):
    seed0 = _write(tmp_path / "seed0.jsonl", qwen_rows(math500, (True, False, True)))
    seed1 = _write(tmp_path / "seed1.jsonl", qwen_rows(math500, (False, True, True)))
    out = import_generations([str(seed0), str(seed1)], tmp_path / "run", model="m", task="math500", data_dir=data_dir)
    recs = read_records(out / "records.jsonl")  # refused duplicate keys before
    assert len(recs) == 6 and sorted({r.seed for r in recs}) == [0, 1]
    assert [r.correct for r in recs if r.seed == 0] == [True, False, True]
    assert [r.correct for r in recs if r.seed == 1] == [False, True, True]
    rows = qwen_rows(math500)
    rows[2]["idx"] = 0  # rows 1 and 3 both say idx 0
    src = _write(tmp_path / "dup.jsonl", rows)
    with pytest.raises(BadArgumentError, match=r"dup.jsonl: rows 1 and 3 are both sample '0'"):
        import_generations([str(src)], tmp_path / "dup", model="m")
    assert not (tmp_path / "dup").exists()


LM_ROW = {"doc_id": 0, "doc": {"question": "2+2?"}, "target": "4", "resps": [["4"]]}


@pytest.mark.parametrize(
    "line, says",
    [
        (json.dumps({**LM_ROW, "doc": "2+2?"}), "`doc` is a str, not an object"),
        (json.dumps({**LM_ROW, "doc": {}, "arguments": {"gen_args_0": "2+2?"}}), "`arguments` holds a str"),
        (json.dumps({**LM_ROW, "doc": {}, "arguments": "2+2?"}), "`arguments` is a str"),
        (json.dumps({**LM_ROW, "resps": "abc"}), "`resps` is a str, not a list of responses"),
        (json.dumps({**LM_ROW, "resps": [[{"text": "4"}]]}), "`resps` holds something other than response texts"),
        (json.dumps({"question": "2+2?", "code": [{"text": "4"}]}), "`code` holds objects or lists"),
        (b'{"question": "2+2?", "code": ["\xff4"]}', "is not UTF-8 text (byte 0xff at column 32)"),
        ("[" * 100_000 + "]" * 100_000, "nests JSON too deeply"),
        ("[1, 2]", "a row is a list, not a JSON object"),
    ],
    ids=[
        "doc-str",
        "args-dict-of-str",
        "args-str",
        "resps-str",
        "resps-objects",
        "code-objects",
        "utf8",
        "deep",
        "list",
    ],
)
def test_a_malformed_row_is_a_one_line_error_naming_file_and_line(tmp_path, capsys, line, says):
    src = tmp_path / "gens.jsonl"
    good = json.dumps(LM_ROW if "resps" in str(line) or "doc" in str(line) else {"question": "1+1?", "code": "2"})
    src.write_bytes(good.encode() + b"\n" + (line if isinstance(line, bytes) else line.encode()) + b"\n")
    with pytest.raises(BadArgumentError, match=re.escape(f"{src}:2")) as e:
        read_generations(src)
    assert says in str(e.value) and "\n" not in str(e.value)
    assert main(["import", str(src), "--output-path", str(tmp_path / "out"), "--model", "m"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness: error:") and says in err and "Traceback" not in err
