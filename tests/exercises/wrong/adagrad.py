"""Wrong: accumulates |g| instead of g²."""

import numpy as np

from minigrad.kernels.optim import _effective_grad


def adagrad_update_reference(param, grad, state_sum, clr, weight_decay, eps, sign):
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    state_sum += np.abs(g)
    param -= clr * g / (np.sqrt(state_sum) + eps)
