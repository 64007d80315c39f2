"""The openai-chat engine against llama.cpp's own OpenAI server (`/v1/chat/completions`, the server applies SmolLM2's
template): a three-level effort sweep through the CLI, its table and plots with the levels in order, compare and
the gate over the levels; refusals where chat cannot express a strategy."""

import json

import pandas as pd
import pytest

from harness.cli import main
from harness.engines.llamacpp import resolve_gguf
from harness.engines.local_server import local_server
from harness.errors import BadArgumentError
from harness.records import read_records
from harness.run import RunConfig, run

pytestmark = pytest.mark.slow
GREEDY = "repeat_penalty=1.0,top_k=0,min_p=0.0"  # llama.cpp's server samples otherwise


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("llama-chat-server") / "server.log"
    with local_server("llama.cpp", resolve_gguf("smollm2-135m"), ["--n_ctx", "2048"], log=log) as server:
        yield server.url


def sweep(url, data_dir, out, *extra):
    argv = ["run", "--model", "openai-chat:smol", "--base-url", url, "--tasks", "gsm8k", "--strategy", "effort"]
    argv += ["--budgets", "high,low,medium", "--limit", "3", "--seed", "0"]
    argv += [] if "--solution-budget" in extra else ["--solution-budget", "24"]
    argv += ["--data-dir", str(data_dir), "--output-path", str(out), "--server-args", GREEDY, "--no-progress", *extra]
    return main(argv)


def test_effort_sweep_end_to_end_with_levels_in_order(chat_url, data_dir, tmp_path, capsys):
    out = tmp_path / "effort"
    assert sweep(chat_url, data_dir, out, "--effort-via", "system", "--log-samples") == 0
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["budget"]) == ["low", "medium", "high"]  # levels, not the alphabet
    md = (out / "summary.md").read_text()
    assert md.index("| low |") < md.index("| medium |") < md.index("| high |")
    assert (out / "sweep.png").stat().st_size > 0
    records = read_records(out / "records.jsonl")
    assert len(records) == 9 and all(r.status == "ok" for r in records)
    for r in records:
        # gpt-oss's system line reached the server (the chat template is the server's; the harness sent messages)
        messages = json.loads(r.calls[0].prompt)
        assert messages[0] == {"role": "system", "content": f"Reasoning: {r.budget}"}, messages
        assert r.calls[0].counted_by == "server usage" and r.thinking_source == "none" and r.thinking == ""
        assert 0 < r.total_tokens <= 24 and r.solution_tokens == r.total_tokens and r.prompt_tokens > 20
    manifest = json.loads((out / "manifest.json").read_text())
    usage = manifest["usage"]
    assert usage["completion_tokens"] == sum(r.total_tokens for r in records) and usage["reasoning_tokens"] == 0
    assert usage["prompt_tokens"] == sum(r.prompt_tokens for r in records)
    assert manifest["config"]["strategy"]["budgets"] == ["low", "medium", "high"]
    assert manifest["prompt"]["chat_template"] == "applied by the server"

    # compare each level against the run's own "max" level (high), then gate it
    capsys.readouterr()
    assert main(["compare", str(out), "--baseline-budget", "max"]) == 0
    table = capsys.readouterr().out
    assert "effort@high" in table and table.index("| low |") < table.index("| medium |")
    assert main(["gate", str(out), "--baseline-budget", "max", "--max-length-growth", "10"]) == 0
    assert "gate passed" in capsys.readouterr().out
    # the same sweep with twice the answer budget writes longer responses: the gate against the first run's high
    # level names each word budget that grew
    longer = tmp_path / "longer"
    assert sweep(chat_url, data_dir, longer, "--effort-via", "system", "--solution-budget", "48") == 0
    capsys.readouterr()
    assert main(["gate", str(longer), "--baseline", str(out), "--baseline-budget", "high"]) == 1
    gate_out = capsys.readouterr().out
    assert "regression: gsm8k (effort, budget low) mean length" in gate_out, gate_out

    # the leaderboard's per-budget plots put the levels on an ordered category axis
    board = tmp_path / "board"
    assert main(["leaderboard", str(out), str(longer), "--output-path", str(board)]) == 0
    assert {"accuracy_vs_budget.png", "latency_vs_budget.png"} <= {p.name for p in board.iterdir()}
    rows = pd.read_csv(board / "leaderboard.csv")
    assert sorted(rows["budget"]) == sorted(["low", "medium", "high"] * 2)

    # a rerun resumes from the records: nothing is sent again (the manifest's counts add up over resumes)
    calls = json.loads((out / "manifest.json").read_text())["engine_calls"]
    assert sweep(chat_url, data_dir, out, "--effort-via", "system", "--log-samples") == 0
    assert json.loads((out / "manifest.json").read_text())["engine_calls"] == calls > 0


def test_chat_refuses_what_it_cannot_express(chat_url, data_dir, tmp_path):
    base = dict(model="openai-chat:smol", base_url=chat_url, tasks=["gsm8k"], limit=1)
    with pytest.raises(BadArgumentError, match="continues the assistant's text.*openai:MODEL"):
        run(RunConfig(strategy="s1", budgets=[16], **base), tmp_path / "s1", data_dir=data_dir, progress=False)
    # e1 needs a server told how to continue a message; llama.cpp's server answers an assistant message anew
    with pytest.raises(BadArgumentError, match="--continue-via continue_final_message .*llama.cpp's server cannot"):
        run(RunConfig(strategy="e1", budgets=[16], **base), tmp_path / "e1", data_dir=data_dir, progress=False)
    with pytest.raises(BadArgumentError, match="openai-chat:MODEL"):
        run(
            RunConfig(model="smollm2-135m", tasks=["gsm8k"], strategy="server-budget", budgets=[16]),
            tmp_path / "sb",
            data_dir=data_dir,
            progress=False,
        )
    with pytest.raises(ValueError, match="only --strategy effort"):
        RunConfig(strategy="server-budget", budgets=["low"], **base)
    with pytest.raises(ValueError, match="effort walks effort levels"):
        RunConfig(strategy="effort", budgets=[64], **base)
    with pytest.raises(ValueError, match="positive integers .* or effort levels"):
        RunConfig(strategy="effort", budgets=["lowest"], **base)
