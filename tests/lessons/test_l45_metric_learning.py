"""The lesson on C68 (triplet loss margin) runs in --fast mode and gives a verdict, with its
figure (what the verdict is belongs to the measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_metric_learning_lesson_gives_a_verdict_and_figures_for_each_claim(tmp_path):
    check_lesson_fast("l45_metric_learning", tmp_path)
