"""Finite-difference checks of analytic gradients.

The analytic side is the vector-Jacobian product vᵀJ for a *random* cotangent v (an all-ones
v hides transposition bugs); the numeric side is the central difference
(f(x + εeᵢ) - f(x - εeᵢ)) / 2ε of vᵀf, one coordinate at a time.
"""

import numpy as np

from minigrad.autograd.grad import grad
from minigrad.errors import GradcheckError
from minigrad.tensor import Tensor


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """True if fn's analytic gradients match finite differences, else ``GradcheckError``."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    out = fn(*inputs)
    rng = np.random.default_rng(seed)
    v = Tensor._make(rng.standard_normal(out.shape).astype(out.dtype))
    analytic = grad(out, wrt, grad_outputs=v, allow_unused=True) if out.requires_grad \
        else [None] * len(wrt)  # a constant output: its analytic gradient is zero
    for k, (x, a) in enumerate(zip(wrt, analytic)):
        a = np.zeros(x.shape) if a is None else a.data
        numeric = _numeric_gradient(fn, inputs, x, v.data, eps)
        bad = np.abs(a - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            raise GradcheckError(
                f"gradcheck: input {k} (shape {x.shape}) at index {i}: analytic {a[i]!r}, "
                f"numeric {numeric[i]!r} (atol={atol}, rtol={rtol})")
    return True


def _numeric_gradient(fn, inputs, x, v, eps):
    numeric = np.zeros(x.shape)
    for i in np.ndindex(x.shape):  # in place on x.data itself, whatever its memory layout
        original = x.data[i]
        x.data[i] = original + eps
        plus = float(np.sum(fn(*inputs).data * v))
        x.data[i] = original - eps
        minus = float(np.sum(fn(*inputs).data * v))
        x.data[i] = original
        numeric[i] = (plus - minus) / (2 * eps)
    return numeric


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0) -> bool:
    """gradcheck of the ``create_graph`` backward: the gradient of uᵀ·(vᵀJ) for random u, v."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    rng = np.random.default_rng(seed + 1)
    out_shape = fn(*inputs).shape
    v = rng.standard_normal(out_shape)
    us = [rng.standard_normal(t.shape) for t in wrt]

    def first_derivative(*xs):
        out = fn(*xs)
        gs = grad(out, [x for x in xs if isinstance(x, Tensor) and x.requires_grad],
                  grad_outputs=Tensor._make(v.astype(out.dtype)), create_graph=True,
                  allow_unused=True)
        return sum((g * Tensor._make(u.astype(g.dtype))).sum() for g, u in zip(gs, us)
                   if g is not None)

    return gradcheck(first_derivative, inputs, eps, atol, rtol, seed)
