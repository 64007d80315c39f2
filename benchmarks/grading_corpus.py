"""Grade the regression corpus of published outputs and print agreement with the publishers' labels and with our
adjudication, per source and task (tests/data/grading_corpus/README.md describes the corpus).

    .venv/bin/python benchmarks/grading_corpus.py [--corpus DIR] [--workers N] [--errors] [--save FILE]

Each source of benchmarks/grading_sources.yaml is a folder of `<model>__<task>.jsonl` files in the Qwen2.5-Math
dump format (built by benchmarks/build_grading_corpus.py; read through `harness.importers`), looked for in
--corpus, $HARNESS_GRADING_CORPUS, <data dir>/grading_corpus and build/grading_corpus. Responses are graded as
`harness run` grades them (choice questions with their options), and the figures are printed per source and
task, so that an average can never hide one source. The adjudication is
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
from harness.scoring.choice import options_from_question

ADJUDICATION = ROOT / "tests" / "data" / "grading_corpus" / "adjudication.jsonl"


def corpus_dirs(explicit: str | None = None, data_dir=DATA_DIR) -> dict[str, Path]:
    """Each source of benchmarks/grading_sources.yaml -> its folder: the first of --corpus,
    $HARNESS_GRADING_CORPUS, <data dir>/grading_corpus and build/grading_corpus (build_grading_corpus.py's output)
    that holds it. Sources found nowhere are left out (see missing_sources)."""
    from build_grading_corpus import load_sources

    roots = [Path(c) for c in (explicit, os.environ.get("HARNESS_GRADING_CORPUS")) if c]
    roots += [Path(data_dir) / "grading_corpus", ROOT / "build" / "grading_corpus"]
    found = {}
    for name in load_sources():
        for root in roots:
            if any((root / name).glob("*.jsonl")):
                found[name] = root / name
                break
    return found


def missing_sources(found: dict) -> list[str]:
    from build_grading_corpus import load_sources

    return [f"{name} ({src['repository']})" for name, src in load_sources().items() if name not in found]


def load_adjudication(path: Path = ADJUDICATION) -> dict:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["file"], str(r["idx"]), int(r["n"])): r for r in rows}


def _same_gold_by_id(g, samples):
    if not g.sample_id.isdigit() or g.gold is None:
        return None
    i = int(g.sample_id) % len(samples)  # 'amc23x8' dumps repeat the set 8 times
    try:
        return samples[i] if float(g.gold) == float(samples[i].gold) else None
    except ValueError:
        return None


def load_corpus(folders: dict[str, Path], data_dir=DATA_DIR) -> list[dict]:
    """One item per response: file, idx, n, task, model, source, response, gold, answer type, published label."""
    items, tasks = [], {}
    for path in sorted(p for folder in folders.values() for p in folder.glob("*.jsonl")):
        model, _, task = path.stem.rpartition("__")
        if task not in tasks:
            tasks[task] = load_task(task, data_dir=data_dir).samples
        gens = read_generations(path)
        for g, s in zip(gens, match_samples(gens, tasks[task])):
            if s is None:  # reworded (AIME 2025 copies differ): the row's id, when the golds agree as numbers
                s = _same_gold_by_id(g, tasks[task])
            if s is None:
                raise SystemExit(f"{path}: row {g.sample_id} matches no {task} question")
            items.append(
                {
                    "file": f"{path.parent.name}/{path.name}",
                    "idx": g.sample_id,
                    "sample_id": s.id,
                    "n": g.n,
                    "task": task,
                    "model": model,
                    "source": path.parent.name,
                    "response": g.response,
                    "gold": s.gold,
                    "answer_type": s.answer_type,
                    "options": options_from_question(s.question) if s.answer_type == "choice" else None,
                    "published": g.published_correct,
                }
            )
    return items


def grade(item: dict):
    """One response graded as `harness run` grades it (a choice question's options read from its text)."""
    return score_response(item["response"], item["gold"], item["answer_type"], options=item["options"] or None)


def _grade(item: dict):
    s = grade(item)
    return s.correct, s.extracted, s.reason


def grade_corpus(items: list[dict], workers: int) -> list[tuple]:
    jobs = items
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(_grade, jobs, chunksize=16))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", help="a folder holding source folders (default: see corpus_dirs)")
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--errors", action="store_true", help="list every response graded against the adjudication")
    p.add_argument("--save", help="write every response's key, label and our verdict to this JSONL file")
    a = p.parse_args()
    folders = corpus_dirs(a.corpus)
    if not folders:
        sys.exit("no grading corpus found: run benchmarks/build_grading_corpus.py (or pass --corpus DIR)")
    adjudication = load_adjudication()
    items = load_corpus(folders)
    t0 = time.perf_counter()
    results = grade_corpus(items, a.workers)
    wall = time.perf_counter() - t0
    if a.save:
        with open(a.save, "w", encoding="utf-8") as f:
            for it, (ok, extracted, reason) in zip(items, results):
                keep = {k: it[k] for k in ("file", "idx", "n", "task", "sample_id", "gold", "published")}
                f.write(json.dumps({**keep, "ours": ok, "extracted": extracted, "reason": reason}) + "\n")
    table = defaultdict(Counter)
    errors = Counter()
    for it, (ok, extracted, reason) in zip(items, results):
        adj = adjudication.get((it["file"], str(it["idx"]), it["n"]))
        truth = adj["correct"] if adj else it["published"]
        for key in ((it["source"], it["task"]), (it["source"], "all"), ("all", "all")):
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
    print(
        f"corpus: {', '.join(f'{k} ({v})' for k, v in folders.items())}; "
        f"not found: {missing_sources(folders) or 'none'}"
    )
    print(f"{len(items)} responses, graded in {wall:.1f} s with {a.workers} workers")
    print(
        f"{'source':12} {'task':14} {'n':>6} {'adjud.':>6}  {'agree w/ published':>19}  {'agree w/ adjudication':>22}  "
        f"{'publisher right':>16}"
    )
    for (source, task), c in sorted(
        table.items(), key=lambda kv: (kv[0][0] == "all", kv[0][0], kv[0][1] == "all", kv[0][1])
    ):
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
