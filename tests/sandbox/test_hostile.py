"""The hostile corpus (tests/sandbox/hostile/): each program ends with the right verdict within its limits,
the harness survives, no process is left behind and nothing outside the working directory changes."""

import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from harness.sandbox import _sandbox_uid, execute, mechanism

CORPUS = Path(__file__).parent / "hostile"
ROOT = Path(__file__).resolve().parents[2]


def _program(name: str) -> str:
    return (CORPUS / f"{name}.py").read_text()


def _snapshot() -> dict:
    """Every file of the project (but .venv, .git and caches) and the home folder's top level, with sizes and mtimes."""
    seen = {}
    for base, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".venv", ".git", "__pycache__", ".pytest_cache", "results")]
        for f in files:
            p = os.path.join(base, f)
            st = os.lstat(p)
            seen[p] = (st.st_size, st.st_mtime_ns)
    home = Path.home()
    seen.update({str(p): p.lstat().st_size for p in home.iterdir()})
    return seen


def _survivors(uid) -> list[int]:
    if uid is None:
        return []
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _uid_of(p) == uid and not _zombie(p)]


def _zombie(pid: str) -> bool:
    """A dead process whose parent died first waits for the host's init to reap it; it runs nothing."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _uid_of(pid: str):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


@pytest.fixture()
def unharmed():
    before = _snapshot()
    yield
    time.sleep(0.2)
    assert _survivors(_sandbox_uid()) == [], "a sandboxed process outlived its execution"
    assert _snapshot() == before, "something outside the working directory changed"


def test_the_namespace_mechanism_is_detected_here():
    assert mechanism() == ("bubblewrap" if shutil.which("bwrap") else "namespaces")


@pytest.mark.parametrize(
    "name,status,limit_s",
    [
        ("fork_bomb", "blocked", 6),
        ("memory_hog", "memory_limit", 6),
        ("infinite_loop", "time_limit", 2),
        ("orphan_child", "ok", 6),
        ("big_file", "output_limit", 6),
        ("print_1gb", "output_limit", 6),
        ("exit_before_output", "ok", 6),
        ("exit_mid_output", "ok", 6),
    ],
)
def test_corpus_verdicts(unharmed, name, status, limit_s):
    t0 = time.monotonic()
    r = execute(_program(name), timeout_s=limit_s, memory_mb=512)
    assert r.status == status, (r.status, r.detail, r.stderr[-300:])
    assert time.monotonic() - t0 < limit_s + 3
    if name == "print_1gb":
        assert len(r.stdout) <= 4 << 20
    if name == "exit_before_output":
        assert r.stdout == ""
    if name == "exit_mid_output":
        assert r.stdout == "partial\n"


def test_writing_outside_the_working_directory_is_blocked(unharmed):
    tag = uuid.uuid4().hex
    targets = [
        ROOT / f"owned-{tag}",
        Path.home() / f"owned-{tag}",
        Path(f"/tmp/owned-{tag}"),
        Path(f"/var/tmp/owned-{tag}"),
        Path(f"/dev/shm/owned-{tag}"),
    ]
    for t in targets:
        r = execute(_program("write_outside"), stdin=str(t))
        assert not t.exists(), t
        assert r.status in ("blocked", "ok") or _not_found(r), r  # ok: a private, discarded tmpfs took the write
    _assert_blocked_or_hidden(execute(_program("write_outside"), stdin=str(targets[0])))


def _not_found(r) -> bool:
    return r.status in ("blocked", "runtime_error") and "No such file or directory" in r.detail + r.stderr


def _assert_blocked_or_hidden(r) -> None:
    """The project checkout is not even there (both namespace mechanisms hide it; so does the private tmpfs where
    it lives under /tmp, /var/tmp or /dev/shm); else the read-only mount blocks the change: contained either way."""
    assert _not_found(r) or (r.status == "blocked" and "Read-only file system" in r.detail), r


def test_deleting_the_harness_is_blocked(unharmed):
    r = execute(_program("delete_files"), stdin=f"{ROOT / 'harness'} {ROOT / 'tests'}")
    _assert_blocked_or_hidden(r)
    assert (ROOT / "harness" / "sandbox" / "__init__.py").is_file()


def test_secrets_in_the_environment_are_not_visible(unharmed, monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_SECRET", "s3cr3t-" + uuid.uuid4().hex)
    r = execute(_program("read_secrets"))
    assert r.status == "ok" and "HOME" in r.stdout
    assert os.environ["HARNESS_TEST_SECRET"] not in r.stdout + r.stderr


def test_no_tcp_connection_reaches_a_server_on_localhost(unharmed):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(4)
    got = []
    t = threading.Thread(target=lambda: got.append(_accept(server)), daemon=True)
    t.start()
    r = execute(_program("tcp_connect"), stdin=str(server.getsockname()[1]))
    t.join(5)
    server.close()
    # bubblewrap's namespace has a loopback that is up (nothing listens), unshare's one that is down
    refused = "Network is unreachable" in r.detail or "Connection refused" in r.detail
    assert r.status == "blocked" and refused and "connected" not in r.stdout
    assert got == [None], "the server saw a connection"


def _accept(server):
    try:
        conn, _ = server.accept()
        conn.close()
        return "connection"
    except OSError:
        return None


def test_killing_the_parent_leaves_the_harness_alive(unharmed):
    r = execute(_program("kill_parent"))
    # killed by its own kill(-1), or its parent (the sandbox's init) is beyond its reach
    assert r.status == "runtime_error" and r.exit_code is not None
    assert r.exit_code < 0 or "ProcessLookupError" in r.detail, r
    assert execute("print(6 * 7)").stdout == "42\n"  # and the next execution works
