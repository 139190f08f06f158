"""Adam and AdamW: momentum and RMSprop together, with bias correction."""

import math

from minigrad.kernels import optim as kernels
from minigrad.optim.optimizer import (
    Optimizer,
    check_betas,
    check_non_negative,
    fused_update,
    grad_sign,
    state_like,
    unused_state,
)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015), PyTorch's formulation.

    For each parameter θ with gradient ∇ at step t (λ = weight_decay)::

        g ← ∇ + λθ                    (−∇ + λθ if maximize)
            decoupled_weight_decay:   θ ← θ(1 − ηλ) and g ← ∇ instead (AdamW)
        m ← β₁·m + (1 − β₁)·g         first moment (momentum)
        v ← β₂·v + (1 − β₂)·g²        second moment (RMSprop)
        v ← max(v_max, v)             if amsgrad (v_max keeps the largest v seen)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    The factors 1/(1 − βᵗ) undo the bias of averages started at zero; without them the
    first steps would be too small by 1 − β₁ (and too large by 1/√(1 − β₂)).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                        "amsgrad": amsgrad, "maximize": maximize,
                        "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            weight_decay, decay = decoupled(group)
            for p in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state.update(step=0, exp_avg=state_like(p), exp_avg_sq=state_like(p))
                if group["amsgrad"] and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = state_like(p)
                state["step"] += 1
                t = state["step"]
                # η/(1−β₁ᵗ)·m/(√v/√(1−β₂ᵗ) + ε) = α_t·m/(√v + ε̂), one division per element
                bias_correction2_sqrt = math.sqrt(1 - beta2**t)
                fused_update(kernels.adam_update, p.data, p.grad.data, state["exp_avg"],
                             state["exp_avg_sq"], state.get("max_exp_avg_sq", unused_state(p)),
                             float(beta1), float(beta2),
                             float(lr * bias_correction2_sqrt / (1 - beta1**t)),
                             float(group["eps"] * bias_correction2_sqrt), weight_decay, decay,
                             grad_sign(group), bool(group["amsgrad"]))
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019): ``θ ← θ(1 − ηλ)`` apart
    from the gradient, so weights with large gradients are decayed as much as the others
    (in Adam + L2 the decay term λθ is divided by √v like the gradient)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


def decoupled(group: dict) -> tuple:
    """(λ of the coupled L2 term, factor of the decoupled shrink) for the kernels."""
    weight_decay = float(group["weight_decay"])
    if group["decoupled_weight_decay"]:
        # BEGIN EXERCISE adamw
        return 0.0, 1.0 - float(group["lr"]) * weight_decay
        # END EXERCISE
    return weight_decay, 1.0
