"""Wrong: drops the ρ·s·sᵀ term, so H_new·y ≠ s."""

import numpy as np


def _update_inverse_hessian(self, s, y):
    ys = float(y @ s)
    if ys <= 1e-10:
        self._state["skipped_updates"] += 1
        return
    rho = 1.0 / ys
    left = np.eye(s.size) - rho * np.outer(s, y)
    self._state["inverse_hessian"] = left @ self._state["inverse_hessian"] @ left.T
