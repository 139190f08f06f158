"""minigrad: a small deep-learning library on NumPy, readable first and fast too.

    import minigrad as mg
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad                                # tensor([2., 4.])
"""

from minigrad import backend
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.creation import (arange, empty, eye, from_numpy, full, full_like, linspace, ones,
                               ones_like, rand, randint, randn, randperm, tensor, zeros,
                               zeros_like)
from minigrad.errors import (AnomalyError, DTypeError, GradcheckError, GradError, MinigradError,
                             OutOfBoundsError, RangeError, SerializationError, ShapeError,
                             StateError)
from minigrad.ops import (abs, amax, amin, argmax, argmin, cat, chunk, clamp, einsum, exp,
                          flatten, log, log_softmax, logsumexp, matmul, max, maximum, mean, min,
                          minimum, permute, pow, relu, reshape, sigmoid, sign, softmax, split, sqrt,
                          squeeze, stack, std, sum, tanh, transpose, unsqueeze, var, where)
from minigrad.random import get_rng_state, manual_seed, set_rng_state
from minigrad.tensor import Tensor, bool_, float16, float32, float64, int32, int64
from minigrad.tensor import bool_ as bool  # noqa: A001  (mg.bool, as torch.bool)

from minigrad import autograd  # noqa: E402  isort: skip

__version__ = "0.1.0"


def __getattr__(name):
    """Subpackages load on first use, so ``import minigrad`` stays fast."""
    import importlib

    if name in ("nn", "optim", "data", "train", "amp", "kernels", "plot"):
        return importlib.import_module(f"minigrad.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module("minigrad.serialization"), name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
