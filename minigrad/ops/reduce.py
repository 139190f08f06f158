"""Reductions (sum, mean, var, std, max, min, logsumexp) and their twin, broadcasting.

``sum`` and ``broadcast_to`` are each other's backward: summing copies a gradient back to
every element that was added; broadcasting sums the gradients of all the copies.
"""

import builtins
from collections import namedtuple

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops._util import kept_shape, lift, normalize_dim, normalize_dims
from minigrad.tensor import Tensor, _wrap

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class Sum(Function):
    """y = Σ x over ``dims``;  ∂y/∂x = 1: the gradient is broadcast back to x's shape."""

    def forward(self, x, dims, keepdim):
        self.input_shape, self.kept = x.shape, kept_shape(x.shape, dims)
        return np.sum(x, axis=dims, keepdims=keepdim)

    def backward(self, gy):
        # BEGIN EXERCISE sum_backward
        if not grad_mode._state["enabled"]:  # one array op instead of two tensor ops
            return _wrap(_broadcast(gy.data.reshape(self.kept), self.input_shape))
        return gy.reshape(self.kept).broadcast_to(self.input_shape)
        # END EXERCISE


class BroadcastTo(Function):
    """y = x repeated along new or size-1 dims;  backward sums the copies (``sum_to``)."""

    is_view = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        return _broadcast(x, shape)

    def backward(self, gy):
        return gy.sum_to(self.input_shape)


class SumTo(Function):
    """y = x summed down to ``shape`` (undoes broadcasting);  backward broadcasts."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        return sum_to_array(x, shape)

    def backward(self, gy):
        return gy.broadcast_to(self.input_shape)


def sum_to_array(x, shape):
    """Sum ``x`` over the leading dims it has beyond ``shape`` and over the dims where
    ``shape`` has 1: the inverse of broadcasting ``shape`` to ``x.shape``."""
    # BEGIN EXERCISE sum_to
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if lead < 0 or any(n != 1 and n != x.shape[lead + i] for i, n in enumerate(shape)):
        raise ShapeError(f"sum_to: shape {x.shape} is not a broadcast of {tuple(shape)}")
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)
    # END EXERCISE


class Amax(Function):
    """y = max of x over ``dims``;  the gradient is shared evenly among the tied maxima."""

    def forward(self, x, dims, keepdim, largest=True):
        y = np.max(x, axis=dims, keepdims=True) if largest else np.min(x, axis=dims, keepdims=True)
        winners = x == y
        self.save_for_backward(winners / np.sum(winners, axis=dims, keepdims=True))
        self.kept = y.shape
        return y if keepdim else y.reshape(_drop(x.shape, dims))

    def backward(self, gy):
        (share,) = self.saved_tensors
        return gy.reshape(self.kept) * share.data.astype(gy.dtype)


class MaxAlongDim(Function):
    """values = x at ``index`` (the arg-max) along ``dim``;  the gradient goes there only."""

    def forward(self, x, dim, index, keepdim):
        self.chosen = np.zeros(x.shape, dtype=x.dtype)
        np.put_along_axis(self.chosen, index, 1, axis=dim)
        self.kept = index.shape
        values = np.take_along_axis(x, index, axis=dim)
        return values if keepdim else np.squeeze(values, dim)

    def backward(self, gy):
        return gy.reshape(self.kept) * self.chosen


def _broadcast(x, shape):
    if x.size > 4096:
        return np.broadcast_to(x, shape)  # a view: no copy of a large result
    out = np.empty(shape, dtype=x.dtype)  # small: a copy is cheaper than building a view
    out[...] = x
    return out


def _drop(shape, dims):
    if dims is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _check_nonempty(x, op):
    if x.data.size == 0:
        raise ShapeError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")


def sum(x, dim=None, keepdim=False):
    return Sum.apply(x, dims=normalize_dims(dim, x.ndim, "sum"), keepdim=keepdim)


def mean(x, dim=None, keepdim=False):
    dims = normalize_dims(dim, x.ndim, "mean")
    count = x.data.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    return Sum.apply(x, dims=dims, keepdim=keepdim) / count


def var(x, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Σ(x - x̄)² / (N - correction); ``unbiased`` means correction = 1 (Bessel), as PyTorch."""
    dims = normalize_dims(dim, x.ndim, "var")
    correction = (1 if unbiased else 0) if correction is None else correction
    count = x.data.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    centered = x - mean(x, dims, keepdim=True)
    return sum(centered * centered, dims, keepdim) / builtins.max(count - correction, 0)


def std(x, dim=None, unbiased=True, keepdim=False, *, correction=None):
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


def _extreme(x, dim, keepdim, largest, op):
    if isinstance(dim, Tensor):  # mg.max(a, b) is the elementwise maximum, as in PyTorch
        from minigrad.ops.unary import maximum, minimum

        return maximum(x, dim) if largest else minimum(x, dim)
    _check_nonempty(x, op)
    if dim is None:
        return Amax.apply(x, dims=None, keepdim=False, largest=largest)
    if x.ndim == 0:  # PyTorch: the value itself, at index 0
        normalize_dim(dim, 0, op)
        return ValuesIndices(x.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
    dim = normalize_dim(dim, x.ndim, op)
    find = np.argmax if largest else np.argmin
    index = find(x.data, axis=dim, keepdims=True).astype(np.int64)
    values = MaxAlongDim.apply(x, dim=dim, index=index, keepdim=keepdim)
    return ValuesIndices(values, Tensor._make(index if keepdim else np.squeeze(index, dim)))


def max(x, dim=None, keepdim=False):
    """The largest element, or ``(values, indices)`` along ``dim``, or, given a tensor as the
    second argument, the elementwise maximum."""
    return _extreme(x, dim, keepdim, True, "max")


def min(x, dim=None, keepdim=False):
    return _extreme(x, dim, keepdim, False, "min")


def amax(x, dim=None, keepdim=False):
    _check_nonempty(x, "amax")
    return Amax.apply(x, dims=normalize_dims(dim, x.ndim, "amax"), keepdim=keepdim)


def amin(x, dim=None, keepdim=False):
    _check_nonempty(x, "amin")
    return Amax.apply(x, dims=normalize_dims(dim, x.ndim, "amin"), keepdim=keepdim,
                      largest=False)


def _arg(x, dim, keepdim, fn, op):
    _check_nonempty(x, op)
    if dim is None or x.ndim == 0:
        return Tensor._make(np.asarray(fn(x.data), dtype=np.int64))
    dim = normalize_dim(dim, x.ndim, op)
    return Tensor._make(fn(x.data, axis=dim, keepdims=keepdim).astype(np.int64))


def argmax(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, np.argmax, "argmax")


def argmin(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, np.argmin, "argmin")


def logsumexp(x, dim, keepdim=False):
    """log Σ exp(x) along ``dim``, shifted by the max so nothing overflows."""
    dims = normalize_dims(dim, x.ndim, "logsumexp")
    shift = lift(np.max(x.data, axis=dims, keepdims=True), x)
    shift.data[~np.isfinite(shift.data)] = 0
    out = sum((x - shift).exp(), dims, keepdim=True).log() + shift
    return out if keepdim else out.reshape(_drop(x.shape, dims))


def broadcast_to(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if len(shape) < x.ndim or any(a != b and a != 1 for a, b in zip(x.shape[::-1], shape[::-1])):
        raise ShapeError(f"broadcast_to: shape {x.shape} cannot be broadcast to {shape}")
    return BroadcastTo.apply(x, shape=shape)


def sum_to(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo.apply(x, shape=shape)
