"""A Hugging Face tokenizer (`--tokenizer hf:PATH_OR_ID`, via transformers.AutoTokenizer) for HTTP engines:
the model's chat template, BOS/EOS, and token counts where a server reports none. Tokenizer files only; no weights."""

from __future__ import annotations

from typing import Sequence

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo
from harness.errors import BadArgumentError


class HFTokenizer(Engine):
    name = "hf-tokenizer"

    def __init__(self, name_or_path: str):
        try:
            from transformers import AutoTokenizer
        except ImportError:
            raise BadArgumentError("--tokenizer hf:... needs transformers: pip install 'transformers>=5'") from None
        try:
            self.tok = AutoTokenizer.from_pretrained(name_or_path)
        except Exception as e:
            raise BadArgumentError(
                f"could not load the tokenizer {name_or_path!r} ({type(e).__name__}: {e}); pass a local "
                f"folder with tokenizer files or a hub id reachable from here"
            ) from None
        self._info = ModelInfo(
            name=name_or_path,
            path=name_or_path,
            sha256=None,
            chat_template=getattr(self.tok, "chat_template", None),
            bos_token=self.tok.bos_token or "",
            eos_token=self.tok.eos_token or "",
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def tokenize(self, text: str) -> list[int]:
        return list(self.tok.encode(text, add_special_tokens=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=False)

    def generate(self, requests: Sequence[GenRequest]) -> list[GenResult]:
        raise TypeError("a tokenizer does not generate")
