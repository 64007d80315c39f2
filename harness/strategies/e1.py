"""e1: Elastic Reasoning's separate budgets (t for thinking, s for the solution).

Call 1 thinks with max_tokens = t and stops at the end marker. If thinking did not end by itself, only the end
marker is appended (no extra words). Call 2 continues prompt + thinking + end marker with max_tokens = s: on token
ids (the prompt's ids, the sampled thinking ids, the end marker's ids) where the engine feeds exact ids, as Elastic
Reasoning's code does; else on the exact text. `Trace.continued_on` says
which. Either way the solution continues the thinking call's state on engines that keep it (llama.cpp: the KV cache
cut to the thinking's end, see docs/strategies.md; vLLM: prefix caching), the same on the reused and the
independent path.

A model without thinking (format `none`, or a `model`-format response that did not open thinking): a response that
ends within t is the answer, graded whole; one cut at t gets the final-answer cue and an answer within s.
"""

from harness.strategies.base import STRATEGIES, Context, Strategy, StrategyConfig, Trace, call, thinking_end
from harness.strategies.reuse import Reusable


def continuation(engine, prompt: str, first, forced: str, cfg: StrategyConfig):
    """prompt + the first call's sampled output + `forced` (the end marker, or the answer cue). As token ids where
    the engine feeds exact ids: the prompt's ids, the sampled ids, then the marker's one id (as Elastic Reasoning's
    code does) or the forced text's ids. The sampled ids are the state the thinking call left; re-tokenizing their
    text can split them otherwise (models emit non-canonical splits), which would be another context and, on
    llama.cpp, a re-evaluation from the first differing token. Else as text, which every engine continues alike."""
    ids = engine.prompt_ids(prompt) if engine.exact_ids else None
    if ids is None:
        return prompt + first.output + forced, "text"
    one = forced == cfg.fmt.close and cfg.fmt.close_token is not None
    tail = (cfg.fmt.close_token,) if one else tuple(engine.tokenize(forced))
    return tuple(ids) + tuple(first.token_ids) + tail, "tokens"


def finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    first = trace.calls[0]
    trace.hit_budget = first.finish_reason == "length"
    if not cfg.fmt.opened(first.output):  # no thinking phase: the response is the answer
        if not trace.hit_budget:
            trace.answer, trace.thinking_end = first.output, "none"
            return trace
        trace.thinking, trace.thinking_end, trace.forced_text = first.output, "budget", cfg.final_answer_text
        solution_prompt, trace.continued_on = continuation(engine, prompt, first, cfg.final_answer_text, cfg)
        # the cue is part of the answer the grader reads ("Final Answer: 18" is a final answer)
        trace.answer = (
            cfg.final_answer_text + call(engine, trace, "solution", solution_prompt, cfg.solution_budget, (), cfg).text
        )
        return trace
    trace.thinking, trace.thinking_end = cfg.fmt.strip_open(first.output), thinking_end(first, cfg)
    if trace.thinking_end != "natural":
        trace.forced_text = cfg.fmt.close
    solution_prompt, trace.continued_on = continuation(engine, prompt, first, cfg.fmt.close, cfg)
    trace.answer = call(engine, trace, "solution", solution_prompt, cfg.solution_budget, (), cfg).text
    return trace


def e1(ctx: Context) -> Trace:
    trace, prompt, cfg = Trace(), ctx.prompt_for(""), ctx.cfg
    call(ctx.engine, trace, "thinking", prompt, cfg.budget, cfg.fmt.stops, cfg)
    return finish(ctx.engine, trace, prompt, cfg)


STRATEGIES.add("e1", Strategy(e1, reuse=Reusable("thinking", lambda cfg: cfg.fmt.stops, finish)))
