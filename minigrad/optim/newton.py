"""Newton's method with the exact Hessian, from double backward."""

import numpy as np

from minigrad.autograd import enable_grad
from minigrad.autograd import grad as autograd_grad
from minigrad.errors import RangeError, StateError
from minigrad.ops import cat
from minigrad.optim.flat import FlatOptimizer
from minigrad.optim.line_search import armijo
from minigrad.optim.optimizer import check_non_negative
from minigrad.tensor import Tensor


class Newton(FlatOptimizer):
    r"""Newton's method::

        (H + λI)·d = −∇L           H = ∇²L(θ), the exact Hessian (λ = damping)
        θ ← θ + t·d                t = lr (1 for the pure method), or Armijo backtracking from lr

    Near a minimum where H is positive definite, the error squares at every step (quadratic
    convergence: e_{k+1} ≤ C·e_k²). Far from it, or where H is indefinite, the pure step can
    go anywhere (even to a maximum or a saddle); damping λ > 0 shortens it towards a small
    gradient step, and with ``line_search="armijo"`` a direction that does not descend is
    replaced by −∇L, so the loss falls at every step.

    The gradient is differentiated again (``create_graph``), so the closure must leave the
    graph alive: it returns the loss *without* calling ``backward()`` (or calls
    ``backward(create_graph=True)``).

    ``solver="exact"`` builds H row by row, one backward pass through the gradient's graph per
    parameter: O(n²) memory and n passes, refused above ``max_params`` parameters.
    ``solver="cg"`` never forms H: it solves for d by conjugate gradients, each iteration one
    Hessian-vector product (a single backward pass), and stops at negative curvature.
    """

    def __init__(self, params, lr: float = 1.0, damping: float = 0.0,
                 line_search: str | None = None, solver: str = "exact", max_params: int = 2000,
                 cg_max_iter: int | None = None, cg_tol: float = 1e-10):
        check_non_negative("learning rate", lr)
        check_non_negative("damping value", damping)
        if line_search not in (None, "armijo"):
            raise RangeError(f"Newton: line_search must be None or 'armijo', got {line_search!r}")
        if solver not in ("exact", "cg"):
            raise RangeError(f"Newton: solver must be 'exact' or 'cg', got {solver!r}")
        defaults = {"lr": lr, "damping": damping, "line_search": line_search, "solver": solver,
                        "max_params": max_params, "cg_max_iter": cg_max_iter, "cg_tol": cg_tol}
        super().__init__(params, defaults)
        n = self._numel()
        if solver == "exact" and n > max_params:
            raise RangeError(f"Newton: {n} parameters exceed max_params={max_params} for the "
                             f"exact Hessian ({n}×{n} entries, {n} backward passes per step); "
                             "use solver='cg' (Hessian-free) or raise max_params")

    def step(self, closure):
        group = self.param_groups[0]
        loss, gradient = self._loss_with_graph(closure)
        g = gradient.data.astype(np.float64)
        damping = group["damping"]
        if group["solver"] == "exact":
            direction = _solve(self._hessian(gradient) + damping * np.eye(g.size), -g)
        else:
            direction = conjugate_gradient(lambda v: self._hvp(gradient, v) + damping * v, -g,
                                           group["cg_max_iter"] or g.size, group["cg_tol"])
        t = group["lr"]
        if group["line_search"] == "armijo":
            if g @ direction >= 0:  # not a descent direction: fall back to the gradient
                direction = -g
            x = self._clone_param()
            t, _, _ = armijo(lambda step: self._loss_at(closure, x, step, direction),
                             float(loss), float(g @ direction), t)
        self._add_grad(t, direction)
        self._state["t"] = t
        self._state["n_iter"] = self._state.get("n_iter", 0) + 1
        return loss.detach()

    def _loss_with_graph(self, closure) -> tuple:
        """(loss, ∇L as one flat Tensor that is itself differentiable)."""
        if closure is None:
            raise StateError("Newton.step needs a closure that returns the loss: step(closure)")
        self.zero_grad()
        with enable_grad():
            loss = closure()
            if all(p.grad is None for p in self._params):
                grads = autograd_grad(loss, self._params, create_graph=True, allow_unused=True)
            elif all(p.grad is None or p.grad.requires_grad for p in self._params):
                grads = [p.grad for p in self._params]
            else:
                raise StateError("Newton: the closure called loss.backward(), which frees the "
                                 "graph the Hessian needs; return the loss without calling "
                                 "backward (Newton differentiates it itself), or call "
                                 "loss.backward(create_graph=True)")
            grads = [Tensor._make(np.zeros(p.shape, p.dtype)) if g is None else g
                     for p, g in zip(self._params, grads)]
            return loss, cat([g.reshape(-1) for g in grads])

    def _derivative(self, output) -> np.ndarray:
        """d(output)/dθ as one flat vector (zeros where θ does not enter)."""
        if not output.requires_grad:
            return np.zeros(self._numel())
        parts = autograd_grad(output, self._params, retain_graph=True, allow_unused=True)
        return np.concatenate([np.zeros(p.numel()) if d is None else d.data.reshape(-1)
                               for p, d in zip(self._params, parts)])

    def _hessian(self, gradient) -> np.ndarray:
        """H[i, j] = ∂(∇L)_i/∂θ_j: row i is the gradient of the i-th gradient entry."""
        with enable_grad():
            rows = [self._derivative(gradient[i]) for i in range(gradient.shape[0])]
        hessian = np.array(rows).reshape(gradient.shape[0], -1)
        return (hessian + hessian.T) / 2  # exact up to rounding; symmetric for the solver

    def _hvp(self, gradient, v: np.ndarray) -> np.ndarray:
        """H·v = ∇(∇L · v), one backward pass."""
        with enable_grad():
            return self._derivative((gradient * Tensor._make(v.astype(gradient.dtype))).sum())


def _solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    # BEGIN EXERCISE newton_step
    try:
        return np.linalg.solve(matrix, rhs)
    except np.linalg.LinAlgError:
        raise StateError("Newton: the Hessian (plus damping) is singular; use damping > 0 "
                         "(e.g. Newton(params, damping=1e-4))") from None
    # END EXERCISE


def conjugate_gradient(matvec, b: np.ndarray, max_iter: int, tol: float = 1e-10) -> np.ndarray:
    """Solve A·x = b for a symmetric A given only ``matvec(v) = A·v``, from x = 0.

    Stops when ‖r‖ ≤ tol·‖b‖, after ``max_iter`` iterations, or on a direction of negative
    curvature (pᵀAp ≤ 0, where A is not positive definite); then it returns the current x,
    or b itself if that happens at once (for Newton: the steepest-descent direction).
    """
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = float(r @ r)
    threshold = tol * np.sqrt(rr)
    for _ in range(max_iter):
        if np.sqrt(rr) <= threshold:
            break
        ap = matvec(p)
        curvature = float(p @ ap)
        if curvature <= 0:
            return x if np.any(x) else b.copy()
        alpha = rr / curvature
        x += alpha * p
        r -= alpha * ap
        rr, rr_old = float(r @ r), rr
        p = r + (rr / rr_old) * p
    return x
