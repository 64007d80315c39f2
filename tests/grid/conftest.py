"""A real two-node Ray cluster on 127.0.0.1 for the tests marked `ray` (select them with `pytest -m ray`): a head and
a second node, each `ray start --block` in its own process group with its own temp dir and one CPU, so that two
one-CPU tasks run one on each node. Teardown kills both nodes' processes, whatever happened.

Without Ray installed these tests are deselected, or fail where $HARNESS_REQUIRE_RAY=1 (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_ray

ROOT = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).with_name("ray")
# the head notices a lost node within about 5 s (Ray's defaults take ~30 s); lenient enough for a loaded machine
FAST_HEALTH = {
    "RAY_health_check_initial_delay_ms": "0",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "2000",
    "RAY_health_check_failure_threshold": "5",
}


@dataclass
class Node:
    proc: subprocess.Popen
    temp: Path
    log: Path

    def kill(self) -> None:
        """SIGKILL every process of this node (its raylet, the workers it started, their children): a lost node."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def pids(self) -> set[int]:
        """The node's processes: `ray start` and its descendants (workers put themselves in their own groups)."""
        out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout.split()
        children: dict[int, list[int]] = {}
        for pid, ppid in zip(map(int, out[::2]), map(int, out[1::2])):
            children.setdefault(ppid, []).append(pid)
        tree, todo = set(), [self.proc.pid]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            todo += children.get(pid, [])
        return tree


@dataclass
class Cluster:
    address: str
    head: Node
    second: Node
    env: dict


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict, name: str, timeout: float = 90.0) -> Node:
    temp = Path(tempfile.mkdtemp(prefix=f"r{name}", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    log = temp / "start.log"
    cmd = [str(RAY), "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1", f"--temp-dir={temp}"]
    cmd += ["--object-store-memory=100000000", "--disable-usage-stats", *args]
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    node = Node(proc, temp, log)
    deadline = time.time() + timeout
    while "Ray runtime started" not in log.read_text():
        if proc.poll() is not None or time.time() > deadline:
            node.kill()
            pytest.fail(f"ray start ({name}) did not start: {log.read_text()[-2000:]}", pytrace=False)
        time.sleep(0.2)
    return node


@pytest.fixture(scope="module")
def ray_cluster(data_dir):
    require_ray()
    env = {
        **os.environ,
        **FAST_HEALTH,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",  # a local test cluster on 127.0.0.1
        "HARNESS_DATA_DIR": str(data_dir),
    }
    port = _free_port()
    nodes = []
    try:
        nodes.append(_start([f"--port={port}", "--head", "--include-dashboard=false"], env, "head"))
        agent = ["--dashboard-agent-listen-port=0", f"--metrics-export-port={_free_port()}"]
        nodes.append(_start([f"--address=127.0.0.1:{port}", *agent], env, "node"))
        yield Cluster(f"127.0.0.1:{port}", nodes[0], nodes[1], env)
    finally:
        for node in reversed(nodes):
            node.kill()
            shutil.rmtree(node.temp, ignore_errors=True)


@pytest.fixture(scope="session")
def local_grid(tmp_path_factory, data_dir):
    """The tests' grid (tests/grid/grids.py) run with the local executor, one run after another: the records every
    other executor must give. Returns (grid file, output folder, {run: records})."""
    from harness.cli import main
    from tests.grid.grids import records_of, write_grid

    tmp = tmp_path_factory.mktemp("local")
    grid = write_grid(tmp / "grid.yaml")
    argv = ["grid", str(grid), "--output-path", str(tmp / "out"), "--data-dir", str(data_dir), "--no-progress"]
    assert main(argv) == 0
    return grid, tmp / "out", {run: records_of(tmp / "out" / run) for run in ("e1", "plain")}
