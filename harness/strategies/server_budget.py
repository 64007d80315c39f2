"""server-budget: the server bounds thinking at t tokens (`--budgets 512,1024,2048`), over a chat engine.

One call with vLLM's `thinking_token_budget` = t (or a provider's `thinking: {type: enabled, budget_tokens: t}`,
`--budget-via budget_tokens`) and an answer budget apart: `max_completion_tokens` = t + s (thinking and answer
share it on every such API). Thinking of at least t tokens is recorded as ended by the budget: the response cannot
tell a close the server forced from a natural one.
"""

from harness.strategies.base import STRATEGIES, Context, Strategy, Trace, call, from_chat


def server_budget(ctx: Context) -> Trace:
    trace, cfg = Trace(), ctx.cfg
    limit = cfg.budget + cfg.solution_budget
    res = call(ctx.engine, trace, "response", ctx.prompt_for(""), limit, (), cfg, thinking_budget=cfg.budget)
    return from_chat(trace, res, cut_thinking=(res.reasoning_tokens or 0) >= cfg.budget)


STRATEGIES.add(
    "server-budget",
    Strategy(
        server_budget, no_reuse="the server ends thinking inside the call, so each budget is its own call", chat=True
    ),
)
