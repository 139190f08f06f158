"""Loss functions, with PyTorch's arguments, reductions and numbers.

Cross-entropy and binary cross-entropy are fused ops (one kernel pass forward and backward,
and a finite gradient where the composed formula would divide 0 by 0); the other losses are
short compositions of differentiable ops. Every loss checks its inputs first, so a shape or
dtype mistake is reported by the loss, naming the shapes, not by a broadcast deep inside.
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, OutOfBoundsError, RangeError, ShapeError
from minigrad.kernels import softmax as K
from minigrad.ops._util import ones
from minigrad.ops.activation import softplus
from minigrad.ops.reduce import amax
from minigrad.ops.softmax import log_softmax, softmax
from minigrad.ops.unary import clamp, minimum, where
from minigrad.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


# -- cross-entropy on class indices: the fused op ------------------------------------------------

class CrossEntropy(Function):
    """loss = Σₖ aₖ(lse - xₖ) per row of logits (see ``kernels.softmax`` for a, A, lse);
    ∂loss/∂x = A·softmax(x) - a. Reduced by ``reduction``: "mean" divides by Σ w_y over the
    rows not ignored, as PyTorch. ``weight=None`` weighs every class 1."""

    def forward(self, logits, target, weight, ignore_index, smoothing, reduction):
        if reduction == "mean":  # the divisor: Σ w_y over the rows kept (a count when unweighted)
            kept = target != ignore_index
            self.total_weight = int(np.count_nonzero(kept)) if weight is None else \
                weight[target[kept]].sum(dtype=logits.dtype)
        weight = ones(logits.shape[1], logits.dtype) if weight is None else weight
        self.target, self.weight, self.reduction = target, weight, reduction
        self.ignore_index, self.smoothing = ignore_index, smoothing
        loss, self.lse = K.cross_entropy_forward(logits, target, weight, ignore_index, smoothing)
        self.save_for_backward(logits)
        if reduction == "none":
            return loss
        total = loss.sum()
        return np.asarray(total if reduction == "sum" else _divide(total, self.total_weight))

    def backward(self, gy):
        (logits,) = self.saved_tensors
        rows = logits.shape[0]
        if not grad_mode._state["enabled"]:
            if gy.ndim:  # reduction "none": each row has its own upstream gradient
                row_scale = np.ascontiguousarray(gy.data)
            else:
                g = gy.data[()]  # (a NumPy scalar: arithmetic on 0-d arrays is slower)
                g = _divide(g, self.total_weight) if self.reduction == "mean" else g
                row_scale = np.empty(rows, dtype=logits.dtype)
                row_scale.fill(g)  # (np.full costs three times as much at lesson sizes)
            return Tensor._make(K.cross_entropy_backward(
                logits.data, self.lse, self.target, self.weight, row_scale, self.ignore_index,
                self.smoothing))
        if self.reduction == "mean":
            gy = gy / self.total_weight
        a, total = K.target_weights(self.target, self.weight, self.ignore_index,
                                    self.smoothing, logits.shape[1])
        row_scale = gy.broadcast_to((rows,)).reshape(rows, 1)
        return row_scale * (softmax(logits, 1) * total[:, None] - a)


def _divide(a, total_weight):
    """a / Σw for NumPy ``a``; Σw = 0 (every row ignored) gives NaN or ±inf, as PyTorch, without
    a warning (the floating-point state is touched only then: it costs more than the loss)."""
    if total_weight:
        return a / total_weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return a / total_weight


def cross_entropy(input: Tensor, target, weight=None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` (C), (N, C) or (N, C, d₁, ...) and ``target``:
    class indices (shape of input without C), or class probabilities (input's shape)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RangeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input needs a class dimension, got a 0-d tensor")
    if input.dtype == np.float16:  # as under PyTorch's autocast: the loss runs in float32
        input = input.float()
    n_classes = input.shape[1 if input.ndim > 1 else 0]
    weight = _class_weight(weight, n_classes, input.dtype, "cross_entropy")
    raw = _raw(target)
    if raw.dtype.kind == "f" and raw.shape == input.shape:
        target = target if isinstance(target, Tensor) else Tensor._make(raw.astype(input.dtype))
        return _cross_entropy_with_probabilities(input, target, weight, reduction,
                                                 label_smoothing)
    rows, target = _class_rows(input, raw, ignore_index, "cross_entropy")
    loss = CrossEntropy.apply(rows, target=target.ravel(), weight=weight,
                              ignore_index=ignore_index, smoothing=float(label_smoothing),
                              reduction=reduction)
    return loss.reshape(target.shape) if reduction == "none" else loss


def _cross_entropy_with_probabilities(input, target, weight, reduction, smoothing):
    """loss = -Σ_c w_c·t_c·log softmax(x)_c with t smoothed to (1-ε)t + ε/C; "mean" averages
    over the rows (PyTorch ignores the weights in this mean)."""
    class_dim = 1 if input.ndim > 1 else 0
    n_classes = input.shape[class_dim]
    t = target * (1 - smoothing) + smoothing / n_classes
    if weight is not None:
        t = t * weight.reshape((n_classes,) + (1,) * (input.ndim - class_dim - 1))
    loss = -(log_softmax(input, class_dim) * t).sum(class_dim)
    return _reduce(loss, reduction)


def nll_loss(input: Tensor, target, weight=None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """loss = -w_y·input_y for log-probabilities ``input``; "mean" divides by Σ w_y."""
    _check_reduction(reduction, "nll_loss")
    if input.ndim == 0:
        raise ShapeError("nll_loss: input needs a class dimension, got a 0-d tensor")
    target = _raw(target)
    n_classes = input.shape[1 if input.ndim > 1 else 0]
    weight = _class_weight(weight, n_classes, input.dtype, "nll_loss")
    rows, target = _class_rows(input, target, ignore_index, "nll_loss")
    flat = target.ravel()
    kept = flat != ignore_index
    safe = np.where(kept, flat, 0)
    row_weight = np.where(kept, 1 if weight is None else weight[safe], 0).astype(input.dtype)
    loss = -rows[np.arange(flat.size), safe] * row_weight
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / row_weight.sum()


def _class_weight(weight, n_classes, dtype, op):
    if weight is None:
        return None
    weight = np.asarray(_raw(weight), dtype=dtype)
    if weight.shape != (n_classes,):
        raise ShapeError(f"{op}: weight has shape {weight.shape}, expected ({n_classes},) "
                         "(one weight per class)")
    return weight


def _class_rows(input, target, ignore_index, op):
    """The input as rows of C class scores (the class dim moved last) and the checked target."""
    if target.dtype.kind not in "iu":  # signed or unsigned integers (np.issubdtype is slower)
        raise DTypeError(f"{op}: target must hold class indices of an integer dtype (int64), "
                         f"got {target.dtype} target of shape {target.shape} for input of shape "
                         f"{input.shape}")
    shape = input.shape
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if target.shape != expected:
        raise ShapeError(f"{op}: target shape {target.shape} does not match input shape "
                         f"{shape} (expected target shape {expected})")
    n_classes = shape[1 if len(shape) > 1 else 0]
    # as unsigned integers the negative targets are huge, so one max checks both ends
    unsigned = target.view(target.dtype.str.replace("i", "u"))
    if target.size and unsigned.max() >= n_classes:  # some target outside [0, C): look closer
        _check_class_range(target, n_classes, ignore_index, op)
    if len(shape) > 2:  # (N, C, d₁, ...) -> (N·d₁·..., C)
        input = input.permute(0, *range(2, len(shape)), 1)
    if len(shape) != 2:
        input = input.reshape(-1, n_classes)
    return input, target.astype(np.int64, copy=False)


def _check_class_range(target, n_classes, ignore_index, op):
    wrong = (target != ignore_index) & ((target < 0) | (target >= n_classes))
    if wrong.any():
        raise OutOfBoundsError(f"{op}: target {target[wrong].flat[0]} is out of bounds for "
                               f"{n_classes} classes (valid: 0 to {n_classes - 1}, or "
                               f"ignore_index={ignore_index})")


# -- binary cross-entropy -------------------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """loss = -(t·log x + (1-t)·log(1-x)), each log clamped at -100 as PyTorch;
    ∂loss/∂x = (x - t) / max(x(1-x), 10⁻¹²),  ∂loss/∂t = log(1-x) - log x."""

    EPSILON = float(np.float32(1e-12))  # PyTorch's constant, rounded to float32 as it is there

    def forward(self, x, t):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x, log_1mx = np.log(x), np.log1p(-x)
            self.log_ratio = log_1mx - log_x  # unclamped: ±inf at x = 0 or 1, as PyTorch
        self.save_for_backward(x, t)
        return -(t * np.maximum(log_x, -100) + (1 - t) * np.maximum(log_1mx, -100))

    def backward(self, gy):
        x, t = self.saved_tensors
        want_t = self.needs_input_grad[1]
        if not grad_mode._state["enabled"]:
            denominator = np.maximum(x.data * (1 - x.data), self.EPSILON)
            return (Tensor._make(gy.data * (x.data - t.data) / denominator),
                    Tensor._make(gy.data * self.log_ratio) if want_t else None)
        grad_x = gy * (x - t) / clamp(x * (1 - x), min=self.EPSILON)
        if not want_t:
            return grad_x, None
        return grad_x, gy * ((1 - x).log() - x.log())


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    """loss = -w·(t·log x + (1-t)·log(1-x)) for probabilities x in [0, 1]."""
    _check_reduction(reduction, "binary_cross_entropy")
    target = _same_shape_target(input, target, "binary_cross_entropy")
    if input.data.size and not ((input.data >= 0) & (input.data <= 1)).all():
        raise RangeError(f"binary_cross_entropy: all elements of input should be between 0 and "
                         f"1, got values in [{input.data.min()}, {input.data.max()}]; for "
                         "logits use binary_cross_entropy_with_logits")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * _raw_tensor(weight, input.dtype)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """loss = (1-t)·x + (1 + (p-1)·t)·softplus(-x) = -w·(p·t·log σ(x) + (1-t)·log(1-σ(x))),
    stable for any logit x; ``pos_weight`` p weighs the positives (one value per class)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _same_shape_target(input, target, "binary_cross_entropy_with_logits")
    positives = 1 if pos_weight is None else \
        (_raw_tensor(pos_weight, input.dtype) - 1) * target + 1
    loss = (1 - target) * input + positives * softplus(-input, threshold=np.inf)
    if weight is not None:
        loss = loss * _raw_tensor(weight, input.dtype)
    return _reduce(loss, reduction)


