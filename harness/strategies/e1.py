"""e1: Elastic Reasoning's separate budgets (t for thinking, s for the solution).

Call 1 thinks with max_tokens = t and stops at the end marker. If thinking did not end by itself, only the end
marker is appended (no extra words). Call 2 continues prompt + thinking + end marker with max_tokens = s: on token
ids (the prompt's ids, the sampled thinking ids, the end marker's id) where the engine feeds exact ids, as Elastic
Reasoning's code does (a marker that is not one vocabulary token is appended as its tokenization); else (HTTP
servers) on the text. `Trace.continued_on` says which. The protocol is "the solution continues the thinking call's
state": engines that keep state (llama.cpp, vLLM's prefix cache) decode only the end marker and the solution, on the
reused and the independent path alike (docs/strategies.md).

A model without thinking (format `none`, or a `model`-format response that did not open thinking): a response that
ends within t is the answer, graded whole; one cut at t gets the final-answer cue and an answer within s.
"""
from harness.strategies.base import STRATEGIES, PromptFn, StrategyConfig, Trace, call, thinking_end
from harness.strategies.reuse import REUSABLE, Reusable


def continuation(engine, prompt: str, first, forced: str, cfg: StrategyConfig):
    """prompt + the first call's sampled output + `forced` (the end marker, or the answer cue): as token ids where the
    engine feeds exact ids (the marker's one id where the vocabulary has it, else the text's tokenization), else as
    text."""
    ids = engine.prompt_ids(prompt) if engine.exact_ids else None
    if ids is None:
        return prompt + first.output + forced, "text"
    one = forced == cfg.fmt.close and cfg.fmt.close_token is not None
    return tuple(ids) + tuple(first.token_ids) + ((cfg.fmt.close_token,) if one else tuple(engine.tokenize(forced))), "tokens"


def finish(engine, trace: Trace, prompt: str, cfg: StrategyConfig) -> Trace:
    first = trace.calls[0]
    trace.hit_budget = first.finish_reason == "length"
    if not cfg.fmt.opened(first.output):  # no thinking phase: the response is the answer
        if not trace.hit_budget:
            trace.answer, trace.thinking_end = first.output, "none"
            return trace
        trace.thinking, trace.thinking_end, trace.forced_text = first.output, "budget", cfg.final_answer_text
        solution_prompt, trace.continued_on = continuation(engine, prompt, first, cfg.final_answer_text, cfg)
        trace.answer = call(engine, trace, "solution", solution_prompt, cfg.solution_budget, (), cfg).text
        return trace
    trace.thinking, trace.thinking_end = cfg.fmt.strip_open(first.output), thinking_end(first, cfg)
    if trace.thinking_end != "natural":
        trace.forced_text = cfg.fmt.close
    solution_prompt, trace.continued_on = continuation(engine, prompt, first, cfg.fmt.close, cfg)
    trace.answer = call(engine, trace, "solution", solution_prompt, cfg.solution_budget, (), cfg).text
    return trace


@STRATEGIES.register("e1")
def e1(engine, prompt_for: PromptFn, cfg: StrategyConfig) -> Trace:
    trace = Trace()
    prompt = prompt_for("")
    call(engine, trace, "thinking", prompt, cfg.budget, cfg.fmt.stops, cfg)
    return finish(engine, trace, prompt, cfg)


REUSABLE.add("e1", Reusable("thinking", lambda cfg: cfg.fmt.stops, finish))
