"""The runs the site's tests build from, made once per session: the real SmolLM2 sweep (tests/conftest.py), the
committed baseline (made without --log-samples), a published Qwen2.5-Math dump brought in by `harness import`, and a
LiveCodeBench run whose two answers are written here and graded by the real scorer in the sandbox."""

from pathlib import Path

import pytest

from harness.records import RECORDS_FILE, RecordWriter, SampleRecord

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "results" / "baselines" / "smollm2-gsm8k-e1"
SENIORS = """class Solution:
    def countSeniors(self, details: List[str]) -> int:
        return sum(int(d[11:13]) > 60 for d in details)
"""
# model output shown by the viewer: must stay text, never markup
HOSTILE = "</script><b id='injected'>bold</b><img src='https://example.invalid/x.png'>"


@pytest.fixture(scope="session")
def published_run(tmp_path_factory, data_dir) -> Path:
    from harness import load_task
    from harness.importers import import_generations
    from tests.test_import import _write, qwen_rows

    folder = tmp_path_factory.mktemp("published")
    samples = load_task("math500", data_dir=data_dir).samples[:3]
    src = _write(folder / "test_qwen25-math-cot_-1_seed0_t0.0_s0_e-1.jsonl", qwen_rows(samples))
    return import_generations(
        [str(src)], folder / "published-7b", model="published-7b", task="math500", data_dir=data_dir
    )


@pytest.fixture(scope="session")
def code_run(tmp_path_factory, data_dir) -> Path:
    """LiveCodeBench problem 2727 at two budgets: a right program (budget 128) and one that fails at run time (64)."""
    from harness import load_task
    from harness.run.record import graded
    from harness.scoring import score_answer

    s = {x.id: x for x in load_task("livecodebench", data_dir=data_dir).samples}["2727"]
    folder = tmp_path_factory.mktemp("code") / "lcb-hand-written"
    folder.mkdir()
    with RecordWriter(folder / RECORDS_FILE) as w:
        for budget, code in ((64, SENIORS.replace("d[11:13]", "d[99]")), (128, SENIORS)):
            answer = f"{HOSTILE}\n```python\n{code}\n```\n"
            rec = SampleRecord(
                task="livecodebench",
                sample_id=s.id,
                index=s.index,
                strategy="e1",
                budget=budget,
                solution_budget=64,
                seed=0,
                model="hand-written",
                gold=s.gold,
                answer_type="code",
                thinking="Count ages over 60.",
                answer=answer,
                thinking_end="natural",
                question=s.question,
                n_calls=2,
            )
            w.write(graded(rec, score_answer(answer, s.gold, "code")))
    return folder


@pytest.fixture(scope="session")
def site_runs(smollm2_sweep, published_run, code_run) -> list[Path]:
    return [smollm2_sweep[0], published_run, BASELINE, code_run]


@pytest.fixture(scope="session")
def site(tmp_path_factory, site_runs) -> Path:
    from harness.report.site import build_site

    return build_site(site_runs, tmp_path_factory.mktemp("site"))
