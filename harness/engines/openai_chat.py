"""Chat-completions servers (`/v1/chat/completions`): the server applies the chat template, the harness sends messages.

Thinking comes back in one of four ways, and each result says which (`reasoning_source`):
`reasoning_content` / `reasoning` apart from `content` (vLLM and SGLang with a reasoning parser, DeepSeek's API),
inside `<think>...</think>` at the start of `content` (a server without a parser), `hidden` (a hosted model that
reports only `usage.completion_tokens_details.reasoning_tokens`), or `none`.

Budget knobs, per request: `effort` as `reasoning_effort` (OpenAI, gpt-oss, vLLM passes it to the chat template), or
(`effort_via="system"`, in `info.extra`) the effort strategy writes gpt-oss's "Reasoning: low" system line itself, so
the record shows the messages sent; a thinking budget as vLLM's
`thinking_token_budget` or a provider's `thinking: {type: enabled, budget_tokens: N}` (`budget_via="budget_tokens"`).
Continuing an assistant message (e1's solution call after the thinking call): `continue_via="continue_final_message"`
(vLLM, SGLang: `continue_final_message: true, add_generation_prompt: false`) or `"prefix"` (DeepSeek's prefix
completion: `prefix: true` on the last message); `"none"` (the default) refuses it, as most servers answer an
assistant message with a new turn.
Retries, backoff, the breaker and concurrency are the completions engine's (`OpenAIEngine`); only the request body
and the response parsing differ.
"""

from __future__ import annotations

import json
import time

from harness.engines.base import ChatPrompt, GenRequest, GenResult
from harness.engines.openai_http import OpenAIEngine, _sampling_fields
from harness.engines.replies import Retryable, check_status, checked_usage, matched_stop, typed_reply
from harness.errors import BadArgumentError

EFFORT_VIA = ("reasoning_effort", "system")
BUDGET_VIA = ("thinking_token_budget", "budget_tokens")
MAX_TOKENS_FIELDS = ("both", "max_completion_tokens", "max_tokens")
# how a server is told to continue the final assistant message instead of answering it (e1's solution call)
CONTINUE_VIA = ("none", "continue_final_message", "prefix")
THINK = ("<think>", "</think>")


