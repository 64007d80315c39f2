"""An instruct model through the harness against its own chat completion, on the same rows.

    .venv/bin/python benchmarks/instruct_parity.py [--limit 30] [--budget 512] [--e1-budgets 64,128,256,512]
        [--solution-budget 128]

(a) llama-cpp-python's `create_chat_completion` (greedy, max_tokens = --budget, the harness's instruction after the
question), graded by the harness's grader; (b) `harness run --strategy plain --budgets BUDGET`; (c) e1 at each t with
s = --solution-budget. Prints accuracy and "no answer" share for each, and how many plain responses are the same text
as (a). SmolLM2-135M-Instruct (the embedded default) scores near zero on GSM8K, so the identical-text count is the
sharper check; pass --model llama.cpp:PATH.gguf for a bigger instruct model.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from common import DATA_DIR, ROOT

sys.path.insert(0, str(ROOT))

from harness.data import load_rows  # noqa: E402
from harness.engines.llamacpp import LlamaCppEngine, resolve_gguf  # noqa: E402
from harness.prompts import DEFAULT_INSTRUCTION  # noqa: E402
from harness.records import read_records  # noqa: E402
from harness.run import RunConfig, run  # noqa: E402
from harness.scoring import score_answer  # noqa: E402
from harness.tasks import build_samples, expand_task_names  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--limit", type=int, default=30)
    p.add_argument("--budget", type=int, default=512)
    p.add_argument("--e1-budgets", default="64,128,256,512")
    p.add_argument("--solution-budget", type=int, default=128)
    a = p.parse_args()
    target = a.model.split(":", 1)[1] if a.model.startswith("llama.cpp:") else a.model
    spec = expand_task_names(["gsm8k"])[0]
    samples = build_samples(spec, load_rows(spec.task, spec.folder, spec.hub, DATA_DIR)[0])[: a.limit]

    from llama_cpp import Llama

    llm = Llama(model_path=str(resolve_gguf(target)), n_ctx=4096, verbose=False)
    own = {}
    for s in samples:
        llm.reset()
        out = llm.create_chat_completion(
            [{"role": "user", "content": f"{s.question}\n{DEFAULT_INSTRUCTION}"}],
            temperature=0.0,
            max_tokens=a.budget,
            seed=0,
        )["choices"][0]
        own[s.id] = (
            out["message"]["content"],
            score_answer(out["message"]["content"], s.gold, s.answer_type),
            out["finish_reason"] == "length",
        )
    llm.close()
    n = len(samples)
    print(f"gsm8k, first {n} rows, {a.model}, greedy")
    print(
        f"(a) create_chat_completion, max_tokens {a.budget}: accuracy "
        f"{sum(v[1].correct for v in own.values()) / n:.3f}, "
        ""
        f"no answer {sum(v[1].extracted is None for v in own.values()) / n:.3f}, hit budget "
        f"{sum(v[2] for v in own.values())}"
    )

    engine = LlamaCppEngine(target, n_ctx=4096)
    with tempfile.TemporaryDirectory() as tmp:
        run(
            RunConfig(model=a.model, tasks=["gsm8k"], strategy="plain", budgets=[a.budget], limit=a.limit),
            Path(tmp) / "p",
            data_dir=DATA_DIR,
            engine=engine,
            progress=False,
            cache=None,
        )
        recs = read_records(Path(tmp) / "p" / "records.jsonl")
        same = sum(r.answer == own[r.sample_id][0] for r in recs)
        print(
            f"(b) harness plain, budget {a.budget}: accuracy {sum(bool(r.correct) for r in recs) / n:.3f}, "
            f"no answer {sum(r.extracted is None for r in recs) / n:.3f}, hit budget "
            f"{sum(r.hit_budget for r in recs)}; "
            f"same text as (a): {same}/{n}"
        )
        budgets = [int(b) for b in a.e1_budgets.split(",")]
        run(
            RunConfig(
                model=a.model,
                tasks=["gsm8k"],
                strategy="e1",
                budgets=budgets,
                solution_budget=a.solution_budget,
                limit=a.limit,
            ),
            Path(tmp) / "e",
            data_dir=DATA_DIR,
            engine=engine,
            progress=False,
            cache=None,
        )
        recs = read_records(Path(tmp) / "e" / "records.jsonl")
        for b in budgets:
            at = [r for r in recs if r.budget == b]
            print(
                f"(c) harness e1, t {b:4d}, s {a.solution_budget}: accuracy "
                f"{sum(bool(r.correct) for r in at) / n:.3f}, "
                f"no answer {sum(r.extracted is None for r in at) / n:.3f}, cut at t {sum(r.hit_budget for r in at)}"
            )


if __name__ == "__main__":
    main()
