"""The functional form of every layer, activation and loss: ``F.linear(x, W, b)``,
``F.cross_entropy(logits, y)``, ... Layers hold parameters and settings and call these."""

import warnings

import numpy as np

from minigrad import amp, random
from minigrad.errors import DTypeError, OutOfBoundsError, RangeError, ShapeError
from minigrad.ops.activation import elu, gelu, leaky_relu, silu, softplus
from minigrad.ops.conv import conv1d, conv2d
from minigrad.ops.einsum import einsum
from minigrad.ops.embedding import embedding
from minigrad.ops.linear import linear as _linear
from minigrad.ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                               cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss,
                               pairwise_distance, smooth_l1_loss, triplet_margin_loss)
from minigrad.ops.norm import batch_norm, layer_norm
from minigrad.ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,
                               max_pool1d, max_pool2d)
from minigrad.ops.shape import cat
from minigrad.ops.softmax import log_softmax as _log_softmax
from minigrad.ops.softmax import softmax as _softmax
from minigrad.ops.unary import relu as _relu
from minigrad.ops.unary import sigmoid, tanh
from minigrad.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm",
    "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "cross_entropy", "dropout", "dropout1d", "dropout2d", "elu", "embedding", "gelu",
    "huber_loss", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool1d",
    "max_pool2d", "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance",
    "relu",
    "sigmoid", "silu", "smooth_l1_loss", "softmax", "softplus", "tanh", "triplet_margin_loss",
]


# -- layers ----------------------------------------------------------------------------------------

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, one fused op. Inside ``amp.autocast`` it computes in the autocast dtype
    (the casts pass gradients back to the float32 weights in float32)."""
    if amp.is_autocast_enabled():
        input, weight, bias = amp.autocast_inputs(input, weight, bias)
    return _linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1ᵀ A_k x2 + b_k over the last dim of both inputs (leading dims must match)."""
    out_features, in1, in2 = weight.shape
    if input1.shape[-1:] != (in1,) or input2.shape[-1:] != (in2,) or \
            input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(f"Bilinear: inputs of shapes {input1.shape} and {input2.shape} do not "
                         f"fit weight shape {weight.shape} (expected (..., {in1}) and "
                         f"(..., {in2}) with the same leading dims)")
    y = einsum("ni,kij,nj->nk", input1.reshape(-1, in1), weight, input2.reshape(-1, in2))
    if bias is not None:
        y = y + bias
    return y.reshape(input1.shape[:-1] + (out_features,))


