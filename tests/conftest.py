import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("HARNESS_DATA_DIR") or ROOT.parent / "shared" / "data")
SWEEP_BUDGETS, SWEEP_SOLUTION = (16, 48), 24


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert (DATA_DIR / "gsm8k" / "test.jsonl").is_file(), f"test data missing at {DATA_DIR}; set HARNESS_DATA_DIR"
    return DATA_DIR


@pytest.fixture(scope="session")
def smollm2_sweep(tmp_path_factory, data_dir) -> tuple[Path, list[str]]:
    """One real run of the embedded model (3 GSM8K rows at budgets 16 and 48, --log-samples), made once per session
    for the tests that read a run folder: (folder, the argv that made it). Readers must not change its records."""
    from harness.cli import main

    out = tmp_path_factory.mktemp("run") / "demo"
    argv = [
        "run",
        "--model",
        "smollm2-135m",
        "--tasks",
        "gsm8k",
        "--strategy",
        "e1",
        "--budgets",
        ",".join(map(str, SWEEP_BUDGETS)),
        "--solution-budget",
        str(SWEEP_SOLUTION),
        "--limit",
        "3",
        "--seed",
        "0",
        "--output-path",
        str(out),
        "--log-samples",
        "--data-dir",
        str(data_dir),
        "--no-progress",
        "--n-ctx",
        "2048",
    ]
    assert main(argv) == 0
    return out, argv


# Ray (the tests marked `ray`, e.g. tests/grid/test_ray.py): without Ray installed they are deselected with a notice,
# unless $HARNESS_REQUIRE_RAY=1 (set by .ci/run, which installs Ray): then they fail, saying how to install it.
REQUIRE_RAY = "HARNESS_REQUIRE_RAY"
HOW_RAY = "run bash setup.sh --with-ray (or pip install -e .[ray])"
_no_ray: list = []


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def require_ray() -> None:
    if not ray_installed():
        pytest.fail(f"Ray is required here (${REQUIRE_RAY}=1) but not installed: {HOW_RAY}", pytrace=False)


def pytest_collection_modifyitems(config, items):
    if ray_installed() or os.environ.get(REQUIRE_RAY) == "1":
        return
    _no_ray.extend(i for i in items if i.get_closest_marker("ray") is not None)
    if _no_ray:
        config.hook.pytest_deselected(items=list(_no_ray))
        items[:] = [i for i in items if i.get_closest_marker("ray") is None]


def pytest_terminal_summary(terminalreporter):
    if _no_ray:
        terminalreporter.write_sep("-", f"{len(_no_ray)} Ray tests deselected: Ray is not installed here; {HOW_RAY}")
