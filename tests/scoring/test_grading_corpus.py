"""The regression corpus of published outputs (tests/data/grading_corpus/README.md): every adjudicated response is
graded as adjudicated, and no response on which the harness and the publisher agreed regresses."""

import json
import os
from pathlib import Path

import pytest

from harness.scoring import score_response

from tests.conftest import DATA_DIR, ROOT

HERE = ROOT / "tests" / "data" / "grading_corpus"
CLASSES = {
    "publisher_error",
    "no_final_answer",
    "unboxed_final_answer",
    "thousands_separator",
    "subscript_notation",
    "name_equals_value",
    "words_ordinals",
    "gold_numeral",
    "other",
}


def _corpus() -> Path | None:
    for c in (os.environ.get("HARNESS_GRADING_CORPUS"), DATA_DIR / "grading_corpus", HERE):
        if c and any(Path(c).glob("*/*.jsonl")):
            return Path(c)
    return None


def _adjudication() -> dict:
    rows = [json.loads(line) for line in (HERE / "adjudication.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return {(r["file"], str(r["idx"]), int(r["n"])): r for r in rows}


def test_adjudication_file_is_complete_and_typed():
    adj = _adjudication()
    assert len(adj) >= 300
    for r in adj.values():
        assert isinstance(r["correct"], bool) and r["class"] in CLASSES and r["file"].endswith(".jsonl")
        # a disagreement: the publisher's label or one of the harness's verdicts differs from another
        assert len({r["published"], r["harness_before"], r["harness_after"]}) == 2


@pytest.fixture(scope="module")
def graded(data_dir):
    root = _corpus()
    if root is None:
        pytest.skip(
            "grading corpus responses not found (HARNESS_GRADING_CORPUS, <data dir>/grading_corpus or "
            "tests/data/grading_corpus/skythought): see tests/data/grading_corpus/README.md"
        )
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from grading_corpus import load_corpus

    items = load_corpus(root, data_dir)
    return [(it, score_response(it["response"], it["gold"], it["answer_type"]).correct) for it in items]


def test_skythought_corpus_graded_as_adjudicated(graded):
    """Every adjudicated response is graded as adjudicated, except the known remaining errors (harness_after !=
    correct in the adjudication file, each with its class and note); none may be added."""
    adj = _adjudication()
    known = {k for k, r in adj.items() if r["harness_after"] != r["correct"]}
    wrong = {k for it, ok in graded if (k := (it["file"], str(it["idx"]), it["n"])) in adj and ok != adj[k]["correct"]}
    assert wrong <= known, sorted(wrong - known)


def test_skythought_agreements_do_not_regress(graded):
    adj = _adjudication()
    regressed = [
        (it["file"], it["idx"])
        for it, ok in graded
        if (it["file"], str(it["idx"]), it["n"]) not in adj and ok != it["published"]
    ]
    assert not regressed, regressed
