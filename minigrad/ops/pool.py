"""Pooling: max, average and adaptive average, over 1-D (N, C, L) or 2-D (N, C, H, W) inputs.

    max:      y = x at the window's (first) maximum;  ∂L/∂x = ∂L/∂y there, 0 elsewhere
    average:  y = Σ window / divisor;       ∂L/∂x = ∂L/∂y / divisor spread over the window

Plain and adaptive average pooling differ only in where their windows fall, so they share one
op. Max pooling finds the places of the maxima (no gradient flows through that choice) and
gathers the values there. Each backward is itself an op whose backward is the forward's
gather or average, so derivatives of any order work. A 1-D pool is the 2-D one with height 1.
"""

from typing import NamedTuple

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.kernels import pool as K
from minigrad.ops.conv import Geometry, as_4d, check_positive, spatial_tuple
from minigrad.tensor import Tensor


class Windows(NamedTuple):
    """Average-pooling windows: output (oh, ow) averages rows [h_start, h_end) × columns
    [w_start, w_end) of its plane, divided by ``divisor[oh, ow]``."""

    h_start: np.ndarray
    h_end: np.ndarray
    w_start: np.ndarray
    w_end: np.ndarray
    divisor: np.ndarray


def _to_input_rank(y, x_ndim):
    """A 4-D result back to (N, C, L) when the input was 1-D."""
    return y if x_ndim == 4 else y.reshape(y.shape[0], y.shape[1], y.shape[3])


class PlaneScatterAdd(Function):
    """x[n, c].flat[indices[n, c, k]] += g[n, c, k] into zeros;  backward: gather."""

    def forward(self, g, indices, input_shape):
        self.indices = indices
        shape4 = as_4d(input_shape)
        gx = K.max_pool_backward(np.ascontiguousarray(g).reshape(indices.shape), indices,
                                 shape4[2] * shape4[3])
        return gx.reshape(input_shape)

    def backward(self, gx):
        return PlaneGather.apply(gx, indices=self.indices)


class PlaneGather(Function):
    """y[n, c, k] = x[n, c].flat[indices[n, c, k]];  backward: scatter-add."""

    def forward(self, x, indices):
        self.indices, self.input_shape = indices, x.shape
        return _to_input_rank(K.gather_plane(x.reshape(as_4d(x.shape)), indices), x.ndim)

    def backward(self, gy):
        return PlaneScatterAdd.apply(gy, indices=self.indices, input_shape=self.input_shape)


class WindowAverage(Function):
    """y = Σ window / divisor, for plain and adaptive average pooling;  backward: spread."""

    def forward(self, x, windows):
        self.windows, self.input_shape = windows, x.shape
        return _to_input_rank(K.window_average(x.reshape(as_4d(x.shape)), *windows), x.ndim)

    def backward(self, gy):
        return WindowSpread.apply(gy, windows=self.windows, input_shape=self.input_shape)


class WindowSpread(Function):
    """x = each g / divisor added over its window (WindowAverage's adjoint);  backward: average."""

    def forward(self, g, windows, input_shape):
        self.windows = windows
        shape4 = as_4d(input_shape)
        g4 = g.reshape(shape4[:2] + (windows.h_start.size, windows.w_start.size))
        return K.window_average_backward(g4, *windows, shape4[2:]).reshape(input_shape)

    def backward(self, gx):
        return WindowAverage.apply(gx, windows=self.windows)


# -- max pooling -------------------------------------------------------------------------------

def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of (N, C, L) or (C, L); with ``return_indices`` also their positions."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of (N, C, H, W) or (C, H, W); padding counts as -∞. With
    ``return_indices`` also each maximum's place y·W + x in its plane (as PyTorch)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims):
    op = f"max_pool{dims}d"
    x, unbatched = _batched(x, dims, op)
    kernel_size, stride, padding = _window_args(kernel_size, stride, padding, dims, op)
    dilation = spatial_tuple(dilation, dims, "dilation", op)
    check_positive(dilation, "dilation", op)
    out_size = _out_size(x, kernel_size, stride, padding, dilation, ceil_mode, op)
    geometry = Geometry.of(kernel_size, stride, padding, dilation, out_size)
    indices = K.max_pool_indices(x.data.reshape(as_4d(x.shape)), *geometry)
    y = PlaneGather.apply(x, indices=indices)
    if unbatched:
        y = y.squeeze(0)
    return (y, Tensor._make(indices.reshape(y.shape))) if return_indices else y


# -- average pooling ---------------------------------------------------------------------------

