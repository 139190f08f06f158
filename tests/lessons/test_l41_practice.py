"""The lesson on C59, C61, C63, C67 (label smoothing, balancing two losses, batch size, weight
decay) runs in --fast mode and gives a verdict, with its figures, for each of its claims (what
the verdict is belongs to the measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_practice_lesson_gives_a_verdict_and_figures_for_each_claim(tmp_path):
    check_lesson_fast("l41_practice", tmp_path)
