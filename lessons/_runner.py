"""Find the lessons, run them (each in its own process, or cell by cell in --step mode), and
gather their verdicts into ``REPORT.md``.

A lesson is a file ``lNN_topic.py`` in ``lessons/``. Its claims are read from its source: the
ids in a ``CLAIMS = [...]`` list if it has one, else the ids of its ``lesson.verdict("Cxx", ...)``
calls. Running it writes ``<output>/<lesson>/verdicts.json`` (from ``Lesson.verdict``) and
``<output>/<lesson>/run.json`` (from here: mode, seed, seconds, exit code, error).
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from lessons._lesson import OUTPUT_ENV, STATUSES, output_root

LESSONS_DIR = Path(__file__).resolve().parent
REPO_ROOT = LESSONS_DIR.parent
LESSON_FILE = re.compile(r"^l\d\d_\w+\.py$")
CLAIM_ID = re.compile(r"C\d+")
CLAIMS_LIST = re.compile(r"^CLAIMS\s*=\s*[\[(]([^\])]*)[\])]", re.MULTILINE)
VERDICT_CALL = re.compile(r"\.verdict\(\s*[\"'](C\d+)[\"']")


@dataclass
class LessonFile:
    """A lesson script and the claim ids it gives verdicts on."""

    name: str
    path: Path
    claims: list[str] = field(default_factory=list)


@dataclass
class LessonRun:
    """What running one lesson gave: exit code, time, output and the verdicts it recorded."""

    lesson: LessonFile
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    verdicts: list[dict]

    @property
    def error(self) -> str:
        """The last line of the traceback, or '' when the lesson ran to the end."""
        if self.returncode == 0:
            return ""
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.returncode}"


def claim_key(claim_id: str) -> int:
    """C7 < C10: sort claim ids by number."""
    return int(claim_id[1:])


def claims_in(source: str) -> list[str]:
    """Claim ids of a lesson's source: its ``CLAIMS`` list, else its ``.verdict("Cxx"`` calls."""
    listed = CLAIMS_LIST.search(source)
    ids = CLAIM_ID.findall(listed.group(1)) if listed else VERDICT_CALL.findall(source)
    return sorted(set(ids), key=claim_key)


def discover(lessons_dir: Path = LESSONS_DIR) -> list[LessonFile]:
    """Every ``lNN_*.py`` lesson in ``lessons_dir``, in file-name order."""
    paths = sorted(p for p in Path(lessons_dir).iterdir() if LESSON_FILE.match(p.name))
    return [LessonFile(p.stem, p, claims_in(p.read_text(encoding="utf-8"))) for p in paths]


def select(lessons: list[LessonFile], targets: list[str]) -> list[LessonFile]:
    """The lessons named by ``targets``: claim ids (``C07``), lesson names (``l01_regularization``,
    ``l01``, ``l01_regularization.py``). Raises ``ValueError`` naming an unknown target."""
    chosen = set()
    for target in targets:
        target = Path(target).stem
        if CLAIM_ID.fullmatch(target.upper()):  # C7, C07 and c07 all name claim 7
            hits = [lesson.name for lesson in lessons
                    if any(claim_key(c) == claim_key(target) for c in lesson.claims)]
        else:
            hits = [lesson.name for lesson in lessons
                    if lesson.name == target or lesson.name.split("_")[0] == target]
        if not hits:
            raise ValueError(f"no lesson gives a verdict on {target!r}; "
                             f"`python -m lessons list` shows the lessons and their claims")
        chosen.update(hits)
    return [lesson for lesson in lessons if lesson.name in chosen]


def limit_threads(env) -> None:
    """One BLAS thread and one Numba thread, unless the user chose otherwise.

    The lessons' arrays are small, so threads buy little and cost a lot when the cores are
    shared: OpenBLAS's threads fight Numba's parallel kernels (a training step ran 10x slower
    with both), and Numba's own fork-join stalls on a busy machine (a lesson ran 4x slower with
    2 threads than with 1). Takes effect only before NumPy and Numba are imported.
    """
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("NUMBA_NUM_THREADS", "1")


def lesson_arguments(fast: bool, seed: int, step: bool = False) -> list[str]:
    """The command-line options a lesson understands (see ``_lesson.parse_args``)."""
    return ["--seed", str(seed)] + ["--fast"] * fast + ["--step"] * step


def run_lesson(lesson: LessonFile, fast: bool = False, seed: int = 0,
               output: Path | None = None, timeout: float | None = None) -> LessonRun:
    """Run one lesson in a fresh Python process (so a crash stays its own) and collect it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    limit_threads(env)
    if output is not None:
        env[OUTPUT_ENV] = str(output)
    command = [sys.executable, str(lesson.path), *lesson_arguments(fast, seed)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)  # a failure is reported, not raised
        returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        returncode, stdout = -1, _text(expired.stdout)
        stderr = _text(expired.stderr) + f"\nTimeoutExpired: stopped after {timeout:.0f} s"
    seconds = time.perf_counter() - start
    out_dir = (output or output_root()) / lesson.name
    run = LessonRun(lesson, returncode, seconds, stdout, stderr, read_verdicts(out_dir))
    write_run_record(out_dir, run, fast, seed)
    return run


def _text(captured) -> str:
    if captured is None:
        return ""
    return captured.decode(errors="replace") if isinstance(captured, bytes) else captured


def read_verdicts(out_dir: Path) -> list[dict]:
    """The verdicts a lesson recorded in ``out_dir`` (none if it never ran)."""
    path = Path(out_dir) / "verdicts.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def write_run_record(out_dir: Path, run: LessonRun, fast: bool, seed: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"mode": "fast" if fast else "full", "seed": seed,
              "seconds": round(run.seconds, 1), "returncode": run.returncode,
              "error": run.error, "stderr_tail": run.stderr.strip().splitlines()[-15:],
              "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    (out_dir / "run.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- step mode

@dataclass
class Cell:
    """One jupytext percent-format cell: ``kind`` is "code" or "markdown"; ``line`` is where
    its text starts in the file (1-based), so tracebacks point at the lesson's own lines."""

    kind: str
    text: str
    line: int


