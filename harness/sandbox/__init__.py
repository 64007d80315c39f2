"""Run untrusted Python in a separate, confined process. The security boundary of this project.

Each `execute` call gets a fresh empty working directory (removed afterwards), a minimal environment, rlimits
(CPU time, address space, file size, open files, processes, no core dumps), a wall-time limit and capped
stdout/stderr. The confinement is the first of these mechanisms that works here (detected once by a probe, recorded
in run manifests under `code.sandbox`):

- `bubblewrap` (`bwrap`, the sandbox Flatpak uses): new user, PID, network, IPC, UTS, cgroup and mount namespaces
  (`--unshare-all`), every capability dropped, a new session (no terminal injection), a non-root id inside (65534,
  so mount/umount/remount fail), no further user namespaces, and a root file system built from nothing: only the
  Python runtime (`/usr`, the interpreter's prefixes) read-only, a private `/tmp` tmpfs, a fresh `/proc` and
  `/dev`, and the working directory read-write. No data set, run folder, project checkout or home folder exists
  inside. The PID namespace ends with the program: every process it started dies, whatever it did to detach.
- `namespaces` (where bwrap is absent): `unshare` user/net/PID/mount/IPC/UTS namespaces; every mount remounted
  read-only but the working directory, private tmpfs on /tmp, /var/tmp and /dev/shm, tmpfs (or /dev/null) over the
  project checkout, the data folders, the home folders and $HARNESS_SANDBOX_HIDE; then the program runs with no
  capability left (empty bounding and inheritable sets, no-new-privs), so it cannot unmount or remount anything.
- `audit-hook` (where user namespaces are not allowed): an audit hook installed before the program runs refuses
  sockets, subprocesses and writes outside the working directory (a weaker boundary: it blocks Python-level
  calls, not native code), with a warning. The mechanism is never `none`.

When the harness runs as root, the program (and bwrap or unshare) runs as an unprivileged user id outside (one per
worker process), so the process-count limit applies and nothing the real root owns is writable.

Layout: `bwrap` (the bubblewrap command line and its seccomp filter), `namespaces` (the unshare fallback and the
paths it hides), `process` (rlimits, wall time, capped output and the verdict), `runtime` (the interpreter's
folders); this module picks the mechanism and runs a program with it. Every name is importable from here.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Re-exported: the names the old single module had. Code here reads them from this module; a submodule reads its
# own, so patch a name where it is used (e.g. `harness.sandbox.process.seccomp_filter` for `_run`).
from .bwrap import BWRAP_ETC, DENIED, NEW_MOUNT_API, SANDBOX_ID, SYSCALLS, _bwrap, _bwrap_help, seccomp_filter
from .namespaces import NS, PRELUDE, PRIVATE, VISIBLE_TOP, _checkout, _hidden, _in_private, hidden_paths
from .process import (
    BLOCKED_MARKS,
    ExecResult,
    Limits,
    Status,
    _limits,
    _processes_of,
    _read_all,
    _run,
    _verdict,
    _wait4,
)
from .runtime import _runtime, _under

__all__ = [
    "AUDIT_HOOK",
    "BLOCKED_MARKS",
    "BOOT",
    "BWRAP_ETC",
    "DENIED",
    "NEW_MOUNT_API",
    "NS",
    "PRELUDE",
    "PRIVATE",
    "PROBE",
    "SANDBOX_ID",
    "SYSCALLS",
    "VISIBLE_TOP",
    "ExecResult",
    "Limits",
    "Status",
    "_bwrap",
    "_bwrap_help",
    "_checkout",
    "_hidden",
    "_in_private",
    "_limits",
    "_processes_of",
    "_read_all",
    "_run",
    "_runtime",
    "_sandbox_uid",
    "_under",
    "_verdict",
    "_wait4",
    "_world_executable",
    "execute",
    "execute_with",
    "hidden_paths",
    "interpreter",
    "mechanism",
    "seccomp_filter",
]

AUDIT_HOOK = r"""
import os, sys
_root = os.getcwd()
def _hook(event, args):
    if event in ("socket.connect", "socket.bind", "socket.getaddrinfo", "subprocess.Popen", "os.system", "os.exec",
                 "os.posix_spawn", "os.fork", "os.kill", "os.killpg", "shutil.rmtree"):
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "open" and args[1] is not None and any(c in str(args[1]) for c in "wax+"):
        path = os.path.abspath(str(args[0]))
        if not path.startswith(_root + os.sep):
            raise PermissionError(f"sandbox: writing {path} is not allowed")
    if event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir") and not os.path.abspath(str(args[0])).startswith(_root + os.sep):
        raise PermissionError(f"sandbox: {event} outside the working directory is not allowed")
