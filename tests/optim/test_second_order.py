"""Methods that need the loss: L-BFGS equals PyTorch's step by step; BFGS is as fast as
SciPy's on Rosenbrock; Newton converges quadratically; GD + Armijo never goes up; all reach
scikit-learn's logistic-regression solution; the 1-D methods show their orders."""

import itertools
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import scalar

ROSENBROCK_START = np.array([-1.2, 1.0])


def rosenbrock(x):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


def _closure(opt, loss_fn, *params):
    """PyTorch's closure convention: zero the gradients, backpropagate, return the loss."""
    def closure():
        opt.zero_grad()
        loss = loss_fn(*params)
        loss.backward()
        return loss
    return closure


# -- logistic regression: a small, well-conditioned, strictly convex problem ---------------

def _classification_data(n=60, features=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features))
    logits = X @ np.array([1.5, -2.0, 0.5][:features]) + 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    return X, y


C = 2.0  # scikit-learn's inverse regularization strength


def logistic_loss(w, b, X, y):
    """scikit-learn's objective divided by C·n: mean log-loss + ‖w‖²/(2Cn)."""
    signs = mg.tensor(2 * y - 1)
    margins = signs * (X @ w + b)
    return (1 + (-margins).exp()).log().mean() + (w * w).sum() / (2 * C * len(y))


@pytest.fixture(scope="module")
def sklearn_solution():
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = _classification_data()
    model = linear_model.LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    return np.append(model.coef_.ravel(), model.intercept_)


def _fit(make_optimizer, steps, closure_calls_backward=True):
    X, y = _classification_data()
    X = mg.tensor(X)
    w = mg.tensor(np.zeros(3), requires_grad=True)
    b = mg.tensor(np.zeros(1), requires_grad=True)
    opt = make_optimizer([w, b])
    if closure_calls_backward:
        closure = _closure(opt, logistic_loss, w, b, X, y)
    else:
        def closure():
            return logistic_loss(w, b, X, y)
    for _ in range(steps):
        opt.step(closure)
    return np.append(w.data, b.data)


@pytest.mark.parametrize("name, make, steps, backward", [
    ("LBFGS", lambda ps: optim.LBFGS(ps, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                                     tolerance_change=1e-14), 5, True),
    ("LBFGS-no-line-search", lambda ps: optim.LBFGS(ps, max_iter=100, tolerance_grad=1e-12,
                                                    tolerance_change=1e-14), 5, True),
    ("Newton", lambda ps: optim.Newton(ps), 10, False),
    ("Newton-cg", lambda ps: optim.Newton(ps, solver="cg"), 10, False),
    ("BFGS", lambda ps: optim.BFGS(ps, tolerance_grad=1e-12), 60, True),
    ("BFGS-armijo", lambda ps: optim.BFGS(ps, line_search="armijo", tolerance_grad=1e-12), 60,
     False),
])
def test_reaches_sklearn_logistic_regression_solution(name, make, steps, backward,
                                                      sklearn_solution):
    ours = _fit(make, steps, backward)
    np.testing.assert_allclose(ours, sklearn_solution, atol=1e-5,
                               err_msg=f"{name}: expected scikit-learn's (w, b)")


# -- L-BFGS against PyTorch ----------------------------------------------------------------

LBFGS_OPTIONS = [
    {},
    {"lr": 0.5, "max_iter": 5},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7, "max_eval": 12},
    {"lr": 0.1, "history_size": 2, "tolerance_change": 1e-5},
]


def _lbfgs_runs(options, steps=6):
    torch = pytest.importorskip("torch")
    X, y = _classification_data(n=40, features=3, seed=1)
    results = []
    for library in (mg, torch):
        if library is mg:
            w = mg.tensor(np.zeros((3,)), requires_grad=True)
            b = mg.tensor(np.zeros((1,)), requires_grad=True)
            data = mg.tensor(X)
            opt = optim.LBFGS([w, b], **options)
        else:
            w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
            b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
            data = torch.tensor(X)
            opt = torch.optim.LBFGS([w, b], **options)

        def loss_fn(w, b, library=library, data=data):
            signs = library.tensor(2 * y - 1)
            margins = signs * (data @ w + b)
            return (1 + (-margins).exp()).log().mean() + (w * w).sum() * 0.05 + (
                (w ** 4).sum() * 0.01)

        closure = _closure(opt, loss_fn, w, b)
        history = []
        for _ in range(steps):
            loss = opt.step(closure)
            x = np.append(w.detach().numpy(), b.detach().numpy())
            history.append((float(loss.detach()), x))
        results.append((history, opt))
    return results


