"""effort: a reasoning-effort level per budget (`--budgets low,medium,high`), over a chat engine.

One call of up to --solution-budget tokens (`max_completion_tokens`: thinking and answer together, since effort
levels bound no token count) with the level as `reasoning_effort`, or as gpt-oss's "Reasoning: low" system line
(`--effort-via system`). Thinking and answer come back apart (see harness/engines/openai_chat.py).
"""

from harness.strategies.base import STRATEGIES, Context, Strategy, Trace, call, from_chat


def effort(ctx: Context) -> Trace:
    trace, cfg, prompt, level = Trace(), ctx.cfg, ctx.prompt_for(""), ctx.cfg.budget
    if ctx.engine.info.extra.get("effort_via") == "system":  # gpt-oss's harmony line, for servers without the field
        prompt, level = prompt.with_system_line(f"Reasoning: {level}"), None
    res = call(ctx.engine, trace, "response", prompt, cfg.solution_budget, (), cfg, effort=level)
    return from_chat(trace, res)


STRATEGIES.add(
    "effort",
    Strategy(effort, no_reuse="each effort level is its own request to the server", chat=True),
)
