"""vLLM runs larger than one node: `distributed_executor_backend: ray` goes from the run's config through the plan's
engine loader into vllm.LLM. On this CPU-only machine vLLM's own Ray executor takes the argument and refuses the
CPU platform; on a GPU cluster the same path starts vLLM's workers on Ray (docs/grid.md)."""

import pytest

from harness.run.config import RunConfig
from harness.run.plan import engine_loader

pytestmark = [pytest.mark.vllm, pytest.mark.ray]


def test_the_ray_backend_reaches_vllms_ray_executor(vllm_model_dir, capfd, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # vLLM starts a local Ray instance; no token file for it
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    cfg = RunConfig(
        tasks=["gsm8k"], budgets=[8], model="vllm:smollm2-135m", max_model_len=512, distributed_executor_backend="ray"
    )
    assert cfg.engine.distributed_executor_backend == "ray"
    load = engine_loader(cfg.engine.model, cfg, concurrency=1)
    try:
        engine = load()
    except Exception:  # vLLM's CPU build has no Ray executor: it says so from inside that executor
        out = "".join(capfd.readouterr())
        assert "'distributed_executor_backend': 'ray'" in out  # vLLM's log of the arguments it was given
        assert "ray_executor" in out and "does not support ray" in out
    else:  # a GPU machine: vLLM ran on Ray
        assert engine.info.extra["distributed_executor_backend"] == "ray"
        engine.close()
