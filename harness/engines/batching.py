"""Requests from many samples in flight at once, gathered into one engine batch.

The runner runs up to `--concurrency` samples in threads when the engine allows it. For engines that batch
internally (vLLM), `BatchingEngine` collects the requests those threads make within a short window (or until
`max_batch` are waiting) and sends them as one `generate` call, so a strategy step of many samples becomes
one `LLM.generate` batch. Each caller gets its own results back.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Sequence

from harness.engines.base import Engine, EngineWrapper, GenRequest, GenResult


class BatchingEngine(EngineWrapper):
    def __init__(self, engine: Engine, max_batch: int = 256, window_s: float = 0.01):
        super().__init__(engine)
        self.parallel_safe = True
        self.max_batch, self.window_s = max_batch, window_s
        self._pending: list[tuple[GenRequest, Future]] = []
        self._cv = threading.Condition()
        self.batches: list[int] = []  # sizes of the batches sent, for tests and benchmarks
        threading.Thread(target=self._loop, daemon=True).start()

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        futures = [Future() for _ in requests]
        with self._cv:
            self._pending.extend(zip(requests, futures))
            self._cv.notify()
        return [f.result() for f in futures]

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._pending:
                    self._cv.wait()
                self._cv.wait_for(lambda: len(self._pending) >= self.max_batch, timeout=self.window_s)
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            self.batches.append(len(batch))
            try:
                results = self.engine.generate([r for r, _ in batch])
                for (_, fut), res in zip(batch, results):
                    fut.set_result(res)
            except BaseException as e:  # e.g. the HTTP circuit breaker: every waiting caller sees it
                for _, fut in batch:
                    fut.set_exception(e)