class OpenAIChatEngine(OpenAIEngine):
    name = "openai-chat"
    chat = True  # prompts are ChatPrompt messages; the server renders the template

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        effort_via: str = "reasoning_effort",
        budget_via: str = "thinking_token_budget",
        max_tokens_field: str = "both",
        continue_via: str = "none",
        **kwargs,
    ):
        for value, allowed, flag in (
            (effort_via, EFFORT_VIA, "--effort-via"),
            (budget_via, BUDGET_VIA, "--budget-via"),
            (max_tokens_field, MAX_TOKENS_FIELDS, "--max-tokens-field"),
            (continue_via, CONTINUE_VIA, "--continue-via"),
        ):
            if value not in allowed:
                raise BadArgumentError(f"{flag} {value!r} is not known; use one of {', '.join(allowed)}")
        super().__init__(model, base_url, **kwargs)
        self.effort_via, self.budget_via, self.max_tokens_field = effort_via, budget_via, max_tokens_field
        self.continue_via = continue_via
        self._info.extra.update(
            {"endpoint": "chat/completions", "effort_via": effort_via, "budget_via": budget_via}
            | ({"continue_via": continue_via} if continue_via != "none" else {})
        )

    def fingerprint(self) -> str:
        return f"openai-chat:{self.base_url}:{self.model}"

    def count_tokens(self, text: str) -> int:
        return super().count_tokens(text) if self.tokenizer is not None else 0

    def body(self, req: GenRequest) -> dict:
        if not isinstance(req.prompt, ChatPrompt):
            raise BadArgumentError(
                "the openai-chat engine takes chat messages, not a rendered prompt; strategies that continue text "
                "(s1, l1's cut) need --model openai:MODEL (/v1/completions)"
            )
        messages = req.prompt.as_json()
        continued = {}
        if req.prompt.continues:
            if self.continue_via == "none":
                raise BadArgumentError(
                    "continuing an assistant message needs a server that supports it: pass --continue-via "
                    "continue_final_message (vLLM, SGLang) or prefix (DeepSeek), or use --model openai:MODEL"
                )
            if self.continue_via == "prefix":
                messages[-1]["prefix"] = True
            else:
                continued = {"continue_final_message": True, "add_generation_prompt": False}
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": req.temperature,
            "top_p": req.top_p,
        }
        body["seed"] = req.seed
        if self.max_tokens_field in ("both", "max_completion_tokens"):
            body["max_completion_tokens"] = req.max_tokens
        if self.max_tokens_field in ("both", "max_tokens"):
            body["max_tokens"] = req.max_tokens
        if req.stop:
            body["stop"] = list(req.stop)
        if req.effort is not None:  # effort_via="system": the effort strategy wrote the system line instead
            body["reasoning_effort"] = req.effort
        if req.thinking_budget is not None:
            if self.budget_via == "budget_tokens":
                body["thinking"] = {"type": "enabled", "budget_tokens": req.thinking_budget}
            else:
                body["thinking_token_budget"] = req.thinking_budget
        return {**body, **continued, **_sampling_fields(req), **self.extra_body}

    async def _once(self, client, req: GenRequest, t0: float) -> GenResult:
        import httpx

        body = self.body(req)
        try:
            r = await client.post("/chat/completions", json=body)
            check_status(r)
            data = r.json()
            choice = data["choices"][0]
            message, finish, usage = choice["message"], choice.get("finish_reason"), data.get("usage")
            content, finish, usage = typed_reply(message.get("content") or "", finish, usage)
        except (httpx.TransportError, httpx.TimeoutException) as e:
            raise Retryable(f"{type(e).__name__}: {e}") from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as e:
            raise Retryable(f"malformed response ({type(e).__name__}: {e})") from None
        details = usage.get("completion_tokens_details") or {}
        reasoning, source, answer = split_reasoning(message, content, details.get("reasoning_tokens"))
        thought = details.get("reasoning_tokens")
        local = self.count_tokens(reasoning) + self.count_tokens(answer) if self.tokenizer is not None else None
        hidden = (thought or 0) if source == "hidden" else 0
        completion = checked_usage(usage, local, req.max_tokens, self._slack(req.stop), hidden)
        counted_by = "server usage" if completion is not None else "local tokenizer"
        if completion is None:
            completion = local
        if reasoning and not thought:  # no count, or 0 for text it returned (parsers that do not count, e.g. olmo3)
            thought = self.count_tokens(reasoning) if self.tokenizer is not None else None
            counted_by += "; thinking by local tokenizer" if self.tokenizer is not None else "; thinking not counted"
        return GenResult(
            answer,
            (),
            usage.get("prompt_tokens") or 0,
            "length" if finish == "length" else "stop",
            matched_stop(choice, finish, req.stop),
            time.perf_counter() - t0,
            None,
            reported_tokens=completion,
            counted_by=counted_by,
            reasoning=reasoning,
            reasoning_source=source,
            reasoning_tokens=thought,
            local_tokens=local,
        )


def split_reasoning(message: dict, content: str, reasoning_tokens: int | None) -> tuple[str, str, str]:
    """(thinking, where it came from, answer) of one chat message."""
    for field in ("reasoning_content", "reasoning"):
        if message.get(field):
            return message[field], field, content
    opened = content.lstrip()
    if opened.startswith(THINK[0]):
        thinking, closed, answer = opened[len(THINK[0]) :].partition(THINK[1])
        return thinking, "think tags in content", answer if closed else ""
    if reasoning_tokens:
        return "", "hidden", content
    return "", "none", content
