"""Helpers shared by the optimizer lessons (l20–l24): run an optimizer on a small function of a
vector and keep every iterate, fit the order of convergence from the errors, and build the
MNIST-1D models the methods are tried on.

    path = descend(lambda p: optim.Adam(p, lr=0.1), rosenbrock, x0=[-1.5, 2.0], steps=200)
    order = fitted_order(np.linalg.norm(path - [1, 1], axis=1))    # ≈ 2 for Newton
"""

from collections.abc import Callable

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F


def descend(make_optimizer: Callable, f: Callable, x0, steps: int,
            needs_graph: bool = False) -> np.ndarray:
    """Run ``make_optimizer([θ])`` for ``steps`` steps on ``f(θ)`` from ``x0``; the iterates.

    Every step goes through a closure (GD's line search, BFGS and Newton need one; the others
    accept it). ``needs_graph``: the closure returns the loss without ``backward()``, as
    Newton's double backward wants. Stops early once the iterate is not finite. Returns an
    array of shape ``(steps + 1, d)``, the start first.
    """
    theta = mg.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    optimizer = make_optimizer([theta])

    def closure():
        optimizer.zero_grad()
        loss = f(theta)
        if not needs_graph:
            loss.backward()
        return loss

    path = [theta.data.copy()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(theta.data.copy())
        if not np.all(np.isfinite(path[-1])):
            break
    return np.array(path)


def fitted_order(errors, low: float = 1e-13, high: float = 1e-1) -> float:
    """Order p of convergence fitted from errors eₖ: the least-squares slope of log eₖ₊₁
    against log eₖ, over the pairs with both errors in [low, high] (above rounding noise,
    inside the asymptotic region). eₖ₊₁ ≈ C·eₖᵖ: p = 1 linear, 1.618 secant, 2 Newton.
    NaN with fewer than two pairs. Errors after the iterates stop moving (eₖ₊₁ = eₖ: the
    method met its tolerance) are dropped."""
    e = _until_stalled(errors)
    pairs = [(a, b) for a, b in zip(e[:-1], e[1:]) if low <= a <= high and low <= b <= high]
    if len(pairs) < 2:
        return float("nan")
    log_e, log_next = np.log(np.array(pairs)).T
    return float(np.polyfit(log_e, log_next, 1)[0])


def _until_stalled(errors) -> np.ndarray:
    e = np.asarray(errors, dtype=np.float64)
    stalled = np.nonzero(e[1:] == e[:-1])[0]
    return e[:stalled[0] + 1] if stalled.size else e


def iterations_to(errors, tol: float) -> int:
    """First k with eₖ ≤ tol·e₀ (len(errors) if never)."""
    e = np.asarray(errors, dtype=np.float64)
    below = np.nonzero(e <= tol * e[0])[0]
    return int(below[0]) if below.size else len(e)


def softmax_regression_loss(x: np.ndarray, y: np.ndarray, l2: float) -> Callable:
    """θ ↦ cross-entropy of the linear classifier θ = [W (d·c values), b (c values)] on (x, y)
    plus l2·‖θ‖² (the penalty makes the loss strictly convex, so the minimizer is unique).
    ``loss.size`` is the number of parameters."""
    inputs, targets = mg.tensor(x.astype(np.float64)), mg.tensor(y)
    d, c = x.shape[1], int(y.max()) + 1

    def loss(theta: mg.Tensor) -> mg.Tensor:
        weight, bias = theta[:d * c].reshape(d, c), theta[d * c:]
        return F.cross_entropy(inputs @ weight + bias, targets) + l2 * (theta * theta).sum()

    loss.size = (d + 1) * c
    return loss


def logistic_regression_loss(x: np.ndarray, y: np.ndarray, l2: float) -> Callable:
    """θ ↦ binary cross-entropy of σ(x·w + b), θ = [w (d values), b], targets y ∈ {0, 1}, plus
    l2·‖θ‖² (strictly convex). ``loss.size`` is the number of parameters, d + 1."""
    inputs, targets = mg.tensor(x.astype(np.float64)), mg.tensor(y.astype(np.float64))
    d = x.shape[1]

    def loss(theta: mg.Tensor) -> mg.Tensor:
        logits = inputs @ theta[:d] + theta[d]
        return F.binary_cross_entropy_with_logits(logits, targets) + l2 * (theta * theta).sum()

    loss.size = d + 1
    return loss


def spearman(a, b) -> float:
    """Spearman's rank correlation (Pearson's on ranks; ties broken by order)."""
    rank_a = np.argsort(np.argsort(np.asarray(a)))
    rank_b = np.argsort(np.argsort(np.asarray(b)))
    return float(np.corrcoef(rank_a, rank_b)[0, 1])
