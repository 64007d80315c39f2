"""Build the grading regression corpus from the sources listed in benchmarks/grading_sources.yaml.

    .venv/bin/python benchmarks/build_grading_corpus.py [--out build/grading_corpus] [--mirrors ../.mirror]
        [--source NAME ...]

Each file is read with `git show COMMIT:PATH` from a git copy of its repository: a snapshot under --mirrors
(`<owner>+<name>/repo` or `<owner>+<name>`), else a clone made into .cache/sources/ (needs the network). Rows are
converted by the source's reader into the corpus format (one Qwen2.5-Math-style row per response: `idx`,
`question`, `gt`, `code` [response], `pred` [publisher's extracted answer or null], `score` [publisher's label])
and written as <out>/<source>/<model>__<task>.jsonl, with a SHA256SUMS per source. Sources marked `prebuilt` are
not rebuilt: their placed copy is checked against its SHA256SUMS. Point HARNESS_GRADING_CORPUS at --out (or place
the folders in <data dir>/grading_corpus/) for benchmarks/grading_corpus.py and the tests.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path(__file__).with_name("grading_sources.yaml")


def load_sources(path: Path = MANIFEST) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]


def git_dir(repository: str, mirrors: Path) -> Path:
    """A git copy of owner/name: a snapshot under `mirrors`, else a (blobless) clone into .cache/sources/."""
    slug = repository.replace("/", "+")
    for cand in (mirrors / slug / "repo", mirrors / slug):
        if (cand / "HEAD").is_file() or (cand / ".git").exists():
            return cand
    clone = ROOT / ".cache" / "sources" / slug
    if not clone.exists():
        url = f"https://github.com/{repository}.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", "--filter=blob:none", url, str(clone)], check=True)
    return clone


def git_show(repo: Path, commit: str, path: str) -> bytes:
    out = subprocess.run(["git", f"--git-dir={repo}", "show", f"{commit}:{path}"], capture_output=True)
    if out.returncode:
        sys.exit(f"{repo}: cannot read {commit}:{path}: {out.stderr.decode().strip()}")
    return out.stdout


def _row(idx, question: str, gold, response: str, label: bool, pred=None) -> dict:
    return {"idx": idx, "question": question, "gt": gold, "code": [response], "pred": [pred], "score": [label]}


def read_openai_examples(data: bytes, spec: dict) -> dict[str, list[dict]]:
    """openai/grade-school-math example_model_solutions.jsonl: one row per problem, one object per model with
    `solution` and `is_correct`; the gold is the 'A: N' line of `ground_truth`. One output file per model."""
    out: dict[str, list[dict]] = {}
    for i, line in enumerate(data.decode("utf-8").splitlines()):
        row = json.loads(line)
        gold = row["ground_truth"].rsplit("A:", 1)[-1].strip()
        for model, sol in row.items():
            if isinstance(sol, dict) and "solution" in sol:
                out.setdefault(f"gpt3-{model}", []).append(
                    _row(i, row["question"], gold, sol["solution"], bool(sol["is_correct"]))
                )
    return out


def read_rft_csv(data: bytes, spec: dict) -> dict[str, list[dict]]:
    """RobbenRibery/rft-gsm8k results CSV: questions, sampled_completions, ground_truth_completions, maj_1s."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    return {
        spec["model"]: [
            _row(
                i,
                r["questions"],
                r["ground_truth_completions"].rsplit("####", 1)[-1].strip(),
                r["sampled_completions"],
                r["maj_1s"].strip() in ("1", "1.0", "True"),
            )
            for i, r in enumerate(rows)
        ]
    }


def read_qwen_dump(data: bytes, spec: dict) -> dict[str, list[dict]]:
    """A Qwen2.5-Math `math_eval.py --save_outputs` dump: its rows, keeping the fields the corpus uses."""
    keep = ("idx", "question", "gt", "code", "pred", "score")
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    return {spec["model"]: [{k: r[k] for k in keep if k in r} for r in rows]}


READERS = {"openai-example-solutions": read_openai_examples, "rft-csv": read_rft_csv, "qwen-dump": read_qwen_dump}


def _model_slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", model.replace("/", "+")).strip("-")


def build_source(name: str, src: dict, out: Path, mirrors: Path) -> int:
    """Write one source's corpus files and SHA256SUMS; returns the number of responses written."""
    repo = git_dir(src["repository"], mirrors)
    reader = READERS[src["reader"]]
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    sums, total = [], 0
    for spec in src["files"]:
        for model, rows in reader(git_show(repo, spec["commit"], spec["path"]), spec).items():
            path = folder / f"{_model_slug(model)}__{spec['task']}.jsonl"
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
            path.write_bytes(body)
            sums.append(f"{hashlib.sha256(body).hexdigest()}  {path.name}\n")
            total += len(rows)
    (folder / "SHA256SUMS").write_text("".join(sorted(sums, key=lambda s: s.split()[1])), encoding="utf-8")
    return total


def check_prebuilt(name: str, placed: list[Path]) -> str:
    """Check a placed copy of a prebuilt source against SHA256SUMS (its own, or the corpus folder's)."""
    for base in placed:
        for sums in (base / name / "SHA256SUMS", base / "SHA256SUMS"):
            if not (base / name).is_dir() or not sums.is_file():
                continue
            rows = [line.split(maxsplit=1) for line in sums.read_text().splitlines() if line.strip()]
            rows = [(d, sums.parent / f.strip()) for d, f in rows if sums.parent == base / name or f.startswith(name)]
            bad = [f for d, f in rows if not f.is_file() or hashlib.sha256(f.read_bytes()).hexdigest() != d]
            return f"{base / name}: {len(rows)} files, " + (
                f"{len(bad)} differ from SHA256SUMS" if bad else "checksums match"
            )
    return "not placed (built by an earlier selection; see its README in shared/data/grading_corpus)"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "build" / "grading_corpus")
    p.add_argument("--mirrors", type=Path, default=ROOT.parent / ".mirror")
    p.add_argument("--source", action="append", help="build only this source (repeatable)")
    a = p.parse_args()
    sources = load_sources()
    unknown = set(a.source or ()) - set(sources)
    if unknown:
        sys.exit(f"unknown source {sorted(unknown)}; the manifest lists {sorted(sources)}")
    data_dir = os.environ.get("HARNESS_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    for name, src in sources.items():
        if a.source and name not in a.source:
            continue
        if src.get("prebuilt"):
            print(f"{name}: {check_prebuilt(name, [a.out, Path(data_dir) / 'grading_corpus'])}")
            continue
        print(f"{name}: {build_source(name, src, a.out, a.mirrors)} responses -> {a.out / name}")


if __name__ == "__main__":
    main()
