"""The harness at reasoning lengths (SmolLM2, ignore_eos, thinking >= 3,000 tokens), each figure a ratio measured
side by side in this one process (the variants alternate, each repeated; medians):

    .venv/bin/python benchmarks/reasoning_lengths.py [--parts sweep,stop,overhead] [--tokens 3000] [--repeats 2]

stop      one 3,000-token greedy call with a stop string that never matches against the same call without one
          (target: within 5%).
overhead  the harness (`run()`, e1 at one budget of 3,000 with ignore_eos: prompt, thinking, end marker, solution)
          against llama.cpp's own decode loop (`Llama.generate`) decoding exactly the same tokens (target <= 3%).
sweep     a 5-budget e1 sweep with reuse (one long thinking call, each solution continuing its state) against the
          decode time of its physical minimum: llama.cpp's own loop decoding the prompt once, the longest thinking once
          and each budget's solution once (budgets in descending order, so no token is ever decoded twice)
          (target <= 1.1x). Then checks the records are token-for-token equal to a --no-reuse sweep (a different
          request order: each budget's thinking call, then its solution) at temperature 0.
The raw loop runs on the same loaded engine with the same EOG logit bias (the engine's sampler hook), so both sides
sample identical tokens; it checks that it did.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import DATA_DIR, load_engine, sweep

from harness.engines.base import GenRequest
from harness.records import read_records

PROMPT = "<|im_start|>user\nExplain, step by step, how to compute 37 * 43.<|im_end|>\n<|im_start|>assistant\n"


def stop_part(engine, n: int, repeats: int):
    times = {"none": [], "stop": []}
    for i in range(repeats):
        for name in ("none", "stop") if i % 2 == 0 else ("stop", "none"):
            req = GenRequest(PROMPT, n, ("<<never-stops>>",) if name == "stop" else (), ignore_eos=True)
            r = engine.generate([req])[0]
            assert r.finish_reason == "length" and len(r.token_ids) == n, (r.finish_reason, len(r.token_ids), r.error)
            times[name].append(r.wall_s - (r.ttft_s or 0.0))
    none, stop = statistics.median(times["none"]), statistics.median(times["stop"])
    pairs = statistics.median(a / b for a, b in zip(times["stop"], times["none"]))
    print(
        f"stop: {n} greedy tokens, {repeats} runs each: decode {n / none:.1f} tok/s without a stop string, "
        f"{n / stop:.1f} with one; with/without = {stop / none:.3f} (medians; median of adjacent pairs {pairs:.3f}; "
        f"target <= 1.05; decode s without: {', '.join(f'{x:.1f}' for x in times['none'])}, with: "
        f"{', '.join(f'{x:.1f}' for x in times['stop'])})"
    )


def raw_minimum(engine, records) -> tuple[float, list]:
    """llama.cpp's own loop decoding what the records decoded: the prompt once, the longest first call once, each
    solution once. Returns (seconds, [(budget, solution ids)]) to check the tokens are the same."""
    llm = engine.llm
    by_budget = sorted(records, key=lambda r: r.budget, reverse=True)
    first = by_budget[0].calls[0]
    prompt = engine.prompt_ids(first.prompt)
    kw = dict(top_k=0, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, presence_penalty=0.0)
    engine._bias = engine._eog_ids()  # ignore_eos, as in the harness's sampler chain
    out = []
    t0 = time.perf_counter()
    llm.reset()
    n = len(first.token_ids)  # with ignore_eos and no stop hit: the sampled count
    gen = llm.generate(prompt, reset=False, **kw)
    for i, _ in enumerate(gen, 1):
        if i >= n:
            break
    gen.close()
    for r in by_budget:
        if len(r.calls) < 2:
            continue
        sol = r.calls[1]
        ids = sol.prompt_ids
        cur = llm.input_ids[: llm.n_tokens].tolist()
        k = 0
        while k < min(len(ids) - 1, len(cur)) and ids[k] == cur[k]:
            k += 1
        llm.n_tokens = k
        for tok in ids[k:-1]:  # one at a time, as every token after a fresh prompt (a batch rounds differently)
            llm.eval([tok])
        got = []
        gen = llm.generate(ids[-1:], reset=False, **kw)
        for tok in gen:
            got.append(tok)
            if len(got) >= len(sol.token_ids):
                break
        gen.close()
        out.append((r.budget, got))
    wall = time.perf_counter() - t0
    engine._bias = None
    return wall, out


def harness_vs_raw(engine, tmp: Path, name: str, budgets: list[int], solution: int, repeats: int, check: bool):
    base = dict(
        tasks=["gsm8k"],
        strategy="e1",
        limit=1,
        budgets=budgets,
        solution_budget=solution,
        ignore_eos=True,
        log_samples=True,
        n_ctx=engine.llm.n_ctx(),
    )
    ours, raw, records = [], [], None
    for i in range(repeats):
        for side in ("harness", "raw") if i % 2 == 0 else ("raw", "harness"):
            if side == "harness" or records is None:
                out = tmp / f"{name}{i}"
                r = sweep(engine, out, cache=None, **base)
                records = read_records(out / "records.jsonl")
                if side == "harness":
                    ours.append(r["sweep_wall_s"])
                    continue
            wall, got = raw_minimum(engine, records)
            raw.append(wall)
            for b, ids in got:
                rec = next(x for x in records if x.budget == b)
                assert ids == rec.calls[1].token_ids, f"raw loop sampled other tokens at budget {b}"
    thinking = max(len(r.calls[0].token_ids) for r in records)
    solutions = sum(len(r.calls[1].token_ids) for r in records if len(r.calls) > 1)
    o, w = statistics.median(ours), statistics.median(raw)
    pairs = statistics.median(a / b for a, b in zip(ours, raw))  # each run against the raw loop next to it
    target = "<= 1.03" if len(budgets) == 1 else "<= 1.1"
    print(
        f"{name}: e1, budgets {budgets}, solution budget {solution}, ignore_eos: thinking {thinking} tokens once, "
        f"{solutions} solution tokens; {repeats} runs each: harness sweep loop / llama.cpp's own loop = {o / w:.3f} "
        f"(medians; median of adjacent pairs {pairs:.3f}; target {target}; runs: harness "
        f"{', '.join(f'{x:.1f}' for x in ours)} s, raw {', '.join(f'{x:.1f}' for x in raw)} s)"
    )
    if check:
        ind = tmp / f"{name}-independent"
        sweep(engine, ind, cache=None, reuse=False, **base)
        independent = {r.budget: r for r in read_records(ind / "records.jsonl")}
        same = all(
            [c.token_ids for c in r.calls] == [c.token_ids for c in independent[r.budget].calls]
            and r.answer == independent[r.budget].answer
            for r in records
        )
        print(f"{name}: reused sweep token-for-token equal to the --no-reuse sweep (another request order): {same}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--parts", default="sweep,stop,overhead")
    p.add_argument("--tokens", type=int, default=3000)
    p.add_argument("--solution-budget", type=int, default=64)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--no-check", action="store_true", help="skip the --no-reuse exactness run of the sweep part")
    a = p.parse_args()
    parts = a.parts.split(",")
    engine = load_engine(n_ctx=a.tokens + a.solution_budget + 512)
    n = a.tokens
    with tempfile.TemporaryDirectory() as tmp:
        if "sweep" in parts:
            budgets = [n * i // 5 for i in range(1, 6)]
            harness_vs_raw(engine, Path(tmp), "sweep", budgets, a.solution_budget, a.repeats, check=not a.no_check)
        if "stop" in parts:
            stop_part(engine, n, a.repeats)
        if "overhead" in parts:
            harness_vs_raw(engine, Path(tmp), "overhead", [n], a.solution_budget, a.repeats, check=False)
    engine.close()
    print(f"data: {DATA_DIR}")


if __name__ == "__main__":
    main()
