"""The lesson format: what a lesson script calls to size itself, save figures and give verdicts.

A lesson is a script in jupytext "percent" format that starts with

    from lessons._lesson import Lesson
    lesson = Lesson("l01_regularization")    # reads --fast, --step, --seed from the command line
    n = lesson.pick(full=2000, fast=200)      # full size for the report, small for CI

and ends each claim with a verdict computed from measured numbers:

    lesson.verdict("C01", "REPRODUCED" if ok else "NOT REPRODUCED",
                   f"|θ| 3.1 → 0.4 as λ grows", claim="L2 shrinks weights", figures=["c01_norms"])

Figures go to ``lessons/output/<lesson>/<name>.png`` and verdicts to
``lessons/output/<lesson>/verdicts.json``, which the runner (``python -m lessons``) gathers into
``lessons/output/REPORT.md``. The environment variable ``MINIGRAD_LESSONS_OUTPUT`` moves the
output folder (the tests write into a temporary one).
"""

import argparse
import json
import os
import sys
from pathlib import Path

STATUSES = ("REPRODUCED", "NOT REPRODUCED", "NUANCED")
OUTPUT_ENV = "MINIGRAD_LESSONS_OUTPUT"
FIGURE_DPI = 110


def status_of(parts) -> str:
    """The usual rule for a claim made of several parts: REPRODUCED when every part held,
    NUANCED when some did, NOT REPRODUCED when none did."""
    parts = list(parts)
    return "REPRODUCED" if all(parts) else "NUANCED" if any(parts) else "NOT REPRODUCED"


def output_root() -> Path:
    """Where every lesson writes: ``$MINIGRAD_LESSONS_OUTPUT`` or ``lessons/output``."""
    return Path(os.environ.get(OUTPUT_ENV) or Path(__file__).resolve().parent / "output")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options every lesson understands: ``--fast``, ``--step``, ``--seed N``."""
    parser = argparse.ArgumentParser(description="Run one lesson.")
    parser.add_argument("--fast", action="store_true", help="small sizes (CI), not the report's")
    parser.add_argument("--step", action="store_true", help="pause and explain as it goes")
    parser.add_argument("--seed", type=int, default=0, help="base random seed (default 0)")
    # parse_known_args: in a notebook kernel argv holds the kernel's own options.
    return parser.parse_known_args(argv)[0]


class Lesson:
    """One lesson's run: its mode (``fast``, ``step``, ``seed``) and its output folder.

    Creating it empties the folder's old verdicts, so ``verdicts.json`` always describes this
    run alone (a lesson that crashes half-way leaves only the verdicts it reached).
    """

    def __init__(self, name: str, argv: list[str] | None = None):
        options = parse_args(sys.argv[1:] if argv is None else argv)
        self.name = name
        self.fast: bool = options.fast
        self.step: bool = options.step
        self.seed: int = options.seed
        self.out_dir: Path = output_root() / name
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.verdicts: list[dict] = []
        self._save_verdicts()
        _use_agg_backend()

    def pick(self, full, fast):
        """``fast`` in --fast mode (CI's small sizes), else ``full`` (the report's sizes)."""
        return fast if self.fast else full

    def say(self, text: str) -> None:
        """In --step mode: print ``text`` (markdown) and wait for Enter. Otherwise nothing."""
        if self.step:
            print(text.strip())
            _pause()

    def figure(self, fig, name: str) -> Path:
        """Save ``fig`` as ``<out_dir>/<name>.png``, close it, return the path."""
        import matplotlib.pyplot as plt

        path = self.out_dir / f"{name}.png"
        fig.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
        plt.close(fig)
        if self.step:
            print(f"[figure] {path}")
        return path

    def verdict(self, claim_id: str, status: str, numbers: str, claim: str,
                figures=()) -> None:
        """Print ``C07 REPRODUCED  <numbers>`` and record it in ``verdicts.json``.

        ``status`` is one of ``STATUSES`` and must come from a rule on measured numbers;
        ``figures`` are names given to ``figure()`` (without ``.png``).
        """
        if status not in STATUSES:
            raise ValueError(f"Lesson.verdict({claim_id!r}): status must be one of {STATUSES}, "
                             f"got {status!r}")
        missing = [f for f in figures if not (self.out_dir / f"{f}.png").exists()]
        if missing:
            raise FileNotFoundError(f"Lesson.verdict({claim_id!r}): figures {missing} were not "
                                    f"saved in {self.out_dir} (call lesson.figure first)")
        self.verdicts = [v for v in self.verdicts if v["id"] != claim_id]
        self.verdicts.append({"id": claim_id, "status": status, "numbers": numbers,
                              "claim": claim, "figures": list(figures)})
        self._save_verdicts()
        print(f"{claim_id} {status}  {numbers}", flush=True)

    def _save_verdicts(self) -> None:
        path = self.out_dir / "verdicts.json"
        path.write_text(json.dumps(self.verdicts, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")


def _use_agg_backend() -> None:
    """Render off screen, so lessons run the same everywhere (pyplot not yet imported)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def _pause() -> None:
    try:
        input("  [Enter] to continue ")
    except EOFError:  # stdin closed (piped run): keep going
        print()
