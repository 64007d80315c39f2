"""Hostile programs that try to undo the sandbox (tests/sandbox/hostile/): unmount or remount what it mounted, write
outside the working folder (with the harness as root, and as a normal user), read the data sets, the records, the
project or the home folder, ptrace or signal a process outside, reach any network. Each runs under every mechanism
available here but the audit-hook fallback (which claims none of this)."""

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from harness.sandbox import Limits, _sandbox_uid, execute_with, interpreter, mechanism
from tests.sandbox.test_hostile import _accept

CORPUS = Path(__file__).parent / "hostile"
ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
MECHANISMS = [m for m in ("bubblewrap", "namespaces") if m != "bubblewrap" or shutil.which("bwrap")]


@pytest.fixture(params=MECHANISMS)
def mech(request):
    if mechanism() == "audit-hook":
        pytest.skip("no user namespaces here: the audit-hook fallback makes none of these promises")
    return request.param


def _run(mech: str, name: str, stdin: str = "") -> object:
    return execute_with(mech, (CORPUS / f"{name}.py").read_text(), stdin, Limits(timeout_s=10))


@pytest.fixture()
def victims():
    """Folders outside the working folder, writable by anyone (so by the sandbox's user if it got out): in the
    project checkout and in the host's /tmp."""
    tag = uuid.uuid4().hex[:12]
    made = [ROOT / f".sbx-victim-{tag}", Path(tempfile.gettempdir()) / f"sbx-victim-{tag}"]
    for d in made:
        d.mkdir(mode=0o777)
        d.chmod(0o777)
    yield made
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture()
def host_tmp_secret():
    """A secret in the host's /tmp, which the sandbox covers with its own."""
    tag = "sbx-secret-" + uuid.uuid4().hex
    path = Path(tempfile.gettempdir()) / tag
    path.write_text(tag)
    path.chmod(0o644)
    yield tag
    path.unlink()


def test_no_mount_can_be_undone(mech, host_tmp_secret):
    r = _run(mech, "undo_mounts")
    out = r.stdout + r.stderr
    assert r.status == "ok" and "/tmp holds" in out, out
    assert "UNMOUNTED" not in out and "REMOUNTED" not in out and "UNDID" not in out, out
    assert host_tmp_secret not in out, "the host's /tmp was uncovered"


def test_no_write_outside_the_working_folder_after_undoing_mounts(mech, victims):
    home = Path.home() / f".sbx-owned-{uuid.uuid4().hex}"
    targets = [d / "owned" for d in victims] + [home, ROOT / f"owned-{uuid.uuid4().hex}"]
    r = _run(mech, "undo_mounts", " ".join(map(str, targets + ["inside"])))
    assert r.status == "ok" and _seen(r.stdout, "WROTE") == ["inside"], r
    assert [t for t in targets if t.exists()] == []


@pytest.fixture()
def secrets(monkeypatch):
    """Secrets in a data folder ($HARNESS_DATA_DIR, a LiveCodeBench file), a run folder's records, the project
    checkout and the home folder; all readable by anyone."""
    tag = uuid.uuid4().hex
    made = []
    data = ROOT / f".sbx-data-{tag}"
    files = {
        data / "livecodebench" / "test.jsonl": '{"input": "1 2", "output": "SECRET-DATA-' + tag + '"}',
        ROOT / f".sbx-run-{tag}" / "records.jsonl": '{"gold": "SECRET-RECORD-' + tag + '"}',
        ROOT / f".sbx-secret-{tag}": "SECRET-PROJECT-" + tag,
        Path.home() / f".sbx-secret-{tag}": "SECRET-HOME-" + tag,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o644)
        made.append(path if path.parent in (ROOT, Path.home()) else path.parents[-len(ROOT.parts) - 1])
    for d in (data, data / "livecodebench", ROOT / f".sbx-run-{tag}"):
        d.chmod(0o755)
    monkeypatch.setenv("HARNESS_DATA_DIR", str(data))
    paths = [data, ROOT / f".sbx-run-{tag}", ROOT, Path.home(), ROOT.parent / "shared" / "data"]
    yield tag, paths
    for path in made:
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def test_no_data_set_record_project_or_home_file_is_readable(mech, secrets):
    tag, paths = secrets
    r = _run(mech, "read_files", " ".join(map(str, paths + ["main.py"])))
    assert tag not in r.stdout + r.stderr
    # not even the project's own files, nor the shared data sets: only the program itself, in its working folder
    assert r.status == "ok" and _seen(r.stdout, "SEEN") == ["main.py"], r.stdout[:2000]


