"""RMSprop: Adagrad with a moving average in place of the ever-growing sum."""

from minigrad.kernels import optim as kernels
from minigrad.optim.optimizer import (
    Optimizer,
    check_non_negative,
    fused_update,
    grad_sign,
    state_like,
    unused_state,
)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), PyTorch's formulation.

    For each parameter θ with gradient ∇ (λ = weight_decay, μ = momentum)::

        g ← ∇ + λθ                          (−∇ + λθ if maximize)
        v ← α·v + (1 − α)·g²
        centered:  ḡ ← α·ḡ + (1 − α)·g,  v' = v − ḡ²  (else v' = v)
        b ← μ·b + g / (√v' + ε)             (μ > 0)
        θ ← θ − η·b                         (μ = 0:  θ ← θ − η·g / (√v' + ε))

    Old gradients fade (weight αᵏ), so the step size recovers when gradients shrink,
    unlike Adagrad's.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                        "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum, centered = float(group["momentum"]), bool(group["centered"])
            for p in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state.update(step=0, square_avg=state_like(p))
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = state_like(p)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = state_like(p)
                state["step"] += 1
                fused_update(kernels.rmsprop_update, p.data, p.grad.data, state["square_avg"],
                             state.get("grad_avg", unused_state(p)),
                             state.get("momentum_buffer", unused_state(p)),
                             float(group["lr"]), float(group["alpha"]), float(group["eps"]),
                             float(group["weight_decay"]), momentum, grad_sign(group), centered)
        return loss
