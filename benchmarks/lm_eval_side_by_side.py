"""A thinking-budget sweep as an lm-eval user runs it, against the harness, on the same 20 GSM8K rows, greedy:

    .venv/bin/python benchmarks/lm_eval_side_by_side.py [--limit 20] [--budgets 64,128,256] [--solution-budget 128]
        [--strategies plain,e1]

lm-eval: llama.cpp's own OpenAI server (`python -m llama_cpp.server`, SmolLM2 Q4_1), lm-eval's
`local-chat-completions` model, one lm-eval run per budget (max_gen_toks = budget), 0-shot, on a local copy of
gsm8k (a task YAML here pointing `datasets`' json builder at HARNESS_DATA_DIR/gsm8k/test.jsonl, so nothing is
fetched from the hub), with the server's repeat penalty off (`repeat_penalty=1.0` in `--gen_kwargs`, which lm-eval
passes through) so that both sides decode greedily alike. Ours: `python -m harness run` with the embedded engine and
budget reuse (one first call per sample at the largest budget, cut for each smaller one), once per strategy:
`plain` is lm-eval's job (a response cut at the budget, graded as it stands); `e1` does more (a cut response gets an
answer within --solution-budget, continuing the first call's state). Both sides are timed as whole commands (each
lm-eval run's own start-up included; the server's model load is not); the runs alternate sides. Prints the wall
times, ours / lm-eval for each strategy, and each side's accuracy.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import DATA_DIR  # noqa: E402

from harness.engines.llamacpp import resolve_gguf  # noqa: E402
from harness.engines.local_server import local_server  # noqa: E402


def task_yaml(folder: Path, data_file: str) -> None:
    import lm_eval

    spec = yaml.safe_load((Path(lm_eval.__file__).parent / "tasks" / "gsm8k" / "gsm8k.yaml").read_text())
    for key in ("tag", "training_split", "fewshot_split"):
        spec.pop(key, None)
    spec.update(
        task="gsm8k_local",
        dataset_path="json",
        dataset_name=None,
        num_fewshot=0,
        dataset_kwargs={"data_files": {"test": data_file}},
    )
    (folder / "gsm8k_local.yaml").write_text(yaml.safe_dump(spec))


def timed(cmd: list[str], env: dict, log: Path) -> float:
    t0 = time.perf_counter()
    with open(log, "w") as f:
        rc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(
            f"{cmd[2]} failed (exit {rc}); last lines of {log}:\n" + "".join(log.read_text().splitlines(True)[-15:])
        )
    return wall


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--budgets", default="64,128,256")
    p.add_argument("--solution-budget", type=int, default=128)
    p.add_argument("--strategies", default="plain,e1")
    a = p.parse_args()
    strategies = a.strategies.split(",")
    budgets = [int(b) for b in a.budgets.split(",")]
    py = sys.executable
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        task_yaml(tmp, str(Path(DATA_DIR) / "gsm8k" / "test.jsonl"))
        threads = ["--n_ctx", "4096", "--n_threads", str(len(os.sched_getaffinity(0)))]
        with local_server(
            "llama.cpp", resolve_gguf("smollm2-135m"), threads, log=tmp / "server.log", env=env, python=py
        ) as server:
            port = server.port
            lm_eval_s, ours_s = [], {}

            def ours(strategy: str) -> list[str]:
                return [
                    py,
                    "-m",
                    "harness",
                    "run",
                    "--model",
                    "smollm2-135m",
                    "--tasks",
                    "gsm8k",
                    "--strategy",
                    strategy,
                    "--budgets",
                    a.budgets,
                    "--solution-budget",
                    str(a.solution_budget),
                    "--limit",
                    str(a.limit),
                    "--output-path",
                    str(tmp / f"ours-{strategy}"),
                    "--data-dir",
                    str(DATA_DIR),
                ]

            for i, b in enumerate(budgets):
                if 0 < i <= len(strategies):  # ours between the lm-eval runs: the machine's load drifts
                    s = strategies[i - 1]
                    ours_s[s] = timed(ours(s), env, tmp / f"ours-{s}.log")
                lm_eval_s.append(
                    timed(
                        [
                            py,
                            "-m",
                            "lm_eval",
                            "--model",
                            "local-chat-completions",
                            "--model_args",
                            f"model=smollm2,base_url=http://127.0.0.1:{port}/v1/chat/completions,num_concurrent=1,"
                            f"tokenized_requests=False,max_retries=1",
                            "--tasks",
                            "gsm8k_local",
                            "--include_path",
                            str(tmp),
                            "--limit",
                            str(a.limit),
                            "--apply_chat_template",
                            "--gen_kwargs",
                            f"max_gen_toks={b},temperature=0,do_sample=False,repeat_penalty=1.0",
                            "--output_path",
                            str(tmp / f"lm{b}"),
                        ],
                        env,
                        tmp / f"lm_eval_{b}.log",
                    )
                )
            for s in strategies:
                if s not in ours_s:
                    ours_s[s] = timed(ours(s), env, tmp / f"ours-{s}.log")
        total = sum(lm_eval_s)
        print(f"{a.limit} GSM8K rows, budgets {budgets}, greedy")
        print(
            "lm-eval (local-chat-completions -> llama_cpp.server), one run per budget: "
            + ", ".join(f"{b}: {s:.1f} s (acc {lm_eval_acc(tmp / f'lm{b}')})" for b, s in zip(budgets, lm_eval_s))
            + f"; total {total:.1f} s"
        )
        for s in strategies:
            acc = pd.read_csv(tmp / f"ours-{s}" / "summary.csv").set_index("budget")["accuracy"].round(3).to_dict()
            print(
                f"harness (embedded llama.cpp, {s}, reuse{f', solution budget {a.solution_budget}' * (s == 'e1')}), "
                f"one run: {ours_s[s]:.1f} s (acc {acc}); harness / lm-eval = {ours_s[s] / total:.2f}"
            )


def lm_eval_acc(folder: Path) -> str:
    """exact_match (flexible-extract) from lm-eval's results file."""
    for f in folder.rglob("results_*.json"):
        res = json.loads(f.read_text())["results"]["gsm8k_local"]
        return f"{res.get('exact_match,flexible-extract', float('nan')):.3f}"
    return "?"


if __name__ == "__main__":
    main()
