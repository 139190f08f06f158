"""Wrong: Nesterov steps along the buffer only, like plain momentum."""

from minigrad.kernels.optim import _effective_grad


def sgd_update_reference(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
                         sign, nesterov, first_step):
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    if momentum != 0.0:
        if first_step:
            momentum_buffer[...] = g
        else:
            momentum_buffer *= momentum
            momentum_buffer += (1 - dampening) * g
        g = momentum_buffer
    param -= lr * g
