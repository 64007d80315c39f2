"""The site's files from real runs: the viewer's data follows the records (what was logged, and only that), the
overview marks cells on other samples, AES against a baseline or the run's own largest budget, `harness report`."""

import json
import re
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.records import RECORDS_FILE, RecordWriter, SampleRecord, read_records
from harness.report.metrics import aes
from tests.report.conftest import BASELINE


def read_js(path: Path) -> tuple[str, dict]:
    m = re.fullmatch(r'HARNESS\.put\(("[^"]*"),(.*)\);\n', path.read_text(encoding="utf-8"), re.S)
    assert m, f"{path} is not one HARNESS.put call"
    return json.loads(m[1]), json.loads(m[2])


def test_viewer_data_follows_the_records(site, smollm2_sweep):
    out, recs = site.parent, read_records(smollm2_sweep[0] / RECORDS_FILE)
    key, idx = read_js(out / "runs" / "demo" / "data" / "gsm8k" / "index.js")
    assert key == "gsm8k/index" and [p["budget"] for p in idx["points"]] == ["16", "48"]
    items, points = [it[0] for it in idx["items"]], [p["budget"] for p in idx["points"]]
    _, chunk = read_js(out / "runs" / "demo" / "data" / "gsm8k" / "0.js")
    for r in recs:
        i, j = items.index(r.sample_id), points.index(str(r.budget))
        code, reason, tokens = idx["cells"][i][j]
        assert code == int(bool(r.correct)) and tokens == r.total_tokens
        assert idx["reasons"][reason] == (r.verdict_reason or "none")
        d = chunk["records"][i][j]
        assert d["thinking"] == r.thinking and d["answer"] == r.answer and d["thinking_end"] == r.thinking_end
        assert [c["output"] for c in d["calls"]] == [c.output for c in r.calls] and chunk["question"][i] == r.question
    assert all(q for q in chunk["question"])  # --log-samples: every question is there


def test_viewer_data_leaves_out_what_was_not_logged(site):
    _, chunk = read_js(site.parent / "runs" / "smollm2-gsm8k-e1" / "data" / "gsm8k" / "0.js")
    assert chunk["question"] == [None] * 8
    assert all("calls" not in d and d["thinking"] for row in chunk["records"] for d in row)


def test_code_samples_carry_program_test_verdicts_and_sandbox_message(site):
    _, idx = read_js(site.parent / "runs" / "lcb-hand-written" / "data" / "livecodebench" / "index.js")
    assert idx["reasons"] == ["none", "runtime_error"]
    _, chunk = read_js(site.parent / "runs" / "lcb-hand-written" / "data" / "livecodebench" / "0.js")
    wrong, right = chunk["records"][0]
    assert wrong["verdict"] == "runtime_error" and "IndexError" in wrong["verdict_reason"]
    assert (
        right["verdict"] == "passed" and set(right["test_verdicts"]) == {"passed"} and "d[11:13]" in right["extracted"]
    )
    assert right["gold"] == "2 tests (public only)"  # the tests are summarized, not copied into the page


def test_overview_marks_cells_on_other_samples_and_links_locally(site):
    page = site.read_text(encoding="utf-8")
    rows = {m[1]: m[0] for m in re.finditer(r'<tr data-run="([^"]+)".*?</tr>', page, re.S)}
    assert set(rows) == {"demo", "published-7b", "smollm2-gsm8k-e1", "lcb-hand-written"}
    # gsm8k: the sweep's 3 rows against the baseline's 8 (a tie: the larger set is the reference)
    assert "acc differs" in rows["demo"] and "other samples than most runs of gsm8k: n=3" in rows["demo"]
    assert "differs" not in rows["smollm2-gsm8k-e1"]
    for html in site.parent.rglob("*.html"):
        assert not re.search(r'(src|href)="(https?:)?//', html.read_text(encoding="utf-8")), html


def _run(folder: Path, points: dict[int, tuple[list[bool], int]]) -> Path:
    """A run folder whose budget b has samples graded `correct` with `tokens` each."""
    folder.mkdir()
    with RecordWriter(folder / RECORDS_FILE) as w:
        for budget, (correct, tokens) in points.items():
            for i, c in enumerate(correct):
                w.write(
                    SampleRecord(
                        task="gsm8k",
                        sample_id=str(i),
                        index=i,
                        strategy="e1",
                        budget=budget,
                        solution_budget=8,
                        seed=0,
                        model="m",
                        gold="1",
                        answer_type="number",
                        correct=c,
                        total_tokens=tokens,
                    )
                )
    return folder


def test_aes_at_the_best_budget_against_baseline_or_own_largest(tmp_path):
    from harness.report.leaderboard import run_names
    from harness.report.site import overview
    from harness.report.site.build import collect

    run = _run(tmp_path / "run", {64: ([True, False] * 2, 10), 128: ([True, True, True, False], 40)})
    base = _run(tmp_path / "base", {128: ([True, False] * 2, 40)})
    for ref, expected in ((None, (0.0, "128")), (base, (aes(0.75, 40, 0.5, 40), "128"))):
        c = collect([run], tmp_path / "site", ref)
        rows = overview.rows(c.runs, c.ids, run_names([r.path for r in c.runs]), c.baseline)
        assert rows[0].aes == pytest.approx(expected[0]) and rows[0].aes_budget == expected[1] and not rows[0].notes
    assert aes(0.5, 10, 0.5, 40) < aes(0.75, 40, 0.5, 40)  # so 128 is the best budget against the baseline too
    assert rows[1].baseline and rows[1].aes == 0.0


def test_report_builds_the_run_site(tmp_path, capsys):
    run = tmp_path / "baseline"
    shutil.copytree(BASELINE, run)
    assert main(["report", str(run)]) == 0
    assert f"the site: {run / 'site' / 'index.html'}" in capsys.readouterr().out
    for page in ("index.html", "runs/baseline/index.html", "runs/baseline/samples.html", "assets/plotly.min.js"):
        assert (run / "site" / page).is_file(), page
    assert (run / "summary.md").is_file()  # the table outputs stay


def test_offload_runs_show_the_largest_ratio_and_name_the_ratio_of_their_best_aes(tmp_path):
    from harness.manifest import MANIFEST_FILE, Manifest, write_manifest
    from harness.report.leaderboard import run_names
    from harness.report.site import overview
    from harness.report.site.build import collect

    run = tmp_path / "offload"
    run.mkdir()
    write_manifest(run / MANIFEST_FILE, Manifest(kind="offload", config={}))
    with RecordWriter(run / RECORDS_FILE) as w:
        for ratio, correct, tokens in ((0.0, [True, False], 10), (1.0, [True, True], 40)):
            for i, c in enumerate(correct):
                w.write(
                    SampleRecord(task="gsm8k", sample_id=str(i), index=i, strategy="random-offload", budget=64,
                                 solution_budget=8, seed=0, model="m", gold="1", answer_type="number", correct=c,
                                 total_tokens=tokens, offload_ratio=ratio)
                )  # fmt: skip
    c = collect([run], tmp_path / "site")
    (row,) = overview.rows(c.runs, c.ids, run_names([run]), None)
    assert row.cells["gsm8k"].accuracy == 1.0 and row.cells["gsm8k"].tokens == 40  # ratio 1 is the reference
    assert (row.aes, row.aes_budget) == (0.0, "64, p=1")  # ratio 0 halves accuracy: AES 0.75 - 5 * 0.5 < 0
