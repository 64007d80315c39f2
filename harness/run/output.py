"""The output folder: refuse one holding a different run or another writer, resume the same run (checking the
data and model it recorded), replace it on --overwrite only where it holds a harness run."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
from pathlib import Path

from harness.cache import CACHE_FILE
from harness.errors import OutputExistsError
from harness.manifest import MANIFEST_FILE, Manifest, read_manifest
from harness.records import RECORDS_FILE, read_records, write_records
from harness.run.config import RunConfig

LOCK_FILE = ".harness.lock"
# What a run (and report, compare, repair) writes into its folder: --overwrite removes these and nothing else.
RUN_FILES = (
    RECORDS_FILE,
    RECORDS_FILE + ".tmp",
    "records.rejected.jsonl",
    MANIFEST_FILE,
    "summary.csv",
    "summary.parquet",
    "summary.md",
    "code_summary.csv",
    "code_summary.md",
    "compare.csv",
    "compare.md",
    CACHE_FILE,  # the default cache; one passed elsewhere with --cache is the user's to keep
    CACHE_FILE + "-wal",
    CACHE_FILE + "-shm",
    CACHE_FILE + "-journal",
)
RUN_PLOTS = ("sweep", "offload_accuracy", "offload_latency")  # each as .png and .svg
SITE_FOLDER = "site"  # `harness report DIR` builds the run's site here (harness/report/site/)
SITE_MARK = ("assets", "viewer.js")  # a site folder holding this file is the harness's to remove
_LOCKS: dict[Path, int] = {}  # output folder -> the open, locked descriptor of its lock file


def prepare_output(out: Path, cfg: RunConfig, overwrite: bool, manifest: Manifest | None = None) -> set[tuple]:
    """The keys already finished in `out` (empty for a new run). Failed records are dropped to be retried.

    `manifest` is the new run's: a resume refuses other data or model fingerprints than the old manifest's, and
    carries the old token, call and time counts into it (they accumulate over resumes). The folder stays locked
    against a second writer until release_output.
    """
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output path {out} is a file; choose a folder for --output-path")
    if out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()):
        old_path = out / MANIFEST_FILE
        if not old_path.is_file():
            raise OutputExistsError(
                f"output path {out} is not empty and holds no harness run (no {MANIFEST_FILE}); "
                f"choose another --output-path (--overwrite only replaces a harness run)"
            )
        _lock(out)
        old = read_manifest(old_path)
        if overwrite:
            _clear(out)
            return set()
        check_same_run(out, old, cfg)
        if manifest is not None:
            check_fingerprints(out, old, manifest)
            carry_counts(old, manifest)
        return _resume(out)
    _mkdir(out)
    _lock(out)
    return set()


def check_same_run(out: Path, old: Manifest, cfg: RunConfig, hint: str = "") -> None:
    """A folder is resumed only by the run its manifest recorded: the same config (a field added to RunConfig since,
    at its default, counts as the same)."""
    if _config_of(old) != cfg.model_dump(mode="json"):
        changed = sorted(k for k, v in old.settings().items() if cfg_settings(cfg).get(k, v) != v)
        raise OutputExistsError(
            f"output path {out} holds a different run (its manifest.json config differs"
            + (f": {', '.join(changed)}" if changed else "")
            + f"); {hint or 'choose another --output-path or pass --overwrite to replace it'}"
        )


def _config_of(old: Manifest) -> dict | None:
    try:
        return RunConfig.model_validate(old.config).model_dump(mode="json")
    except (ValueError, KeyError):  # not a config of this harness
        return None


def cfg_settings(cfg: RunConfig) -> dict:
    """A config as 'group.option' -> value, as Manifest.settings names them."""
    return Manifest(config=cfg.model_dump(mode="json")).settings()


def run_finished(out: Path, cfg: RunConfig, hint: str = "") -> bool:
    """Whether `out` holds this run, finished (or merged from finished shards), with no sample a resume would redo;
    a folder holding a different run is refused as a resume refuses it."""
    if not (out / MANIFEST_FILE).is_file():
        return False
    old = read_manifest(out / MANIFEST_FILE)
    check_same_run(out, old, cfg, hint)
    if old.finished is None and old.merged is None:
        return False
    done = read_records(out / RECORDS_FILE) if (out / RECORDS_FILE).is_file() else []
    return bool(done) and not any(_again(r) for r in done)


def _resume(out: Path) -> set[tuple]:
    done = read_records(out / RECORDS_FILE, repair=True) if (out / RECORDS_FILE).exists() else []
    again = [r for r in done if _again(r)]
    if again:  # retried now; dropped first so that every key stays in the file once
        write_records(out / RECORDS_FILE, [r for r in done if not _again(r)])
        print(
            f"retrying {len(again)} failed or ungraded (grading_timeout) sample(s) from the earlier run",
            file=sys.stderr,
        )
    return {r.key() for r in done if not _again(r)}


def _again(record) -> bool:
    """A record that a resume makes again: a failed sample, or one whose grading ran out of time (its calls come
    back from the cache, so only the grading is redone)."""
    return record.status == "failed" or record.verdict_reason == "grading_timeout"


def fingerprint_changes(old: Manifest, new: Manifest) -> list[str]:
    """The inputs whose checksums differ between two manifests: each task's data file, the model's weights."""
    changed = [
        f"task {t} data ({old.data[t].get('location')} -> {d.get('location')})"
        for t, d in (new.data or {}).items()
        if t in (old.data or {}) and old.data[t].get("sha256") != d.get("sha256")
    ]
    if old.model.get("sha256") != new.model.get("sha256") and old.model and new.model:
        changed.append(f"model weights ({old.model.get('path')} -> {new.model.get('path')})")
    return changed


def check_fingerprints(out: Path, old: Manifest, new: Manifest) -> None:
    """A resume must read the same data rows and weights the records were made from."""
    changed = fingerprint_changes(old, new)
    if changed:
        raise OutputExistsError(
            f"output path {out} was run on other inputs: {'; '.join(changed)}; resuming would mix records of "
            f"both; pass the earlier --data-dir/model, choose another --output-path, or pass --overwrite"
        )


def carry_counts(old: Manifest, new: Manifest) -> None:
    """The counts of the earlier sessions: this session's are added to them."""
    new.generated_tokens, new.engine_calls = old.generated_tokens or 0, old.engine_calls or 0
    new.engine_generation_s, new.sweep_wall_s = old.engine_generation_s or 0.0, old.sweep_wall_s or 0.0
    new.usage = old.usage


