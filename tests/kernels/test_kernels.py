"""The kernel layer: every Numba kernel equals its NumPy reference (float32 and float64, small
and large, contiguous or not); both backends give the same op results; ``import minigrad``
stays light and fast."""

import os
import statistics
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.kernels import _jit, elementwise, scatter

SIZES = [1, 6, 300, 20_000]  # 20,000 is above the elementwise threshold
TOLERANCE = {np.float32: 2e-6, np.float64: 1e-13}


def layouts(array):
    """The same values as C-contiguous, transposed (F-order) and strided arrays."""
    transposed = np.asfortranarray(array)
    strided = np.repeat(array, 2, axis=-1)[..., ::2]
    return {"contiguous": array, "transposed": transposed, "strided": strided}


def as_matrix(n, dtype, seed, low=-3.0, high=3.0):
    """n values as a (rows, cols) matrix so that transposing and striding mean something."""
    cols = 1 if n < 4 else 2 if n < 100 else 4 if n < 1000 else 100
    rows = max(n // cols, 1)
    return np.random.default_rng(seed).uniform(low, high, (rows, cols)).astype(dtype)


def assert_same(computed, expected, what):
    assert computed.shape == expected.shape and computed.dtype == expected.dtype, \
        f"{what}: numba gave {computed.dtype}{computed.shape}, " \
        f"reference {expected.dtype}{expected.shape}"
    np.testing.assert_allclose(computed, expected, rtol=TOLERANCE[expected.dtype.type],
                               atol=TOLERANCE[expected.dtype.type],
                               err_msg=f"{what}: numba (computed) vs reference (expected)")


# name: builder(size, dtype, seed) -> arguments
ELEMENTWISE_ARGS = {
    "relu_backward": lambda n, dt, s: (np.maximum(as_matrix(n, dt, s), 0), as_matrix(n, dt, s + 1)),
    "sigmoid_forward": lambda n, dt, s: (as_matrix(n, dt, s, -30, 30),),
    "sigmoid_backward": lambda n, dt, s: (
        elementwise.sigmoid_forward.reference(as_matrix(n, dt, s)), as_matrix(n, dt, s + 1)),
    "tanh_backward": lambda n, dt, s: (np.tanh(as_matrix(n, dt, s)), as_matrix(n, dt, s + 1)),
}


def kernels_in(module):
    return sorted(name for name, value in vars(module).items() if isinstance(value, _jit.Kernel))


def test_every_kernel_of_elementwise_and_scatter_is_tested():
    tested = set(ELEMENTWISE_ARGS) | {"index_add_rows"}
    found = set(kernels_in(elementwise)) | set(kernels_in(scatter))
    assert found <= tested, f"kernels without a test: {sorted(found - tested)}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(ELEMENTWISE_ARGS))
def test_elementwise_kernel_numba_equals_reference(name, size, dtype):
    kernel = getattr(elementwise, name)
    arguments = ELEMENTWISE_ARGS[name](size, dtype, size)
    # each (dtype, layout) is a separate Numba compilation: F-order once is enough
    builds = {"parallel": kernel.numba, "serial": kernel.serial} if kernel.serial_below else \
        {"compiled": kernel.numba}
    for layout in ("contiguous", "strided") + (("transposed",) if dtype == np.float64 else ()):
        laid_out = tuple(layouts(a)[layout] for a in arguments)
        for build, compiled in builds.items():
            assert_same(compiled(*laid_out), kernel.reference(*laid_out),
                        f"{name} ({build}) on {layout} {np.dtype(dtype)} inputs of shape "
                        f"{arguments[0].shape}")


@pytest.mark.parametrize("name", ["relu_backward", "sigmoid_backward", "tanh_backward"])
def test_backward_kernels_accept_a_broadcast_read_only_gradient(name):
    """The gradient of a sum arrives as a stride-0 read-only broadcast view."""
    kernel = getattr(elementwise, name)
    y = ELEMENTWISE_ARGS[name](20_000, np.float64, 0)[0]
    gy = np.broadcast_to(np.float64(1.5), y.shape)
    assert_same(kernel.numba(y, gy), kernel.reference(y, gy), f"{name} with a broadcast gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_sigmoid_forward_neither_overflows_nor_loses_the_tails(dtype):
    x = np.array([-1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise"):
        expected = elementwise.sigmoid_forward.reference(x)
    computed = elementwise.sigmoid_forward.numba(x)
    assert_same(computed, expected, "sigmoid at extreme inputs")
    assert np.isfinite(computed).all() and computed[0] == 0.0 and computed[-1] == 1.0
    assert computed[2] > 0, "sigmoid(-20) must be tiny but not 0"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("rows, cols, count", [(5, 3, 8), (1, 1, 1), (100, 20, 1000), (7, 1, 30)])
def test_index_add_rows_numba_equals_reference_with_repeated_rows(rows, cols, count, dtype):
    rng = np.random.default_rng(rows * count)
    index = rng.integers(0, rows, count)
    g = rng.standard_normal((count, cols)).astype(dtype)
    computed = scatter.index_add_rows.numba(np.zeros((rows, cols), dtype), index, g)
    expected = scatter.index_add_rows.reference(np.zeros((rows, cols), dtype), index, g)
    assert_same(computed, expected, f"index_add_rows of {count} rows into {rows}")


INDICES = {
    "rows with repeats": np.array([0, 2, 0, 0, 3]),
    "negative rows": np.array([-1, 0, -1]),
    "2-d row index": np.array([[0, 1], [1, 1]]),
    "columns": (slice(None), np.array([2, 2, 0])),
    "two arrays": (np.array([0, 0, 3]), np.array([1, 1, 2])),
    "boolean mask": np.arange(12).reshape(4, 3) % 2 == 0,
    "slice": (slice(1, 3), slice(None, None, 2)),
    "int": 2,
}


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
@pytest.mark.parametrize("name", list(INDICES))
def test_index_add_adds_repeated_indices_like_numpy_add_at(name, backend_name):
    index = INDICES[name]
    g = np.random.default_rng(0).standard_normal(np.zeros((4, 3))[index].shape)
    expected = np.zeros((4, 3))
    np.add.at(expected, index, g)
    with backend.using(backend_name):
        computed = scatter.index_add(np.zeros((4, 3)), index, g)
    np.testing.assert_allclose(computed, expected, rtol=1e-15,
                               err_msg=f"index_add with {name} under {backend_name}")


def record_dispatch(monkeypatch, kernel):
    """Make each call of ``kernel`` record the build it takes: reference, serial or parallel."""
    calls = []
    monkeypatch.setattr(kernel, "reference", lambda *a: calls.append("reference") or a[1])
    monkeypatch.setattr(kernel, "_compiled", {})
    monkeypatch.setattr(kernel, "_compile", lambda parallel: lambda *a: calls.append(
        "parallel" if parallel else "serial") or a[1])
    return calls


def test_a_kernel_call_uses_the_reference_under_numpy_backend_or_below_its_threshold(monkeypatch):
    kernel = elementwise.sigmoid_forward
    calls = record_dispatch(monkeypatch, kernel)
    big, small = np.ones(kernel.threshold + 1), np.ones(3)
    with backend.using("numpy"):
        kernel(big, big)
    with backend.using("numba"):
        kernel(small, small)
        kernel(big, big)
    assert calls == ["reference", "reference", "parallel"], f"dispatch went {calls}"


def test_a_parallel_kernel_runs_serially_below_its_serial_size(monkeypatch):
    kernel = elementwise.tanh_backward
    calls = record_dispatch(monkeypatch, kernel)
    big, small = np.ones(kernel.serial_below), np.ones(3)
    with backend.using("numpy"):
        kernel(small, small)
    with backend.using("numba"):
        kernel(small, small)
        kernel(big, big)
    assert calls == ["reference", "serial", "parallel"], f"dispatch went {calls}"


def test_serial_and_parallel_builds_of_a_kernel_are_cached_apart():
    """Numba's disk cache keys a function by name and line only: the serial build must have a
    name of its own, or one build would load the other's machine code."""
    kernel = elementwise.relu_backward
    y = np.ones(4)
    kernel.serial(y, y), kernel.numba(y, y)
    serial, parallel = kernel._compiled[False], kernel._compiled[True]
    assert serial.py_func.__qualname__ != parallel.py_func.__qualname__
    assert not serial.targetoptions.get("parallel") and parallel.targetoptions.get("parallel")


def run_ops(seed=0):
    """Ops whose forward or backward goes through the kernels, big enough to reach Numba."""
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.uniform(-3, 3, (200, 100)), requires_grad=True)
    rows = mg.tensor(rng.integers(0, 200, 500))
    y = x.relu() * 0.5 + x.sigmoid() + x.tanh() * 2
    loss = (y[rows] * mg.tensor(rng.standard_normal((500, 100)))).sum()
    loss.backward()
    return y.detach().numpy(), x.grad.numpy()


def test_numpy_and_numba_backends_give_the_same_op_results():
    with backend.using("numpy"):
        values_numpy, grad_numpy = run_ops()
    with backend.using("numba"):
        values_numba, grad_numba = run_ops()
    np.testing.assert_allclose(values_numba, values_numpy, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(grad_numba, grad_numpy, rtol=1e-12, atol=1e-12)


def test_backend_use_and_using_switch_and_restore():
    start = backend.get()
    mg.backend.use("numpy")
    assert backend.get() == "numpy"
    with backend.using("numba"):
        assert backend.get() == "numba"
    assert backend.get() == "numpy"
    mg.backend.use(start)


# -- import: light and fast (measured in fresh processes) --------------------------------------

def python(code, **env):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, env={**os.environ, **env}, timeout=120)
    assert result.returncode == 0, f"{code!r} failed: {result.stderr}"
    return result.stdout.strip()


def test_minigrad_backend_environment_variable_chooses_the_backend():
    code = "import minigrad; print(minigrad.backend.get())"
    assert python(code, MINIGRAD_BACKEND="numpy") == "numpy"
    assert python(code, MINIGRAD_BACKEND="numba") == "numba"


def test_import_minigrad_imports_no_heavy_or_optional_module():
    loaded = python("import sys, minigrad; print(sorted(m for m in ('numba', 'matplotlib', "
                    "'tqdm', 'torch', 'scipy', 'sklearn') if m in sys.modules))")
    assert loaded == "[]", f"import minigrad loaded {loaded}"


# Timings are CPU seconds of the fresh process (``time.process_time``): unlike wall time they
# do not grow when other jobs share the machine. Both are printed.
TIMED = ("import time; wall, cpu = time.perf_counter(), time.process_time(); {body}; "
         "print(time.perf_counter() - wall, time.process_time() - cpu)")


def timed_runs(body, runs):
    """Median (wall, cpu) seconds of ``body`` over ``runs`` fresh processes."""
    samples = [tuple(map(float, python(TIMED.format(body=body)).split())) for _ in range(runs)]
    return tuple(statistics.median(column) for column in zip(*samples))


def test_import_minigrad_is_fast():
    wall, cpu = timed_runs("import minigrad", runs=5)
    print(f"import minigrad: median {wall:.3f} s wall, {cpu:.3f} s CPU over 5 fresh processes")
    assert cpu < 1.0, f"import minigrad took {cpu:.3f} s of CPU (target 0.5 s)"


def test_first_backward_through_numba_kernels_is_fast_with_a_warm_cache():
    body = ("import minigrad as mg; x = mg.randn(200, 100, requires_grad=True); "
            "(x.relu().sigmoid().tanh().sum()).backward()")
    timed_runs(body, runs=1)  # warms Numba's on-disk cache
    wall, cpu = timed_runs(body, runs=3)
    print(f"import + first backward through Numba kernels: median {wall:.3f} s wall, "
          f"{cpu:.3f} s CPU")
    assert cpu < 2.0, f"import + first backward took {cpu:.3f} s of CPU (target 1 s)"
