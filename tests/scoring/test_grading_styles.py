"""One test per answer-style class of issue 23 (grading that generalises across publishers). Cases from real
published outputs quote the closing lines of a response of a source in benchmarks/grading_sources.yaml and are
named `<source>_<model>_<task>_<row>`; the others are constructed and say so. Golds are the harness tasks' golds."""

import pytest

from harness.scoring import score_answer, score_response
from harness.scoring.choice import check_choice, options_from_question
from harness.scoring.extract import final_answer


def graded(answer, gold, answer_type="number"):
    return score_answer(answer, gold, answer_type)


# --- explicit markers on the last line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,resp,gold,correct,extracted",
    [
        (
            "rft_gsm8k_phi35_mini_instruct_gsm8k_row542",
            "Ann is 9 years old, and her brother is twice her age, so her brother is 9 * 2 = 18 years old. In 3 "
            "years, her brother will be 18 + 3 = 21 years old. #### 21",
            "21",
            True,
            "21",
        ),
        ("rft_gsm8k_phi35_mini_instruct_gsm8k_row322", "15 - 7 + 5 = #### 13", "13", True, "13"),
        (  # the marker touches the number and a unit follows: still the model's answer (a wrong one)
            "rft_gsm8k_phi35_mini_instruct_gsm8k_row1053",
            "Brendan started with 10 marbles, dropped half (10/2 = 5), found 3, and discarded 1 non-marble bead, so "
            "he ended up with 5 + 3 - 1 = ####8 marbles.",
            "7",
            False,
            "8",
        ),
        ("rft_gsm8k_phi35_mini_instruct_gsm8k_28", "= $1.00\nFinal answer: #### 1.00", "1", True, "1.00"),
        ("rft_gsm8k_phi35_mini_instruct_gsm8k_592", "5 * 50 + 20.\n\n#### 250 + 20 = 270", "270", True, "270"),
        (
            "openai_gsm8k_gpt3_175b_finetuning_gsm8k_6",
            "Together, they have 160+80+20=260 sheep\nA: 260",
            "260",
            True,
            "260",
        ),
        ("constructed_chinese_marker", "所以 $f(1)=3$。\n故答案为：$3$", "3", True, "3"),
    ],
)
def test_explicit_markers(name, resp, gold, correct, extracted):
    s = graded(resp, gold)
    assert (s.correct, s.extracted, s.reason) == (correct, extracted, None), name


def test_rft_gsm8k_leftpad_gsm8k_304_two_numbers_are_not_their_sum():
    s = graded("3. Tim has 9 - 3 = 6 red shoe boxes left.\n\nFinal answer: #### 4 6", "10")
    assert not s.correct and s.extracted == "4, 6"


def test_a_markdown_heading_is_no_marker():  # constructed: a response cut right after its heading
    assert final_answer("The total is 5 + 3.\n\n#### Step 3: Compute the cost") is None


# --- closing statements in other publishers' words --------------------------------------------------------------


@pytest.mark.parametrize(
    "name,resp,gold",
    [
        (
            "rl_sft_qwen25_math_15b_nb_math500_39",
            "The greatest common factor of 6432 and 132 is 12. When we increase this by 11, we get 23.",
            "23",
        ),
        (
            "rl_sft_qwen25_math_15b_nb_olympiadbench_338",
            "7. **Conclusion**: The four-digit number $n$ whose square root is three times the sum of its digits "
            "is $2916$.",
            "2916",
        ),
        (
            "rl_sft_qwen25_math_15b_nb_olympiadbench_537",
            "6. **Conclusion**: The area of triangle $A B C$ is $12$ square units.",
            "12",
        ),
        ("constructed_leading_clause", "Solving this inequality, we find that the maximum value of $a+b$ is $4$.", "4"),
        (
            "skythought_sky_t1_wrong_5k_27b_minerva_56",
            "Thus, the final answers are:\n- Net Primary Productivity (NPP) = 15,000 kcal m⁻² yr⁻¹\n"
            "- Net Community Production (NCP) = 11,000 kcal m⁻² yr⁻¹",
            "11000",
        ),
        (
            "skythought_sky_t1_wrong_5k_27b_minerva_211",
            "So, to summarize:\n\n- NH₄OH: 35.06 g/mol\n\n- NaHCO₃: 84.01 g/mol\n\nI think that's it. Let me know if "
            "you have any other questions.",
            "84.01",
        ),
        (
            "rl_sft_qwen25_math_7b_offrlvr20_minerva_181",
            "we get $E = (2.48 \\times 10^{-19} \\text{ J}) / (1.602 \\times 10^{-19} \\text{ J/eV})"
            " = 1.55 \\text{ eV}$.\n 1.55 eV",
            "1.55",
        ),
        (
            "rl_sft_qwen25_math_7b_offrlvr20_minerva_189",
            "\\boxed{E = 2.12e-20/1.602e-19 = 0.13 eV}",
            "0.13",
        ),
        (
            "reasoning_gym_rlft_minerva_174",
            "\\lambda_p \\approx 3.89 \\times 10^{-10} \\, \\text{m}\n   \\]\n</think> \n<answer> 3.89e-10",
            "3.89e-10",
        ),
        ("constructed_stray_tokens_after_the_statement", "So the measure of the angle is $45^\\circ$. aurea", "45"),
        ("constructed_quantity_asked", "The discount was $4.\nSo the shirt originally cost $36.", "36"),
        ("constructed_box_without_backslash", "We compute it: the answer is 6. boxed{6}", "6"),
        ("constructed_computation_in_math", "So there are $10\\cdot9=90$ different combinations.", "90"),
    ],
)
def test_closing_statements(name, resp, gold):
    s = graded(resp, gold)
    assert s.correct, (name, s)