# -- activations -----------------------------------------------------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). ``inplace`` is ignored (the result is the same)."""
    return _relu(input)


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    return _softmax(input, _softmax_dim(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    return _log_softmax(input, _softmax_dim(input, dim, "log_softmax"))


def _softmax_dim(input, dim, name):
    """PyTorch's legacy choice when no dim is given (with its warning): dim 0 for 0-, 1- and
    3-d inputs, else dim 1."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


# -- dropout ---------------------------------------------------------------------------------------

def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            inverted: bool = True) -> Tensor:
    """Zero each element with probability p, in training.

    ``inverted=True`` (PyTorch): the kept elements are scaled by 1/(1-p) in training, so
    evaluation is the identity. ``inverted=False`` (the notes' "vanilla" dropout): training
    multiplies by the 0/1 mask only and evaluation multiplies by (1-p) instead.
    """
    return _dropout(input, p, training, inverted, input.shape, "dropout")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              inverted: bool = True) -> Tensor:
    """Zero whole channels: input (N, C, L) or (C, L), one draw per channel."""
    if input.ndim not in (2, 3):
        raise ShapeError(f"dropout1d: expected 2D or 3D input, got shape {input.shape}")
    return _dropout(input, p, training, inverted, input.shape[:-1] + (1,), "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              inverted: bool = True) -> Tensor:
    """Zero whole feature maps: input (N, C, H, W) or (C, H, W), one draw per channel."""
    if input.ndim not in (3, 4):
        raise ShapeError(f"dropout2d: expected 3D or 4D input, got shape {input.shape}")
    return _dropout(input, p, training, inverted, input.shape[:-2] + (1, 1), "dropout2d")


def _dropout(input, p, training, inverted, mask_shape, name):
    check_probability(p, name)
    if not training:
        # BEGIN EXERCISE dropout_vanilla
        return input if inverted else input * (1 - p)
        # END EXERCISE
    if p == 0:
        return input
    # BEGIN EXERCISE dropout_inverted
    mask = (random.generator().random(mask_shape) >= p).astype(input.dtype)
    if inverted and p < 1:
        mask /= 1 - p
    return input * mask
    # END EXERCISE


def check_probability(p: float, name: str) -> None:
    if not 0 <= p <= 1:
        raise RangeError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


# -- shapes ----------------------------------------------------------------------------------------

def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(‖x‖_p, ε) along ``dim``: unit vectors, with ε guarding the zero vector.

    ‖x‖_p is clamped before its root, as max(Σ|x|ᵖ, εᵖ)^(1/p), so that a zero vector gets a
    zero gradient instead of the root's infinite one."""
    if not p > 0:
        raise RangeError(f"normalize: p must be positive, got {p} (input shape {input.shape})")
    powered = input * input if p == 2 else input.abs() ** p
    return input / powered.sum(dim, keepdim=True).clamp(min=eps ** p) ** (1 / p)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices of any shape -> int64 tensor with a last dim of ``num_classes``
    (by default one more than the largest index)."""
    index = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if not np.issubdtype(index.dtype, np.integer):
        raise DTypeError(f"one_hot: expected integer class indices, got dtype {index.dtype}")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and index.min() < 0:
        raise OutOfBoundsError(f"one_hot: class values must be non-negative, got {index.min()}")
    if index.size and index.max() >= num_classes:
        raise OutOfBoundsError(f"one_hot: class values must be smaller than num_classes "
                               f"({num_classes}), got {index.max()}")
    return Tensor._make((index[..., None] == np.arange(num_classes)).astype(np.int64))


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad = (left, right)`` for the last dim, then ``(top, bottom)``
    for the one before, and so on. Modes: "constant" (``value``, negative pads crop),
    "reflect" (mirror without the edge), "replicate" (repeat the edge), "circular" (wrap)."""
    pad = tuple(int(n) for n in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ShapeError(f"pad: padding length must be even and at most twice the number of "
                         f"dims ({input.ndim}), got {pad}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise RangeError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', "
                         "'replicate' or 'circular'")
    for i in range(len(pad) // 2):
        dim, before, after = input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        if mode == "constant":
            input = _pad_constant(input, dim, before, after, 0 if value is None else value)
        else:
            input = _pad_by_index(input, dim, before, after, mode)
    return input


def _pad_constant(x, dim, before, after, value):
    if before < 0 or after < 0:  # negative padding crops
        x = x[(slice(None),) * dim + (slice(max(-before, 0), x.shape[dim] - max(-after, 0)),)]
    pieces = []
    for size in (before, after):
        block = x.shape[:dim] + (max(size, 0),) + x.shape[dim + 1:]
        pieces.append(Tensor._make(np.full(block, value, dtype=x.dtype)))
    return cat([pieces[0], x, pieces[1]], dim) if before > 0 or after > 0 else x


def _pad_by_index(x, dim, before, after, mode):
    """Padding that repeats input elements is indexing: the gradient of a repeated element adds
    up (the indexing op's backward scatters with add)."""
    size = x.shape[dim]
    if min(before, after) < 0:
        raise RangeError(f"pad: negative padding {(before, after)} needs mode='constant'")
    if mode == "reflect" and max(before, after) >= size:
        raise ShapeError(f"pad: reflect padding {(before, after)} must be smaller than the size "
                         f"{size} of dim {dim}")
    if mode == "circular" and max(before, after) > size:
        raise ShapeError(f"pad: circular padding {(before, after)} must be at most the size "
                         f"{size} of dim {dim}")
    positions = np.arange(-before, size + after)
    if mode == "reflect":
        index = np.abs(positions)
        index = np.where(index >= size, 2 * (size - 1) - index, index)
    elif mode == "replicate":
        index = np.clip(positions, 0, size - 1)
    else:
        index = positions % size
    return x[(slice(None),) * dim + (index,)]
