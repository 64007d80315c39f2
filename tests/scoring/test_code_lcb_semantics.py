"""LiveCodeBench grading semantics (lcb_runner's testing_util), probed on real release_v1 rows with programs
written here: the import preamble, the plain-function fallback, no `__main__` block for call-based tests, and the
cases where the reference itself errs and we keep our verdict (docs/livecodebench.md lists every difference)."""

import pytest

from harness import load_task
from harness.scoring import score_answer


def fenced(code: str) -> str:
    return f"```python\n{code}\n```\n"


@pytest.fixture(scope="module")
def lcb(data_dir):
    return {s.id: s for s in load_task("livecodebench", data_dir=data_dir).samples}


def grade(lcb, qid, code):
    return score_answer(fenced(code), lcb[qid].gold, "code")


# abc301_a (stdin): N, then S; print the overall winner.
WINNER_BODY = """t, a = s.count("T"), s.count("A")
print(("T" if t > a else "A") if t != a else ("A" if s[-1] == "T" else "T"))
"""
# 2756 buyChoco (functional): the method body, at method indentation, and as a plain function's body.
METHOD = """        a, b = sorted(prices)[:2]
        return money - a - b if a + b <= money else money
"""
BUY_CHOCO = METHOD.replace("        ", "    ")


def test_lcb_preamble_stdin_names(lcb):  # `stdin` comes from LCB's `from sys import *`
    code = "n = int(stdin.readline())\ns = stdin.readline().strip()\n" + WINNER_BODY
    assert grade(lcb, "abc301_a", code).verdict == "passed"


def test_lcb_preamble_functional_names(lcb):  # deepcopy, defaultdict, inf, List: from LCB's header
    code = (
        "class Solution:\n    def buyChoco(self, prices: List[int], money: int) -> int:\n"
        "        prices = deepcopy(prices)\n        seen = defaultdict(int)\n        best = inf\n" + METHOD
    )
    assert grade(lcb, "2756", code).verdict == "passed"


def test_lcb_plain_function_without_class_solution(lcb):
    code = "def buyChoco(prices, money):\n" + BUY_CHOCO
    assert grade(lcb, "2756", code).verdict == "passed"


def test_lcb_main_block_not_run_for_call_based_tests(lcb):  # it would read (and consume) the test's input
    code = (
        "class Solution:\n    def buyChoco(self, prices, money):\n"
        + METHOD
        + '\nif __name__ == "__main__":\n    import sys\n    data = sys.stdin.read()\n'
        "    print(Solution().buyChoco(eval(data.split()[0]), 3))\n"
    )
    assert grade(lcb, "2756", code).verdict == "passed"


def test_lcb_main_block_still_runs_for_stdin_programs(lcb):  # LCB inlines a trailing main block
    code = (
        "def main():\n    n = int(input())\n    s = input().strip()\n"
        + "".join("    " + line + "\n" for line in WINNER_BODY.splitlines())
        + "\nif __name__ == '__main__':\n    main()\n"
    )
    assert grade(lcb, "abc301_a", code).verdict == "passed"


@pytest.mark.parametrize(
    "name,code",
    [
        (
            "for line in sys.stdin",
            "import sys\nlines = [line for line in sys.stdin]\nn = int(lines[0]); s = lines[1].strip()\n" + WINNER_BODY,
        ),
        ("quit()", "n = int(input()); s = input().strip()\n" + WINNER_BODY + "quit()\n"),
        ("global at top level", "global s\nn = int(input()); s = input().strip()\n" + WINNER_BODY),
    ],
)
def test_lcb_reference_errs_we_keep_passing(lcb, name, code):  # a real process, not LCB's patched function
    assert grade(lcb, "abc301_a", code).verdict == "passed", name


def test_lcb_later_unclosed_fence_keeps_the_closed_block(lcb):  # the reference takes the unclosed one
    answer = fenced("n = int(input()); s = input().strip()\n" + WINNER_BODY) + "\nOr shorter:\n```python\nprint("
    assert score_answer(answer, lcb["abc301_a"].gold, "code").verdict == "passed"


def test_lcb_wrong_plain_function_still_fails(lcb):
    assert grade(lcb, "2756", "def buyChoco(prices, money):\n    return money\n").verdict == "wrong_answer"
    assert grade(lcb, "2756", "def other(prices, money):\n    return money\n").verdict == "runtime_error"
