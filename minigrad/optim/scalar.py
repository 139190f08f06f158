"""One-dimensional root finding and minimization: bisection, secant and Newton.

Each function finds a root of f (f(x) = 0), or with ``minimize=True`` a stationary point of
f (a root of f'), and returns every iterate so their convergence can be measured: with
e_k = |x_k − x*|, bisection halves the bracket each step (linear, rate ½), the secant method
has order (1 + √5)/2 ≈ 1.618 and Newton's method order 2 (e_{k+1} ≈ C·e_k²).

``f`` takes a minigrad scalar Tensor and returns one (write it with minigrad ops, e.g.
``lambda x: (x - 2).exp() - x``): the derivatives Newton and ``minimize`` need come from
autograd, f' by one backward pass and f'' by a second (double backward).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from minigrad.autograd import enable_grad
from minigrad.autograd import grad as autograd_grad
from minigrad.errors import RangeError
from minigrad.tensor import Tensor


@dataclass
class ScalarResult:
    """The last iterate ``x``, all iterates (bisection: the midpoints; secant and Newton: the
    starting points first), and whether the tolerance was met within ``max_iter``."""

    x: float
    iterates: list = field(default_factory=list)
    converged: bool = False

    @property
    def iterations(self) -> int:
        return len(self.iterates)


def derivative(f, x: float, order: int = 1) -> float:
    """f'(x) (order 1) or f''(x) (order 2) by automatic differentiation."""
    with enable_grad():
        t = Tensor(np.float64(x), requires_grad=True)
        y = f(t)
        for k in range(order):
            if not getattr(y, "requires_grad", False):
                return 0.0  # f^(k) does not depend on x: every higher derivative is 0
            (y,) = autograd_grad(y, t, create_graph=k < order - 1, allow_unused=True)
            if y is None:
                return 0.0
        return float(y)


def _target(f, minimize: bool):
    """The function whose root is sought: f itself, or f' when minimizing."""
    if minimize:
        return lambda x: derivative(f, x)
    return lambda x: float(f(Tensor(np.float64(x))))


def bisection(f, a: float, b: float, tol: float = 1e-12, max_iter: int = 200,
              minimize: bool = False) -> ScalarResult:
    """Halve [a, b] keeping the half where the target changes sign; x is the midpoint.

    Needs target(a) and target(b) of opposite signs. Stops when the bracket is shorter than
    2·tol (so |x − x*| ≤ tol).
    """
    target = _target(f, minimize)
    fa, fb = target(a), target(b)
    if fa == 0 or fb == 0:
        x = a if fa == 0 else b
        return ScalarResult(x, [x], True)
    if np.sign(fa) == np.sign(fb):
        what = "f'" if minimize else "f"
        raise RangeError(f"bisection: {what}(a) = {fa} and {what}(b) = {fb} have the same "
                         f"sign on [{a}, {b}]; the bracket must contain a sign change")
    result = ScalarResult((a + b) / 2)
    for _ in range(max_iter):
        x = (a + b) / 2
        result.x = x
        result.iterates.append(x)
        fx = target(x)
        if fx == 0 or (b - a) / 2 <= tol:
            result.converged = True
            break
        if np.sign(fx) == np.sign(fa):
            a, fa = x, fx
        else:
            b = x
    return result


def secant(f, x0: float, x1: float, tol: float = 1e-12, max_iter: int = 100,
           minimize: bool = False) -> ScalarResult:
    """x_{k+1} = x_k − r(x_k)·(x_k − x_{k−1}) / (r(x_k) − r(x_{k−1})), r = f (or f').

    Newton's method with the derivative replaced by the slope through the last two points.
    Stops when |x_{k+1} − x_k| ≤ tol·(1 + |x_k|).
    """
    # BEGIN EXERCISE secant
    target = _target(f, minimize)
    result = ScalarResult(x1, [x0, x1])
    r0, r1 = target(x0), target(x1)
    for _ in range(max_iter):
        if r1 == r0:
            result.converged = r1 == 0
            break
        x2 = x1 - r1 * (x1 - x0) / (r1 - r0)
        result.x = x2
        result.iterates.append(x2)
        if abs(x2 - x1) <= tol * (1 + abs(x1)):
            result.converged = True
            break
        x0, r0, x1, r1 = x1, r1, x2, target(x2)
    return result
    # END EXERCISE


def newton(f, x0: float, tol: float = 1e-12, max_iter: int = 50,
           minimize: bool = False) -> ScalarResult:
    """x_{k+1} = x_k − f(x_k)/f'(x_k)   (minimize: x_k − f'(x_k)/f''(x_k)).

    Stops when |x_{k+1} − x_k| ≤ tol·(1 + |x_k|), or where the derivative vanishes.
    """
    value = _target(f, minimize)
    result = ScalarResult(x0, [x0])
    x = x0
    for _ in range(max_iter):
        slope = derivative(f, x, 2 if minimize else 1)
        if slope == 0 or not math.isfinite(slope):
            break
        x_next = x - value(x) / slope
        result.x = x_next
        result.iterates.append(x_next)
        if abs(x_next - x) <= tol * (1 + abs(x)):
            result.converged = True
            break
        x = x_next
    return result
