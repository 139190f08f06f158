"""NAdam: Adam with Nesterov momentum (and NAdamW, its decoupled-weight-decay form)."""

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


class NAdam(Optimizer):
    r"""NAdam (Dozat 2016), PyTorch's formulation.

    For each parameter θ with gradient ∇ at step t (ψ = momentum_decay)::

        g ← ∇ + λθ                     (decoupled_weight_decay: θ ← θ(1 − ηλ), g ← ∇)
        μ_t = β₁(1 − ½·0.96^(tψ))      momentum schedule, warming up to β₁
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        d = √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − η(1 − μ_t)/(1 − Π_{i≤t} μ_i) · g/d − η·μ_{t+1}/(1 − Π_{i≤t+1} μ_i) · m/d

    The second term uses next step's momentum μ_{t+1}: the Nesterov look-ahead.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_betas(betas)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("momentum_decay value", momentum_decay)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                        "momentum_decay": momentum_decay,
                        "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
            weight_decay, decay = decoupled(group)
            for p in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state.update(step=0, mu_product=1.0, exp_avg=state_like(p),
                                 exp_avg_sq=state_like(p))
                state["step"] += 1
                t = state["step"]
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] *= mu
                mu_product = state["mu_product"]
                # c·x/(√(v/(1−β₂ᵗ)) + ε) = c√(1−β₂ᵗ)·x/(√v + ε√(1−β₂ᵗ))
                bias_correction2_sqrt = math.sqrt(1 - beta2**t)
                grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
                exp_avg_coef = -lr * mu_next / (1.0 - mu_product * mu_next)
                fused_update(kernels.nadam_update, p.data, p.grad.data, state["exp_avg"],
                             state["exp_avg_sq"], float(beta1), float(beta2),
                             float(grad_coef * bias_correction2_sqrt),
                             float(exp_avg_coef * bias_correction2_sqrt),
                             float(group["eps"] * bias_correction2_sqrt), weight_decay, decay,
                             grad_sign(group))
        return loss
