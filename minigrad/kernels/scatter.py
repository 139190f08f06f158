"""Scatter-add, the backward of indexing: ``out[index] += g`` where repeated indices add up."""

import numpy as np

from minigrad.kernels._jit import kernel


def index_add_rows_reference(out, rows, g):
    np.add.at(out, rows, g)
    return out


@kernel(index_add_rows_reference, threshold=64)
def index_add_rows(out, rows, g):
    """out[rows[i], :] += g[i, :] for a 2-D ``out`` and 1-D non-negative ``rows``."""
    for i in range(rows.size):
        out[rows[i]] += g[i]
    return out


def index_add(out, index, g):
    """``out[index] += g`` for any NumPy index; the common case (one integer array selecting
    rows, as in an embedding lookup) goes through the row kernel."""
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and out.ndim >= 1:
        rows = index.ravel()
        rows = np.where(rows < 0, rows + out.shape[0], rows)
        index_add_rows(out.reshape(out.shape[0], -1), rows,
                       np.ascontiguousarray(g).reshape(rows.size, -1))
    elif _has_integer_array(index):
        np.add.at(out, index, g)
    else:  # slices, ints and boolean masks never select an element twice
        out[index] = g
    return out


def _has_integer_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)
