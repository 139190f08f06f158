"""Activation functions and their derivatives, one pass over memory each.

Backward kernels take the saved forward output ``y`` (or input ``x``) and the incoming
gradient ``gy`` and return ``gx``; the NumPy reference is the formula itself.
"""

import numpy as np

from minigrad.kernels._jit import kernel, prange

# below this many elements waking the thread pool costs more than the loop: the backward
# kernels run their loop on one thread, the others NumPy's vectorized reference
SMALL = 16384
# Typed constants: in a compiled loop a bare 0 or 1 is an int64, and int64 meeting float32 is
# float64, so a float32 array would be computed in float64 (half the elements per vector
# instruction, and other roundings than the float32 reference). These take the array's type.
ZERO, ONE = np.float32(0), np.float32(1)


def relu_backward_reference(y, gy):
    return np.where(y > 0, gy, 0).astype(gy.dtype, copy=False)


@kernel(relu_backward_reference, parallel=True, serial_below=SMALL)
def relu_backward(y, gy):
    """gx = gy · [y > 0]."""
    yf, gf = y.ravel(), gy.ravel()
    out = np.empty_like(gf)
    for i in prange(out.size):
        out[i] = gf[i] if yf[i] > 0 else ZERO
    return out.reshape(gy.shape)


def sigmoid_forward_reference(x):
    # exp of -|x| never overflows: σ(x) = 1/(1+e⁻ˣ) for x ≥ 0, eˣ/(1+eˣ) for x < 0
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


@kernel(sigmoid_forward_reference, parallel=True, threshold=SMALL)
def sigmoid_forward(x):
    """y = 1/(1+e⁻ˣ), computed without overflow for large |x|."""
    xf = x.ravel()
    out = np.empty_like(xf)
    for i in prange(out.size):
        z = np.exp(-abs(xf[i]))
        out[i] = ONE / (ONE + z) if xf[i] >= 0 else z / (ONE + z)
    return out.reshape(x.shape)


def sigmoid_backward_reference(y, gy):
    return gy * y * (1 - y)


@kernel(sigmoid_backward_reference, parallel=True, serial_below=SMALL)
def sigmoid_backward(y, gy):
    """gx = gy · y(1 - y)."""
    yf, gf = y.ravel(), gy.ravel()
    out = np.empty_like(gf)
    for i in prange(out.size):
        out[i] = gf[i] * yf[i] * (ONE - yf[i])
    return out.reshape(gy.shape)


def tanh_backward_reference(y, gy):
    return gy * (1 - y * y)


@kernel(tanh_backward_reference, parallel=True, serial_below=SMALL)
def tanh_backward(y, gy):
    """gx = gy · (1 - y²)."""
    yf, gf = y.ravel(), gy.ravel()
    out = np.empty_like(gf)
    for i in prange(out.size):
        out[i] = gf[i] * (ONE - yf[i] * yf[i])
    return out.reshape(gy.shape)
