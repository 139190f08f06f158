"""Adadelta: step sizes in the units of the parameter, no learning rate to tune."""

from minigrad.errors import RangeError
from minigrad.kernels import optim as kernels
from minigrad.optim.optimizer import (
    Optimizer,
    check_non_negative,
    fused_update,
    grad_sign,
    state_like,
)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012), PyTorch's formulation.

    For each parameter θ with gradient ∇ (λ = weight_decay)::

        g ← ∇ + λθ                          (−∇ + λθ if maximize)
        v ← ρ·v + (1 − ρ)·g²                running average of squared gradients
        Δ = √(u + ε) / √(v + ε) · g         update, in the units of θ
        u ← ρ·u + (1 − ρ)·Δ²                running average of squared updates
        θ ← θ − η·Δ                         (η = lr = 1 in the paper)
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False):
        check_non_negative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise RangeError(f"Invalid rho value: {rho}")
        check_non_negative("epsilon value", eps)
        check_non_negative("weight_decay value", weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state.update(step=0, square_avg=state_like(p), acc_delta=state_like(p))
                state["step"] += 1
                fused_update(kernels.adadelta_update, p.data, p.grad.data, state["square_avg"],
                             state["acc_delta"], float(group["lr"]), float(group["rho"]),
                             float(group["eps"]), float(group["weight_decay"]),
                             grad_sign(group))
        return loss