sys.addaudithook(_hook)
del _hook
exec(compile(open("main.py").read(), "main.py", "exec"), {"__name__": "__main__"})
"""
# Run main.py by a relative path: its absolute path is hidden under the private /tmp.
BOOT = "import sys; sys.argv = ['main.py']; exec(compile(open('main.py').read(), 'main.py', 'exec'), {'__name__': '__main__'})"


def _sandbox_uid() -> int | None:
    """Root runs programs as an unprivileged id, one per worker process (so their process counts are apart)."""
    return 200000 + os.getpid() % 50000 if os.geteuid() == 0 else None


def interpreter() -> str:
    """The Python that runs programs: $HARNESS_SANDBOX_PYTHON, else ours, else (when ours is not readable by the
    unprivileged id, e.g. under /root, or lies in a folder the sandbox replaces with its own, e.g. a venv under
    /tmp) the system's python3."""
    if os.environ.get("HARNESS_SANDBOX_PYTHON"):
        return os.environ["HARNESS_SANDBOX_PYTHON"]
    if (_sandbox_uid() is None or _world_executable(sys.executable)) and not _in_private(sys.executable):
        return sys.executable
    return shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable


def _world_executable(path: str) -> bool:
    real = os.path.realpath(path)
    parts = real.split(os.sep)
    dirs = [os.sep.join(parts[:i]) or os.sep for i in range(1, len(parts))]
    return all(os.stat(d).st_mode & 0o001 for d in dirs) and bool(os.stat(real).st_mode & 0o001)


PROBE = """import os, socket
try:
    socket.create_connection(('127.0.0.1', 9), 1)
except OSError as e:
    print(e.errno)
print(os.path.exists(%r))
"""


@functools.lru_cache(maxsize=1)
def mechanism() -> str:
    """`bubblewrap`, else `namespaces`, whichever first runs a probe program confined as `execute` would run it (no
    network, this file invisible), else `audit-hook` (with a warning)."""
    whys = []
    for mech, errnos in (("bubblewrap", ("101", "111")), ("namespaces", ("101",))):
        if mech == "bubblewrap" and not shutil.which("bwrap"):
            whys.append("bubblewrap: bwrap is not installed")
            continue
        try:
            probe = execute_with(mech, PROBE % str(Path(__file__).resolve()), limits=Limits(timeout_s=10))
            lines = probe.stdout.split()
            if probe.status == "ok" and len(lines) == 2 and lines[0] in errnos and lines[1] == "False":
                return mech
            why = f"{probe.status}: {probe.detail or probe.stdout.strip() or probe.stderr.strip()[-200:]}"
        except (OSError, RuntimeError) as e:
            why = str(e)
        whys.append(f"{mech}: {why}")
    import warnings

    warnings.warn(f"sandbox: no namespaces here ({'; '.join(whys)}); falling back to the audit-hook block (weaker)")
    return "audit-hook"


def execute(code: str, *, stdin: str = "", timeout_s: float = 6.0, memory_mb: int = 1024, **limits) -> ExecResult:
    """Run `code` as a Python program with `stdin`, confined; see the module docstring."""
    return execute_with(mechanism(), code, stdin, Limits(timeout_s=timeout_s, memory_mb=memory_mb, **limits))


def execute_with(mech: str, code: str, stdin: str = "", limits: Limits = Limits()) -> ExecResult:
    work = tempfile.mkdtemp(prefix="harness-sbx-")
    uid = _sandbox_uid()
    try:
        with open(os.path.join(work, "main.py"), "w", encoding="utf-8") as f:
            f.write(code)
        if uid is not None:
            os.chown(work, uid, uid)
            os.chown(os.path.join(work, "main.py"), uid, uid)
        python = [interpreter(), "-I", "-B"]
        env = {}
        if mech == "bubblewrap":
            cmd = _bwrap(work, python[0]) + python + ["-c", BOOT]
        elif mech == "namespaces":
            cmd = NS + ["sh", "-c", PRELUDE, "sh"] + python + ["-c", BOOT]
            if _in_private(python[0]):
                raise RuntimeError(
                    f"sandbox: the interpreter {python[0]} lies under {', '.join(PRIVATE)}, which the namespaces "
                    "mechanism replaces with an empty tmpfs; set HARNESS_SANDBOX_PYTHON to a Python outside them"
                )
            dirs, files = _hidden(_runtime(python[0]) + [work])
            env = {"HIDE_DIRS": "\n".join(dirs), "HIDE_FILES": "\n".join(files), "PRIVATE": " ".join(PRIVATE)}
        else:
            cmd = python + ["-c", AUDIT_HOOK]
        return _run(cmd, work, uid, stdin, limits, mech, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