def _mkdir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / LOCK_FILE).touch()
    except OSError as e:
        raise OutputExistsError(
            f"cannot write output path {out} ({e.strerror}); choose a writable folder for --output-path"
        ) from None


def _clear(out: Path) -> None:
    """The files the old run wrote go; anything else (a user's notes, another run in a subfolder) stays, and so
    does the lock file, held by this process."""
    names = set(RUN_FILES) | {f"{p}.{ext}" for p in RUN_PLOTS for ext in ("png", "svg")}
    for name in sorted(names):
        p = out / name
        if p.is_file() or p.is_symlink():
            p.unlink()
    site = out / SITE_FOLDER
    if site.joinpath(*SITE_MARK).is_file() and not site.is_symlink():
        shutil.rmtree(site)


def _lock(out: Path, hint: str = "choose another --output-path") -> None:
    key = out.resolve()
    try:
        fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputExistsError(f"cannot write to {out} ({e.strerror}); choose a writable folder") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # per open file: a second run in this process is refused too
    except BlockingIOError:
        os.close(fd)
        raise OutputExistsError(
            f"another harness process is writing to {out}; wait for it to finish or {hint}"
        ) from None
    _LOCKS[key] = fd


@contextlib.contextmanager
def locked(folder: str | Path, hint: str = "choose another --output-path"):
    """Hold `folder`'s output lock (the one a run holds while it writes) for a command that rewrites the folder;
    another holder is refused with a one-line error ending in `hint`."""
    folder = Path(folder)
    _lock(folder, hint)
    try:
        yield folder
    finally:
        release_output(folder)


def release_output(out: Path) -> None:
    fd = _LOCKS.pop(Path(out).resolve(), None)
    if fd is not None:
        os.close(fd)
