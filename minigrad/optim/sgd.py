"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from minigrad.errors import RangeError
from minigrad.kernels import optim as kernels
from minigrad.optim.optimizer import (
    Optimizer,
    check_non_negative,
    fused_update,
    grad_sign,
    state_like,
    unused_state,
)


class SGD(Optimizer):
    r"""Gradient descent with (Nesterov) momentum, PyTorch's formulation.

    For each parameter θ with gradient ∇ (λ = weight_decay, μ = momentum, τ = dampening)::

        g ← ∇ + λθ                   (−∇ + λθ if maximize)
        b ← g                        on the first step, then  b ← μ·b + (1 − τ)·g
        g ← g + μ·b  if nesterov,  else  g ← b
        θ ← θ − η·g

    The notes' moving-average momentum v ← β·v + (1 − β)·g, θ ← θ − η·v is
    ``SGD(lr=η, momentum=β, dampening=β)``: with τ = β the buffer b *is* that average. The one
    difference is the start: PyTorch takes b = g on the first step, where the notes start from
    v = 0; the two buffers then differ by exactly βᵗ·g₁, a gap that fades geometrically.
    Undamped momentum (τ = 0) sums instead of averaging, b = g + μg' + μ²g'' + …, so
    ``SGD(lr=η(1−β), momentum=β)`` takes the same steps as the average with lr η (again up to
    the first-step start): the two forms differ only by a rescaled learning rate.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise RangeError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                        "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum, lr = float(group["momentum"]), float(group["lr"])
            plain = momentum == 0 and group["weight_decay"] == 0 and not group["maximize"]
            for p in self._params_with_grad(group):
                if plain and p.data.size < kernels.SMALL:
                    # plain θ ← θ − η·∇ on a small parameter: one NumPy expression, the same
                    # numbers as the kernel's reference, without its bookkeeping (state, typed
                    # scalars, flat views), which costs more than the update at lesson sizes
                    p.data -= lr * p.grad.data
                    continue
                state = self.state[p]
                first_step = "momentum_buffer" not in state
                if momentum != 0 and first_step:
                    state["momentum_buffer"] = state_like(p)
                buffer = state["momentum_buffer"] if momentum != 0 else unused_state(p)
                fused_update(kernels.sgd_update, p.data, p.grad.data, buffer,
                             lr, momentum, float(group["dampening"]),
                             float(group["weight_decay"]), grad_sign(group),
                             bool(group["nesterov"]), first_step)
        return loss