def _seen(out: str, mark: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if line.startswith(mark + " ")]


def test_no_ptrace_or_signal_reaches_a_process_outside(mech):
    uid = _sandbox_uid()
    victim = subprocess.Popen(["sleep", "60"], **({"user": uid, "group": uid} if uid is not None else {}))
    try:
        r = _run(mech, "ptrace_and_signal", f"{os.getpid()} {victim.pid}")
        assert r.status == "ok" and r.stdout.count("ptrace ") == 3, r
        assert "ATTACHED" not in r.stdout and "SIGNALLED" not in r.stdout, r.stdout + r.stderr
        assert victim.poll() is None, "a process outside the sandbox was killed"
        assert open(f"/proc/{victim.pid}/status").read().count("TracerPid:\t0") == 1
    finally:
        victim.kill()
        victim.wait()


def test_no_network_at_all(mech):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    name = "harness-sbx-" + uuid.uuid4().hex
    unix = socket.socket(socket.AF_UNIX)
    unix.bind("\0" + name)
    unix.listen(1)
    got = []
    for s in (server, unix):
        s.settimeout(4)
        threading.Thread(target=lambda s=s: got.append(_accept(s)), daemon=True).start()
    r = _run(mech, "network_probe", f"{server.getsockname()[1]} {name}")
    time.sleep(0.2)
    server.close()
    unix.close()
    assert "CONNECTED" not in r.stdout and r.stdout.count("\nrefused ") == 4, r.stdout + r.stderr  # and the first
    assert "connection" not in got


# As a normal user: the same hostile programs, the sandbox called by a harness running as uid 65534.
RUNNER = """
import dataclasses, importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location(
    "sbx", sys.argv[1], submodule_search_locations=[os.path.dirname(sys.argv[1])]
)
sbx = importlib.util.module_from_spec(spec)
sys.modules["sbx"] = sbx
spec.loader.exec_module(sbx)
mech, program, stdin = json.load(sys.stdin)
print(json.dumps(dataclasses.asdict(sbx.execute_with(mech, program, stdin, sbx.Limits(timeout_s=10)))))
"""


def _as_nobody(mech: str, name: str, stdin: str, home: Path) -> dict:
    """Run one program in the sandbox from a process of uid/gid 65534 (setpriv), with `home` as its home."""
    if os.geteuid() != 0:
        pytest.skip("switching to an unprivileged user (setpriv --reuid) needs root")
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    python = next(
        (
            p
            for p in (sys.executable, shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin"))
            if p and _usable_by_nobody(p)
        ),
        None,
    )
    if python is None:
        pytest.skip("no Python interpreter here that uid 65534 can run")
    if not _usable_by_nobody(str(ROOT / "harness" / "sandbox" / "__init__.py")):
        pytest.skip("the checkout is not readable by uid 65534")
    cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", python, "-I", "-c", RUNNER]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k == "HARNESS_DATA_DIR"})
    program = (CORPUS / f"{name}.py").read_text()
    p = subprocess.run(
        cmd + [str(ROOT / "harness" / "sandbox" / "__init__.py")],
        input=json.dumps([mech, program, stdin]),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env=env,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _usable_by_nobody(path: str) -> bool:
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "test", "-r", path])
    return r.returncode == 0


