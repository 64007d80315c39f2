"""`harness calibrate` on the real embedded engine writes a table row the latency model then reads."""

import pytest
import yaml

from harness.cli import main
from harness.latency import load_table

pytestmark = pytest.mark.slow


def test_calibrate_writes_a_usable_row(tmp_path, capsys):
    out = tmp_path / "latency.yaml"
    out.write_text("other: {prefill_tok_s: 1.0, decode_tok_s: 2.0}\n")
    assert (
        main(["calibrate", "--name", "smol", "--output", str(out), "--prompt-tokens", "96", "--decode-tokens", "16"])
        == 0
    )
    table = load_table(str(out))
    assert set(table) == {"smol", "other"}  # rows already there are kept
    assert table["smol"].prefill_tok_s > table["smol"].decode_tok_s > 1
    assert "prefill" in capsys.readouterr().out and yaml.safe_load(out.read_text())["smol"]["decode_tok_s"] > 1
