"""The `namespaces` mechanism (where bwrap is absent): the unshare command, the shell prelude run inside the new
namespaces, and the host paths it covers."""

from __future__ import annotations

import os
from pathlib import Path

from .runtime import _under

NS = [
    "unshare",
    "--user",
    "--map-root-user",
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount",
    "--mount-proc",
    "--ipc",
    "--uts",
]
# Inside the namespaces: a rw bind of the working directory, every other mount read-only, private tmpfs dirs,
# the hidden paths ($HIDE_DIRS, $HIDE_FILES: newline-separated) covered, then the program without any capability.
PRELUDE = r"""
mount --bind "$PWD" "$PWD" && cd "$PWD" || exit 97
awk '{print $5}' /proc/self/mountinfo | while read -r m; do
  [ "$m" = "$PWD" ] || mount -o remount,bind,ro "$m" 2>/dev/null; done
touch /harness-ro-check 2>/dev/null && exit 97
for d in $PRIVATE; do [ -d "$d" ] && { mount -t tmpfs -o size=16m,mode=1777 tmpfs "$d" || exit 97; }; done
printf '%s\n' "$HIDE_DIRS" | while IFS= read -r d; do
  [ -z "$d" ] || mount -t tmpfs -o size=4k,mode=0555,ro tmpfs "$d" || exit 97; done || exit 97
printf '%s\n' "$HIDE_FILES" | while IFS= read -r f; do
  [ -z "$f" ] || mount --bind /dev/null "$f" || exit 97; done || exit 97
unset HIDE_DIRS HIDE_FILES PRIVATE
exec setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"
"""
# The folders the prelude covers with a private tmpfs ($PRIVATE): whatever lies under them (a checkout, a data folder
# or a work folder under /tmp) is hidden by that cover, and is no mount point any more once it is in place.
PRIVATE = ("/tmp", "/var/tmp", "/dev/shm")


def _in_private(python: str) -> bool:
    """Whether an interpreter (as invoked, or its real file) lies under a folder the prelude covers."""
    paths = {os.path.abspath(python), os.path.realpath(python)}
    return any(_under(p, os.path.realpath(d)) for p in paths for d in PRIVATE)


# What the `namespaces` mechanism leaves visible at the top (read-only); every other top-level entry is covered.
VISIBLE_TOP = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "proc", "dev", "tmp"}


def _checkout() -> Path | None:
    """The project checkout this module runs from (None when installed as a package)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").exists() or (root / ".git").exists() else None


def hidden_paths() -> list[str]:
    """What the `namespaces` mechanism covers: every top-level entry but the system's runtime (/usr, /etc, ...), and
    wherever they are, the checkout, the data folders (../shared next to the checkout, $HARNESS_DATA_DIR), the home
    folders and $HARNESS_SANDBOX_HIDE (os.pathsep-separated)."""
    paths = [os.path.join("/", e) for e in sorted(os.listdir("/")) if e not in VISIBLE_TOP]
    paths += [os.path.expanduser("~"), "/root", "/home"]
    root = _checkout()
    if root is not None:
        paths += [str(root), str(root.parent / "shared")]
    for var in ("HARNESS_DATA_DIR", "HARNESS_SANDBOX_HIDE"):
        paths += [p for p in os.environ.get(var, "").split(os.pathsep) if p]
    return [os.path.realpath(p) for p in paths if os.path.exists(p)]


def _hidden(keep: list[str]) -> tuple[list[str], list[str]]:
    """The folders (covered by an empty tmpfs) and files (covered by /dev/null) that hide `hidden_paths()` but for
    `keep` (the runtime, the working directory) and the folders leading to it."""
    keep = [os.path.realpath(k) for k in keep]
    dirs, files = [], []

    def cover(path: str) -> None:
        if any(_under(path, k) for k in keep) or path in dirs or path in files:
            return
        if any(_under(k, path) for k in keep):  # a folder leading to something kept: cover its other entries
            try:
                entries = sorted(os.listdir(path))
            except OSError:
                return
            for e in entries:
                cover(os.path.join(path, e))
        elif os.path.isdir(path) and not os.path.islink(path):
            dirs.append(path)
        elif os.path.isfile(path) and not os.path.islink(path):
            files.append(path)

    for p in hidden_paths():
        cover(p)
    dirs.sort(key=len)  # a folder is covered before anything under it (which the cover then hides anyway)
    private = [os.path.realpath(d) for d in PRIVATE]
    dirs = [
        d for d in dirs if not any(_under(d, o) for o in private) and not any(_under(d, o) and d != o for o in dirs)
    ]
    files = [f for f in files if not any(_under(f, o) for o in dirs + private)]
    return dirs, files
