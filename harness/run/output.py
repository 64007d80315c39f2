"""The output folder: refuse one holding a different run, resume the same run, replace it on --overwrite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from harness.run.config import RunConfig
from harness.errors import OutputExistsError
from harness.manifest import MANIFEST_FILE, read_manifest
from harness.records import RECORDS_FILE, read_records


def prepare_output(out: Path, cfg: RunConfig, overwrite: bool) -> set[tuple]:
    """The keys already finished in `out` (empty for a new run). Failed records are dropped to be retried."""
    if out.exists() and any(out.iterdir()):
        manifest = out / MANIFEST_FILE
        if overwrite:
            shutil.rmtree(out)
        elif not manifest.is_file():
            raise OutputExistsError(
                f"output path {out} is not empty and holds no harness run; choose another "
                f"--output-path or pass --overwrite"
            )
        elif read_manifest(manifest).config != cfg.model_dump(mode="json"):
            raise OutputExistsError(
                f"output path {out} holds a different run (its manifest.json config differs); "
                f"choose another --output-path or pass --overwrite to replace it"
            )
        else:
            done = read_records(out / RECORDS_FILE, repair=True) if (out / RECORDS_FILE).exists() else []
            failed = [r for r in done if r.status == "failed"]
            if failed:  # retried now; dropped first so that every key stays in the file once
                tmp = out / (RECORDS_FILE + ".tmp")
                tmp.write_text(
                    "".join(r.model_dump_json() + "\n" for r in done if r.status != "failed"), encoding="utf-8"
                )
                tmp.replace(out / RECORDS_FILE)
                print(f"retrying {len(failed)} failed sample(s) from the earlier run", file=sys.stderr)
            return {r.key() for r in done if r.status != "failed"}
    out.mkdir(parents=True, exist_ok=True)
    return set()
