"""The `harness` command's arguments: one subparser per command. `run`'s config flags are generated from RunConfig
(harness/run/flags.py); the flags here that are no config field are few, and listed in RUN_SESSION_FLAGS."""

from __future__ import annotations

import argparse

from harness.cli_values import fraction as _fraction
from harness.cli_values import names as _names
from harness.cli_values import positive as _positive
from harness.run.flags import add_config_flags, composite_parser

__all__ = ["RUN_SESSION_FLAGS", "build_parser", "_gen_kwargs", "_names"]
_gen_kwargs = composite_parser("--gen-kwargs")
# `harness run`'s flags that are no config field: where to write, how fast, how to show progress (they do not change
# results). Every other `run` flag is generated from a config field, and every config field has a flag
# (tests/run/test_flags.py checks both).
RUN_SESSION_FLAGS = (
    "--config",
    "--output-path",
    "--overwrite",
    "--data-dir",
    "--no-progress",
    "--cache",
    "--no-cache",
    "--concurrency",
    "--request-timeout",
    "--exec-workers",
)


def add_session_flags(p: argparse.ArgumentParser) -> None:
    """The flags `harness run` and `harness grid` share that are no config field (each run of a grid gets them)."""
    p.add_argument(
        "--data-dir",
        help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR); "
        "without one, data loads from the hub with `datasets`",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--cache",
        default="cache.sqlite",
        help="response cache file (SQLite); relative paths are inside --output-path (default: cache.sqlite)",
    )
    p.add_argument("--no-cache", action="store_true", help="call the engine for every request")
    p.add_argument(
        "--concurrency",
        type=_positive,
        default=4,
        help="HTTP engines: requests in flight across the run (default 4); vLLM keeps its own max_num_seqs in flight",
    )
    p.add_argument(
        "--request-timeout",
        type=_positive,
        default=600,
        help="HTTP engines: seconds one request may take before it is retried, then failed (default 600)",
    )
    p.add_argument(
        "--exec-workers",
        type=_positive,
        default=None,
        help="code tasks: parallel sandboxed executions (default: cores)",
    )


def _run_parser(sub) -> None:
    r = sub.add_parser("run", help="run a thinking-budget sweep")
    r.add_argument(
        "--config",
        help="a YAML file of config fields (as `harness run` flags, or groups as in manifest.json; a manifest.json "
        "works too); flags given as well override it",
    )
    r.add_argument("--output-path", required=True, help="folder for records, summary, plot and manifest")
    r.add_argument("--overwrite", action="store_true", help="replace a different run already in --output-path")
    add_session_flags(r)
    add_config_flags(r)


def _grid_parser(sub) -> None:
    g = sub.add_parser(
        "grid", help="run every run of a grid file (models x tasks x strategies x budgets) and build a leaderboard"
    )
    g.add_argument("grid_file", help="YAML with defaults: (a run config) and runs: (named overrides, matrix:)")
    g.add_argument("--output-path", required=True, help="folder for one run folder per run and leaderboard.html")
    how = g.add_mutually_exclusive_group()
    how.add_argument("--parallel", type=_positive, default=1, help="local runs at once, each its own process")
    how.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="run on Ray (pip install -e .[ray]): auto (the running cluster), ray://HOST:PORT, HOST:PORT, or none "
        "to start a local cluster",
    )
    add_session_flags(g)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description="Accuracy-efficiency sweeps for reasoning LLMs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("tasks", help="list every task with its size and source")
    t.add_argument("--data-dir", help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR)")
    t.add_argument("--include-path", action="append", default=[], help="another folder of task YAML files")

    _run_parser(sub)
    _grid_parser(sub)

    cal = sub.add_parser("calibrate", help="measure a model's prefill and decode speed for the offload latency model")
    cal.add_argument("--model", default="smollm2-135m", help="smollm2-135m or llama.cpp:PATH.gguf")
    cal.add_argument("--name", help="the table row to write (default: the model spec)")
    cal.add_argument("--output", default="latency.yaml", help="YAML table to add the row to (created if missing)")
    cal.add_argument("--prompt-tokens", type=_positive, default=512)
    cal.add_argument("--decode-tokens", type=_positive, default=128)
    cal.add_argument("--n-threads", type=_positive, default=None)

    sub.add_parser(
        "lm-eval",
        help="lm-evaluation-harness's CLI with --model harness-budget registered (arguments pass through unchanged)",
    )
    mg = sub.add_parser("merge", help="merge the shard folders of one run (harness run --shard I/N) into one run")
    mg.add_argument("shard_dirs", nargs="+")
    mg.add_argument("--output-path", required=True)
    mg.add_argument("--allow-partial", action="store_true", help="merge even if some shards are missing")

    _import_parser(sub)

    rp = sub.add_parser(
        "repair", help="keep every valid record of a run folder once (bad lines to records.rejected.jsonl)"
    )
    rp.add_argument("run_dir")

    rep = sub.add_parser("report", help="rebuild table, plot and the run's site (DIR/site) from its records")
    rep.add_argument("run_dir")

    lb = sub.add_parser(
        "leaderboard", help="merge runs into one ranked table and a static site with a trace viewer (docs/site.md)"
    )
    lb.add_argument("run_dirs", nargs="+")
    lb.add_argument("--output-path", default="results/leaderboard")
    lb.add_argument("--rank-by", default=None, help="a summary column (default: AES vs each model's own max budget)")
    lb.add_argument(
        "--baseline", default=None, help="a run folder: the site's AES against its largest budget (default: each run's)"
    )

    _compare_gate_parsers(sub)
    return p


