"""Small helpers shared by the ops: lifting scalars to tensors, normalizing dims."""

import numbers

import numpy as np

from minigrad.errors import OutOfBoundsError
from minigrad.tensor import Tensor


def lift(x, like: Tensor) -> Tensor:
    """``x`` as a Tensor; a Python or NumPy scalar takes ``like``'s dtype (PyTorch's rule:
    ``float32 * 2.5`` stays float32; an integer tensor times a float becomes float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    if isinstance(x, numbers.Number):
        dtype = like.data.dtype
        if isinstance(x, (float, np.floating)) and not np.issubdtype(dtype, np.inexact):
            dtype = np.float32
        return Tensor._make(np.array(x, dtype=dtype))
    return Tensor(x)


def lift_pair(a, b):
    """Both operands of a binary op as tensors (at least one of them already is)."""
    if isinstance(a, Tensor):
        return a, lift(b, a)
    return lift(a, b), b


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """A dim in [-ndim, ndim) as a non-negative axis, or an error naming the op."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise OutOfBoundsError(f"{op}: dim {dim} out of range for a tensor with {ndim} "
                               f"dimensions (expected -{size} <= dim < {size})")
    return dim % size


def normalize_dims(dim, ndim: int, op: str):
    """``None`` (all dims) or a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(normalize_dim(d, ndim, op) for d in dims))


def kept_shape(shape, dims):
    """``shape`` with the reduced ``dims`` set to 1 (what ``keepdim=True`` gives)."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


