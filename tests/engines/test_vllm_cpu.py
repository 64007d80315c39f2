"""The vLLM engine's logic on CPU, through a test double with vLLM's names and signatures (fake_vllm.py) whose
generation is the real SmolLM2 model: what reaches vLLM, stop-token handling, timings, and that an e1 sweep
(with budget reuse) matches the embedded engine exactly. What a real GPU run adds is in benchmarks/gpu_smoke.sh."""
import sys

import pytest

from harness.engines import make_engine
from harness.engines.base import GenRequest
from harness.errors import BadArgumentError
from harness.records import read_records
from harness.run import RunConfig, run
from tests.engines import fake_vllm

pytestmark = pytest.mark.slow


@pytest.fixture()
def vllm(monkeypatch):
    fake_vllm.install(monkeypatch)
    fake_vllm.LLM.instances.clear()
    return fake_vllm


def test_engine_settings_and_requests(vllm):
    engine = make_engine("vllm:Qwen/QwQ-32B", vllm_args={"tensor_parallel_size": 2, "max_model_len": 4096, "seed": 3})
    llm = vllm.LLM.instances[0]
    assert llm.kwargs == {"model": "Qwen/QwQ-32B", "tensor_parallel_size": 2, "max_model_len": 4096,
                          "enable_prefix_caching": True, "disable_log_stats": False, "seed": 3}
    prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n"
    out = engine.generate([GenRequest(prompt, 12, ("</think>",), 0.0, 1.0, 5), GenRequest((1, 2, 3), 4, (), 0.7, 0.9, 6)])
    prompts, params = llm.calls[0]
    assert len(llm.calls) == 1  # one batch for the whole step
    assert prompts[0]["prompt_token_ids"] == engine.tokenize(prompt) and prompts[1]["prompt_token_ids"] == [1, 2, 3]
    assert (params[0].seed, params[0].stop, params[0].max_tokens, params[1].stop, params[1].temperature) == (5, ["</think>"], 12, None, 0.7)
    assert all(r.finish_reason in ("stop", "length") and r.ttft_s is not None for r in out)
    assert engine.detokenize(out[0].token_ids) == out[0].text


def test_stop_string_tokens_are_split_off_as_tail(vllm):
    engine = make_engine("vllm:m").engine  # the VLLMEngine inside the batching wrapper
    comp = fake_vllm.CompletionOutput(0, "ab", [1, 2, 9, 9], None, None, finish_reason="stop", stop_reason="</think>")
    engine.detokenize = lambda ids: "".join("ab"[i - 1] if i in (1, 2) else "<" for i in ids)
    res = engine._result(fake_vllm.RequestOutput("0", None, [5, 5], None, [comp], True, None), 1.5)
    assert res.token_ids == (1, 2) and res.tail_ids == (9, 9) and res.stop_string == "</think>" and res.wall_s == 1.5


def test_e1_sweep_with_reuse_matches_the_embedded_engine(vllm, data_dir, tmp_path):
    kw = dict(tasks=["gsm8k"], strategy="e1", budgets=[8, 24], solution_budget=16, limit=2, log_samples=True, n_ctx=2048)
    run(RunConfig(model="vllm:fake", **kw), tmp_path / "v", data_dir=data_dir, engine=make_engine("vllm:fake"),
        progress=False, cache=None)
    from harness.engines.llamacpp import LlamaCppEngine

    run(RunConfig(**kw), tmp_path / "e", data_dir=data_dir, engine=LlamaCppEngine("smollm2-135m", n_ctx=2048),
        progress=False, cache=None)
    v = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "v" / "records.jsonl")}
    e = {(r.sample_id, r.budget): r for r in read_records(tmp_path / "e" / "records.jsonl")}
    assert sorted(v) == sorted(e)
    for k in v:
        assert (v[k].thinking, v[k].answer, v[k].thinking_tokens, v[k].derived_from) == \
               (e[k].thinking, e[k].answer, e[k].thinking_tokens, e[k].derived_from), k


def test_vllm_budget_sends_thinking_token_budget(vllm, data_dir, tmp_path):
    run(RunConfig(model="vllm:fake", tasks=["gsm8k"], strategy="vllm-budget", budgets=[8], solution_budget=8, limit=1,
                      thinking="prefill"),
        tmp_path / "b", data_dir=data_dir, engine=make_engine("vllm:fake"), progress=False, cache=None)
    _, params = vllm.LLM.instances[0].calls[0]
    assert params[0].thinking_token_budget == 8 and params[0].max_tokens == 16


def test_data_parallel_in_process_is_refused_with_the_alternatives(vllm):
    with pytest.raises(BadArgumentError, match=r"--shard I/N .*`vllm serve --data-parallel-size N`"):
        make_engine("vllm:m", vllm_args={"data_parallel_size": 2})


def test_without_vllm_installed_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(BadArgumentError, match=r"pip install -e '.\[vllm\]'"):
        make_engine("vllm:m")


def test_llamacpp_has_no_native_thinking_budget():
    from harness.engines.llamacpp import LlamaCppEngine

    res = LlamaCppEngine("smollm2-135m", n_ctx=512).generate([GenRequest("hi", 4, thinking_budget=4)])[0]
    assert res.finish_reason == "error" and "use --strategy e1" in res.error


def test_parallel_samples_reach_vllm_as_one_batch(vllm, data_dir, tmp_path):
    engine = make_engine("vllm:fake")
    run(RunConfig(model="vllm:fake", tasks=["gsm8k"], strategy="plain", budgets=[8], limit=4), tmp_path / "p",
        data_dir=data_dir, engine=engine, progress=False, cache=None, concurrency=4)
    assert max(engine.batches) > 1 and sum(engine.batches) == 4
    assert len(read_records(tmp_path / "p" / "records.jsonl")) == 4
