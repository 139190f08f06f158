"""Differentiable ops: each a ``Function`` (forward and backward side by side) and a function
that applies it. ``Tensor``'s methods and the ``minigrad.*`` functions call these."""

from minigrad.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from minigrad.ops.einsum import einsum
from minigrad.ops.reduce import (amax, amin, argmax, argmin, broadcast_to, logsumexp, max, mean,
                                 min, std, sum, sum_to, var)
from minigrad.ops.shape import (cat, chunk, expand, flatten, getitem, permute, reshape, split,
                                squeeze, stack, transpose, unsqueeze, view)
from minigrad.ops.softmax import log_softmax, softmax
from minigrad.ops.unary import (abs, clamp, clone, exp, log, maximum, minimum, relu, sigmoid,
                                sign, sqrt, tanh, to, where)

__all__ = [
    "abs", "add", "amax", "amin", "argmax", "argmin", "broadcast_to", "cat", "chunk", "clamp",
    "clone", "div", "einsum", "exp", "expand", "flatten", "getitem", "log", "log_softmax",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "permute",
    "pow", "relu", "reshape", "sigmoid", "sign", "softmax", "split", "sqrt", "squeeze", "stack",
    "std", "sub", "sum", "sum_to", "tanh", "to", "transpose", "unsqueeze", "var", "view", "where",
]
