# %% [markdown]
# # Gradient descent, momentum, Nesterov and Armijo's rule (C38, C39, C40)
#
# > 上述是传统梯度下降法以及各优化算法，但是对于复杂模型来说调参太难，同时参数空间各维度的尺寸差异
# > 导致收敛不均匀，有的方向下降快，有的方向下降慢 (note 004)
# >
# > English: "Those are classical gradient descent and its variants; for complex models tuning is
# > hard, and the different scales of the parameter space's dimensions make convergence uneven:
# > some directions descend fast, others slowly." — **C38**
#
# > 经典动量法 … 加速版动量法 (note 004);  更新速度项：v_t = β v_{t−1} + (1 − β) g_t … 更新参数：
# > θ_{t+1} = θ_t − α v_t … 通过引入动量，算法在梯度变化较小的方向上累积动量，从而加快参数更新，而在
# > 震荡较大的方向上减小更新幅度 (note 004, 梯度下降方案)
# >
# > English: "Classical momentum … accelerated (Nesterov) momentum; update the velocity
# > v_t = βv_{t−1} + (1−β)g_t, then θ_{t+1} = θ_t − αv_t. With momentum the method accumulates
# > speed along directions where the gradient changes little and damps the steps along
# > directions that oscillate." — **C39**
#
# > armijo's rule (note 004, a section with the backtracking rule's formula)
# >
# > English: "Armijo's rule": backtrack t ← t·shrink until L(θ − t∇L) ≤ L(θ) − c₁t‖∇L‖². —
# > **C40** (read as: the rule gives monotone decrease without a tuned learning rate)

# %%
import numpy as np

import minigrad as mg
from lessons._lesson import Lesson
from lessons._surfaces import descend, iterations_to, softmax_regression_loss
from lessons._train import mnist1d_arrays
from minigrad import optim
from minigrad.data.datasets import ill_conditioned_quadratic, rosenbrock
from minigrad.plot import contour, subplots

lesson = Lesson("l20_gradient_descent")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]
TOL = 1e-6

# %% [markdown]
# ## C38. Iterations grow with the condition number; stiff and flat directions converge unevenly
#
# f(x) = ½xᵀAx − bᵀx in 10 dimensions, A with eigenvalues log-spaced from 1 to κ in a random
# rotation. Gradient descent with the classical step η = 1/λ_max contracts the error along
# the eigenvector of λᵢ by (1 − λᵢ/λ_max) per step: the stiff direction is solved in one step,
# the flat one needs ≈ κ·ln(1/tol) steps. We count iterations until ‖x − x*‖ ≤ 10⁻⁶‖x₀ − x*‖
# for κ from 3 to 1000 (several random problems each) and fit the log-log slope.

# %%
KAPPAS = lesson.pick(full=[3, 10, 30, 100, 300, 1000], fast=[3, 10, 30, 100])
DIM = 10


def gd_errors(problem, lr: float, steps: int, momentum: float = 0.0, nesterov: bool = False,
              start_seed: int = 0):
    """‖xₖ − x*‖ along SGD(lr, momentum, nesterov) from a random start."""
    x0 = problem.minimizer + np.random.default_rng(start_seed).standard_normal(len(problem.b))
    path = descend(lambda p: optim.SGD(p, lr=lr, momentum=momentum, nesterov=nesterov),
                   problem.value, x0, steps)
    return path, np.linalg.norm(path - problem.minimizer, axis=1)


iterations = np.zeros((len(KAPPAS), len(SEEDS)))
for i, kappa in enumerate(KAPPAS):
    for j, seed in enumerate(SEEDS):
        problem = ill_conditioned_quadratic(DIM, kappa, seed=seed)
        steps = int(kappa * np.log(1 / TOL) * 1.5) + 20
        _, errors = gd_errors(problem, 1 / kappa, steps, start_seed=seed)
        iterations[i, j] = iterations_to(errors, TOL)
slope = np.polyfit(np.log(KAPPAS), np.log(iterations.mean(1)), 1)[0]

