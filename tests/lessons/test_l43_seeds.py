"""The lesson on C64 runs in --fast mode and gives a verdict, with its figures, for its claim
(what the verdict is belongs to the measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_seeds_lesson_gives_a_verdict_and_figures_for_its_claim(tmp_path):
    check_lesson_fast("l43_seeds", tmp_path)
