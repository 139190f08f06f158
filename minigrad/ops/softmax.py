"""softmax and log_softmax along a dim, computed from x - max(x) so nothing overflows."""

import numpy as np

from minigrad.autograd.function import Function
from minigrad.ops._util import normalize_dim


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
        return gy - y.exp() * gy.sum(self.dim, keepdim=True)


def softmax(x, dim):
    return Softmax.apply(x, dim=normalize_dim(dim, x.ndim, "softmax"))


def log_softmax(x, dim):
    return LogSoftmax.apply(x, dim=normalize_dim(dim, x.ndim, "log_softmax"))
