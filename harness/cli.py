"""The `harness` command: tasks, run, grid, report, compare, gate, leaderboard, calibrate, import."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from harness.cli_args import _names, build_parser
from harness.errors import BadArgumentError, HarnessError


def cmd_tasks(args) -> int:
    from harness.data import load_rows, resolve_data_dir
    from harness.errors import DataNotFoundError
    from harness.tasks import load_specs

    specs, groups = load_specs(args.include_path)
    data_dir = resolve_data_dir(args.data_dir)
    print(f"{'task':20} {'rows':>6}  {'answer type':12} source")
    for name, spec in sorted(specs.items()):
        rows = "?"
        if data_dir is not None:
            try:
                rows = str(load_rows(spec.task, spec.folder, spec.hub, data_dir)[1].rows)
            except DataNotFoundError:
                rows = "missing"
        at = spec.answer_type if isinstance(spec.answer_type, str) else f"by {spec.answer_type.field}"
        hub = spec.hub["path"] if spec.hub else "local only"
        print(f"{name:20} {rows:>6}  {at:12} hub: {hub}; folder: {spec.folder}")
    for g, members in sorted(groups.items()):
        print(f"group {g}: {', '.join(members)}")
    if data_dir is None:
        print("(rows show '?': pass --data-dir or set HARNESS_DATA_DIR to count them)")
    return 0


def cmd_run(args, argv) -> int:
    from harness.run.session import RunOptions, run_once

    cfg = run_config(args)
    summary, table = run_once(cfg, args.output_path, RunOptions.from_args(args), ["harness"] + argv)
    print(table)
    out = Path(args.output_path)
    print(
        f"\nwrote {out / 'records.jsonl'}, "
        + ", ".join(["summary.csv", "summary.parquet", "sweep.png", "manifest.json"] + _optional_outputs(out))
    )
    return _all_failed(out)


def _all_failed(out: Path) -> int:
    """1 (and why, on stderr) when every sample of the run failed: such a run measured nothing."""
    from harness.records import RECORDS_FILE, read_records

    records = read_records(out / RECORDS_FILE)
    failed = [r for r in records if r.status == "failed"]
    if not records or len(failed) < len(records):
        return 0
    print(
        f"harness: error: every one of the {len(records)} samples failed (e.g. {failed[0].error}); fix the cause "
        f"and rerun the same command to retry them",
        file=sys.stderr,
    )
    return 1


def run_config(args):
    """The run's config from `harness run`'s parsed arguments, in one step: the --config file's fields, then the
    flags given (each names a config field, harness/run/flags.py); the config's validators check every value."""
    from harness.run.flags import build_config, merged, read_config_file, values_from_args

    values = read_config_file(args.config) if args.config else {}
    return build_config(merged(values, values_from_args(args)))


def _optional_outputs(run_dir: Path) -> list[str]:
    """Report files only some runs have: pass@k for code tasks, offload plots."""
    return [f for f in ("code_summary.csv", "offload_accuracy.png", "offload_latency.png") if (run_dir / f).is_file()]


def cmd_calibrate(args) -> int:
    import dataclasses

    import yaml

    from harness.engines import make_engine
    from harness.latency import calibrate

    engine = make_engine(args.model, n_ctx=args.prompt_tokens + args.decode_tokens + 16, n_threads=args.n_threads)
    speed = calibrate(engine, args.prompt_tokens, args.decode_tokens)
    out = Path(args.output)
    table = (yaml.safe_load(out.read_text()) or {}) if out.is_file() else {}
    table[args.name or args.model] = dataclasses.asdict(speed)
    out.write_text(yaml.safe_dump(table, sort_keys=True))
    print(
        f"{args.name or args.model}: prefill {speed.prefill_tok_s} tok/s, decode {speed.decode_tok_s} tok/s "
        f"({args.prompt_tokens}-token prompt, {args.decode_tokens} decoded, best of 3)"
    )
    print(f"wrote {out}; use it with --latency-table {out} --latency-models SMALL,LARGE")
    return 0


def cmd_merge(args) -> int:
    from harness.run.merge import merge
    from harness.report.tables import write_report

    out = merge(args.shard_dirs, args.output_path, allow_partial=args.allow_partial)
    _, table = write_report(out)
    print(table)
    print(f"\nmerged {len(args.shard_dirs)} shards into {out}")
    return 0


def cmd_repair(args) -> int:
    from harness.records import repair_records

    kept, bad, dups = repair_records(Path(args.run_dir))
    print(
        f"{args.run_dir}: kept {kept} record(s); moved {bad} unreadable line(s) to records.rejected.jsonl; "
        f"dropped {dups} duplicate(s). The cache is untouched: rerun the same `harness run` to fill the gaps"
    )
    return 0


def cmd_report(args) -> int:
    from harness.report.site import build_site
    from harness.report.tables import write_report
    from harness.run.output import SITE_FOLDER

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise BadArgumentError(f"run folder {run_dir} does not exist; pass the --output-path of a `harness run`")
    _, table = write_report(run_dir)
    print(table)
    page = build_site([run_dir], run_dir / SITE_FOLDER)
    print(
        f"\nwrote {run_dir / 'summary.csv'}, "
        + ", ".join(["summary.parquet", "summary.md", "sweep.png"] + _optional_outputs(run_dir))
        + f"; the site: {page}"
    )
    return 0


