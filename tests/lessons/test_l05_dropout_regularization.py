"""The lesson on dropout as a regularizer (C10, C12, C15, C17, C18, C19) runs in --fast mode and
gives a verdict, with its figures, for each of its claims (what the verdict is belongs to the
measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_dropout_regularization_lesson_gives_a_verdict_and_figures_for_each_claim(tmp_path):
    check_lesson_fast("l05_dropout_regularization", tmp_path)
