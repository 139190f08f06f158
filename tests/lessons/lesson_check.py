"""Shared check for the lesson tests: run a lesson in --fast mode and verify that each of its
claims got a verdict line and that every figure it names was written (not what the verdict is:
the verdict belongs to the measurement)."""

from pathlib import Path

from lessons._lesson import STATUSES
from lessons._runner import LESSONS_DIR, LessonFile, claims_in, run_lesson


def check_lesson_fast(name: str, output: Path, seed: int = 0) -> list[dict]:
    """Run ``lessons/<name>.py --fast`` with its output in ``output``; return its verdicts."""
    path = LESSONS_DIR / f"{name}.py"
    claims = claims_in(path.read_text(encoding="utf-8"))
    run = run_lesson(LessonFile(name, path, claims), fast=True, seed=seed, output=output)
    assert run.returncode == 0, f"{name} --fast failed:\n{run.stderr[-3000:]}"
    printed = [line.split()[0] for line in run.stdout.splitlines()
               if any(f" {status}  " in line for status in STATUSES)]
    for claim in claims:
        assert claim in printed, f"{name}: no verdict line for {claim}; stdout:\n{run.stdout}"
    recorded = {verdict["id"]: verdict for verdict in run.verdicts}
    assert sorted(recorded) == sorted(claims), f"{name}: recorded {sorted(recorded)}, " \
                                               f"expected {claims}"
    for verdict in run.verdicts:
        for figure in verdict["figures"]:
            png = output / name / f"{figure}.png"
            assert png.exists() and png.stat().st_size > 1000, f"{name}: {png} missing or empty"
    return run.verdicts
