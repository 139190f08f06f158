"""The lesson runner: `python -m lessons [list | run <claim|lesson>...] [--fast] [--step]`,
each lesson in its own process, verdicts gathered into REPORT.md."""

import json
import textwrap

import pytest

from lessons.__main__ import main
from lessons._lesson import Lesson
from lessons._runner import claims_in, discover, select, split_cells

GOOD_LESSON = '''\
# %% [markdown]
# # A lesson that judges two claims (C98, C99)

# %%
import matplotlib.pyplot as plt
from lessons._lesson import Lesson

lesson = Lesson("l90_good")
n = lesson.pick(full=10, fast=3)

# %% [markdown]
# The figure, then the verdicts.

# %%
fig, ax = plt.subplots()
ax.plot(range(n))
lesson.figure(fig, "c98_line")
lesson.verdict("C98", "REPRODUCED" if n > 1 else "NOT REPRODUCED", f"n = {n}",
               claim="n is more than one", figures=["c98_line"])
lesson.verdict("C99", "NUANCED" if n < 5 else "REPRODUCED", f"n = {n}", claim="n is small")
'''

CRASHING_LESSON = '''\
from lessons._lesson import Lesson

lesson = Lesson("l91_crash")
lesson.verdict("C96", "NUANCED", "reached", claim="the first claim")
raise RuntimeError("the experiment broke")
lesson.verdict("C97", "NUANCED", "never reached", claim="the second claim")
'''


