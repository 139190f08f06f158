"""``tiny_mlp_step``: one SGD step of a 2-16-16-2 net on a batch of 100 points.

At this size the arithmetic takes a few microseconds; everything else is bookkeeping (the
graph, Python calls, array allocation). It is the size the lessons live on, so it measures
what a learner waits for. Two peers: PyTorch, and the same net written by hand in NumPy
(forward, backward and update, no graph at all), the floor a NumPy-based library can approach.
"""

import itertools

import numpy as np

from benchmarks.cases import _models
from benchmarks.cases._common import NUMPY_BACKEND, Context, needs, run_step_case, with_backend
from benchmarks.harness import Result

SIZES = (2, 16, 16, 2)
BATCH = 100
LR = 0.1


def run(ctx: Context) -> list[Result]:
    unavailable = needs("tiny_mlp_step", "minigrad.nn.Linear",
                        "minigrad.nn.functional.cross_entropy", "minigrad.optim.SGD")
    if unavailable:
        return unavailable
    x, y = batch()
    torch_model, minigrad_copy = _models.twins(tiny_mlp)
    weights = [(layer.weight.detach().numpy(), layer.bias.detach().numpy())
               for layer in torch_model if hasattr(layer, "weight")]
    steps = {"minigrad": training_step("minigrad", minigrad_copy(), x, y),
             NUMPY_BACKEND: with_backend("numpy", training_step("minigrad", minigrad_copy(), x, y)),
             "torch": training_step("torch", torch_model, x, y),
             "numpy (by hand)": NumpyMLP(weights).step_function(x, y)}
    return run_step_case(ctx, "tiny_mlp_step", steps, ctx.limits.gemm_s(flops()),
                         targets={"torch": 0.5, "numpy (by hand)": 2.0})


def tiny_mlp(nn):
    """2-16-16-2 with ReLU."""
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 2))


def flops() -> int:
    """Multiply-adds of the three products, forward and backward (weights and inputs)."""
    forward = sum(2 * BATCH * m * n for m, n in itertools.pairwise(SIZES))
    return 3 * forward


def batch() -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved classes: the sign of x₀·x₁."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def training_step(library, model, x, y):
    lib = _models.library(library)
    optimizer = lib.optim.SGD(model.parameters(), lr=LR)
    return _models.training_step(lib, model, optimizer, lib.from_numpy(x), lib.from_numpy(y))


class NumpyMLP:
    """The 2-16-16-2 ReLU net, cross-entropy and SGD written out in NumPy.

    Forward: hₖ = relu(hₖ₋₁Wₖ + bₖ), z = h₂W₃ + b₃, p = softmax(z), L = −mean log p[y].
    Backward: ∂L/∂z = (p − onehot(y))/B, then ∂L/∂Wₖ = hₖ₋₁ᵀδₖ, ∂L/∂bₖ = Σ δₖ,
    δₖ₋₁ = δₖWₖᵀ · [hₖ₋₁ > 0]. Weights are stored (in, out), so no transposes in forward.
    """

    def __init__(self, weights):
        self.weights = [np.ascontiguousarray(w.T) for w, _ in weights]
        self.biases = [b.copy() for _, b in weights]

    def step_function(self, x, y):
        return lambda: self.step(x, y)

    def step(self, x, y):
        activations = [x]
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            activations.append(np.maximum(activations[-1] @ w + b, 0))
        z = activations[-1] @ self.weights[-1] + self.biases[-1]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = -np.log(p[rows, y]).mean()
        delta = p
        delta[rows, y] -= 1
        delta /= len(y)
        for k in reversed(range(len(self.weights))):
            grad_w, grad_b = activations[k].T @ delta, delta.sum(axis=0)
            if k > 0:
                delta = (delta @ self.weights[k].T) * (activations[k] > 0)
            self.weights[k] -= LR * grad_w
            self.biases[k] -= LR * grad_b
        return loss
