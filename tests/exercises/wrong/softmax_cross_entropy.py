"""Wrong: softmax - one_hot for every row, forgetting weights, ignore_index and smoothing."""

import numpy as np


def cross_entropy_backward_reference(logits, lse, target, weight, row_scale, ignore_index,
                                     smoothing):
    rows = logits.shape[0]
    safe = np.where(target != ignore_index, target, 0)
    grad = np.exp(logits - lse[:, None])
    grad[np.arange(rows), safe] -= 1
    return (grad * np.asarray(row_scale)[..., None]).astype(logits.dtype)
