"""Run untrusted Python in a separate, confined process. The security boundary of this project.

Each `execute` call gets a fresh empty working directory (removed afterwards), a minimal environment, rlimits
(CPU time, address space, file size, open files, processes, no core dumps), a wall-time limit, capped
stdout/stderr, and, with the `namespaces` mechanism (detected once, recorded in run manifests):

- user + network namespaces: no network at all (only a loopback that is down);
- a PID namespace with /proc remounted: the program sees only its own processes, and every process it
  started dies when it ends or is killed, whatever it did to detach (setsid, double fork);
- a mount namespace in which every mount is read-only except the working directory, and /tmp, /var/tmp and
  /dev/shm are private empty tmpfs: nothing outside the working directory can change;
- when the harness runs as root, the program runs as an unprivileged user id (one per worker process), so
  the process-count limit applies and nothing the real root owns is writable.

Where user namespaces are not allowed, the fallback mechanism is `audit-hook`: an audit hook installed before
the program runs refuses sockets, subprocesses and writes outside the working directory (a weaker boundary:
it blocks Python-level calls, not native code). The mechanism is never `none`.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "runtime_error", "time_limit", "memory_limit", "output_limit", "blocked"]
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
# Inside the namespaces: a rw bind of the working directory, every other mount read-only, private tmpfs dirs.
PRELUDE = r"""
mount --bind "$PWD" "$PWD" && cd "$PWD" || exit 97
awk '{print $5}' /proc/self/mountinfo | while read -r m; do
  [ "$m" = "$PWD" ] || mount -o remount,bind,ro "$m" 2>/dev/null; done
touch /harness-ro-check 2>/dev/null && exit 97
for d in /tmp /var/tmp /dev/shm; do [ -d "$d" ] && { mount -t tmpfs -o size=16m,mode=1777 tmpfs "$d" || exit 97; }; done
exec "$@"
"""
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
BLOCKED_MARKS = (
    "Read-only file system",
    "Network is unreachable",
    "PermissionError",
    "Operation not permitted",
    "BlockingIOError",
    "Resource temporarily unavailable",
    "sandbox:",
)


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 6.0
    memory_mb: int = 1024
    output_bytes: int = 4 << 20
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 64


@dataclass(frozen=True)
class ExecResult:
    status: Status
    stdout: str
    stderr: str
    exit_code: int | None  # negative: killed by that signal
    wall_s: float
    cpu_s: float
    detail: str = ""  # the exception's last line, or what limit was hit


def _sandbox_uid() -> int | None:
    """Root runs programs as an unprivileged id, one per worker process (so their process counts are apart)."""
    return 200000 + os.getpid() % 50000 if os.geteuid() == 0 else None


def interpreter() -> str:
    """The Python that runs programs: $HARNESS_SANDBOX_PYTHON, else ours, else (when ours is not readable by the
    unprivileged id, e.g. under /root) the system's python3."""
    if os.environ.get("HARNESS_SANDBOX_PYTHON"):
        return os.environ["HARNESS_SANDBOX_PYTHON"]
    if _sandbox_uid() is None or _world_executable(sys.executable):
        return sys.executable
    return shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable


def _world_executable(path: str) -> bool:
    real = os.path.realpath(path)
    parts = real.split(os.sep)
    dirs = [os.sep.join(parts[:i]) or os.sep for i in range(1, len(parts))]
    return all(os.stat(d).st_mode & 0o001 for d in dirs) and bool(os.stat(real).st_mode & 0o001)


