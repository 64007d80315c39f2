"""A scripted engine for tests: replies from a queue and records every request it got."""

from __future__ import annotations

from harness.engines.base import Engine, GenRequest, GenResult, ModelInfo

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class ScriptedEngine(Engine):
    """Each reply is (text, finish_reason, stop_string). Tokens are whitespace-separated words."""

    name = "scripted"

    def __init__(self, replies: list[tuple[str, str, str | None]], name: str = "scripted", token_prompts: bool = False):
        self.replies, self.model_name, self.token_prompts = list(replies), name, token_prompts
        self.requests: list[GenRequest] = []
        self.vocab: list[str] = []

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(self.model_name, None, None, CHATML, "", "<|im_end|>")

    def tokenize(self, text: str) -> list[int]:
        for w in text.split():
            if w not in self.vocab:
                self.vocab.append(w)
        return [self.vocab.index(w) for w in text.split()]

    def prompt_ids(self, prompt: str):
        """Word ids do not give the text back byte for byte, so continuations stay text unless asked."""
        return self.tokenize(prompt) if self.token_prompts else None

    def detokenize(self, ids) -> str:
        return " ".join(self.vocab[i] for i in ids)

    def generate(self, requests):
        out = []
        for req in requests:
            self.requests.append(req)
            text, finish, stop = self.replies.pop(0)
            if finish == "error":
                out.append(GenResult("", (), 0, "error", None, 0.0, None, "boom"))
                continue
            words = text.split()
            assert len(words) <= req.max_tokens, "script longer than the request allows"
            out.append(GenResult(text, tuple(self.tokenize(text)), 10, finish, stop, 0.01, 0.001))
        return out
