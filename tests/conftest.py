import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("HARNESS_DATA_DIR") or ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert (DATA_DIR / "gsm8k" / "test.jsonl").is_file(), f"test data missing at {DATA_DIR}; set HARNESS_DATA_DIR"
    return DATA_DIR
