"""Grade the regression corpus of published outputs and print agreement with the publishers' labels and with our
adjudication, per source and task (tests/data/grading_corpus/README.md describes the corpus).

    .venv/bin/python benchmarks/grading_corpus.py [--corpus DIR] [--workers N] [--errors]

The corpus folder holds `<source>/<model>__<task>.jsonl` files in the Qwen2.5-Math dump format (read through
`harness.importers`, so this is the importer's first user); the adjudication is
tests/data/grading_corpus/adjudication.jsonl. A response with no adjudication row is one where the harness and
the publisher agreed when the corpus was adjudicated: its adjudicated label is the publisher's.
"""

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import DATA_DIR, ROOT  # noqa: F401  (sets sys.path)

from harness.api import load_task
from harness.importers import match_samples, read_generations
from harness.scoring import score_response

ADJUDICATION = ROOT / "tests" / "data" / "grading_corpus" / "adjudication.jsonl"


def corpus_dir(explicit: str | None) -> Path:
    """--corpus, else $HARNESS_GRADING_CORPUS, else <data dir>/grading_corpus, else tests/data/grading_corpus."""
    for c in (
        explicit,
        os.environ.get("HARNESS_GRADING_CORPUS"),
        Path(DATA_DIR) / "grading_corpus",
        ROOT / "tests" / "data" / "grading_corpus",
    ):
        if c and any(Path(c).glob("*/*.jsonl")):
            return Path(c)
    sys.exit(
        "no grading corpus found: pass --corpus DIR or set HARNESS_GRADING_CORPUS (see "
        "tests/data/grading_corpus/README.md)"
    )


def load_adjudication(path: Path = ADJUDICATION) -> dict:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["file"], str(r["idx"]), int(r["n"])): r for r in rows}


def load_corpus(root: Path, data_dir=DATA_DIR) -> list[dict]:
    """One item per response: file, idx, n, task, model, source, response, gold, answer type, published label."""
    items, tasks = [], {}
    for path in sorted(root.glob("*/*.jsonl")):
        model, _, task = path.stem.rpartition("__")
        if task not in tasks:
            tasks[task] = load_task(task, data_dir=data_dir).samples
        gens = read_generations(path)
        for g, s in zip(gens, match_samples(gens, tasks[task])):
            if s is None:
                raise SystemExit(f"{path}: row {g.sample_id} matches no {task} question")
            items.append(
                {
                    "file": f"{path.parent.name}/{path.name}",
                    "idx": g.sample_id,
                    "n": g.n,
                    "task": task,
                    "model": model,
                    "source": path.parent.name,
                    "response": g.response,
                    "gold": s.gold,
                    "answer_type": s.answer_type,
                    "published": g.published_correct,
                }
            )
    return items


def _grade(args):
    response, gold, answer_type = args
    s = score_response(response, gold, answer_type)
    return s.correct, s.extracted, s.reason


def grade_corpus(items: list[dict], workers: int) -> list[tuple]:
    jobs = [(it["response"], it["gold"], it["answer_type"]) for it in items]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(_grade, jobs, chunksize=16))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", help="corpus folder (default: see corpus_dir)")
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--errors", action="store_true", help="list every response graded against the adjudication")
    a = p.parse_args()
    root = corpus_dir(a.corpus)
    adjudication = load_adjudication()
    items = load_corpus(root)
    t0 = time.perf_counter()
    results = grade_corpus(items, a.workers)
    wall = time.perf_counter() - t0
    table = defaultdict(Counter)
    errors = Counter()
    for it, (ok, extracted, reason) in zip(items, results):
        adj = adjudication.get((it["file"], str(it["idx"]), it["n"]))
        truth = adj["correct"] if adj else it["published"]
        for key in ((it["source"], it["task"]), ("all", "all")):
            c = table[key]
            c["n"] += 1
            c["published"] += ok == it["published"]
            c["adjudicated"] += ok == truth
            c["publisher_right"] += it["published"] == truth
            c["adjudicated_cases"] += adj is not None
        if ok != truth:
            errors[adj["class"] if adj else "unadjudicated"] += 1
            if a.errors:
                print(
                    f"  {it['file']} idx={it['idx']} n={it['n']}: ours {ok} ({reason or extracted!r}), "
                    f"adjudicated {truth}" + (f" [{adj['class']}] {adj.get('note', '')}" if adj else "")
                )
    print(f"corpus {root} ({len(items)} responses, graded in {wall:.1f} s with {a.workers} workers)")
    print(
        f"{'source':12} {'task':14} {'n':>6} {'adjud.':>6}  {'agree w/ published':>19}  {'agree w/ adjudication':>22}  "
        f"{'publisher right':>16}"
    )
    for (source, task), c in sorted(table.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        n = c["n"]
        print(
            f"{source:12} {task:14} {n:6d} {c['adjudicated_cases']:6d}  {c['published']:7d} "
            f"({100 * c['published'] / n:6.2f}%)  "
            f"{c['adjudicated']:10d} ({100 * c['adjudicated'] / n:6.2f}%)  {c['publisher_right']:6d} "
            f"({100 * c['publisher_right'] / n:6.2f}%)"
        )
    print(
        "harness errors against the adjudication, by class: "
        + (", ".join(f"{k} {v}" for k, v in errors.most_common()) or "none")
    )


if __name__ == "__main__":
    main()
