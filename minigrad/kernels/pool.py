"""Pooling over the (H, W) planes of an (N, C, H, W) array; 1-D pooling is height 1.

Max pooling finds, for every window, the flat index ``y·W + x`` in the plane of its largest
element (PyTorch's ``return_indices``); the values are then a gather at those places, and the
backward adds each gradient to its element.

Average pooling, plain and adaptive, is one kernel: output (oh, ow) averages the rectangle
rows [h_start[oh], h_end[oh]) × columns [w_start[ow], w_end[ow]) of the plane, divided by
``divisor[oh, ow]`` (which may count padding, as ``count_include_pad`` asks). Its backward
spreads each gradient evenly back over its rectangle.
"""

import math

import numpy as np

from minigrad.kernels._jit import kernel, prange

SMALL = 4096  # input elements below which the NumPy reference beats a Numba dispatch


def max_pool_indices_reference(x, kernel_size, stride, padding, dilation, out_size):
    # BEGIN EXERCISE max_pool
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = out_size
    height = max(h + ph, (oh - 1) * sh + dh * (kh - 1) + 1)
    width = max(w + pw, (ow - 1) * sw + dw * (kw - 1) + 1)
    x_padded = np.full((n, c, height, width), -np.inf, dtype=x.dtype)
    x_padded[:, :, ph:ph + h, pw:pw + w] = x
    flat = np.full((height, width), -1, dtype=np.int64)  # plane index of each padded position
    flat[ph:ph + h, pw:pw + w] = np.arange(h * w).reshape(h, w)
    values = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    indices = np.zeros((n, c, oh, ow), dtype=np.int64)
    first = np.ones((n, c, oh, ow), dtype=bool)  # no element of the window seen yet
    for i in range(kh):  # scan the window in row-major order; the first maximum wins
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            candidate, where = x_padded[:, :, rows, cols], flat[rows, cols]
            inside = where >= 0
            take = inside & (first | (candidate > values) | np.isnan(candidate))
            values = np.where(take, candidate, values)
            indices = np.where(take, where, indices)
            first &= ~inside
    return indices
    # END EXERCISE


@kernel(max_pool_indices_reference, parallel=True, threshold=SMALL)
def max_pool_indices(x, kernel_size, stride, padding, dilation, out_size):
    """The place y·W + x of each window's maximum (the first in row-major order on ties; a
    NaN wins, as in PyTorch)."""
    n, c, h, w = x.shape
    kh, kw = kernel_size
    oh_size, ow_size = out_size
    indices = np.empty((n, c, oh_size, ow_size), dtype=np.int64)
    for plane in prange(n * c):
        b, ch = plane // c, plane % c
        for oh in range(oh_size):
            for ow in range(ow_size):
                best, best_index, found = x[b, ch, 0, 0], -1, False
                for i in range(kh):
                    y = oh * stride[0] - padding[0] + i * dilation[0]
                    if y < 0 or y >= h:
                        continue
                    for j in range(kw):
                        x_pos = ow * stride[1] - padding[1] + j * dilation[1]
                        if x_pos < 0 or x_pos >= w:
                            continue
                        value = x[b, ch, y, x_pos]
                        if not found or value > best or math.isnan(value):
                            best, best_index, found = value, y * w + x_pos, True
                indices[b, ch, oh, ow] = best_index
    return indices


def max_pool_backward_reference(gy, indices, plane_size):
    n, c = gy.shape[:2]
    gx = np.zeros((n * c, plane_size), dtype=gy.dtype)
    rows = np.repeat(np.arange(n * c), indices[0, 0].size)
    np.add.at(gx, (rows, indices.ravel()), gy.ravel())
    return gx


@kernel(max_pool_backward_reference, parallel=True, threshold=SMALL)
def max_pool_backward(gy, indices, plane_size):
    """gx[plane, indices[plane, k]] += gy[plane, k]; returns gx as (N·C, H·W)."""
    n, c, oh, ow = gy.shape
    g = gy.reshape(n * c, oh * ow)
    where = indices.reshape(n * c, oh * ow)
    gx = np.zeros((n * c, plane_size), dtype=gy.dtype)
    for plane in prange(n * c):
        for k in range(oh * ow):
            gx[plane, where[plane, k]] += g[plane, k]
    return gx


