"""Fused optimizer updates: one pass over a parameter, its gradient and its state.

Each update reads the gradient, changes the state and the parameter in place, and never
writes to the gradient. Arrays are flat (the optimizer passes 1-D views); scalars that do not
depend on the element (bias corrections, step sizes) are computed once, in Python, by the
optimizer, and folded into as few constants as possible, as Kingma & Ba suggest for Adam:
    η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)  =  α_t · m / (√v + ε̂)
    with α_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and ε̂ = ε·√(1 − β₂ᵗ)
which leaves one square root and one division per element. The NumPy reference beside each
kernel is that formula; the Numba loop computes the same numbers in a single sweep over
memory, where NumPy needs one sweep per operation.

Precision: a float32 parameter gets float32 scalars (see ``optim.optimizer.fused_update``) and
the loops write the constant 1 as ``ONE = float32(1)``, which takes the type of whatever it
meets: a float32 parameter is then updated in float32 arithmetic, as PyTorch does, with twice
as many elements per vector instruction as float64 (on two cores, Adam over 10M float32
parameters is bound by its square roots and divisions in float64, by memory in float32). A
float64 parameter is updated in float64.

Shared arguments:
    sign          -1.0 when maximizing (the update climbs the gradient), else 1.0
    weight_decay  λ of the coupled (L2) decay: g ← sign·∇ + λθ
    decay         the decoupled shrink θ ← decay·θ taken before the step (AdamW: 1 − ηλ; else 1)
An unused state array (e.g. the momentum buffer when momentum is 0) is passed as an empty
array and never touched.
"""

import numpy as np

from minigrad.kernels._jit import kernel, prange

SMALL = 4096  # below this, NumPy's few short passes cost about what a parallel Numba launch does
ONE = np.float32(1.0)  # a bare 1 would be an int64, and int64 − float32 is float64 in Numba


def _effective_grad(param, grad, weight_decay, decay, sign):
    """θ ← decay·θ (decoupled decay), then g = sign·∇ + λθ (coupled decay): a new array."""
    if decay != 1.0:
        param *= decay
    g = sign * grad
    if weight_decay != 0.0:
        g = g + weight_decay * param
    return g


# -- SGD ----------------------------------------------------------------------------------------

def sgd_update_reference(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
                         sign, nesterov, first_step):
    # BEGIN EXERCISE sgd_momentum_nesterov
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    if momentum != 0.0:
        if first_step:
            momentum_buffer[...] = g
        else:
            momentum_buffer *= momentum
            momentum_buffer += (1 - dampening) * g
        g = g + momentum * momentum_buffer if nesterov else momentum_buffer
    param -= lr * g
    # END EXERCISE


@kernel(sgd_update_reference, parallel=True, threshold=SMALL)
def sgd_update(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, sign,
               nesterov, first_step):
    """b ← g (first step) or μb + (1−τ)g;  θ ← θ − η(g + μb if nesterov else b)."""
    undamped = ONE - dampening
    for i in prange(param.size):
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * param[i]
        if momentum != 0.0:
            b = g if first_step else momentum * momentum_buffer[i] + undamped * g
            momentum_buffer[i] = b
            g = g + momentum * b if nesterov else b
        param[i] -= lr * g


# -- Adagrad ------------------------------------------------------------------------------------

def adagrad_update_reference(param, grad, state_sum, clr, weight_decay, eps, sign):
    # BEGIN EXERCISE adagrad
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    state_sum += g * g
    param -= clr * g / (np.sqrt(state_sum) + eps)
    # END EXERCISE


@kernel(adagrad_update_reference, parallel=True, threshold=SMALL)
def adagrad_update(param, grad, state_sum, clr, weight_decay, eps, sign):
    """G ← G + g²;  θ ← θ − η_t g / (√G + ε)."""
    for i in prange(param.size):
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * param[i]
        s = state_sum[i] + g * g
        state_sum[i] = s
        param[i] -= clr * g / (np.sqrt(s) + eps)


# -- Adadelta -----------------------------------------------------------------------------------

def adadelta_update_reference(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay,
                              sign):
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    square_avg *= rho
    square_avg += (1 - rho) * g * g
    delta = np.sqrt((acc_delta + eps) / (square_avg + eps)) * g
    acc_delta *= rho
    acc_delta += (1 - rho) * delta * delta
    param -= lr * delta


@kernel(adadelta_update_reference, parallel=True, threshold=SMALL)
def adadelta_update(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, sign):
    """v ← ρv + (1−ρ)g²;  Δ = √((u+ε)/(v+ε))·g;  u ← ρu + (1−ρ)Δ²;  θ ← θ − ηΔ."""
    keep = ONE - rho
    for i in prange(param.size):
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * param[i]
        v = rho * square_avg[i] + keep * g * g
        square_avg[i] = v
        delta = np.sqrt((acc_delta[i] + eps) / (v + eps)) * g
        acc_delta[i] = rho * acc_delta[i] + keep * delta * delta
        param[i] -= lr * delta


