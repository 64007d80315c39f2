"""Bad inputs get one line naming the bad value and the fix (exit 2), before any model loads: task files, data
files, the response cache, an empty shard. The scripted engine stands in for a model."""

import json
import time

import pytest

from harness.cache import ResponseCache
from harness.cli import main
from harness.data import read_jsonl
from harness.errors import BadArgumentError, DataNotFoundError
from harness.run import RunConfig, run
from harness.tasks import extract_gold, load_specs
from harness.records import read_records
from tests.scripted import CHATML, ScriptedEngine


def _task_yaml(folder, name, task="mytask"):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(
        f"task: {task}\nfolder: gsm8k\nanswer_type: number\ngold: {{field: answer, extract: int}}\n"
        "question: '{question}'\n"
    )


def test_malformed_yaml_in_a_task_file_is_one_line_naming_the_file(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("task: [unclosed\n")
    assert main(["tasks", "--include-path", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml is not valid YAML" in err and len(err.strip().splitlines()) == 1


def test_a_task_named_like_a_built_in_and_a_missing_include_path_are_refused(tmp_path):
    _task_yaml(tmp_path, "gsm8k.yaml", task="gsm8k")
    with pytest.raises(BadArgumentError, match=r"gsm8k.yaml names task 'gsm8k', already defined by .*tasks"):
        load_specs([str(tmp_path)])
    with pytest.raises(BadArgumentError, match="--include-path .*nowhere is not a folder"):
        load_specs([str(tmp_path / "nowhere")])
    other = tmp_path / "other"
    _task_yaml(other, "mine.yaml")
    assert "mytask" in load_specs([str(other)])[0]


def test_extract_int_on_text_names_the_gold_and_the_fix(tmp_path):
    _task_yaml(tmp_path, "mine.yaml")
    spec = load_specs([str(tmp_path)])[0]["mytask"]
    with pytest.raises(BadArgumentError, match="gold .seven. in field .answer. is not a number.*extract: int"):
        extract_gold(spec, {"answer": "seven"})
    assert extract_gold(spec, {"answer": " 1,000 "}) == "1000"


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"question": "caf\xe9"}\n', "is not UTF-8"),
        (b'["a", "row"]\n', "is a JSON list, not an object"),
        (b"", "holds no rows"),
        (b"\n\n", "holds no rows"),
    ],
)
def test_bad_data_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "test.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataNotFoundError, match=message):
        read_jsonl(path)


def test_an_empty_data_file_fails_before_the_model_loads(tmp_path, capsys):
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k" / "test.jsonl").write_text("")
    args = [
        "run",
        "--model",
        "llama.cpp:/nonexistent.gguf",
        "--tasks",
        "gsm8k",
        "--budgets",
        "4",
        "--data-dir",
        str(tmp_path),
    ]
    assert main([*args, "--output-path", str(tmp_path / "r")]) == 2
    assert "holds no rows" in capsys.readouterr().err


def test_an_empty_shard_is_refused_before_the_model_loads(tmp_path, data_dir):
    shard = next(f"{i}/50" for i in range(50) if i != 0)  # with one sample, at most one shard is not empty
    for s in ("0/50", shard):
        try:
            run(
                RunConfig(tasks=["gsm8k"], budgets=[4], limit=1, shard=s),
                tmp_path / s.replace("/", "_"),
                data_dir=data_dir,
                engine=ScriptedEngine([("a", "stop", None)] * 2),
                progress=False,
            )
        except BadArgumentError as e:
            assert "no samples to run" in str(e)
            return
    pytest.fail("no empty shard was refused")


@pytest.mark.parametrize("kind", ["folder", "corrupt"])
def test_a_cache_that_is_a_folder_or_corrupt_is_a_one_line_error(tmp_path, kind):
    path = tmp_path / "c.sqlite"
    path.mkdir() if kind == "folder" else path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BadArgumentError, match=r"--cache .*c.sqlite cannot be used .*--no-cache, or --cache NEW_FILE"):
        ResponseCache(path)


def test_a_missing_chat_template_file_is_one_line(tmp_path, data_dir, capsys):
    args = ["run", "--model", "smollm2-135m", "--tasks", "gsm8k", "--budgets", "4", "--data-dir", str(data_dir)]
    assert main([*args, "--chat-template", str(tmp_path / "nope.jinja"), "--output-path", str(tmp_path / "r")]) == 2
    assert "--chat-template" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_overwrite_with_a_bad_argument_keeps_the_old_run(tmp_path, data_dir, capsys):
    out = tmp_path / "r"
    cfg = RunConfig(tasks=["gsm8k"], budgets=[4], limit=1, solution_budget=4)
    run(
        cfg,
        out,
        data_dir=data_dir,
        engine=ScriptedEngine([("a b c d", "length", None), ("x", "stop", None)]),
        progress=False,
    )
    before = (out / "records.jsonl").read_text()
    args = ["run", "--model", "openai:m", "--tasks", "gsm8k", "--budgets", "4", "--data-dir", str(data_dir)]
    assert main([*args, "--output-path", str(out), "--overwrite"]) == 2  # no --base-url
    assert "--base-url" in capsys.readouterr().err and (out / "records.jsonl").read_text() == before


def test_duplicate_sample_ids_in_a_data_file_are_refused_naming_them(tmp_path, capsys):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "dup.yaml").write_text(
        "task: duptask\nfolder: dupdata\nanswer_type: number\nid_field: id\ngold: {field: answer}\n"
        "question: '{question}'\n"
    )
    (tmp_path / "dupdata").mkdir()
    rows = [{"id": i, "question": f"q{n}", "answer": str(n)} for n, i in enumerate(["a", "b", "a", "c", "b"])]
    (tmp_path / "dupdata" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["run", "--model", "llama.cpp:/nonexistent.gguf", "--tasks", "duptask", "--budgets", "4"]
    args += ["--include-path", str(tasks), "--data-dir", str(tmp_path), "--output-path", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "2 sample id(s) repeat" in err and "'a' (rows 1, 3)" in err and "'b' (rows 2, 5)" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r").exists()


def test_a_template_that_fails_on_one_question_fails_that_sample_only(tmp_path, data_dir):
    template = tmp_path / "t.jinja"
    template.write_text(
        "{% if 'Janet' in messages[-1]['content'] %}{{ raise_exception('no ducks here') }}{% endif %}" + CHATML
    )
    cfg = RunConfig(tasks=["gsm8k"], budgets=[4], limit=2, strategy="plain", chat_template=str(template))
    run(cfg, tmp_path / "r", data_dir=data_dir, engine=ScriptedEngine([("x", "stop", None)] * 2), progress=False)
    first, second = sorted(read_records(tmp_path / "r" / "records.jsonl"), key=lambda r: r.index)
    assert first.status == "failed" and "chat template failed" in first.error and "no ducks here" in first.error
    assert second.status == "ok"


def test_a_template_that_loops_for_minutes_is_stopped_at_start_up(monkeypatch):
    from harness import prompts

    monkeypatch.setattr(prompts, "RENDER_TIMEOUT_S", 0.5)
    slow = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}" + CHATML
    t0 = time.perf_counter()
    with pytest.raises(BadArgumentError, match=r"does not render .*took over 0.5 s to render.*--chat-template FILE"):
        prompts.settle_format(ScriptedEngine([]), prompts.PromptSettings(chat_template=slow))
    assert time.perf_counter() - t0 < 5
