"""Prompts: the model's own chat template, the task instruction, and the thinking opener.

The thinking markers are model settings, not constants: pass them in PromptSettings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from jinja2.sandbox import ImmutableSandboxedEnvironment

from harness.engines.base import ModelInfo

DEFAULT_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
FALLBACK_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@dataclass(frozen=True)
class PromptSettings:
    instruction: str = DEFAULT_INSTRUCTION
    system: str | None = None
    think_open: str = "<think>"
    think_close: str = "</think>"
    prefill_thinking: bool = True  # for models without native thinking: open the assistant turn with <think>
    chat_template: str | None = None  # overrides the model's own


def render_chat(template: str, messages: list[dict[str, str]], bos_token: str = "", eos_token: str = "") -> str:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    return env.from_string(template).render(messages=messages, add_generation_prompt=True,
                                            bos_token=bos_token, eos_token=eos_token)


def _raise(message: str):
    raise ValueError(f"chat template error: {message}")


def prompt_builder(model: ModelInfo, settings: PromptSettings, question: str) -> Callable[[str], str]:
    """A function from an extra instruction (l1's "Think for N tokens.") to the full prompt text."""
    template = settings.chat_template or model.chat_template or FALLBACK_TEMPLATE

    def build(extra: str = "") -> str:
        messages = [{"role": "system", "content": settings.system}] if settings.system else []
        content = question + (f"\n{settings.instruction}" if settings.instruction else "") + extra
        messages.append({"role": "user", "content": content})
        text = render_chat(template, messages, model.bos_token, model.eos_token)
        return text + (settings.think_open + "\n" if settings.prefill_thinking else "")

    return build