def _import_parser(sub) -> None:
    imp = sub.add_parser(
        "import",
        help="grade generations made elsewhere (lm-eval --log_samples, Qwen2.5-Math-style "
        "JSONL dumps) into a run folder that report/compare/leaderboard/gate read",
    )
    imp.add_argument("files", nargs="+", help="JSONL files of one model's generations")
    imp.add_argument("--output-path", required=True, help="a new folder for records.jsonl and manifest.json")
    imp.add_argument("--model", required=True, help="the model's name, as the records and leaderboard show it")
    imp.add_argument(
        "--task",
        help="the harness task the generations answer: gold and answer type come from it "
        "(matched by question text); without it, the file's own gold is used",
    )
    imp.add_argument(
        "--answer-type",
        default="latex",
        choices=["number", "latex", "choice", "blanks"],
        help="checker for the file's own gold (without --task)",
    )
    imp.add_argument("--data-dir", help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR)")
    imp.add_argument("--think-open", default="<think>")
    imp.add_argument("--think-close", default="</think>")
    imp.add_argument("--strategy", default="imported", help="the strategy column of the records")
    imp.add_argument("--budget", type=int, default=0, help="the budget column (e.g. the max tokens used; default 0)")


def _compare_gate_parsers(sub) -> None:
    for name, text in (
        ("compare", "paired comparison with AES and bootstrap intervals"),
        ("gate", "CI regression gate: exit 1 on a significant regression"),
    ):
        c = sub.add_parser(name, help=text)
        c.add_argument("run_dir")
        c.add_argument("--baseline", help="baseline run folder")
        c.add_argument("--baseline-budget", help="a budget (or 'max') of the baseline run, or of RUN itself")
        c.add_argument("--resamples", type=_positive, default=1000, help="bootstrap resamples")
        c.add_argument("--seed", type=int, default=0, help="bootstrap seed")
        c.add_argument("--aes-alpha", type=float, default=1.0)
        c.add_argument("--aes-beta", type=float, default=3.0)
        c.add_argument("--aes-gamma", type=float, default=5.0)
        if name == "gate":
            c.add_argument("--max-acc-drop", type=float, default=0.02, help="absolute accuracy drop allowed")
            c.add_argument("--max-length-growth", type=float, default=0.10, help="relative mean-length growth allowed")
            c.add_argument("--min-aes", type=float, default=None)
            c.add_argument("--alpha", type=float, default=0.05, help="significance level")
            c.add_argument(
                "--max-failed", type=_fraction, default=0.0, help="share of failed samples allowed (default 0)"
            )
            c.add_argument("--min-samples", type=_positive, default=1, help="fewest records a run may have")
            c.add_argument(
                "--allow-config-diff", default=None, help="config fields that may differ from the baseline's (a,b)"
            )
