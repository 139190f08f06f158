"""The optimizer race: every minigrad optimizer, and SciPy's BFGS, Newton-CG and L-BFGS-B, on
four full-batch problems, counting iterations, evaluations and seconds to a tolerance.

Problems (float64, one flat parameter vector θ):
- ``rosenbrock``: the banana valley f = (1 − x)² + 100(y − x²)² from (−1.2, 1), f* = 0;
- ``quadratic``: ½θᵀAθ − bᵀθ in 100 dimensions, A rotated, condition number κ = 10³;
- ``logistic``: softmax regression on MNIST-1D's 4000 training samples with an L2 penalty
  (convex; f* from L-BFGS-B run to a tiny gradient);
- ``mlp``: a 40-16-10 tanh MLP on 1000 of those samples (not convex, so no f*: the target is a
  loss). Small on purpose: SciPy's BFGS multiplies n×n matrices at every iteration.

A run reaches the tolerance when f − f* ≤ 10⁻⁶·(f(θ₀) − f*) (the MLP: when its loss reaches
the target). Methods with a step size to choose (SGD, Adam, ...) get the best of a grid of
learning rates, picked on a short probe run; methods with a line search start from lr = 1.
Every method's gradient comes from minigrad's autograd, SciPy's too, so the race compares the
optimizers, not the gradient code. An evaluation is one loss-and-gradient computation at a new
point (an optimizer asking again for the point it just evaluated is served from a cache, as
SciPy does); a Hessian evaluation is one Hessian-vector product, or one full Hessian.
"""

import inspect
import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.cases._common import Context, missing

RELATIVE_TOLERANCE = 1e-6
LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
SCIPY_METHODS = ("BFGS", "Newton-CG", "L-BFGS-B")
SCIPY_NO_STOP = {"BFGS": {"gtol": 0}, "Newton-CG": {"xtol": 0},  # stop on our tolerance,
                 "L-BFGS-B": {"gtol": 0, "ftol": 0}}             # not on SciPy's

# Options per optimizer; "grid" marks the step sizes to search. An optimizer not listed is
# raced with its defaults and a learning-rate grid.
OPTIONS = {
    "SGD": {"momentum": 0.9, "grid": True},
    "GD": {"lr": 1.0, "line_search": "armijo"},
    "BFGS": {"lr": 1.0},
    # one iteration per step(); max_eval would default to max_iter·5//4 = 1, leaving the line
    # search no evaluation at all (PyTorch behaves the same)
    "LBFGS": {"lr": 1.0, "max_iter": 1, "max_eval": 25, "line_search_fn": "strong_wolfe"},
    "Newton": {"lr": 1.0, "line_search": "armijo"},
}


@dataclass
class Problem:
    name: str
    loss: Callable  # θ (a 1-D float64 Tensor) → scalar loss Tensor
    x0: np.ndarray
    f_star: float | None  # None: not known (the target is then ``target``)
    target: float | None = None
    newton: dict = field(default_factory=dict)  # extra Newton options (a Hessian-free solver)

    def tolerance_gap(self, f0: float) -> float:
        return RELATIVE_TOLERANCE * (f0 - self.f_star)

    def gap(self, f: float) -> float:
        """How far f is from done: f − f* (or f − target when f* is unknown)."""
        return f - (self.f_star if self.f_star is not None else self.target)


@dataclass
class Run:
    """One optimizer on one problem: the loss after each iteration and what it cost."""

    method: str
    lr: float | None = None
    losses: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)  # cumulative, after each iteration
    seconds: list = field(default_factory=list)
    hessian_evaluations: int | None = None
    reached: int | None = None  # the iteration the tolerance was reached at
    error: str = ""

    def record(self, f, evaluations, seconds):
        self.losses.append(float(f))
        self.evaluations.append(evaluations)
        self.seconds.append(seconds)


