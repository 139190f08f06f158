"""Write the results: ``results.json`` (the rows), ``results.md`` (tables, plots, the machine,
the targets met and missed), and a table on the terminal."""

import json
import math
from pathlib import Path

from benchmarks.harness import Result


def write(rows: list[Result], race: dict | None, machine: dict, limits, profiles: dict,
          output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    entries = [{key: _json_number(value) for key, value in r.to_dict().items()} for r in rows]
    (output_dir / "results.json").write_text(json.dumps(entries, indent=1, allow_nan=False))
    plot = plot_ratios(rows, output_dir / "speed.png")
    (output_dir / "results.md").write_text(markdown(rows, race, machine, limits, profiles, plot))


def _json_number(value):
    """NaN and infinities are not JSON: they become null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


# -- formatting -----------------------------------------------------------------------------

def seconds(value: float | None) -> str:
    """A duration in the unit that makes it readable: 12.3 µs, 4.56 ms, 7.89 s."""
    if value is None or not math.isfinite(value):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} s"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def verdict(row: Result) -> str:
    return {True: "met", False: "**missed**", None: ""}[row.met]


def table(rows: list[Result]) -> str:
    """The rows as a Markdown table (also readable as plain text on a terminal)."""
    lines = ["| case | minigrad | peer | peer time | ratio | target | | limit | note |",
             "|---|---:|---|---:|---:|---|---|---:|---|"]
    for r in rows:
        lines.append(f"| {r.name} | {seconds(r.minigrad_s)} | {r.peer or ''} | "
                     f"{seconds(r.peer_s)} | {ratio(r.ratio)} | {r.target} | {verdict(r)} | "
                     f"{seconds(r.limit_s)} | {r.note} |")
    return "\n".join(lines)


def targets(rows: list[Result]) -> str:
    """The targets of the project, one line each; the kernels' target summarized."""
    lines = ["| target | measured | |", "|---|---|---|"]
    for r in rows:
        if r.target and not r.name.startswith("kernel "):
            measured = ratio(r.ratio) if r.max_ratio is not None else seconds(r.minigrad_s)
            lines.append(f"| {r.name} vs {r.peer}: {r.target} | {measured} | {verdict(r)} |"
                         if r.max_ratio is not None else
                         f"| {r.name} {r.target} | {measured} | {verdict(r)} |")
    kernels = [r for r in rows if r.name.startswith("kernel ") and r.met is not None]
    if kernels:
        slow = [r for r in kernels if not r.met]
        lines.append(f"| every Numba kernel at least as fast as its NumPy reference | "
                     f"{len(kernels) - len(slow)} of {len(kernels)} | "
                     f"{'met' if not slow else '**missed**: ' + ', '.join(r.name[7:] for r in slow)} |")
    return "\n".join(lines)


def race_tables(race: dict) -> str:
    lines = [race.get("note", "")]
    problem = None
    for row in race["rows"]:
        if row["problem"] != problem:
            problem = row["problem"]
            lines += ["", f"**{problem}**", "", RACE_HEADER]
        lines.append(
            f"| {row['method']} | {_number(row['lr'])} | {'yes' if row['reached'] else 'no'} | "
            f"{_count(row['iterations'])} | {_count(row['evaluations'])} | "
            f"{_count(row['hessian_evaluations'])} | {seconds(row['seconds'])} | "
            f"{_number(row['final_gap'], '.1e')} | {row['error']} |")
    return "\n".join(lines)


def _count(value):
    return "—" if value is None else str(value)


def _number(value, spec="g"):
    return "" if value is None else format(value, spec)


def markdown(rows, race, machine, limits, profiles, plot) -> str:
    speed = [r for r in rows if not r.name.startswith("kernel ")
             and r.name not in STARTUP]
    startup = [r for r in rows if r.name in STARTUP]
    kernels = [r for r in rows if r.name.startswith("kernel ")]
    parts = ["# minigrad benchmarks", "", INTRO, "",
             "## Machine", "", _machine(machine, limits), "",
             "## Targets", "", targets(rows), "",
             "## Training steps", "", table(speed), ""]
    if plot:
        parts += [f"![minigrad / PyTorch time per case]({plot})", ""]
    if startup:
        parts += ["## Start-up (fresh processes, never mixed into the times above)", "",
                  table(startup), ""]
    if kernels:
        parts += ["## Kernels: Numba against the NumPy reference", "", KERNELS_INTRO, "",
                  table(kernels), ""]
    if race:
        parts += ["## Optimizer race", "", race_tables(race), ""]
        if race.get("plot"):
            parts += [f"![convergence]({race['plot']})", ""]
    for name, text in profiles.items():
        parts += [f"<details><summary>Profile of minigrad's {name}</summary>", "",
                  "```", text.strip(), "```", "</details>", ""]
    return "\n".join(parts)


STARTUP = ("import", "first_step", "first_step [cold cache]", "cold_compile")

INTRO = (
    "Generated by `python -m benchmarks`. Times are medians of repetitions that alternate "
    "minigrad and its peer in one process (warm-up excluded); ratio = minigrad / peer, so "
    "below 1 is faster. `limit` is the time the step's matrix arithmetic would take at the "
    "machine's measured peak GEMM speed, or its memory traffic at the measured bandwidth: a "
    "floor for any library. Other programs running meanwhile (see the load average) make "
    "threads wait for each other and the numbers worse for every library."
)

KERNELS_INTRO = (
    "Each kernel on the largest arguments the benchmark layers gave it; `limit` streams its "
    "input arrays once at the measured bandwidth."
)

RACE_HEADER = (
    "| method | lr | reached | iterations | evaluations | Hessian evals | seconds | best gap "
    "| note |\n|---|---:|---|---:|---:|---:|---:|---:|---|"
)


def _machine(machine, limits):
    cpu = f"{machine['cpu']}, {machine['cores']} cores"
    measured = (f"float32 GEMM {limits.gemm_flops / 1e9:.0f} GFLOP/s, "
                f"memory bandwidth {limits.bandwidth / 1e9:.1f} GB/s")
    threads = f"{machine['threads']} thread" + "s" * (machine["threads"] != 1)
    lines = [f"- CPU: {cpu}; every library pinned to {threads}",
             f"- load average (1, 5, 15 min) before / after: {machine.get('load', '?')}",
             f"- measured limits: {measured}",
             f"- Python {machine['python']}, {machine['platform']}, BLAS: {machine['blas']}",
             "- " + ", ".join(f"{p} {machine[p]}" for p in
                              ("minigrad", "numpy", "numba", "torch", "scipy") if machine[p]),
             f"- date: {machine['date']}"]
    return "\n".join(lines)


def plot_ratios(rows: list[Result], path: Path) -> str | None:
    """Bar chart of minigrad/PyTorch per training case, the target marked on each bar."""
    shown = [r for r in rows if r.peer == "torch" and r.ratio is not None]
    if not shown:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(shown) + 1.2))
    names = [r.name for r in shown]
    colors = ["tab:green" if r.met else "tab:red" if r.met is False else "tab:gray"
              for r in shown]
    ax.barh(names, [r.ratio for r in shown], color=colors)
    for i, r in enumerate(shown):
        if r.max_ratio is not None:
            ax.plot([r.max_ratio] * 2, [i - 0.4, i + 0.4], color="black")
    ax.axvline(1.0, color="gray", linewidth=0.8, linestyle="--")
    ax.set(xscale="log", xlabel="minigrad time / PyTorch time (black: target)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name
