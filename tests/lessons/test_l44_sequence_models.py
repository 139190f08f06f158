"""The lesson on C65–C66 (a character-level language model; GRU vs LSTM) runs in --fast mode
and gives a verdict, with its figures, for each of its claims (what the verdict is belongs to
the measurement, not to the test)."""

from tests.lessons.lesson_check import check_lesson_fast


def test_sequence_models_lesson_gives_a_verdict_and_figures_for_each_claim(tmp_path):
    check_lesson_fast("l44_sequence_models", tmp_path)
