"""Thinking formats against real chat templates (tests/data/chat_templates/README.md gives their sources).

For each family: the detected format, the prompt byte for byte as Hugging Face transformers renders the same template
(plus only a documented prefill), exactly one opener where one belongs, the stop, and a realistic response split.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from transformers.utils.chat_template_utils import render_jinja_template

from harness.engines.base import ModelInfo
from harness.errors import BadArgumentError
from harness.prompts import PromptSettings, prompt_builder, prompt_settings, settle_format
from harness.thinking import HARMONY, ThinkingFormat, parse_markers

TEMPLATES = Path(__file__).parent / "data" / "chat_templates" / "llama.cpp"
README = (Path(__file__).parent / "data" / "chat_templates" / "README.md").read_text()
QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many?"


class TemplateOnly:
    """The parts of an engine a thinking format reads: the template, BOS/EOS and a tokenizer (characters here,
    so no marker is one token)."""

    name = "template-only"

    def __init__(self, template: str, bos: str = "<s>", eos: str = "</s>"):
        self.info = ModelInfo("m", None, None, template, bos, eos)

    def tokenize(self, text):
        return [ord(c) for c in text]

    def detokenize(self, ids):
        return "".join(map(chr, ids))


@dataclass
class Cfg:  # what prompt_settings reads from a RunConfig
    instruction: str = PromptSettings.instruction
    system: str | None = None
    chat_template_kwargs: dict = None

    def __post_init__(self):
        self.chat_template_kwargs = self.chat_template_kwargs or {}


def load(name: str) -> str:
    path = TEMPLATES / name
    assert path.is_file(), (
        f"{path} is missing: run `bash setup.sh` (it extracts the templates from llama-cpp-python's sdist)"
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest in README, f"{name} has SHA-256 {digest}, not the one in tests/data/chat_templates/README.md"
    return path.read_text(encoding="utf-8")


def settle(name, kwargs=None, mode="auto", markers=None, system=None):
    engine = TemplateOnly(load(name))
    settings = prompt_settings(Cfg(system=system, chat_template_kwargs=kwargs or {}), engine.info, None)
    fmt = settle_format(engine, settings, mode, markers)
    return engine, settings, fmt


def reference(engine, settings, system=None) -> str:
    """What transformers renders for the same conversation and template arguments."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": QUESTION + "\n" + settings.instruction}
    ]
    return render_jinja_template(
        [messages],
        chat_template=engine.info.chat_template,
        add_generation_prompt=True,
        bos_token=engine.info.bos_token,
        eos_token=engine.info.eos_token,
        **settings.template_kwargs,
    )[0][0]


