"""Ops that move elements without changing them: reshape, permute, indexing, cat, stack.

Their backward moves the gradient back: reshape it, permute it the inverse way, scatter it
into the indexed places (adding where an index repeats), or slice it into pieces.
"""

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import OutOfBoundsError, RangeError, ShapeError
from minigrad.kernels import scatter as K
from minigrad.ops._util import normalize_dim
from minigrad.tensor import Tensor


class Reshape(Function):
    """y = x with a new shape (same elements, same order)."""

    is_view = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot view a tensor of shape {x.shape} "
                             f"({x.size} elements) as shape {shape}") from None

    def backward(self, gy):
        return gy.reshape(self.input_shape)


class Permute(Function):
    """y = x with its dims reordered;  backward applies the inverse order."""

    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return np.transpose(x, dims)

    def backward(self, gy):
        return gy.permute(*np.argsort(self.dims))


class GetItem(Function):
    """y = x[index];  backward scatters the gradient into a zero tensor of x's shape."""

    def forward(self, x, index):
        self.input_shape, self.index = x.shape, index
        return x[index]

    def backward(self, gy):
        return IndexAdd.apply(gy, shape=self.input_shape, index=self.index)


class BasicGetItem(GetItem):
    """Indexing with ints, slices, None and Ellipsis only: the result is a view."""

    is_view = True


class IndexAdd(Function):
    """y = zeros(shape) with y[index] += g (repeated indices add up);  backward: g' = y'[index]."""

    def forward(self, g, shape, index):
        self.index = index
        return K.index_add(np.zeros(shape, dtype=g.dtype), index, g)

    def backward(self, gy):
        return getitem(gy, self.index)


class Cat(Function):
    """y = the inputs joined along ``dim``;  backward slices the gradient into the pieces."""

    def forward(self, *arrays, dim):
        self.dim = dim
        self.bounds = np.cumsum([0] + [a.shape[dim] for a in arrays])
        return np.concatenate(arrays, axis=dim)

    def backward(self, gy):
        lead = (slice(None),) * self.dim
        return tuple(gy[lead + (slice(start, stop),)]
                     for start, stop in zip(self.bounds[:-1], self.bounds[1:]))


class Stack(Function):
    """y = the inputs stacked along a new ``dim``;  backward takes each slice back."""

    def forward(self, *arrays, dim):
        self.dim, self.count = dim, len(arrays)
        return np.stack(arrays, axis=dim)

    def backward(self, gy):
        lead = (slice(None),) * self.dim
        return tuple(gy[lead + (i,)] for i in range(self.count))


def _shape_arg(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` both mean (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    shape = _shape_arg(shape)
    if any(n < -1 for n in shape):
        raise ShapeError(f"reshape: invalid size in shape {shape} (only -1 may be negative)")
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


view = reshape


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def permute(x, *dims):
    dims = tuple(normalize_dim(d, x.ndim, "permute") for d in _shape_arg(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dims of a "
                         f"tensor of shape {x.shape}")
    return Permute.apply(x, dims=dims)


def transpose(x, dim0, dim1):
    if x.ndim == 0:
        normalize_dim(dim0, 0, "transpose"), normalize_dim(dim1, 0, "transpose")
        return x
    dims = list(range(x.ndim))
    a, b = normalize_dim(dim0, x.ndim, "transpose"), normalize_dim(dim1, x.ndim, "transpose")
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(x, dims=tuple(dims))


def squeeze(x, dim=None):
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = {normalize_dim(d, x.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def unsqueeze(x, dim):
    dim = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x, *sizes):
    """Broadcast to ``sizes``; -1 keeps a dim's size, as in PyTorch."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes given for a tensor of shape {x.shape}")
    if any(n == -1 for n in sizes[:lead]):
        raise ShapeError(f"expand: -1 is not allowed for the new leading dims in {sizes} "
                         f"(tensor shape {x.shape})")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return x.broadcast_to(shape)


def chunk(x, chunks, dim=0):
    """``chunks`` pieces along ``dim`` (the last may be smaller), as PyTorch."""
    if chunks < 1:
        raise RangeError(f"chunk: chunks must be at least 1, got {chunks}")
    dim = normalize_dim(dim, x.ndim, "chunk")
    return split(x, -(-x.shape[dim] // chunks), dim)


def split(x, split_size, dim=0):
    """Pieces of ``split_size`` along ``dim``, or of the listed sizes."""
    dim = normalize_dim(dim, x.ndim, "split")
    n = x.shape[dim]
    if isinstance(split_size, int) and split_size < 1:
        raise RangeError(f"split: split_size must be at least 1, got {split_size}")
    sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else []) \
        if isinstance(split_size, int) else list(split_size)
    if sum(sizes) != n:
        raise ShapeError(f"split: sizes {sizes} do not add up to {n} (dim {dim} of {x.shape})")
    bounds = np.cumsum([0] + sizes)
    lead = (slice(None),) * dim
    return tuple(x[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


def getitem(x, index):
    index = _raw_index(index)
    try:
        basic = _is_basic(index)
        return (BasicGetItem if basic else GetItem).apply(x, index=index)
    except IndexError as error:
        raise OutOfBoundsError(f"getitem: {error} (tensor shape {x.shape})") from None


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               for p in parts)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("cat: expected a non-empty list of tensors")
    if any(t.ndim == 0 for t in tensors):
        raise ShapeError(f"cat: zero-dimensional tensors cannot be concatenated "
                         f"(shapes {[t.shape for t in tensors]}); use stack")
    dim = normalize_dim(dim, tensors[0].ndim, "cat")
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
                a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != dim):
            raise ShapeError(f"cat: shapes {[u.shape for u in tensors]} differ outside dim {dim}")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError("stack: expected a non-empty list of tensors")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ShapeError(f"stack: all tensors need the same shape, "
                         f"got {[t.shape for t in tensors]}")
    dim = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return Stack.apply(*tensors, dim=dim)
