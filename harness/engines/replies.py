"""The checks every reply of an OpenAI-compatible server passes before the harness believes it: HTTP status (what
to retry, what not), field types, which stop string ended a choice, and the server's token counts (usage) against
the local tokenizer's."""

from __future__ import annotations

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}

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


def typed_reply(text, finish, usage) -> tuple[str, str, dict]:
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
    """The server's completion count (None: it sent none), checked. Refused (`Refused`): a negative count, a total
    below the completion, a completion beyond max_tokens by the server's count or the local tokenizer's (`local`, of
    the returned text), and a server count the local one contradicts beyond `tolerance` (`slack`: stop strings and
    end tokens the text leaves out; `hidden`: reasoning tokens the server did not return as text)."""
    details = usage.get("completion_tokens_details") or {}
    for k, v in [*((k, usage.get(k)) for k in USAGE_FIELDS), ("reasoning_tokens", details.get("reasoning_tokens"))]:
        if v is not None and v < 0:
            raise Refused(f"the server reports usage.{k} = {v}: a token count cannot be negative, its usage is broken")
    reported, total = usage.get("completion_tokens"), usage.get("total_tokens")
    if reported is not None and total is not None and total < reported:
        raise Refused(f"the server reports usage.total_tokens {total} below completion_tokens {reported}: broken usage")
    if reported is not None and reported > max_tokens:
        raise Refused(
            f"the server reports {reported} completion tokens for max_tokens {max_tokens}: it ignored the budget"
        )
    if local is not None and local > max_tokens + tolerance(max_tokens):
        raise Refused(
            f"the server returned {local} tokens (by the local tokenizer) for max_tokens {max_tokens}: it ignored the "
            f"budget"
        )
    if reported is not None and local is not None:
        server = reported - hidden
        if abs(server - local) > tolerance(max(server, local)) + slack:
            raise Refused(
                f"the server's usage says {server} completion tokens where the local tokenizer counts {local}: its "
                f"usage is wrong, or --tokenizer is not the served model's"
            )
    return reported


class Retryable(Exception):
    pass


class Refused(Exception):
    pass


def check_status(r) -> None:
    if r.status_code in RETRY_STATUS:
        raise Retryable(f"HTTP {r.status_code}")
    if r.status_code >= 400:
        raise Refused(f"HTTP {r.status_code}: {r.text[:200]}")
