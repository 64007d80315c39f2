"""Shards of one run (`harness run --shard i/N` on several machines or GPUs) merged into one run folder.

Samples are assigned to shards by a stable hash of (task, sample id), so any machine computes the same split.
Merging refuses shards whose configs differ (other than the shard itself), shards run on other data files or model
weights (their checksums, as a resume checks them), a shard given twice, missing shards (unless allowed), and a
record key found in two shards. The merged folder is locked against other writers while it is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from harness.errors import BadArgumentError
from harness.manifest import MANIFEST_FILE, now, read_manifest, write_manifest
from harness.records import RECORDS_FILE, RecordWriter, read_records
from harness.run.output import LOCK_FILE, fingerprint_changes, locked


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    i, sep, n = text.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 0 <= int(i) < int(n)):
        raise BadArgumentError(f"--shard {text!r}: write I/N with 0 <= I < N, e.g. 0/4")
    return int(i), int(n)


def in_shard(task: str, sample_id: str, shard: tuple[int, int] | None) -> bool:
    if shard is None:
        return True
    digest = hashlib.sha256(f"{task}\0{sample_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % shard[1] == shard[0]


def merge(shard_dirs: list[str], out: str | Path, *, allow_partial: bool = False) -> Path:
    out = Path(out)
    _check_empty(out)
    manifests = []
    for d in shard_dirs:
        m = Path(d) / MANIFEST_FILE
        if not m.is_file():
            raise BadArgumentError(
                f"{d} holds no harness run (no {MANIFEST_FILE}); pass the --output-path of each shard"
            )
        manifests.append(read_manifest(m))
        if manifests[-1].finished is None:
            raise BadArgumentError(
                f"{d} is a shard that did not finish (its manifest has no finish time: killed or still running); "
                f"rerun its `harness run --shard ...` command to complete it, then merge"
            )
    configs = [{k: v for k, v in m.settings().items() if k != "selection.shard"} for m in manifests]
    for d, c in zip(shard_dirs[1:], configs[1:]):
        diff = sorted(k for k in set(c) | set(configs[0]) if c.get(k) != configs[0].get(k))
        if diff:
            raise BadArgumentError(
                f"{d} was run with a different config than {shard_dirs[0]} ({', '.join(diff)}); "
                f"only shards of one run can be merged"
            )
    for d, m in zip(shard_dirs[1:], manifests[1:]):
        changed = fingerprint_changes(manifests[0], m)
        if changed:
            raise BadArgumentError(
                f"{d} was run on other inputs than {shard_dirs[0]} ({'; '.join(changed)}); only shards of one "
                f"run on the same data and model can be merged: rerun the odd shard on the others' inputs"
            )
    shards = [parse_shard(_shard(m)) for m in manifests]
    if None in shards:
        raise BadArgumentError("every folder must be a shard (run with --shard I/N)")
    total = {n for _, n in shards}
    seen = [i for i, _ in shards]
    if len(total) != 1 or len(set(seen)) != len(seen):
        raise BadArgumentError(f"shards {sorted(seen)} of {sorted(total)}: each shard of one split must be given once")
    missing = sorted(set(range(total.pop())) - set(seen))
    if missing and not allow_partial:
        raise BadArgumentError(
            f"shards {missing} are missing; add them, or pass --allow-partial to merge what is there"
        )
    out.mkdir(parents=True, exist_ok=True)
    with locked(out, hint="choose a new folder for the merged run"):
        _check_empty(out)  # again, now that no other process can write there
        _write(shard_dirs, manifests, missing, out)
    return out


def _check_empty(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BadArgumentError(f"output path {out} is a file; choose a new folder for the merged run")
    if out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()):
        raise BadArgumentError(f"output path {out} is not empty; choose a new folder for the merged run")


def _write(shard_dirs: list[str], manifests: list, missing: list[int], out: Path) -> None:
    keys = set()
    with RecordWriter(out / RECORDS_FILE) as writer:
        for d in shard_dirs:
            for r in read_records(Path(d) / RECORDS_FILE):
                if r.key() in keys:
                    raise BadArgumentError(f"record {r.key()} is in two shards; the shards overlap")
                keys.add(r.key())
                writer.write(r)
    merged = manifests[0].model_copy(
        update={
            "config": {**manifests[0].config, "selection": {**manifests[0].config["selection"], "shard": None}},
            "merged": now(),
            "missing_shards": missing,
            **_counts(manifests),
            "shards": [
                {
                    "path": str(Path(d).resolve()),
                    "shard": _shard(m),
                    "started": m.started,
                    "finished": m.finished,
                    "model": m.model,
                    "environment": m.environment,
                }
                for d, m in zip(shard_dirs, manifests)
            ],
        }
    )
    write_manifest(out / MANIFEST_FILE, merged)


def _counts(manifests: list) -> dict:
    """What the shards' engines did, added up (tokens, calls, engine time, usage): the merged run's cost."""
    usage: dict[str, int] = {}
    for m in manifests:
        for k, v in (m.usage or {}).items():
            usage[k] = usage.get(k, 0) + v
    return {
        "generated_tokens": sum(m.generated_tokens or 0 for m in manifests),
        "engine_calls": sum(m.engine_calls or 0 for m in manifests),
        "engine_generation_s": round(sum(m.engine_generation_s or 0.0 for m in manifests), 3),
        "usage": usage or None,
    }


def _shard(m) -> str | None:
    return m.config.get("selection", {}).get("shard")
