"""What every case needs: the run's settings, and a way to find out which pieces exist."""

import importlib
import statistics
from dataclasses import dataclass, field

from benchmarks.harness import Result, compare, profile, skipped
from benchmarks.limits import Limits


@dataclass
class Context:
    """The settings of one benchmark run."""

    quick: bool
    limits: Limits
    threads: int
    profile: bool = False  # profile minigrad's step of every case, not only of missed ones
    profiles: dict[str, str] = field(default_factory=dict)  # case name → profile table

    @property
    def repeats(self) -> int:
        return 5 if self.quick else 11

    @property
    def min_time(self) -> float:
        """Seconds each repetition of a contender lasts at least."""
        return 0.02 if self.quick else 0.05


def missing(*names: str) -> list[str]:
    """Those of the dotted names (``"minigrad.nn.Conv2d"``) that cannot be imported (yet)."""
    absent = []
    for name in names:
        module, _, attribute = name.rpartition(".")
        try:
            getattr(importlib.import_module(module), attribute)
        except Exception:  # noqa: BLE001  (a half-written module may fail in any way)
            absent.append(name)
    return absent


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


NO_TORCH = "PyTorch is not installed (pip install minigrad[compare])"
NUMPY_BACKEND = "minigrad [numpy]"  # the contender that runs minigrad's NumPy backend


def needs(name: str, *pieces: str) -> list[Result] | None:
    """Skip rows for case ``name`` if a piece of minigrad or PyTorch is absent, else None."""
    absent = missing(*pieces)
    if absent:
        return [skipped(name, "needs " + ", ".join(absent))]
    if torch_or_none() is None:
        return [skipped(name, NO_TORCH)]
    return None


def run_step_case(ctx: Context, name: str, steps: dict, limit_s: float | None,
                  targets: dict[str, float], peer: str = "torch") -> list[Result]:
    """Time the step functions of a case alternately and return its rows.

    ``steps`` maps contender names to zero-argument steps: ``"minigrad"``,
    ``NUMPY_BACKEND``, and one or more peers. Rows: minigrad against every peer
    (with the target ratio ``targets[peer]``), and the NumPy backend against ``peer``.
    """
    samples = compare(steps, repeats=ctx.repeats, min_time=ctx.min_time)
    seconds = {contender: statistics.median(values) for contender, values in samples.items()}
    peers = [c for c in steps if not c.startswith("minigrad")]
    rows = [Result(name, seconds["minigrad"], p, seconds[p], limit_s,
                   max_ratio=targets.get(p)) for p in peers]
    if NUMPY_BACKEND in seconds:
        rows.append(Result(f"{name} [numpy backend]", seconds[NUMPY_BACKEND], peer,
                           seconds[peer], limit_s))
    profile_if_missed(ctx, name, rows, steps["minigrad"])
    return rows


def profile_if_missed(ctx: Context, name: str, rows: list[Result], step) -> None:
    """Profile minigrad's ``step`` when a row misses its target (or when asked to): where the
    time goes is the first thing to know about a miss."""
    if ctx.profile or any(r.met is False for r in rows):
        ctx.profiles[name] = profile(step)


def with_backend(backend: str, step):
    """``step`` run under minigrad's ``backend`` ("numpy" or "numba")."""
    import minigrad as mg

    def run():
        with mg.backend.using(backend):
            return step()

    return run
