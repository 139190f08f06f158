"""Exercises on optimizers: SGD (momentum, Nesterov), Adagrad, RMSprop, Adam, AdamW, Armijo,
the Newton step, the BFGS update and the secant method.

Each optimizer is held against a few lines of NumPy that state PyTorch's documented algorithm,
fed the same fixed gradients; a step is where the trajectories first part.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import StateError
from minigrad.optim import bfgs, line_search, newton, scalar
from tests.exercises.spec import assert_close, random

THETA0 = np.array([0.5, -1.5, 2.0, 0.1])
GRADS = [random(4, seed=s) for s in range(1, 6)]


def _trajectory(optimizer, **options):
    """θ after each step of ``optimizer`` fed the gradients GRADS (float64)."""
    p = mg.tensor(THETA0.copy(), requires_grad=True)
    opt = optimizer([p], **options)
    thetas = []
    for g in GRADS:
        p.grad = mg.tensor(g.copy())
        opt.step()
        thetas.append(p.data.copy())
    return thetas


def _compare(name, options, computed, expected):
    for t, (c, e) in enumerate(zip(computed, expected), start=1):
        assert_close(f"{name}: θ after step {t}", c, e,
                     f"θ₀ = {THETA0}, options {options}, the gradients GRADS of this file",
                     rtol=1e-9, atol=1e-12)


def _sgd_spec(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    theta, b, out = THETA0.copy(), None, []
    for grad in GRADS:
        g = grad + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return out


@pytest.mark.ex_sgd_momentum_nesterov
def test_sgd_with_momentum_and_dampening():
    options = dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)
    _compare("SGD", options, _trajectory(mg.optim.SGD, **options), _sgd_spec(**options))


@pytest.mark.ex_sgd_momentum_nesterov
def test_sgd_with_nesterov_momentum():
    options = dict(lr=0.1, momentum=0.9, nesterov=True)
    _compare("SGD(nesterov)", options, _trajectory(mg.optim.SGD, **options), _sgd_spec(**options))
    options = dict(lr=0.1)
    _compare("plain SGD", options, _trajectory(mg.optim.SGD, **options), _sgd_spec(**options))


@pytest.mark.ex_adagrad
def test_adagrad_divides_by_the_root_of_the_summed_squares():
    options = dict(lr=0.5, lr_decay=0.1, weight_decay=0.01, eps=1e-10)
    theta, total, expected = THETA0.copy(), np.zeros(4), []
    for t, grad in enumerate(GRADS, start=1):
        g = grad + 0.01 * theta
        total += g * g
        theta = theta - 0.5 / (1 + (t - 1) * 0.1) * g / (np.sqrt(total) + 1e-10)
        expected.append(theta)
    _compare("Adagrad", options, _trajectory(mg.optim.Adagrad, **options), expected)


@pytest.mark.ex_adagrad
def test_adagrad_steps_shrink_like_one_over_root_t_for_a_constant_gradient():
    p = mg.tensor(np.zeros(1), requires_grad=True)
    opt = mg.optim.Adagrad([p], lr=1.0, eps=0.0)
    for t in range(1, 5):
        before = p.data.copy()
        p.grad = mg.tensor(np.array([3.0]))
        opt.step()
        assert_close(f"Adagrad: step {t}", p.data - before, [-1 / math.sqrt(t)],
                     "∇ = 3 at every step, lr = 1 (step t is lr·g/√(t·g²) = 1/√t)")


def _rmsprop_spec(lr, alpha, eps, momentum, centered):
    theta, v, avg, b, out = THETA0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for g in GRADS:
        v = alpha * v + (1 - alpha) * g * g
        denom = v
        if centered:
            avg = alpha * avg + (1 - alpha) * g
            denom = v - avg * avg
        step = g / (np.sqrt(denom) + eps)
        if momentum:
            b = momentum * b + step
            step = b
        theta = theta - lr * step
        out.append(theta)
    return out


@pytest.mark.ex_rmsprop
def test_rmsprop_plain_and_with_momentum():
    for options in (dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.0, centered=False),
                    dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.5, centered=False)):
        _compare("RMSprop", options, _trajectory(mg.optim.RMSprop, **options),
                 _rmsprop_spec(**options))


@pytest.mark.ex_rmsprop
def test_rmsprop_centered():
    options = dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.0, centered=True)
    _compare("RMSprop(centered)", options, _trajectory(mg.optim.RMSprop, **options),
             _rmsprop_spec(**options))


def _adam_spec(lr, betas, eps, weight_decay=0.0, amsgrad=False, decoupled=False):
    (b1, b2), theta = betas, THETA0.copy()
    m, v, v_max, out = np.zeros(4), np.zeros(4), np.zeros(4), []
    for t, grad in enumerate(GRADS, start=1):
        g = grad
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


@pytest.mark.ex_adam
def test_adam_first_step_moves_every_coordinate_by_lr():
    # m̂ = g and v̂ = g² after one step: the step is lr·g/|g| whatever the gradient's size
    p = mg.tensor(THETA0.copy(), requires_grad=True)
    p.grad = mg.tensor(np.array([1e-3, -5.0, 20.0, 0.5]))
    mg.optim.Adam([p], lr=0.1, eps=1e-12).step()
    assert_close("Adam: θ after one step", p.data, THETA0 - 0.1 * np.array([1, -1, 1, 1]),
                 "θ₀ = [0.5, -1.5, 2, 0.1], ∇ = [1e-3, -5, 20, 0.5], lr=0.1", rtol=1e-6)


@pytest.mark.ex_adam
def test_adam_and_amsgrad_follow_the_algorithm():
    for options in (dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
                    dict(lr=0.01, betas=(0.8, 0.9), eps=1e-8, amsgrad=True)):
        _compare("Adam", options, _trajectory(mg.optim.Adam, **options), _adam_spec(**options))


@pytest.mark.ex_adamw
def test_adamw_with_zero_gradient_only_shrinks_the_weights():
    p = mg.tensor(THETA0.copy(), requires_grad=True)
    p.grad = mg.tensor(np.zeros(4))
    mg.optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
    assert_close("AdamW: θ after one step with ∇ = 0", p.data, THETA0 * (1 - 0.1 * 0.5),
                 "θ₀ = [0.5, -1.5, 2, 0.1], lr=0.1, weight_decay=0.5 (expected θ(1 - ηλ))")


@pytest.mark.ex_adamw
def test_adamw_decay_is_decoupled_from_the_adaptive_step():
    options = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.3)
    _compare("AdamW", options, _trajectory(mg.optim.AdamW, **options),
             _adam_spec(**options, decoupled=True))
    coupled = dict(options, weight_decay=0.3)
    _compare("Adam(weight_decay) stays coupled L2", coupled,
             _trajectory(mg.optim.Adam, **coupled), _adam_spec(**coupled))


@pytest.mark.ex_armijo
def test_armijo_accepts_the_first_step_with_sufficient_decrease():
    def phi(t):
        return (t - 0.3) ** 2
    # the test φ(t) ≤ 0.09 - 0.3t fails at t = 1 (0.49) and t = 0.5 (0.04 > -0.06),
    # and holds at t = 0.25 (0.0025 ≤ 0.015)
    t, f, evals = line_search.armijo(phi, 0.09, -0.6, t=1.0, c1=0.5, shrink=0.5)
    at = "φ(t) = (t - 0.3)², φ(0) = 0.09, φ'(0) = -0.6, c1 = 0.5, t = 1, shrink = 0.5"
    assert (t, evals) == (0.25, 3), (f"Armijo: expected t = 0.25 after 3 evaluations of φ, "
                                     f"computed t = {t} after {evals}, at {at}")
    assert_close("φ at the accepted step", f, phi(0.25), at)


@pytest.mark.ex_armijo
def test_armijo_takes_the_full_step_when_it_decreases_enough():
    t, f, evals = line_search.armijo(lambda t: (t - 1.0) ** 2, 1.0, -2.0)
    assert (t, f, evals) == (1.0, 0.0, 1), (f"Armijo on φ(t) = (t - 1)² from t = 1: expected "
                                            f"(1.0, 0.0, 1), computed {(t, f, evals)}")


@pytest.mark.ex_newton_step
def test_newton_direction_solves_the_linear_system():
    h = np.array([[4.0, 1.0], [1.0, 3.0]])
    g = np.array([1.0, 2.0])
    assert_close("Newton direction d with H d = -g", newton._solve(h, -g), np.linalg.solve(h, -g),
                 f"H = {h.tolist()}, g = {g.tolist()}")


@pytest.mark.ex_newton_step
def test_newton_minimizes_a_quadratic_in_one_step():
    a, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
    x = mg.tensor(np.zeros(2), requires_grad=True)
    opt = mg.optim.Newton([x])

    def closure():
        return 0.5 * (x @ (mg.tensor(a) @ x)) - mg.tensor(b) @ x
    opt.step(closure)
    assert_close("θ after one Newton step on ½θᵀAθ - bᵀθ", x.data, np.linalg.solve(a, b),
                 "A = [[3, 1], [1, 2]], b = [1, -1], θ₀ = 0 (expected A⁻¹b)")


@pytest.mark.ex_newton_step
def test_newton_on_a_singular_hessian_asks_for_damping():
    with pytest.raises(StateError, match="damping"):
        newton._solve(np.zeros((2, 2)), np.ones(2))


def _bfgs_update(h, s, y):
    holder = SimpleNamespace(_state={"inverse_hessian": h.copy(), "skipped_updates": 0})
    bfgs.BFGS._update_inverse_hessian(holder, s, y)
    return holder._state


@pytest.mark.ex_bfgs_update
def test_bfgs_update_satisfies_the_secant_equation_and_stays_symmetric():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 4))
    h, s = q @ q.T + np.eye(4), rng.standard_normal(4)
    y = (np.eye(4) * 2 + 0.1 * q @ q.T) @ s  # y from a positive-definite Hessian: yᵀs > 0
    new = _bfgs_update(h, s, y)["inverse_hessian"]
    at = "a random positive-definite H (4×4), s, and y = A s with A positive definite"
    assert_close("H_new · y (the secant equation wants s)", new @ y, s, at, rtol=1e-8)
    assert_close("H_new - H_newᵀ", new - new.T, np.zeros((4, 4)), at, atol=1e-10)
    rho = 1 / (y @ s)
    left = np.eye(4) - rho * np.outer(s, y)
    assert_close("H_new", new, left @ h @ left.T + rho * np.outer(s, s), at, rtol=1e-8)


@pytest.mark.ex_bfgs_update
def test_bfgs_update_is_skipped_without_positive_curvature():
    h = np.eye(2)
    state = _bfgs_update(h, np.array([1.0, 0.0]), np.array([-1.0, 0.0]))
    assert_close("H after an update with yᵀs = -1", state["inverse_hessian"], h,
                 "s = [1, 0], y = [-1, 0] (expected unchanged: the update would lose positivity)")
    assert state["skipped_updates"] == 1, (f"expected skipped_updates = 1, computed "
                                           f"{state['skipped_updates']}")


@pytest.mark.ex_secant
def test_secant_finds_the_root_of_x_squared_minus_two():
    result = scalar.secant(lambda x: x * x - 2, 1.0, 2.0)
    at = "f(x) = x² - 2, x₀ = 1, x₁ = 2"
    assert_close("secant: first new iterate x₂ = x₁ - f(x₁)(x₁ - x₀)/(f(x₁) - f(x₀))",
                 result.iterates[2], 2 - 2 * 1 / (2 - (-1)), at)
    assert_close("secant: root", result.x, math.sqrt(2), at, rtol=1e-12)
    assert result.converged and result.iterations <= 10, (
        f"secant on {at}: expected convergence in ≤ 10 iterations (order ≈ 1.618), computed "
        f"converged={result.converged} after {result.iterations}")


@pytest.mark.ex_secant
def test_secant_minimizes_by_finding_a_root_of_the_derivative():
    result = scalar.secant(lambda x: (x - 3) ** 4 + (x - 3) ** 2, 0.0, 1.0, minimize=True)
    assert_close("secant(minimize=True): argmin", result.x, 3.0,
                 "f(x) = (x-3)⁴ + (x-3)², x₀ = 0, x₁ = 1", rtol=1e-6)
