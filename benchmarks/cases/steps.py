"""Training steps of ordinary sizes: an MLP, a CNN, an LSTM, and one Adam update.

Each case builds the model once with PyTorch's ``nn`` and once with minigrad's (same code,
same weights), then times one step of each alternately. ``limit_s`` is the step's matrix
arithmetic at the machine's peak GEMM speed (or, for Adam, its memory traffic at the
measured bandwidth): no library can go below it.
"""

import itertools

import numpy as np

from benchmarks.cases import _models
from benchmarks.cases._common import NUMPY_BACKEND, Context, needs, run_step_case, with_backend
from benchmarks.harness import Result


def mlp_step(ctx: Context) -> list[Result]:
    """784-512-512-10, batch 128, cross-entropy, Adam: forward + backward + step."""
    unavailable = needs("mlp_step", "minigrad.nn.Linear", "minigrad.nn.functional.cross_entropy",
                        "minigrad.optim.Adam")
    if unavailable:
        return unavailable
    batch, sizes = 128, (784, 512, 512, 10)
    x, y = _images((batch, 784)), _labels(batch)
    steps = _training_steps(_models.mlp, lambda lib, model: lib.optim.Adam(model.parameters()),
                            x, y)
    weights = sum(m * n for m, n in itertools.pairwise(sizes))
    forward = 2 * batch * weights
    input_grads = 2 * batch * (weights - sizes[0] * sizes[1])  # the first layer needs none
    limit = ctx.limits.gemm_s(2 * forward + input_grads) + ctx.limits.stream_s(
        _adam_bytes(weights + sum(sizes[1:])))
    return run_step_case(ctx, "mlp_step", steps, limit, targets={"torch": 1.0})


def cnn_step(ctx: Context) -> list[Result]:
    """Conv-ReLU-Pool twice, then Linear, batch 64 of 28×28, SGD with momentum."""
    unavailable = needs("cnn_step", "minigrad.nn.Conv2d", "minigrad.nn.MaxPool2d",
                        "minigrad.nn.Flatten", "minigrad.nn.functional.cross_entropy",
                        "minigrad.optim.SGD")
    if unavailable:
        return unavailable
    batch = 64
    x, y = _images((batch, 1, 28, 28)), _labels(batch)
    steps = _training_steps(
        _models.cnn, lambda lib, model: lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
        x, y)
    conv1 = 2 * batch * 28 * 28 * 16 * 9
    conv2 = 2 * batch * 14 * 14 * 32 * 16 * 9
    linear = 2 * batch * 1568 * 10
    flops = 2 * (conv1 + conv2 + linear) + conv2 + linear  # conv1's input needs no gradient
    return run_step_case(ctx, "cnn_step", steps, ctx.limits.gemm_s(flops),
                         targets={"torch": 1.5})


def lstm_fwd_bwd(ctx: Context) -> list[Result]:
    """LSTM(64 → 128), batch 32, 50 time steps, batch_first: forward + backward."""
    unavailable = needs("lstm_fwd_bwd", "minigrad.nn.LSTM")
    if unavailable:
        return unavailable
    batch, steps_in_time, inputs, hidden = 32, 50, 64, 128
    x = _images((batch, steps_in_time, inputs))
    torch_model, minigrad_copy = _models.twins(_models.lstm)
    steps = {"minigrad": _forward_backward(_models.library("minigrad"), minigrad_copy(), x),
             NUMPY_BACKEND: with_backend("numpy", _forward_backward(
                 _models.library("minigrad"), minigrad_copy(), x)),
             "torch": _forward_backward(_models.library("torch"), torch_model, x)}
    per_time_step = 2 * batch * (inputs + hidden) * 4 * hidden
    recurrent = 2 * batch * hidden * 4 * hidden  # gradient flowing back through h
    flops = steps_in_time * (2 * per_time_step + recurrent)
    return run_step_case(ctx, "lstm_fwd_bwd", steps, ctx.limits.gemm_s(flops),
                         targets={"torch": 2.0})


def adam_10m(ctx: Context) -> list[Result]:
    """One Adam step over a single parameter of 10 million float32 numbers."""
    unavailable = needs("adam_10m", "minigrad.optim.Adam")
    if unavailable:
        return unavailable
    size = 10_000_000
    grad = np.random.default_rng(0).standard_normal(size, dtype=np.float32)
    steps = {"minigrad": _adam_update(_models.library("minigrad"), grad),
             NUMPY_BACKEND: with_backend("numpy", _adam_update(_models.library("minigrad"), grad)),
             "torch": _adam_update(_models.library("torch"), grad)}
    return run_step_case(ctx, "adam_10m", steps, ctx.limits.stream_s(_adam_bytes(size)),
                         targets={"torch": 0.33})


def _adam_bytes(parameters):
    """Adam reads θ, ∇, m, v and writes θ, m, v: 7 float32 streams."""
    return 7 * 4 * parameters


def _training_steps(build, make_optimizer, x, y):
    torch_model, minigrad_copy = _models.twins(build)
    steps = {}
    for contender, model in (("minigrad", minigrad_copy()), (NUMPY_BACKEND, minigrad_copy()),
                             ("torch", torch_model)):
        lib = _models.library("torch" if contender == "torch" else "minigrad")
        step = _models.training_step(lib, model, make_optimizer(lib, model), lib.from_numpy(x),
                                     lib.from_numpy(y))
        steps[contender] = with_backend("numpy", step) if contender == NUMPY_BACKEND else step
    return steps


def _forward_backward(lib, model, x):
    x = lib.from_numpy(x)

    def step():
        model.zero_grad()
        output, _ = model(x)
        output.sum().backward()

    return step


def _adam_update(lib, grad):
    param = lib.from_numpy(np.zeros_like(grad)).requires_grad_()
    param.grad = lib.from_numpy(grad.copy())
    return lib.optim.Adam([param], lr=1e-3).step


def _images(shape):
    return np.random.default_rng(0).standard_normal(shape, dtype=np.float32)


def _labels(batch):
    return np.random.default_rng(1).integers(0, 10, batch)
