"""The `harness` command's arguments: value parsers with clear errors, and one subparser per command."""

from __future__ import annotations

import argparse
import difflib

from harness import budgets
from harness.engines.openai_chat import BUDGET_VIA, CONTINUE_VIA, EFFORT_VIA, MAX_TOKENS_FIELDS
from harness.strategies.base import StrategyConfig


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of integers (e.g. 64,128,256)"
        ) from None


def _budget_list(text: str) -> list:
    try:
        values = [budgets.parse(x) for x in text.split(",") if x.strip()]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--budgets {text!r}: {e}") from None
    return values


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{v} must be a positive integer (--limit counts samples per task)")
    return v


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1, e.g. 0.05")
    return value


def _bool(text: str) -> bool:
    if text.strip().lower() not in ("true", "false", "1", "0"):
        raise ValueError(text)
    return text.strip().lower() in ("true", "1")


GEN_KWARGS = {
    "temperature": float,
    "top_p": float,
    "top_k": int,
    "min_p": float,
    "repetition_penalty": float,
    "presence_penalty": float,
    "ignore_eos": _bool,
    "min_tokens": int,
}


def _gen_kwargs(text: str) -> dict[str, float | bool]:
    """temperature=0.6,top_p=0.95,top_k=20,min_p=0 (ranges are checked by the run's config)."""
    out = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in GEN_KWARGS or not value:
            close = difflib.get_close_matches(key, GEN_KWARGS, n=1, cutoff=0.6)
            raise argparse.ArgumentTypeError(
                f"--gen-kwargs {part!r}: "
                + (f"did you mean {close[0]}? " if close else "")
                + f"use key=value with keys {', '.join(GEN_KWARGS)}"
            )
        try:
            out[key] = GEN_KWARGS[key](value)
        except ValueError:
            kind = {int: "n integer", _bool: " boolean (true/false)"}.get(GEN_KWARGS[key], " number")
            raise argparse.ArgumentTypeError(f"--gen-kwargs {part!r}: {value!r} is not a{kind}") from None
    return out


