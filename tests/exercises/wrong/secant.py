"""Wrong: a sign error in the slope, r₁ + r₀ instead of r₁ - r₀."""

from minigrad.optim.scalar import ScalarResult, _target


def secant(f, x0, x1, tol=1e-12, max_iter=100, minimize=False):
    target = _target(f, minimize)
    result = ScalarResult(x1, [x0, x1])
    r0, r1 = target(x0), target(x1)
    for _ in range(max_iter):
        if r1 + r0 == 0:
            break
        x2 = x1 - r1 * (x1 - x0) / (r1 + r0)
        result.x = x2
        result.iterates.append(x2)
        if abs(x2 - x1) <= tol * (1 + abs(x1)):
            result.converged = True
            break
        x0, r0, x1, r1 = x1, r1, x2, target(x2)
    return result
