"""The lesson on C58 (gradient clipping) and C62 (over-fit a tiny set first) runs in --fast mode
and gives a verdict, with its figures, for each of its claims (what the verdict is belongs to the
measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_gradients_lesson_gives_a_verdict_and_figures_for_each_claim(tmp_path):
    check_lesson_fast("l40_gradients", tmp_path)
