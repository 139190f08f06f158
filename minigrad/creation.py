"""Making tensors: from data, filled with a value, ranges, and random draws.

Float results default to float32 (as PyTorch's default dtype); random draws come from
minigrad's one generator, so ``manual_seed`` fixes them.
"""

import numpy as np

from minigrad import random
from minigrad.errors import RangeError
from minigrad.tensor import Tensor, _to_array

DEFAULT_FLOAT = np.float32


def _shape(size):
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], (int, np.integer)) \
        else tuple(size)
    if any(n < 0 for n in shape):
        raise RangeError(f"size {shape}: dimensions cannot be negative")
    return shape


def _new(array, requires_grad):
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (list, number, array or tensor)."""
    return _new(_to_array(data, dtype, copy=True), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``."""
    return Tensor._make(array)


def zeros(*size, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    return _new(np.zeros(_shape(size), dtype=dtype), requires_grad)


def ones(*size, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    return _new(np.ones(_shape(size), dtype=dtype), requires_grad)


def empty(*size, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    return _new(np.empty(_shape(size), dtype=dtype), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = _to_array(fill_value).dtype
    return _new(np.full(_shape((size,)), fill_value, dtype=dtype), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _new(np.zeros(t.shape, dtype=dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _new(np.ones(t.shape, dtype=dtype or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _new(np.full(t.shape, fill_value, dtype=dtype or t.dtype), requires_grad)


def eye(n, m=None, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    _shape((n, n if m is None else m))
    return _new(np.eye(n, m, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Integers give int64, any float gives float32, as PyTorch."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RangeError("arange: step must be non-zero")
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = DEFAULT_FLOAT if floats else np.int64
    return _new(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RangeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _new(np.linspace(start, end, steps, dtype=dtype), requires_grad)


def rand(*size, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    return _new(random.generator().random(_shape(size)).astype(dtype), requires_grad)


def randn(*size, dtype=DEFAULT_FLOAT, requires_grad=False) -> Tensor:
    """Standard normal."""
    return _new(random.generator().standard_normal(_shape(size)).astype(dtype), requires_grad)


def randint(low, high=None, size=(), dtype=np.int64) -> Tensor:
    """Integers in [low, high) (or [0, low) when high is omitted)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RangeError(f"randint: empty range [{low}, {high})")
    return Tensor._make(random.generator().integers(low, high, size=tuple(size), dtype=dtype))


def randperm(n, dtype=np.int64) -> Tensor:
    return Tensor._make(random.generator().permutation(n).astype(dtype))
