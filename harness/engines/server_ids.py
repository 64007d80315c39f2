"""What an OpenAI-compatible completions server does with token ids, learnt by one probe at the engine's first use.

A strategy that continues a call (e1's solution after the thinking, s1's forced answer, each budget's finishing call
of a reused sweep) continues the model's exact state only on token ids: the prompt's ids, the ids the thinking call
sampled, the end marker's id. Text continued over HTTP is re-tokenized by the server, which can split it otherwise.
vLLM's server and llama.cpp's `llama-server` take `prompt` as a list of ids; they give back the ids they sampled
when asked (vLLM: `return_token_ids`; llama-server: the `id` of each logprobs entry, with `logprobs: 1`). Servers
that refuse an id prompt (llama-cpp-python's server, some gateways) are continued on text. The probe's answer goes
into the manifest (the model's `server_ids`), and each record's `continued_on` says which was used.
"""

from __future__ import annotations

from dataclasses import dataclass

# how a server gives back the ids it sampled, and the request field that asks for them
RETURNED = {"return_token_ids": {"return_token_ids": True}, "logprobs": {"logprobs": 1}}


@dataclass(frozen=True)
class ServerIds:
    prompts: bool  # takes a list of token ids as `prompt`
    returned: str | None  # a key of RETURNED, or None: only text comes back (the local tokenizer re-tokenizes it)
    note: str  # what the probe saw, for the manifest

    @property
    def fields(self) -> dict:
        """The request fields that ask for the sampled ids."""
        return dict(RETURNED[self.returned]) if self.returned else {}

    def manifest(self) -> dict:
        return {
            "token_id_prompts": self.prompts,
            "sampled_ids": self.returned or "re-tokenized text",
            "probe": self.note,
        }


TEXT_ONLY = ServerIds(False, None, "not probed: the engine has no tokenizer")


def returned_ids(choice: dict, returned: str | None) -> list[int] | None:
    """The sampled ids in one (whole or streamed) choice, or None where it carries none."""
    if returned == "return_token_ids":
        ids = choice.get("token_ids")
    elif returned == "logprobs":
        content = (choice.get("logprobs") or {}).get("content") if isinstance(choice.get("logprobs"), dict) else None
        ids = [e.get("id") for e in content] if isinstance(content, list) else None
    else:
        return None
    if isinstance(ids, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        return ids
    return None


def probe(client, model: str, ids: list[int], extra_body: dict) -> ServerIds:
    """Ask the server (an httpx.Client at its /v1 base) for 2 tokens after an id prompt: first with each way of
    returning the sampled ids, then plain. A refusal of the plain id prompt means text continuation."""
    import httpx

    body = {"model": model, "prompt": ids, "max_tokens": 2, "temperature": 0.0, **extra_body}
    seen = []
    for returned in (*RETURNED, None):
        fields = RETURNED[returned] if returned else {}
        try:
            r = client.post("/completions", json={**body, **fields})
        except httpx.HTTPError as e:
            return ServerIds(False, None, f"probe failed ({type(e).__name__}: {e}); continuing on text")
        if r.status_code >= 400:
            seen.append(f"{'+'.join(fields) or 'plain'}: HTTP {r.status_code}")
            continue
        try:
            choice = r.json()["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            seen.append(f"{'+'.join(fields) or 'plain'}: malformed reply")
            continue
        if returned is None:
            return ServerIds(True, None, "takes token-id prompts; returns text only, re-tokenized here")
        if returned_ids(choice, returned):
            return ServerIds(True, returned, f"takes token-id prompts; returns the sampled ids ({returned})")
        seen.append(f"{returned}: accepted, no ids returned")
    return ServerIds(False, None, f"refuses token-id prompts ({'; '.join(seen)}); continuing on text")
