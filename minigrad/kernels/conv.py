"""im2col and col2im: a convolution as one matrix product.

``im2col`` copies every receptive field of the input into a column, so that the convolution
becomes one matrix product with the weights reshaped to (out_channels, C·kh·kw):

    cols[(c, i, j), (n, oh, ow)] = x[n, c, oh·sh - ph + i·dh, ow·sw - pw + j·dw]

(0 where that position falls into the zero padding). ``col2im`` is its adjoint (transpose):
it adds every column entry back to the input position it was copied from, which is the
backward of im2col and the input gradient of a convolution. A 1-D convolution is the 2-D one
with height 1.

Geometry arguments are pairs (height, width): ``kernel_size``, ``stride``, ``padding`` (the
zeros before the first row and column; the zeros after them follow from ``out_size``),
``dilation`` and ``out_size``.
"""

import numpy as np

from minigrad.kernels._jit import kernel, prange

SMALL = 4096  # input elements below which the NumPy reference beats a Numba dispatch


def _windows(x_padded, kernel_size, stride, dilation, out_size):
    """A read-only view (N, C, OH, OW, kh, kw) of every receptive field (no copy)."""
    n, c, _, _ = x_padded.shape
    sn, sc, sh, sw = x_padded.strides
    shape = (n, c, *out_size, *kernel_size)
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return np.lib.stride_tricks.as_strided(x_padded, shape, strides, writeable=False)


def _padded_size(size, kernel, stride, dilation, out):
    """Rows (or columns) the padded input needs so that every window fits."""
    return max(size, (out - 1) * stride + dilation * (kernel - 1) + 1)


def im2col_reference(x, kernel_size, stride, padding, dilation, out_size):
    # BEGIN EXERCISE conv1d_im2col
    n, c, h, w = x.shape
    ph, pw = padding
    height = _padded_size(h + ph, kernel_size[0], stride[0], dilation[0], out_size[0])
    width = _padded_size(w + pw, kernel_size[1], stride[1], dilation[1], out_size[1])
    x_padded = np.zeros((n, c, height, width), dtype=x.dtype)
    x_padded[:, :, ph:ph + h, pw:pw + w] = x
    windows = _windows(x_padded, kernel_size, stride, dilation, out_size)
    # (N, C, OH, OW, kh, kw) -> (C, kh, kw, N, OH, OW) -> (C·kh·kw, N·OH·OW)
    return np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3)).reshape(
        c * kernel_size[0] * kernel_size[1], n * out_size[0] * out_size[1])
    # END EXERCISE


@kernel(im2col_reference, parallel=True, threshold=SMALL)
def im2col(x, kernel_size, stride, padding, dilation, out_size):
    """cols[(c,i,j), (n,oh,ow)] = x[n, c, oh·sh - ph + i·dh, ow·sw - pw + j·dw]; a row per task."""
    n, c, h, w = x.shape
    kh, kw = kernel_size
    oh_size, ow_size = out_size
    cols = np.empty((c * kh * kw, n * oh_size * ow_size), dtype=x.dtype)
    for row in prange(c * kh * kw):
        ch, i, j = row // (kh * kw), (row // kw) % kh, row % kw
        for b in range(n):
            for oh in range(oh_size):
                start = (b * oh_size + oh) * ow_size
                y = oh * stride[0] - padding[0] + i * dilation[0]
                if y < 0 or y >= h:
                    cols[row, start:start + ow_size] = 0
                    continue
                for ow in range(ow_size):
                    x_pos = ow * stride[1] - padding[1] + j * dilation[1]
                    cols[row, start + ow] = x[b, ch, y, x_pos] if 0 <= x_pos < w else 0
    return cols


def col2im_reference(cols, input_shape, kernel_size, stride, padding, dilation, out_size):
    n, c, h, w = input_shape
    ph, pw = padding
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, stride, dilation, out_size
    height = _padded_size(h + ph, kh, sh, dh, oh)
    width = _padded_size(w + pw, kw, sw, dw, ow)
    grid = cols.reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    x_padded = np.zeros((n, c, height, width), dtype=cols.dtype)
    for i in range(kh):  # the windows of one kernel offset never overlap: += is safe
        for j in range(kw):
            x_padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                     j * dw:j * dw + sw * (ow - 1) + 1:sw] += grid[:, :, i, j]
    return x_padded[:, :, ph:ph + h, pw:pw + w].copy()


@kernel(col2im_reference, parallel=True, threshold=SMALL)
def col2im(cols, input_shape, kernel_size, stride, padding, dilation, out_size):
    """x[n, c, y, x] = Σ of the column entries copied from there; one (n, c) plane per task."""
    n, c, h, w = input_shape
    kh, kw = kernel_size
    oh_size, ow_size = out_size
    out = np.zeros((n, c, h, w), dtype=cols.dtype)
    for plane in prange(n * c):
        b, ch = plane // c, plane % c
        for i in range(kh):
            for j in range(kw):
                row = (ch * kh + i) * kw + j
                for oh in range(oh_size):
                    y = oh * stride[0] - padding[0] + i * dilation[0]
                    if y < 0 or y >= h:
                        continue
                    start = (b * oh_size + oh) * ow_size
                    for ow in range(ow_size):
                        x_pos = ow * stride[1] - padding[1] + j * dilation[1]
                        if 0 <= x_pos < w:
                            out[b, ch, y, x_pos] += cols[row, start + ow]
    return out
