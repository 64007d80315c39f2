"""The leaderboard site at leaderboard size: build time and each page's open time in headless chromium.

    .venv/bin/python benchmarks/site_build.py [--runs 20] [--samples 15000] [--budgets 5] [--tasks 3] [--out DIR]

Writes synthetic runs (records through the harness's own writer, `write_records`, and a manifest each): `runs` runs
of `samples` samples per run (split evenly over `tasks` tasks) at `budgets` budgets, each record with a few hundred
characters of thinking and answer, verdicts and cuts that vary with the budget. Then times `build_site` over all of
them (targets: under 60 s) and opens, in Debian's chromium through Playwright, the overview, a run page, a trace
viewer (its largest task's index) and one sample across its budgets (target: each under 2 s). Figures measured:
docs/site.md ("Size and speed").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import ROOT  # noqa: F401  (sets sys.path)

from harness.manifest import MANIFEST_FILE, MANIFEST_VERSION, Manifest, write_manifest
from harness.records import RECORDS_FILE, SampleRecord, write_records
from harness.report.site import build_site

WORDS = "so the sum of each term is then we check whether x equals wait let me recompute carefully".split()
BUDGET_LIST = [256, 512, 1024, 2048, 4096, 8192, 16384]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _records(run: int, samples: int, budgets: list[int], tasks: list[str]):
    rng = random.Random(run)
    skill = 0.3 + 0.03 * run  # runs differ, so that the overview has something to rank
    for i in range(samples):
        task = tasks[i % len(tasks)]
        need = rng.choice(BUDGET_LIST)  # the thinking this sample would take uncut
        for b in budgets:
            cut = need > b
            think = min(need, b)
            correct = rng.random() < skill * (0.5 if cut else 1.0)
            yield SampleRecord(
                task=task, sample_id=str(i), index=i, strategy="e1", budget=b, solution_budget=256, seed=0,
                model=f"synthetic-{run}", gold="42", answer_type="number", thinking=_text(rng, 60),
                answer=_text(rng, 15) + (" \\boxed{42}" if correct else " \\boxed{7}"), forced_text="</think>",
                thinking_end="budget" if cut else "natural", extracted="42" if correct else "7", correct=correct,
                verdict_reason=None if rng.random() > 0.05 else "no_final_answer", prompt_tokens=120,
                thinking_tokens=think, solution_tokens=80, total_tokens=think + 80, hit_budget=cut,
                latency_s=think / 50, n_calls=2,
            )  # fmt: skip


def write_run(args: tuple[Path, int, int, list[int], list[str]]) -> Path:
    folder, run, samples, budgets, tasks = args
    folder.mkdir(parents=True)
    write_records(folder / RECORDS_FILE, _records(run, samples, budgets, tasks))
    config = {"engine": {"model": f"synthetic-{run}"}, "strategy": {"name": "e1", "budgets": budgets}}
    write_manifest(folder / MANIFEST_FILE, Manifest(version=MANIFEST_VERSION, config=config))
    return folder


def open_times(site: Path, run_id: str, task: str, sample: str) -> dict[str, float]:
    """Seconds from navigation until each page shows what it is for (chromium started beforehand)."""
    from playwright.sync_api import sync_playwright

    from tests.report.test_site_browser import ARGS

    viewer = (site.parent / "runs" / run_id / "samples.html").as_uri()
    pages = {  # what each page is for: (url, [(what, the selector that shows it), ...])
        "overview": (site.as_uri(), [("table", "#board td"), ("chart", "#overview-chart .scatterlayer .point")]),
        "run page": (
            (site.parent / "runs" / run_id / "index.html").as_uri(),
            [("table", "#summary td"), ("charts", "#chart-2 .scatterlayer .point")],
        ),
        "trace viewer": (f"{viewer}#task={task}", [("sample list", "#list td")]),
        "one sample": (f"{viewer}#task={task}&sample={sample}~0", [("its budgets", "#sample .column")]),
    }
    out = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=shutil.which("chromium"), args=ARGS, headless=True
        )
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto((site.parent / "assets" / "site.css").as_uri())  # the browser's first file:// page: its start-up
        out["a plain file first (browser start-up)"] = time.perf_counter() - t0
        for name, (url, steps) in pages.items():
            page.goto("about:blank")
            t0 = time.perf_counter()
            page.goto(url, wait_until="commit")
            for what, selector in steps:
                page.wait_for_selector(selector, timeout=60_000)
                out[f"{name}: {what}"] = time.perf_counter() - t0
        ctx.close()
    return out


def _cpu() -> float:
    """User + system seconds of this process and its finished children (the build's worker pool)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--samples", type=int, default=15_000, help="samples per run, over all its tasks")
    p.add_argument("--budgets", type=int, default=5)
    p.add_argument("--tasks", type=int, default=3)
    p.add_argument("--out", type=Path, default=None, help="a folder to keep (default: a temporary one)")
    a = p.parse_args()
    root = a.out or Path(tempfile.mkdtemp(prefix="site-bench-"))
    budgets, tasks = BUDGET_LIST[: a.budgets], [f"task{k}" for k in range(a.tasks)]
    runs = [root / "runs" / f"run{r:02d}" for r in range(a.runs)]
    n, made = a.runs * a.samples * a.budgets, root / "runs" / "made.json"
    params = json.dumps([a.runs, a.samples, a.budgets, a.tasks])
    if not made.is_file() or made.read_text() != params:  # a kept --out folder with the same runs is reused
        shutil.rmtree(root / "runs", ignore_errors=True)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(write_run, [(f, r, a.samples, budgets, tasks) for r, f in enumerate(runs)]))
        made.write_text(params)
        print(f"wrote {n:,} records in {time.perf_counter() - t0:.1f} s", end="; ")
    size = _size(root / "runs") / 1e6
    print(f"{a.runs} runs x {a.samples} samples x {a.budgets} budgets = {n:,} records ({size:.0f} MB)")
    shutil.rmtree(root / "site", ignore_errors=True)
    load, cpu0 = os.getloadavg()[0], _cpu()
    t0 = time.perf_counter()
    index = build_site(runs, root / "site")
    build, cpu = time.perf_counter() - t0, _cpu() - cpu0
    print(f"{os.cpu_count()} cores, load average {load:.1f} before the build")
    print(f"build_site: {build:.1f} s (target < 60 s), {cpu:.0f} CPU seconds in all its processes; ", end="")
    data = root / "site" / "runs" / "run00" / "data" / "task0"
    print(f"site {_size(root / 'site') / 1e6:.0f} MB; ", end="")
    index_mb, chunk_kb = (data / "index.js").stat().st_size / 1e6, (data / "0.js").stat().st_size / 1e3
    print(f"one task's index {index_mb:.2f} MB, a chunk of its samples {chunk_kb:.0f} kB")
    middle = str(a.samples // 2 // a.tasks * a.tasks)  # a sample of task0 in a chunk other than the first
    for name, s in open_times(index, "run00", "task0", middle).items():
        print(f"open {name}: {s:.2f} s (target < 2 s)")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    if a.out is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
