"""The regression corpus of published outputs (tests/data/grading_corpus/README.md), one test per source of
benchmarks/grading_sources.yaml: every adjudicated response is graded as adjudicated, and a seeded sample of the
responses on which the harness and the publisher agreed does not regress. benchmarks/grading_corpus.py grades
every response and prints the figures per source."""

import json
import random
import sys

import pytest

from tests.conftest import DATA_DIR, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from build_grading_corpus import load_sources  # noqa: E402
from grading_corpus import corpus_dirs, grade, load_adjudication, load_corpus  # noqa: E402

CLASSES = {
    "publisher_error",
    "no_final_answer",
    "unboxed_final_answer",
    "thousands_separator",
    "subscript_notation",
    "name_equals_value",
    "words_ordinals",
    "gold_numeral",
    "answer_marker",
    "rounded_answer",
    "other",
}
AGREEMENTS_PER_SOURCE = 250  # a seeded sample keeps the suite's time in bounds; the benchmark grades them all
SOURCES = load_sources()


def test_adjudication_file_is_complete_and_typed():
    adj = load_adjudication()
    assert len(adj) >= 300
    for r in adj.values():
        assert isinstance(r["correct"], bool) and r["class"] in CLASSES and r["file"].endswith(".jsonl")
        assert r["file"].split("/")[0] in SOURCES, r["file"]
        # a disagreement: the publisher's label or one of the harness's verdicts differs from another
        assert len({r["published"], r["harness_before"], r["harness_after"]}) == 2


@pytest.fixture(scope="module")
def found():
    return corpus_dirs(data_dir=DATA_DIR)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_corpus_source_graded_as_adjudicated(source, found):
    """Every adjudicated response of the source is graded as adjudicated, except the known remaining errors
    (harness_after != correct in the adjudication file, each with its class and note); none may be added. No
    sampled agreement regresses."""
    if source not in found:
        pytest.skip(
            f"grading corpus source {source!r} ({SOURCES[source]['repository']}) not found: build it with "
            f"benchmarks/build_grading_corpus.py --source {source} (or place it in <data dir>/grading_corpus/)"
        )
    adj = load_adjudication()
    items = load_corpus({source: found[source]}, DATA_DIR)
    key = lambda it: (it["file"], str(it["idx"]), it["n"])  # noqa: E731
    # a known grading_timeout (harness_after null) costs a minute of retries: the benchmark grades those
    adjudicated = [it for it in items if key(it) in adj and adj[key(it)]["harness_after"] is not None]
    others = [it for it in items if key(it) not in adj]
    sample = random.Random(23).sample(others, min(AGREEMENTS_PER_SOURCE, len(others)))
    known = {k for k, r in adj.items() if r["harness_after"] != r["correct"]}
    wrong, regressed = set(), []
    for it in adjudicated + sample:
        ok = grade(it).correct
        if key(it) in adj and ok != adj[key(it)]["correct"]:
            wrong.add(key(it))
        elif key(it) not in adj and ok != it["published"]:
            regressed.append(key(it))
    assert wrong <= known, sorted(wrong - known)
    assert not regressed, regressed


def test_adjudication_names_responses_that_exist(found):
    """Each adjudication row names a response of its source (checked for the sources that are present)."""
    adj = load_adjudication()
    for source, folder in found.items():
        rows = [k for k in adj if k[0].startswith(source + "/")]
        files = {f"{source}/{p.name}": p for p in folder.glob("*.jsonl")}
        for file, idx, n in rows:
            assert file in files, file
        for file in {k[0] for k in rows}:
            ids = {str(json.loads(line)["idx"]) for line in files[file].read_text(encoding="utf-8").splitlines()}
            assert {k[1] for k in rows if k[0] == file} <= ids, file
