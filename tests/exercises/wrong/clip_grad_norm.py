"""Wrong: clips each gradient by its own norm instead of the joint norm."""

import numpy as np

from minigrad import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    norms = []
    for p in parameters:
        g = p.grad.data
        norm = float(np.linalg.norm(g.ravel(), norm_type))
        g *= min(max_norm / (norm + 1e-6), 1.0)
        norms.append(norm)
    return Tensor._make(np.array(max(norms)))
