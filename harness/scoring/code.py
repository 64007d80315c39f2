"""Code scoring as LiveCodeBench does it: extract the last fenced block, run it against every test in the sandbox.

stdin tests compare like LCB's `grade_stdio`; functional (LeetCode) tests call `Solution().<func_name>(*args)`, or a
plain function `<func_name>` when there is no `class Solution`, like `grade_call_based`. Both get LCB's import
preamble. A generation passes a problem only if all its tests pass. Differences that remain: docs/livecodebench.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from harness.livecodebench import CodeGold, TestCase
from harness.sandbox import ExecResult, execute

FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
VERDICTS = (
    "passed",
    "wrong_answer",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "output_limit",
    "blocked",
    "no_code",
)
# LiveCodeBench's grader (lcb_runner's testing_util) runs every program after a preamble that star-imports these
# modules, in this order, then imports all but the last two by name and raises the recursion limit. Programs written
# against it use `stdin`, `deepcopy`, `defaultdict`, `inf`, ... without importing them, so ours gets the same names.
PREAMBLE_MODULES = (
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "io",
    "sys",
    "json",
    "builtins",
    "typing",
)
PREAMBLE = (
    "".join(f"from {m} import *\n" for m in PREAMBLE_MODULES)
    + "import "
    + ", ".join(PREAMBLE_MODULES[:-2])
    + "\nsys.setrecursionlimit(50000)\n"
)
# A functional (LeetCode) test: the code is executed as a module, not as the main script (so an
# `if __name__ == "__main__":` block that would read the test's input does not run), then the method is called:
# `Solution().<func>` when the code mentions `class Solution` (LiveCodeBench's test), else a plain function <func>.
DRIVER = """import json as _json, sys as _sys
_args = [_json.loads(_line) for _line in _sys.stdin.read().split("\\n")]
_ns = {{"__name__": "solution", "__builtins__": __builtins__}}
exec(compile({source!r}, "<solution>", "exec"), _ns)
_out = {call}(*_args)
if isinstance(_out, tuple):
    _out = list(_out)
_sys.stdout.write("\\n@@harness-result@@" + _json.dumps(_out))
"""
RESULT_MARK = "\n@@harness-result@@"


@dataclass(frozen=True)
class CodeScore:
    verdict: str  # the first failing test's verdict, or passed / no_code
    tests: tuple[str, ...] = ()
    detail: str = ""
    code: str | None = None
    exec_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"


def extract_code(answer: str) -> str | None:
    """The last fenced code block of the answer (thinking already removed), or None."""
    blocks = FENCE.findall(answer)
    return blocks[-1] if blocks else None


def stdio_equal(got: str, expected: str) -> bool:
    """LCB's grade_stdio: strip, split into stripped lines, same count; lines equal, else their tokens equal as "
    "Decimals."""
    a = [line.strip() for line in got.strip().split("\n")]
    b = [line.strip() for line in expected.strip().split("\n")]
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        xs, ys = x.split(), y.split()
        if len(xs) != len(ys):
            return False
        try:
            if any(Decimal(p) != Decimal(q) for p, q in zip(xs, ys)):
                return False
        except InvalidOperation:
            return False
    return True


def call_equal(stdout: str, expected: str) -> bool:
    """LCB's grade_call_based: the returned value (tuples as lists) == json.loads(expected output)."""
    if RESULT_MARK not in stdout:
        return False
    try:
        return json.loads(stdout.rsplit(RESULT_MARK, 1)[1]) == json.loads(expected)
    except (json.JSONDecodeError, ValueError):
        return False


def functional_program(code: str, func_name: str | None) -> str:
    """The program run for one functional test: the driver around the preamble and the code."""
    call = f'_ns["Solution"]().{func_name}' if "class Solution" in code else f'_ns["{func_name}"]'
    return DRIVER.format(source=PREAMBLE + code, call=call)


def run_test(
    code: str, test: TestCase, func_name: str | None, timeout_s: float, memory_mb: int
) -> tuple[str, ExecResult]:
    if test.testtype == "functional":
        res = execute(functional_program(code, func_name), stdin=test.input, timeout_s=timeout_s, memory_mb=memory_mb)
        ok = call_equal(res.stdout, test.output)
    else:
        res = execute(PREAMBLE + code, stdin=test.input, timeout_s=timeout_s, memory_mb=memory_mb)
        ok = stdio_equal(res.stdout, test.output)
    if res.status != "ok":
        return res.status, res
    return ("passed" if ok else "wrong_answer"), res


def score_code(
    answer: str,
    gold: str,
    *,
    timeout_s: float = 6.0,
    memory_mb: int = 1024,
    problem_timeout_s: float = 60.0,
    stop_at_first_failure: bool = True,
) -> CodeScore:
    """Run one generation against one problem's tests. Stops at the first failure, as LCB does."""
    code = extract_code(answer)
    if code is None:
        return CodeScore("no_code")
    g = CodeGold.loads(gold)
    verdicts, spent, detail, first_bad = [], 0.0, "", None
    for test in g.tests:
        if spent > problem_timeout_s:
            verdicts.append("time_limit")
            detail = detail or f"problem over {problem_timeout_s:g} s"
            first_bad = first_bad or "time_limit"
            break
        v, res = run_test(code, test, g.func_name, timeout_s, memory_mb)
        spent += res.wall_s
        verdicts.append(v)
        if v != "passed":
            first_bad = first_bad or v
            detail = detail or res.detail
            if stop_at_first_failure:
                break
    return CodeScore(first_bad or "passed", tuple(verdicts), detail, code, spent)