# Per-coordinate errors in the eigenbasis of one κ = 100 problem.
problem = ill_conditioned_quadratic(DIM, 100.0, seed=lesson.seed)
path, errors = gd_errors(problem, 1 / 100, 2000, start_seed=lesson.seed)
eigenvalues, eigenvectors = np.linalg.eigh(problem.A)
coordinate_errors = np.abs((path - problem.minimizer) @ eigenvectors)
coordinate_errors /= coordinate_errors[0]
coordinate_iterations = [iterations_to(coordinate_errors[:, k], TOL) for k in range(DIM)]

# Zig-zag on a 2-D problem with κ = 20, step close to the stability limit 2/λ_max.
zigzag_problem = ill_conditioned_quadratic(2, 20.0, seed=1)
zigzag = descend(lambda p: optim.SGD(p, lr=1.8 / 20), zigzag_problem.value,
                 zigzag_problem.minimizer + np.array([2.0, 1.5]), 40)

fig, axes = subplots(1, 3, figsize=(16, 4.6))
centre = zigzag_problem.minimizer
contour(zigzag_problem.value, (centre[0] - 3, centre[0] + 3), (centre[1] - 3, centre[1] + 3),
        paths={"GD, η = 1.8/λ_max": zigzag}, ax=axes[0], minimum=centre,
        title="C38: GD zig-zags across the valley (κ = 20)")
axes[1].loglog(KAPPAS, iterations.mean(1), "o-", label=f"GD, η = 1/λ_max (slope {slope:.2f})")
axes[1].loglog(KAPPAS, np.array(KAPPAS) * np.log(1 / TOL), "k--", label="κ·ln(1/tol)")
axes[1].set(xlabel="condition number κ", ylabel="iterations to 10⁻⁶ relative error",
            title=f"C38: iterations vs κ (d = {DIM}, {len(SEEDS)} problems each)")
