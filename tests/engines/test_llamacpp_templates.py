"""The real llama.cpp engine on a GGUF that carries a real chat template in its metadata, as a published GGUF does.

A copy of SmolLM2's GGUF gets DeepSeek-R1-Distill's or Qwen3's template (gguf's `gguf-new-metadata
--chat-template-file`); the engine reads it back from the file, the harness detects the format, and a real e1 sweep
shows what the model was sent: one opener where the template opens thinking, none where the model writes its own.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.engines.llamacpp import LlamaCppEngine, resolve_gguf
from harness.prompts import PromptSettings, prompt_builder, settle_format
from harness.records import read_records

pytestmark = pytest.mark.slow
TEMPLATES = Path(__file__).parent.parent / "data" / "chat_templates" / "llama.cpp"


def with_template(tmp: Path, template: str) -> Path:
    out = tmp / (template.replace(".jinja", "") + ".gguf")
    tool = shutil.which("gguf-new-metadata") or str(Path(sys.executable).parent / "gguf-new-metadata")
    subprocess.run(
        [
            tool,
            str(resolve_gguf("smollm2-135m")),
            str(out),
            "--chat-template-file",
            str(TEMPLATES / template),
            "--force",
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def r1_gguf(tmp_path_factory):
    return with_template(tmp_path_factory.mktemp("gguf"), "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja")


def test_the_engine_reads_the_template_from_the_gguf_and_detects_it(r1_gguf):
    engine = LlamaCppEngine(str(r1_gguf), n_ctx=512, vocab_only=True)
    assert engine.info.chat_template == (TEMPLATES / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
    settings = PromptSettings(template_kwargs={"enable_thinking": True})  # what the runner renders it with
    fmt = settle_format(engine, settings)
    assert fmt.mode == "template" and fmt.close_token is None  # SmolLM2's vocabulary has no </think> token
    prompt = prompt_builder(engine.info, settings, fmt, "What is 2+2?")("")
    assert prompt.endswith("<｜Assistant｜><think>\n") and prompt.count("<think>") == 1


def test_an_e1_sweep_sends_one_opener_and_continues_the_thinking(r1_gguf, tmp_path, data_dir):
    out = tmp_path / "r1"
    assert (
        main(
            [
                "run",
                "--model",
                f"llama.cpp:{r1_gguf}",
                "--tasks",
                "gsm8k",
                "--strategy",
                "e1",
                "--budgets",
                "8,24",
                "--solution-budget",
                "16",
                "--limit",
                "2",
                "--output-path",
                str(out),
                "--log-samples",
                "--data-dir",
                str(data_dir),
                "--no-progress",
                "--n-ctx",
                "1024",
            ]
        )
        == 0
    )
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["thinking_format"]["mode"] == "template"
    assert manifest["prompt"]["template_kwargs"] == {"enable_thinking": True}
    engine = LlamaCppEngine(str(r1_gguf), n_ctx=512, vocab_only=True)
    for r in read_records(out / "records.jsonl"):
        thinking_call, solution_call = r.calls
        assert thinking_call.prompt.endswith("<｜Assistant｜><think>\n") and thinking_call.prompt.count("<think>") == 1
        assert thinking_call.stop == ["</think>"]
        # </think> is several tokens of SmolLM2's vocabulary: the solution continues the sampled ids, then those
        ids = engine.prompt_ids(thinking_call.prompt) + list(thinking_call.token_ids) + engine.tokenize("</think>")
        assert solution_call.prompt_ids == ids and solution_call.prompt == engine.detokenize(ids)
        assert r.continued_on == "tokens" and r.thinking == thinking_call.output


def test_qwen3_template_lets_the_model_open_thinking_and_enable_thinking_false_turns_it_off(tmp_path):
    gguf = with_template(tmp_path, "Qwen-Qwen3-0.6B.jinja")
    engine = LlamaCppEngine(str(gguf), n_ctx=512, vocab_only=True)
    on = settle_format(engine, PromptSettings(template_kwargs={"enable_thinking": True}))
    off = settle_format(engine, PromptSettings(template_kwargs={"enable_thinking": False}))
    assert (on.mode, off.mode) == ("model", "none")
    assert prompt_builder(engine.info, PromptSettings(), on, "Q")("").endswith("<|im_start|>assistant\n")
