"""The folders the sandboxed interpreter needs, and a path helper the mechanisms share."""

from __future__ import annotations

import functools
import json
import os
import subprocess


@functools.lru_cache(maxsize=8)
def _runtime(python: str) -> list[str]:
    """The folders the interpreter needs: its prefixes and the folder of its real executable."""
    out = subprocess.run(
        [
            python,
            "-I",
            "-S",
            "-c",
            "import sys, os, json; print(json.dumps([sys.prefix, sys.base_prefix, "
            "sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]))",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    dirs = {os.path.realpath(p) for p in json.loads(out)} | set(json.loads(out))
    dirs |= {os.path.realpath(os.path.dirname(python)), os.path.dirname(os.path.abspath(python))}
    return sorted(d for d in dirs if d and os.path.isdir(d))


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)
