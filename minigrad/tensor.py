"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor made by an op while grad mode is on and some input requires grad holds ``grad_fn``,
the op's node in the graph; ``backward()`` walks that graph in reverse and fills the ``.grad``
of the leaves (tensors made by the user with ``requires_grad=True``).
"""

import numbers

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.errors import DTypeError, GradError, OutOfBoundsError, ShapeError

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_


def _wrap(data, grad_fn=None):
    """A Tensor around ``data`` without copying (``Tensor._make``: the ops' fast path)."""
    t = _new_tensor(Tensor)
    t.data = data if type(data) is np.ndarray else np.asarray(data)
    t.grad = None
    t.grad_fn = grad_fn
    t._requires_grad = grad_fn is not None
    t._version = [0]
    t.retains_grad = False
    return t


_new_tensor = object.__new__


class Tensor:
    __slots__ = ("data", "grad", "grad_fn", "_requires_grad", "_version", "retains_grad",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = _to_array(data, dtype, copy=True)
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._version = [0]  # shared with views: in-place changes are seen by all of them
        self.retains_grad = False
        if requires_grad:
            self.requires_grad = True

    _make = staticmethod(_wrap)  # wrap an array without copying (the ops' fast path)

    # -- autograd ---------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self.grad_fn is not None and not flag:
            raise GradError("requires_grad: only a leaf tensor's flag can be turned off; use "
                            "detach() for a non-leaf")
        if flag and not np.issubdtype(self.data.dtype, np.inexact):
            raise DTypeError(f"requires_grad: only floating-point tensors can require "
                             f"gradients, got dtype {self.data.dtype}")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is dL/d(self) (needed unless self has one element). The graph's saved
        arrays are freed afterwards unless ``retain_graph``; ``create_graph`` records the
        backward pass as a graph of its own, for derivatives of higher order.
        """
        if not self._requires_grad:
            raise GradError(f"backward: tensor of shape {self.shape} does not require grad "
                            "and has no grad_fn")
        engine.run_backward([self], [_root_grad(self, gradient, "backward")],
                            retain_graph=create_graph if retain_graph is None else retain_graph,
                            create_graph=create_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves always keep theirs)."""
        import weakref

        if self.grad_fn is not None:
            self.grad_fn.retained_output = weakref.ref(self)
            self.retains_grad = True

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (shares memory and the version counter)."""
        t = Tensor._make(self.data)
        t._version = self._version
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion ---------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise ShapeError("len: a 0-d tensor has no length")
        return len(self.data)

    def numpy(self) -> np.ndarray:
        if self._requires_grad:
            raise GradError("numpy: can't call numpy() on a tensor that requires grad; "
                            "use tensor.detach().numpy()")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element tensors convert to a Python scalar, "
                             f"got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        return bool(self.item())

    def __index__(self):
        if not np.issubdtype(self.dtype, np.integer):
            raise DTypeError(f"index: only integer tensors convert to an index, got {self.dtype}")
        return int(self.item())

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    __hash__ = object.__hash__

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def to(self, dtype) -> "Tensor":
        return ops.to(self, dtype)

    def float(self) -> "Tensor":
        return ops.to(self, np.float32)

    def double(self) -> "Tensor":
        return ops.to(self, np.float64)

    def half(self) -> "Tensor":
        return ops.to(self, np.float16)

    def long(self) -> "Tensor":
        return ops.to(self, np.int64)

    def clone(self) -> "Tensor":
        return ops.clone(self)

    # -- arithmetic ---------------------------------------------------------------------------

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, exponent):
        return ops.pow(self, exponent)

    def __rpow__(self, base):
        return ops.pow(base, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    # the operators as methods, with PyTorch's names (``x.mul(2)`` is ``x * 2``)
    def add(self, other, *, alpha=1):
        """self + α·other."""
        return ops.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """self - α·other."""
        return ops.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return ops.mul(self, other)

    def div(self, other):
        return ops.div(self, other)

    def neg(self):
        return ops.neg(self)

    def square(self):
        return ops.mul(self, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    # comparisons give boolean tensors and no gradient
    def __eq__(self, other):
        return Tensor._make(self.data == _raw(other))

    def __ne__(self, other):
        return Tensor._make(self.data != _raw(other))

    def __lt__(self, other):
        return Tensor._make(self.data < _raw(other))

    def __le__(self, other):
        return Tensor._make(self.data <= _raw(other))

    def __gt__(self, other):
        return Tensor._make(self.data > _raw(other))

    def __ge__(self, other):
        return Tensor._make(self.data >= _raw(other))

    def __invert__(self):
        return Tensor._make(~self.data)

    def __and__(self, other):
        return Tensor._make(self.data & _raw(other))

    def __or__(self, other):
        return Tensor._make(self.data | _raw(other))

    # -- in place (only on tensors that need no gradient, or under no_grad) ------------------

    def _in_place(self, op_name, compute):
        """Write ``compute(self.data)`` into this tensor's memory and bump its version."""
        if grad_mode._state["enabled"] and self._requires_grad:
            kind = "a leaf tensor that requires grad" if self.grad_fn is None else \
                "a tensor that is part of a graph"
            raise GradError(f"{op_name}: in-place change of {kind} (shape {self.shape}); "
                            "wrap it in `with mg.no_grad():` or work on a detached copy")
        try:
            new_values = np.asarray(compute(self.data))
            if not np.can_cast(new_values.dtype, self.data.dtype, "same_kind"):
                raise DTypeError(f"{op_name}: result dtype {new_values.dtype} cannot be written "
                                 f"into a tensor of dtype {self.data.dtype} in place")
            self.data[...] = new_values
        except ValueError as error:
            raise ShapeError(f"{op_name}: cannot update a tensor of shape {self.shape} in "
                             f"place ({error})") from None
        self._version[0] += 1
        return self

    def __iadd__(self, other):
        return self._in_place("add_", lambda a: a + _raw(other))

    def __isub__(self, other):
        return self._in_place("sub_", lambda a: a - _raw(other))

    def __imul__(self, other):
        return self._in_place("mul_", lambda a: a * _raw(other))

    def __itruediv__(self, other):
        return self._in_place("div_", lambda a: a / _raw(other))

    def add_(self, other, alpha=1):
        return self._in_place("add_", lambda a: a + alpha * _raw(other))

    def sub_(self, other, alpha=1):
        return self._in_place("sub_", lambda a: a - alpha * _raw(other))

    def mul_(self, other):
        return self._in_place("mul_", lambda a: a * _raw(other))

    def div_(self, other):
        return self._in_place("div_", lambda a: a / _raw(other))

    def copy_(self, source):
        return self._in_place("copy_", lambda a: _raw(source))

    def fill_(self, value):
        return self._in_place("fill_", lambda a: value)

    def zero_(self):
        return self._in_place("zero_", lambda a: 0)

    def clamp_(self, min=None, max=None):
        return self._in_place("clamp_", lambda a: np.clip(a, min, max))

    def __setitem__(self, index, value):
        def assign(a):
            try:
                a[_raw_index(index)] = _raw(value)
            except IndexError as error:
                raise OutOfBoundsError(f"setitem: {error} (tensor shape {self.shape})") from None
            return a

        self._in_place("setitem", assign)

    # -- everything else is an op -------------------------------------------------------------

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def sum(self, dim=None, keepdim=False):
        return ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return ops.amin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return ops.logsumexp(self, dim, keepdim)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def sign(self):
        return ops.sign(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def softmax(self, dim):
        return ops.softmax(self, dim)

    def log_softmax(self, dim):
        return ops.log_softmax(self, dim)

    def matmul(self, other):
        return ops.matmul(self, other)

    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    def view(self, *shape):
        return ops.view(self, *shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def broadcast_to(self, shape):
        return ops.broadcast_to(self, shape)

    def sum_to(self, shape):
        return ops.sum_to(self, shape)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def split(self, split_size, dim=0):
        return ops.split(self, split_size, dim)

    @property
    def T(self):
        return ops.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self):
        return ops.transpose(self, -2, -1)


def _raw(x):
    """The array under a tensor; anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _to_array(data, dtype=None, copy=False):
    """Array with PyTorch's dtype rules: Python floats become float32, ints int64; an array
    keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.array(data, dtype=dtype, copy=True if copy else None)
    except ValueError as error:
        raise ShapeError(f"tensor: cannot make a tensor of {type(data).__name__} ({error})") \
            from None
    if array.dtype.kind not in "biufc":
        raise DTypeError(f"tensor: cannot make a tensor of dtype {array.dtype} from "
                         f"{type(data).__name__}; expected numbers or booleans")
    if not isinstance(data, (np.ndarray, np.generic)):
        if dtype is None:
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            elif np.issubdtype(array.dtype, np.integer):
                array = array.astype(np.int64)
    return array


def _root_grad(output, gradient, op_name):
    """dL/d(output) to start backward from: ones for a scalar, else the given gradient."""
    if gradient is None:
        if output.data.size != 1:
            raise GradError(f"{op_name}: grad can be implicitly created only for a one-element "
                            f"output, got shape {output.shape}; pass `gradient`")
        return Tensor._make(np.ones(output.shape, output.dtype))
    gradient = gradient if isinstance(gradient, Tensor) else Tensor._make(
        np.asarray(gradient, dtype=output.dtype))
    if gradient.shape != output.shape:
        raise ShapeError(f"{op_name}: gradient has shape {gradient.shape}, output has "
                         f"shape {output.shape}")
    return gradient


def is_scalar(x) -> bool:
    return isinstance(x, numbers.Number) or (isinstance(x, np.ndarray) and x.ndim == 0)


from minigrad import ops  # noqa: E402  (ops build on Tensor)
from minigrad.autograd import engine  # noqa: E402  (and so does the engine)
