"""Wrong: accepts any decrease, φ(t) < φ(0), without the c₁·t·φ'(0) margin."""


def armijo(phi, f0, slope, t=1.0, c1=1e-4, shrink=0.5, max_backtracks=60):
    for evals in range(1, max_backtracks + 1):
        f = phi(t)
        if f < f0:
            break
        t *= shrink
    return t, f, evals
