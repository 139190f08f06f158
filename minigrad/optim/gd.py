"""Full-batch gradient descent, with an optional Armijo backtracking line search."""

from minigrad.errors import RangeError
from minigrad.optim.flat import FlatOptimizer
from minigrad.optim.line_search import armijo
from minigrad.optim.optimizer import check_non_negative


class GD(FlatOptimizer):
    r"""Gradient descent on the full loss::

        θ ← θ − t·∇L(θ)

    with t = lr, or with ``line_search="armijo"`` the first of lr, lr·shrink, lr·shrink², ...
    that decreases the loss enough: L(θ − t∇L) ≤ L(θ) − c₁·t·‖∇L‖². The loss then falls at
    every step, whatever lr (too large a value only costs extra evaluations).

    ``step(closure)``: the closure returns the loss (it may call ``backward()`` itself). A
    plain step (no line search) also works without a closure, on the gradients already in
    ``p.grad``. ``state["t"]`` is the last step size taken.
    """

    def __init__(self, params, lr: float, line_search: str | None = None, c1: float = 1e-4,
                 shrink: float = 0.5):
        check_non_negative("learning rate", lr)
        if line_search not in (None, "armijo"):
            raise RangeError(f"GD: line_search must be None or 'armijo', got {line_search!r}")
        if not 0.0 < c1 < 1.0:
            raise RangeError(f"GD: c1 must be in (0, 1), got {c1}")
        if not 0.0 < shrink < 1.0:
            raise RangeError(f"GD: shrink must be in (0, 1), got {shrink}")
        super().__init__(params, {"lr": lr, "line_search": line_search, "c1": c1, "shrink": shrink})

    def step(self, closure=None):
        group = self.param_groups[0]
        if closure is None and group["line_search"] is None:
            loss, grad = None, self._gather_flat_grad()
        else:
            loss, f0, grad = self._loss_and_grad(closure)
        t = group["lr"]
        if group["line_search"] == "armijo":
            x = self._clone_param()
            t, _, evals = armijo(lambda step: self._loss_at(closure, x, step, -grad), f0,
                                 -float(grad @ grad), t, group["c1"], group["shrink"])
            self._state["func_evals"] = self._state.get("func_evals", 0) + evals
        self._add_grad(-t, grad)
        self._state["t"] = t
        self._state["n_iter"] = self._state.get("n_iter", 0) + 1
        return loss