# (template, template kwargs, --think-markers, --thinking)
#   -> (mode, open, close, prompt ending, response, thinking, answer)
CASES = {
    "r1-distill-qwen": (
        "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
        {},
        None,
        "auto",
        "template",
        "<think>",
        "</think>",
        "<｜Assistant｜><think>\n",
        "Okay, so Natalia sold 48 clips in April. In May, half: 24.\n</think>\n\nShe sold 48 + 24 = \\boxed{72} clips.",
        "Okay, so Natalia sold 48 clips in April. In May, half: 24.\n",
        "\n\nShe sold 48 + 24 = \\boxed{72} clips.",
    ),
    "qwq-32b": (
        "Qwen-QwQ-32B.jinja",
        {},
        None,
        "auto",
        "template",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n<think>\n",
        "Alright, 48/2 = 24, and 48 + 24 = 72.\n</think>\n\n**72**",
        "Alright, 48/2 = 24, and 48 + 24 = 72.\n",
        "\n\n**72**",
    ),
    "qwen3-hybrid": (
        "Qwen-Qwen3-0.6B.jinja",
        {},
        None,
        "auto",
        "model",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n",
        "<think>\nOkay, let's see. 48 + 24 = 72.\n</think>\n\n\\boxed{72}",
        "\nOkay, let's see. 48 + 24 = 72.\n",
        "\n\n\\boxed{72}",
    ),
    "qwen3-hybrid-off": (
        "Qwen-Qwen3-0.6B.jinja",
        {"enable_thinking": False},
        None,
        "auto",
        "none",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n<think>\n\n</think>\n\n",
        "She sold \\boxed{72} clips.",
        "",
        "She sold \\boxed{72} clips.",
    ),
    "qwen3.5": (
        "Qwen3.5-4B.jinja",
        {},
        None,
        "auto",
        "template",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n<think>\n",
        "48 + 24 = 72.\n</think>\n\nThe answer is 72.",
        "48 + 24 = 72.\n",
        "\n\nThe answer is 72.",
    ),
    "smollm3": (
        "HuggingFaceTB-SmolLM3-3B.jinja",
        {},
        None,
        "auto",
        "model",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n",
        "<think>\nHalf of 48 is 24.\n</think>\nTotal: \\boxed{72}",
        "\nHalf of 48 is 24.\n",
        "\nTotal: \\boxed{72}",
    ),
    "smollm3-no-think": (
        "HuggingFaceTB-SmolLM3-3B.jinja",
        {"enable_thinking": False},
        None,
        "auto",
        "none",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n<think>\n\n</think>\n",
        "\\boxed{72}",
        "",
        "\\boxed{72}",
    ),
    "deepseek-v3.1": (
        "deepseek-ai-DeepSeek-V3.1.jinja",
        {},
        None,
        "auto",
        "template",
        "<think>",
        "</think>",
        "<｜Assistant｜><think>",
        "48+24=72</think>72",
        "48+24=72",
        "72",
    ),
    "gpt-oss": (
        "openai-gpt-oss-120b.jinja",
        {},
        None,
        "auto",
        "model",
        *HARMONY,
        "<|start|>assistant",
        "<|channel|>analysis<|message|>We need 48 + 24 = 72.<|end|><|start|>assistant<|channel|>final"
        "<|message|>Natalia sold 72 clips.",
        "We need 48 + 24 = 72.",
        "Natalia sold 72 clips.",
    ),
    "magistral": (
        "mistralai-Ministral-3-14B-Reasoning-2512.jinja",
        {},
        None,
        "auto",
        "model",
        "[THINK]",
        "[/THINK]",
        "[/INST]",
        "[THINK]48 in April, 24 in May, 72 in all.[/THINK]Natalia sold **72** clips.",
        "48 in April, 24 in May, 72 in all.",
        "Natalia sold **72** clips.",
    ),
    "s1.1": (
        "Qwen-Qwen2.5-7B-Instruct.jinja",
        {},
        "<|im_start|>think,<|im_start|>answer",
        "prefill",
        "prefill",
        "<|im_start|>think",
        "<|im_start|>answer",
        "<|im_start|>assistant\n<|im_start|>think\n",
        "48/2 = 24; 48 + 24 = 72\n<|im_start|>answer\nAnswer: 72",
        "48/2 = 24; 48 + 24 = 72\n",
        "\nAnswer: 72",
    ),
    "qwen2.5-instruct": (
        "Qwen-Qwen2.5-7B-Instruct.jinja",
        {},
        None,
        "auto",
        "none",
        "<think>",
        "</think>",
        "<|im_start|>assistant\n",
        "Natalia sold 48 / 2 = 24 clips in May.\nTotal: \\boxed{72}",
        "",
        "Natalia sold 48 / 2 = 24 clips in May.\nTotal: \\boxed{72}",
    ),
    "llama-3-instruct": (
        "meta-llama-Llama-3.1-8B-Instruct.jinja",
        {},
        None,
        "auto",
        "none",
        "<think>",
        "</think>",
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "The answer is $\\boxed{72}$.",
        "",
        "The answer is $\\boxed{72}$.",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_real_template(case):
    name, kwargs, markers, mode, want_mode, open_, close, ending, response, thinking, answer = CASES[case]
    engine, settings, fmt = settle(name, kwargs, mode, parse_markers(markers) if markers else None)
    assert (fmt.mode, fmt.open, fmt.close) == (want_mode, open_, close), fmt.reason
    prompt = prompt_builder(engine.info, settings, fmt, QUESTION)("")
    assert prompt == reference(engine, settings) + fmt.prefill  # byte for byte, plus only the documented prefill
    assert prompt.endswith(ending)
    tail = prompt[prompt.rfind(QUESTION) :]
    if fmt.mode in ("template", "prefill"):
        assert tail.count(open_) == 1 and prompt.rstrip().endswith(open_)  # exactly one opener, and it is open
    else:
        assert open_ not in tail or close in tail[tail.rfind(open_) :]  # no opener left open for the model
    assert fmt.stops == ((close,) if fmt.thinks else ())
    part = fmt.split(response, by_budget=False)
    assert (part.thinking, part.answer, part.closed) == (thinking, answer, True)


def test_system_prompt_renders_as_the_template_does():
    engine, settings, fmt = settle("Qwen-Qwen3-0.6B.jinja", system="You are a careful mathematician.")
    prompt = prompt_builder(engine.info, settings, fmt, QUESTION)("")
    assert prompt == reference(engine, settings, "You are a careful mathematician.")
    assert prompt.startswith("<|im_start|>system\nYou are a careful mathematician.<|im_end|>")


def test_r1_prompt_has_one_opener_not_two():
    """The bug this format fixes: R1-Distill's template opens thinking and the harness used to add another."""
    engine, settings, fmt = settle("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja")
    prompt = prompt_builder(engine.info, settings, fmt, QUESTION)("")
    assert prompt.count("<think>") == 1 and "<think>\n<think>" not in prompt
    assert settings.template_kwargs == {"enable_thinking": True}  # llama.cpp's copy reads it; the original ignores it


def test_forced_prefill_on_a_template_that_opens_thinking_is_the_users_choice():
    engine, settings, fmt = settle("Qwen-QwQ-32B.jinja", mode="prefill")
    assert fmt.mode == "prefill" and fmt.reason == "--thinking prefill"
    assert prompt_builder(engine.info, settings, fmt, QUESTION)("").endswith("<think>\n<think>\n")


@pytest.mark.parametrize(
    "response,by_budget,expected",
    [
        ("<think>\nstill going", True, ("\nstill going", "", False, "budget")),  # cut inside thinking: no answer
        ("<think>\nstopped", False, ("\nstopped", "", False, "eos")),
        ("Just the answer: \\boxed{72}", False, ("", "Just the answer: \\boxed{72}", True, "none")),  # never opened
        ("  \n<think>a</think>b", False, ("a", "b", True, "natural")),  # leading whitespace before the opener
    ],
)
def test_model_written_opener_belongs_to_thinking(response, by_budget, expected):
    fmt = ThinkingFormat("model")
    part = fmt.split(response, by_budget)
    assert (part.thinking, part.answer, part.closed, part.end) == expected


def test_none_format_grades_the_whole_response_even_when_cut():
    part = ThinkingFormat("none").split("Step 1: 48/2 = 24. Step 2:", by_budget=True)
    assert (part.thinking, part.answer, part.closed, part.end) == ("", "Step 1: 48/2 = 24. Step 2:", True, "none")


def test_vocabulary_markers_give_model_format_and_the_end_token():
    """A template that names no markers, for a vocabulary that has <think> and </think> as tokens."""

    class Vocab(TemplateOnly):
        words = ["<think>", "</think>"]

        def tokenize(self, text):
            return [self.words.index(text)] if text in self.words else [100 + ord(c) for c in text]

        def detokenize(self, ids):
            return "".join(self.words[i] if i < 100 else chr(i - 100) for i in ids)

    engine = Vocab(load("Qwen-Qwen2.5-7B-Instruct.jinja"))
    fmt = settle_format(engine, PromptSettings())
    assert (fmt.mode, fmt.close_token) == ("model", 1) and "vocabulary" in fmt.reason


@pytest.mark.parametrize("text", ["<think>", "a,", ",b", ""])
def test_bad_think_markers_name_the_fix(text):
    with pytest.raises(BadArgumentError, match="OPEN,CLOSE"):
        parse_markers(text)


def test_a_template_that_cannot_render_is_one_clear_error():
    engine = TemplateOnly("{{ raise_exception('only tool calls') }}")
    with pytest.raises(BadArgumentError, match="does not render a plain user turn.*only tool calls"):
        settle_format(engine, PromptSettings())


@pytest.mark.parametrize("text, why", [("<t>,<t>", "the two markers are the same"), ("a,b,c", "3 parts")])
def test_think_markers_that_cannot_mark_thinking_are_refused(text, why, capsys):
    from harness.cli import main
    from harness.errors import BadArgumentError
    from harness.run import RunConfig
    from harness.thinking import parse_markers

    with pytest.raises(BadArgumentError, match=why):
        parse_markers(text)
    with pytest.raises(ValueError, match=why):
        RunConfig(tasks=["gsm8k"], budgets=[4], think_markers=text.split(","))
    with pytest.raises(SystemExit) as e:
        main(["run", "--model", "smollm2-135m", "--tasks", "gsm8k", "--think-markers", text])
    assert e.value.code == 2 and f"--think-markers {text!r} ({why})" in capsys.readouterr().err
