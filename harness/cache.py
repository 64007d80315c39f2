"""A persistent response cache in front of any engine (SQLite, one row per request, committed per batch).

The key is a SHA-256 over the engine's model fingerprint (GGUF hash, or model id + revision), the exact
prompt (text or token ids) and every sampling parameter including the seed. Failed calls are never
stored, so a rerun retries them. A cached result keeps the wall time measured when it was generated
and says `cached=True`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Sequence

from harness.errors import BadArgumentError
from harness.engines.base import ChatPrompt, Engine, EngineWrapper, GenRequest, GenResult

CACHE_FILE = "cache.sqlite"


def request_key(fingerprint: str, req: GenRequest) -> str:
    prompt = req.prompt if isinstance(req.prompt, str) else list(req.prompt) if isinstance(req.prompt, tuple) else None
    chat = {"messages": req.prompt.as_json()} if isinstance(req.prompt, ChatPrompt) else {}
    payload = {
        "model": fingerprint,
        "prompt": prompt,
        "max_tokens": req.max_tokens,
        "stop": list(req.stop),
        "temperature": req.temperature,
        "top_p": req.top_p,
        "seed": req.seed,
        **({"thinking_budget": req.thinking_budget} if req.thinking_budget is not None else {}),
        **({"effort": req.effort} if req.effort is not None else {}),
        **chat,
        **req.extra_sampling(),
    }  # only non-neutral settings, so keys made before they existed still match
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, result TEXT)")
            self._db.execute("BEGIN IMMEDIATE")  # fails now, not mid-run, where the file cannot be written
            self._db.execute("COMMIT")
        except (sqlite3.Error, OSError) as e:
            raise BadArgumentError(
                f"--cache {self.path} cannot be used as a response cache ({type(e).__name__}: {e}); pass --no-cache, "
                f"or --cache NEW_FILE for a fresh cache (the records are not affected)"
            ) from None
        self._lock = threading.Lock()
        self._warned = False  # an unreadable row has been reported (once per cache)

    def get(self, key: str) -> GenResult | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return _result(row[0])
        except (ValueError, KeyError, TypeError) as e:  # valid SQLite, not a result this version can read: a miss
            if not self._warned:
                self._warned = True
                print(
                    f"harness: note: the response cache {self.path} holds rows that are not whole results "
                    f"({type(e).__name__}: {str(e)[:80]}); they are treated as misses and generated again",
                    file=sys.stderr,
                )
            return None

    def put(self, items: list[tuple[str, str, GenResult]]) -> None:
        rows = [(k, model, json.dumps(dataclasses.asdict(r))) for k, model, r in items]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self._db.close()


RESULT_FIELDS = {f.name: f for f in dataclasses.fields(GenResult)}
REQUIRED = [n for n, f in RESULT_FIELDS.items() if f.default is dataclasses.MISSING]


def _result(text: str) -> GenResult:
    """A cached row's GenResult; ValueError, KeyError or TypeError where the row is not a whole result."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError(f"a row is {type(data).__name__}, not an object")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise KeyError(f"a row lacks {', '.join(missing)}")
    unknown = sorted(set(data) - set(RESULT_FIELDS))
    if unknown:
        raise KeyError(f"a row has unknown fields {', '.join(unknown)}")
    for k in ("token_ids", "tail_ids"):
        ids = data.get(k, [])
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise TypeError(f"a row's {k} is not a list of token ids")
        data[k] = tuple(ids)
    if not isinstance(data["text"], str) or data["finish_reason"] not in ("stop", "length"):
        raise TypeError("a row's text or finish_reason has the wrong type or value")
    return GenResult(**{**data, "cached": True})


class CachedEngine(EngineWrapper):
    """Answers repeated requests from the cache; sends the rest to the engine as one batch."""

    def __init__(self, engine: Engine, cache: ResponseCache):
        super().__init__(engine)
        self.cache = cache
        self._fingerprint = engine.fingerprint()
        self.hits = self.misses = 0

    def fingerprint(self) -> str:
        return self._fingerprint

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        keys = [request_key(self._fingerprint, r) for r in requests]
        out: list[GenResult | None] = [self.cache.get(k) for k in keys]
        todo = [i for i, r in enumerate(out) if r is None]
        self.hits += len(requests) - len(todo)
        self.misses += len(todo)
        if todo:
            fresh = self.engine.generate([requests[i] for i in todo])
            for i, res in zip(todo, fresh):
                out[i] = res
            self.cache.put(
                [(keys[i], self._fingerprint, res) for i, res in zip(todo, fresh) if res.finish_reason != "error"]
            )
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self.engine.close()
        self.cache.close()
