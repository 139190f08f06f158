"""Cross-entropy on logits, log-softmax and the loss in one pass per row.

For a row x of C logits with class target y, class weights w and label smoothing ε, the
smoothed target puts weight aₖ = (1-ε)·w_y·[k = y] + (ε/C)·wₖ on class k, so

    loss = Σₖ aₖ·(lse - xₖ),          lse = log Σₖ e^(xₖ)          (= Σₖ aₖ·(-log pₖ))
    ∂loss/∂xₖ = A·pₖ - aₖ,            A = Σₖ aₖ,  pₖ = e^(xₖ - lse)  (the softmax)

and a row whose target is ``ignore_index`` has loss 0 and gradient 0. With ε = 0 and w = 1
this is the familiar softmax - one_hot(y). The forward returns the per-row loss and lse; the
backward recomputes p from the logits and lse instead of storing it.
"""

import math

import numpy as np

from minigrad.kernels._jit import kernel, prange

ROWS_THRESHOLD = 4096  # elements of the logits below which one thread beats the thread pool


def target_weights(target, weight, ignore_index, smoothing, n_classes):
    """The smoothed target weights a (rows, C) and their row sums A (rows,); 0 on ignored rows."""
    kept = target != ignore_index
    safe = np.where(kept, target, 0)
    rows = np.arange(target.size)
    a = np.zeros((target.size, n_classes), dtype=weight.dtype)
    if smoothing > 0:
        a += (smoothing / n_classes) * weight
    a[rows, safe] += (1 - smoothing) * weight[safe]
    a[~kept] = 0
    return a, a.sum(axis=1)


def cross_entropy_forward_reference(logits, target, weight, ignore_index, smoothing):
    rows, n_classes = logits.shape
    shift = logits.max(axis=1, keepdims=True)
    lse = shift[:, 0] + np.log(np.exp(logits - shift).sum(axis=1))
    kept = target != ignore_index
    safe = np.where(kept, target, 0)
    loss = (1 - smoothing) * weight[safe] * (lse - logits[np.arange(rows), safe])
    if smoothing > 0:  # skipped otherwise, so a -inf logit of another class adds nothing
        loss += smoothing / n_classes * (weight * (lse[:, None] - logits)).sum(axis=1)
    return np.where(kept, loss, 0).astype(logits.dtype), lse.astype(logits.dtype)


@kernel(cross_entropy_forward_reference, parallel=True, serial_below=ROWS_THRESHOLD)
def cross_entropy_forward(logits, target, weight, ignore_index, smoothing):
    """Per-row loss and log-sum-exp; one parallel pass over the rows."""
    rows, n_classes = logits.shape
    loss = np.empty(rows, dtype=logits.dtype)
    lse = np.empty(rows, dtype=logits.dtype)
    for i in prange(rows):
        shift = logits[i, 0]
        for k in range(1, n_classes):
            shift = max(shift, logits[i, k])
        total = 0.0
        for k in range(n_classes):
            total += math.exp(logits[i, k] - shift)
        row_lse = shift + math.log(total)
        lse[i] = row_lse
        y = target[i]
        value = 0.0
        if y != ignore_index:
            value = (1 - smoothing) * weight[y] * (row_lse - logits[i, y])
            if smoothing > 0:
                spread = 0.0
                for k in range(n_classes):
                    spread += weight[k] * (row_lse - logits[i, k])
                value += smoothing / n_classes * spread
        loss[i] = value
    return loss, lse


def cross_entropy_backward_reference(logits, lse, target, weight, row_scale, ignore_index,
                                     smoothing):
    # BEGIN EXERCISE softmax_cross_entropy
    rows, n_classes = logits.shape
    kept = target != ignore_index
    safe = np.where(kept, target, 0)
    picked = (1 - smoothing) * weight[safe]                      # a at the target class
    total = picked + smoothing / n_classes * weight.sum()        # A
    grad = total[:, None] * np.exp(logits - lse[:, None])        # A·p
    if smoothing > 0:
        grad -= smoothing / n_classes * weight                   # - a off the target class
    grad[np.arange(rows), safe] -= picked                        # - a at the target class
    grad *= np.where(kept, row_scale, 0)[:, None]
    return grad.astype(logits.dtype, copy=False)
    # END EXERCISE


@kernel(cross_entropy_backward_reference, parallel=True, serial_below=ROWS_THRESHOLD)
def cross_entropy_backward(logits, lse, target, weight, row_scale, ignore_index, smoothing):
    """∂L/∂x = s·(A·p - a) per row (s the row's share of the upstream gradient)."""
    rows, n_classes = logits.shape
    grad = np.empty_like(logits)
    weight_sum = 0.0
    for k in range(n_classes):
        weight_sum += weight[k]
    spread = smoothing / n_classes
    for i in prange(rows):
        y = target[i]
        if y == ignore_index:
            for k in range(n_classes):
                grad[i, k] = 0
        else:
            picked = (1 - smoothing) * weight[y]
            total = picked + spread * weight_sum
            for k in range(n_classes):
                p = math.exp(logits[i, k] - lse[i])
                grad[i, k] = row_scale[i] * (total * p - spread * weight[k])
            grad[i, y] -= row_scale[i] * picked
    return grad