@functools.lru_cache(maxsize=1)
def mechanism() -> str:
    """`namespaces` if a probe program runs confined as `execute` would run it, else `audit-hook` (with a warning)."""
    try:
        probe = execute_with(
            "namespaces",
            "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), 1)\n"
            "except OSError as e:\n    print(e.errno)\n",
            limits=Limits(timeout_s=10),
        )
        if probe.status == "ok" and probe.stdout.strip() == "101":  # ENETUNREACH: no network in the namespace
            return "namespaces"
        why = f"{probe.status}: {probe.detail or probe.stdout.strip() or probe.stderr.strip()[-200:]}"
    except (OSError, RuntimeError) as e:
        why = str(e)
    import warnings

    warnings.warn(f"sandbox: namespaces unavailable ({why}); falling back to the audit-hook block (weaker)")
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
        if mech == "namespaces":
            cmd = NS + ["sh", "-c", PRELUDE, "sh"] + python + ["-c", BOOT]
        else:
            cmd = python + ["-c", AUDIT_HOOK]
        return _run(cmd, work, uid, stdin, limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _limits(lim: Limits, uid: int | None):
    # RLIMIT_NPROC counts every process of the real user id. Root runs programs as their own id; another user's
    # own processes count too, so allow those already running plus the limit.
    nproc = lim.processes if uid is not None else lim.processes + _processes_of(os.getuid())

    def apply():
        cpu = int(lim.timeout_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_mb << 20, lim.memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.file_size_mb << 20, lim.file_size_mb << 20))
        resource.setrlimit(resource.RLIMIT_NOFILE, (lim.open_files, lim.open_files))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _processes_of(uid: int) -> int:
    count = 0
    for p in os.listdir("/proc"):
        try:
            count += p.isdigit() and os.stat(f"/proc/{p}").st_uid == uid
        except OSError:
            pass
    return count


def _run(cmd: list[str], work: str, uid: int | None, stdin: str, lim: Limits) -> ExecResult:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": work, "PYTHONIOENCODING": "utf-8"}
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=work,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_limits(lim, uid),
        **ids,
    )
    out, err, over = bytearray(), bytearray(), threading.Event()

    def kill():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def read(stream, buf):
        while chunk := stream.read(65536):
            if len(buf) + len(chunk) > lim.output_bytes:
                buf += chunk[: lim.output_bytes - len(buf)]
                over.set()
                kill()
                break
            buf += chunk
        stream.close()

    def feed():
        try:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    threads = [
        threading.Thread(target=read, args=(proc.stdout, out), daemon=True),
        threading.Thread(target=read, args=(proc.stderr, err), daemon=True),
        threading.Thread(target=feed, daemon=True),
    ]
    for t in threads:
        t.start()
    timed_out = False
    try:
        _, status, usage = _wait4(proc.pid, lim.timeout_s + 1.0)  # +1 s for namespace set-up
    except TimeoutError:
        timed_out = True
        kill()
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=2)
    wall, cpu = time.perf_counter() - t0, usage.ru_utime + usage.ru_stime
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    code = proc.returncode
    last = next((line for line in reversed(stderr.strip().splitlines()) if line.strip()), "")
    if code == 97 and not stdout:
        raise RuntimeError(f"sandbox set-up failed inside the namespaces: {stderr.strip()[-300:]}")
    if over.is_set():
        verdict, detail = "output_limit", f"more than {lim.output_bytes} bytes of output"
    elif timed_out or code == -signal.SIGXCPU or cpu >= lim.timeout_s:
        verdict, detail = "time_limit", f"over {lim.timeout_s:g} s"
    elif code == -signal.SIGXFSZ or "File too large" in last:
        verdict, detail = "output_limit", f"a file over {lim.file_size_mb} MB"
    elif "MemoryError" in last or code in (-signal.SIGSEGV, -signal.SIGABRT) and "Error" not in last:
        verdict, detail = "memory_limit", last or f"killed by signal {-code}"
    elif code == 0:
        verdict, detail = "ok", ""
    elif any(m in last for m in BLOCKED_MARKS):
        verdict, detail = "blocked", last
    else:
        verdict, detail = "runtime_error", last or f"exit code {code}"
    return ExecResult(verdict, stdout, stderr, code, wall, cpu, detail)


def _wait4(pid: int, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            return wpid, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.005)
