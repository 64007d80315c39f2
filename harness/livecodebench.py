"""LiveCodeBench rows -> code samples: LCB's prompt, the tests as CodeGold, and the hub's encoded private tests.

Rows of the local mirror (`livecodebench_v1_public_tests`) hold public tests only, so scores are optimistic and
say so (`public_only`). Hub rows (`livecodebench/code_generation_lite`) carry `private_test_cases` as
base64 -> zlib -> pickle -> JSON; the pickle is read with an unpickler that refuses every global, so only plain
data (the JSON string) can come out and no code in the file can run (docs/livecodebench.md).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DataNotFoundError

INTRO = (
    "You will be given a question (problem specification) and will generate a correct Python program that "
    "matches the specification and passes all tests."
)
WITH_STARTER = (
    "You will use the following starter code to write the solution to the problem and enclose your code "
    "within delimiters."
)
WITHOUT_STARTER = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on "
    "the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python "
    "program runs, it reads the inputs, runs the algorithm and writes output to STDOUT."
)


@dataclass(frozen=True)
class TestCase:
    input: str
    output: str
    testtype: str  # stdin | functional


@dataclass(frozen=True)
class CodeGold:
    """What a code problem is graded against, serialized into Sample.gold as JSON."""

    tests: tuple[TestCase, ...]
    func_name: str | None = None
    public_only: bool = True

    def dumps(self) -> str:
        return json.dumps(
            {"tests": [t.__dict__ for t in self.tests], "func_name": self.func_name, "public_only": self.public_only}
        )

    @staticmethod
    def loads(text: str) -> "CodeGold":
        d = json.loads(text)
        return CodeGold(tuple(TestCase(**t) for t in d["tests"]), d.get("func_name"), d.get("public_only", True))


def prompt(question: str, starter_code: str = "") -> str:
    """LiveCodeBench's generic code-generation prompt."""
    text = f"{INTRO}\n\nQuestion: {question}\n\n"
    if starter_code.strip():
        return text + f"{WITH_STARTER}\n```python\n{starter_code}\n```\n\n"
    return text + f"{WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"


class _DataOnly(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: test data may hold plain values only")


def decode_private_tests(blob: str) -> list[dict]:
    """The hub's private_test_cases: base64 -> zlib -> pickle (plain data only) -> JSON list."""
    raw = zlib.decompress(base64.b64decode(blob))
    value = _DataOnly(io.BytesIO(raw)).load()
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _tests(cases: list[dict]) -> tuple[TestCase, ...]:
    return tuple(TestCase(str(c["input"]), str(c["output"]), c.get("testtype", "stdin")) for c in cases)


def build_v1(row: dict, tests_dir: str | None = None) -> tuple[str, str]:
    """(prompt, gold) for an LCB row with public (and, from the hub, private) tests."""
    public = (
        json.loads(row["public_test_cases"]) if isinstance(row["public_test_cases"], str) else row["public_test_cases"]
    )
    private = decode_private_tests(row["private_test_cases"]) if row.get("private_test_cases") else []
    meta = row.get("metadata") or "{}"
    func = (json.loads(meta) if isinstance(meta, str) else meta).get("func_name")
    gold = CodeGold(_tests(public + private), func, public_only=not private)
    return prompt(row["question_content"], row.get("starter_code") or ""), gold.dumps()


def build_v5(row: dict, tests_dir: str | None = None) -> tuple[str, str]:
    """QwQ's release_v5 list: the prompt is given; tests live in files the user supplies, checked by md5."""
    ref = row["tests"]
    folder = tests_dir
    how = (
        f"each row's `tests` field names a file ({ref['fname']}, md5 {ref['md5']}) written by QwQ's "
        f"eval/data/process_data.py from the hub's livecodebench/code_generation_lite; put those files in one folder "
        f"and pass --code-tests-dir FOLDER"
    )
    if not folder:
        raise DataNotFoundError(f"livecodebench_v5 ships no test cases, so it cannot be scored: {how}")
    path = Path(folder) / ref["fname"]
    if not path.is_file():
        raise DataNotFoundError(f"test file {path} is missing: {how}")
    data = path.read_bytes()
    if hashlib.md5(data).hexdigest() != ref["md5"]:
        raise DataNotFoundError(
            f"test file {path} has md5 {hashlib.md5(data).hexdigest()}, not {ref['md5']} as the "
            f"problem list says; regenerate it from the hub ({how})"
        )
    t = json.loads(data)
    kind = "functional" if t.get("fn_name") else "stdin"
    cases = [{"input": i, "output": o, "testtype": kind} for i, o in zip(t["inputs"], t["outputs"])]
    return row["prompt"], CodeGold(_tests(cases), t.get("fn_name"), public_only=False).dumps()


BUILDERS = {"livecodebench": build_v1, "livecodebench_v5": build_v5}
