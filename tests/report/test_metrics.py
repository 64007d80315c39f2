"""AES as O1-Pruner defines it, checked against the cells of its Table 2 quoted in issue 4 (two decimals)."""

import math

import pytest

from harness.report.metrics import AESUndefinedError, aes, wilson_interval

# (task, method, acc, length, base acc, base length, legacy AES, written-formula AES or None)
TABLE2 = [
    ("MATH", "Marco-o1-7B + O1-Pruner", 77.5, 657, 73.8, 1156, 0.58, 0.58),
    ("MATH", "Marco-o1-7B + DPO", 71.8, 761, 73.8, 1156, 0.42, 0.21),
    ("GSM8K", "Marco-o1-7B + Fast-solving prompt", 81.7, 447, 89.2, 530, 0.41, -0.26),
    ("GaoKao", "QwQ-32B-Preview + SFT", 79.5, 2112, 79.0, 2183, 0.05, 0.05),
]


@pytest.mark.parametrize("task,method,acc,length,bacc,blen,legacy,written", TABLE2)
def test_table2_cells(task, method, acc, length, bacc, blen, legacy, written):
    assert round(aes(acc, length, bacc, blen, legacy=True), 2) == legacy
    assert round(aes(acc, length, bacc, blen), 2) == written
    # fractions give the same score as percentages: the deltas are relative
    assert aes(acc / 100, length, bacc / 100, blen) == pytest.approx(aes(acc, length, bacc, blen))


def test_written_formula_branches():
    assert aes(0.6, 50, 0.5, 100) == pytest.approx(0.5 + 3 * 0.2)  # accuracy up: + beta
    assert aes(0.4, 50, 0.5, 100) == pytest.approx(0.5 - 5 * 0.2)  # accuracy down: - gamma
    assert aes(0.4, 50, 0.5, 100, alpha=2, gamma=1) == pytest.approx(1.0 - 0.2)


def test_aes_undefined_for_zero_baseline():
    with pytest.raises(AESUndefinedError, match="baseline's accuracy is 0"):
        aes(0.5, 10, 0.0, 100)


def test_wilson_interval_handles_zero():
    lo, hi = wilson_interval(0, 5)
    assert lo == 0 and 0.4 < hi < 0.45
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_wilson_interval_equals_scipys_binomtest():
    from scipy.stats import binomtest

    for n in [1, 2, 5, 19, 20, 100, 1319, 15000]:
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for confidence in (0.9, 0.95, 0.99):
                ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
                assert wilson_interval(k, n, confidence) == pytest.approx((ci.low, ci.high), abs=1e-12), (k, n)
