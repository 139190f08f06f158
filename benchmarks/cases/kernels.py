"""Every Numba kernel against its NumPy reference, on the arguments real layers give it.

Kernels have many signatures (an activation takes an array, im2col takes geometry tuples, an
optimizer update takes a dozen scalars), so the arguments are not invented here: a set of
workloads runs the public API (layers forward and backward, optimizer steps) at the
benchmarks' sizes while every kernel call is recorded, and each kernel is then timed on the
largest arguments it received. A kernel no workload reaches is listed as such, so a new one
cannot go unmeasured silently.
"""

import importlib
import pkgutil
import time
from contextlib import contextmanager

import numpy as np

from benchmarks.cases._common import Context, missing
from benchmarks.harness import Result, compare, skipped


def discover() -> dict[str, object]:
    """All kernels of ``minigrad.kernels``: ``"module.name"`` → Kernel."""
    import minigrad.kernels
    from minigrad.kernels._jit import Kernel

    found = {}
    for info in pkgutil.iter_modules(minigrad.kernels.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"minigrad.kernels.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Kernel) and value.source.__module__ == module.__name__:
                found[f"{info.name}.{name}"] = value
    return found


@contextmanager
def recording():
    """Record the largest arguments of every kernel call (by the first argument's size, the
    latest of equal ones); the calls run the NumPy reference meanwhile, so recording compiles
    nothing."""
    from minigrad.kernels._jit import Kernel

    calls = {}
    original = Kernel.__call__

    def record(kernel, *args):
        size = np.size(args[0])
        if kernel not in calls or size >= np.size(calls[kernel][0]):
            calls[kernel] = _copy(args)
        return kernel.reference(*args)

    Kernel.__call__ = record
    try:
        yield calls
    finally:
        Kernel.__call__ = original


def recorded_arguments() -> tuple[dict, list[str]]:
    """Kernel → its largest recorded arguments, after running every workload; and the
    workloads that could not run (a missing layer, say)."""
    failed = []
    with recording() as calls:
        for workload in WORKLOADS:
            try:
                workload()
            except Exception as error:  # noqa: BLE001  (a missing layer: say so, go on)
                failed.append(f"{workload.__name__}: {type(error).__name__}: {error}")
    return calls, failed


def run(ctx: Context) -> list[Result]:
    if missing("minigrad.kernels._jit.Kernel"):
        return [skipped("kernels", "needs minigrad.kernels._jit.Kernel")]
    calls, failed = recorded_arguments()
    rows = []
    for name, kernel in discover().items():
        if kernel not in calls:
            rows.append(skipped(f"kernel {name}", "no workload calls it"))
            continue
        args = calls[kernel]
        serial = np.size(args[0]) < kernel.serial_below  # time the build a call would take
        compiled = kernel.serial if serial else kernel.numba
        samples = compare({"numba": _bound(compiled, _copy(args)),
                           "reference": _bound(kernel.reference, _copy(args))},
                          repeats=ctx.repeats, min_time=ctx.min_time / 2)
        dispatched = np.size(args[0]) >= kernel.threshold
        note = _describe(args) + ("" if dispatched else f"; below the dispatch threshold "
                                  f"({kernel.threshold}), so the reference runs at this size")
        note += f"; serial build (below {kernel.serial_below} elements)" if serial else ""
        rows.append(Result(f"kernel {name}", _median(samples["numba"]), "numpy reference",
                           _median(samples["reference"]), ctx.limits.stream_s(_bytes(args)),
                           max_ratio=1.0 if dispatched else None, note=note))
    rows += [skipped(f"kernel workload {f.split(':')[0]}", f) for f in failed]
    return rows


def compile_all(dtypes=("float32", "float64")) -> dict[str, float]:
    """Seconds to compile each recorded kernel for each of ``dtypes`` (meant for a fresh
    process with an empty Numba cache: see ``startup.cold_compile``)."""
    calls, _ = recorded_arguments()
    import numba  # noqa: F401  (imported once, outside the kernels' times)

    names = {kernel: name for name, kernel in discover().items()}
    seconds = {}
    for kernel, args in calls.items():
        for dtype in dtypes:
            start = time.perf_counter()
            kernel.numba(*_as_dtype(args, dtype))
            seconds[f"{names[kernel]} {dtype}"] = time.perf_counter() - start
    return seconds


def _bound(function, args):
    return lambda: function(*args)


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _as_dtype(args, dtype):
    return tuple(a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                 for a in args)


def _bytes(args):
    """The arrays' bytes, read once: a kernel cannot take less than streaming its inputs."""
    return sum(a.nbytes for a in args if isinstance(a, np.ndarray))


def _describe(args):
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    return " ".join("×".join(map(str, a.shape)) or "scalar" for a in arrays[:3]) + \
        f" {arrays[0].dtype}"


def _median(values):
    return float(np.median(values))


# -- workloads: the public API at the benchmarks' sizes ----------------------------------------

def _nn():
    import minigrad as mg
    import minigrad.nn as nn
    import minigrad.nn.functional as F

    return mg, nn, F


def _backward_through(module, x):
    out = module(x)
    out = out[0] if isinstance(out, tuple) else out
    (out * out).sum().backward()


def _randn(*shape, requires_grad=True):
    import minigrad as mg

    data = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    return mg.from_numpy(data).requires_grad_(requires_grad)


def mlp_with_cross_entropy():
    mg, nn, F = _nn()
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    target = mg.from_numpy(np.random.default_rng(1).integers(0, 10, 128))
    # with label smoothing, so the kernels' smoothing branch is timed too
    F.cross_entropy(model(_randn(128, 784, requires_grad=False)), target,
                    label_smoothing=0.1).backward()


def activations():
    mg, _, F = _nn()
    for activation in (lambda x: x.sigmoid(), lambda x: x.tanh(), F.leaky_relu, F.elu, F.gelu,
                       lambda x: F.gelu(x, approximate="tanh"), F.silu):
        x = _randn(128, 512)
        (activation(x) * x).sum().backward()
    x = _randn(128, 512)  # a second derivative of GELU goes through the normal CDF
    (gradient,) = mg.autograd.grad(F.gelu(x).sum(), x, create_graph=True)
    gradient.sum().backward()


def convolutions_and_pools():
    _, nn, _ = _nn()
    x = _randn(64, 16, 28, 28)
    for layer in (nn.Conv2d(16, 32, 3, padding=1), nn.MaxPool2d(2), nn.AvgPool2d(2),
                  nn.AdaptiveAvgPool2d(5)):
        _backward_through(layer, x)
    x1 = _randn(100, 25, 19)
    for layer in (nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.MaxPool1d(2), nn.AvgPool1d(2)):
        _backward_through(layer, x1)


def norms():
    _, nn, _ = _nn()
    _backward_through(nn.BatchNorm2d(16), _randn(64, 16, 28, 28))
    _backward_through(nn.BatchNorm1d(512), _randn(128, 512))
    _backward_through(nn.LayerNorm(512), _randn(128, 512))


def recurrent():
    _, nn, _ = _nn()
    for layer in (nn.LSTM(64, 128, batch_first=True), nn.GRU(64, 128, batch_first=True)):
        _backward_through(layer, _randn(32, 50, 64))


def embedding():
    mg, nn, _ = _nn()
    indices = mg.from_numpy(np.random.default_rng(1).integers(0, 10000, (32, 50)))
    _backward_through(nn.Embedding(10000, 64), indices)


def optimizer_updates():
    """Two steps of every optimizer (the second takes the steady-state path) on 1M floats,
    with the options that switch on each kernel's extra state."""
    import minigrad as mg
    import minigrad.optim as optim

    settings = [(optim.SGD, {"lr": 0.01, "momentum": 0.9}), (optim.Adagrad, {}),
                (optim.Adadelta, {}), (optim.RMSprop, {"momentum": 0.9, "centered": True}),
                (optim.Adam, {}), (optim.AdamW, {}), (optim.NAdam, {}), (optim.RAdam, {})]
    grad = np.random.default_rng(0).standard_normal(1 << 20, dtype=np.float32)
    for optimizer_class, options in settings:
        param = mg.zeros(1 << 20).requires_grad_()
        param.grad = mg.from_numpy(grad.copy())
        optimizer = optimizer_class([param], **options)
        for _ in range(2):
            optimizer.step()


WORKLOADS = (mlp_with_cross_entropy, activations, convolutions_and_pools, norms, recurrent,
             embedding, optimizer_updates)