def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of (N, C, L) or (C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over windows of (N, C, H, W) or (C, H, W). ``count_include_pad`` divides by the
    window size including zero padding (but never the part past the padding that
    ``ceil_mode`` adds); ``divisor_override`` divides by a fixed number instead."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
              dims):
    op = f"avg_pool{dims}d"
    x, unbatched = _batched(x, dims, op)
    kernel_size, stride, padding = _window_args(kernel_size, stride, padding, dims, op)
    out_size = _out_size(x, kernel_size, stride, padding, (1,) * dims, ceil_mode, op)
    if divisor_override is not None and divisor_override <= 0:
        raise RangeError(f"{op}: divisor_override must be positive, got {divisor_override}")
    per_dim = [_avg_windows(n, out, k, s, p) for n, out, k, s, p in
               zip(x.shape[2:], out_size, kernel_size, stride, padding)]
    if dims == 1:
        per_dim.insert(0, (np.array([0]), np.array([1]), np.array([1])))
    (h_start, h_end, h_padded), (w_start, w_end, w_padded) = per_dim
    if divisor_override is not None:
        divisor = np.full((h_start.size, w_start.size), divisor_override)
    elif count_include_pad:
        divisor = np.outer(h_padded, w_padded)
    else:
        divisor = np.outer(h_end - h_start, w_end - w_start)
    windows = Windows(h_start, h_end, w_start, w_end, divisor.astype(x.dtype))
    y = WindowAverage.apply(x, windows=windows)
    return y.squeeze(0) if unbatched else y


def _avg_windows(size, out, kernel, stride, padding):
    """Per output position along one dim: window start, end (clipped to the input) and its
    length counting zero padding (PyTorch's ``count_include_pad`` divisor)."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    padded_length = end - start
    return np.maximum(start, 0), np.minimum(end, size), padded_length


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over ``output_size`` windows covering (N, C, L): window i spans
    [⌊i·L/out⌋, ⌈(i+1)·L/out⌉)."""
    return _adaptive_avg_pool(input, output_size, 1)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over an ``output_size`` grid of windows covering (N, C, H, W); a ``None`` size
    keeps that dim."""
    return _adaptive_avg_pool(input, output_size, 2)


def _adaptive_avg_pool(x, output_size, dims):
    op = f"adaptive_avg_pool{dims}d"
    x, unbatched = _batched(x, dims, op)
    sizes = (output_size,) * dims if output_size is None or isinstance(
        output_size, (int, np.integer)) else tuple(output_size)
    if len(sizes) != dims:
        raise RangeError(f"{op}: output_size must be an int or a tuple of {dims}, got "
                         f"{output_size!r}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[2:]))
    check_positive(sizes, "output_size", op, minimum=0)
    per_dim = [_adaptive_windows(n, out) for n, out in zip(x.shape[2:], sizes)]
    if dims == 1:
        per_dim.insert(0, (np.array([0]), np.array([1])))
    (h_start, h_end), (w_start, w_end) = per_dim
    divisor = np.outer(h_end - h_start, w_end - w_start).astype(x.dtype)
    y = WindowAverage.apply(x, windows=Windows(h_start, h_end, w_start, w_end, divisor))
    return y.squeeze(0) if unbatched else y


def _adaptive_windows(size, out):
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


# -- argument checks shared by the pools --------------------------------------------------------

def _batched(x, dims, op):
    """(x with a batch dim, whether one was added); checks rank and dtype."""
    if x.ndim not in (dims + 1, dims + 2):
        names = "L" if dims == 1 else "H, W"
        raise ShapeError(f"{op}: expected a {dims + 1}-D (C, {names}) or {dims + 2}-D "
                         f"(N, C, {names}) input, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise DTypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    unbatched = x.ndim == dims + 1
    return (x.unsqueeze(0) if unbatched else x), unbatched


def _window_args(kernel_size, stride, padding, dims, op):
    kernel_size = spatial_tuple(kernel_size, dims, "kernel_size", op)
    stride = kernel_size if stride is None or stride == () else spatial_tuple(
        stride, dims, "stride", op)
    padding = spatial_tuple(padding, dims, "padding", op)
    check_positive(kernel_size, "kernel_size", op)
    check_positive(stride, "stride", op)
    check_positive(padding, "padding", op, minimum=0)
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise RangeError(f"{op}: padding {padding} must be at most half of kernel_size "
                         f"{kernel_size}")
    return kernel_size, stride, padding


def _out_size(x, kernel_size, stride, padding, dilation, ceil_mode, op):
    """PyTorch's pooling output size; with ``ceil_mode`` a last, partial window is kept if it
    starts inside the input or its left padding."""
    out = []
    for n, k, s, p, d in zip(x.shape[2:], kernel_size, stride, padding, dilation):
        size = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (size - 1) * s >= n + p:
            size -= 1
        out.append(size)
    if any(size < 1 for size in out):
        raise ShapeError(f"{op}: kernel_size {kernel_size} (dilation {dilation}) is larger than "
                         f"the padded input (input shape {x.shape}, padding {padding}); the "
                         f"output size would be {tuple(out)}")
    return tuple(out)