@pytest.fixture
def lessons_dir(tmp_path, monkeypatch):
    """A folder with a good and a crashing lesson; output goes to tmp_path/output."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "l90_good.py").write_text(GOOD_LESSON)
    (folder / "l91_crash.py").write_text(CRASHING_LESSON)
    (folder / "_helper.py").write_text("# not a lesson\n")
    monkeypatch.setenv("MINIGRAD_LESSONS_OUTPUT", str(tmp_path / "output"))
    return folder


def test_list_shows_each_lesson_with_the_claims_it_judges(lessons_dir, capsys):
    assert main(["list"], lessons_dir=lessons_dir) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["l90_good   C98 C99", "l91_crash  C96 C97"], f"printed {lines}"


def test_claims_come_from_a_CLAIMS_list_when_the_lesson_has_one():
    source = 'CLAIMS = ["C05", "C07"]\nlesson.verdict("C06", ...)\n'
    assert claims_in(source) == ["C05", "C07"]
    assert claims_in('lesson.verdict("C10", s)\nlesson.verdict(\n  "C9", s)') == ["C9", "C10"]


def test_targets_select_lessons_by_claim_id_or_lesson_name(lessons_dir):
    lessons = discover(lessons_dir)
    names = lambda targets: [lesson.name for lesson in select(lessons, targets)]
    assert names(["C99"]) == ["l90_good"]
    assert names(["c96", "l90"]) == ["l90_good", "l91_crash"]
    assert names(["l91_crash.py"]) == ["l91_crash"]
    with pytest.raises(ValueError, match="C42"):
        select(lessons, ["C42"])


def test_run_by_claim_id_prints_verdicts_and_writes_the_report(lessons_dir, tmp_path, capsys):
    assert main(["run", "C98", "--fast"], lessons_dir=lessons_dir) == 0
    out = capsys.readouterr().out
    assert "C98 REPRODUCED  n = 3" in out and "C99 NUANCED  n = 3" in out, out
    report = (tmp_path / "output" / "REPORT.md").read_text()
    assert "| C98 | n is more than one | **REPRODUCED** | n = 3 | " \
           "[c98_line](l90_good/c98_line.png) | l90_good (fast) |" in report, report
    assert "![C98 c98_line](l90_good/c98_line.png)" in report
    assert "| C96 |  | **missing** | not run yet |" in report, "unrun lessons are listed"
    assert (tmp_path / "output" / "l90_good" / "c98_line.png").exists()


def test_a_crashing_lesson_is_reported_and_the_others_still_run(lessons_dir, tmp_path, capsys):
    assert main(["--fast", "--seed", "3"], lessons_dir=lessons_dir) == 1, "exit 1: a lesson failed"
    out = capsys.readouterr().out
    assert "C98 REPRODUCED" in out and "C96 NUANCED  reached" in out
    assert "l91_crash FAILED" in out and "RuntimeError: the experiment broke" in out
    assert "2 REPRODUCED, 0 NOT REPRODUCED, 1 NUANCED, 1 missing" not in out  # C99 is NUANCED
    assert "1 REPRODUCED, 0 NOT REPRODUCED, 2 NUANCED, 1 missing" in out, out
    report = (tmp_path / "output" / "REPORT.md").read_text()
    assert "| C97 |  | **missing** | lesson failed: RuntimeError: the experiment broke |" in report
    run = json.loads((tmp_path / "output" / "l91_crash" / "run.json").read_text())
    assert run["mode"] == "fast" and run["seed"] == 3 and run["returncode"] == 1


def test_report_rows_are_sorted_by_claim_number(lessons_dir, tmp_path):
    main(["--fast"], lessons_dir=lessons_dir)
    report = (tmp_path / "output" / "REPORT.md").read_text()
    ids = [line.split("|")[1].strip() for line in report.splitlines() if line.startswith("| C")]
    assert ids == ["C96", "C97", "C98", "C99"], ids


def test_step_mode_runs_the_cells_in_order_and_pauses_after_each(lessons_dir, monkeypatch,
                                                                  capsys):
    prompts = []
    monkeypatch.setattr("builtins.input", prompts.append)
    assert main(["run", "l90_good", "--step", "--fast"], lessons_dir=lessons_dir) == 0
    out = capsys.readouterr().out
    assert len(prompts) == 2, f"one pause per code cell, got {prompts}"
    assert out.index("A lesson that judges") < out.index("cell 1/2") \
        < out.index("The figure, then") < out.index("[figure]") < out.index("C98 REPRODUCED")


def test_split_cells_separates_prose_from_code_and_keeps_line_numbers():
    source = "# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n"
    cells = split_cells(source)
    assert [(c.kind, c.text.strip(), c.line) for c in cells] == [
        ("markdown", "# Title\n\ntext", 2), ("code", "x = 1", 7)]


def test_lesson_reads_its_options_and_picks_sizes(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_LESSONS_OUTPUT", str(tmp_path))
    lesson = Lesson("l99_x", argv=["--fast", "--seed", "7"])
    assert (lesson.fast, lesson.step, lesson.seed) == (True, False, 7)
    assert lesson.pick(full=1000, fast=10) == 10
    assert lesson.out_dir == tmp_path / "l99_x"
    assert Lesson("l99_x", argv=[]).pick(full=1000, fast=10) == 1000


def test_verdict_rejects_an_unknown_status_and_unsaved_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_LESSONS_OUTPUT", str(tmp_path))
    lesson = Lesson("l99_x", argv=[])
    with pytest.raises(ValueError, match="PASSED"):
        lesson.verdict("C01", "PASSED", "1", claim="c")
    with pytest.raises(FileNotFoundError, match="c01_missing"):
        lesson.verdict("C01", "REPRODUCED", "1", claim="c", figures=["c01_missing"])


def test_a_new_run_starts_with_no_old_verdicts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIGRAD_LESSONS_OUTPUT", str(tmp_path))
    Lesson("l99_x", argv=[]).verdict("C01", "NUANCED", "old", claim="c")
    assert capsys.readouterr().out == "C01 NUANCED  old\n"
    Lesson("l99_x", argv=[])
    assert json.loads((tmp_path / "l99_x" / "verdicts.json").read_text()) == []


def test_run_needs_a_target(capsys):
    with pytest.raises(SystemExit):
        main(["run"])
    assert "needs claim ids" in textwrap.dedent(capsys.readouterr().err)
