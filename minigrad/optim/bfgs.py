"""BFGS: a quasi-Newton method that builds a dense inverse-Hessian estimate."""

import numpy as np

from minigrad.errors import RangeError
from minigrad.optim.flat import FlatOptimizer
from minigrad.optim.line_search import armijo, strong_wolfe
from minigrad.optim.optimizer import check_non_negative


class BFGS(FlatOptimizer):
    r"""Broyden–Fletcher–Goldfarb–Shanno, with a dense inverse Hessian estimate H (n×n).

    Each ``step(closure)`` is one iteration::

        s = θ_k − θ_{k−1},   y = ∇L_k − ∇L_{k−1},   ρ = 1/(y·s)
        H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ     only if y·s > 1e-10 (else skipped)
        d = −H ∇L_k
        θ ← θ + t·d        t: strong-Wolfe (default) or Armijo line search from lr, or t = lr

    H starts as I, as in SciPy's BFGS. The update keeps H positive definite only when the
    curvature y·s is positive: the strong-Wolfe search guarantees it, Armijo does not, so
    pairs with y·s ≤ 1e-10 are skipped (counted in ``state["skipped_updates"]``); Armijo also
    backtracks often while H still has the wrong scale, so it costs more evaluations. A
    direction that does not descend resets H to I. On the first iteration the line search
    starts from min(1, 1/‖∇L‖₁)·lr, as L-BFGS does, because −∇L has no natural scale.
    Converged (no step taken) once max|∇L| ≤ tolerance_grad.
    """

    def __init__(self, params, lr: float = 1.0, line_search: str | None = "strong_wolfe",
                 tolerance_grad: float = 1e-7, c1: float = 1e-4, c2: float = 0.9):
        check_non_negative("learning rate", lr)
        if line_search not in (None, "armijo", "strong_wolfe"):
            raise RangeError("BFGS: line_search must be None, 'armijo' or 'strong_wolfe', got "
                             f"{line_search!r}")
        if not 0.0 < c1 < c2 < 1.0:
            raise RangeError(f"BFGS: line search constants need 0 < c1 < c2 < 1, got c1={c1}, "
                             f"c2={c2}")
        defaults = {"lr": lr, "line_search": line_search, "tolerance_grad": tolerance_grad,
                        "c1": c1, "c2": c2}
        super().__init__(params, defaults)

    def step(self, closure):
        group = self.param_groups[0]
        state = self._state
        loss, f, g = self._loss_and_grad(closure)
        state["func_evals"] = state.get("func_evals", 0) + 1
        if np.abs(g).max() <= group["tolerance_grad"]:
            return loss
        x = self._clone_param()
        if "inverse_hessian" not in state:
            state.update(n_iter=0, skipped_updates=0, inverse_hessian=np.eye(x.size))
        else:
            self._update_inverse_hessian(x - state["prev_param"], g - state["prev_grad"])
        d = -state["inverse_hessian"] @ g
        if g @ d >= 0:  # rounding has spoiled H: start again from the gradient
            state["inverse_hessian"] = np.eye(x.size)
            d = -g
        t = group["lr"]
        if state["n_iter"] == 0 and group["line_search"] is not None:
            t = min(1.0, 1.0 / float(np.abs(g).sum())) * t
        if group["line_search"] == "strong_wolfe":
            _, _, t, evals = strong_wolfe(lambda step: self._loss_and_grad_at(closure, x, step, d),
                                          t, d, f, g, float(g @ d), group["c1"], group["c2"])
        elif group["line_search"] == "armijo":
            t, _, evals = armijo(lambda step: self._loss_at(closure, x, step, d), f,
                                 float(g @ d), t, group["c1"])
        else:
            evals = 0
        self._add_grad(t, d)
        state.update(prev_param=x, prev_grad=g, t=t, n_iter=state["n_iter"] + 1,
                     func_evals=state["func_evals"] + evals)
        return loss

    def _update_inverse_hessian(self, s: np.ndarray, y: np.ndarray) -> None:
        # BEGIN EXERCISE bfgs_update
        state = self._state
        ys = float(y @ s)
        if ys <= 1e-10:  # curvature condition fails: the update would break positivity
            state["skipped_updates"] += 1
            return
        H = state["inverse_hessian"]
        rho = 1.0 / ys
        Hy = H @ y
        # (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, expanded (H symmetric): O(n²), no n×n products
        H = (H - rho * (np.outer(s, Hy) + np.outer(Hy, s))
             + (rho * rho * float(y @ Hy) + rho) * np.outer(s, s))
        state["inverse_hessian"] = H
        # END EXERCISE
