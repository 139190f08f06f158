"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients."""

from minigrad.kernels import optim as kernels
from minigrad.optim.optimizer import (
    Optimizer,
    check_non_negative,
    fused_update,
    grad_sign,
    state_like,
)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011), PyTorch's formulation.

    For each parameter θ with gradient ∇ at step t (λ = weight_decay)::

        g  ← ∇ + λθ                          (−∇ + λθ if maximize)
        G  ← G + g²                          (G starts at initial_accumulator_value)
        η_t = η / (1 + (t − 1)·lr_decay)
        θ  ← θ − η_t · g / (√G + ε)

    G only grows, so every coordinate's step only shrinks: good for rare features whose
    few gradients keep a large step, a stall on long runs where all steps dwindle.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("lr_decay value", lr_decay)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("initial_accumulator_value value", initial_accumulator_value)
        check_non_negative("epsilon value", eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["sum"] = state_like(p, group["initial_accumulator_value"])
                state["step"] += 1
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                fused_update(kernels.adagrad_update, p.data, p.grad.data, state["sum"],
                             float(clr), float(group["weight_decay"]), float(group["eps"]),
                             grad_sign(group))
        return loss
