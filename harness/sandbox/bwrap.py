"""The `bubblewrap` mechanism: the bwrap command line (a root file system built from nothing but the runtime and
the working directory) and the seccomp filter bwrap installs before the program runs."""

from __future__ import annotations

import functools
import os
import subprocess

from .runtime import _runtime, _under

SANDBOX_ID = 65534  # the user and group id a program has inside bubblewrap (nobody)
# Read-only inside bubblewrap besides /usr and the interpreter's prefixes: what the dynamic linker reads.
BWRAP_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d")


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
    size = ["--size", str(16 << 20)] if "--size" in _bwrap_help() else []
    cmd += [*size, "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]  # before the runtime: a venv under /tmp
    for d in _runtime(python):
        if not _under(d, "/usr") and not any(_under(d, t) for t in ("/bin", "/sbin", "/lib", "/lib64")):
            cmd += ["--ro-bind", d, d]
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