@pytest.fixture()
def nobody_home():
    home = ROOT / f".sbx-home-{uuid.uuid4().hex[:12]}"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_as_a_normal_user_no_mount_is_undone_and_nothing_outside_is_written(mech, victims, nobody_home):
    for d in victims:
        os.chown(d, NOBODY, NOBODY)
    targets = [d / "owned" for d in victims] + [nobody_home / "owned"]
    r = _as_nobody(mech, "undo_mounts", " ".join(map(str, targets + ["inside"])), nobody_home)
    assert "UNMOUNTED" not in r["stdout"] and "REMOUNTED" not in r["stdout"], r
    assert r["status"] == "ok" and _seen(r["stdout"], "WROTE") == ["inside"], r
    assert [t for t in targets if t.exists()] == []


def test_as_a_normal_user_no_data_set_project_or_home_file_is_readable(mech, secrets, nobody_home):
    tag, paths = secrets
    (nobody_home / "secret").write_text("SECRET-NOBODY-HOME-" + tag)
    r = _as_nobody(mech, "read_files", " ".join(map(str, paths + [nobody_home, "main.py"])), nobody_home)
    assert tag not in r["stdout"] + r["stderr"], r["stdout"][:2000]
    assert r["status"] == "ok" and _seen(r["stdout"], "SEEN") == ["main.py"], r["stdout"][:2000]


def test_the_mechanism_is_recorded(mech):
    assert mechanism() == ("bubblewrap" if shutil.which("bwrap") else "namespaces")
    assert dataclasses.is_dataclass(Limits) and signal.SIGKILL  # imports used


@pytest.fixture()
def under_host_tmp():
    """A folder in the host's /tmp, readable by anyone (a CI clone, a data folder or a venv can live there)."""
    made = Path(tempfile.mkdtemp(prefix="sbx-under-tmp-"))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_data_and_checkout_under_the_hosts_tmp_stay_hidden_and_programs_still_run(mech, under_host_tmp, monkeypatch):
    # A clone in /tmp/ci/main once made every namespaces run fail: the private /tmp left no mount point for the
    # checkout's cover. Folders and files under any folder the sandbox replaces are hidden by that replacement.
    tag = "SECRET-TMP-" + uuid.uuid4().hex
    secret = under_host_tmp / "data" / "test.jsonl"
    secret.parent.mkdir(mode=0o755)
    secret.write_text(tag)
    secret.chmod(0o644)
    monkeypatch.setenv("HARNESS_DATA_DIR", str(secret.parent))
    monkeypatch.setenv("HARNESS_SANDBOX_HIDE", str(secret))  # a file, too: covered by /dev/null where it is visible
    r = _run(mech, "read_files", f"{under_host_tmp} {secret} main.py")
    assert r.status == "ok" and tag not in r.stdout + r.stderr, r
    assert _seen(r.stdout, "SEEN") == ["main.py"], r.stdout[:2000]


def test_an_interpreter_under_the_hosts_tmp(mech, under_host_tmp, monkeypatch):
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(under_host_tmp / "venv")], check=True)
    python = str(under_host_tmp / "venv" / "bin" / "python")
    monkeypatch.setattr(sys, "executable", python)  # ours in a venv under /tmp: the system's python3 runs programs
    monkeypatch.delenv("HARNESS_SANDBOX_PYTHON", raising=False)
    assert interpreter() != python
    r = execute_with(mech, "print(6 * 7)", limits=Limits(timeout_s=10))
    assert (r.status, r.stdout.strip()) == ("ok", "42"), r
    monkeypatch.setenv("HARNESS_SANDBOX_PYTHON", python)  # chosen on purpose: bwrap binds it into its /tmp
    if mech == "bubblewrap":
        r = execute_with(mech, "import sys; print(sys.executable)", limits=Limits(timeout_s=10))
        assert (r.status, r.stdout.strip()) == ("ok", python), r
    else:  # the namespaces mechanism cannot: it says so, and how to choose another
        with pytest.raises(RuntimeError, match="lies under /tmp.*HARNESS_SANDBOX_PYTHON"):
            execute_with(mech, "print(1)", limits=Limits(timeout_s=10))