def split_cells(source: str) -> list[Cell]:
    """Cut a percent-format script at its ``# %%`` lines; markdown loses its ``# `` prefix."""
    cells, kind, lines, start = [], "code", [], 1
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith("# %%"):
            cells.append(Cell(kind, "\n".join(lines), start))
            kind = "markdown" if "[markdown]" in line else "code"
            lines, start = [], number + 1
        else:
            lines.append(line)
    cells.append(Cell(kind, "\n".join(lines), start))
    for cell in cells:
        if cell.kind == "markdown":
            cell.text = "\n".join(re.sub(r"^# ?", "", line) for line in cell.text.splitlines())
    return [cell for cell in cells if cell.text.strip()]


def run_stepwise(lesson: LessonFile, fast: bool = False, seed: int = 0, pause=None) -> None:
    """Run a lesson in this process cell by cell: print each cell's prose, run its code, wait.

    ``pause`` is called after each code cell with the prompt (``input`` by default).
    """
    pause = pause or input
    source = lesson.path.read_text(encoding="utf-8")
    code_cells = sum(cell.kind == "code" for cell in split_cells(source))
    namespace = {"__name__": "__main__", "__file__": str(lesson.path)}
    if "numba" not in sys.modules:  # once Numba's threads run, their number is fixed
        limit_threads(os.environ)
    saved_argv = sys.argv
    sys.argv = [str(lesson.path), *lesson_arguments(fast, seed, step=True)]
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        done = 0
        for cell in split_cells(source):
            if cell.kind == "markdown":
                print("\n" + cell.text.strip() + "\n")
                continue
            done += 1
            print(f"--- {lesson.name}: cell {done}/{code_cells} (line {cell.line}) ---")
            code = compile("\n" * (cell.line - 1) + cell.text, str(lesson.path), "exec")
            exec(code, namespace)  # noqa: S102  (the lesson's own code, as `python lesson.py`)
            _ask(pause, "  [Enter] next cell ")
    finally:
        sys.argv = saved_argv


def _ask(pause, prompt: str) -> None:
    try:
        pause(prompt)
    except EOFError:  # no terminal attached: keep going
        print()


# --------------------------------------------------------------------------- report

def report_rows(lessons: list[LessonFile], root: Path) -> list[dict]:
    """One row per claim of ``lessons`` (sorted by id): its verdict, or status "missing"."""
    rows = []
    for lesson in lessons:
        verdicts = {v["id"]: v for v in read_verdicts(root / lesson.name)}
        record = _run_record(root / lesson.name)
        for claim_id in sorted(set(lesson.claims) | set(verdicts), key=claim_key):
            row = verdicts.get(claim_id) or {
                "id": claim_id, "status": "missing", "claim": "", "figures": [],
                "numbers": (f"lesson failed: {record['error']}" if record.get("error")
                            else "not run yet" if not record else "no verdict given")}
            rows.append({**row, "lesson": lesson.name, "mode": record.get("mode", "")})
    return sorted(rows, key=lambda row: claim_key(row["id"]))


def _run_record(out_dir: Path) -> dict:
    path = out_dir / "run.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def summary(rows: list[dict]) -> dict[str, int]:
    """How many claims have each status (the three verdicts and "missing")."""
    return {status: sum(row["status"] == status for row in rows)
            for status in (*STATUSES, "missing")}


def write_report(lessons: list[LessonFile], root: Path | None = None) -> Path:
    """Write ``<root>/REPORT.md``: the summary, the claims table, then each lesson's figures."""
    root = Path(root or output_root())
    rows = report_rows(lessons, root)
    counts = ", ".join(f"{n} {status}" for status, n in summary(rows).items())
    lines = ["# Lessons report", "",
             ("Each claim from the study notes, measured by its lesson "
              "(`python -m lessons run <claim>` re-runs one)."), "",
             f"**{len(rows)} claims: {counts}.**", "",
             "| id | claim | verdict | measured | figure | lesson |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        figures = " ".join(f"[{name}]({row['lesson']}/{name}.png)" for name in row["figures"])
        mode = " (fast)" if row["mode"] == "fast" else ""
        lines.append(f"| {row['id']} | {_cell(row['claim'])} | **{row['status']}** | "
                     f"{_cell(row['numbers'])} | {figures} | {row['lesson']}{mode} |")
    for lesson in lessons:
        lines += _lesson_section(lesson, root)
    path = root / "REPORT.md"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _lesson_section(lesson: LessonFile, root: Path) -> list[str]:
    record = _run_record(root / lesson.name)
    if record:
        how = f"{record['mode']} mode, seed {record['seed']}, {record['seconds']} s"
    else:
        how = "not run yet"
    lines = ["", f"## {lesson.name}", "", f"`lessons/{lesson.path.name}` ({how})", ""]
    if record.get("error"):
        lines += ["**The lesson failed:**", "", "```", *record["stderr_tail"], "```", ""]
    shown = set()
    for verdict in read_verdicts(root / lesson.name):
        for name in verdict["figures"]:
            if name not in shown:  # a figure shared by several claims is shown once
                shown.add(name)
                lines += [f"![{verdict['id']} {name}]({lesson.name}/{name}.png)", ""]
    return lines


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")
