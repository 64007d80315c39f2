"""The whole run as one stream of requests into vLLM's engine, as `LLM.generate`'s own loop drives it."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future


class StepLoop:
    """The one thread that drives vLLM's engine, as `LLM.generate`'s own loop does (add the requests, `step()` until
    none is unfinished), for requests that arrive from many threads at any time: `submit` hands a request over and
    returns a future of its final `RequestOutput`. A request vLLM refuses fails its own future; an engine that fails
    a step fails every request in it."""

    def __init__(self, engine):
        self.engine = engine
        self._new: list[tuple[str, list[int], object, Future]] = []
        self._waiting: dict[str, Future] = {}
        self._ids = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self.peak = 0  # the most requests vLLM held at once (tests and benchmarks)
        self._thread = threading.Thread(target=self._run, name="vllm-steps", daemon=True)
        self._thread.start()

    def submit(self, prompt_ids: list[int], params) -> Future:
        from vllm.sampling_params import RequestOutputKind

        params.output_kind = RequestOutputKind.FINAL_ONLY  # as LLM.generate: one output per request, when finished
        fut: Future = Future()
        with self._cv:
            self._new.append((f"harness-{next(self._ids)}", prompt_ids, params, fut))
            self._cv.notify()
        return fut

    def _run(self) -> None:
        from vllm.inputs import TokensPrompt

        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._new or self._waiting or self._stopped)
                if self._stopped:
                    return
                new, self._new = self._new, []
            for rid, ids, params, fut in new:
                try:
                    self.engine.add_request(rid, TokensPrompt(prompt_token_ids=ids), params)
                    self._waiting[rid] = fut
                except Exception as e:
                    fut.set_exception(e)
            self.peak = max(self.peak, len(self._waiting))
            if self._waiting:
                self._step()

    def _step(self) -> None:
        try:
            outputs = self.engine.step()
        except Exception as e:
            for fut in self._waiting.values():
                fut.set_exception(e)
            self._waiting.clear()
            return
        for out in outputs:
            if out.finished and out.request_id in self._waiting:
                self._waiting.pop(out.request_id).set_result(out)

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        self._thread.join(timeout=5)


def max_num_seqs(llm) -> int:
    """vLLM's own bound on the sequences it runs at once (its scheduler's max_num_seqs)."""
    try:
        return int(llm.llm_engine.vllm_config.scheduler_config.max_num_seqs)
    except Exception:
        return 256  # vLLM's default on a GPU
