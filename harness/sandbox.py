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
"""

from __future__ import annotations

import functools
import json
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
from pathlib import Path
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
# Inside the namespaces: a rw bind of the working directory, every other mount read-only, private tmpfs dirs,
# the hidden paths ($HIDE_DIRS, $HIDE_FILES: newline-separated) covered, then the program without any capability.
PRELUDE = r"""
mount --bind "$PWD" "$PWD" && cd "$PWD" || exit 97
awk '{print $5}' /proc/self/mountinfo | while read -r m; do
  [ "$m" = "$PWD" ] || mount -o remount,bind,ro "$m" 2>/dev/null; done
touch /harness-ro-check 2>/dev/null && exit 97
for d in /tmp /var/tmp /dev/shm; do [ -d "$d" ] && { mount -t tmpfs -o size=16m,mode=1777 tmpfs "$d" || exit 97; }; done
printf '%s\n' "$HIDE_DIRS" | while IFS= read -r d; do
  [ -z "$d" ] || mount -t tmpfs -o size=4k,mode=0555,ro tmpfs "$d" || exit 97; done || exit 97
printf '%s\n' "$HIDE_FILES" | while IFS= read -r f; do
  [ -z "$f" ] || mount --bind /dev/null "$f" || exit 97; done || exit 97
unset HIDE_DIRS HIDE_FILES
exec setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"
"""
# What the `namespaces` mechanism leaves visible at the top (read-only); every other top-level entry is covered.
VISIBLE_TOP = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "proc", "dev", "tmp"}
SANDBOX_ID = 65534  # the user and group id a program has inside bubblewrap (nobody)
# Read-only inside bubblewrap besides /usr and the interpreter's prefixes: what the dynamic linker reads.
BWRAP_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d")
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
            dirs, files = _hidden(_runtime(python[0]) + [work])
            env = {"HIDE_DIRS": "\n".join(dirs), "HIDE_FILES": "\n".join(files)}
        else:
            cmd = python + ["-c", AUDIT_HOOK]
        return _run(cmd, work, uid, stdin, limits, mech, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


@functools.lru_cache(maxsize=1)
def _bwrap_help() -> str:
    return subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=30).stdout


def _bwrap(work: str, python: str) -> list[str]:
    """A bwrap command line: nothing visible but the runtime (read-only) and `work` (read-write)."""
    cmd = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    cmd += ["--uid", str(SANDBOX_ID), "--gid", str(SANDBOX_ID), "--hostname", "sandbox"]
    if "--disable-userns" in _bwrap_help():
        cmd += ["--disable-userns"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    for path in BWRAP_ETC:
        if os.path.exists(path):
            cmd += ["--ro-bind", path, path]
    for d in _runtime(python):
        if not _under(d, "/usr") and not any(_under(d, t) for t in ("/bin", "/sbin", "/lib", "/lib64")):
            cmd += ["--ro-bind", d, d]
    size = ["--size", str(16 << 20)] if "--size" in _bwrap_help() else []
    cmd += [*size, "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    cmd += ["--seccomp", "SECCOMP_FD"] if seccomp_filter() else []
    return cmd + ["--bind", work, work, "--chdir", work, "--info-fd", "INFO_FD", "--"]


# A seccomp filter for bubblewrap (classic BPF): these calls fail with EPERM. They are the ones a program could use
# against the sandbox or the kernel (ptrace of the sandbox's init, mounts, new namespaces, kernel keys, BPF, ...);
# other architectures' calls (i386, x32 on x86_64) fail likewise. Numbers: x86_64 and aarch64 (else no filter).
DENIED = (
    "ptrace mount umount2 pivot_root unshare setns process_vm_readv process_vm_writev kexec_load init_module "
    "finit_module delete_module keyctl add_key request_key bpf perf_event_open userfaultfd open_by_handle_at "
    "open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr"
).split()
NEW_MOUNT_API = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433}
SYSCALLS = {
    "x86_64": (0xC000003E, {"ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "unshare": 272,
                            "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311, "kexec_load": 246,
                            "init_module": 175, "finit_module": 313, "delete_module": 176, "keyctl": 250,
                            "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
                            "userfaultfd": 323, "open_by_handle_at": 304, "mount_setattr": 442, **NEW_MOUNT_API}),
    "aarch64": (0xC00000B7, {"ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "unshare": 97,
                             "setns": 268, "process_vm_readv": 270, "process_vm_writev": 271, "kexec_load": 104,
                             "init_module": 105, "finit_module": 273, "delete_module": 106, "keyctl": 219,
                             "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
                             "userfaultfd": 282, "open_by_handle_at": 265, "mount_setattr": 442, **NEW_MOUNT_API}),
}  # fmt: skip


def seccomp_filter() -> bytes | None:
    """The BPF program (struct sock_filter[]) bwrap installs before the program runs, or None on other machines."""
    import platform
    import struct

    machine = platform.machine()
    if machine not in SYSCALLS:
        return None
    arch, numbers = SYSCALLS[machine]
    nrs = [numbers[name] for name in DENIED]
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    checks = [(jge, 0x40000000)] if machine == "x86_64" else []  # x32 calls
    checks += [(jeq, nr) for nr in nrs]
    n = len(checks)
    prog = [(ld, 0, 0, 4), (jeq, 0, n + 2, arch), (ld, 0, 0, 0)]  # a foreign architecture: deny
    prog += [(op, n - i, 0, k) for i, (op, k) in enumerate(checks)]  # jump to deny, past the allow
    prog += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _checkout() -> Path | None:
    """The project checkout this module runs from (None when installed as a package)."""
    root = Path(__file__).resolve().parents[1]
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
    dirs = [d for d in dirs if not any(_under(d, o) and d != o for o in dirs)]
    files = [f for f in files if not any(_under(f, o) for o in dirs)]
    return dirs, files


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
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": work, "PYTHONIOENCODING": "utf-8"}
    env.update(extra_env or {})
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    info_r, info_w = os.pipe() if mech == "bubblewrap" else (None, None)
    fds = [] if info_w is None else [info_w]
    t0 = time.perf_counter()
    if info_w is not None:  # bwrap writes the sandbox's pid there once it is set up, and reads the filter
        cmd = [str(info_w) if a == "INFO_FD" else a for a in cmd]
        if "SECCOMP_FD" in cmd:
            seccomp_r, seccomp_w = os.pipe()
            os.write(seccomp_w, seccomp_filter())  # a few hundred bytes: fits the pipe
            os.close(seccomp_w)
            fds.append(seccomp_r)
            cmd = [str(seccomp_r) if a == "SECCOMP_FD" else a for a in cmd]
    try:
        proc = subprocess.Popen(
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
    if info_r is not None:
        info = _read_all(info_r)
        if not info and not timed_out and not over.is_set():
            raise RuntimeError(f"sandbox set-up failed in bubblewrap: {stderr.strip()[-300:]}")
        if code is not None and 128 < code < 128 + signal.NSIG:
            code = 128 - code  # bwrap exits 128 + n when the program was killed by signal n
    if code == 97 and not stdout and mech == "namespaces":
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
