"""Dataset rows: read `<data_dir>/<folder>/test.jsonl`, or the hub with `datasets` when no data dir is set."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import DataNotFoundError

DATA_ENV = "HARNESS_DATA_DIR"


@dataclass(frozen=True)
class DataSource:
    """Where rows came from, for the manifest: a local file with its SHA-256, or a hub id."""

    location: str
    sha256: str | None
    rows: int


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    value = data_dir if data_dir is not None else os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSONL data file: each line one JSON object; an empty file is refused."""
    rows = []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
                if not line.strip():
                    continue
                row = json.loads(line)
            except UnicodeDecodeError as e:
                raise DataNotFoundError(
                    f"{path}:{lineno} is not UTF-8 text (byte {e.start}); replace the file with an unmodified copy"
                ) from None
            except json.JSONDecodeError as e:
                raise DataNotFoundError(
                    f"{path}:{lineno} is not valid JSON ({e.msg}); replace the file with an unmodified copy"
                ) from None
            if not isinstance(row, dict):
                raise DataNotFoundError(
                    f"{path}:{lineno} is a JSON {type(row).__name__}, not an object (one row per line); "
                    f"replace the file with an unmodified copy"
                )
            rows.append(row)
    if not rows:
        raise DataNotFoundError(f"{path} holds no rows; replace the file with an unmodified copy")
    return rows


def load_rows(
    task: str, folder: str, hub: dict | None, data_dir: str | os.PathLike | None, release: str | None = None
) -> tuple[list[dict], DataSource]:
    """Rows of one task's test set, with where they came from."""
    root = resolve_data_dir(data_dir)
    if root is not None:
        path = root / folder / "test.jsonl"
        if not path.is_file():
            raise DataNotFoundError(
                f"task {task!r}: no data file at {path}; point --data-dir (or ${DATA_ENV}) at a folder holding "
                f"{folder}/test.jsonl"
            )
        rows = read_jsonl(path)
        return rows, DataSource(str(path), sha256_file(path), len(rows))
    if not hub:
        raise DataNotFoundError(
            f"task {task!r} has no public hub id; pass --data-dir (or set ${DATA_ENV}) to a folder holding "
            f"{folder}/test.jsonl"
        )
    return _load_hub(task, folder, hub, release)


def _load_hub(task: str, folder: str, hub: dict, release: str | None = None) -> tuple[list[dict], DataSource]:
    import datasets

    try:
        extra = {k: v for k, v in hub.items() if k not in ("path", "name", "split", "rename")}
        if "version_tag" in extra and release:
            extra["version_tag"] = release  # `harness run --release release_v5`
        ds = datasets.load_dataset(hub["path"], hub.get("name"), split=hub.get("split", "test"), **extra)
    except Exception as e:  # network, auth, or a renamed dataset
        raise DataNotFoundError(
            f"task {task!r}: could not load {hub['path']} from the hub ({type(e).__name__}); "
            f"pass --data-dir (or set ${DATA_ENV}) to a folder holding {folder}/test.jsonl"
        ) from None
    rename = hub.get("rename") or {}
    rows = [{rename.get(k, k): v for k, v in row.items()} for row in ds]
    fingerprint = getattr(ds, "_fingerprint", None)
    location = f"hub:{hub['path']}" + (f"/{hub['name']}" if hub.get("name") else "") + f":{hub.get('split', 'test')}"
    return rows, DataSource(location, fingerprint, len(rows))
