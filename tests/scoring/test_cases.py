"""Pitfalls found in a first check of math-verify 0.9 on these sets, named after the row they came from."""

from harness import load_task
from harness.scoring import score_answer, score_response
from harness.scoring.extract import choice_letters, last_boxed, split_thinking


def test_math500_bare_dfrac_gold_is_wrapped():  # bare \dfrac{9}{7} parses to nothing unless in $...$
    assert score_answer("\\boxed{\\frac{9}{7}}", "\\dfrac{9}{7}", "latex").correct


def test_gaokao_cloze_list_gold_not_read_as_decimal():  # bare 1,3,5 parses to 1.3
    assert not score_answer("\\boxed{1.3}", "1,3,5", "latex").correct


def test_gaokao2024_multi_choice_letters_as_sets():  # 'ACD' would parse as a*c*d
    assert score_answer("The answer is \\boxed{A, C, D}", "ACD", "choice").correct
    assert score_answer("\\boxed{DCA}", "ACD", "choice").correct
    assert not score_answer("\\boxed{AC}", "ACD", "choice").correct


def test_gaokao2023en_letters_beyond_d():  # StringExtractionConfig covers A-D only
    assert score_answer("so the answer is K", "K", "choice").correct
    assert not score_answer("so the answer is J", "K", "choice").correct


def test_gaokao_math_qa_spaced_label():  # one label is written 'A B D'
    assert score_answer("\\boxed{ABD}", "A B D", "choice").correct


def test_gaokao2024_mix_mathrm_i_is_the_imaginary_unit():  # \mathrm{i} was stripped as a unit: 1-5i became -4
    assert not score_answer("\\boxed{-4}", "1-5\\mathrm{i}", "latex").correct
    assert score_answer("\\boxed{1-5i}", "1-5\\mathrm{i}", "latex").correct


def test_minerva_e_notation():  # 4.5e33 parsed as 4.5*e*33
    assert score_answer("\\boxed{4.5 \\times 10^{33}}", "4.5e33", "latex").correct
    assert not score_answer("\\boxed{4.5}", "4.5e33", "latex").correct
    assert not score_answer("\\boxed{1.325e-27}", "2.88e-19", "latex").correct  # 6-decimal rounding made these equal


def test_gaokao2023en_bare_units():
    assert score_answer("\\boxed{20}", "20 $cm^{2}$", "latex").correct
    assert score_answer("\\boxed{20 cm^{2}}", "20 $cm^{2}$", "latex").correct
    assert not score_answer("\\boxed{3}", "3s^2", "latex").correct  # one-letter 'units' stay algebra


def test_circled_number_answers():
    assert score_answer("\\boxed{①③④}", "①③④", "choice").correct
    assert score_answer("\\boxed{(1)(3)(4)}", "①③④", "choice").correct
    assert not score_answer("\\boxed{①③}", "①③④", "choice").correct


def test_blanks_each_compared():  # gaokao_math_cloze '$5$;$10$'
    assert score_answer("$\\boxed{5}$ and $\\boxed{10}$", "$5$;$10$", "blanks").correct
    assert not score_answer("$\\boxed{5}$ and $\\boxed{11}$", "$5$;$10$", "blanks").correct


def test_equation_is_not_its_right_hand_side():  # gaokao2023en row 6 vs row 7
    assert not score_answer("\\boxed{\\frac{x^2}{2}-\\frac{y^2}{2}=1}", "1", "latex").correct
    assert score_answer("\\boxed{x=5}", "5", "number").correct


def test_thinking_split_and_unclosed_thinking():
    assert split_thinking("<think>a</think>b").answer == "b"
    assert split_thinking("a</think>b").thinking == "a"
    s = split_thinking("<think>still going")
    assert s.opened and not s.closed
    assert score_response("<think>\\boxed{18}", "18", "number").reason == "thinking_not_closed"
    assert score_response("<think>x</think>\\boxed{18}", "18", "number").correct
    assert score_response("\\boxed{18}", "18", "number").correct  # a model without thinking


def test_no_answer_is_recorded_as_such():
    s = score_answer("I do not know.", "18", "number")
    assert not s.correct and s.reason == "no_final_answer"
    assert score_answer("  ", "18", "number").reason == "no_answer"


def test_extractors():
    assert last_boxed("\\boxed{1} then \\boxed{\\frac{a}{b}}") == "\\frac{a}{b}"
    assert choice_letters("答案为 B") == "B"
    assert choice_letters("\\boxed{C. 1-i}") == "C"


def test_public_api_load_task_and_score(data_dir):
    task = load_task("gsm8k", data_dir=data_dir)
    sample = task.samples[0]
    assert sample.id == "0" and sample.gold == "18"
    r = task.score(sample, "<think>16-3-4=9, 9*2=18</think> The answer is \\boxed{18}.")
    assert r.correct and r.extracted == "18"
    assert not task.score("0", "<think>cut at the budget").correct
