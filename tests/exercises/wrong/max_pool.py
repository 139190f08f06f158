"""Wrong: pads with zeros instead of -inf, so padding wins over negative inputs."""

import numpy as np


def max_pool_indices_reference(x, kernel_size, stride, padding, dilation, out_size):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = out_size
    height = max(h + ph, (oh - 1) * sh + dh * (kh - 1) + 1)
    width = max(w + pw, (ow - 1) * sw + dw * (kw - 1) + 1)
    x_padded = np.zeros((n, c, height, width), dtype=x.dtype)
    x_padded[:, :, ph:ph + h, pw:pw + w] = x
    flat = np.full((height, width), 0, dtype=np.int64)
    flat[ph:ph + h, pw:pw + w] = np.arange(h * w).reshape(h, w)
    values = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    indices = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            candidate, where = x_padded[:, :, rows, cols], flat[rows, cols]
            take = candidate > values
            values = np.where(take, candidate, values)
            indices = np.where(take, where, indices)
    return indices
