"""The affine map of a fully connected layer, y = x Wᵀ + b, as one op.

One fused op instead of matmul, transpose and add: one graph node per layer, and a backward
of (at most) two matrix products and one sum.
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, ShapeError
from minigrad.tensor import Tensor


class Linear(Function):
    """y = x Wᵀ + b, for x of shape (..., in), W (out, in), b (out,).

    With the leading dims of x flattened into rows (X of shape (N, in), G = ∂L/∂y (N, out)):
    ∂L/∂X = G W,   ∂L/∂W = Gᵀ X,   ∂L/∂b = Σₙ Gₙ.
    """

    def forward(self, x, weight, bias=None):
        self.save_for_backward(x, weight)
        y = x.reshape(-1, x.shape[-1]) @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(x.shape[:-1] + weight.shape[:1])

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
        """The same three formulas on arrays: no graph is recorded, so no op overhead."""
        need = self.needs_input_grad
        g = gy.reshape(-1, weight.shape[0])
        grads = (
            Tensor._make((g @ weight).reshape(x.shape)) if need[0] else None,
            Tensor._make(g.T @ x.reshape(-1, weight.shape[1])) if need[1] else None,
            Tensor._make(g.sum(0)) if len(need) > 2 and need[2] else None,
        )
        return grads[:len(need)]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, checking shapes and dtypes first so errors name the layer's sizes."""
    out_features, in_features = weight.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ShapeError(f"Linear: input has {x.shape[-1] if x.ndim else 0} features, expected "
                         f"{in_features} (input shape {x.shape}, weight shape {weight.shape})")
    if x.dtype != weight.dtype:
        hint = "convert the input with .float()" if weight.dtype == np.float32 else \
            "convert the input or the model to one dtype"
        raise DTypeError(f"Linear: input dtype {x.dtype} differs from weight dtype "
                         f"{weight.dtype}; {hint}")
    if bias is None:
        return Linear.apply(x, weight)
    if bias.shape != (out_features,):
        raise ShapeError(f"Linear: bias shape {bias.shape}, expected ({out_features},)")
    return Linear.apply(x, weight, bias)
