"""Leaderboard files and plots from real run folders, and the notebook executed on the committed baseline."""

from pathlib import Path

import nbformat
import pandas as pd
from nbclient import NotebookClient

from harness.cli import main
from harness.report.plots import pareto_front

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "results" / "baselines" / "smollm2-gsm8k-e1"


def test_pareto_front_keeps_only_undominated_points():
    pts = pd.DataFrame({"tok": [10, 20, 30, 40], "acc": [0.2, 0.1, 0.5, 0.4]})
    assert list(pareto_front(pts, "tok", "acc")["tok"]) == [10, 30]


def test_leaderboard_writes_every_format(tmp_path, capsys):
    out = tmp_path / "lb"
    assert main(["leaderboard", str(BASELINE), "--output-path", str(out)]) == 0
    df = pd.read_parquet(out / "leaderboard.parquet")
    assert list(df["rank"]) == [1] and df["task"].iloc[0] == "gsm8k"
    page = (out / "index.html").read_text()  # the site replaced leaderboard.html (tests/report/test_site*.py)
    assert '<tr data-run="smollm2-gsm8k-e1"' in page and (out / "runs" / "smollm2-gsm8k-e1" / "samples.html").is_file()
    for name in ("accuracy_vs_tokens", "accuracy_vs_budget", "latency_vs_budget"):
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.svg").read_text().startswith("<?xml")
    assert main(["leaderboard", str(BASELINE), "--output-path", str(out), "--baseline", str(BASELINE)]) == 0
    page = (out / "index.html").read_text()
    assert "against smollm2-gsm8k-e1&#39;s largest budget" in page and '<span class="tag">baseline</span>' in page
    assert main(["leaderboard", str(BASELINE), "--output-path", str(out), "--rank-by", "nope"]) == 2
    assert "cannot rank by 'nope'" in capsys.readouterr().err


def test_notebook_rebuilds_every_plot(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_NOTEBOOK_RUN", str(BASELINE))
    monkeypatch.setenv("HARNESS_NOTEBOOK_OUT", str(tmp_path))
    nb = nbformat.read(ROOT / "notebooks" / "rebuild_plots.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    ).execute()
    made = {p.name for p in tmp_path.iterdir()}
    assert {"sweep.png", "accuracy_vs_tokens.svg", "length_distributions.png", "aes_bars.png"} <= made


def _run(folder: Path, correct: list[bool]) -> str:
    from harness.records import RECORDS_FILE, RecordWriter, SampleRecord

    folder.mkdir()
    with RecordWriter(folder / RECORDS_FILE) as w:
        for i, c in enumerate(correct):
            w.write(
                SampleRecord(
                    task="gsm8k",
                    sample_id=str(i),
                    index=i,
                    strategy="plain",
                    budget=64,
                    solution_budget=0,
                    seed=0,
                    model="m",
                    gold="1",
                    answer_type="number",
                    correct=c,
                    total_tokens=10,
                )
            )
    return str(folder)


def test_rows_measured_on_different_samples_are_marked(tmp_path):
    from harness.report.leaderboard import build_leaderboard

    one, eight = _run(tmp_path / "one", [True]), _run(tmp_path / "eight", [True, False] * 4)
    df = build_leaderboard([one, eight], tmp_path / "lb", rank_by="accuracy")
    assert list(df["n"]) == [1, 8] and list(df["accuracy"]) == [1.0, 0.5]
    assert all(note.startswith("different samples") for note in df["note"])
    assert "n=1 of 8 in gsm8k" in (tmp_path / "lb" / "leaderboard.md").read_text()
    same = build_leaderboard([eight, _run(tmp_path / "again", [True] * 8)], tmp_path / "lb2", rank_by="accuracy")
    assert list(same["note"]) == ["", ""]