axes[1].legend()
for k in (0, DIM // 2, DIM - 1):
    axes[2].semilogy(coordinate_errors[:, k], label=f"eigen-direction λ = {eigenvalues[k]:.1f}")
axes[2].set(xlabel="iteration", ylabel="|error| along eigenvector (relative)", ylim=(1e-12, 2),
            title="C38: uneven convergence per direction (κ = 100)")
axes[2].legend()
lesson.figure(fig, "c38_condition")

# %%
uneven = max(coordinate_iterations) / max(1, min(coordinate_iterations))
ok = 0.8 <= slope <= 1.2 and uneven >= 10
lesson.verdict(
    "C38", "REPRODUCED" if ok else "NOT REPRODUCED",
    f"iterations ∝ κ^{slope:.2f} over κ = {KAPPAS[0]}…{KAPPAS[-1]} (mean of {len(SEEDS)} "
    f"problems; {iterations.mean(1)[0]:.0f} → {iterations.mean(1)[-1]:.0f}); κ = 100: flattest "
    f"direction needs {max(coordinate_iterations)} steps, stiffest {min(coordinate_iterations)}",
    claim="Plain GD zig-zags on ill-conditioned problems; directions of different scale "
          "converge unevenly (iterations grow ~linearly with κ)",
    figures=["c38_condition"])

# %% [markdown]
# **What it means.** The slope near 1 is the textbook κ·ln(1/tol): the step must be small
# enough for the stiffest direction (η < 2/λ_max) and is then far too small for the flattest.
# That is the note's "uneven convergence", and it is what momentum and the adaptive methods
# attack.
#
# ## C39. Momentum, Nesterov, and the moving-average form
#
# Same 10-D quadratics, κ = 100, all at η = 1/λ_max: plain GD, heavy-ball momentum β = 0.9
# (`SGD(momentum=0.9)`) and Nesterov (`nesterov=True`). Then the Rosenbrock valley, each at the
# best lr of a small grid, shown as paths.
#
# The note writes momentum as a moving average v_t = βv_{t−1} + (1 − β)g_t, θ ← θ − αv_t. In
# minigrad (as in PyTorch) that is `SGD(momentum=β, dampening=β)`, with one difference: the
# buffer starts at v₁ = g₁, where the note's average starts at v₀ = 0. We feed the same
# gradient sequence to three updates and compare the velocities, exactly.

# %%
KAPPA = 100.0
methods = {"GD": {}, "momentum 0.9": {"momentum": 0.9},
           "Nesterov 0.9": {"momentum": 0.9, "nesterov": True}}
method_iterations = {name: [] for name in methods}
method_errors = {}
for seed in SEEDS:
    problem = ill_conditioned_quadratic(DIM, KAPPA, seed=seed)
    for name, options in methods.items():
        _, errors = gd_errors(problem, 1 / KAPPA, 3000, start_seed=seed, **options)
        method_iterations[name].append(iterations_to(errors, TOL))
        method_errors.setdefault(name, errors)
mean_iterations = {name: float(np.mean(v)) for name, v in method_iterations.items()}

ROSEN_START, ROSEN_STEPS = [-1.5, 2.0], lesson.pick(full=3000, fast=600)
LRS = lesson.pick(full=[1e-4, 3e-4, 1e-3, 2e-3], fast=[1e-3, 2e-3])


def best_rosenbrock_path(options: dict) -> tuple[np.ndarray, float]:
    """The path (and its lr) with the lowest final Rosenbrock value over LRS."""
    runs = [(descend(lambda p, lr=lr: optim.SGD(p, lr=lr, **options), rosenbrock, ROSEN_START,
                     ROSEN_STEPS), lr) for lr in LRS]
    finite = [(p, lr) for p, lr in runs if np.all(np.isfinite(p[-1]))]
    return min(finite, key=lambda run: rosenbrock(run[0][-1]))


rosen_paths = {name: best_rosenbrock_path(options) for name, options in methods.items()}
rosen_final = {name: float(rosenbrock(path[-1])) for name, (path, _) in rosen_paths.items()}

# The moving-average identity, on a fixed sequence of gradients.
BETA, ETA, T = 0.9, 0.1, 60
gradients = np.random.default_rng(lesson.seed).standard_normal((T, 4))


def velocities(**sgd_options) -> np.ndarray:
    """The steps (θₜ₋₁ − θₜ)/η that SGD(lr=η, **options) takes on the gradient sequence."""
    theta = mg.tensor(np.zeros(4), requires_grad=True)
    optimizer = optim.SGD([theta], lr=ETA, **sgd_options)
    previous, steps = theta.data.copy(), []
    for g in gradients:
        theta.grad = mg.tensor(g)
        optimizer.step()
        steps.append((previous - theta.data) / ETA)
        previous = theta.data.copy()
    return np.array(steps)


def ema(start_at_first_gradient: bool) -> np.ndarray:
    """The note's v_t = βv_{t−1} + (1 − β)g_t, from v₀ = 0 or from v₁ = g₁."""
    v, out = np.zeros(4), []
    for t, g in enumerate(gradients):
        v = g.copy() if (t == 0 and start_at_first_gradient) else BETA * v + (1 - BETA) * g
        out.append(v)
    return np.array(out)


dampened = velocities(momentum=BETA, dampening=BETA)
undamped = velocities(momentum=BETA)
gap_pytorch_start = np.abs(dampened - ema(start_at_first_gradient=True)).max()
power_gap = dampened - ema(start_at_first_gradient=False)
predicted_gap = BETA ** np.arange(1, T + 1)[:, None] * gradients[0]
gap_power_law = np.abs(power_gap - predicted_gap).max()
# v₀ = 0 makes the average exactly (1 − β)·(undamped buffer): a rescaled lr, from step one.
gap_rescaled = np.abs(ema(start_at_first_gradient=False) - (1 - BETA) * undamped).max()

fig, axes = subplots(1, 3, figsize=(17, 4.8))
for name, errors in method_errors.items():
    axes[0].semilogy(errors / errors[0], label=f"{name}: {mean_iterations[name]:.0f} it.")
axes[0].axhline(TOL, color="gray", ls=":")
axes[0].set(xlabel="iteration", ylabel="‖x − x*‖ / ‖x₀ − x*‖", xlim=(0, 2500), ylim=(1e-9, 10),
            title=f"C39: 10-D quadratic, κ = {KAPPA:.0f}, η = 1/λ_max")
axes[0].legend()
contour(rosenbrock, (-2, 2), (-1, 3), log_scale=True, minimum=(1, 1), ax=axes[1],
        paths={f"{name} (η={lr:g})": path for name, (path, lr) in rosen_paths.items()},
        title=f"C39: Rosenbrock, {ROSEN_STEPS} steps")
axes[2].semilogy(np.abs(power_gap[:, 0]) + 1e-300, label="|SGD(dampening=β) − EMA from v₀=0|")
axes[2].semilogy(np.abs(predicted_gap[:, 0]), "k--", label="βᵗ·|g₁|")
axes[2].semilogy(np.abs(dampened - ema(True))[:, 0] + 1e-17, label="|SGD(dampening=β) − EMA from v₁=g₁|")
axes[2].set(xlabel="step t", ylabel="velocity gap (coordinate 0)", ylim=(1e-18, 10),
            title="C39: the moving-average form, two starts")
axes[2].legend(fontsize=8)
lesson.figure(fig, "c39_momentum")

# %%
speedup = mean_iterations["GD"] / mean_iterations["momentum 0.9"]
nag_ratio = mean_iterations["Nesterov 0.9"] / mean_iterations["momentum 0.9"]
identity_ok = max(gap_pytorch_start, gap_power_law, gap_rescaled) < 1e-12
fast_ok = speedup >= 2 and rosen_final["momentum 0.9"] < rosen_final["GD"]
nag_ok = nag_ratio <= 1.0 and rosen_final["Nesterov 0.9"] <= rosen_final["momentum 0.9"] * 1.5
status = ("REPRODUCED" if identity_ok and fast_ok and nag_ok
          else "NUANCED" if identity_ok and fast_ok else "NOT REPRODUCED")
lesson.verdict(
    "C39", status,
    f"κ=100 quadratic ({len(SEEDS)} problems): GD {mean_iterations['GD']:.0f}, momentum "
    f"{mean_iterations['momentum 0.9']:.0f} (×{speedup:.1f} faster), NAG "
    f"{mean_iterations['Nesterov 0.9']:.0f} iterations; Rosenbrock f after {ROSEN_STEPS}: "
    + ", ".join(f"{k} {v:.2g}" for k, v in rosen_final.items())
    + f"; SGD(dampening=β) vs EMA(v₁=g₁) {gap_pytorch_start:.1e}, vs EMA(v₀=0) − βᵗg₁ "
    f"{gap_power_law:.1e}, EMA(v₀=0) vs (1−β)·undamped {gap_rescaled:.1e}",
    claim="Momentum speeds GD up on ravines; Nesterov a little faster still; the (1−β) EMA "
          "form is the same method with a rescaled lr",
    figures=["c39_momentum"])

# %% [markdown]
# **What it means.** The velocity identities are exact: `SGD(momentum=β, dampening=β)` *is*
# the note's moving average if the average starts at v₁ = g₁ (PyTorch's convention); from
# v₀ = 0 the two differ by exactly βᵗ·g₁, a gap that fades geometrically (the figure's dashed
# line lies on the measured one), and the v₀ = 0 average equals undamped momentum with the
# learning rate multiplied by 1 − β. So "EMA momentum" and "heavy ball" are one method with a
# rescaled lr — a lr tuned for one form is 10× off for the other at β = 0.9.
#
# ## C40. Armijo's rule: monotone decrease without a tuned learning rate
#
# Gradient descent on Rosenbrock and on softmax regression of MNIST-1D (full batch, a small
# L2 term). A fixed step of the size one might try (η = 0.01 on Rosenbrock, η = 5 on the
# regression) oscillates or blows up; `GD(lr=1, line_search="armijo")` starts every step
# from t = 1 and halves it until the loss falls by c₁·t·‖∇L‖².

# %%
ARMIJO_STEPS = lesson.pick(full=2000, fast=300)
x_train, y_train, _, _ = mnist1d_arrays(n_train=lesson.pick(full=2000, fast=500))
regression = softmax_regression_loss(x_train, y_train, l2=1e-3)
problems = {"Rosenbrock": (rosenbrock, ROSEN_START, 0.01),
            "MNIST-1D softmax regression": (lambda t: regression(t), np.zeros(regression.size), 5.0)}
def grad_norm(f, x) -> float:
    theta = mg.tensor(np.array(x), requires_grad=True)
    f(theta).backward()
    return float(np.linalg.norm(theta.grad.data))


curves, grad_ratio = {}, {}
for name, (f, x0, fixed_lr) in problems.items():
    steps = ARMIJO_STEPS if name == "Rosenbrock" else ARMIJO_STEPS // 4
    for label, make in {f"fixed η = {fixed_lr:g}": lambda p, lr=fixed_lr: optim.GD(p, lr=lr),
                        "Armijo from t = 1": lambda p: optim.GD(p, lr=1.0, line_search="armijo")
                        }.items():
        with np.errstate(over="ignore", invalid="ignore"):  # the fixed step may blow up
            path = descend(make, f, x0, steps)
            curves[name, label] = np.array([float(f(mg.tensor(x)).item()) for x in path])
        grad_ratio[name, label] = grad_norm(f, path[-1]) / grad_norm(f, path[0])

fig, axes = subplots(1, 2, figsize=(13, 4.6))
for ax, name in zip(axes, problems):
    for (problem_name, label), losses in curves.items():
        if problem_name == name:
            ax.semilogy(np.where(np.isfinite(losses), losses, np.nan), label=label)
    # A diverging run would stretch the axis to 10¹⁰⁰: show 3 decades above the start instead.
    start = curves[name, "Armijo from t = 1"]
    ax.set_ylim(np.nanmin(start[np.isfinite(start)]) / 3, start[0] * 1e3)
    ax.set(xlabel="iteration", ylabel="loss (log scale, divergence leaves the top)",
           title=f"C40: {name}")
    ax.legend()
lesson.figure(fig, "c40_armijo")

# %%
armijo = {name: curves[name, "Armijo from t = 1"] for name in problems}
monotone = {name: bool(np.all(np.diff(c) <= 1e-12)) for name, c in armijo.items()}
progress = {name: grad_ratio[name, "Armijo from t = 1"] for name in problems}
fixed_bad = {name: not np.all(np.diff(c[np.isfinite(c)]) <= 1e-12) or not np.isfinite(c[-1])
             for (name, label), c in curves.items() if label.startswith("fixed")}
ok = all(monotone.values()) and all(p < 1e-2 for p in progress.values())
lesson.verdict(
    "C40", "REPRODUCED" if ok else "NUANCED" if all(monotone.values()) else "NOT REPRODUCED",
    "Armijo: " + "; ".join(f"{n} monotone={monotone[n]}, loss {armijo[n][0]:.3g} → {armijo[n][-1]:.3g}, ‖∇L‖ ×{progress[n]:.1e}"
                           for n in problems)
    + "; fixed lr non-monotone/diverged: " + ", ".join(f"{n} {v}" for n, v in fixed_bad.items()),
    claim="Armijo backtracking gives monotone decrease with no tuned lr",
    figures=["c40_armijo"])

# %% [markdown]
# **What it means.** Monotone decrease is guaranteed by construction (a step is accepted only
# if it lowers the loss enough) and the same lr = 1 serves both problems; the price is extra
# loss evaluations per step, and the method is still gradient descent: on the Rosenbrock
# valley it converges, but slowly (κ again). "No tuned lr" is true; "fast" is not promised.