@pytest.mark.parametrize("options", LBFGS_OPTIONS, ids=str)
def test_lbfgs_trajectory_equals_torch(options):
    (ours, opt), (theirs, torch_opt) = _lbfgs_runs(options)
    for k, ((loss, x), (torch_loss, torch_x)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(x, torch_x, rtol=1e-9, atol=1e-12, err_msg=f"step {k + 1}")
        assert loss == pytest.approx(torch_loss, rel=1e-9), f"loss returned by step {k + 1}"
    torch_state = next(iter(torch_opt.state.values()))
    assert opt._state["func_evals"] == torch_state["func_evals"]
    assert opt._state["n_iter"] == torch_state["n_iter"]


def test_lbfgs_rosenbrock_equals_torch_with_strong_wolfe():
    torch = pytest.importorskip("torch")
    x = mg.tensor(ROSENBROCK_START, requires_grad=True)
    xt = torch.tensor(ROSENBROCK_START, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", history_size=5)
    torch_opt = torch.optim.LBFGS([xt], line_search_fn="strong_wolfe", history_size=5)
    for k in range(3):
        opt.step(_closure(opt, rosenbrock, x))
        torch_opt.step(_closure(torch_opt, rosenbrock, xt))
        np.testing.assert_allclose(x.data, xt.detach().numpy(), rtol=1e-9, err_msg=f"step {k}")
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=1e-4)


def test_lbfgs_resumes_bit_identically_from_state_dict():
    X, y = _classification_data(n=30, seed=2)
    data = mg.tensor(X)

    def make():
        w = mg.tensor(np.zeros(3), requires_grad=True)
        b = mg.tensor(np.zeros(1), requires_grad=True)
        return w, b, optim.LBFGS([w, b], max_iter=3, history_size=4)

    w, b, opt = make()
    for _ in range(6):
        opt.step(_closure(opt, logistic_loss, w, b, data, y))
    straight = np.append(w.data, b.data)

    w, b, opt = make()
    for _ in range(3):
        opt.step(_closure(opt, logistic_loss, w, b, data, y))
    saved, saved_w, saved_b = opt.state_dict(), w.data.copy(), b.data.copy()
    assert saved["state"][0]["old_dirs"].shape == (len(opt._state["old_dirs"]), 4)
    w, b, opt = make()
    w.data[...], b.data[...] = saved_w, saved_b
    opt.load_state_dict(saved)
    for _ in range(3):
        opt.step(_closure(opt, logistic_loss, w, b, data, y))
    np.testing.assert_array_equal(np.append(w.data, b.data), straight)


def test_lbfgs_refuses_param_groups_and_other_line_searches():
    a, b = (mg.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([a], line_search_fn="armijo")


# -- BFGS ------------------------------------------------------------------------------------

def _iterations_to_minimum(opt, x, closure, tol=1e-5, limit=500):
    for k in range(1, limit + 1):
        opt.step(closure)
        if np.abs(x.data - 1.0).max() < tol:
            return k
    return limit


@pytest.mark.parametrize("line_search", ["strong_wolfe", "armijo"])
def test_bfgs_reaches_rosenbrock_minimum_within_one_and_a_half_times_scipys_iterations(
        line_search):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    reference = scipy_optimize.minimize(scipy_optimize.rosen, ROSENBROCK_START, method="BFGS",
                                        jac=scipy_optimize.rosen_der)
    assert np.abs(reference.x - 1).max() < 1e-4
    x = mg.tensor(ROSENBROCK_START, requires_grad=True)
    opt = optim.BFGS([x], line_search=line_search)
    iterations = _iterations_to_minimum(opt, x, _closure(opt, rosenbrock, x))
    assert iterations <= 1.5 * reference.nit, (
        f"BFGS ({line_search}) took {iterations} iterations, SciPy {reference.nit}")


def test_bfgs_update_satisfies_the_secant_equation():
    # the defining property of the update: the new H maps the last gradient change y to the
    # last step s (H·y = s), whatever the line search
    A = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    x = mg.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    opt = optim.BFGS([x], line_search="armijo")
    closure = _closure(opt, lambda x: 0.5 * (x @ (mg.tensor(A) @ x)) + (x ** 4).sum(), x)
    opt.step(closure)
    for k in range(5):
        old_x, old_g = opt._state["prev_param"], opt._state["prev_grad"]
        opt.step(closure)
        s, y = opt._state["prev_param"] - old_x, opt._state["prev_grad"] - old_g
        np.testing.assert_allclose(opt._state["inverse_hessian"] @ y, s, rtol=1e-9,
                                   err_msg=f"update {k + 1}")
    assert opt._state["skipped_updates"] == 0


def test_bfgs_skips_updates_that_violate_the_curvature_condition():
    # f(x) = x⁴ − x² is concave near 0: a short step there gives y·s = f''·s² < 0
    x = mg.tensor(np.array([0.1]), requires_grad=True)
    opt = optim.BFGS([x], line_search=None, lr=0.1)
    closure = _closure(opt, lambda x: (x ** 4 - x ** 2).sum(), x)
    for _ in range(2):
        opt.step(closure)
    assert opt._state["skipped_updates"] == 1
    np.testing.assert_array_equal(opt._state["inverse_hessian"], np.eye(1))


# -- Newton ----------------------------------------------------------------------------------

def test_newton_converges_quadratically_on_rosenbrock():
    x = mg.tensor(np.array([1.2, 1.2]), requires_grad=True)
    opt = optim.Newton([x])
    errors = []
    for _ in range(8):
        opt.step(lambda: rosenbrock(x))
        errors.append(float(np.linalg.norm(x.data - 1.0)))
    pairs = [(e0, e1) for e0, e1 in itertools.pairwise(errors) if 1e-7 < e0 < 0.5]
    assert len(pairs) >= 2, f"too few iterations in the quadratic regime: errors {errors}"
    for e0, e1 in pairs:
        assert e1 <= 10 * e0**2, f"e_(k+1) = {e1:.3g} is not ≤ C·e_k² (e_k = {e0:.3g}, C = 10)"


def test_newton_minimizes_a_quadratic_in_one_step():
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, 2.0])
    x = mg.tensor(np.zeros(2), requires_grad=True)
    opt = optim.Newton([x])
    opt.step(lambda: 0.5 * (x @ (mg.tensor(A) @ x)) - (mg.tensor(b) * x).sum())
    np.testing.assert_allclose(x.data, np.linalg.solve(A, b), rtol=1e-12)


