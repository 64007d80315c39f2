"""SmolLM2-135M-Instruct as what it is, an instruct model: no thinking phase, graded from its text.

The reference is llama-cpp-python's own chat completion (`create_chat_completion`, greedy) on the same GGUF and
rows: through `harness run --strategy plain` at a budget the responses do not hit, every response is the same text.
"""

import pytest
from llama_cpp import Llama

from harness.cli import main
from harness.engines.llamacpp import resolve_gguf
from harness.prompts import DEFAULT_INSTRUCTION
from harness.records import read_records
from harness.tasks import build_samples, expand_task_names
from harness.data import load_rows

pytestmark = pytest.mark.slow
ROWS, BUDGET = 3, 384


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("instruct") / "plain"
    assert (
        main(
            [
                "run",
                "--tasks",
                "gsm8k",
                "--strategy",
                "plain",
                "--budgets",
                str(BUDGET),
                "--limit",
                str(ROWS),
                "--output-path",
                str(out),
                "--data-dir",
                str(data_dir),
                "--no-progress",
                "--n-ctx",
                "2048",
            ]
        )
        == 0
    )
    return out


def test_responses_that_end_are_graded_from_their_text(plain_run):
    import json

    assert json.loads((plain_run / "manifest.json").read_text())["thinking_format"]["mode"] == "none"
    records = read_records(plain_run / "records.jsonl")
    for r in records:  # cut or not, a response without thinking is graded as it stands
        assert r.status == "ok" and r.thinking == "" and r.thinking_end == "none" and r.thinking_closed
        assert r.verdict_reason != "thinking_not_closed" and r.correct is not None
    ended = [r for r in records if not r.hit_budget]
    assert len(ended) >= 2 and all(r.extracted is not None for r in ended)  # each finished answer has its answer read


def test_same_text_as_llama_cpp_pythons_own_chat_completion(plain_run, data_dir):
    spec = expand_task_names(["gsm8k"])[0]
    samples = build_samples(spec, load_rows(spec.task, spec.folder, spec.hub, data_dir)[0])[:ROWS]
    llm = Llama(model_path=str(resolve_gguf("smollm2-135m")), n_ctx=2048, verbose=False)
    records = {r.sample_id: r for r in read_records(plain_run / "records.jsonl")}
    for s in samples:
        llm.reset()  # evaluate each prompt from scratch, as the harness does
        ref = llm.create_chat_completion(
            [{"role": "user", "content": f"{s.question}\n{DEFAULT_INSTRUCTION}"}],
            temperature=0.0,
            max_tokens=BUDGET,
            seed=0,
        )
        assert records[s.id].answer == ref["choices"][0]["message"]["content"]
    llm.close()
