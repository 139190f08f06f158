"""Activations beyond ReLU, sigmoid and tanh: LeakyReLU, ELU, GELU, SiLU, Softplus.

Like the core activations, each backward has two paths with the same maths: one fused kernel
pass when the backward need not be differentiated again, the formula in Tensor ops under
``create_graph`` (so second derivatives work).
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import RangeError
from minigrad.kernels import activation as K
from minigrad.ops.unary import where
from minigrad.tensor import Tensor


def _normal_density(x: Tensor) -> Tensor:
    """φ(x) = e^(-x²/2) / √(2π), in Tensor ops."""
    return (x * x * -0.5).exp() * K.INV_SQRT_2PI


class LeakyReLU(Function):
    """y = x if x > 0 else slope·x;  ∂y/∂x = 1 if x > 0 else slope."""

    def forward(self, x, negative_slope):
        self.slope = negative_slope
        self.save_for_backward(x)
        return K.leaky_relu_forward(x, negative_slope)

    def backward(self, gy):
        (x,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            return Tensor._make(K.leaky_relu_backward(x.data, gy.data, self.slope))
        return gy * np.where(x.data > 0, 1, self.slope).astype(gy.dtype)


class ELU(Function):
    """y = x if x > 0 else α(eˣ - 1);  ∂y/∂x = 1 if x > 0 else α·eˣ."""

    def forward(self, x, alpha):
        self.alpha = alpha
        self.save_for_backward(x)
        return K.elu_forward(x, alpha)

    def backward(self, gy):
        (x,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            return Tensor._make(K.elu_backward(x.data, gy.data, self.alpha))
        # exp of min(x, 0): the branch not taken must stay finite, or 0·∞ poisons the
        # second derivative
        return where(x.data > 0, gy, gy * x.clamp(max=0).exp() * self.alpha)


class NormalCdf(Function):
    """Φ(x) = ½(1 + erf(x/√2));  ∂Φ/∂x = φ(x). (GELU's differentiable backward uses it.)"""

    def forward(self, x):
        self.save_for_backward(x)
        return K.normal_cdf(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * _normal_density(x)


class GELU(Function):
    """y = x·Φ(x);  ∂y/∂x = Φ(x) + x·φ(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return K.gelu_forward(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            return Tensor._make(K.gelu_backward(x.data, gy.data))
        return gy * (NormalCdf.apply(x) + x * _normal_density(x))


class GELUTanh(Function):
    """y = ½x(1 + tanh u),  u = √(2/π)(x + κx³);
    ∂y/∂x = ½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3κx²)."""

    def forward(self, x):
        self.save_for_backward(x)
        return K.gelu_tanh_forward(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            return Tensor._make(K.gelu_tanh_backward(x.data, gy.data))
        x2 = x * x
        t = ((x + x2 * x * K.KAPPA) * K.SQRT_2_OVER_PI).tanh()
        du = (x2 * (3 * K.KAPPA) + 1) * K.SQRT_2_OVER_PI
        return gy * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * du)


class SiLU(Function):
    """y = x·σ(x);  ∂y/∂x = σ(x)(1 + x(1 - σ(x)))."""

    def forward(self, x):
        self.save_for_backward(x)
        return K.silu_forward(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        if not grad_mode._state["enabled"]:
            return Tensor._make(K.silu_backward(x.data, gy.data))
        s = x.sigmoid()
        return gy * s * (1 + x * (1 - s))


class Softplus(Function):
    """y = log(1 + e^(βx))/β, and y = x where βx > threshold;  ∂y/∂x = σ(βx) (1 where linear)."""

    def forward(self, x, beta, threshold):
        self.beta, self.linear = beta, x * beta > threshold
        self.save_for_backward(x)
        # logaddexp(0, z) = log(1 + eᶻ) without overflow for large z
        return np.where(self.linear, x, np.logaddexp(0, x * beta) / beta).astype(x.dtype)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return where(self.linear, gy, gy * (x * self.beta).sigmoid())


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(x, negative_slope=float(negative_slope))


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return ELU.apply(x, alpha=float(alpha))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU, exact (``approximate="none"``) or with PyTorch's tanh approximation."""
    if approximate == "none":
        return GELU.apply(x)
    if approximate == "tanh":
        return GELUTanh.apply(x)
    raise RangeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Tensor) -> Tensor:
    return SiLU.apply(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    if beta == 0:
        raise RangeError("softplus: beta must be non-zero")
    return Softplus.apply(x, beta=float(beta), threshold=float(threshold))

