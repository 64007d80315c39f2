"""The openai-chat engine against vLLM's OpenAI server with a reasoning parser (the session's `vllm_server`:
`--reasoning-parser olmo3`, a SmolLM2 template that opens thinking and maps `reasoning_effort` to a system
line): a three-budget server-budget sweep (vLLM's `thinking_token_budget`) end to end with compare and the gate, and
an effort sweep whose `reasoning_effort` field reaches the server's chat template."""

import json

import pandas as pd
import pytest

from harness.cli import main
from harness.records import read_records

pytestmark = pytest.mark.vllm


def sweep(url, data_dir, out, strategy, budgets, solution):
    # olmo3 returns the reasoning text but counts no reasoning tokens: the tokenizer counts them (and says so)
    argv = ["run", "--model", "openai-chat:smol", "--base-url", url, "--tokenizer", "smollm2-135m"]
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
