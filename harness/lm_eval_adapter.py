"""Our strategies and engines as an lm-evaluation-harness model: `--model harness-budget`.

lm-eval 0.4 finds models only in modules that were imported (no entry points; `--include_path` is for tasks), so:
- `harness lm-eval <lm-eval's own arguments>` imports this module and hands the arguments to lm-eval's CLI, e.g.
  `harness lm-eval --model harness-budget --model_args
  engine=llama.cpp,model=smollm2-135m,strategy=e1,thinking_budget=256,solution_budget=128 --tasks gsm8k`;
- from Python: `lm_eval.simple_evaluate(model=HarnessBudgetLM(...), tasks=[...])`.

`generate_until` runs the strategy on lm-eval's prompt (as the user turn of the model's chat template, in the
model's thinking format: detected once, or `thinking=none|template|model|prefill`), strips thinking, and cuts the
answer at lm-eval's `until` strings before lm-eval's own filters see it. Per-request token and latency records go
to `records_path` (JSON lines, `GenerationRecord`).
lm-eval grades every returned string, so a failed engine call returns "" (graded wrong by lm-eval) but is
recorded as `status: failed` with the reason, and counted in the warning printed at the end.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from pydantic import BaseModel

from harness.engines import make_engine
from harness.prompts import PromptSettings, prompt_builder, settle_format
from harness.strategies import STRATEGIES, Context, EngineFailed, StrategyConfig, Trace


class GenerationRecord(BaseModel):
    """One lm-eval request run through a strategy: thinking and answer apart, tokens and latency."""

    schema_version: int = 1
    task: str | None
    doc_id: int | None
    strategy: str
    thinking_budget: int
    solution_budget: int
    status: str
    error: str | None = None
    thinking: str
    answer: str
    thinking_end: str
    thinking_tokens: int
    solution_tokens: int
    latency_s: float


@register_model("harness-budget")
class HarnessBudgetLM(LM):
    def __init__(
        self,
        engine: str = "llama.cpp",
        model: str = "smollm2-135m",
        strategy: str = "e1",
        thinking_budget: int = 256,
        solution_budget: int = StrategyConfig.solution_budget,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        records_path: str | None = None,
        n_ctx: int = 8192,
        base_url: str | None = None,
        tokenizer: str | None = None,
        thinking: str = "auto",
        **_ignored,
    ):
        super().__init__()
        spec = model if engine == "llama.cpp" else f"{engine}:{model}"
        extra = {"n_ctx": int(n_ctx)} if engine == "llama.cpp" else {"base_url": base_url, "tokenizer": tokenizer}
        self.engine = make_engine(spec, **extra)
        self.strategy_name, self.strategy = strategy, STRATEGIES.get(strategy)
        self.settings = PromptSettings(instruction="")
        self.fmt = settle_format(self.engine, self.settings, thinking)
        self.cfg = StrategyConfig(
            budget=int(thinking_budget),
            solution_budget=int(solution_budget),
            temperature=float(temperature),
            top_p=float(top_p),
            seed=int(seed),
            fmt=self.fmt,
        )
        records_path = records_path or os.environ.get("HARNESS_LM_EVAL_RECORDS")  # `harness lm-eval --output_path X`
        self.records_path = Path(records_path) if records_path else None
        self.failed = 0

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        from tqdm import tqdm

        out = []
        for req in tqdm(requests, disable=disable_tqdm, desc=f"harness-budget ({self.strategy_name})"):
            context, gen_kwargs = req.args
            until = [u for u in (gen_kwargs or {}).get("until", []) if u]
            build = prompt_builder(self.engine.info, self.settings, self.fmt, context)
            try:
                trace = self.strategy(Context({"model": self.engine}, build, self.cfg))
            except EngineFailed as e:
                trace = Trace(error=str(e))
            answer = trace.answer
            for u in until:
                answer = answer.split(u, 1)[0]
            self._record(req, trace, answer)
            out.append("" if trace.error else answer)
        if self.failed:
            print(
                f"harness-budget: {self.failed} request(s) failed; they returned '' and are marked failed in "
                f"{self.records_path or 'no records file (pass records_path=...)'}",
                file=sys.stderr,
            )
        return out

    def _record(self, req, trace: Trace, answer: str) -> None:
        self.failed += bool(trace.error)
        if self.records_path is None:
            return
        think, solution = trace.part_tokens(self.engine.count_tokens)
        rec = GenerationRecord(
            task=req.task_name,
            doc_id=req.doc_id,
            strategy=self.strategy_name,
            thinking_budget=self.cfg.budget,
            solution_budget=self.cfg.solution_budget,
            status="failed" if trace.error else "ok",
            error=trace.error,
            thinking=trace.thinking,
            answer=answer,
            thinking_end=trace.thinking_end,
            thinking_tokens=think,
            solution_tokens=solution,
            latency_s=trace.wall_s,
        )
        self.records_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.records_path, "a", encoding="utf-8") as f:
            f.write(rec.model_dump_json() + "\n")

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError(
            "harness-budget is for generative tasks (output_type: generate_until): it runs thinking-"
            "budget strategies and has no log-likelihoods; use lm-eval's hf or vllm model for this task"
        )

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        return self.loglikelihood(requests, disable_tqdm)


def cli(args: list[str]) -> int:
    """`harness lm-eval ...`: lm-eval's own CLI with this model registered."""
    from lm_eval.__main__ import cli_evaluate

    args = list(args)
    for flag in ("--output_path", "-o"):
        if flag in args and args.index(flag) + 1 < len(args):  # our records go beside lm-eval's output
            os.environ.setdefault(
                "HARNESS_LM_EVAL_RECORDS", str(Path(args[args.index(flag) + 1]) / "harness_records.jsonl")
            )
    sys.argv = ["lm_eval"] + args
    cli_evaluate()
    return 0
