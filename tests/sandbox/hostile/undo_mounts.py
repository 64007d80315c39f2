# Undo the sandbox's mounts (as root in a user namespace could), then write each path read from stdin.
import ctypes
import os
import subprocess
import sys

libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH, MS_REMOUNT, MS_BIND = 2, 32, 4096
points = [line.split()[4] for line in open("/proc/self/mountinfo")]
for m in reversed(points):
    if libc.umount2(m.encode(), MNT_DETACH) == 0:
        print("UNMOUNTED", m)
for m in points:
    if libc.mount(None, m.encode(), None, MS_REMOUNT | MS_BIND, None) == 0:
        print("REMOUNTED", m)
for cmd in (["umount", "/tmp"], ["mount", "-o", "remount,bind,rw", "/"]):
    if subprocess.run(cmd, capture_output=True).returncode == 0:
        print("UNDID", " ".join(cmd))
nested = "umount -l /tmp && echo NESTED-UNMOUNTED; mount -o remount,bind,rw / && echo NESTED-REMOUNTED; ls -a /tmp"
r = subprocess.run(["unshare", "-Urm", "sh", "-c", nested], capture_output=True, text=True)
print(r.stdout)
try:
    print("/tmp holds", sorted(os.listdir("/tmp")))
except OSError as e:
    print("/tmp:", e)
for path in sys.stdin.read().split():
    try:
        with open(path, "w") as f:
            f.write("owned")
        print("WROTE", path)
    except OSError as e:
        print("refused", path, e)
