"""A grid file is checked whole before anything starts: each refusal names the file, the run and the field, and
leaves the output folder unmade."""

from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.grid.spec import load_grid

BASE = {"defaults": {"tasks": ["gsm8k"], "budgets": [8, 16], "limit": 2}}


def _write(tmp_path, runs, **top):
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({**BASE, **top, "runs": runs}))
    return path


def _refused(tmp_path, capsys, runs, **top) -> str:
    path = _write(tmp_path, runs, **top)
    assert main(["grid", str(path), "--output-path", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()  # refused before anything started
    return capsys.readouterr().err


def test_an_unknown_field_is_refused_naming_the_run_and_the_field(tmp_path, capsys):
    err = _refused(tmp_path, capsys, [{"name": "a"}, {"name": "b", "temprature": 0.6}])
    assert "grid.yaml: run 'b'" in err and "temprature is not an option" in err and "did you mean temperature" in err


def test_a_duplicate_run_name_is_refused(tmp_path, capsys):
    err = _refused(tmp_path, capsys, [{"name": "a"}, {"matrix": {"strategy": ["e1", "plain"]}, "name": "a"}])
    assert "duplicate run name 'a'" in err and "entries 1 and 2" in err


@pytest.mark.parametrize(
    "run,field",
    [
        ({"name": "bad", "temperature": -1}, "temperature must be >= 0"),
        ({"name": "bad", "budgets": [0, 8]}, "--budgets must be positive integers"),
        ({"name": "bad", "sampling": {"top_p": 0}}, "top_p must lie in (0, 1]"),
        ({"name": "bad", "strategy": "nope"}, "unknown strategy 'nope'"),
        ({"name": "bad", "tasks": ["gsm8"]}, "unknown task 'gsm8'"),
        ({"name": "bad", "shards": 0}, "shards: Input should be greater than or equal to 1"),
        ({"name": "bad", "shards": 2, "shard": "0/2"}, "both split it"),
        ({"name": "bad", "model": "gpt-5"}, "model 'gpt-5' is not known"),
    ],
)
def test_an_invalid_run_config_is_refused_naming_the_run(tmp_path, capsys, run, field):
    err = _refused(tmp_path, capsys, [{"name": "good"}, run])
    assert "run 'bad'" in err and field in err and len(err.strip().splitlines()) == 1


def test_the_file_itself_is_checked(tmp_path, capsys):
    assert "unknown field 'run' at the top" in _refused(tmp_path, capsys, [{"name": "a"}], run=[])
    assert "needs a name:" in _refused(tmp_path, capsys, [{"strategy": "plain"}])
    assert "needs a name:" in _refused(tmp_path, capsys, [{"name": "_grid"}])
    assert "the grid's leaderboard folder" in _refused(tmp_path, capsys, [{"name": "leaderboard"}])


def test_a_matrix_expands_to_named_runs_over_the_defaults(tmp_path):
    grid = load_grid(
        _write(
            tmp_path,
            [
                {"name": "base"},
                {"matrix": {"model": ["smollm2-135m", "llama.cpp:/m/qwen.gguf"], "strategy": ["e1", "plain"]}},
                {"matrix": {"sampling.temperature": [0.6]}, "name": "t{sampling_temperature}", "n": 2, "shards": 3},
            ],
        )
    )
    names = [r.name for r in grid.runs]
    assert names == ["base", "smollm2-135m-e1", "smollm2-135m-plain", "qwen-e1", "qwen-plain", "t0.6"]
    qwen = grid.runs[4].config
    assert (qwen.engine.model, qwen.strategy.name, qwen.selection.limit) == ("llama.cpp:/m/qwen.gguf", "plain", 2)
    last = grid.runs[-1]
    assert (last.config.sampling.temperature, last.config.sampling.n, last.shards) == (0.6, 2, 3)


def test_each_run_declares_what_its_engine_needs(tmp_path):
    runs = [
        {"name": "cpp", "n_threads": 4},
        {"name": "vllm", "model": "vllm:Qwen/Qwen3-8B", "tensor_parallel_size": 2},
        {"name": "multinode", "model": "vllm:Qwen/Qwen3-235B", "tensor_parallel_size": 16},
        {"name": "pinned", "resources": {"num_gpus": 1, "custom": {"big_node": 1}}},
    ]
    runs[2]["distributed_executor_backend"] = "ray"
    grid = load_grid(_write(tmp_path, runs))
    got = {r.name: r.declared().model_dump() for r in grid.runs}
    assert got["cpp"] == {"num_cpus": 4.0, "num_gpus": 0.0, "custom": {}}
    assert got["vllm"] == {"num_cpus": 1.0, "num_gpus": 2.0, "custom": {}}
    assert got["multinode"]["num_gpus"] == 0.0  # vLLM's Ray executor places its own GPU workers
    assert got["pinned"] == {"num_cpus": 1.0, "num_gpus": 1.0, "custom": {"big_node": 1.0}}


def test_the_demo_grid_in_the_docs_is_valid():
    grid = load_grid(Path(__file__).resolve().parents[2] / "docs" / "grid_demo.yaml")
    assert [r.name for r in grid.runs] == ["e1", "plain", "l1", "e1-sampled"]
    assert grid.runs[3].config.sampling.temperature == 0.6 and grid.runs[3].config.strategy.name == "e1"