# -- regression losses ----------------------------------------------------------------------------

def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """loss = (x - t)²."""
    _check_reduction(reduction, "mse_loss")
    difference = input - _same_shape_target(input, target, "mse_loss")
    return _reduce(difference * difference, reduction)


def l1_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """loss = |x - t|."""
    _check_reduction(reduction, "l1_loss")
    return _reduce((input - _same_shape_target(input, target, "l1_loss")).abs(), reduction)


def smooth_l1_loss(input: Tensor, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """loss = ½(x - t)²/β where |x - t| < β, else |x - t| - ½β."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise RangeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    difference = input - _same_shape_target(input, target, "smooth_l1_loss")
    size = difference.abs()
    loss = where(size.data < beta, difference * difference * (0.5 / beta), size - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """loss = ½(x - t)² where |x - t| < δ, else δ(|x - t| - ½δ)  (= δ · smooth_l1 with β = δ)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RangeError(f"huber_loss: delta must be positive, got {delta}")
    difference = input - _same_shape_target(input, target, "huber_loss")
    size = difference.abs()
    loss = where(size.data < delta, difference * difference * 0.5, (size - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


# -- metric losses --------------------------------------------------------------------------------

def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + ε‖_p along the last dim (ε keeps the gradient finite at x1 = x2)."""
    difference = x1 - x2 + eps
    if p == 2:
        return (difference * difference).sum(-1, keepdim).sqrt()
    if p == 1:
        return difference.abs().sum(-1, keepdim)
    if p == np.inf:
        return amax(difference.abs(), -1, keepdim)
    return (difference.abs() ** p).sum(-1, keepdim) ** (1 / p)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """loss = max(d(a, p) - d(a, n) + margin, 0); with ``swap``, d(a, n) becomes
    min(d(a, n), d(p, n))."""
    _check_reduction(reduction, "triplet_margin_loss")
    if not anchor.shape == positive.shape == negative.shape or anchor.ndim not in (1, 2):
        raise ShapeError(f"triplet_margin_loss: anchor, positive and negative need one shape, "
                         f"(D) or (N, D); got {anchor.shape}, {positive.shape}, {negative.shape}")
    if margin <= 0:
        raise RangeError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(to_positive - to_negative + margin, min=0), reduction)


# -- shared checks --------------------------------------------------------------------------------

def _check_reduction(reduction, op):
    if reduction not in REDUCTIONS:
        raise RangeError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape_target(input, target, op):
    """The target as a Tensor of the input's shape. PyTorch broadcasts a mismatched target
    with only a warning; (N, 1) against (N,) then silently compares every pair."""
    target = _raw_tensor(target, input.dtype)
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target shape {target.shape} differs from input shape "
                         f"{input.shape}; broadcasting them would compare every input with "
                         "every target, so reshape one of them")
    return target


def _raw(x):
    """Class targets and weights as arrays (they get no gradient)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _raw_tensor(x, dtype=None):
    """A Tensor as it is; an array or number as a constant Tensor."""
    if isinstance(x, Tensor):
        return x
    return Tensor._make(np.asarray(x, dtype=dtype))
