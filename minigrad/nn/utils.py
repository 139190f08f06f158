"""Helpers on a model's parameters: gradient clipping, flattening to one vector, and the
weight penalties of the notes.

    loss = loss_fn(model(x), y) + 1e-4 * nn.utils.l2_penalty(model.parameters())
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
"""

import math

import numpy as np

from minigrad.errors import GradError, ShapeError
from minigrad.ops.shape import cat
from minigrad.tensor import Tensor


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    total = ‖(‖g₁‖, ‖g₂‖, ...)‖ (the p-norm of all gradient entries; p = inf: the largest
    |entry|), and every gradient is multiplied by min(1, max_norm / (total + 10⁻⁶)), as
    PyTorch. Returns the total norm before clipping.
    """
    # BEGIN EXERCISE clip_grad_norm
    grads = [p.grad.data for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [np.linalg.norm(g.ravel(), norm_type) for g in grads]
        total = float(np.linalg.norm(np.array(norms), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise GradError(f"clip_grad_norm_: the total norm of order {norm_type} for gradients "
                        "is non-finite, so it cannot be clipped. To disable this error and "
                        "scale the gradients by the non-finite norm anyway, set "
                        "error_if_nonfinite=False")
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= coefficient
    return Tensor._make(np.array(total, dtype=grads[0].dtype))
    # END EXERCISE


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and joined into one vector (differentiable)."""
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place (the inverse of
    ``parameters_to_vector``)."""
    parameters = _as_list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != total:
        raise ShapeError(f"vector_to_parameters: expected a vector of {total} elements for "
                         f"the parameters, got shape {vec.shape}")
    start = 0
    for p in parameters:
        p.data[...] = vec.data[start:start + p.numel()].reshape(p.shape)
        p._version[0] += 1
        start += p.numel()


def l1_penalty(parameters) -> Tensor:
    """Σ|θ| over all parameters (differentiable; add λ times it to the loss for L1
    regularization)."""
    # BEGIN EXERCISE l1_penalty
    return sum((p.abs().sum() for p in _as_list(parameters)), start=_zero())
    # END EXERCISE


def l2_penalty(parameters) -> Tensor:
    """½Σθ² over all parameters (differentiable; its gradient is θ itself, so λ times it
    is weight decay of rate λ)."""
    # BEGIN EXERCISE l2_penalty
    return sum(((p * p).sum() for p in _as_list(parameters)), start=_zero()) * 0.5
    # END EXERCISE


def _zero():
    return Tensor._make(np.array(0.0, dtype=np.float32))
