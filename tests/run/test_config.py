"""The run's config: groups, flat configs from older manifests, and the CLI building it in one step."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.cli_args import build_parser
from harness.cli import run_config
from harness.manifest import MANIFEST_VERSION, read_manifest
from harness.run.config import FLAT, GROUPS, RunConfig, nest

BASELINE = Path(__file__).resolve().parents[2] / "results" / "baselines" / "smollm2-gsm8k-e1"


def test_every_option_lives_in_exactly_one_group():
    names = [n for cls in GROUPS.values() for n in cls.model_fields]
    assert len(names) == len(set(names))
    assert FLAT["strategy"] == ("strategy", "name") and FLAT["code_tests_dir"] == ("code", "tests_dir")
    assert FLAT["temperature"] == ("sampling", "temperature") and FLAT["offload"] == ("strategy", "offload")


def test_flat_keywords_and_groups_build_the_same_config():
    flat = RunConfig(tasks=["gsm8k"], budgets=[64, 8], strategy="plain", temperature=0.6, code_tests_dir="t")
    nested = RunConfig(
        selection={"tasks": ["gsm8k"]},
        strategy={"name": "plain", "budgets": [8, 64]},
        sampling={"temperature": 0.6},
        code={"tests_dir": "t"},
    )
    assert flat == nested and flat.strategy.budgets == [8, 64]


def test_an_unknown_option_is_refused_by_name():
    with pytest.raises(ValidationError, match="temprature"):
        RunConfig(tasks=["gsm8k"], budgets=[8], temprature=0.6)


def test_an_older_manifest_loads_with_its_flat_config_nested():
    """The committed baseline was written before the config had groups (manifest version 0: no version field)."""
    raw = json.loads((Path(BASELINE) / "manifest.json").read_text())
    assert raw.get("version", 0) < 2 and "budgets" in raw["config"]
    m = read_manifest(Path(BASELINE) / "manifest.json")
    assert m.config["strategy"]["budgets"] == raw["config"]["budgets"]
    assert m.config["engine"]["model"] == raw["config"]["model"]
    assert MANIFEST_VERSION == 2


def test_nest_keeps_keys_it_does_not_know():
    assert nest({"model": "m", "think_open": "<think>"}) == {"engine": {"model": "m"}, "think_open": "<think>"}


def test_the_cli_builds_the_config_in_one_step_with_the_configs_defaults():
    args = build_parser().parse_args(
        ["run", "--tasks", "gsm8k,math500", "--budgets", "8,4", "--gen-kwargs", "temperature=0.5", "--output-path", "o"]
    )
    assert run_config(args) == RunConfig(tasks=["gsm8k", "math500"], budgets=[4, 8], temperature=0.5)
    common = ["run", "--tasks", "gsm8k", "--budgets", "8", "--output-path", "o", "--log-samples", "--no-reuse"]
    flags = ["--think-markers", "<a>,</a>", "--n-ctx", "512", "--platform", "leetcode", "--code-tests-dir", "t"]
    cfg = run_config(build_parser().parse_args(common + flags))
    assert cfg.log_samples and not cfg.strategy.reuse and cfg.prompt.think_markers == ["<a>", "</a>"]
    assert (cfg.engine.n_ctx, cfg.selection.platform, cfg.code.tests_dir) == (512, ["leetcode"], "t")


def test_the_cli_builds_the_offload_part():
    args = build_parser().parse_args(
        ["run", "--tasks", "gsm8k", "--budgets", "8", "--strategy", "random-offload", "--output-path", "o"]
        + ["--offload-model", "smollm2-135m", "--offload-ratios", "0,1", "--offload-gen-kwargs", "temperature=0"]
        + ["--random-chunk", "4"]
    )
    o = run_config(args).strategy.offload
    assert (o.model, o.ratios, o.temperature, o.random_chunk) == ("smollm2-135m", [0.0, 1.0], 0.0, 4)
