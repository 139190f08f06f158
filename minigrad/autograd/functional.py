"""Jacobians, Hessians and Hessian-vector products of functions of tensors."""

import numpy as np

from minigrad.autograd.grad import grad
from minigrad.tensor import Tensor


def _fresh(x):
    """A differentiable leaf with x's values (the function is differentiated at x)."""
    return x.detach().clone().requires_grad_() if isinstance(x, Tensor) else \
        tuple(_fresh(t) for t in x)


def jacobian(func, inputs, create_graph=False):
    """J[i..., j...] = ∂func(x)[i...]/∂x[j...]; a tuple of inputs gives a tuple of Jacobians."""
    single = isinstance(inputs, Tensor)
    xs = (_fresh(inputs),) if single else _fresh(inputs)
    y = func(*xs)
    flat = y.reshape(-1)
    rows = [[] for _ in xs]
    for i in range(flat.shape[0]):
        gs = grad(flat[i], xs, retain_graph=True, create_graph=create_graph, allow_unused=True)
        for row, g, x in zip(rows, gs, xs):
            row.append(g if g is not None else Tensor._make(np.zeros(x.shape, x.dtype)))
    from minigrad.ops import stack

    result = tuple(stack(row).reshape(y.shape + x.shape) for row, x in zip(rows, xs))
    return result[0] if single else result


def hessian(func, inputs, create_graph=False):
    """H[i..., j...] = ∂²func(x)/∂x[i...]∂x[j...] for a scalar-valued func."""
    single = isinstance(inputs, Tensor)

    def gradient(*xs):
        return grad(func(*xs), xs[0], create_graph=True)[0]

    if not single:
        raise NotImplementedError("hessian: pass a single tensor (concatenate the inputs)")
    return jacobian(gradient, inputs, create_graph=create_graph)


def hvp(func, inputs, v, create_graph=False):
    """(func(x), H·v) without forming H: the gradient of (∇f · v)."""
    x = _fresh(inputs)
    y = func(x)
    (g,) = grad(y, x, create_graph=True)
    (hv,) = grad((g * v).sum(), x, create_graph=create_graph)
    return y.detach(), hv
