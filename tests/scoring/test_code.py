"""Code scoring on real LiveCodeBench rows: reference solutions written here pass, wrong ones fail with the
right verdict; LCB's comparison rules; the hub's encoded tests; the v5 list without tests."""

import base64
import hashlib
import json
import pickle
import zlib

import pytest

from harness import load_task
from harness.errors import DataNotFoundError
from harness.livecodebench import build_v5, decode_private_tests
from harness.scoring import score_answer
from harness.scoring.code import extract_code, stdio_equal


def fenced(code: str) -> str:
    return f"Here is my solution.\n```python\n{code}\n```\n"


SHORT_SORT = """t = int(input())
for _ in range(t):
    s = input().strip()
    print("YES" if sum(a != b for a, b in zip(s, "abc")) in (0, 2) else "NO")
"""
OVERALL_WINNER = """n = int(input()); s = input().strip()
t, a = s.count("T"), s.count("A")
if t != a:
    print("T" if t > a else "A")
else:
    print("A" if s[-1] == "T" else "T")
"""
BUY_CHOCO = """class Solution:
    def buyChoco(self, prices: List[int], money: int) -> int:
        a, b = sorted(prices)[:2]
        return money - a - b if a + b <= money else money
"""
COUNT_SENIORS = """class Solution:
    def countSeniors(self, details: List[str]) -> int:
        return sum(int(d[11:13]) > 60 for d in details)
"""


@pytest.fixture(scope="module")
def lcb(data_dir):
    return {s.id: s for s in load_task("livecodebench", data_dir=data_dir).samples}


@pytest.mark.parametrize(
    "qid,code", [("1873_A", SHORT_SORT), ("abc301_a", OVERALL_WINNER), ("2756", BUY_CHOCO), ("2727", COUNT_SENIORS)]
)
def test_reference_solutions_pass(lcb, qid, code):
    s = score_answer(fenced(code), lcb[qid].gold, "code")
    assert s.correct and s.verdict == "passed" and set(s.tests) == {"passed"}, s


@pytest.mark.parametrize(
    "qid,code,verdict",
    [
        ("1873_A", SHORT_SORT.replace("(0, 2)", "(0, 1)"), "wrong_answer"),
        ("abc301_a", 'print("T")', "wrong_answer"),
        ("2756", BUY_CHOCO.replace("money - a - b", "a + b"), "wrong_answer"),
        ("2727", COUNT_SENIORS.replace("d[11:13]", "d[99]"), "runtime_error"),
        ("abc301_a", "while True:\n    pass", "time_limit"),
        ("2756", "class Solution:\n    pass", "runtime_error"),
    ],
)
def test_wrong_solutions_fail_with_their_verdict(lcb, qid, code, verdict):
    s = score_answer(fenced(code), lcb[qid].gold, "code")
    assert not s.correct and s.verdict == verdict, s


def test_no_code_block_is_no_code(lcb):
    s = score_answer("I would print YES.", lcb["1873_A"].gold, "code")
    assert s.verdict == "no_code" and s.reason == "no_code" and not s.correct


def test_the_last_fenced_block_is_the_program():
    assert extract_code("```python\nprint(1)\n```\ntext\n```\nprint(2)\n```") == "print(2)\n"
    assert extract_code("no code") is None


@pytest.mark.parametrize(
    "got,expected,equal",
    [
        ("YES\nNO\n", "YES\nNO", True),
        ("  1 2 \n", "1 2", True),
        ("1.0 2", "1 2.00", True),
        ("0.1", "0.10000001", False),
        ("YES", "yes", False),
        ("1\n2", "1", False),
        ("a b", "a  b", False),  # non-numeric tokens: exact lines only
        ("1e0", "1", True),
    ],
)
def test_stdio_comparison_follows_grade_stdio(got, expected, equal):
    assert stdio_equal(got, expected) is equal


def test_public_only_is_marked_in_the_gold(lcb):
    assert json.loads(lcb["1873_A"].gold)["public_only"] is True


def _blob(value) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(value))).decode()


def test_hub_private_tests_decode_without_running_pickled_code(tmp_path):
    cases = [{"input": "1\n", "output": "2\n", "testtype": "stdin"}]
    assert decode_private_tests(_blob(json.dumps(cases))) == cases

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    with pytest.raises(pickle.UnpicklingError, match="refused to load"):
        decode_private_tests(_blob(Evil()))
    assert not (tmp_path / "pwned").exists()


def test_v5_without_tests_names_what_is_missing_and_the_fix(data_dir):
    with pytest.raises(DataNotFoundError, match=r"ships no test cases.*md5 .*--code-tests-dir"):
        load_task("livecodebench_v5", data_dir=data_dir)


def test_v5_test_files_are_md5_checked(tmp_path):
    body = json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"], "fn_name": None}).encode()
    (tmp_path / "7.json").write_bytes(body)
    row = {"prompt": "P", "tests": {"fname": "7.json", "md5": hashlib.md5(body).hexdigest()}}
    question, gold = build_v5(row, str(tmp_path))
    assert score_answer(fenced("print(sum(map(int, input().split())))"), gold, "code").correct
    with pytest.raises(DataNotFoundError, match="has md5"):
        build_v5({**row, "tests": {"fname": "7.json", "md5": "0" * 32}}, str(tmp_path))