def test_newton_accepts_a_closure_that_backpropagates_with_create_graph():
    x = mg.tensor(np.array([1.2, 1.2]), requires_grad=True)
    opt = optim.Newton([x])

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward(create_graph=True)
        return loss

    y = mg.tensor(np.array([1.2, 1.2]), requires_grad=True)
    reference = optim.Newton([y])
    opt.step(closure)
    reference.step(lambda: rosenbrock(y))
    np.testing.assert_allclose(x.data, y.data, rtol=1e-14)


def test_newton_explains_that_a_plain_backward_frees_the_graph():
    x = mg.tensor(np.array([1.2, 1.2]), requires_grad=True)
    opt = optim.Newton([x])
    with pytest.raises(mg.StateError, match="create_graph=True"):
        opt.step(_closure(opt, rosenbrock, x))


def test_newton_refuses_the_exact_hessian_above_the_size_limit():
    p = mg.tensor(np.zeros(50), requires_grad=True)
    with pytest.raises(mg.RangeError, match=r"50 parameters exceed max_params=10.*solver='cg'"):
        optim.Newton([p], max_params=10)
    optim.Newton([p], max_params=10, solver="cg")


def test_newton_cg_equals_exact_newton_on_a_convex_problem():
    exact = _fit(lambda ps: optim.Newton(ps), 3, closure_calls_backward=False)
    hessian_free = _fit(lambda ps: optim.Newton(ps, solver="cg"), 3, closure_calls_backward=False)
    np.testing.assert_allclose(hessian_free, exact, rtol=1e-8)


def test_newton_with_armijo_descends_where_the_pure_step_climbs():
    # at x = 0.1 of f(x) = x⁴ − x², f'' < 0: the pure Newton step heads for the maximum at 0
    def f(x):
        return (x ** 4 - x ** 2).sum()

    pure = mg.tensor(np.array([0.1]), requires_grad=True)
    optim.Newton([pure]).step(lambda: f(pure))
    assert abs(pure.data[0]) < 0.01, "the pure Newton step goes to the stationary point at 0"
    x = mg.tensor(np.array([0.1]), requires_grad=True)
    opt = optim.Newton([x], line_search="armijo")
    losses = [float(f(x))]
    for _ in range(20):
        opt.step(lambda: f(x))
        losses.append(float(f(x)))
    assert all(b <= a for a, b in itertools.pairwise(losses)), losses
    assert x.data[0] == pytest.approx(1 / math.sqrt(2), rel=1e-8)


def test_newton_singular_hessian_asks_for_damping():
    x = mg.tensor(np.array([1.0, 1.0]), requires_grad=True)
    with pytest.raises(mg.StateError, match="damping"):
        optim.Newton([x]).step(lambda: (x.sum()) ** 2)
    optim.Newton([x], damping=1e-3).step(lambda: (x.sum()) ** 2)


# -- gradient descent and the secant method --------------------------------------------------

