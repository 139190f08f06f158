"""Batch and layer normalization: statistics, the normalize-scale-shift pass, and backward.

Both normalize x̂ = (x - μ)·r with r = 1/√(σ² + ε) and output y = γ·x̂ + β; they differ in
what μ and σ² (biased) are taken over. BatchNorm works on x viewed as (N, C, L) and takes
them per channel c over N·L values; LayerNorm works on x viewed as (M, D) and takes them per
row over D values. With G = ∂L/∂y and means over the same m values:

    ∂L/∂β = Σ G,   ∂L/∂γ = Σ G·x̂,   ∂L/∂x = r·(Ĝ - mean(Ĝ) - x̂·mean(Ĝ·x̂)),  Ĝ = γ·G

The Numba versions run one parallel loop over channels (BatchNorm) or rows (LayerNorm),
accumulating in float64.
"""

import math

import numpy as np

from minigrad.kernels._jit import kernel, prange

SMALL = 8192


# -- BatchNorm: x viewed as (N, C, L), statistics per channel -----------------------------------

def batch_norm_stats_reference(x):
    return x.mean(axis=(0, 2)), x.var(axis=(0, 2))


@kernel(batch_norm_stats_reference, parallel=True, threshold=SMALL)
def batch_norm_stats(x):
    """Per-channel mean and biased variance of x (N, C, L); two passes for accuracy. Each sum
    runs in float64 lanes, one per position along L, added up at the end: the additions into
    different lanes are independent, so the loop vectorizes. (One running total is a chain of
    dependent additions, which measured 1.2x slower than NumPy's x.mean and x.var on the
    benchmark's 64×16×784.)"""
    n, channels, length = x.shape
    count = n * length
    mean = np.empty(channels, dtype=x.dtype)
    var = np.empty(channels, dtype=x.dtype)
    for c in prange(channels):
        lanes = np.zeros(length)
        for i in range(n):
            for j in range(length):
                lanes[j] += x[i, c, j]
        mu = lanes.sum() / count
        lanes[:] = 0.0
        for i in range(n):
            for j in range(length):
                d = x[i, c, j] - mu
                lanes[j] += d * d
        mean[c] = mu
        var[c] = lanes.sum() / count
    return mean, var


def batch_norm_apply_reference(x, mean, invstd, weight, bias):
    scale = (invstd * weight)[None, :, None]
    return ((x - mean[None, :, None]) * scale + bias[None, :, None]).astype(x.dtype, copy=False)


@kernel(batch_norm_apply_reference, parallel=True, threshold=SMALL)
def batch_norm_apply(x, mean, invstd, weight, bias):
    """y = (x - μ_c)·r_c·γ_c + β_c."""
    n, channels, length = x.shape
    y = np.empty_like(x)
    for c in prange(channels):
        scale = invstd[c] * weight[c]
        for i in range(n):
            for j in range(length):
                y[i, c, j] = (x[i, c, j] - mean[c]) * scale + bias[c]
    return y


def batch_norm_backward_reference(x, gy, mean, invstd, weight):
    # BEGIN EXERCISE batchnorm
    x_hat = (x - mean[None, :, None]) * invstd[None, :, None]
    grad_bias = gy.sum(axis=(0, 2))
    grad_weight = (gy * x_hat).sum(axis=(0, 2))
    count = x.shape[0] * x.shape[2]
    grad_x = (weight * invstd)[None, :, None] * (
        gy - (grad_bias / count)[None, :, None] - x_hat * (grad_weight / count)[None, :, None])
    return grad_x.astype(x.dtype, copy=False), grad_weight, grad_bias
    # END EXERCISE


