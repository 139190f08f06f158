"""The secant method in each coordinate: curvature from successive gradients."""

import numpy as np

from minigrad.errors import RangeError
from minigrad.optim.flat import FlatOptimizer
from minigrad.optim.optimizer import check_non_negative


class Secant(FlatOptimizer):
    r"""Newton's method with each second derivative replaced by a difference quotient.

    For each coordinate i, from the last two points::

        h_i = (g_i − g_i') / (θ_i − θ_i')        secant estimate of ∂²L/∂θ_i²
        θ_i ← θ_i − lr · g_i / |h_i|

    (g' and θ' are the previous gradient and point.) In one dimension this is the secant
    method applied to L' = 0, which converges with order (1 + √5)/2 ≈ 1.618: faster than
    gradient descent, slower than Newton, and it needs no second derivatives. Where the
    quotient is undefined (the coordinate did not move, or its gradient did not change) the
    previous estimate is kept; the first step uses h = 1/initial_step, i.e. a gradient step of
    size ``initial_step``. Taking |h| makes every coordinate step downhill where the
    curvature estimate is negative (the plain secant step would climb towards a maximum).
    The method ignores the coupling between coordinates: it shines on separable losses.
    """

    def __init__(self, params, lr: float = 1.0, initial_step: float = 1e-3):
        check_non_negative("learning rate", lr)
        if not initial_step > 0:
            raise RangeError(f"Secant: initial_step must be positive, got {initial_step}")
        super().__init__(params, {"lr": lr, "initial_step": initial_step})

    def step(self, closure=None):
        group = self.param_groups[0]
        state = self._state
        if closure is None:
            loss, grad = None, self._gather_flat_grad()
        else:
            loss, _, grad = self._loss_and_grad(closure)
        x = self._clone_param()
        if "curvature" not in state:
            state["curvature"] = np.full_like(x, 1.0 / group["initial_step"])
        else:
            dx, dg = x - state["prev_param"], grad - state["prev_grad"]
            defined = (dx != 0) & (dg != 0)
            state["curvature"] = np.where(defined, dg / np.where(defined, dx, 1.0),
                                          state["curvature"])
        state["prev_param"], state["prev_grad"] = x, grad
        self._add_grad(-group["lr"], grad / np.abs(state["curvature"]))
        state["n_iter"] = state.get("n_iter", 0) + 1
        return loss