def gather_plane_reference(x, indices):
    n, c = indices.shape[:2]
    planes = x.reshape(n * c, -1)
    return np.take_along_axis(planes, indices.reshape(n * c, -1), axis=1).reshape(indices.shape)


@kernel(gather_plane_reference, parallel=True, threshold=SMALL)
def gather_plane(x, indices):
    """y[n, c, oh, ow] = x[n, c] at flat place indices[n, c, oh, ow] (the max-pool values;
    max_pool_backward's adjoint)."""
    n, c, oh, ow = indices.shape
    planes = x.reshape(n * c, -1)
    where = indices.reshape(n * c, oh * ow)
    out = np.empty((n * c, oh * ow), dtype=x.dtype)
    for plane in prange(n * c):
        for k in range(oh * ow):
            out[plane, k] = planes[plane, where[plane, k]]
    return out.reshape(n, c, oh, ow)


def window_average_reference(x, h_start, h_end, w_start, w_end, divisor):
    n, c = x.shape[:2]
    out = np.empty((n, c, h_start.size, w_start.size), dtype=x.dtype)
    for oh in range(h_start.size):
        for ow in range(w_start.size):
            window = x[:, :, h_start[oh]:h_end[oh], w_start[ow]:w_end[ow]]
            out[:, :, oh, ow] = window.sum(axis=(2, 3)) / divisor[oh, ow]
    return out


@kernel(window_average_reference, parallel=True, threshold=SMALL)
def window_average(x, h_start, h_end, w_start, w_end, divisor):
    """y[n, c, oh, ow] = Σ x[n, c, h_start[oh]:h_end[oh], w_start[ow]:w_end[ow]] / divisor."""
    n, c = x.shape[0], x.shape[1]
    oh_size, ow_size = h_start.size, w_start.size
    out = np.empty((n, c, oh_size, ow_size), dtype=x.dtype)
    for plane in prange(n * c):
        b, ch = plane // c, plane % c
        for oh in range(oh_size):
            for ow in range(ow_size):
                total = 0.0
                for y in range(h_start[oh], h_end[oh]):
                    for x_pos in range(w_start[ow], w_end[ow]):
                        total += x[b, ch, y, x_pos]
                out[b, ch, oh, ow] = total / divisor[oh, ow]
    return out


def window_average_backward_reference(gy, h_start, h_end, w_start, w_end, divisor, plane_shape):
    n, c = gy.shape[:2]
    gx = np.zeros((n, c, *plane_shape), dtype=gy.dtype)
    share = gy / divisor
    for oh in range(h_start.size):
        for ow in range(w_start.size):
            window = (slice(None), slice(None), slice(h_start[oh], h_end[oh]),
                      slice(w_start[ow], w_end[ow]))
            gx[window] += share[:, :, oh, ow, None, None]
    return gx


@kernel(window_average_backward_reference, parallel=True, threshold=SMALL)
def window_average_backward(gy, h_start, h_end, w_start, w_end, divisor, plane_shape):
    """gx[n, c, y, x] = Σ over the windows holding (y, x) of gy[n, c, oh, ow] / divisor[oh, ow]."""
    n, c, oh_size, ow_size = gy.shape
    gx = np.zeros((n, c, plane_shape[0], plane_shape[1]), dtype=gy.dtype)
    for plane in prange(n * c):
        b, ch = plane // c, plane % c
        for oh in range(oh_size):
            for ow in range(ow_size):
                share = gy[b, ch, oh, ow] / divisor[oh, ow]
                for y in range(h_start[oh], h_end[oh]):
                    for x_pos in range(w_start[ow], w_end[ow]):
                        gx[b, ch, y, x_pos] += share
    return gx
