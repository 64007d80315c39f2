"""Decode speed of the embedded engine for a few thread settings (one 256-token greedy request each).

    .venv/bin/python benchmarks/threads.py [--threads 1,2,4] [--tokens 256]

OMP_WAIT_POLICY is read when llama.cpp loads, so each setting runs in its own process.
"""

import argparse
import os
import subprocess
import sys

CHILD = """
import time, sys
sys.path.insert(0, {root!r})
from harness.engines.llamacpp import LlamaCppEngine
from harness.engines.base import GenRequest
e = LlamaCppEngine("smollm2-135m", n_ctx=1024, n_threads={threads})
prompt = "<|im_start|>user\\nWrite a long story about a robot.<|im_end|>\\n<|im_start|>assistant\\n"
e.generate([GenRequest(prompt, 8)])  # warm up
r = e.generate([GenRequest(prompt, {tokens})])[0]
print(f"{{len(r.token_ids) / (r.wall_s - r.ttft_s):.1f}}")
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", default="1,2,4")
    p.add_argument("--tokens", type=int, default=256)
    a = p.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"{'threads':>7} {'OMP_WAIT_POLICY':>15} {'decode tok/s':>12}")
    for policy in ("PASSIVE", "ACTIVE"):
        for t in a.threads.split(","):
            env = {**os.environ, "OMP_WAIT_POLICY": policy}
            out = subprocess.run(
                [sys.executable, "-c", CHILD.format(root=root, threads=int(t), tokens=a.tokens)],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            print(f"{t:>7} {policy:>15} {out.stdout.strip() or out.stderr.strip()[-80:]:>12}")


if __name__ == "__main__":
    main()
