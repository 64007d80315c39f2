"""Every row of every math task: the gold written as models write it grades correct, and the gold of
another row with a different answer grades wrong. (A gold matched against itself proves nothing:
math_verify keeps the raw string as a fallback.) Cases come from the vendored sets in shared/data."""

import re

import pytest

from harness.data import load_rows
from harness.scoring import score_answer
from harness.tasks import build_samples, expand_task_names

MATH_TASKS = [
    "gsm8k",
    "math500",
    "math",
    "aime24",
    "aime25",
    "amc23",
    "gaokao2023en",
    "gaokao2024_I",
    "gaokao2024_II",
    "gaokao2024_mix",
    "gaokao_math_cloze",
    "gaokao_math_qa",
    "minerva_math",
    "olympiadbench",
]
# Rows whose gold cannot be graded as written, each with the reason (kept empty when all pass).
KNOWN_MISSES: dict[tuple[str, str], str] = {}


def written_forms(gold: str, answer_type: str) -> list[str]:
    """How a model writes this gold: boxed, in a sentence, \\dfrac for \\frac, letters as 'A, C' or '(A)'."""
    bare = re.sub(r"(?<!\\)\$", "", gold).strip().rstrip(".").removesuffix("solution:")
    if answer_type == "choice":
        letters = re.findall(r"[A-K]", gold)
        if letters:
            return [
                f"\\boxed{{{', '.join(letters)}}}",
                f"The answer is ({letters[0]})" if len(letters) == 1 else f"The answer is {', '.join(letters)}.",
            ]
        return [f"\\boxed{{{bare}}}"]
    if answer_type == "blanks":
        parts = [p.replace("$", "").strip() for p in re.split(r"(?<!\\);", gold)]
        return [" and ".join(f"$\\boxed{{{p}}}$" for p in parts), f"\\boxed{{{'; '.join(parts)}}}"]
    forms = [
        f"So the final answer is $\\boxed{{{bare}}}$.",
        f"The answer is ${bare.replace(chr(92) + 'frac', chr(92) + 'dfrac')}$.",
    ]
    return forms


def _key(s: str) -> str:
    """Gold strings that state the same value: 'x=5' and '5', '\\frac34' and '\\frac{3}{4}', '120^\\circ' and '120'."""
    s = re.sub(r"^\s*\$?\s*[a-zA-Z]\s*=", "", s)
    s = re.sub(r"\\[dt]?frac(\d)(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\^\{?\\circ\}?|\\%|%|\\\{|\\\}", "", s)
    return re.sub(r"[\s$]|\\[,;!]|\\left|\\right", "", s).rstrip(".")


def _figures(task: str, data_dir):
    spec = expand_task_names([task])[0]
    rows, _ = load_rows(spec.task, spec.folder, spec.hub, data_dir)
    samples = build_samples(spec, rows)
    right, wrong_ok, misses = 0, 0, []
    for i, s in enumerate(samples):
        forms = written_forms(s.gold, s.answer_type)
        bad = [f for f in forms if not score_answer(f, s.gold, s.answer_type).correct]
        if bad:
            misses.append((s.id, "written form graded wrong", s.gold, bad[0]))
        else:
            right += 1
        other = next(o for o in samples[i + 1 :] + samples[:i] if _key(o.gold) != _key(s.gold))
        form = written_forms(other.gold, s.answer_type)[0]
        if score_answer(form, s.gold, s.answer_type).correct:
            misses.append((s.id, "other row's gold graded right", s.gold, form))
        else:
            wrong_ok += 1
    return len(samples), right, wrong_ok, misses


@pytest.mark.parametrize("task", MATH_TASKS)
def test_gold_as_written_is_right_and_other_rows_are_wrong(task, data_dir):
    n, right, wrong_ok, misses = _figures(task, data_dir)
    print(f"\n{task}: written-form correct {right}/{n}, other-row wrong {wrong_ok}/{n}")
    unexpected = [m for m in misses if (task, m[0]) not in KNOWN_MISSES]
    assert not unexpected, "\n".join(map(str, unexpected[:20]))
