"""Line searches: how far to go along a descent direction d from θ.

Both work on the 1-D function φ(t) = L(θ + t·d), whose slope at 0 is φ'(0) = ∇L·d < 0.

Armijo (sufficient decrease): accept the first t in lr, lr·shrink, lr·shrink², ... with
    φ(t) ≤ φ(0) + c₁·t·φ'(0)
so every accepted step lowers the loss, without a tuned learning rate.

Strong Wolfe: sufficient decrease and a flattened slope,
    φ(t) ≤ φ(0) + c₁·t·φ'(0)   and   |φ'(t)| ≤ c₂·|φ'(0)|
The second condition keeps steps from being too short and guarantees y·s > 0 for the
quasi-Newton updates. The algorithm is PyTorch's (its LBFGS line search, itself from
Torch7's ``lswolfe``): expand until a bracket around an acceptable t is found, then shrink
the bracket by cubic interpolation ("zoom").
"""

import math

import numpy as np


def armijo(phi, f0: float, slope: float, t: float = 1.0, c1: float = 1e-4,
           shrink: float = 0.5, max_backtracks: int = 60) -> tuple:
    """Backtracking: (t, φ(t), number of evaluations). ``phi(t)`` returns the loss.

    After ``max_backtracks`` halvings the last (tiny) t is returned even if it failed the test.
    """
    # BEGIN EXERCISE armijo
    for evals in range(1, max_backtracks + 1):
        f = phi(t)
        if f <= f0 + c1 * t * slope:
            break
        t *= shrink
    return t, f, evals
    # END EXERCISE


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped
    to ``bounds`` (default: between x1 and x2); the midpoint if the cubic has no minimum."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj, t: float, d: np.ndarray, f: float, g: np.ndarray, gtd: float,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple:
    """A step satisfying the strong Wolfe conditions: (f_new, g_new, t, evaluations).

    ``obj(t)`` returns (L, ∇L) at θ + t·d; f, g, gtd are L, ∇L and ∇L·d at t = 0. Gives up
    after ``max_ls`` evaluations (returning the best point seen) or when the bracket is
    shorter than ``tolerance_change`` in θ.
    """
    d_norm = float(np.abs(d).max())
    f_new, g_new = obj(t)
    evals = 1
    gtd_new = float(g_new @ d)

    # bracketing: grow t until [t_prev, t] must contain an acceptable step
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new])
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = _Bracket([t], [f_new], [g_new], [gtd_new])
            done = True
            break
        if gtd_new >= 0:
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new])
            break
        # extrapolate: the cubic's minimizer, at least 1% beyond t and at most 10·t
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                         bounds=(min_step, max_step))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = obj(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter >= max_ls:  # no bracket found within the budget
        bracket = _Bracket([0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new])

    # zoom: shrink the bracket until its low end satisfies the conditions
    insufficient_progress = False
    low, high = bracket.ends()
    while not done and ls_iter < max_ls:
        if abs(bracket.t[1] - bracket.t[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket.t[0], bracket.f[0], bracket.gtd[0],
                              bracket.t[1], bracket.f[1], bracket.gtd[1])
        # a trial too near an end of the bracket twice in a row (or outside it) is moved
        # to 10% of the bracket's length inside, so the bracket keeps shrinking
        t_max, t_min = max(bracket.t), min(bracket.t)
        eps = 0.1 * (t_max - t_min)
        if min(t_max - t, t - t_min) < eps:
            if insufficient_progress or t >= t_max or t <= t_min:
                t = t_max - eps if abs(t - t_max) < abs(t - t_min) else t_min + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False

        f_new, g_new = obj(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket.f[low]:
            bracket.set(high, t, f_new, g_new, gtd_new)  # not low enough: new high end
            low, high = bracket.ends()
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket.t[high] - bracket.t[low]) >= 0:
                bracket.set(high, bracket.t[low], bracket.f[low], bracket.g[low],
                            bracket.gtd[low])  # the old low end becomes the high end
            bracket.set(low, t, f_new, g_new, gtd_new)
    return bracket.f[low], bracket.g[low], bracket.t[low], evals


class _Bracket:
    """Step sizes t with their losses f, gradients g and slopes gtd = g·d."""

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd

    def ends(self) -> tuple:
        """(index of the lower-loss end, index of the other)."""
        return (0, 1) if self.f[0] <= self.f[-1] else (1, 0)

    def set(self, i, t, f, g, gtd) -> None:
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd
