"""Each engine at its own speed: the harness against the engine's own fastest way to generate the same tokens,
side by side in this one run (each side a fresh process, so start-up counts on both sides).

    .venv/bin/python benchmarks/engine_speed.py [--parts vllm,vllm-server,embedded] [--rows 20] [--budgets 64,128,256]
        [--harness-root PATH]   (the harness of another checkout, e.g. `git worktree add /tmp/before REV`)

vllm         `harness run --model vllm:smollm2-135m` (plain, GSM8K, --rows, the budgets, greedy) against vLLM's own
             `LLM.generate` of the same prompts (the run's own, as token ids) at the largest budget, engine start
             included, same engine settings. Target <= 1.1x wall for the same generated tokens.
vllm-server  vLLM's OpenAI server on 127.0.0.1: the same run over HTTP (`--model openai:smol`, --concurrency at the
             number of rows, so the server's batch stays full) against every prompt sent at once by a bare async
             client; both read the server's Prometheus counter of generated tokens. Target <= 1.1x wall.
embedded     the embedded engine's figures, from the scripts that measure them: benchmarks/reasoning_lengths.py
             (a 5-budget e1 sweep at reasoning lengths against its physical minimum; a stop string at 3,000 tokens),
             benchmarks/sweep_cost.py (reuse against independent budgets at natural lengths).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA_DIR, ROOT

PY = sys.executable
BASELINE = r"""
import json, sys, time
t0 = time.perf_counter()
from vllm import LLM, SamplingParams
from vllm.inputs import TokensPrompt
args = json.loads(sys.argv[1])
llm = LLM(**args["engine"])
started = time.perf_counter() - t0
params = SamplingParams(max_tokens=args["max_tokens"], temperature=0.0, seed=0)
outs = llm.generate([TokensPrompt(prompt_token_ids=p) for p in args["prompts"]], params, use_tqdm=False)
print(json.dumps({"wall_s": time.perf_counter() - t0, "start_s": started,
                  "tokens": sum(len(o.outputs[0].token_ids) for o in outs)}))
"""


HARNESS = {"root": ROOT}  # --harness-root: the checkout whose harness runs (another commit, for before/after)


def harness_run(out: Path, model: list[str], rows: int, budgets: str) -> dict:
    cmd = [PY, "-m", "harness", "run", *model, "--tasks", "gsm8k", "--strategy", "plain", "--budgets", budgets]
    cmd += ["--limit", str(rows), "--seed", "0", "--data-dir", DATA_DIR, "--output-path", str(out), "--log-samples"]
    env = {**os.environ, "PYTHONPATH": str(HARNESS["root"])}
    cpu0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run([*cmd, "--overwrite"], check=True, cwd=HARNESS["root"], stdout=subprocess.DEVNULL, env=env)
    wall, m = time.perf_counter() - t0, json.loads((out / "manifest.json").read_text())
    return {
        "wall_s": wall,
        "tokens": m["generated_tokens"],
        "calls": m["engine_calls"],
        "sweep_s": m["sweep_wall_s"],
        "cpu_s": _children_cpu() - cpu0,
    }


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the harness and its grading workers; an in-process vLLM too)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_prompts(out: Path) -> list[str]:
    """The rendered prompt of each sample's first call, in sample order."""
    recs = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    first = {r["index"]: r["calls"][0]["prompt"] for r in recs}
    return [first[i] for i in sorted(first)]


def vllm_offline(rows: int, budgets: str, tmp: Path) -> None:
    from harness.engines.vllm_model import resolve_vllm_model
    from transformers import AutoTokenizer

    folder = resolve_vllm_model("smollm2-135m")
    h = harness_run(tmp / "vllm", ["--model", "vllm:smollm2-135m"], rows, budgets)
    tok = AutoTokenizer.from_pretrained(folder)
    prompts = [tok.encode(p, add_special_tokens=False) for p in run_prompts(tmp / "vllm")]
    m = json.loads((tmp / "vllm" / "manifest.json").read_text())["model"]
    engine = dict(model=folder, dtype="float32", enforce_eager=True, seed=0, enable_prefix_caching=True)
    engine["max_model_len"] = m["max_model_len"]
    args = {"engine": engine, "prompts": prompts, "max_tokens": max(int(b) for b in budgets.split(","))}
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}  # as the harness
    t0 = time.perf_counter()  # timed from outside, as the harness run is: interpreter start and exit included
    done = subprocess.run([PY, "-c", BASELINE, json.dumps(args)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"vLLM's own run failed:\n{done.stderr[-3000:]}")
    v = json.loads(next(line for line in done.stdout.splitlines() if line.startswith('{"wall_s"')))
    print(
        f"vllm offline: harness {h['wall_s']:.1f} s for {h['tokens']} tokens ({h['calls']} calls) | "
        f"LLM.generate {wall:.1f} s (in-process {v['wall_s']:.1f} s, of which engine start {v['start_s']:.1f} s) for "
        f"{v['tokens']} tokens | ratio {h['wall_s'] / wall:.2f}x (target <= 1.1)"
    )


def generated(url: str) -> float:
    import httpx

    text = httpx.get(url.removesuffix("/v1") + "/metrics", timeout=10).text
    return sum(float(v) for v in re.findall(r"^vllm:generation_tokens_total\{[^}]*\} ([0-9.e+]+)$", text, re.M))


async def burst(url: str, prompts: list[str], max_tokens: int) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=3600, limits=httpx.Limits(max_connections=len(prompts))) as c:
        body = {"model": "smol", "max_tokens": max_tokens, "temperature": 0.0, "seed": 0}
        replies = await asyncio.gather(*(c.post("/completions", json={**body, "prompt": p}) for p in prompts))
    assert all(r.status_code == 200 for r in replies), [r.text[:200] for r in replies if r.status_code != 200]


def vllm_server(rows: int, budgets: str, tmp: Path) -> None:
    import httpx

    from harness.engines.local_server import local_server
    from harness.engines.vllm_model import resolve_vllm_model

    folder = resolve_vllm_model("smollm2-135m")
    args = ["--served-model-name", "smol", "--dtype", "float32", "--enforce-eager", "--enable-prefix-caching"]
    dev = {"VLLM_SERVER_DEV_MODE": "1"}  # for /reset_prefix_cache: both sides start with a cold prefix cache
    with local_server("vllm", folder, [*args, "--seed", "0"], timeout_s=600, env=dev) as server:
        model = ["--model", "openai:smol", "--base-url", server.url, "--tokenizer", "smollm2-135m"]
        before = generated(server.url)
        h = harness_run(tmp / "http", [*model, "--concurrency", str(rows)], rows, budgets)
        h_tokens, before = generated(server.url) - before, generated(server.url)
        reset = httpx.post(server.url.removesuffix("/v1") + "/reset_prefix_cache", timeout=60)
        print(f"(prefix cache reset between the sides: HTTP {reset.status_code})")
        prompts = run_prompts(tmp / "http")  # the same prompts, every one at once, by a bare client
        t0 = time.perf_counter()
        asyncio.run(burst(server.url, prompts, max(int(b) for b in budgets.split(","))))
        wall, tokens = time.perf_counter() - t0, generated(server.url) - before
    print(
        f"vllm server: harness {h['wall_s']:.1f} s (its sweep {h['sweep_s']:.1f} s; the harness's own CPU "
        f"{h['cpu_s']:.1f} s, beside the server's on this machine's cores), server generated {h_tokens:.0f} tokens "
        f"({h['calls']} calls) | "
        f"bare client {wall:.1f} s, server generated {tokens:.0f} tokens | ratio {h['wall_s'] / wall:.2f}x "
        f"(target <= 1.1)"
    )


def embedded() -> None:
    for script, extra in (("reasoning_lengths.py", ["--parts", "sweep,stop"]), ("sweep_cost.py", [])):
        print(f"--- benchmarks/{script} {' '.join(extra)}", flush=True)
        subprocess.run([PY, str(ROOT / "benchmarks" / script), *extra], check=True, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default="vllm,vllm-server,embedded")
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--budgets", default="64,128,256")
    ap.add_argument("--harness-root", type=Path, default=ROOT, help="a checkout of another commit (git worktree)")
    a = ap.parse_args()
    HARNESS["root"] = a.harness_root.resolve()
    parts = a.parts.split(",")
    with tempfile.TemporaryDirectory() as d:
        if "vllm" in parts:
            vllm_offline(a.rows, a.budgets, Path(d))
        if "vllm-server" in parts:
            vllm_server(a.rows, a.budgets, Path(d))
    if "embedded" in parts:
        embedded()


if __name__ == "__main__":
    main()
