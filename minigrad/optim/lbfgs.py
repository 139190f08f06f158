"""L-BFGS: a quasi-Newton method that remembers only the last few curvature pairs."""

import numpy as np

from minigrad.errors import RangeError
from minigrad.optim.flat import FlatOptimizer
from minigrad.optim.line_search import strong_wolfe
from minigrad.optim.optimizer import check_non_negative


class LBFGS(FlatOptimizer):
    r"""Limited-memory BFGS (Nocedal 1980), PyTorch's algorithm and arguments.

    One ``step(closure)`` runs up to ``max_iter`` iterations. Each iteration::

        s = θ_{k} − θ_{k−1},   y = ∇L_k − ∇L_{k−1}        kept when y·s > 1e-10
        d = −H_k ∇L_k          H_k from the last ``history_size`` pairs (two-loop recursion),
                               starting from H⁰ = (y·s)/(y·y)·I
        θ ← θ + t·d            t = lr (the first iteration: min(1, 1/‖∇L‖₁)·lr), or from the
                               strong-Wolfe line search when line_search_fn="strong_wolfe"

    and stops early when max|∇L| ≤ tolerance_grad, when the step or the loss change falls
    below tolerance_change, or after ``max_eval`` closure evaluations. The closure
    re-evaluates the loss (it may call ``zero_grad()`` and ``backward()``, PyTorch's way).
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        check_non_negative("learning rate", lr)
        if line_search_fn not in (None, "strong_wolfe"):
            raise RangeError("only 'strong_wolfe' is supported")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                        "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                        "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)

    def step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self._state
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss, flat_grad = self._loss_and_grad(closure)
        current_evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # -- direction ---------------------------------------------------------------------
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # curvature condition: only pairs with y·s > 0 keep H positive
                    if len(old_dirs) == group["history_size"]:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # -- step length -------------------------------------------------------------------
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:  # not a descent direction (to tolerance)
                break

            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                x_init = self._clone_param()

                def obj_func(step, x_init=x_init, d=d):
                    return self._loss_and_grad_at(closure, x_init, step, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # re-evaluate only if another iteration follows (in a stochastic setting
                    # the last evaluation would be wasted)
                    _, loss, flat_grad = self._loss_and_grad(closure)
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # -- stopping tests ----------------------------------------------------------------
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # the curvature pairs are lists of vectors: saved as (k, n) matrices
    _PAIRS = ("old_dirs", "old_stps")

    def _pack_state(self, state: dict) -> dict:
        packed = super()._pack_state(state)
        for key in self._PAIRS:
            if key in state:
                packed[key] = np.array(state[key]).reshape(len(state[key]), self._numel())
        if "ro" in state:
            packed["ro"] = np.array(state["ro"], dtype=np.float64)
        return packed

    def _unpack_state(self, saved: dict, param) -> dict:
        state = super()._unpack_state(saved, param)
        for key in self._PAIRS:
            if key in state:
                state[key] = list(np.asarray(state[key]))
        if "ro" in state:
            state["ro"] = [float(r) for r in state["ro"]]
        return state


def _two_loop(grad: np.ndarray, old_dirs: list, old_stps: list, ro: list, H_diag) -> np.ndarray:
    """d = −H·∇L by the two-loop recursion over the stored pairs (y = old_dirs, s = old_stps,
    ρ = 1/(y·s)), without forming H."""
    al = [0.0] * len(old_dirs)
    q = -grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i] @ q) * ro[i]
        q = q - al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i] @ r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r
