"""One test per grading-error class of issue 18. Cases from real published outputs quote the closing lines of a
response in NovaSky-AI/SkyThought's Qwen2.5-Math-style evaluation dumps (tests/data/grading_corpus/README.md
gives the files and commits) and are named `skythought_<model>_<task>_<id>`; the others are constructed and say so.
Golds are the vendored sets' own (harness task golds)."""

import pytest

from harness import load_task
from harness.scoring import score_answer, score_response
from harness.scoring.extract import final_answer


def ok(answer, gold, answer_type="latex"):
    return score_answer(answer, gold, answer_type).correct


# --- no final answer: unanswered, never a number scraped from the working -------------------------------------


def test_final_answer_rule_is_explicit():
    assert final_answer("Work.\n\\boxed{12} and later \\boxed{}").text == "12"  # last non-empty box
    assert final_answer("So we get $x=3$.\n\nTherefore, the value of $n$ is $3$.").text == "3"  # closing statement
    assert final_answer("Thus, the final answer is:\n\\[ 5x - 7y + 11z + 4 = 0 \\]").text == "5x - 7y + 11z + 4 = 0"
    assert final_answer(" 18").how == "whole"  # an answer alone, as after a forced 'Final Answer:'
    assert final_answer("We have 2x = 6, so x = 3. Alternatively, we could") is None  # cut off mid-thought
    assert final_answer("Then 2x = 6.\nLet me know if you'd like more detail on any step.") is None


def test_skythought_gemma2_27b_math500_algebra_2277_ends_offering_more_detail():
    resp = (
        "This equation is difficult to solve algebraically. You would likely need to use numerical methods to "
        "approximate the solution.\n\nLet me know if you'd like me to elaborate on any of the steps or help with "
        "the numerical solution for *f⁻¹(6)*."
    )
    s = score_answer(resp, "0", "latex")
    assert not s.correct and s.reason == "no_final_answer"


def test_skythought_sky_t1_math_amc23_8_unclosed_begin_of_thought():
    resp = (
        "<|begin_of_thought|>\n\nAlright, so I've got this equation to solve... the product of the solutions is 3."
        "\n\nAlternatively, perhaps I need to consider that the equation is quadratic in \\(y\\), and the product"
    )
    s = score_response(resp, "3", "number")  # the default <think> markers are absent: other markers are recognised
    assert not s.correct and s.reason == "thinking_not_closed"
    closed = resp.replace(
        "and the product",
        "and the product is 3.\n<|end_of_thought|>\n<|begin_of_solution|>\n"
        "The product of all solutions is \\(\\boxed{3}\\).\n<|end_of_solution|>",
    )
    assert score_response(closed, "3", "number").correct


def test_skythought_sky_t1_math_math500_1168_cut_mid_sentence():
    resp = "Modulus is sqrt(16^2 + 112^2) = sqrt(12800) = 16 * sqrt(5)\n\nBut earlier methods gave me 16, so"
    assert score_answer(resp, "16", "number").reason == "no_final_answer"


# --- unboxed final answers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,resp,gold",
    [
        (
            "skythought_sky_t1_math500_number_theory_911",
            "All these methods lead to the same conclusion that the sum is "
            "congruent to 3 modulo 9.\n\nTherefore, the value of n is 3.",
            "3",
        ),
        ("skythought_sky_t1_math500_algebra_2779", "Therefore, the sum \\(a + b + c = 11 + 9 + 0 = 20\\).", "20"),
        (
            "skythought_sky_t1_math500_prealgebra_1840",
            "Profit: $93 - $15 = $78.\n\nEverything seems to add up correctly. I think that's the right answer.",
            "78",
        ),
        (
            "skythought_sky_t1_math500_prealgebra_2037",
            "So, based on the information given, Karla would have saved 550 "
            "gallons of gasoline last year by driving the hybrid car instead of the SUV.",
            "550",
        ),
        ("skythought_sky_t1_minerva_246", "**Final answer for Subproblem 1:** 3 bushels", "3"),
        ("skythought_gemma2_27b_amc23_43", "**4. Find m + n:**\n\nm + n = 25 + 169 = **194**", "194"),
    ],
)
def test_unboxed_final_answer(name, resp, gold):
    assert ok(resp, gold, "number"), name


# --- thousands separators must not corrupt tuples, intervals and lists -----------------------------------------


@pytest.mark.parametrize(
    "name,answer,gold",
    [
        (
            "skythought_qwen25_14b_math500_intermediate_algebra_1981",
            "\\boxed{(2, 12) \\cup (12, 102)}",
            "(2,12) \\cup (12,102)",
        ),
        ("skythought_sky_t1_olympiadbench_2165", "\\boxed{(2, 251, 252)}", "$(2,251,252)$"),
        (
            "skythought_sky_t1_olympiadbench_2460",
            "\\boxed{(1, 1006), (3, 331), (11, 31)}",
            "$(1,1006),(3,331),(11,31)$",
        ),
        (
            "skythought_qwen25_14b_olympiadbench_2684",
            "\\boxed{27, 54, 108, 135, 189, 216, 270, 297, 351, 378}",
            "27,54,108,135,189,216,270,297,351,378",
        ),
    ],
)
def test_separators_inside_structures(name, answer, gold):
    assert ok(answer, gold), name


