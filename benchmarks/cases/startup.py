"""Start-up costs, each measured in fresh processes, reported apart from the steady state.

- ``import``: seconds for ``import minigrad`` (peer: ``import torch``).
- ``first_step``: seconds from the first import to the end of the first training step of the
  MLP of ``mlp_step``, with Numba's cache already warm (what a learner waits for each time
  they start a lesson).
- ``cold_compile``: seconds to compile every kernel into an empty Numba cache (what the very
  first run on a machine pays once), and the first step in that situation.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.cases._common import Context, missing, torch_or_none
from benchmarks.harness import Result, skipped

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 5  # fresh processes per library (each start of PyTorch takes seconds)

IMPORT = """
import time
start = time.perf_counter()
import {library}
print(time.perf_counter() - start)
"""

FIRST_STEP = """
import time
start = time.perf_counter()
import numpy as np
import {library} as lib
import {library}.nn as nn
import {library}.nn.functional as F

model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                      nn.Linear(512, 10))
optimizer = lib.optim.Adam(model.parameters())
rng = np.random.default_rng(0)
x = lib.from_numpy(rng.standard_normal((128, 784), dtype=np.float32))
y = lib.from_numpy(rng.integers(0, 10, 128))
optimizer.zero_grad()
F.cross_entropy(model(x), y).backward()
optimizer.step()
print(time.perf_counter() - start)
"""

PROFILED = """
import cProfile
import pstats

profiler = cProfile.Profile()
profiler.enable()
exec({script!r})
profiler.disable()
pstats.Stats(profiler).strip_dirs().sort_stats("cumulative").print_stats(25)
"""

COMPILE_ALL = """
import json
from benchmarks.cases.kernels import compile_all
print(json.dumps(compile_all({dtypes!r})))
"""


def import_time(ctx: Context) -> list[Result]:
    seconds = _alternate(IMPORT, PROCESSES)
    return [Result("import", seconds["minigrad"], *_peer(seconds), max_s=0.5,
                   note=f"median of {PROCESSES} fresh processes")]


def first_step(ctx: Context) -> list[Result]:
    absent = missing("minigrad.nn.Linear", "minigrad.nn.functional.cross_entropy",
                     "minigrad.optim.Adam")
    if absent:
        return [skipped("first_step", "needs " + ", ".join(absent))]
    _python(FIRST_STEP.format(library="minigrad"))  # warms Numba's cache
    seconds = _alternate(FIRST_STEP, PROCESSES)
    row = Result("first_step", seconds["minigrad"], *_peer(seconds), max_s=1.5,
                 note="import + build + one step of mlp_step's MLP, warm Numba cache; "
                      f"median of {PROCESSES} fresh processes")
    if ctx.profile or row.met is False:
        ctx.profiles["first_step"] = _python(PROFILED.format(
            script=FIRST_STEP.format(library="minigrad")), last_line=False)
    return [row]


def cold_compile(ctx: Context) -> list[Result]:
    dtypes = ("float32",) if ctx.quick else ("float32", "float64")
    with tempfile.TemporaryDirectory() as cache:
        compile_times = json.loads(_python(COMPILE_ALL.format(dtypes=dtypes),
                                           NUMBA_CACHE_DIR=cache))
    slowest = sorted(compile_times, key=compile_times.get, reverse=True)[:3]
    rows = [Result("cold_compile", sum(compile_times.values()),
                   note=f"{len(compile_times)} kernel signatures ({', '.join(dtypes)}) into an "
                        "empty cache; slowest: " + ", ".join(
                            f"{name} {compile_times[name]:.1f} s" for name in slowest))]
    if not missing("minigrad.nn.Linear", "minigrad.nn.functional.cross_entropy",
                   "minigrad.optim.Adam"):
        with tempfile.TemporaryDirectory() as cache:
            seconds = float(_python(FIRST_STEP.format(library="minigrad"),
                                    NUMBA_CACHE_DIR=cache))
        rows.append(Result("first_step [cold cache]", seconds,
                           note="as first_step, compiling the kernels it needs"))
    return rows


def _alternate(script, repeats):
    """Median of the seconds each fresh process prints, minigrad and torch taking turns."""
    libraries = ["minigrad"] + (["torch"] if torch_or_none() else [])
    samples = {library: [] for library in libraries}
    for r in range(repeats):
        for library in libraries[r % len(libraries):] + libraries[:r % len(libraries)]:
            samples[library].append(float(_python(script.format(library=library))))
    return {library: statistics.median(values) for library, values in samples.items()}


def _peer(seconds):
    return ("torch", seconds["torch"]) if "torch" in seconds else (None, None)


def _python(script, last_line=True, **environment):
    """Run ``script`` in a fresh interpreter that imports this checkout; its output (the last
    line only, by default)."""
    env = dict(os.environ, **environment)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1] if last_line else done.stdout
