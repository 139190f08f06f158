"""Arithmetic: + - * / ** @ and negation, with NumPy broadcasting.

Backward returns gradients of the broadcast shape; the engine sums them back down to each
input's shape, so no op here has to think about broadcasting.
"""

import numpy as np

from minigrad import amp
from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import ShapeError
from minigrad.ops._util import lift_pair
from minigrad.ops.unary import where
from minigrad.tensor import _wrap


class Add(Function):
    """y = a + b;  ∂y/∂a = 1,  ∂y/∂b = 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    """y = a - b;  ∂y/∂a = 1,  ∂y/∂b = -1."""

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy if self.needs_input_grad[1] else None


class Mul(Function):
    """y = a * b;  ∂y/∂a = b,  ∂y/∂b = a."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gy):
        # BEGIN EXERCISE mul_backward
        a, b = self.saved_tensors
        return (gy * b if self.needs_input_grad[0] else None,
                gy * a if self.needs_input_grad[1] else None)
        # END EXERCISE


class Div(Function):
    """y = a / b;  ∂y/∂a = 1/b,  ∂y/∂b = -a/b²."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":  # true division gives float32
            return (a / b).astype(np.float32)
        return a / b

    def backward(self, gy):
        a, b = self.saved_tensors
        return (gy / b if self.needs_input_grad[0] else None,
                -gy * a / (b * b) if self.needs_input_grad[1] else None)


class Neg(Function):
    """y = -x;  ∂y/∂x = -1."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """y = a ** b;  ∂y/∂a = b·a^(b-1),  ∂y/∂b = y·ln a."""

    def forward(self, a, b):
        y = a ** b
        self.save_for_backward(a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # the masked-out places
            return self._grads(gy, a, b, y)

    def _grads(self, gy, a, b, y):
        grad_a = grad_b = None
        if self.needs_input_grad[0]:  # 0 where b = 0 (a⁰ is constant, even at a = 0)
            grad_a = where(b.data == 0, 0.0, gy * b * a ** (b - 1))
        if self.needs_input_grad[1]:  # 0 where a = 0 and b ≥ 0 (0ᵇ is constant there)
            grad_b = where((a.data == 0) & (b.data >= 0), 0.0, gy * y * a.log())
        return grad_a, grad_b


class MatMul(Function):
    """y = a @ b (NumPy's matmul: vectors, matrices, broadcast batches).

    For matrices ∂L/∂a = ∂L/∂y · bᵀ and ∂L/∂b = aᵀ · ∂L/∂y; a vector operand is treated as a
    one-row (a) or one-column (b) matrix and the extra axis removed again.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both operands need at least one dimension, got shapes "
                             f"{a.shape} and {b.shape}")
        inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if a.shape[-1] != inner_b:
            raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not align: "
                             f"{a.shape[-1]} != {inner_b}")
        self.save_for_backward(a, b)
        return np.matmul(a, b)

    def backward(self, gy):
        # BEGIN EXERCISE matmul_backward
        a, b = self.saved_tensors
        if not grad_mode._state["enabled"] and a.ndim == 2 and b.ndim == 2:
            return _matmul_backward_2d(a.data, b.data, gy.data, self.needs_input_grad)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        gy2 = gy
        if b.ndim == 1:
            gy2 = gy2.unsqueeze(-1)
        if a.ndim == 1:
            gy2 = gy2.unsqueeze(-2)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = gy2 @ b2.mT
            grad_a = grad_a.squeeze(-2) if a.ndim == 1 else grad_a
        if self.needs_input_grad[1]:
            grad_b = a2.mT @ gy2
            grad_b = grad_b.squeeze(-1) if b.ndim == 1 else grad_b
        return grad_a, grad_b
        # END EXERCISE


def _matmul_backward_2d(a, b, gy, needs):
    """The common case without ``create_graph``: two BLAS calls, no intermediate tensors."""
    return (_wrap(gy @ b.T) if needs[0] else None, _wrap(a.T @ gy) if needs[1] else None)


def add(a, b):
    return Add.apply(*lift_pair(a, b, "add"))


def sub(a, b):
    return Sub.apply(*lift_pair(a, b, "sub"))


def mul(a, b):
    return Mul.apply(*lift_pair(a, b, "mul"))


def div(a, b):
    return Div.apply(*lift_pair(a, b, "div"))


def neg(x):
    return Neg.apply(x)


def pow(a, b):
    return Pow.apply(*lift_pair(a, b, "pow"))


def matmul(a, b):
    a, b = lift_pair(a, b, "matmul")
    if amp._state["dtype"] is not None:  # inside autocast: compute in float16
        a, b = amp.autocast_inputs(a, b)
    return MatMul.apply(a, b)