def test_thousands_separator_still_joined():  # MATH-500 counting_and_probability/508 writes 10,\!080
    assert ok("\\boxed{10080}", "10,\\!080") and ok("\\boxed{10,080}", "10080")
    assert not ok("\\boxed{(1, 23) \\cup (23, 456)}", "(1,23456)")  # constructed: a separator inside an interval


# --- subscripted symbols and physics notation --------------------------------------------------------------------


def test_skythought_qwen25_14b_minerva_268_subscripted_energies():
    assert ok("\\[ \\boxed{\\frac{1}{3} E_1 + \\frac{2}{3} E_2} \\]", "\\frac{1}{3} E_{1}+\\frac{2}{3} E_{2}")
    assert not ok("\\boxed{\\frac{2}{3} E_1 + \\frac{1}{3} E_2}", "\\frac{1}{3} E_{1}+\\frac{2}{3} E_{2}")


def test_skythought_qwen25_14b_minerva_269_list_of_subscripts():
    assert ok("\\[ \\boxed{E_{1}, E_{2}} \\]", "E_{1},E_{2}")


def test_skythought_qwen25_14b_minerva_27_solar_units():
    gold = "\\frac{dM}{dt}=\\frac{10^{5} L_{\\odot}}{0.007 c^{2} M_{\\odot}^{6}} M^{6}"
    assert ok("\\[ \\boxed{\\frac{dM}{dt} = \\frac{10^8 L_{\\odot}}{7 c^2 M_{\\odot}^6} M^6} \\]", gold)
    assert not ok("\\[ \\boxed{\\frac{dM}{dt} = \\frac{10^7 L_{\\odot}}{7 c^2 M_{\\odot}^6} M^6} \\]", gold)


# --- name = value --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,answer,gold",
    [
        ("skythought_gemma2_27b_math500_geometry_221", "**Answer:**  $\\boxed{QM = 30}$", "30"),
        ("skythought_sky_t1_olympiadbench_2532", "the values of $a$ and $b$ are $\\boxed{a = -2, b = -2}$.", "-2,-2"),
        ("skythought_sky_t1_math500_geometry_178", "In conclusion, we have confirmed that:\n\n$$\\tan A = 2$$", "2"),
        (
            "skythought_sky_t1_minerva_77",
            "\\boxed{A = \\frac{1}{4 - \\omega^2}, \\quad \\text{for } \\omega^2 \\neq 4}",
            "\\frac{1}{4-\\omega^{2}}",
        ),
        (
            "skythought_sky_t1_minerva_111",
            "\\boxed{Y(s) = \\frac{1}{s + a} \\quad \\text{for } s > -a}",
            "\\frac{1}{s+a}",
        ),
        ("constructed_ab_equals", "\\boxed{AB = 12}", "12"),
        ("constructed_a_b_pairs", "\\boxed{a = 2, b = -3}", "2, -3"),
    ],
)
def test_name_equals_value(name, answer, gold):
    assert ok(answer, gold), name


def test_equation_guard_stays_strict():  # gaokao2023en row 6 (the existing guard) and a constructed sum
    assert not ok("\\boxed{\\frac{x^2}{2}-\\frac{y^2}{2}=1}", "1")
    assert not ok("\\boxed{x + y = 5}", "5")


# --- words and ordinals ------------------------------------------------------------------------------------------


def test_skythought_math500_prealgebra_1865_ordinal_grade():
    assert ok("Therefore, the final answer is $\\boxed{12^{\\mathrm{th}}\\text{ grade}}$.", "12")
    assert ok("\\boxed{12^{\\text{th}}\\text{ grade}}", "12")


def test_skythought_sky_t1_math500_prealgebra_105_direction_word():
    assert ok("But I think I've got it right.\n\nSo, the final answer is east.", "\\text{east}")
    assert not ok("So, the final answer is west.", "\\text{east}")
    assert ok("The answer is north", "\\text{north}")  # constructed


def test_skythought_sky_t1_minerva_251_words_equation():
    assert ok(
        "- Subproblem 0: \\( \\boxed{\\text{SRAC} = \\text{LRAC}} \\) - Subproblem 1: "
        "\\( \\boxed{\\text{SRMC} = \\text{LRMC}} \\)",
        "SRMC=LRMC",
    )


def test_skythought_sky_t1_math500_counting_761_number_word():
    assert ok("Therefore, I'm confident that the answer is three boxes contain neither pens nor pencils.", "3")


# --- gold numerals in unusual forms ------------------------------------------------------------------------------


def test_minerva_gold_numerals_with_stray_point():  # Minerva golds '-2./5' (constructed), '-3./2' (idx 49, real)
    assert ok("\\boxed{-\\frac{2}{5}}", "-2./5") and ok("\\boxed{-0.4}", "-2./5")
    assert ok("Therefore, the slope of the $\\log N(>F)$ vs. $\\log F$ curve is $-1.5$.", "-3./2")
    assert not ok("\\boxed{-2}", "-2./5")


