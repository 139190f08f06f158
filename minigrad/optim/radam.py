"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable."""

import math

from minigrad.kernels import optim as kernels
from minigrad.optim.adam import decoupled
from minigrad.optim.optimizer import (
    Optimizer,
    check_betas,
    check_non_negative,
    fused_update,
    grad_sign,
    state_like,
)


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al. 2020), PyTorch's formulation.

    For each parameter θ with gradient ∇ at step t::

        g ← ∇ + λθ                     (decoupled_weight_decay: θ ← θ(1 − ηλ), g ← ∇)
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,   m̂ = m / (1 − β₁ᵗ)
        ρ_∞ = 2/(1 − β₂) − 1,    ρ_t = ρ_∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                  θ ← θ − η·m̂·r_t·√(1 − β₂ᵗ)/(√v + ε)
        else:     θ ← θ − η·m̂          (plain momentum while v is too noisy: a built-in warm-up)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                        "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            weight_decay, decay = decoupled(group)
            rho_inf = 2 / (1 - beta2) - 1
            for p in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state.update(step=0, exp_avg=state_like(p), exp_avg_sq=state_like(p))
                state["step"] += 1
                t = state["step"]
                bias_correction2 = 1 - beta2**t
                rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
                adaptive = rho_t > 5.0
                step_size = lr / (1 - beta1**t)
                if adaptive:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    step_size *= rect * math.sqrt(bias_correction2)
                fused_update(kernels.radam_update, p.data, p.grad.data, state["exp_avg"],
                             state["exp_avg_sq"], float(beta1), float(beta2), float(step_size),
                             float(group["eps"]), weight_decay, decay, grad_sign(group),
                             bool(adaptive))
        return loss