@kernel(batch_norm_backward_reference, parallel=True, threshold=SMALL)
def batch_norm_backward(x, gy, mean, invstd, weight):
    """∂L/∂x, ∂L/∂γ, ∂L/∂β of training-mode BatchNorm (batch statistics)."""
    n, channels, length = x.shape
    count = n * length
    grad_x = np.empty_like(x)
    grad_weight = np.empty(channels, dtype=x.dtype)
    grad_bias = np.empty(channels, dtype=x.dtype)
    for c in prange(channels):
        sum_g = 0.0
        sum_g_xhat = 0.0
        for i in range(n):
            for j in range(length):
                sum_g += gy[i, c, j]
                sum_g_xhat += gy[i, c, j] * (x[i, c, j] - mean[c]) * invstd[c]
        grad_bias[c] = sum_g
        grad_weight[c] = sum_g_xhat
        mean_g, mean_g_xhat = sum_g / count, sum_g_xhat / count
        scale = weight[c] * invstd[c]
        for i in range(n):
            for j in range(length):
                x_hat = (x[i, c, j] - mean[c]) * invstd[c]
                grad_x[i, c, j] = scale * (gy[i, c, j] - mean_g - x_hat * mean_g_xhat)
    return grad_x, grad_weight, grad_bias


# -- LayerNorm: x viewed as (M, D), statistics per row --------------------------------------------

def layer_norm_forward_reference(x, weight, bias, eps):
    # BEGIN EXERCISE layernorm
    mean = x.mean(axis=1)
    invstd = 1 / np.sqrt(x.var(axis=1) + eps)
    y = (x - mean[:, None]) * invstd[:, None] * weight + bias
    return y.astype(x.dtype, copy=False), mean, invstd.astype(x.dtype, copy=False)
    # END EXERCISE


@kernel(layer_norm_forward_reference, parallel=True, threshold=SMALL)
def layer_norm_forward(x, weight, bias, eps):
    """y = (x - μ)·r·γ + β per row, and the row statistics μ, r for backward."""
    rows, size = x.shape
    y = np.empty_like(x)
    mean = np.empty(rows, dtype=x.dtype)
    invstd = np.empty(rows, dtype=x.dtype)
    for i in prange(rows):
        total = 0.0
        for k in range(size):
            total += x[i, k]
        mu = total / size
        spread = 0.0
        for k in range(size):
            d = x[i, k] - mu
            spread += d * d
        r = 1 / math.sqrt(spread / size + eps)
        for k in range(size):
            y[i, k] = (x[i, k] - mu) * r * weight[k] + bias[k]
        mean[i] = mu
        invstd[i] = r
    return y, mean, invstd


def layer_norm_backward_reference(x, gy, mean, invstd, weight):
    x_hat = (x - mean[:, None]) * invstd[:, None]
    g_hat = gy * weight
    grad_x = invstd[:, None] * (g_hat - g_hat.mean(axis=1, keepdims=True)
                                - x_hat * (g_hat * x_hat).mean(axis=1, keepdims=True))
    return (grad_x.astype(x.dtype, copy=False), (gy * x_hat).sum(axis=0).astype(x.dtype),
            gy.sum(axis=0))


@kernel(layer_norm_backward_reference, parallel=True, threshold=SMALL)
def layer_norm_backward(x, gy, mean, invstd, weight):
    """∂L/∂x per row (parallel over rows), then ∂L/∂γ, ∂L/∂β per column (parallel over D)."""
    rows, size = x.shape
    grad_x = np.empty_like(x)
    for i in prange(rows):
        sum_g = 0.0
        sum_g_xhat = 0.0
        for k in range(size):
            g_hat = gy[i, k] * weight[k]
            sum_g += g_hat
            sum_g_xhat += g_hat * (x[i, k] - mean[i]) * invstd[i]
        mean_g, mean_g_xhat = sum_g / size, sum_g_xhat / size
        for k in range(size):
            x_hat = (x[i, k] - mean[i]) * invstd[i]
            grad_x[i, k] = invstd[i] * (gy[i, k] * weight[k] - mean_g - x_hat * mean_g_xhat)
    grad_weight = np.empty(size, dtype=x.dtype)
    grad_bias = np.empty(size, dtype=x.dtype)
    for k in prange(size):
        sum_g = 0.0
        sum_g_xhat = 0.0
        for i in range(rows):
            sum_g += gy[i, k]
            sum_g_xhat += gy[i, k] * (x[i, k] - mean[i]) * invstd[i]
        grad_weight[k] = sum_g_xhat
        grad_bias[k] = sum_g
    return grad_x, grad_weight, grad_bias
