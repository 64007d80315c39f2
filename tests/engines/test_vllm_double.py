"""What a CPU cannot show about the vLLM engine, through a test double posing as vLLM on a GPU (fake_vllm.py):
the settings a GPU run sends (tensor parallelism, gpu_memory_utilization, vLLM's own dtype and CUDA graphs, the
ReasoningConfig) and in-process data parallelism refused. Everything else runs on real vLLM
(test_vllm_real.py, test_vllm_server.py); benchmarks/gpu_smoke.sh is the real GPU check."""

import sys

import pytest

from harness.engines import make_engine
from harness.engines.base import GenRequest
from harness.errors import BadArgumentError
from tests.engines import fake_vllm

pytestmark = pytest.mark.slow


@pytest.fixture()
def vllm(monkeypatch):
    fake_vllm.install(monkeypatch)
    fake_vllm.LLM.instances.clear()
    return fake_vllm


def test_gpu_engine_settings_and_requests(vllm):
    engine = make_engine("vllm:Qwen/QwQ-32B", vllm_args={"tensor_parallel_size": 2, "max_model_len": 4096, "seed": 3})
    llm = vllm.LLM.instances[0]
    reasoning = llm.kwargs.pop("reasoning_config")
    assert llm.kwargs == {
        "model": "Qwen/QwQ-32B",
        "tensor_parallel_size": 2,
        "max_model_len": 4096,
        "enable_prefix_caching": True,
        "disable_log_stats": False,
        "seed": 3,
    }
    # on a GPU: no forced float32 and no forced eager mode (CUDA graphs allowed)
    assert (reasoning.reasoning_start_str, reasoning.reasoning_end_str) == ("<think>", "</think>")
    out = engine.generate(
        [GenRequest("hi", 4, ("</think>",), 0.0, 1.0, 5, thinking_budget=2), GenRequest((1, 2, 3), 4, (), 0.7, 0.9, 6)]
    )
    (p0,), (s0,) = llm.calls[0]
    (p1,), (s1,) = llm.calls[1]
    assert len(llm.calls) == 2 and p1["prompt_token_ids"] == [1, 2, 3]
    assert (s0.seed, s0.stop, s0.thinking_token_budget, s1.stop) == (5, ["</think>"], 2, None)
    assert engine.info.extra["device"] == "gpu" and all(r.finish_reason != "error" for r in out)


def test_data_parallel_in_process_is_refused_with_the_alternatives(vllm):
    with pytest.raises(BadArgumentError, match=r"--shard I/N .*`vllm serve --data-parallel-size N`"):
        make_engine("vllm:m", vllm_args={"data_parallel_size": 2})


def test_without_vllm_installed_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(BadArgumentError, match=r"bash setup.sh --with-vllm"):
        make_engine("vllm:m")


def test_llamacpp_has_no_native_thinking_budget():
    from harness.engines.llamacpp import LlamaCppEngine

    res = LlamaCppEngine("smollm2-135m", n_ctx=512).generate([GenRequest("hi", 4, thinking_budget=4)])[0]
    assert res.finish_reason == "error" and "use --strategy e1" in res.error
