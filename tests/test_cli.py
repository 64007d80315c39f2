"""Each bad input gets one line naming the fix, and nothing is written half-way."""

import json

import pytest

from harness.cli import main


def _err(capsys, argv):
    rc = main(argv)
    return rc, capsys.readouterr().err


def _run_args(tmp_path, *extra, tasks="gsm8k", budgets="8"):
    return ["run", "--tasks", tasks, "--budgets", budgets, "--output-path", str(tmp_path / "out"), *extra]


def test_unknown_task_lists_close_names(capsys, tmp_path, data_dir):
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(data_dir), tasks="gsm8"))
    assert rc == 2 and "unknown task 'gsm8'" in err and "did you mean gsm8k" in err
    assert not (tmp_path / "out").exists()


def _refused(capsys, argv) -> str:
    """The error line of a refused command (exit 2, from argparse or from the run's config)."""
    try:
        rc = main(argv)
    except SystemExit as e:
        rc = e.code
    assert rc == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "budgets,message",
    [("0,64", "--budgets must be positive integers"), ("-5", "positive integers"), ("a,b", "positive integers")]
    + [("64.5", "positive integers")],
)
def test_budgets_must_be_positive_integers(capsys, tmp_path, budgets, message):
    assert message in _refused(capsys, _run_args(tmp_path, budgets=budgets))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "flag,value", [("--limit", "0"), ("--limit", "-1"), ("--n-ctx", "0"), ("--solution-budget", "0")]
)
def test_counts_must_be_positive(capsys, tmp_path, flag, value):
    err = _refused(capsys, _run_args(tmp_path, flag, value))
    assert flag in err and "positive" in err and len(err.strip().splitlines()) == 1


def test_missing_data_file_names_path_and_both_fixes(capsys, tmp_path):
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(tmp_path / "nodata")))
    assert rc == 2 and str(tmp_path / "nodata" / "gsm8k" / "test.jsonl") in err
    assert "--data-dir" in err and "HARNESS_DATA_DIR" in err
    assert not (tmp_path / "out").exists()


def test_local_only_task_without_data_dir(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    rc, err = _err(capsys, _run_args(tmp_path, tasks="gaokao2024_I"))
    assert rc == 2 and "no public hub id" in err and "--data-dir" in err


def test_missing_model_file(capsys, tmp_path, data_dir):
    rc, err = _err(
        capsys, _run_args(tmp_path, "--data-dir", str(data_dir), "--model", f"llama.cpp:{tmp_path}/none.gguf")
    )
    assert rc == 2 and "none.gguf does not exist" in err
    assert not (tmp_path / "out").exists()


def test_unreadable_model_file(capsys, tmp_path, data_dir):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(data_dir), "--model", f"llama.cpp:{bad}"))
    assert rc == 2 and "is not a GGUF file" in err


def test_unknown_model_spec(capsys, tmp_path, data_dir):
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(data_dir), "--model", "gpt-5"))
    assert rc == 2 and "model 'gpt-5' is not known" in err


def test_output_path_with_a_different_run_is_refused(capsys, tmp_path, data_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"config": {"model": "other"}}))
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(data_dir)))
    assert rc == 2 and "holds a different run" in err and "--overwrite" in err
    assert json.loads((out / "manifest.json").read_text()) == {"config": {"model": "other"}}  # nothing lost


def test_output_path_with_foreign_files_is_refused(capsys, tmp_path, data_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(data_dir)))
    assert rc == 2 and "holds no harness run" in err and (out / "notes.txt").read_text() == "mine"


def test_report_of_missing_folder(capsys, tmp_path):
    rc, err = _err(capsys, ["report", str(tmp_path / "nope")])
    assert rc == 2 and "does not exist" in err


def test_tasks_lists_sizes_and_sources(capsys, data_dir):
    assert main(["tasks", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert (
        "gsm8k" in out
        and "1319" in out
        and "openai/gsm8k" in out
        and "group o1pruner: math, gsm8k, gaokao2023en" in out
    )


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ("temperature=-1", "temperature must be >= 0"),
        ("top_p=5", "top_p must lie in (0, 1]"),
        ("top_k=-2", "top_k must be >= 0"),
        ("min_p=2", "min_p must lie in [0, 1]"),
        ("repetition_penalty=0", "repetition_penalty must be > 0"),
        ("presence_penalty=3", "presence_penalty must lie in"),
    ],
)
def test_sampling_settings_out_of_range_are_refused(capsys, tmp_path, data_dir, kwargs, message):
    rc, err = _err(capsys, _run_args(tmp_path, "--data-dir", str(data_dir), "--gen-kwargs", kwargs))
    assert rc == 2 and message in err and not (tmp_path / "out").exists()


def test_unknown_gen_kwarg_suggests_the_name(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(_run_args(tmp_path, "--gen-kwargs", "topk=20"))
    assert "did you mean top_k?" in capsys.readouterr().err


def test_missing_chat_template_file_is_one_line_before_any_output(capsys, tmp_path, data_dir):
    rc, err = _err(
        capsys, _run_args(tmp_path, "--data-dir", str(data_dir), "--chat-template", str(tmp_path / "no.jinja"))
    )
    assert rc == 2 and "--chat-template" in err and "no.jinja" in err and not (tmp_path / "out").exists()


def test_wait_on_a_model_without_thinking_names_the_fix(capsys, tmp_path, data_dir):
    rc, err = _err(
        capsys, _run_args(tmp_path, "--data-dir", str(data_dir), "--strategy", "s1", "--wait", "2", "--limit", "1")
    )
    assert rc == 2 and "does not think" in err and "--thinking" in err and not (tmp_path / "out").exists()


def test_a_budget_beyond_any_context_is_refused_up_front(capsys):
    from harness.run import RunConfig

    with pytest.raises(SystemExit) as e:
        main(["run", "--model", "smollm2-135m", "--tasks", "gsm8k", "--budgets=99999999999999999999999"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "budget 99999999999999999999999 is beyond any model's context" in err
    with pytest.raises(ValueError, match="budget 99999999999999999999999 is beyond"):
        RunConfig(tasks=["gsm8k"], budgets=[99999999999999999999999])