def _key_values(text: str, flag: str = "--server-args") -> dict:
    """key=value,key=value with values read as int, float, true/false, else text."""
    out = {}
    for part in filter(None, text.split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{flag} {part!r}: use key=value,key=value")
        out[key.strip()] = _value(value.strip())
    return out


def _value(text: str):
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _server_args(text: str) -> dict:
    from harness.engines.openai_http import check_server_args

    try:
        return check_server_args(_key_values(text, "--server-args"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _template_kwargs(text: str) -> dict:
    return _key_values(text, "--chat-template-kwargs")


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _ratios(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of ratios (e.g. 0,0.1,0.5,1)"
        ) from None


def _markers(text: str) -> list[str]:
    from harness.thinking import parse_markers

    try:
        return list(parse_markers(text))
    except ValueError as e:  # argparse would print "invalid _markers value" instead of why
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description="Accuracy-efficiency sweeps for reasoning LLMs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("tasks", help="list every task with its size and source")
    t.add_argument("--data-dir", help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR)")
    t.add_argument("--include-path", action="append", default=[], help="another folder of task YAML files")

    r = sub.add_parser("run", help="run a thinking-budget sweep")
    r.add_argument(
        "--model",
        help="smollm2-135m (default, embedded), llama.cpp:PATH.gguf, or openai:MODEL with --base-url",
    )
    r.add_argument(
        "--tasks", type=_names, required=True, help="comma-separated task or group names (see `harness tasks`)"
    )
    r.add_argument(
        "--strategy", help="plain, e1 (default), s1, l1, or an offload strategy: splitreason, random-offload"
    )
    r.add_argument(
        "--budgets",
        type=_budget_list,
        required=True,
        help="thinking budgets t, e.g. 64,128,256; effort levels low,medium,high for --strategy effort",
    )
    r.add_argument(
        "--solution-budget",
        type=int,
        help=f"solution budget s (e1, s1, l1; default {StrategyConfig.solution_budget})",
    )
    r.add_argument("--limit", type=int, help="first N samples of each task")
    r.add_argument("--seed", type=int, help="the first sample's seed (default 0)")
    r.add_argument(
        "--gen-kwargs",
        type=_gen_kwargs,
        default={},
        help="sampling: temperature, top_p, top_k, min_p, repetition_penalty, presence_penalty, "
        "ignore_eos=true, min_tokens=N "
        "(default greedy; e.g. R1's temperature=0.6,top_p=0.95, Qwen3's ...,top_k=20,min_p=0)",
    )
    r.add_argument("--wait", type=int, help="s1: replace an early end of thinking with 'Wait' up to N times")
    r.add_argument("--output-path", required=True, help="folder for records, summary, plot and manifest")
    r.add_argument("--log-samples", action="store_true", help="also save questions and every call's prompt and output")
    r.add_argument(
        "--data-dir",
        help="folder holding <task folder>/test.jsonl (or set HARNESS_DATA_DIR); "
        "without one, data loads from the hub with `datasets`",
    )
    r.add_argument("--include-path", action="append", default=[], help="another folder of task YAML files")
    r.add_argument("--overwrite", action="store_true", help="replace a different run already in --output-path")
    m = r.add_argument_group("the model's prompt and thinking format (docs/models.md)")
    m.add_argument(
        "--thinking",
        choices=["auto", "template", "model", "prefill", "none"],
        help="auto (default: detected from the chat template and vocabulary), template (the template opens "
        "thinking), model (the model writes its opener), prefill (the harness opens it), none (no thinking)",
    )
    m.add_argument(
        "--think-markers",
        type=_markers,
        help="OPEN,CLOSE thinking markers, e.g. '<|im_start|>think,<|im_start|>answer' "
        "(s1.1) or 'harmony' (gpt-oss); default: detected",
    )
    m.add_argument("--chat-template", help="a Jinja chat template file replacing the model's own (every engine)")
    m.add_argument(
        "--chat-template-kwargs",
        type=_template_kwargs,
        default={},
        help="template arguments, e.g. enable_thinking=false (Qwen3, SmolLM3, DeepSeek-V3.1) or "
        "reasoning_effort=high (gpt-oss)",
    )
    m.add_argument("--system", help="a system prompt (default: none, or the template's own default)")
    m.add_argument(
        "--instruction",
        default=None,
        help="text after the question (default: 'Please reason step by step, and put your final answer "
        "within \\boxed{}.'; '' for none); a task's own instruction still wins",
    )
    r.add_argument("--n-threads", type=int, help="llama.cpp threads (default: all cores)")
    r.add_argument("--n-ctx", type=int, help="llama.cpp context length (default 8192)")
    r.add_argument("--no-progress", action="store_true")
    r.add_argument(
        "--prefix-cache",
        action="store_true",
        help="llama.cpp: reuse the KV cache of a shared prompt prefix across requests (faster; greedy "
        "results may then depend on request order through rounding, so reruns are not exact)",
    )
    r.add_argument(
        "--no-reuse",
        action="store_true",
        help="sample every budget independently (default: one long thinking call per sample serves every "
        "smaller budget for e1, plain and s1 without --wait)",
    )
    r.add_argument(
        "--cache",
        default="cache.sqlite",
        help="response cache file (SQLite); relative paths are inside --output-path (default: cache.sqlite)",
    )
    r.add_argument("--no-cache", action="store_true", help="call the engine for every request")
    h = r.add_argument_group("HTTP engines (--model openai:MODEL)")
    h.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    h.add_argument(
        "--tokenizer",
        help="the served model's tokenizer: an alias, a GGUF, or hf:PATH_OR_ID "
        "(transformers.AutoTokenizer); gives the chat template and counts tokens",
    )
    h.add_argument("--concurrency", type=_positive, default=4, help="requests in flight (default 4)")
    h.add_argument(
        "--request-timeout",
        type=_positive,
        default=600,
        help="seconds one HTTP request may take before it is retried, then failed (default 600)",
    )
    h.add_argument("--stream", action="store_true", help="stream responses to measure time to first token")
    h.add_argument(
        "--server-args",
        type=_server_args,
        default={},
        help="extra request fields, e.g. repeat_penalty=1.0,top_k=0 for llama.cpp's server",
    )
    h.add_argument(
        "--effort-via",
        choices=EFFORT_VIA,
        help="openai-chat, --strategy effort: the reasoning_effort field, or gpt-oss's 'Reasoning: low' system line",
    )
    h.add_argument(
        "--budget-via",
        choices=BUDGET_VIA,
        help="openai-chat, --strategy server-budget: vLLM's thinking_token_budget, or thinking: {type: enabled, "
        "budget_tokens: N}",
    )
    h.add_argument(
        "--max-tokens-field",
        choices=MAX_TOKENS_FIELDS,
        help="openai-chat: the answer-budget field(s) sent (OpenAI's o-series refuse max_tokens)",
    )
    h.add_argument(
        "--continue-via",
        choices=CONTINUE_VIA,
        help="openai-chat, --strategy e1: how the server continues the assistant message after the thinking "
        "(vLLM, SGLang: continue_final_message; DeepSeek: prefix); none refuses e1 over chat",
    )
    r.add_argument(
        "--shard",
        help="I/N: run shard I of N (samples split by a stable hash of their id); "
        "combine the shards with `harness merge`",
    )
    v = r.add_argument_group("vLLM (--model vllm:HF_ID_OR_PATH; pip install -e .[vllm])")
    v.add_argument("--tensor-parallel-size", type=int)
    v.add_argument(
        "--data-parallel-size",
        type=int,
        help="refused in one process by vLLM: use --shard I/N per GPU and harness merge",
    )
    v.add_argument("--max-model-len", type=int)
    v.add_argument("--gpu-memory-utilization", type=float, help="default 0.9")
    c = r.add_argument_group("code tasks (livecodebench)")
    c.add_argument("--n", type=int, help="samples per problem (seeds seed..seed+n-1), for pass@k")
    c.add_argument("--pass-k", type=_int_list, help="k values for pass@k, each <= --n (default 1)")
    c.add_argument("--difficulty", type=_names, help="keep these difficulties, e.g. easy,medium")
    c.add_argument("--platform", type=_names, help="keep these platforms: atcoder, codeforces, leetcode")
    c.add_argument("--date-from", help="keep problems dated on or after YYYY-MM-DD")
    c.add_argument("--date-to", help="keep problems dated on or before YYYY-MM-DD")
    c.add_argument(
        "--exec-workers", type=_positive, default=None, help="parallel sandboxed executions (default: cores)"
    )
    c.add_argument("--code-tests-dir", help="folder of test files for livecodebench_v5 (md5-checked)")
    c.add_argument(
        "--release", help="hub release of livecodebench/code_generation_lite, e.g. release_v5 (hub loading only)"
    )
    o = r.add_argument_group(
        "offload strategies (splitreason, random-offload); --budgets is then the total generated tokens"
    )
    o.add_argument("--offload-model", help="the large model: an alias or llama.cpp:PATH.gguf")
    o.add_argument("--offload-ratios", type=_ratios, help="random-offload target ratios, e.g. 0,0.05,0.1,0.2,0.5,1")
    o.add_argument(
        "--offload-gen-kwargs",
        type=_gen_kwargs,
        default={},
        help="the large model's sampling, e.g. temperature=0 (default: the run's --gen-kwargs)",
    )
    o.add_argument(
        "--probe-every",
        dest="offload_probe_every",
        type=int,
        help="splitreason: probe the small model after every k-th large-model token (1 = every prefix, as the paper)",
    )
    o.add_argument(
        "--large-chunk",
        dest="offload_large_chunk",
        type=int,
        help="splitreason: large-model tokens per chunk",
    )
    o.add_argument(
        "--max-offload",
        dest="offload_max_offload",
        type=int,
        help="splitreason: large-model tokens per offload at most",
    )
    o.add_argument(
        "--random-chunk",
        dest="offload_random_chunk",
        type=int,
        help="random-offload: tokens per chunk",
    )
    o.add_argument(
        "--latency-table",
        dest="offload_latency_table",
        help="throughput table for modelled latency: a preset (splitreason) or a YAML file from `harness calibrate`",
    )
    o.add_argument(
        "--latency-models",
        dest="offload_latency_models",
        type=_names,
        help="the (small,large) rows of the latency table (default 1.5B,32B)",
    )

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
    return p
