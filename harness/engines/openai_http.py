"""Any OpenAI-compatible server over HTTP (vLLM serve, SGLang, llama.cpp's server, hosted endpoints).

`/v1/completions` with the raw prompt text (or token ids), so strategies continue text byte for byte; up to
`concurrency` requests in flight (asyncio + httpx) to keep the server's batching full; streaming on request to
measure time to first token. Token counts come from the response's `usage`; when a server omits them, the local
tokenizer counts and the result says so. Faults: connection errors, timeouts, 429 and 5xx are retried with
exponential backoff and jitter; a request that still fails becomes a failed result (a failed record, never a wrong
answer); after `breaker` consecutive failed requests the run stops with `ServerUnavailableError`.

The API key is read from an environment variable and is never logged or written anywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
from typing import Sequence

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo, split_stop_tail
from harness.engines.replies import (
    STOP_FIELDS,
    Refused,
    Retryable,
    check_status,
    checked_usage,
    matched_stop,
    typed_reply,
)
from harness.engines.server_ids import TEXT_ONLY, ServerIds, probe, returned_ids
from harness.errors import BadArgumentError, HarnessError

# request fields the harness sets from the run's config: --server-args may not replace them
OWNED_FIELDS = {
    "model",
    "prompt",
    "max_tokens",
    "stop",
    "stream",
    "n",
    "best_of",
    "echo",
    "seed",
    "temperature",
    "top_p",
}
OWNED_FIELDS |= {"thinking_token_budget"}


def check_server_args(fields: dict) -> dict:
    owned = sorted(set(fields) & OWNED_FIELDS)
    if owned:
        raise BadArgumentError(
            f"--server-args may not set {', '.join(owned)}: the harness sets them from the run's config "
            f"(--model, --budgets, --gen-kwargs, ...); drop them from --server-args"
        )
    return fields


class ServerUnavailableError(HarnessError):
    """Too many requests in a row failed: the server is down or misconfigured."""


class OpenAIEngine(Engine):
    """Token ids: whether the server takes them as a prompt and gives back the ids it sampled is asked once, at first
    need (harness/engines/server_ids.py); where it gives none back, `token_ids` are the local re-tokenization."""

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str,
        *,
        tokenizer: Engine | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 4,
        timeout_s: float = 600.0,
        retries: int = 4,
        backoff_s: float = 0.5,
        breaker: int = 8,
        stream: bool = False,
        extra_body: dict | None = None,
    ):
        self.model, self.base_url = model, base_url.rstrip("/")
        self.tokenizer, self.concurrency, self.timeout_s = tokenizer, concurrency, timeout_s
        self.retries, self.backoff_s, self.breaker, self.stream = retries, backoff_s, breaker, stream
        self.extra_body = check_server_args(dict(extra_body or {}))
        self._key = os.environ.get(api_key_env, "")
        self._failures = 0  # consecutive failed requests
        self.max_in_flight = concurrency  # each call runs its own event loop and client
        self._slots = threading.BoundedSemaphore(concurrency)  # requests in flight, across all calling threads
        self._ids: ServerIds | None = None
        self._ids_lock = threading.Lock()
        tinfo = tokenizer.info if tokenizer else None
        self._info = ModelInfo(
            name=model,
            path=None,
            sha256=None,
            chat_template=tinfo.chat_template if tinfo else None,
            bos_token=tinfo.bos_token if tinfo else "",
            eos_token=tinfo.eos_token if tinfo else "",
            extra={
                "base_url": self.base_url,
                "concurrency": concurrency,
                "stream": stream,
                "tokenizer": tinfo.name if tinfo else None,
                "extra_body": self.extra_body,
            },
        )

    @property
    def info(self) -> ModelInfo:
        if self.chat:
            return self._info
        return ModelInfo(
            **{**vars(self._info), "extra": {**self._info.extra, "server_ids": self.server_ids.manifest()}}
        )

    @property
    def server_ids(self) -> ServerIds:
        """What the server does with token ids: probed once (a 2-token request or three), then kept."""
        if self.tokenizer is None or self.chat:
            return TEXT_ONLY
        with self._ids_lock:
            if self._ids is None:
                import httpx

                ids = self.tokenizer.prompt_ids("Hello") or self.tokenizer.tokenize("Hello")
                with httpx.Client(
                    base_url=self.base_url, headers=self._headers(), timeout=min(60.0, self.timeout_s)
                ) as c:
                    self._ids = probe(c, self.model, list(ids), self.extra_body)
        return self._ids

    @property
    def id_prompts(self) -> bool:
        return self.server_ids.prompts

    @property
    def exact_ids(self) -> bool:  # the server gives back the ids it sampled: budget reuse may cut them
        return self.server_ids.returned is not None

    def prompt_ids(self, prompt: str) -> list[int] | None:
        return self.tokenizer.prompt_ids(prompt) if self.id_prompts else None

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self._key}"} if self._key else {}

    def fingerprint(self) -> str:
        return f"openai:{self.base_url}:{self.model}"

    def tokenize(self, text: str) -> list[int]:
        if self.tokenizer is None:
            raise HarnessError(
                "the HTTP engine needs a tokenizer to count tokens the server did not report; pass --tokenizer"
            )
        return self.tokenizer.tokenize(text)

    def detokenize(self, ids: Sequence[int]) -> str:
        if self.tokenizer is None:
            raise HarnessError("the HTTP engine needs a tokenizer to turn token ids into text; pass --tokenizer")
        return self.tokenizer.detokenize(ids)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        return asyncio.run(self._all(list(requests)))

    async def _all(self, requests: list[GenRequest]) -> list[GenResult]:
        import httpx

        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers(), timeout=self.timeout_s, limits=limits
        ) as client:

            async def one(req):
                while not self._slots.acquire(blocking=False):  # --concurrency bounds the requests of every thread
                    await asyncio.sleep(0.005)
                try:
                    return await self._with_retries(client, req)
                finally:
                    self._slots.release()

            return await asyncio.gather(*(one(r) for r in requests))

    async def _with_retries(self, client, req: GenRequest) -> GenResult:
        t0, error = time.perf_counter(), ""
        for attempt in range(self.retries + 1):
            try:  # the deadline bounds the whole request (a trickled body, an endless stream), not each read
                res = await asyncio.wait_for(self._once(client, req, t0), self.timeout_s)
                self._failures = 0
                return res
            except asyncio.TimeoutError:
                error = f"Timeout: no whole response within --request-timeout {self.timeout_s:g} s"
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff_s * 2**attempt * (0.5 + random.random()))
            except Retryable as e:
                error = str(e)
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff_s * 2**attempt * (0.5 + random.random()))
            except Refused as e:  # a 4xx other than 408/409/425/429: the same request would fail again
                error = str(e)
                break
        self._failures += 1
        if self._failures >= self.breaker:
            raise ServerUnavailableError(
                f"{self._failures} requests in a row to {self.base_url} failed (last: {error}); check the server and "
                f"rerun the same command to resume"
            )
        return GenResult(
            "", (), 0, "error", None, time.perf_counter() - t0, None, f"{error} (after {attempt + 1} attempts)"
        )

    async def _once(self, client, req: GenRequest, t0: float) -> GenResult:
        import httpx

        body = {
            "model": self.model,
            "prompt": req.prompt if isinstance(req.prompt, str) else list(req.prompt),
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "seed": req.seed,
            **_sampling_fields(req),
            **self.extra_body,
            **(self._ids.fields if self._ids else {}),  # once probed (a run probes as it plans): the sampled ids
        }
        if req.stop:
            body["stop"] = list(req.stop)
        if req.thinking_budget is not None:
            body["thinking_token_budget"] = req.thinking_budget  # vLLM's server field
        try:
            if self.stream:
                text, finish, usage, ttft, choice = await self._streamed(client, {**body, "stream": True}, t0)
            else:
                r = await client.post("/completions", json=body)
                check_status(r)
                data = r.json()
                choice = data["choices"][0]
                text, finish, usage, ttft = (
                    choice.get("text") or "",
                    choice.get("finish_reason"),
                    data.get("usage"),
                    None,
                )
            text, finish, usage = typed_reply(text, finish, usage)
        except (httpx.TransportError, httpx.TimeoutException) as e:
            raise Retryable(f"{type(e).__name__}: {e}") from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as e:
            raise Retryable(f"malformed response ({type(e).__name__}: {e})") from None
        ids = tuple(self.tokenizer.tokenize(text)) if self.tokenizer and text else ()
        reported = checked_usage(usage, len(ids) if self.tokenizer else None, req.max_tokens, self._slack(req.stop))
        stop = matched_stop(choice, finish, req.stop, guess=(reported or len(ids)) < req.max_tokens)
        sampled, tail = self._sampled(choice, text, stop, finish)
        return GenResult(
            text,
            ids if sampled is None else sampled,
            usage.get("prompt_tokens") or 0,
            "length" if finish == "length" else "stop",
            stop,
            time.perf_counter() - t0,
            ttft,
            tail_ids=tail,
            reported_tokens=reported,
            counted_by="server usage" if reported is not None else "local tokenizer",
            local_tokens=len(ids) if self.tokenizer else None,
        )

    def _sampled(self, choice: dict, text: str, stop: str | None, finish: str):
        """(ids, tail) the server says it sampled, split as the offline engines split them: the ids that carried a
        matched stop string, and a final end-of-generation id, are not part of the output; (None, ()) where the
        server returned no ids."""
        got = returned_ids(choice, self._ids.returned if self._ids else None)
        if got is None:
            return None, ()
        if stop is not None:
            return split_stop_tail(got, text, self.tokenizer.detokenize)
        if finish == "stop" and got and got[-1] in self._eog_ids():
            return tuple(got[:-1]), ()
        return tuple(got), ()

    def _eog_ids(self) -> set[int]:
        eos = self.tokenizer.info.eos_token
        return set(self.tokenizer.tokenize(eos)) if eos else set()

    def _slack(self, stop: Sequence[str]) -> int:
        """Tokens a server counts that the returned text leaves out: the longest stop string, an end token."""
        return 1 + max((self.count_tokens(s) for s in stop), default=0) if self.tokenizer else 1

    async def _streamed(self, client, body: dict, t0: float):
        """(text, finish_reason, usage, ttft, choice): the choice merged from the chunks (stop fields, sampled ids)."""
        parts, finish, usage, ttft, named = [], None, None, None, {}
        async with client.stream("POST", "/completions", json=body) as r:
            if r.status_code >= 400:
                await r.aread()
                check_status(r)
            async for line in r.aiter_lines():
                if line.strip() == "data: [DONE]":
                    break
                if not line.startswith("data:"):
                    continue
                chunk = json.loads(line[5:])
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    if finish is not None:  # text after the finish is not part of the answer (usage may follow)
                        continue
                    if choice.get("text") and ttft is None:
                        ttft = time.perf_counter() - t0
                    parts.append(choice.get("text") or "")
                    finish = choice.get("finish_reason")
                    named.update({k: choice[k] for k in STOP_FIELDS if finish and k in choice})
                    _merge_ids(named, choice)
        return "".join(parts), finish, usage, ttft, named


def _merge_ids(merged: dict, chunk: dict) -> None:
    """Add a streamed chunk's sampled ids (vLLM's token_ids, llama-server's logprobs entries) to the merged choice."""
    if isinstance(chunk.get("token_ids"), list):
        merged.setdefault("token_ids", []).extend(chunk["token_ids"])
    content = chunk["logprobs"].get("content") if isinstance(chunk.get("logprobs"), dict) else None
    if isinstance(content, list):
        merged.setdefault("logprobs", {"content": []})["content"].extend(content)


def _sampling_fields(req: GenRequest) -> dict:
    """Non-neutral top_k / min_p / penalties in the servers' own names: vLLM and SGLang read repetition_penalty,
    llama.cpp's server repeat_penalty (each ignores the other's); presence_penalty is OpenAI's own field."""
    extra = req.extra_sampling()
    if "repetition_penalty" in extra:
        extra["repeat_penalty"] = extra["repetition_penalty"]
    return extra
