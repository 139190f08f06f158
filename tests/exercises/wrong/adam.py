"""Wrong: the first moment is m ← β₁m + g (a sum, not an average: no (1 - β₁))."""

import numpy as np

from minigrad.kernels.optim import _effective_grad


def adam_update_reference(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2,
                          step_size, eps, weight_decay, decay, sign, amsgrad):
    g = _effective_grad(param, grad, weight_decay, decay, sign)
    exp_avg *= beta1
    exp_avg += g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    else:
        second_moment = exp_avg_sq
    param -= step_size * exp_avg / (np.sqrt(second_moment) + eps)
