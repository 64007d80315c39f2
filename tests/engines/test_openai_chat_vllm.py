"""The openai-chat engine against vLLM's OpenAI server with a reasoning parser (the session's `vllm_server`:
`--reasoning-parser olmo3`, a SmolLM2 template that opens thinking and maps `reasoning_effort` to a system
line): a three-budget server-budget sweep (vLLM's `thinking_token_budget`) end to end with compare and the gate, and
an effort sweep whose `reasoning_effort` field reaches the server's chat template; e1 over chat (the solution call
continues the assistant message, `continue_final_message`) against e1 over /v1/completions on the same server."""

import json

import pandas as pd
import pytest

from harness.cli import main
from harness.records import read_records
from tests.engines.conftest import THINK_TEMPLATE

pytestmark = pytest.mark.vllm


def sweep(url, data_dir, out, strategy, budgets, solution, model="openai-chat:smol", extra=()):
    # olmo3 returns the reasoning text but counts no reasoning tokens: the tokenizer counts them (and says so)
    argv = ["run", "--model", model, "--base-url", url, "--tokenizer", "smollm2-135m", *extra]
    argv += ["--tasks", "gsm8k", "--strategy", strategy]
    argv += ["--budgets", budgets, "--solution-budget", str(solution), "--limit", "2", "--seed", "0"]
    argv += ["--data-dir", str(data_dir), "--output-path", str(out), "--log-samples", "--no-progress"]
    return main(argv)


def test_server_budget_sweep_over_chat_with_the_reasoning_parser(vllm_server, data_dir, tmp_path, capsys):
    out = tmp_path / "server-budget"
    assert sweep(vllm_server, data_dir, out, "server-budget", "8,16,32", 16) == 0
    assert list(pd.read_csv(out / "summary.csv")["budget"]) == [8, 16, 32]
    records = read_records(out / "records.jsonl")
    assert len(records) == 6 and all(r.status == "ok" for r in records)
    for r in records:
        body = r.calls[0]
        assert body.max_tokens == r.budget + 16 and r.total_tokens <= r.budget + 16
        if r.thinking_source is None or r.thinking_source == "none":
            # SmolLM2 ended before the budget without writing </think>: olmo3 then returns it all as content
            assert r.budget == 32 and not r.thinking and r.thinking_tokens == 0 and body.counted_by == "server usage"
            continue
        assert r.thinking_source == "reasoning" and r.thinking  # the parser's field, apart from the answer
        assert body.counted_by == "server usage; thinking by local tokenizer"
        # vLLM forces </think> after t + 1 sampled thinking tokens (docs/engines.md)
        assert r.budget <= r.thinking_tokens <= r.budget + 1
        assert r.thinking_end == "budget" and r.hit_budget
        assert r.solution_tokens == r.total_tokens - r.thinking_tokens
    assert sum(r.thinking_source == "reasoning" for r in records) >= 4  # every record at budgets 8 and 16
    usage = json.loads((out / "manifest.json").read_text())["usage"]
    assert usage["reasoning_tokens"] == sum(r.thinking_tokens for r in records) > 0
    assert usage["completion_tokens"] == sum(r.total_tokens for r in records)

    capsys.readouterr()
    assert main(["compare", str(out), "--baseline-budget", "max"]) == 0
    assert "server-budget@32" in capsys.readouterr().out
    assert main(["gate", str(out), "--baseline-budget", "max", "--max-length-growth", "10"]) == 0


def test_effort_levels_reach_the_servers_chat_template(vllm_server, data_dir, tmp_path):
    plain, effort = tmp_path / "budget", tmp_path / "effort"
    assert sweep(vllm_server, data_dir, plain, "server-budget", "8", 8) == 0
    assert sweep(vllm_server, data_dir, effort, "effort", "low,medium,high", 8) == 0
    assert list(pd.read_csv(effort / "summary.csv")["budget"]) == ["low", "medium", "high"]
    base = {r.sample_id: r.prompt_tokens for r in read_records(plain / "records.jsonl")}
    for r in read_records(effort / "records.jsonl"):
        # the template turned reasoning_effort into a "Reasoning: LEVEL" system turn: the server's prompt grew
        # (olmo3 finds no reasoning without a </think>, which nothing forces here: the text comes back as content)
        assert r.prompt_tokens > base[r.sample_id] and r.answer
        assert json.loads(r.calls[0].prompt)[0]["role"] == "user"  # the harness sent no system line itself


def test_e1_over_chat_continues_the_message_as_completions_continue_the_text(vllm_server, data_dir, tmp_path):
    """The same server, template and questions two ways: over chat (vLLM renders THINK_TEMPLATE; the solution call
    sends the thinking back as an assistant message to continue) and over /v1/completions (the harness renders
    THINK_TEMPLATE and continues on the ids the server sampled, as vLLM's server takes id prompts). At temperature
    0 both must see the same tokens, so every thinking, answer and token count is equal: the server continued the
    message rather than answering it with a new turn."""
    chat, text = tmp_path / "chat", tmp_path / "completions"
    both = ["--thinking", "template"]
    chat_args = [*both, "--continue-via", "continue_final_message"]
    assert sweep(vllm_server, data_dir, chat, "e1", "12,200", 12, extra=chat_args) == 0
    text_args = [*both, "--chat-template", str(THINK_TEMPLATE)]
    assert sweep(vllm_server, data_dir, text, "e1", "12,200", 12, model="openai:smol", extra=text_args) == 0
    over_text = {(r.sample_id, r.budget): r for r in read_records(text / "records.jsonl")}
    records = read_records(chat / "records.jsonl")
    assert len(records) == 4 and all(r.status == "ok" for r in records)
    ends = set()
    for r in records:
        t = over_text[(r.sample_id, r.budget)]
        assert r.continued_on == "chat message" and t.continued_on == "tokens"
        assert r.thinking_source == "content"  # olmo3 splits nothing without </think>: --thinking template says
        assert (r.thinking, r.answer, r.thinking_end) == (t.thinking, t.answer, t.thinking_end)
        assert [c.role for c in r.calls] == ["thinking", "solution"]
        solution = json.loads(r.calls[1].prompt)[-1]
        assert solution == {"role": "assistant", "content": "<think>\n" + r.thinking + "</think>"}
        for c, d in zip(r.calls, t.calls):
            assert (c.tokens, c.prompt_tokens) == (d.tokens, d.prompt_tokens)  # same context, same output
        ends.add(r.thinking_end)
    assert "budget" in ends  # budget 12 cuts SmolLM2's thinking; the end marker alone is appended
    # vLLM names the stop that ended a call (stop_reason): an end-of-sequence token is not the end marker
    assert all(c.stop_string in (None, "</think>") for r in records for c in r.calls)