def run(ctx: Context, output_dir: Path) -> dict:
    """Race everything on every problem; returns the table rows and the plot's file name."""
    absent = missing("minigrad.optim.Optimizer", "minigrad.nn.functional.log_softmax")
    if absent:
        return {"rows": [], "plot": None, "note": "skipped: needs " + ", ".join(absent)}
    max_iters = 200 if ctx.quick else 1000
    results, seconds = [], []
    for problem in problems(ctx.quick):
        start = time.perf_counter()
        # errstate: a learning rate of the grid may well diverge
        with np.errstate(all="ignore"), one_blas_thread():
            runs = [race_minigrad(problem, name, cls, max_iters) for name, cls in optimizers()]
            if not missing("scipy.optimize.minimize"):
                runs += [race_scipy(problem, method, max_iters) for method in SCIPY_METHODS]
        results.append((problem, runs))
        seconds.append(f"{problem.name} {time.perf_counter() - start:.0f} s")
    plot = plot_convergence(results, output_dir / "race.png")
    note = (f"At most {max_iters} iterations. Methods without a line search had their learning "
            f"rate picked from {', '.join(map(str, LEARNING_RATES))} by probe runs of "
            f"{_probe_length(max_iters)} iterations, not counted. Newton on the MLP solves by "
            "conjugate gradients; its Hessian-vector products are not counted. One BLAS thread. "
            "Time taken by the race, probes included: " + ", ".join(seconds) + ".")
    return {"rows": table(results), "plot": plot, "note": note}