COMPARE_COLUMNS = [
    ("task", "task", "{}"),
    ("strategy", "strategy", "{}"),
    ("budget", "budget", "{}"),
    ("base_label", "baseline", "{}"),
    ("n_pairs", "pairs", "{:.0f}"),
    ("acc", "Acc", "{:.3f}"),
    ("base_acc", "base Acc", "{:.3f}"),
    ("length", "Length", "{:.1f}"),
    ("base_length", "base Length", "{:.1f}"),
    ("d_acc", "ΔAcc", "{:+.3f}"),
    ("d_acc_low", "ΔAcc lo", "{:+.3f}"),
    ("d_acc_high", "ΔAcc hi", "{:+.3f}"),
    ("d_length", "ΔLength", "{:+.3f}"),
    ("d_length_low", "ΔLen lo", "{:+.3f}"),
    ("d_length_high", "ΔLen hi", "{:+.3f}"),
    ("aes", "AES", "{:+.3f}"),
    ("aes_low", "AES lo", "{:+.3f}"),
    ("aes_high", "AES hi", "{:+.3f}"),
    ("aes_legacy", "AES legacy", "{:+.3f}"),
    ("token_efficiency", "M", "{:.3f}"),
    ("mcnemar_p", "McNemar p", "{:.3f}"),
    ("note", "note", "{}"),
]


def _comparisons(args):
    from harness.report.compare import compare_pairs, load_pair

    run, base = load_pair(args.run_dir, args.baseline, args.baseline_budget)
    return compare_pairs(
        run,
        base,
        resamples=args.resamples,
        seed=args.seed,
        alpha=args.aes_alpha,
        beta=args.aes_beta,
        gamma=args.aes_gamma,
    )


def _say_differences(args, rows) -> None:
    """What compare/gate could not pair, and what differs between the configs, on stderr."""
    from harness.report.compare import config_diff

    if args.baseline:
        for d in config_diff(args.run_dir, args.baseline):
            print(f"note: config differs from the baseline's: {d}", file=sys.stderr)
    unpaired = sum(r.n_unpaired for r in rows)
    if unpaired:
        print(f"note: {unpaired} run sample(s) have no baseline sample to pair with and were left out", file=sys.stderr)


def cmd_compare(args) -> int:
    from harness.report.compare import comparison_frame
    from harness.report.tables import markdown_table

    rows = _comparisons(args)
    _say_differences(args, rows)
    df = comparison_frame(rows)
    out = Path(args.run_dir)
    df.to_csv(out / "compare.csv", index=False)
    table = markdown_table(df, COMPARE_COLUMNS)
    (out / "compare.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\nwrote {out / 'compare.csv'} and compare.md")
    return 0


def cmd_gate(args) -> int:
    from harness.report.compare import gate, run_problems

    problems = run_problems(
        args.run_dir,
        args.baseline,
        max_failed=args.max_failed,
        min_samples=args.min_samples,
        allow_diff=frozenset(_names(args.allow_config_diff) if args.allow_config_diff else []),
    )
    for p in problems:
        print(f"gate failed: {p}")
    try:
        rows = _comparisons(args)
    except HarnessError:
        if problems:  # e.g. no successful record to compare: the reasons above are the gate's answer
            return 1
        raise
    _say_differences(args, rows)
    found = gate(
        rows,
        max_acc_drop=args.max_acc_drop,
        max_length_growth=args.max_length_growth,
        min_aes=args.min_aes,
        alpha=args.alpha,
    )
    for r in found:
        print(r.message())
    if not found and not problems:
        print("gate passed: no significant regression beyond the thresholds")
    return 1 if found or problems else 0


def cmd_leaderboard(args) -> int:
    from harness.report.leaderboard import build_leaderboard

    out = Path(args.output_path)
    df = build_leaderboard(args.run_dirs, out, args.rank_by, args.baseline)
    print((out / "leaderboard.md").read_text())
    print(f"wrote {out}/leaderboard.csv, .parquet, .md and plots ({len(df)} rows); the site: {out / 'index.html'}")
    return 0


def cmd_import(args, argv) -> int:
    from harness.importers import import_generations
    from harness.report import write_report

    out = import_generations(
        args.files,
        args.output_path,
        model=args.model,
        task=args.task,
        answer_type=args.answer_type,
        data_dir=args.data_dir,
        think_open=args.think_open,
        think_close=args.think_close,
        strategy=args.strategy,
        budget=args.budget,
        argv=["harness"] + argv,
    )
    _, table = write_report(out)
    print(table)
    print(f"\nimported {len(args.files)} file(s) into {out / 'records.jsonl'}, summary.csv, manifest.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lm-eval"]:  # everything after goes to lm-eval's own CLI, unchanged
        try:
            from harness.lm_eval_adapter import cli
        except ImportError:
            print(
                "harness: error: `harness lm-eval` needs lm-evaluation-harness: pip install 'lm-eval>=0.4,<0.5'",
                file=sys.stderr,
            )
            return 2
        return cli(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.command == "tasks":
            return cmd_tasks(args)
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "grid":
            from harness.grid.cli import cmd_grid

            return cmd_grid(args, argv)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "calibrate":
            return cmd_calibrate(args)
        if args.command == "merge":
            return cmd_merge(args)
        if args.command == "gate":
            return cmd_gate(args)
        if args.command == "leaderboard":
            return cmd_leaderboard(args)
        if args.command == "import":
            return cmd_import(args, argv)
        if args.command == "repair":
            return cmd_repair(args)
        return cmd_report(args)
    except HarnessError as e:
        print(f"harness: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "output_path", None)
        again = f"; rerun the same command to resume from {out}" if args.command in ("run", "grid") else ""
        print(f"harness: interrupted: every record finished so far is kept{again}", file=sys.stderr)
        if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
            sys.stderr.flush()  # a request still hanging in a worker thread would keep the process alive
            os._exit(130)  # records are fsynced as written: nothing written is lost
        return 130


if __name__ == "__main__":
    sys.exit(main())
