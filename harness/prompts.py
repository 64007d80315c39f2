"""Prompts: the model's own chat template (or `--chat-template`), system prompt, instruction and template arguments.

Templates render as Hugging Face transformers renders them (`apply_chat_template`): a sandboxed Jinja environment
with trim_blocks and lstrip_blocks, loop controls, `{% generation %}` blocks, a `tojson` that keeps non-ASCII
text, `raise_exception` and `strftime_now`; the tokenizer's bos_token and eos_token and the template arguments are
in scope. The thinking format (harness/thinking.py) adds an opener only in `prefill` mode.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Callable

from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from harness.engines.base import ChatPrompt, ModelInfo
from harness.errors import BadArgumentError, HarnessError
from harness.thinking import ThinkingFormat, detect

DEFAULT_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
FALLBACK_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@dataclass(frozen=True)
class PromptSettings:
    instruction: str = DEFAULT_INSTRUCTION
    system: str | None = None
    chat_template: str | None = None  # template text replacing the model's own
    template_kwargs: dict = field(default_factory=dict)  # e.g. {"enable_thinking": False}

    def template_for(self, model: ModelInfo) -> str:
        return self.chat_template or model.chat_template or FALLBACK_TEMPLATE

    def messages(self, content: str) -> list[dict[str, str]]:
        return ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": content}
        ]


class _Generation(Extension):
    """`{% generation %}...{% endgeneration %}` (assistant-mask markers in training templates) renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def _raise(message: str):
    raise ValueError(f"chat template error: {message}")


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


RENDER_TIMEOUT_S = 10.0  # one rendering; a template that loops longer is broken
_deadline = threading.local()


class ChatTemplateError(HarnessError):
    """The chat template failed on one set of messages (its own exception, or it took over RENDER_TIMEOUT_S)."""


def _tick() -> None:
    if time.monotonic() > getattr(_deadline, "at", float("inf")):
        raise ChatTemplateError(
            f"the chat template took over {RENDER_TIMEOUT_S:g} s to render (a loop that does not end?); fix it or pass "
            f"--chat-template FILE"
        )


class _TickingRange:
    """`range` in templates: iterating checks the rendering deadline, so nested loops cannot run for minutes."""

    def __init__(self, *args):
        self.r = safe_range(*args)

    def __iter__(self):
        for i in self.r:
            _tick()
            yield i

    def __len__(self):
        return len(self.r)

    def __getitem__(self, i):
        return self.r[i]

    def __reversed__(self):
        for i in reversed(self.r):
            _tick()
            yield i


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with the rendering deadline checked on every call, `*`/`**` and attribute or item lookup."""

    intercepted_binops = frozenset({"*", "**"})

    def call(self, __context, __obj, *args, **kwargs):
        _tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        _tick()
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj, attribute):
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _tick()
        return super().getitem(obj, argument)


@lru_cache(maxsize=16)
def _compiled(template: str):
    env = _Sandbox(trim_blocks=True, lstrip_blocks=True, extensions=[_Generation, loopcontrols])
    env.globals["range"] = _TickingRange
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)


def render_chat(
    template: str,
    messages: list[dict[str, str]],
    bos_token: str = "",
    eos_token: str = "",
    add_generation_prompt: bool = True,
    **kwargs,
) -> str:
    """The template's text for `messages`; ChatTemplateError (one line) where it fails or runs past the deadline."""
    _deadline.at = time.monotonic() + RENDER_TIMEOUT_S
    try:
        return _compiled(template).render(
            messages=messages,
            tools=None,
            documents=None,
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
            **kwargs,
        )
    except ChatTemplateError:
        raise
    except Exception as e:  # the template's own raise_exception, an undefined name, a sandbox refusal, ...
        why = " ".join(str(e).split())[:200]
        raise ChatTemplateError(f"the chat template failed on these messages ({type(e).__name__}: {why})") from None
    finally:
        _deadline.at = float("inf")


def renderer(model: ModelInfo, settings: PromptSettings) -> Callable[[list[dict]], str]:
    """messages -> the generation prompt, rendered with this run's template, tokens and template arguments."""
    template = settings.template_for(model)
    return lambda messages: render_chat(
        template, messages, model.bos_token, model.eos_token, **settings.template_kwargs
    )


def prompt_builder(
    model: ModelInfo, settings: PromptSettings, fmt: ThinkingFormat, question: str
) -> Callable[[str], str]:
    """A function from an extra instruction (l1's "Think for N tokens.") to the full prompt text."""
    render = renderer(model, settings)

    def build(extra: str = "") -> str:
        content = question + (f"\n{settings.instruction}" if settings.instruction else "") + extra
        return render(settings.messages(content)) + fmt.prefill

    return build


def chat_builder(settings: PromptSettings, question: str) -> Callable[[str], ChatPrompt]:
    """For chat engines: the same system, question and instruction as messages; the server applies its template."""

    def build(extra: str = "") -> ChatPrompt:
        content = question + (f"\n{settings.instruction}" if settings.instruction else "") + extra
        return ChatPrompt(tuple((m["role"], m["content"]) for m in settings.messages(content)))

    return build


def prompt_settings(cfg, model: ModelInfo, template: str | None) -> PromptSettings:
    """A run's prompt settings. Templates with an `enable_thinking` switch render with it on unless the run says
    otherwise (as llama.cpp's server and vLLM do for Qwen3): this harness measures reasoning."""
    settings = PromptSettings(
        instruction=cfg.instruction,
        system=cfg.system,
        chat_template=template,
        template_kwargs=dict(cfg.chat_template_kwargs),
    )
    if "enable_thinking" in settings.template_for(model) and "enable_thinking" not in settings.template_kwargs:
        settings.template_kwargs["enable_thinking"] = True
    return settings


def settle_format(
    engine, settings: PromptSettings, mode: str = "auto", markers: tuple[str, str] | None = None
) -> ThinkingFormat:
    """The run's thinking format, from the template prompts will use and the engine's vocabulary."""
    render = renderer(engine.info, settings)
    template = settings.template_for(engine.info)
    try:
        return detect(
            template,
            lambda content: render(settings.messages(content)),
            engine.tokenize,
            engine.detokenize,
            mode=mode,
            markers=markers,
        )
    except Exception as e:
        if isinstance(e, BadArgumentError):
            raise
        source = "--chat-template" if settings.chat_template else f"the chat template of {engine.info.name}"
        raise BadArgumentError(
            f"{source} does not render a plain user turn ({type(e).__name__}: {e}); pass a working "
            f"template with --chat-template FILE"
        ) from None
