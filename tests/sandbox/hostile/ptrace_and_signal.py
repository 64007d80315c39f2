# Attach to (ptrace) and signal each pid from stdin (the harness, a process of the sandbox's own user outside it)
# and the program's parent.
import ctypes
import os
import signal
import sys

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
pids = [int(p) for p in sys.stdin.read().split()]
for pid in pids + [os.getppid()]:
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
        print("ATTACHED", pid)
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    else:
        print("ptrace", pid, os.strerror(ctypes.get_errno()))
for pid in pids:
    try:
        os.kill(pid, signal.SIGTERM)
        print("SIGNALLED", pid)
    except OSError as e:
        print("kill", pid, e)