# -- RMSprop ------------------------------------------------------------------------------------

def rmsprop_update_reference(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps,
                             weight_decay, momentum, sign, centered):
    # BEGIN EXERCISE rmsprop
    g = _effective_grad(param, grad, weight_decay, 1.0, sign)
    square_avg *= alpha
    square_avg += (1 - alpha) * g * g
    if centered:
        grad_avg += (1 - alpha) * (g - grad_avg)
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0.0:
        momentum_buffer *= momentum
        momentum_buffer += g / avg
        param -= lr * momentum_buffer
    else:
        param -= lr * g / avg
    # END EXERCISE


@kernel(rmsprop_update_reference, parallel=True, threshold=SMALL)
def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps,
                   weight_decay, momentum, sign, centered):
    """v ← αv + (1−α)g²;  (centered: ḡ ← αḡ + (1−α)g, v − ḡ²);  b ← μb + g/(√v + ε)."""
    keep = ONE - alpha
    for i in prange(param.size):
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * param[i]
        v = alpha * square_avg[i] + keep * g * g
        square_avg[i] = v
        if centered:
            m = grad_avg[i] + keep * (g - grad_avg[i])
            grad_avg[i] = m
            v -= m * m
        step = g / (np.sqrt(v) + eps)
        if momentum > 0.0:
            step += momentum * momentum_buffer[i]
            momentum_buffer[i] = step
        param[i] -= lr * step


# -- Adam and AdamW -----------------------------------------------------------------------------

def adam_update_reference(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2,
                          step_size, eps, weight_decay, decay, sign, amsgrad):
    # BEGIN EXERCISE adam
    g = _effective_grad(param, grad, weight_decay, decay, sign)
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    else:
        second_moment = exp_avg_sq
    param -= step_size * exp_avg / (np.sqrt(second_moment) + eps)
    # END EXERCISE


@kernel(adam_update_reference, parallel=True, threshold=SMALL)
def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, eps,
                weight_decay, decay, sign, amsgrad):
    """m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − α_t·m / (√v + ε̂)."""
    weight1, weight2 = ONE - beta1, ONE - beta2
    for i in prange(param.size):
        p = param[i] * decay
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * p
        m = exp_avg[i] + weight1 * (g - exp_avg[i])
        v = beta2 * exp_avg_sq[i] + weight2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        if amsgrad:
            v = max(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        param[i] = p - step_size * m / (np.sqrt(v) + eps)


# -- NAdam --------------------------------------------------------------------------------------

def nadam_update_reference(param, grad, exp_avg, exp_avg_sq, beta1, beta2, grad_coef,
                           exp_avg_coef, eps, weight_decay, decay, sign):
    g = _effective_grad(param, grad, weight_decay, decay, sign)
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    param += (grad_coef * g + exp_avg_coef * exp_avg) / (np.sqrt(exp_avg_sq) + eps)


@kernel(nadam_update_reference, parallel=True, threshold=SMALL)
def nadam_update(param, grad, exp_avg, exp_avg_sq, beta1, beta2, grad_coef, exp_avg_coef, eps,
                 weight_decay, decay, sign):
    """Adam's moments;  θ ← θ + (c_g·g + c_m·m) / (√v + ε̂)."""
    weight1, weight2 = ONE - beta1, ONE - beta2
    for i in prange(param.size):
        p = param[i] * decay
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * p
        m = exp_avg[i] + weight1 * (g - exp_avg[i])
        v = beta2 * exp_avg_sq[i] + weight2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        param[i] = p + (grad_coef * g + exp_avg_coef * m) / (np.sqrt(v) + eps)


# -- RAdam --------------------------------------------------------------------------------------

def radam_update_reference(param, grad, exp_avg, exp_avg_sq, beta1, beta2, step_size, eps,
                           weight_decay, decay, sign, adaptive):
    g = _effective_grad(param, grad, weight_decay, decay, sign)
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    if adaptive:
        param -= step_size * exp_avg / (np.sqrt(exp_avg_sq) + eps)
    else:
        param -= step_size * exp_avg


@kernel(radam_update_reference, parallel=True, threshold=SMALL)
def radam_update(param, grad, exp_avg, exp_avg_sq, beta1, beta2, step_size, eps, weight_decay,
                 decay, sign, adaptive):
    """Adam's moments;  θ ← θ − α_t·m / (√v + ε̂) (adaptive) or θ − α_t·m (warm-up phase)."""
    weight1, weight2 = ONE - beta1, ONE - beta2
    for i in prange(param.size):
        p = param[i] * decay
        g = sign * grad[i]
        if weight_decay != 0.0:
            g += weight_decay * p
        m = exp_avg[i] + weight1 * (g - exp_avg[i])
        v = beta2 * exp_avg_sq[i] + weight2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        step = step_size * m
        if adaptive:
            step = step / (np.sqrt(v) + eps)
        param[i] = p - step
