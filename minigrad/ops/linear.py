"""The affine map of a fully connected layer, y = x Wᵀ + b, as one op.

One fused op instead of matmul, transpose and add: one graph node per layer, and a backward
of (at most) two matrix products and one sum.
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops._util import ones
from minigrad.tensor import Tensor


class Linear(Function):
    """y = x Wᵀ + b, for x of shape (..., in), W (out, in), b (out,).

    With the leading dims of x flattened into rows (X of shape (N, in), G = ∂L/∂y (N, out)):
    ∂L/∂X = G W,   ∂L/∂W = Gᵀ X,   ∂L/∂b = Σₙ Gₙ.
    """

    fresh_grads = True  # three new products: W and b keep theirs without a copy

    def forward(self, x, weight, bias=None):
        self.save_for_backward(x, weight)
        return affine(x, weight, bias)

    def backward(self, gy):
        x, weight = self.saved_tensors
        if not grad_mode._state["enabled"]:
            return self._backward_arrays(x.data, weight.data, gy.data)
        need = self.needs_input_grad
        g = gy.reshape(-1, weight.shape[0])
        grads = (
            (g @ weight).reshape(x.shape) if need[0] else None,
            g.mT @ x.reshape(-1, weight.shape[1]) if need[1] else None,
            g.sum(0) if len(need) > 2 and need[2] else None,
        )
        return grads[:len(need)]

    def _backward_arrays(self, x, weight, gy):
        """The same three formulas on arrays: no graph is recorded, so no op overhead.
        Σₙ Gₙ is taken as the product 1ᵀG, one BLAS call: at lesson sizes g.sum(0) spends
        five times as long in NumPy's reduction machinery."""
        need = self.needs_input_grad
        g = rows(gy)
        grads = (
            Tensor._make(g.dot(weight).reshape(x.shape)) if need[0] else None,
            Tensor._make(g.T.dot(rows(x))) if need[1] else None,
            Tensor._make(ones(len(g), g.dtype).dot(g)) if len(need) > 2 and need[2] else None,
        )
        return grads[:len(need)]


def affine(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """x Wᵀ + b on arrays, over the last dim of x (the forward of ``Linear``)."""
    # ndarray.dot, not @: the same BLAS product of 2-D arrays, with a microsecond less of
    # dispatch (a third of the product's time at lesson sizes)
    y = rows(x).dot(weight.T)
    if bias is not None:
        y += bias
    return y if x.ndim == 2 else y.reshape(x.shape[:-1] + weight.shape[:1])


def rows(a: np.ndarray) -> np.ndarray:
    """``a`` as a matrix of rows: its leading dims flattened (a 2-D array as it is)."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, checking shapes and dtypes first so errors name the layer's sizes."""
    out_features, in_features = weight.data.shape  # (the arrays' attributes: no property calls)
    if x.data.shape[-1:] != (in_features,):
        raise ShapeError(f"Linear: input has {x.shape[-1] if x.ndim else 0} features, expected "
                         f"{in_features} (input shape {x.shape}, weight shape {weight.shape})")
    check_input_dtype(x, weight, "Linear")
    if bias is None:
        return Linear.apply(x, weight)
    if bias.data.shape != (out_features,):
        raise ShapeError(f"Linear: bias shape {bias.shape}, expected ({out_features},)")
    return Linear.apply(x, weight, bias)


def check_input_dtype(x: Tensor, weight: Tensor, layer: str) -> None:
    """A layer's input must have its weight's dtype (PyTorch does not promote here either)."""
    if x.data.dtype != weight.data.dtype:
        hint = "convert the input with .float()" if weight.dtype == np.float32 else \
            "convert the input or the model to one dtype"
        raise DTypeError(f"{layer}: input dtype {x.dtype} differs from weight dtype "
                         f"{weight.dtype}; {hint}")