def test_rl_sft_qwen25_math_7b_to_amc23_245_code_output_without_a_statement_is_unanswered():
    resp = "n = len(solutions_list)\nprint(n)\n```\n```output\n7\n```\n\nReach max function call limit."
    assert graded(resp, "7").reason == "no_final_answer"


def test_constructed_box_cut_off_is_unanswered():  # the shape: a number from the working was credited
    s = graded("We have x = 12 from the working above.\n\nThus, the final answer is \\( \\boxed{", "12")
    assert not s.correct and s.reason == "no_final_answer"


def test_reasoning_gym_rlft_answer_tags_and_repeating_decimals():  # Qwen-2.5-3B-rlft gsm8k 20
    resp = "<think>\n... = 15.\\overline{3} liters\n</think> \n<answer> \\boxed{15.\\overline{3}}"
    s = score_response(resp, "15", "number")
    assert not s.correct and s.extracted == "\\frac{46}{3}"
    assert score_answer("\\boxed{0.\\overline{3}}", "\\frac13", "latex").correct


# --- comparison: neither too lenient nor too strict -------------------------------------------------------------


def test_constructed_decimals_for_an_exact_irrational_gold_are_rounded():
    assert not graded("\\boxed{-3.3588989, 5.3588989}", "1 \\pm \\sqrt{19}", "latex").correct
    assert graded("\\boxed{1 - \\sqrt{19}, 1 + \\sqrt{19}}", "1 \\pm \\sqrt{19}", "latex").correct
    assert graded("\\boxed{0.5}", "\\frac{1}{2}", "latex").correct  # an exact decimal stays right


def test_constructed_complex_number_in_another_order():
    assert graded("\\boxed{-8 - 8i\\sqrt{3}}", "-8-8\\sqrt{3} i", "latex").correct
    assert not graded("\\boxed{-8 + 8i\\sqrt{3}}", "-8-8\\sqrt{3} i", "latex").correct


@pytest.mark.parametrize(
    "name,resp,gold",
    [
        ("reasoning_gym_rlft_gaokao2023en_220", "</think> \n<answer> \\boxed{4^x}", "A"),
        ("reasoning_gym_rlft_gaokao2023en_242", "</think> \n<answer> \\boxed{10656}", "C"),
    ],
)
def test_choice_answered_by_an_inline_options_value(name, resp, gold):
    question = {
        "A": "Which expression is equivalent to $16^{\\left(\\frac12 x\\right)}$: (A) $4^{x}$ (B) $8^{x}$ (C) $8x$ "
        "(D) $16\\sqrt{x}$",
        "C": "which of the following is closest to the number of votes received by the first candidate: (A) 1,911 "
        "(B) 3,676 (C) 10,656 (D) 14,601",
    }[gold]
    options = options_from_question(question)
    assert list(options) == ["A", "B", "C", "D"]
    assert score_response(resp, gold, "choice", options=options).correct, name


def test_constructed_choice_answered_by_a_complex_value():
    options = options_from_question("Which is z?\nA. 1+i\nB. 2\nC. 1-\\mathrm{i}\nD. i")
    assert check_choice("So z = \\boxed{1-i}", "C", options) == (True, "C")
