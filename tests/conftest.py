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
