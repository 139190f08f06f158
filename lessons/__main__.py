"""Run the lessons and write the report.

    python -m lessons                       run every lesson (full size), write the report
    python -m lessons list                  the lessons and the claims each one judges
    python -m lessons run C07 l02_capacity  only these claims' lessons (ids or lesson names)
    options: --fast (small sizes, as CI)  --step (in this terminal, pausing after each cell)
             --seed N (default 0)

Each lesson runs in its own Python process, so a crash is reported and the others still run.
Figures and verdicts go to lessons/output/<lesson>/, the report to lessons/output/REPORT.md.
"""

import argparse
import sys
from pathlib import Path

from lessons import _runner


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lessons", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("command", nargs="?", default="all", choices=["all", "list", "run"])
    parser.add_argument("targets", nargs="*", help="claim ids or lesson names (for `run`)")
    parser.add_argument("--fast", action="store_true", help="small sizes, as in CI")
    parser.add_argument("--step", action="store_true",
                        help="run in this terminal, print each cell's prose, pause after it")
    parser.add_argument("--seed", type=int, default=0, help="base random seed (default 0)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="stop a lesson after this many seconds")
    options = parser.parse_args(argv)
    if options.command == "run" and not options.targets:
        parser.error("`run` needs claim ids or lesson names, e.g. `run C07 l01_regularization`")
    if options.command != "run" and options.targets:
        parser.error(f"`{options.command}` takes no targets (did you mean `run`?)")
    return options


def list_lessons(lessons: list[_runner.LessonFile]) -> None:
    width = max((len(lesson.name) for lesson in lessons), default=0)
    for lesson in lessons:
        print(f"{lesson.name:<{width}}  {' '.join(lesson.claims)}")


def run_all(lessons: list[_runner.LessonFile], options,
            reported: list[_runner.LessonFile]) -> int:
    """Run ``lessons``, print their verdicts, write the report on ``reported`` (all lessons:
    those not run now keep their last results); 1 if any lesson failed."""
    if options.step:
        for lesson in lessons:
            _runner.run_stepwise(lesson, fast=options.fast, seed=options.seed)
        print(f"report: {_runner.write_report(reported)}")
        return 0
    from tqdm import tqdm

    runs = []
    with tqdm(total=len(lessons), unit="lesson", file=sys.stderr) as bar:
        for lesson in lessons:
            bar.set_postfix_str(lesson.name)
            run = _runner.run_lesson(lesson, fast=options.fast, seed=options.seed,
                                     timeout=options.timeout)
            runs.append(run)
            for line in _describe(run):
                bar.write(line)
            bar.update()
    return _finish(runs, reported)


def _describe(run: _runner.LessonRun) -> list[str]:
    lines = [f"{v['id']} {v['status']}  {v['numbers']}" for v in run.verdicts]
    if run.returncode != 0:
        tail = run.stderr.strip().splitlines()[-12:]
        lines += [f"{run.lesson.name} FAILED after {run.seconds:.0f} s: {run.error}",
                  *("    " + line for line in tail)]
    else:
        lines.append(f"  ({run.lesson.name}: {run.seconds:.1f} s)")
    return lines


def _finish(runs: list[_runner.LessonRun], reported: list[_runner.LessonFile]) -> int:
    report = _runner.write_report(reported)
    counts = _runner.summary(_runner.report_rows([run.lesson for run in runs], report.parent))
    total = sum(run.seconds for run in runs)
    print(", ".join(f"{n} {status}" for status, n in counts.items()) + f"  ({total:.0f} s)")
    print(f"report: {report}")
    failed = [run.lesson.name for run in runs if run.returncode != 0]
    if failed:
        print(f"failed lessons: {', '.join(failed)}")
    return 1 if failed else 0


def main(argv: list[str] | None = None, lessons_dir: Path = _runner.LESSONS_DIR) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    everything = _runner.discover(lessons_dir)
    if options.command == "list":
        list_lessons(everything)
        return 0
    lessons = everything
    if options.command == "run":
        try:
            lessons = _runner.select(everything, options.targets)
        except ValueError as error:
            print(f"python -m lessons run: {error}", file=sys.stderr)
            return 2
    return run_all(lessons, options, reported=everything)


if __name__ == "__main__":
    sys.exit(main())
