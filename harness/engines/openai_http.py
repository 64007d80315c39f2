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
import time
from typing import Sequence

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo
from harness.errors import BadArgumentError, HarnessError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
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
    name = "openai"
    exact_ids = False  # the server returns text; ids are the local tokenizer's re-tokenization
    parallel_safe = True  # each call runs its own event loop and client

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
        return self._info

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

        gate = asyncio.Semaphore(self.concurrency)
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=self.timeout_s, limits=limits
        ) as client:

            async def one(req):
                async with gate:
                    return await self._with_retries(client, req)

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
            except _Retryable as e:
                error = str(e)
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff_s * 2**attempt * (0.5 + random.random()))
            except _Refused as e:  # a 4xx other than 408/409/425/429: the same request would fail again
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
                _check(r)
                data = r.json()
                choice = data["choices"][0]
                text, finish, usage, ttft = (
                    choice.get("text") or "",
                    choice.get("finish_reason"),
                    data.get("usage"),
                    None,
                )
            text, finish, usage = _typed(text, finish, usage)
        except (httpx.TransportError, httpx.TimeoutException) as e:
            raise _Retryable(f"{type(e).__name__}: {e}") from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as e:
            raise _Retryable(f"malformed response ({type(e).__name__}: {e})") from None
        ids = tuple(self.tokenizer.tokenize(text)) if self.tokenizer and text else ()
        reported = checked_usage(usage, len(ids) if self.tokenizer else None, req.max_tokens, self._slack(req.stop))
        stop = matched_stop(choice, finish, req.stop, guess=(reported or len(ids)) < req.max_tokens)
        return GenResult(
            text,
            ids,
            usage.get("prompt_tokens") or 0,
            "length" if finish == "length" else "stop",
            stop,
            time.perf_counter() - t0,
            ttft,
            reported_tokens=reported,
            counted_by="server usage" if reported is not None else "local tokenizer",
            local_tokens=len(ids) if self.tokenizer else None,
        )

    def _slack(self, stop: Sequence[str]) -> int:
        """Tokens a server counts that the returned text leaves out: the longest stop string, an end token."""
        return 1 + max((self.count_tokens(s) for s in stop), default=0) if self.tokenizer else 1

    async def _streamed(self, client, body: dict, t0: float):
        parts, finish, usage, ttft, named = [], None, None, None, {}
        async with client.stream("POST", "/completions", json=body) as r:
            if r.status_code >= 400:
                await r.aread()
                _check(r)
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
        return "".join(parts), finish, usage, ttft, named


STOP_FIELDS = ("stop_reason", "matched_stop")  # vLLM's, SGLang's: the stop string (or token id) that ended a choice


def matched_stop(choice: dict, finish: str | None, stop: tuple[str, ...], guess: bool = True) -> str | None:
    """The stop string that ended a response. vLLM and SGLang name it (None or a token id: an end-of-sequence
    token); other servers do not, and a "stop" finish with a single stop string is then taken to be it (`guess`)."""
    if finish != "stop":
        return None
    for field in STOP_FIELDS:
        if field in choice:
            return choice[field] if choice[field] in stop else None
    return stop[0] if guess and len(stop) == 1 else None


def _typed(text, finish, usage) -> tuple[str, str, dict]:
    """The reply's fields with the types the API promises; a wrong type, or no finish_reason (a reply cut off, or a
    server that does not say why it stopped, streamed or not), is a malformed response (TypeError)."""
    usage = usage or {}
    if finish is None:
        raise TypeError("no finish_reason: the reply was cut off, or the server does not say why it stopped")
    if not isinstance(text, str) or not isinstance(finish, str) or not isinstance(usage, dict):
        raise TypeError(f"text {text!r:.40}, finish_reason {finish!r:.40}, usage {usage!r:.80}")
    details = usage.get("completion_tokens_details") or {}
    if not isinstance(details, dict):
        raise TypeError(f"usage.completion_tokens_details is {details!r:.40}, not an object")
    for k, v in [*((k, usage.get(k)) for k in USAGE_FIELDS), ("reasoning_tokens", details.get("reasoning_tokens"))]:
        if not (v is None or (isinstance(v, int) and not isinstance(v, bool))):
            raise TypeError(f"usage.{k} is {v!r:.40}, not a whole number")
    return text, finish, usage


USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


def tolerance(n: int) -> int:
    """How far the server's count of about n tokens may be from the local tokenizer's: re-tokenized text need not
    give the sampled ids, and a server's tokenizer build may differ slightly from --tokenizer."""
    return 8 + n // 5


def checked_usage(usage: dict, local: int | None, max_tokens: int, slack: int = 1, hidden: int = 0) -> int | None:
    """The server's completion count (None: it sent none), checked. Refused (`_Refused`): a negative count, a total
    below the completion, a completion beyond max_tokens by the server's count or the local tokenizer's (`local`, of
    the returned text), and a server count the local one contradicts beyond `tolerance` (`slack`: stop strings and
    end tokens the text leaves out; `hidden`: reasoning tokens the server did not return as text)."""
    details = usage.get("completion_tokens_details") or {}
    for k, v in [*((k, usage.get(k)) for k in USAGE_FIELDS), ("reasoning_tokens", details.get("reasoning_tokens"))]:
        if v is not None and v < 0:
            raise _Refused(f"the server reports usage.{k} = {v}: a token count cannot be negative, its usage is broken")
    reported, total = usage.get("completion_tokens"), usage.get("total_tokens")
    if reported is not None and total is not None and total < reported:
        raise _Refused(
            f"the server reports usage.total_tokens {total} below completion_tokens {reported}: broken usage"
        )
    if reported is not None and reported > max_tokens:
        raise _Refused(
            f"the server reports {reported} completion tokens for max_tokens {max_tokens}: it ignored the budget"
        )
    if local is not None and local > max_tokens + tolerance(max_tokens):
        raise _Refused(
            f"the server returned {local} tokens (by the local tokenizer) for max_tokens {max_tokens}: it ignored the "
            f"budget"
        )
    if reported is not None and local is not None:
        server = reported - hidden
        if abs(server - local) > tolerance(max(server, local)) + slack:
            raise _Refused(
                f"the server's usage says {server} completion tokens where the local tokenizer counts {local}: its "
                f"usage is wrong, or --tokenizer is not the served model's"
            )
    return reported


def _sampling_fields(req: GenRequest) -> dict:
    """Non-neutral top_k / min_p / penalties in the servers' own names: vLLM and SGLang read repetition_penalty,
    llama.cpp's server repeat_penalty (each ignores the other's); presence_penalty is OpenAI's own field."""
    extra = req.extra_sampling()
    if "repetition_penalty" in extra:
        extra["repeat_penalty"] = extra["repetition_penalty"]
    return extra


class _Retryable(Exception):
    pass


class _Refused(Exception):
    pass


def _check(r) -> None:
    if r.status_code in RETRY_STATUS:
        raise _Retryable(f"HTTP {r.status_code}")
    if r.status_code >= 400:
        raise _Refused(f"HTTP {r.status_code}: {r.text[:200]}")
