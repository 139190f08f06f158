"""Elementwise functions of one tensor, and the elementwise choices ``where``, ``maximum``,
``minimum``, ``clamp``.

Activations have two backward paths with the same maths: under ``create_graph`` the formula
in Tensor ops (so it can be differentiated again), otherwise one fused kernel pass.
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import DTypeError
from minigrad.kernels import elementwise as K
from minigrad.ops._util import lift, lift_pair
from minigrad.tensor import Tensor


def _fast(gy):
    """True when backward need not be differentiable (no ``create_graph``)."""
    return not grad_mode._state["enabled"]


class Exp(Function):
    """y = eˣ;  ∂y/∂x = y."""

    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y


class Log(Function):
    """y = ln x;  ∂y/∂x = 1/x."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / x


class Sqrt(Function):
    """y = √x;  ∂y/∂x = 1/(2y)."""

    def forward(self, x):
        y = np.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy / (2 * y)


class Abs(Function):
    """y = |x|;  ∂y/∂x = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x):
        self.save_for_backward(np.sign(x))
        return np.abs(x)

    def backward(self, gy):
        (sign,) = self.saved_tensors
        return gy * sign


class Sign(Function):
    """y = sign(x);  ∂y/∂x = 0 everywhere it exists."""

    def forward(self, x):
        return np.sign(x)

    def backward(self, gy):
        return gy * 0


class Tanh(Function):
    """y = tanh x;  ∂y/∂x = 1 - y²."""

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        if _fast(gy):
            return Tensor._make(K.tanh_backward(y.data, gy.data))
        return gy * (1 - y * y)


class Sigmoid(Function):
    """y = σ(x) = 1/(1+e⁻ˣ);  ∂y/∂x = y(1 - y)."""

    def forward(self, x):
        y = K.sigmoid_forward(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        # BEGIN EXERCISE sigmoid_backward
        (y,) = self.saved_tensors
        if _fast(gy):
            return Tensor._make(K.sigmoid_backward(y.data, gy.data))
        return gy * y * (1 - y)
        # END EXERCISE


class ReLU(Function):
    """y = max(x, 0);  ∂y/∂x = 1 where x > 0, else 0."""

    def forward(self, x):
        y = np.maximum(x, 0)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        if _fast(gy):
            return Tensor._make(K.relu_backward(y.data, gy.data))
        return gy * (y.data > 0)


class Clamp(Function):
    """y = min(max(x, lo), hi);  ∂y/∂x = 1 where lo ≤ x ≤ hi, else 0."""

    def forward(self, x, min=None, max=None):
        inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        self.save_for_backward(inside)
        return np.clip(x, min, max)

    def backward(self, gy):
        (inside,) = self.saved_tensors
        return gy * inside.data


class Where(Function):
    """y = a where condition else b;  the gradient flows to the chosen side."""

    def forward(self, a, b, condition):
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, gy):
        zero = lift(0, gy)
        return (where(self.condition, gy, zero) if self.needs_input_grad[0] else None,
                where(self.condition, zero, gy) if self.needs_input_grad[1] else None)


class Maximum(Function):
    """y = max(a, b) elementwise;  the gradient goes to the larger, split evenly on ties."""

    def forward(self, a, b):
        share = (a > b) + 0.5 * (a == b)
        self.save_for_backward(share.astype(np.result_type(a, b)))
        return np.maximum(a, b)

    def backward(self, gy):
        (share,) = self.saved_tensors
        return gy * share.data, gy * (1 - share.data)


class Cast(Function):
    """y = x converted to another dtype; the gradient converts back."""

    def forward(self, x, dtype):
        self.source_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return gy.to(self.source_dtype)


class Clone(Function):
    """y = a copy of x;  ∂y/∂x = 1."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def exp(x):
    return Exp.apply(x)


def log(x):
    return Log.apply(x)


def sqrt(x):
    return Sqrt.apply(x)


def abs(x):
    return Abs.apply(x)


def sign(x):
    return Sign.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def relu(x):
    return ReLU.apply(x)


def clamp(x, min=None, max=None):
    return Clamp.apply(x, min=_raw(min), max=_raw(max))


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` holds, else of ``b`` (broadcast together)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    a, b = lift_pair(a, b)
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if condition.dtype != np.bool_:
        raise DTypeError(f"where: condition must be a boolean tensor, got dtype {condition.dtype}")
    return Where.apply(a, b, condition=condition)


def maximum(a, b):
    return Maximum.apply(*lift_pair(a, b))


def minimum(a, b):
    a, b = lift_pair(a, b)
    return -maximum(-a, -b)


def to(x, dtype):
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind not in "fc":  # integers and booleans carry no gradient
        return Tensor._make(x.data.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def clone(x):
    return Clone.apply(x)


def _raw(x):
    return x.data if isinstance(x, Tensor) else x
