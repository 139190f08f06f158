"""Wrong: ignores `centered` (never subtracts the squared mean gradient)."""

import numpy as np

from minigrad.kernels.optim import _effective_grad


def rmsprop_update_reference(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps,
                             weight_decay, momentum, sign, centered):
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    square_avg *= alpha
    square_avg += (1 - alpha) * g * g
    avg = np.sqrt(square_avg) + eps
    if momentum > 0.0:
        momentum_buffer *= momentum
        momentum_buffer += g / avg
        param -= lr * momentum_buffer
    else:
        param -= lr * g / avg
