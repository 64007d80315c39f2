"""Running one confined command line: rlimits, an unprivileged id, a wall-time limit, capped stdout/stderr, bwrap's
info and seccomp pipes, and the verdict from how the program ended."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Literal

from .bwrap import seccomp_filter

Status = Literal["ok", "runtime_error", "time_limit", "memory_limit", "output_limit", "blocked"]
BLOCKED_MARKS = (
    "Read-only file system",
    "Network is unreachable",
    "Connection refused",  # bubblewrap's network namespace has a loopback that is up, with nothing listening
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


def _run(
    cmd: list[str], work: str, uid: int | None, stdin: str, lim: Limits, mech: str = "", extra_env: dict | None = None
) -> ExecResult:
    """Run `cmd` in `work` under `lim` (as `uid` when given) with `stdin`, and judge how it ended."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": work, "PYTHONIOENCODING": "utf-8"}
    env.update(extra_env or {})
    info_r, info_w = os.pipe() if mech == "bubblewrap" else (None, None)
    t0 = time.perf_counter()
    proc = _start(cmd, work, env, uid, lim, info_r, info_w)
    out, err, over = bytearray(), bytearray(), threading.Event()
    threads = _pump(proc, stdin, lim, out, err, over)
    timed_out, status, usage = _wait(proc, lim)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=2)
    wall, cpu = time.perf_counter() - t0, usage.ru_utime + usage.ru_stime
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    code = _set_up_checked(proc.returncode, info_r, mech, stdout, stderr, timed_out, over.is_set())
    last = next((line for line in reversed(stderr.strip().splitlines()) if line.strip()), "")
    verdict, detail = _verdict(code, last, cpu, lim, timed_out, over.is_set())
    return ExecResult(verdict, stdout, stderr, code, wall, cpu, detail)


def _start(
    cmd: list[str], work: str, env: dict, uid: int | None, lim: Limits, info_r: int | None, info_w: int | None
) -> subprocess.Popen:
    """Start `cmd` in a new session with the rlimits; for bwrap, pass it the info pipe's write end (bwrap writes the
    sandbox's pid there once it is set up) and a pipe holding the seccomp filter. Closes those ends here."""
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    fds = [] if info_w is None else [info_w]
    if info_w is not None:  # bwrap writes the sandbox's pid there once it is set up, and reads the filter
        cmd = [str(info_w) if a == "INFO_FD" else a for a in cmd]
        if "SECCOMP_FD" in cmd:
            seccomp_r, seccomp_w = os.pipe()
            os.write(seccomp_w, seccomp_filter())  # a few hundred bytes: fits the pipe
            os.close(seccomp_w)
            fds.append(seccomp_r)
            cmd = [str(seccomp_r) if a == "SECCOMP_FD" else a for a in cmd]
    try:
        return subprocess.Popen(
            cmd,
            cwd=work,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_limits(lim, uid),
            pass_fds=tuple(fds),
            **ids,
        )
    except BaseException:
        if info_r is not None:
            os.close(info_r)
        raise
    finally:
        for fd in fds:
            os.close(fd)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the program's whole session (its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read(proc: subprocess.Popen, stream, buf: bytearray, lim: Limits, over: threading.Event) -> None:
    """Read `stream` into `buf` up to the output limit; past it, set `over` and kill the program."""
    while chunk := stream.read(65536):
        if len(buf) + len(chunk) > lim.output_bytes:
            buf += chunk[: lim.output_bytes - len(buf)]
            over.set()
            _kill(proc)
            break
        buf += chunk
    stream.close()


def _feed(proc: subprocess.Popen, stdin: str) -> None:
    try:
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _pump(
    proc: subprocess.Popen, stdin: str, lim: Limits, out: bytearray, err: bytearray, over: threading.Event
) -> list[threading.Thread]:
    """Threads (started) that feed `stdin` and collect stdout into `out` and stderr into `err`."""
    threads = [
        threading.Thread(target=_read, args=(proc, proc.stdout, out, lim, over), daemon=True),
        threading.Thread(target=_read, args=(proc, proc.stderr, err, lim, over), daemon=True),
        threading.Thread(target=_feed, args=(proc, stdin), daemon=True),
    ]
    for t in threads:
        t.start()
    return threads


def _wait(proc: subprocess.Popen, lim: Limits):
    """Reap the program within its wall-time limit, else kill it: (timed out, wait status, resource usage)."""
    try:
        _, status, usage = _wait4(proc.pid, lim.timeout_s + 1.0)  # +1 s for namespace set-up
        return False, status, usage
    except TimeoutError:
        _kill(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        return True, status, usage


def _set_up_checked(
    code: int | None, info_r: int | None, mech: str, stdout: str, stderr: str, timed_out: bool, over: bool
) -> int | None:
    """The program's exit code, once sure the sandbox was set up (else RuntimeError): bwrap wrote its info, the
    namespaces' prelude did not exit 97. bwrap's 128 + n (the program killed by signal n) becomes -n."""
    if info_r is not None:
        info = _read_all(info_r)
        if not info and not timed_out and not over:
            raise RuntimeError(f"sandbox set-up failed in bubblewrap: {stderr.strip()[-300:]}")
        if code is not None and 128 < code < 128 + signal.NSIG:
            code = 128 - code  # bwrap exits 128 + n when the program was killed by signal n
    if code == 97 and not stdout and mech == "namespaces":
        raise RuntimeError(f"sandbox set-up failed inside the namespaces: {stderr.strip()[-300:]}")
    return code


def _verdict(code: int | None, last: str, cpu: float, lim: Limits, timed_out: bool, over: bool) -> tuple[Status, str]:
    """The status and its detail, from the exit code, the last line of stderr, the CPU time and the limits hit."""
    if over:
        return "output_limit", f"more than {lim.output_bytes} bytes of output"
    if timed_out or code == -signal.SIGXCPU or cpu >= lim.timeout_s:
        return "time_limit", f"over {lim.timeout_s:g} s"
    if code == -signal.SIGXFSZ or "File too large" in last:
        return "output_limit", f"a file over {lim.file_size_mb} MB"
    if "MemoryError" in last or code in (-signal.SIGSEGV, -signal.SIGABRT) and "Error" not in last:
        return "memory_limit", last or f"killed by signal {-code}"
    if code == 0:
        return "ok", ""
    if any(m in last for m in BLOCKED_MARKS):
        return "blocked", last
    return "runtime_error", last or f"exit code {code}"


def _read_all(fd: int) -> bytes:
    data = b""
    try:
        os.set_blocking(fd, False)
        while chunk := os.read(fd, 4096):
            data += chunk
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    return data


def _wait4(pid: int, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid:
            return wpid, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.005)