@contextmanager
def one_blas_thread():
    """The race's matrices are small, and NumPy and SciPy each load their own OpenBLAS: with
    two threads each, the idle threads of one library spin while the other works, and a
    3-MFLOP product takes 10 ms. One BLAS thread for the race (via threadpoolctl, if present)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


# -- the problems -----------------------------------------------------------------------------

def problems(quick: bool) -> list[Problem]:
    return [rosenbrock(), quadratic(), logistic_regression(1000 if quick else None), mlp()]


def rosenbrock() -> Problem:
    def loss(theta):
        x, y = theta[:-1], theta[1:]
        return ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum()

    return Problem("rosenbrock", loss, np.array([-1.2, 1.0]), f_star=0.0)


def quadratic(dim: int = 100, condition_number: float = 1e3) -> Problem:
    import minigrad as mg
    from minigrad.data.datasets import ill_conditioned_quadratic

    q = ill_conditioned_quadratic(dim, condition_number, seed=0)
    A, b = mg.tensor(q.A), mg.tensor(q.b)
    return Problem(f"quadratic (κ = {condition_number:g})",
                   lambda theta: 0.5 * (theta * (A @ theta)).sum() - (b * theta).sum(),
                   np.zeros(dim), f_star=float(q.value(q.minimizer)))


def logistic_regression(samples: int | None = None, l2: float = 1e-3) -> Problem:
    """L(W, c) = mean cross-entropy of softmax(XW + c) + (λ/2)‖W‖² on the first ``samples``
    training samples (all 4000 by default)."""
    x, y = _mnist1d(samples)
    features, classes = x.shape[1], 10

    def loss(theta):
        W = theta[:features * classes].reshape(features, classes)
        logits = x @ W + theta[features * classes:]
        return _cross_entropy(logits, y) + (l2 / 2) * (W * W).sum()

    x0 = np.zeros(features * classes + classes)
    return Problem("logistic (MNIST-1D)", loss, x0, f_star=_minimum(loss, x0))


def mlp(hidden: int = 16, target: float = 0.6, samples: int = 1000) -> Problem:
    """A 40-16-10 tanh MLP (tanh, not ReLU, so that second-order methods see curvature)."""
    x, y = _mnist1d(samples)
    sizes = (x.shape[1], hidden, 10)
    shapes = [(sizes[0], sizes[1]), (sizes[1],), (sizes[1], sizes[2]), (sizes[2],)]
    offsets = np.cumsum([0] + [math.prod(s) for s in shapes])

    def loss(theta):
        W1, b1, W2, b2 = (theta[start:stop].reshape(shape) for start, stop, shape
                          in zip(offsets, offsets[1:], shapes))
        return _cross_entropy((x @ W1 + b1).tanh() @ W2 + b2, y)

    rng = np.random.default_rng(0)
    x0 = np.concatenate([rng.uniform(-1, 1, math.prod(s)) / math.sqrt(s[0] if len(s) == 2
                                                                       else sizes[0])
                         for s in shapes])
    return Problem(f"mlp (MNIST-1D, loss ≤ {target:g})", loss, x0, f_star=None, target=target,
                   newton={"solver": "cg", "cg_max_iter": 20})


def _mnist1d(samples):
    import minigrad as mg
    from minigrad.data.datasets import mnist1d

    data = mnist1d()
    return (mg.tensor(data.X_train[:samples].astype(np.float64)),
            mg.tensor(data.y_train[:samples]))


def _cross_entropy(logits, y):
    """−mean log softmax(logits)[y], from ops whose backward is differentiable again."""
    import minigrad as mg

    rows = mg.arange(logits.shape[0])
    return -logits.log_softmax(1)[rows, y].mean()


def _minimum(loss, x0):
    """f* of a convex problem: L-BFGS-B run to a gradient of 1e-10 (not part of the race)."""
    from scipy.optimize import minimize

    result = minimize(_value_and_grad(loss), x0, jac=True, method="L-BFGS-B",
                      options={"maxiter": 20000, "gtol": 1e-10, "ftol": 0})
    return float(result.fun)


def _value_and_grad(loss, counter=None):
    import minigrad as mg

    def fun(x):
        if counter is not None:
            counter[0] += 1
        theta = mg.tensor(x, requires_grad=True)
        value = loss(theta)
        value.backward()
        return float(value), theta.grad.data.astype(np.float64)

    return fun


# -- minigrad's optimizers --------------------------------------------------------------------

def optimizers() -> list[tuple[str, type]]:
    """Every Optimizer subclass that ``minigrad.optim`` exports."""
    import minigrad.optim as optim

    return [(name, value) for name, value in sorted(vars(optim).items())
            if inspect.isclass(value) and issubclass(value, optim.Optimizer)
            and value is not optim.Optimizer]


def race_minigrad(problem: Problem, name: str, cls: type, max_iters: int) -> Run:
    options = dict(OPTIONS.get(name, {"grid": True}))
    if name == "Newton":
        options.update(problem.newton)
    if not options.pop("grid", False):
        return _minigrad_run(problem, name, cls, options, max_iters)
    probes = [_minigrad_run(problem, name, cls, dict(options, lr=lr), _probe_length(max_iters))
              for lr in LEARNING_RATES]
    best = min(probes, key=_probe_score)
    return _minigrad_run(problem, name, cls, dict(options, lr=best.lr), max_iters)


def _probe_length(max_iters):
    return max(20, max_iters // 20)


def _probe_score(run):
    """Reached sooner is better; else a lower final loss; a failed run is worst."""
    if run.error or not run.losses or not math.isfinite(run.losses[-1]):
        return (2, math.inf)
    if run.reached is not None:
        return (0, run.reached)
    return (1, run.losses[-1])


def _minigrad_run(problem, name, cls, options, max_iters) -> Run:
    import minigrad as mg

    run = Run(name, options.get("lr"))
    theta = mg.tensor(problem.x0.copy(), requires_grad=True)
    closure = Objective(problem.loss, theta, with_backward=name != "Newton")
    tolerance = None
    try:
        optimizer = cls([theta], **options)
        start = time.perf_counter()
        for iteration in range(max_iters + 1):
            f = float(optimizer.step(closure))  # the loss at the point the step started from
            run.record(f, closure.count, time.perf_counter() - start)
            if tolerance is None:
                tolerance = problem.tolerance_gap(f) if problem.f_star is not None else 0.0
            if problem.gap(f) <= tolerance:
                run.reached = iteration
                break
            if not math.isfinite(f):
                run.error = "diverged"
                break
    except Exception as error:  # noqa: BLE001  (one failing optimizer must not stop the race)
        run.error = f"{type(error).__name__}: {error}"
    if name == "Newton" and options.get("solver", "exact") == "exact":
        run.hessian_evaluations = len(run.losses)
    return run


class Objective:
    """The problem's loss as an optimizer's closure, counting evaluations at new points.

    ``with_backward``: the closure fills ``θ.grad`` (PyTorch's convention); without it, it
    returns the loss with its graph, for Newton, which differentiates it twice itself.
    """

    def __init__(self, loss, theta, with_backward=True):
        self.loss, self.theta, self.with_backward = loss, theta, with_backward
        self.count = 0
        self._point = self._value = self._grad = None

    def __call__(self):
        import minigrad as mg

        if not self.with_backward:
            self.count += 1
            return self.loss(self.theta)
        if self._point is not None and np.array_equal(self._point, self.theta.data):
            self.theta.grad = mg.tensor(self._grad)
            return mg.tensor(self._value)
        self.count += 1
        self.theta.grad = None
        value = self.loss(self.theta)
        value.backward()
        self._point, self._value = self.theta.data.copy(), value.item()
        self._grad = self.theta.grad.data.copy()
        return value


# -- SciPy ----------------------------------------------------------------------------------

def race_scipy(problem: Problem, method: str, max_iters: int) -> Run:
    from scipy.optimize import minimize

    import minigrad as mg
    from minigrad.autograd.functional import hvp

    run = Run(f"scipy {method}")
    counts = [0, 0]  # loss-and-gradient evaluations, Hessian-vector products
    fun = _value_and_grad(problem.loss, counts)

    def hessp(x, v):
        counts[1] += 1
        return hvp(problem.loss, mg.tensor(x), mg.tensor(v))[1].data

    f0 = fun(problem.x0)[0]
    counts[0] = 0
    tolerance = problem.tolerance_gap(f0) if problem.f_star is not None else 0.0
    run.record(f0, 0, 0.0)
    start = time.perf_counter()

    def callback(intermediate_result):
        f = float(intermediate_result.fun)
        run.record(f, counts[0], time.perf_counter() - start)
        if problem.gap(f) <= tolerance:
            run.reached = len(run.losses) - 1
            raise StopIteration

    try:
        minimize(fun, problem.x0.copy(), jac=True, method=method, callback=callback,
                 hessp=hessp if method == "Newton-CG" else None,
                 options=dict(SCIPY_NO_STOP[method], maxiter=max_iters))
    except Exception as error:  # noqa: BLE001  (as above)
        run.error = f"{type(error).__name__}: {error}"
    if method == "Newton-CG":
        run.hessian_evaluations = counts[1]
    return run


# -- table and plot ---------------------------------------------------------------------------

def table(results: list) -> list[dict]:
    """One row per problem and method, the fastest (in seconds) first."""
    rows = []
    for problem, runs in results:
        ordered = sorted(runs, key=lambda r: (r.reached is None, r.seconds[r.reached]
                                             if r.reached is not None else math.inf))
        for r in ordered:
            last = r.reached if r.reached is not None else len(r.losses) - 1
            rows.append({
                "problem": problem.name, "method": r.method, "lr": r.lr,
                "reached": r.reached is not None,
                "iterations": last if r.losses else None,
                "evaluations": r.evaluations[last] if r.losses else None,
                "hessian_evaluations": r.hessian_evaluations,
                "seconds": r.seconds[last] if r.losses else None,
                "final_gap": problem.gap(min(r.losses)) if r.losses else None,
                "error": r.error})
    return rows


def plot_convergence(results: list, path: Path) -> str | None:
    """f − f* (or the loss, for the MLP) against iterations, one panel per problem."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    colors = plt.get_cmap("tab20").colors
    for ax, (problem, runs) in zip(axes.ravel(), results):
        for i, r in enumerate(runs):
            if not r.losses:
                continue
            y = np.array(r.losses) - (problem.f_star or 0.0)
            style = "--" if r.method.startswith("scipy") else "-"
            ax.plot(np.maximum(y, 1e-16), style, color=colors[i % len(colors)], label=r.method,
                    linewidth=1.2)
        if problem.f_star is None:
            ax.axhline(problem.target, color="gray", linewidth=0.8)
        ax.set(title=problem.name, xlabel="iteration", yscale="log", xscale="symlog",
               xlim=(0, None), ylabel="loss" if problem.f_star is None else "f − f*")
    axes[0, 0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name
