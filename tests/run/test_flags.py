"""One schema, three faces: RunConfig's fields are `harness run`'s flags (a flag for every field, a field for every
flag but the few listed session flags), a --config file holds the same fields (flags override it), and a config
written to YAML round-trips through a real run's manifest to an equal RunConfig."""

import json

import pytest
import yaml

from harness.cli import main, run_config
from harness.cli_args import RUN_SESSION_FLAGS, build_parser
from harness.errors import BadArgumentError
from harness.run.config import RunConfig
from harness.run.flags import COMPOSITES, options


def _run_parser():
    return build_parser()._subparsers._group_actions[0].choices["run"]


def test_a_flag_for_every_field_and_a_field_for_every_flag():
    flags = {a.option_strings[0]: a.dest for a in _run_parser()._actions if a.option_strings and a.dest != "help"}
    fields = {o.dest: o for o in options()}
    direct = {o.flag_name: o.dest for o in fields.values() if not o.flag.via}
    via = {o.dest: o.flag.via for o in fields.values() if o.flag.via}
    assert set(flags) == set(direct) | set(COMPOSITES) | set(RUN_SESSION_FLAGS)  # a field for every flag
    assert all(flags[f] == dest for f, dest in direct.items())  # each sets its own field
    assert set(direct.values()) | set(via) == set(fields)  # a flag for every field
    assert set(via.values()) == set(COMPOSITES) and "sampling.temperature" in via
    assert len(fields) > 55 and "engine.distributed_executor_backend" in direct.values()


def test_every_field_a_flag_sets_lands_in_the_config():
    """One value per generated flag, all at once: the config holds each where its field is."""
    argv = ["run", "--output-path", "o", "--tasks", "gsm8k,math500", "--budgets", "8,16", "--model", "vllm:m"]
    argv += ["--n-ctx", "512", "--server-args", "repeat_penalty=1.1", "--continue-via", "prefix", "--stream"]
    argv += ["--think-markers", "<a>,</a>", "--chat-template-kwargs", "enable_thinking=false", "--no-reuse"]
    argv += ["--include-path", "x", "--include-path", "y", "--pass-k", "1,2", "--n", "2", "--code-tests-dir", "t"]
    argv += ["--gen-kwargs", "temperature=0.7,top_k=20,ignore_eos=true", "--distributed-executor-backend", "ray"]
    cfg = run_config(build_parser().parse_args(argv))
    assert (cfg.engine.model, cfg.engine.n_ctx, cfg.engine.server_args) == ("vllm:m", 512, {"repeat_penalty": 1.1})
    assert (cfg.engine.continue_via, cfg.engine.stream, cfg.engine.distributed_executor_backend) == (
        "prefix",
        True,
        "ray",
    )
    assert cfg.prompt.think_markers == ["<a>", "</a>"] and cfg.prompt.chat_template_kwargs == {"enable_thinking": False}
    assert (cfg.sampling.temperature, cfg.sampling.top_k, cfg.sampling.ignore_eos) == (0.7, 20, True)
    assert (cfg.sampling.n, cfg.sampling.pass_k, cfg.code.tests_dir) == (2, [1, 2], "t")
    assert cfg.selection.include_path == ["x", "y"] and not cfg.strategy.reuse


def test_flags_override_the_config_file(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("tasks: [gsm8k]\nbudgets: [8, 16]\nlimit: 3\nsampling:\n  temperature: 0.5\n  seed: 4\n")
    args = ["run", "--config", str(path), "--output-path", "o", "--gen-kwargs", "temperature=0.7", "--limit", "5"]
    cfg = run_config(build_parser().parse_args(args))
    assert (cfg.sampling.temperature, cfg.sampling.seed, cfg.selection.limit) == (0.7, 4, 5)
    assert cfg.strategy.budgets == [8, 16] and cfg.selection.tasks == ["gsm8k"]


def test_a_config_file_names_what_is_wrong(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text("tasks: [gsm8k]\nbudgets: [8]\ntemprature: 0.6\n")
    with pytest.raises(BadArgumentError, match="temprature is not an option of this run .did you mean temperature"):
        run_config(build_parser().parse_args(["run", "--config", str(path), "--output-path", "o"]))
    with pytest.raises(BadArgumentError, match=r"--tasks is required \(selection.tasks: in a config file\)"):
        run_config(build_parser().parse_args(["run", "--budgets", "8", "--output-path", "o"]))


@pytest.mark.slow
def test_a_yaml_config_round_trips_through_the_manifest(tmp_path, data_dir):
    cfg = RunConfig(
        tasks=["gsm8k"],
        budgets=[8, 16],
        strategy="plain",
        limit=1,
        seed=3,
        top_p=0.9,
        n_ctx=1024,
        n_threads=1,
        system="Be brief.",
        instruction="Answer with a number.",
        release="release_v5",
        log_samples=True,
    )
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    out = tmp_path / "out"
    base = ["run", "--output-path", str(out), "--data-dir", str(data_dir), "--no-progress"]
    assert main([*base, "--config", str(path)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert RunConfig.model_validate(manifest["config"]) == cfg
    calls = manifest["engine_calls"]
    assert main([*base, "--config", str(out / "manifest.json")]) == 0  # the manifest as a config: the same run
    assert json.loads((out / "manifest.json").read_text())["engine_calls"] == calls  # resumed, nothing to do
