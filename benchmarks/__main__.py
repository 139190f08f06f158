"""``python -m benchmarks [--quick] [--only NAME ...] [--threads N] [--profile] [--output DIR]``

Runs the speed cases and the optimizer race, writes ``results.md``, ``results.json`` and the
plots into ``--output`` (default: this folder), and prints the table.
"""

import argparse
import fnmatch
import os
import sys
import time
import traceback
from pathlib import Path

RACE = "race"


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from benchmarks import harness

    threads = args.threads or harness.default_threads()
    harness.set_thread_variables(threads)  # before anything imports NumPy

    from benchmarks import limits, race, report
    from benchmarks.cases import CASES
    from benchmarks.cases._common import Context

    names = _selected(args.only, [*CASES, RACE])
    args.output.mkdir(parents=True, exist_ok=True)
    harness.pin_threads(threads)
    machine = harness.machine(threads)
    load_before = _load()
    print(f"{machine['cpu']}, {threads} thread(s); measuring the machine's limits ...",
          flush=True)
    _warn_if_busy(threads)
    ctx = Context(quick=args.quick, limits=limits.measure(args.quick), threads=threads,
                  profile=args.profile)
    rows, race_results = [], None

    def save():  # after every case, so that an interrupted run keeps what it measured
        machine["load"] = f"{load_before} / {_load()}"
        report.write(rows, race_results, machine, ctx.limits, ctx.profiles, args.output)

    for name in names:
        start = time.perf_counter()
        if name == RACE:
            race_results = race.run(ctx, args.output)
        else:
            rows += _run_case(name, CASES[name], ctx)
        save()
        print(f"  {name}: {time.perf_counter() - start:.1f} s", flush=True)
    print(report.table(rows))
    print(f"\nwritten: {args.output / 'results.md'}, {args.output / 'results.json'}")
    return 0


def _run_case(name, case, ctx):
    from benchmarks.harness import Result

    try:
        return case(ctx)
    except Exception as error:  # noqa: BLE001  (one broken case must not cost the others)
        traceback.print_exc()
        return [Result(name, None, note=f"failed: {type(error).__name__}: {error}")]


def _selected(patterns, names):
    if not patterns:
        return names
    chosen = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    unknown = [p for p in patterns if not any(fnmatch.fnmatch(n, p) for n in names)]
    if unknown:
        sys.exit(f"benchmarks: unknown case {', '.join(unknown)}; the cases are: "
                 + ", ".join(names))
    return chosen


def _warn_if_busy(threads):
    """Other programs on the cores make pinned threads wait for each other: a two-thread
    matrix product can then take ten times longer than a one-thread one."""
    if hasattr(os, "getloadavg") and threads > 1 and os.getloadavg()[0] > 0.5:
        print(f"  warning: the machine is busy (load {os.getloadavg()[0]:.1f}); threads of "
              "every library will wait for the other programs. Consider --threads 1.",
              flush=True)


def _load():
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def _parser():
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split(
        "\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and training steps (about a minute or two)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these cases (shell patterns allowed, e.g. 'kernel*'; "
                             f"'{RACE}' is the optimizer race)")
    parser.add_argument("--threads", type=int,
                        help="threads for every library (default: 2, or fewer cores)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile minigrad's step of each case (into results.md)")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent,
                        help="where to write results.md, results.json and the plots")
    return parser


if __name__ == "__main__":
    sys.exit(main())
