"""The lesson on C69–C71 (augmentation, greedy pre-training, hard vs soft constraints) runs in
--fast mode and gives a verdict, with its figures, for each of its claims (what the verdict is
belongs to the measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_data_and_constraints_lesson_gives_a_verdict_and_figures_for_each_claim(tmp_path):
    check_lesson_fast("l46_data_and_constraints", tmp_path)
