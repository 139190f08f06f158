"""softmax and log_softmax along a dim, computed from x - max(x) so nothing overflows.

Without ``create_graph`` the backward runs on the arrays directly (one expression); with it,
the same formula in Tensor ops, so it can be differentiated again.
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim
from minigrad.tensor import _wrap


class Softmax(Function):
    """yᵢ = exp(xᵢ) / Σⱼ exp(xⱼ);  ∂L/∂xᵢ = yᵢ (gᵢ - Σⱼ gⱼ yⱼ)."""

    def forward(self, x, dim):
        self.dim = dim
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        y = e / np.sum(e, axis=dim, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            y, g = y.data, gy.data
            return _wrap(y * (g - np.sum(g * y, axis=self.dim, keepdims=True)))
        return y * (gy - (gy * y).sum(self.dim, keepdim=True))


class LogSoftmax(Function):
    """yᵢ = xᵢ - log Σⱼ exp(xⱼ);  ∂L/∂xᵢ = gᵢ - exp(yᵢ) Σⱼ gⱼ."""

    def forward(self, x, dim):
        self.dim = dim
        shifted = x - np.max(x, axis=dim, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            g = gy.data
            return _wrap(g - np.exp(y.data) * np.sum(g, axis=self.dim, keepdims=True))
        return gy - y.exp() * gy.sum(self.dim, keepdim=True)


def softmax(x, dim):
    return Softmax.apply(x, dim=normalize_dim(dim, x.ndim, "softmax"))


def log_softmax(x, dim):
    return LogSoftmax.apply(x, dim=normalize_dim(dim, x.ndim, "log_softmax"))