def test_gd_with_armijo_decreases_the_loss_at_every_step_where_fixed_lr_diverges():
    def run(line_search):
        x = mg.tensor(ROSENBROCK_START, requires_grad=True)
        opt = optim.GD([x], lr=0.01, line_search=line_search)
        closure = _closure(opt, rosenbrock, x)
        losses = [float(rosenbrock(x))]
        for _ in range(200):
            opt.step(closure)
            losses.append(float(rosenbrock(x)))
            if losses[-1] > 1e12:
                break
        return losses

    assert run(None)[-1] > 1e12, "a fixed lr = 0.01 diverges from this start"
    with_armijo = run("armijo")
    increases = [k for k in range(200) if with_armijo[k + 1] > with_armijo[k]]
    assert not increases, f"the loss went up at steps {increases}"
    assert with_armijo[-1] < 0.05 * with_armijo[0]


def test_gd_without_line_search_steps_on_existing_gradients():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    optim.GD([x], lr=0.25).step()
    np.testing.assert_allclose(x.data, [0.5, 1.0])


def test_gd_armijo_needs_a_closure():
    x = mg.tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(mg.StateError, match="closure"):
        optim.GD([x], lr=1.0, line_search="armijo").step()


def test_secant_learns_each_coordinates_curvature():
    # L = Σ wᵢ cosh(xᵢ − tᵢ): curvatures 1, 10 and 100 at the minimum x = t. One fixed lr
    # must be below 2/100 for stability, which starves the flat coordinate; the secant
    # method measures each coordinate's curvature and takes Newton-like steps in all three.
    target, weights = np.array([0.5, -1.0, 2.0]), np.array([1.0, 10.0, 100.0])

    def loss_fn(x):
        z = x - mg.tensor(target)
        return (mg.tensor(weights) * (z.exp() + (-z).exp()) / 2).sum()

    def errors_after(make, steps=15):
        x = mg.tensor(target + np.array([0.8, -0.6, 0.4]), requires_grad=True)
        opt = make([x])
        for _ in range(steps):
            opt.step(lambda: loss_fn(x))
        return np.abs(x.data - target)

    assert errors_after(lambda ps: optim.Secant(ps, initial_step=1e-3)).max() < 1e-10
    assert errors_after(lambda ps: optim.GD(ps, lr=0.015)).max() > 0.1


# -- the one-dimensional methods -------------------------------------------------------------

def _orders(iterates, root):
    e = [abs(x - root) for x in iterates]
    e = [v for v in e if 1e-13 < v < 0.5]
    return [math.log(e[k + 1] / e[k]) / math.log(e[k] / e[k - 1]) for k in range(1, len(e) - 1)]


def _cubic(x):
    return x ** 3 - 2 * x - 5  # the classic test root, x* ≈ 2.0945514815


CUBIC_ROOT = 2.0945514815423265


def test_bisection_halves_the_error_bound_each_step():
    result = scalar.bisection(_cubic, 2.0, 3.0, tol=1e-12)
    assert result.converged and result.x == pytest.approx(CUBIC_ROOT, abs=1e-12)
    assert 38 <= result.iterations <= 42  # ⌈log2(1/1e-12)⌉ = 40


def test_secant_converges_with_golden_ratio_order():
    result = scalar.secant(_cubic, 1.0, 3.0)
    assert result.converged and result.x == pytest.approx(CUBIC_ROOT, abs=1e-13)
    assert _orders(result.iterates, CUBIC_ROOT)[-1] == pytest.approx((1 + 5**0.5) / 2, abs=0.15)


def test_newton_scalar_converges_with_order_two():
    result = scalar.newton(_cubic, 3.0)
    assert result.converged and result.x == pytest.approx(CUBIC_ROOT, abs=1e-13)
    assert _orders(result.iterates, CUBIC_ROOT)[-1] == pytest.approx(2.0, abs=0.15)


@pytest.mark.parametrize("method, args", [(scalar.bisection, (0.0, 2.0)),
                                          (scalar.secant, (0.0, 2.0)),
                                          (scalar.newton, (2.0,))])
def test_scalar_methods_minimize_through_the_derivative(method, args):
    # f(x) = eˣ − 2x has its minimum at ln 2
    result = method(lambda x: x.exp() - 2 * x, *args, minimize=True)
    assert result.x == pytest.approx(math.log(2), abs=1e-10)


def test_bisection_needs_a_sign_change():
    with pytest.raises(mg.RangeError, match="same sign"):
        scalar.bisection(_cubic, 3.0, 4.0)


def test_second_derivative_comes_from_double_backward():
    assert scalar.derivative(lambda x: x ** 3, 2.0, order=2) == pytest.approx(12.0)
    assert scalar.derivative(lambda x: 3 * x, 2.0, order=2) == 0.0
