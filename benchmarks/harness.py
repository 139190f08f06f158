"""Timing: contenders run alternately in one process; the median of several repetitions.

Why alternate: a laptop's clock speed drifts (heat, other programs). Timing minigrad for ten
seconds and then PyTorch for ten would hand one of them the better minutes; rotating through
the contenders inside every repetition lets any drift hit all of them alike. Why the median:
one repetition interrupted by the operating system should not move the result.
"""

import gc
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

# Environment variables that fix the number of threads of the BLAS libraries NumPy and
# PyTorch may be linked against. They are read once, when the library loads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


@dataclass
class Result:
    """One row of the results: minigrad's seconds against one peer's, and the machine's floor.

    ``max_ratio`` / ``max_s`` are the project's target for the row (minigrad/peer at most
    ``max_ratio``, or minigrad at most ``max_s`` seconds), None when the row has none.
    """

    name: str
    minigrad_s: float | None
    peer: str | None = None
    peer_s: float | None = None
    limit_s: float | None = None
    max_ratio: float | None = None
    max_s: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.minigrad_s is None or not self.peer_s:
            return None
        return self.minigrad_s / self.peer_s

    @property
    def target(self) -> str:
        if self.max_ratio is not None:
            return f"ratio ≤ {self.max_ratio:g}"
        if self.max_s is not None:
            return f"< {self.max_s:g} s"
        return ""

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None without a target or without a measurement."""
        if self.max_ratio is not None and self.ratio is not None:
            return self.ratio <= self.max_ratio
        if self.max_s is not None and self.minigrad_s is not None:
            return self.minigrad_s < self.max_s
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, "minigrad_s": self.minigrad_s, "peer": self.peer,
                "peer_s": self.peer_s, "ratio": self.ratio, "limit_s": self.limit_s,
                "target": self.target or None, "met": self.met, "note": self.note}


def skipped(name: str, reason: str) -> Result:
    """A row for a case that could not run, saying why."""
    return Result(name, None, note=f"skipped: {reason}")


def compare(contenders: dict[str, Callable[[], object]], repeats: int = 7, warmup: int = 2,
            min_time: float = 0.02, number: int | None = None) -> dict[str, list[float]]:
    """Seconds per call of each contender, one sample per repetition.

    Each contender is a zero-argument callable (one training step, say). After ``warmup``
    untimed calls each, every repetition times each contender for ``number`` calls (by
    default as many as fill ``min_time`` seconds, so the clock's resolution does not matter),
    starting one place further along the list each time.
    """
    names = list(contenders)
    # Park every object alive now (PyTorch's modules are hundreds of thousands) outside the
    # collector's reach: the collections during timing then cost what the contenders' own
    # garbage costs, as in a process that imported only one library.
    gc.collect()
    gc.freeze()
    for name in names:
        for _ in range(warmup):
            contenders[name]()
    calls = {name: number or _calls_filling(contenders[name], min_time) for name in names}
    samples = {name: [] for name in names}
    for r in range(repeats):
        start = r % len(names)
        for name in names[start:] + names[:start]:
            samples[name].append(_seconds_per_call(contenders[name], calls[name]))
    return samples


def _calls_filling(fn, min_time):
    seconds = _seconds_per_call(fn, 1)
    return max(1, math.ceil(min_time / max(seconds, 1e-9)))


def _seconds_per_call(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def profile(fn: Callable[[], object], seconds: float = 1.0, top: int = 15) -> str:
    """cProfile of repeated calls of ``fn`` (about ``seconds`` long): the ``top`` functions by
    own time, then by cumulative time, as text."""
    import cProfile
    import io
    import pstats

    calls = _calls_filling(fn, seconds)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write(f"{calls} calls\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


# -- threads and machine --------------------------------------------------------------------

def default_threads() -> int:
    """Two threads, or fewer on a machine with fewer cores: the same count for everyone."""
    return min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def set_thread_variables(n: int) -> None:
    """Pin the BLAS (and Numba's default) thread counts; only effective before NumPy and the
    other libraries are imported, so the command line calls this first.

    Also make idle OpenMP threads sleep rather than spin (unless the user chose otherwise):
    minigrad and PyTorch take turns in one process, and the spinning threads of the one
    resting would take the cores from the one being timed.
    """
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(n)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pin_threads(n: int) -> None:
    """Give every library ``n`` threads, also those already imported."""
    set_thread_variables(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:
        pass
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def machine(threads: int) -> dict:
    """What the numbers were measured on: CPU, cores, threads used, library versions."""
    info = {"cpu": _cpu_model(), "cores": os.cpu_count(), "threads": threads,
            "python": platform.python_version(), "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M")}
    for package in ("minigrad", "numpy", "numba", "torch", "scipy"):
        info[package] = _version(package)
    info["blas"] = _blas_name()
    return info


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _blas_name():
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001  (show_config differs between NumPy versions)
        return None
