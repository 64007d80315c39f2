"""The `harness` command: tasks, run, report."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from harness.errors import BadArgumentError, HarnessError


def _int_list(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of positive integers (e.g. 64,128,256)") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: budgets must be positive integers (e.g. 64,128,256)")
    return values


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{v} must be a positive integer (--limit counts samples per task)")
    return v


def _gen_kwargs(text: str) -> dict[str, float]:
    out = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in ("temperature", "top_p") or not value:
            raise argparse.ArgumentTypeError(f"--gen-kwargs {part!r}: use temperature=X,top_p=Y")
        out[key] = float(value)
    return out


def _ratios(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of ratios (e.g. 0,0.1,0.5,1)") from None
    bad = [v for v in values if not 0.0 <= v <= 1.0]
    if not values or bad:
        raise argparse.ArgumentTypeError(f"{text!r}: offload ratios must lie in [0, 1] (e.g. 0,0.1,0.5,1)")
    return values


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description="Accuracy-efficiency sweeps for reasoning LLMs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("tasks", help="list every task with its size and source")
    t.add_argument("--data-dir", help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR)")
    t.add_argument("--include-path", action="append", default=[], help="another folder of task YAML files")

    r = sub.add_parser("run", help="run a thinking-budget sweep")
    r.add_argument("--model", default="smollm2-135m", help="smollm2-135m (default, embedded) or llama.cpp:PATH.gguf")
    r.add_argument("--tasks", required=True, help="comma-separated task or group names (see `harness tasks`)")
    r.add_argument("--strategy", default="e1", help="plain, e1, s1, l1, or an offload strategy: splitreason, random-offload")
    r.add_argument("--budgets", type=_int_list, required=True, help="thinking budgets t, e.g. 64,128,256")
    r.add_argument("--solution-budget", type=_positive, default=128, help="solution budget s (e1, s1, l1)")
    r.add_argument("--limit", type=_positive, default=None, help="first N samples of each task")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--gen-kwargs", type=_gen_kwargs, default={}, help="temperature=0,top_p=1 (default greedy)")
    r.add_argument("--wait", type=int, default=0, help="s1: replace an early end of thinking with 'Wait' up to N times")
    r.add_argument("--output-path", required=True, help="folder for records, summary, plot and manifest")
    r.add_argument("--log-samples", action="store_true", help="also save questions and every call's prompt and output")
    r.add_argument("--data-dir", help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR); "
                                      "without one, data loads from the hub with `datasets`")
    r.add_argument("--include-path", action="append", default=[], help="another folder of task YAML files")
    r.add_argument("--overwrite", action="store_true", help="replace a different run already in --output-path")
    r.add_argument("--n-threads", type=_positive, default=None, help="llama.cpp threads (default: all cores)")
    r.add_argument("--n-ctx", type=_positive, default=8192, help="llama.cpp context length")
    r.add_argument("--no-progress", action="store_true")
    r.add_argument("--prefix-cache", action="store_true",
                   help="llama.cpp: reuse the KV cache of a shared prompt prefix across requests (faster; greedy "
                        "results may then depend on request order through rounding, so reruns are not exact)")
    r.add_argument("--no-reuse", action="store_true",
                   help="sample every budget independently (default: one long thinking call per sample serves every "
                        "smaller budget for e1, plain and s1 without --wait)")
    r.add_argument("--cache", default="cache.sqlite",
                   help="response cache file (SQLite); relative paths are inside --output-path (default: cache.sqlite)")
    r.add_argument("--no-cache", action="store_true", help="call the engine for every request")
    o = r.add_argument_group("offload strategies (splitreason, random-offload); --budgets is then the total generated tokens")
    o.add_argument("--offload-model", help="the large model: an alias or llama.cpp:PATH.gguf")
    o.add_argument("--offload-ratios", type=_ratios, default=[], help="random-offload target ratios, e.g. 0,0.05,0.1,0.2,0.5,1")
    o.add_argument("--offload-gen-kwargs", type=_gen_kwargs, default={},
                   help="the large model's sampling, e.g. temperature=0 (default: the run's --gen-kwargs)")
    o.add_argument("--probe-every", type=_positive, default=1,
                   help="splitreason: probe the small model after every k-th large-model token (1 = every prefix, as the paper)")
    o.add_argument("--large-chunk", type=_positive, default=64, help="splitreason: large-model tokens per chunk")
    o.add_argument("--max-offload", type=_positive, default=512, help="splitreason: large-model tokens per offload at most")
    o.add_argument("--random-chunk", type=_positive, default=16, help="random-offload: tokens per chunk")
    o.add_argument("--latency-table", default="splitreason",
                   help="throughput table for modelled latency: a preset (splitreason) or a YAML file from `harness calibrate`")
    o.add_argument("--latency-models", default="1.5B,32B", help="the (small,large) rows of the latency table")

    cal = sub.add_parser("calibrate", help="measure a model's prefill and decode speed for the offload latency model")
    cal.add_argument("--model", default="smollm2-135m", help="smollm2-135m or llama.cpp:PATH.gguf")
    cal.add_argument("--name", help="the table row to write (default: the model spec)")
    cal.add_argument("--output", default="latency.yaml", help="YAML table to add the row to (created if missing)")
    cal.add_argument("--prompt-tokens", type=_positive, default=512)
    cal.add_argument("--decode-tokens", type=_positive, default=128)
    cal.add_argument("--n-threads", type=_positive, default=None)

    rep = sub.add_parser("report", help="rebuild table and plot from a run folder's records")
    rep.add_argument("run_dir")

    lb = sub.add_parser("leaderboard", help="merge runs into one ranked table and HTML page")
    lb.add_argument("run_dirs", nargs="+")
    lb.add_argument("--output-path", default="results/leaderboard")
    lb.add_argument("--rank-by", default=None, help="a summary column (default: AES vs each model's own max budget)")

    for name, text in (("compare", "paired comparison with AES and bootstrap intervals"),
                       ("gate", "CI regression gate: exit 1 on a significant regression")):
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
    return p


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
    from harness.runner import RunConfig, run

    try:
        cfg = RunConfig(model=args.model, tasks=[t for t in args.tasks.split(",") if t], strategy=args.strategy,
                        budgets=args.budgets, solution_budget=args.solution_budget, limit=args.limit, seed=args.seed,
                        wait=args.wait, log_samples=args.log_samples, n_ctx=args.n_ctx, n_threads=args.n_threads,
                        include_path=args.include_path, reuse=not args.no_reuse, prefix_cache=args.prefix_cache,
                        offload_model=args.offload_model, offload_ratios=args.offload_ratios,
                        offload_temperature=args.offload_gen_kwargs.get("temperature"),
                        offload_top_p=args.offload_gen_kwargs.get("top_p"), probe_every=args.probe_every,
                        large_chunk=args.large_chunk, max_offload=args.max_offload, random_chunk=args.random_chunk,
                        latency_table=args.latency_table, latency_models=args.latency_models.split(","), **args.gen_kwargs)
    except ValidationError as e:
        raise BadArgumentError("; ".join(err["msg"] for err in e.errors())) from None
    summary, table = run(cfg, args.output_path, data_dir=args.data_dir, overwrite=args.overwrite,
                         argv=["harness"] + argv, progress=not args.no_progress, cache=None if args.no_cache else args.cache)
    print(table)
    print(f"\nwrote {Path(args.output_path) / 'records.jsonl'}, summary.csv, summary.parquet, sweep.png, manifest.json")
    return 0


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
    print(f"{args.name or args.model}: prefill {speed.prefill_tok_s} tok/s, decode {speed.decode_tok_s} tok/s "
          f"({args.prompt_tokens}-token prompt, {args.decode_tokens} decoded, best of 3)")
    print(f"wrote {out}; use it with --latency-table {out} --latency-models SMALL,LARGE")
    return 0


def cmd_report(args) -> int:
    from harness.report import write_report

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise BadArgumentError(f"run folder {run_dir} does not exist; pass the --output-path of a `harness run`")
    _, table = write_report(run_dir)
    print(table)
    print(f"\nwrote {run_dir / 'summary.csv'}, summary.parquet, summary.md, sweep.png")
    return 0


COMPARE_COLUMNS = [
    ("task", "task", "{}"), ("strategy", "strategy", "{}"), ("budget", "budget", "{}"), ("base_label", "baseline", "{}"),
    ("n_pairs", "pairs", "{:.0f}"), ("acc", "Acc", "{:.3f}"), ("base_acc", "base Acc", "{:.3f}"),
    ("length", "Length", "{:.1f}"), ("base_length", "base Length", "{:.1f}"), ("d_acc", "ΔAcc", "{:+.3f}"),
    ("d_acc_low", "ΔAcc lo", "{:+.3f}"), ("d_acc_high", "ΔAcc hi", "{:+.3f}"), ("d_length", "ΔLength", "{:+.3f}"),
    ("d_length_low", "ΔLen lo", "{:+.3f}"), ("d_length_high", "ΔLen hi", "{:+.3f}"), ("aes", "AES", "{:+.3f}"),
    ("aes_low", "AES lo", "{:+.3f}"), ("aes_high", "AES hi", "{:+.3f}"), ("aes_legacy", "AES legacy", "{:+.3f}"),
    ("token_efficiency", "M", "{:.3f}"), ("mcnemar_p", "McNemar p", "{:.3f}"), ("note", "note", "{}"),
]


def _comparisons(args):
    from harness.compare import compare_pairs, load_pair

    run, base = load_pair(args.run_dir, args.baseline, args.baseline_budget)
    return compare_pairs(run, base, resamples=args.resamples, seed=args.seed,
                         alpha=args.aes_alpha, beta=args.aes_beta, gamma=args.aes_gamma)


def cmd_compare(args) -> int:
    from harness.compare import comparison_frame
    from harness.report import markdown_table

    df = comparison_frame(_comparisons(args))
    out = Path(args.run_dir)
    df.to_csv(out / "compare.csv", index=False)
    table = markdown_table(df, COMPARE_COLUMNS)
    (out / "compare.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\nwrote {out / 'compare.csv'} and compare.md")
    return 0


def cmd_gate(args) -> int:
    from harness.compare import gate

    found = gate(_comparisons(args), max_acc_drop=args.max_acc_drop, max_length_growth=args.max_length_growth,
                 min_aes=args.min_aes, alpha=args.alpha)
    for r in found:
        print(r.message())
    if not found:
        print("gate passed: no significant regression beyond the thresholds")
    return 1 if found else 0


def cmd_leaderboard(args) -> int:
    from harness.leaderboard import build_leaderboard

    out = Path(args.output_path)
    df = build_leaderboard(args.run_dirs, out, args.rank_by)
    print((out / "leaderboard.md").read_text())
    print(f"wrote {out}/leaderboard.csv, .parquet, .md, .html and plots ({len(df)} rows)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "tasks":
            return cmd_tasks(args)
        if args.command == "run":
            return cmd_run(args, argv)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "calibrate":
            return cmd_calibrate(args)
        if args.command == "gate":
            return cmd_gate(args)
        if args.command == "leaderboard":
            return cmd_leaderboard(args)
        return cmd_report(args)
    except HarnessError as e:
        print(f"harness: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
