"""The HTTP engine's throughput at concurrency 1 and 4 against the server's own single-request speed, in one run.

    .venv/bin/python benchmarks/http_throughput.py [--requests 8] [--tokens 128]

Starts llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) on 127.0.0.1 with the SmolLM2 GGUF. The
single-request figure is one plain httpx POST (no harness); the engine figures send `--requests` prompts through
`OpenAIEngine.generate`. llama-cpp-python's server runs one request at a time, so concurrency cannot raise its
throughput; against vLLM or SGLang it keeps their continuous batching full.
"""

import argparse
import time

import httpx

from common import ROOT  # noqa: F401  (sets sys.path)

from harness.engines import make_engine
from harness.engines.base import GenRequest
from harness.engines.llamacpp import resolve_gguf
from harness.engines.local_server import local_server
from tests.engines.test_openai_real import GREEDY


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=8)
    p.add_argument("--tokens", type=int, default=128)
    a = p.parse_args()
    with local_server("llama.cpp", resolve_gguf("smollm2-135m"), ["--n_ctx", "2048"]) as server:
        url = server.url
        prompts = [
            f"<|im_start|>user\nWrite a story about robot number {i}.<|im_end|>\n<|im_start|>assistant\n"
            for i in range(a.requests)
        ]
        body = {"prompt": prompts[0], "max_tokens": a.tokens, "temperature": 0, "seed": 0, **GREEDY}
        httpx.post(f"{url}/completions", json={**body, "max_tokens": 4}, timeout=600)  # warm up
        t0 = time.perf_counter()
        r = httpx.post(f"{url}/completions", json=body, timeout=600).json()
        single = r["usage"]["completion_tokens"] / (time.perf_counter() - t0)
        print(f"server alone, one request: {single:6.1f} tokens/s")
        for c in (1, 4):
            engine = make_engine(
                "openai:smol", base_url=url, tokenizer="smollm2-135m", concurrency=c, server_args=GREEDY
            )
            t0 = time.perf_counter()
            out = engine.generate([GenRequest(q, a.tokens, (), 0.0, 1.0, 0) for q in prompts])
            wall = time.perf_counter() - t0
            tokens = sum(x.completion_tokens for x in out)
            print(
                f"engine, concurrency {c}: {len(out)} requests, {tokens} tokens in {wall:5.1f} s = "
                f"{tokens / wall:6.1f} "
                f"tokens/s ({tokens / wall / single:.2f}x the single request)"
            )


if __name__ == "__main__":
    main()