def test_percent_gold():  # olympiadbench 2341 gold '17.5%'; constructed '12.5\%'
    assert ok("the percentage ... is \\(\\boxed{17.5}\\).", "17.5%")
    assert ok("\\boxed{12.5\\%}", "12.5\\%") and ok("\\boxed{12.5}", "12.5\\%")


# --- other -------------------------------------------------------------------------------------------------------


def test_skythought_gemma2_27b_minerva_100_variable_m_not_a_unit():
    assert ok("**Answer:**\n\n*  \\boxed{b = m}", "m")
    assert ok("Final answer: \\[ \\boxed{\\frac{37m}{4}} \\]", "\\frac{37}{4} m")  # qwen25_14b minerva 104
    assert ok("\\boxed{5 m}", "5")  # constructed: metres after a number are still a unit


def test_skythought_qwen25_14b_minerva_71_sinh_against_exponentials():
    assert ok("\\[ \\boxed{\\frac{1}{a} \\sinh(at)} \\]", "\\frac{1}{2a}(\\exp{a*t} - \\exp{-a*t})")
    assert ok("\\[ \\boxed{x(t) = \\cosh(at)} \\]", "\\frac{1}{2}(\\exp{a*t} + \\exp{-a*t})")
    assert not ok("\\boxed{\\frac{1}{a} \\cosh(at)}", "\\frac{1}{2a}(\\exp{a*t} - \\exp{-a*t})")


def test_skythought_gemma2_27b_olympiadbench_2371_unicode_superscript():
    assert ok("Therefore,  \\boxed{g(x) = x² - 2x + 2}.", "$g(x)=x^2-2x+2$")
    assert not ok("\\boxed{g(x) = x³ - 2x + 2}", "$g(x)=x^2-2x+2$")


def test_skythought_qwen25_14b_olympiadbench_2532_bare_list_against_tuple():
    assert ok("Thus, the values of \\(a\\) and \\(b\\) are: \\[ \\boxed{(-2, -2)} \\]", "-2,-2")
    assert ok("\\boxed{(1, -2)}", "1,-2") and not ok("\\boxed{(1, 2)}", "1,-2")  # constructed


def test_skythought_minerva_20_rounded_gold_against_unrounded_answer():
    assert ok("Therefore, the observed wavelength of the H\\(\\alpha\\) line is:  \\[ \\boxed{6630.65} \\]", "6630")
    assert not ok("\\boxed{6640.2}", "6630")
    assert not ok("\\boxed{85.71}", "$\\frac{600}{7}$")  # olympiadbench 2426: an exact gold is not a rounded one


def test_skythought_qwen25_math_7b_minerva_44_trailing_empty_boxes():
    assert ok("so the resolution is \\boxed{0.00001} radians.\n\n\\boxed{}.  \\boxed{}.  \\boxed{}.", "1e-5")


def test_too_lenient_cases_stay_strict():
    # skythought gemma2_27b math500 precalculus/659: the question asks for gcd(|A|,|B|,|C|,|D|) = 1
    assert not ok("$\\boxed{20x - 28y + 44z + 16 = 0}$", "5x - 7y + 11z + 4 = 0")
    assert ok("\\boxed{5x - 7y + 11z + 4 = 0}", "5x - 7y + 11z + 4 = 0")
    assert ok("\\boxed{-5x + 7y - 11z - 4 = 0}", "5x - 7y + 11z + 4 = 0")  # the same equation
    # skythought gemma2_27b math500 precalculus/826 ('simplify'): an unevaluated product of cosines
    assert not ok(
        "\\[\\boxed{\\frac{1}{4} \\left[\\cos^2 \\left( \\frac{2 \\pi}{5} \\right) + \\cos \\left( \\frac{2 \\pi}{5} "
        "\\right) \\cos \\left( \\frac{2 \\pi}{15} \\right)\\right]}.\\]",
        "\\frac{1}{16}",
    )


# --- GaoKao ------------------------------------------------------------------------------------------------------


def test_gaokao_gold_function_without_backslash():  # constructed on the gaokao 'ln3' gold form
    assert ok("\\boxed{\\ln 3}", "ln3") and ok("\\boxed{\\ln3}", "ln3") and not ok("\\boxed{\\ln 2}", "ln3")
    assert ok("\\boxed{2\\sin x}", "2sinx")


def test_gaokao_math_qa_answer_given_as_the_option_value(data_dir):  # row 0: A ∩ B, gold D
    task = load_task("gaokao_math_qa", data_dir=data_dir)
    s = task.samples[0]
    assert task.score(s, "所以 $A \\cap B$ 为 \\boxed{\\{x \\mid 1 \\leq x<2\\}}").correct
    assert task.score(s, "\\boxed{D}").correct
    assert not task.score(s, "\\boxed{\\{x \\mid x>-1\\}}").correct  # the value of option A
