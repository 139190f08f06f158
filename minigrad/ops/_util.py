"""Small helpers shared by the ops: lifting scalars to tensors, normalizing dims, shared ones."""

import functools
import numbers

import numpy as np

from minigrad.errors import DTypeError, MinigradError, OutOfBoundsError
from minigrad.tensor import Tensor


def lift(x, like: Tensor, op: str = "op") -> Tensor:
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
    try:
        return Tensor(x)
    except MinigradError:
        raise DTypeError(f"{op}: dtypes {like.dtype} and {type(x).__name__}: cannot combine a "
                         f"tensor with a {type(x).__name__}") from None


def lift_pair(a, b, op: str = "op"):
    """Both operands of a binary op as tensors (at least one of them already is). An integer
    tensor meeting a Python float becomes float32 first, as PyTorch promotes it."""
    if isinstance(a, Tensor):
        if isinstance(b, float) and a.data.dtype.kind in "biu":
            a = Tensor._make(a.data.astype(np.float32))
        return a, lift(b, a, op)
    if isinstance(a, float) and b.data.dtype.kind in "biu":
        b = Tensor._make(b.data.astype(np.float32))
    return lift(a, b, op), b


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    """A dim in [-ndim, ndim) as a non-negative axis, or an error naming the op."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise OutOfBoundsError(f"{op}: dim {dim} out of range for a tensor with {ndim} "
                               f"dimensions (expected -{size} <= dim < {size})")
    return dim % size


def normalize_dims(dim, ndim: int, op: str):
    """``None`` (all dims) or a sorted tuple of non-negative axes (none for a 0-d tensor,
    which PyTorch lets you reduce along dim 0 or -1)."""
    if dim is None:
        return None
    if ndim == 0:
        for d in (dim,) if isinstance(dim, int) else dim:
            normalize_dim(d, ndim, op)
        return ()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(normalize_dim(d, ndim, op) for d in dims))


def kept_shape(shape, dims):
    """``shape`` with the reduced ``dims`` set to 1 (what ``keepdim=True`` gives)."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


@functools.lru_cache(maxsize=64)
def ones(n: int, dtype) -> np.ndarray:
    """A vector of n ones, made once per (n, dtype) and shared by every caller, so it is only
    read: the 1 of Σₙ gₙ = 1ᵀg, and the class weights of an unweighted loss."""
    return np.ones(n, dtype=dtype)
