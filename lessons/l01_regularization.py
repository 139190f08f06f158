# %% [markdown]
# # Regularization: L2 shrinks, L1 zeroes, and both trade bias for variance (C01–C04)
#
# The notes (001, 000) introduce regularization as a penalty added to the training loss,
#
# $$L(\theta) = L_{task}(\theta) + \lambda\,\Omega(\theta),\qquad
#   \Omega_{L1} = \sum_i |\theta_i|,\qquad \Omega_{L2} = \tfrac12 \sum_i \theta_i^2,$$
#
# and make four claims about it. This lesson measures each one with minigrad:
#
# | id | claim |
# |---|---|
# | C01 | L2 shrinks the weights: a larger λ gives a smaller ‖θ‖₂, and one step is θ ← θ(1−ηλ) − η∇L |
# | C02 | L1 drives weights to exactly zero (sparse); L2 only makes them small |
# | C03 | L1 pushes every weight by the same ±λ; L2 pushes by λθ, in proportion to its size |
# | C04 | Regularization trades (a little) bias for (a lot of) variance |

# %%
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import evaluate, fit, mlp, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l01_regularization")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=3, fast=2))]


# %% [markdown]
# ## C01 — L2 shrinks the weights
#
# > L2正则化（权重衰减）：给每个权重值乘上一个常数因子，线性的缩放每个权重值。……
# > $\theta^{(t+1)} = \theta^{(t)} - \eta \big( \nabla_{\theta} L_{task} + \lambda \theta^{(t)} \big)$
# > ……忽略任务损失，只看L2正则项时，参数按比例衰减 (note 001 §1.2)
# >
# > English: "L2 regularization (weight decay) multiplies each weight by a constant factor,
# > scaling every weight linearly. … θ ← θ − η(∇L_task + λθ) … ignoring the task loss, the
# > parameters decay in proportion."
#
# Note 000 says the same from the loss side: to keep λΣθ² small "no θ can be large, so θ as a
# whole tends to be small".
#
# Two checks. First the algebra, in float64: one `SGD(weight_decay=λ)` step, and one plain SGD
# step on `loss + λ·l2_penalty` (½Σθ², whose gradient is λθ), must both equal the closed form
# θ(1−ηλ) − η∇L_task. Then the effect: an MLP (40-128-10) trained on MNIST-1D with a sweep of λ;
# we measure ‖θ‖₂ over all its parameters at the end.

# %%
def one_step_errors(lr=0.1, weight_decay=0.03):
    """Max |difference| between the closed form and two ways minigrad takes an L2 step."""
    data = mg.data.datasets.sparse_regression(num_samples=64, num_features=20, seed=lesson.seed)
    x, y = mg.tensor(data.X_train.astype(np.float64)), mg.tensor(data.y_train.astype(np.float64))
    model = nn.Linear(20, 1, dtype=mg.float64)
    start = [p.data.copy() for p in model.parameters()]

    def task_gradients():
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        return [p.grad.data.copy() for p in model.parameters()]

    def restart():
        for p, value in zip(model.parameters(), start):
            p.data[...] = value

    grads = task_gradients()
    closed_form = [theta * (1 - lr * weight_decay) - lr * g for theta, g in zip(start, grads)]

    task_gradients()
    optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay).step()
    decay_error = max(np.abs(p.data - c).max() for p, c in zip(model.parameters(), closed_form))

    restart()
    model.zero_grad()
    loss = F.mse_loss(model(x), y) + weight_decay * nn.utils.l2_penalty(model.parameters())
    loss.backward()
    optim.SGD(model.parameters(), lr=lr).step()
    penalty_error = max(np.abs(p.data - c).max() for p, c in zip(model.parameters(), closed_form))
    return decay_error, penalty_error


decay_error, penalty_error = one_step_errors()
print(f"one step, |SGD(weight_decay) - closed form| = {decay_error:.1e}, "
      f"|SGD on loss + λ·½Σθ² - closed form| = {penalty_error:.1e}")

# %%
x_train, y_train, x_test, y_test = mnist1d_arrays(n_train=lesson.pick(full=4000, fast=1000))
LAMBDAS = lesson.pick(full=[0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1],
                      fast=[0, 1e-3, 1e-2, 1e-1])
EPOCHS_C01 = lesson.pick(full=20, fast=8)


def weight_norm(model: nn.Module) -> float:
    """‖θ‖₂ over every parameter of the model."""
    return float(np.sqrt(sum((p.data.astype(np.float64) ** 2).sum()
                             for p in model.parameters())))


norms, accuracies = np.zeros((len(SEEDS), len(LAMBDAS))), np.zeros((len(SEEDS), len(LAMBDAS)))
for i, seed in enumerate(SEEDS):
    for j, lam in enumerate(LAMBDAS):
        mg.manual_seed(seed)
        model = mlp([40, 128, 10])
        fit(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=lam),
            x_train, y_train, epochs=EPOCHS_C01, batch_size=100)
        norms[i, j] = weight_norm(model)
        accuracies[i, j] = evaluate(model, x_test, y_test)[1]
for lam, norm, acc in zip(LAMBDAS, norms.mean(0), accuracies.mean(0)):
    print(f"λ = {lam:<7g} ‖θ‖₂ = {norm:7.2f}   test accuracy {acc:.3f}")

# %%
def lambda_axis(ax, lambdas):
    """Log-scale λ axis on which λ = 0 sits one decade left of the smallest positive λ."""
    positive = [lam for lam in lambdas if lam > 0]
    ax.set_xscale("log")
    return [lam if lam > 0 else min(positive) / 10 for lam in lambdas]


fig, (ax_norm, ax_acc) = subplots(1, 2, figsize=(11, 4))
xs = lambda_axis(ax_norm, LAMBDAS)
lambda_axis(ax_acc, LAMBDAS)
for i, seed in enumerate(SEEDS):
    ax_norm.plot(xs, norms[i], "o", color="C0", alpha=0.4, label="one seed" if i == 0 else None)
    ax_acc.plot(xs, accuracies[i], "o", color="C1", alpha=0.4,
                label="one seed" if i == 0 else None)
ax_norm.plot(xs, norms.mean(0), "-", color="C0", label=f"mean of {len(SEEDS)} seeds")
ax_acc.plot(xs, accuracies.mean(0), "-", color="C1", label=f"mean of {len(SEEDS)} seeds")
ax_norm.set(title="C01  L2 shrinks the weights", xlabel="λ (weight decay; leftmost point: λ = 0)",
            ylabel="‖θ‖₂ after training")
ax_acc.set(title="C01  test accuracy, for context", xlabel="λ (leftmost point: λ = 0)",
           ylabel="MNIST-1D test accuracy")
for ax in (ax_norm, ax_acc):
    ax.grid(True, alpha=0.3)
    ax.legend()
lesson.figure(fig, "c01_weight_norm")

# %%
mean_norms = norms.mean(0)
strictly_decreasing = bool(np.all(np.diff(mean_norms) < 0))
exact_step = max(decay_error, penalty_error) < 1e-12
lesson.verdict(
    "C01", "REPRODUCED" if strictly_decreasing and exact_step else "NOT REPRODUCED",
    f"‖θ‖₂ {' > '.join(f'{n:.1f}' for n in mean_norms)} for λ = "
    f"{', '.join(f'{lam:g}' for lam in LAMBDAS)} (mean of {len(SEEDS)} seeds, "
    f"{'strictly decreasing' if strictly_decreasing else 'NOT monotone'}); one step = "
    f"θ(1−ηλ) − η∇L to {max(decay_error, penalty_error):.0e}",
    claim="L2 shrinks weights: larger λ gives smaller ‖θ‖₂; update θ ← θ(1−ηλ) − η∇L",
    figures=["c01_weight_norm"])

# %% [markdown]
# The update is exactly the note's formula, whether written as `weight_decay` in the optimizer
# or as a penalty in the loss (the two are the same thing for plain SGD; for Adam they are not,
# see C46). The norm falls with every increase of λ. Test accuracy barely moves for small λ and
# drops once λ is large enough to shrink the useful weights too.

# %% [markdown]
# ## C02 — L1 gives exact zeros, L2 does not
#
# > L1 和 L2 都在“推参数往 0 走”，但 L1 是“无差别地推”，会把参数推到 0 并吸住；L2 是“按大小推”，
# > 只会让参数越来越小，但不会消失。……所以说L1的参数是稀疏的。(note 001 §1.2)
# >
# > English: "L1 and L2 both push the parameters toward 0, but L1 pushes indiscriminately and
# > drives a parameter to 0 and *holds it there*; L2 pushes in proportion to size, so the
# > parameters only get smaller and never vanish. … So L1's parameters are sparse."
#
# A regression with 50 features of which only 5 matter (10 %). A linear model is trained by
# full-batch gradient descent three ways, with the same λ:
#
# * **L2**: `SGD(weight_decay=λ)`;
# * **L1, subgradient**: plain SGD on `mse + λ·Σ|w|` — what you get by adding `l1_penalty` to
#   the loss and calling `backward()` (the gradient of |w| is sign(w));
# * **L1, proximal**: an SGD step on the task loss, then the soft-threshold
#   w ← sign(w)·max(|w| − ηλ, 0), the exact minimizer of the penalty near w ("ISTA").
#
# We count weights that are *exactly* 0.0 among the 45 whose true value is zero.

# %%
N_FEATURES, N_INFORMATIVE = 50, 5
L1_LAMBDA, L1_LR = 0.1, 0.05
L1_STEPS = lesson.pick(full=3000, fast=600)


def soft_threshold_(weight, threshold):
    """w ← sign(w)·max(|w| − t, 0): the proximal step of t·|w|, in place."""
    w = weight.data
    w[...] = np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


def train_sparse(method: str, data, trace_index: int):
    """Train Linear(50, 1) with one regularizer; return its weights and the trace of one
    weight (whose true value is 0) over the steps."""
    mg.manual_seed(lesson.seed)
    model = nn.Linear(N_FEATURES, 1, dtype=mg.float64)
    weight_decay = L1_LAMBDA if method == "L2" else 0.0
    optimizer = optim.SGD(model.parameters(), lr=L1_LR, weight_decay=weight_decay)
    trace = []

    def penalty():
        return L1_LAMBDA * nn.utils.l1_penalty([model.weight])

    def after_step():
        if method == "L1 proximal":
            soft_threshold_(model.weight, L1_LR * L1_LAMBDA)
        trace.append(float(model.weight.data[0, trace_index]))

    # only the weights are penalized, not the bias (the usual convention); L2 here decays the
    # bias too, which cannot create or remove zeros among the weights
    fit(model, optimizer, data.X_train.astype(np.float64), data.y_train.astype(np.float64),
        epochs=L1_STEPS, penalty=penalty if method == "L1 subgradient" else None,
        after_step=after_step)
    return model.weight.data[0].copy(), np.array(trace)


METHODS = ["L2", "L1 subgradient", "L1 proximal"]
zeros = {method: [] for method in METHODS}
small = {method: [] for method in METHODS}
informative_found = {method: [] for method in METHODS}
example, traces = {}, {}  # the first dataset's weights and traces, for the figure
for seed in SEEDS:
    data = mg.data.datasets.sparse_regression(num_samples=125, num_features=N_FEATURES,
                                              num_informative=N_INFORMATIVE, noise=0.5,
                                              seed=seed)
    truly_zero = data.true_weight[0] == 0
    trace_index = int(np.flatnonzero(truly_zero)[0])
    for method in METHODS:
        weights, trace = train_sparse(method, data, trace_index)
        zeros[method].append(int((weights[truly_zero] == 0.0).sum()))
        small[method].append(int((np.abs(weights[truly_zero]) <= L1_LR * L1_LAMBDA).sum()))
        informative_found[method].append(int((weights[~truly_zero] != 0.0).sum()))
        if seed == SEEDS[0]:
            example["true"], example[method], traces[method] = data.true_weight[0], weights, trace
n_zero_truth = N_FEATURES - N_INFORMATIVE
for method in METHODS:
    print(f"{method:15s} exact zeros among the {n_zero_truth} true zeros: {zeros[method]}; "
          f"|w| ≤ ηλ: {small[method]}; informative weights kept: {informative_found[method]}")

# %%
fig, (ax_w, ax_t) = subplots(1, 2, figsize=(12, 4.2))
FLOOR = 1e-8  # where an exact zero is drawn on the log axis
order = np.argsort(-np.abs(example["true"]))
features = np.arange(N_FEATURES)
ax_w.plot(features, np.maximum(np.abs(example["true"][order]), FLOOR), "k_", ms=10,
          label="true |w|")
for k, method in enumerate(METHODS):
    magnitude = np.abs(example[method][order])
    ax_w.plot(features + 0.25 * (k - 1), np.maximum(magnitude, FLOOR), "o", ms=4,
              color=f"C{k}", alpha=0.85,
              label=f"{method}: {int((magnitude == 0).sum())} exact zeros")
ax_w.axhline(FLOOR, color="gray", lw=0.8, ls=":")
ax_w.text(N_FEATURES - 1, FLOOR * 1.8, "exactly 0", ha="right", va="bottom", color="gray")
ax_w.set(yscale="log", ylim=(FLOOR / 3, 5), title=f"C02  learned |w| (λ = {L1_LAMBDA})",
         xlabel="feature (informative ones first)", ylabel="|w| (log scale)")
last = slice(-60, None)
for k, method in enumerate(METHODS[1:], start=1):
    ax_t.plot(np.arange(L1_STEPS)[last], traces[method][last], ".-", color=f"C{k}",
              label=method)
ax_t.axhspan(-L1_LR * L1_LAMBDA, L1_LR * L1_LAMBDA, color="gray", alpha=0.15,
             label="±ηλ (one L1 push)")
ax_t.set(title="C02  a weight whose true value is 0: last 60 steps", xlabel="step",
         ylabel=f"w   (L2 leaves it at {traces['L2'][-1]:+.3f})")
ax_w.legend(fontsize=8, loc="upper right")
ax_t.legend(fontsize=8, loc="upper right")
for ax in (ax_w, ax_t):
    ax.grid(True, alpha=0.3)
lesson.figure(fig, "c02_sparsity")

# %%
mean_zeros = {method: float(np.mean(zeros[method])) for method in METHODS}
proximal_sparse = mean_zeros["L1 proximal"] >= 0.5 * n_zero_truth
l2_dense = mean_zeros["L2"] == 0
subgradient_sparse = mean_zeros["L1 subgradient"] >= 0.5 * n_zero_truth
subgradient_hovers = np.mean(small["L1 subgradient"]) >= 0.5 * n_zero_truth
if proximal_sparse and l2_dense:
    status = "REPRODUCED" if subgradient_sparse else "NUANCED"
else:
    status = "NOT REPRODUCED"
lesson.verdict(
    "C02", status,
    f"exact zeros among {n_zero_truth} true zeros (mean of {len(SEEDS)} datasets): "
    f"L1 proximal {mean_zeros['L1 proximal']:.1f}, L2 {mean_zeros['L2']:.1f}, "
    f"L1 subgradient {mean_zeros['L1 subgradient']:.1f} "
    f"({np.mean(small['L1 subgradient']):.1f} hover within ηλ of 0"
    f"{'' if subgradient_hovers else ' — fewer than half'})",
    claim="L1 drives weights to exactly zero (sparse), L2 only makes them small",
    figures=["c02_sparsity"])

# %% [markdown]
# The note's picture — L1 "pushes to zero and holds it there" — is true of the L1 *problem*
# (its minimizer is sparse) and of the proximal update, which lands exactly on 0.0 and stays.
# Plain (sub)gradient descent on `loss + λΣ|w|` does not: a weight near 0 receives a push of
# ηλ towards zero, overshoots it, and is pushed back — it zig-zags around 0 with an amplitude of
# about ηλ (right panel) and essentially never equals 0.0. That is why Lasso solvers use
# soft-thresholding (or coordinate descent), and why an L1 penalty bolted onto an SGD training
# loop gives small weights, not zeros. L2 gives neither: its pull fades as the weight shrinks.

# %% [markdown]
# ## C03 — the push of L1 is constant, the push of L2 is proportional
#
# > L1正则化：给每个权重减去一个与$sign(\theta_i)$同符号的常数因子 ……这代表梯度大小是常数，1或者-1，
# > 和参数大小是无关的。……L2 正则给每个参数一个“大小与自身成正比、方向指向 0”的力。(note 001 §1, §1.1, §1.2)
# >
# > English: "L1 subtracts from each weight a constant with the sign of θᵢ … the gradient has
# > constant size, 1 or −1, independent of the parameter's size. … L2 gives each parameter a
# > force proportional to its own size, pointing to 0."
#
# We put 401 parameters on a grid θ ∈ [−2, 2], take one SGD step on the penalty alone
# (λ·Σ|θ| or λ·½Σθ²) and measure the change Δθ of each one. Then we let one weight, starting at
# θ = 1, feel nothing but each penalty for 150 steps.

# %%
ETA, LAMBDA = 0.1, 0.5
grid = np.linspace(-2, 2, 401)


def penalty_step(penalty, theta: np.ndarray) -> np.ndarray:
    """Δθ of one SGD(lr=η) step on λ·penalty(θ) alone, measured with minigrad."""
    parameter = nn.Parameter(mg.tensor(theta.copy()))
    (LAMBDA * penalty([parameter])).backward()
    optim.SGD([parameter], lr=ETA).step()
    return parameter.data - theta


push = {"L1": penalty_step(nn.utils.l1_penalty, grid),
        "L2": penalty_step(nn.utils.l2_penalty, grid)}
nonzero = grid != 0
slope = {name: np.polyfit(grid[grid > 0], delta[grid > 0], 1)[0] for name, delta in push.items()}
l1_error = np.abs(push["L1"][nonzero] + ETA * LAMBDA * np.sign(grid[nonzero])).max()
l2_error = np.abs(push["L2"] + ETA * LAMBDA * grid).max()
print(f"slope of Δθ against θ (θ > 0): L1 {slope['L1']:.2e}, L2 {slope['L2']:.4f} "
      f"(−ηλ = {-ETA * LAMBDA}); largest deviation from −ηλ·sign θ: {l1_error:.1e}, "
      f"from −ηλθ: {l2_error:.1e}")


def decay_path(kind: str, steps: int = 150) -> np.ndarray:
    """|θ| over steps of penalty-only training from θ = 1 (L1 by its proximal step)."""
    parameter, path = nn.Parameter(mg.tensor(np.array([1.0]))), [1.0]
    optimizer = optim.SGD([parameter], lr=ETA, weight_decay=LAMBDA if kind == "L2" else 0.0)
    for _ in range(steps):
        parameter.grad = mg.zeros_like(parameter)  # no task loss: only the penalty acts
        optimizer.step()
        if kind == "L1":
            soft_threshold_(parameter, ETA * LAMBDA)
        path.append(abs(float(parameter.data[0])))
    return np.array(path)


paths = {"L1": decay_path("L1"), "L2": decay_path("L2")}
l1_zero_step = int(np.argmax(paths["L1"] == 0))
print(f"from θ = 1: L1 reaches exactly 0 at step {l1_zero_step} (1/(ηλ) = {1 / (ETA * LAMBDA):g}); "
      f"L2 after 150 steps: {paths['L2'][-1]:.2e} = (1−ηλ)^150 = {(1 - ETA * LAMBDA) ** 150:.2e}")

# %%
fig, (ax_push, ax_path) = subplots(1, 2, figsize=(11, 4))
ax_push.plot(grid, push["L1"], color="C0", label=f"L1: Δθ = −ηλ·sign θ (slope {slope['L1']:.0e})")
ax_push.plot(grid, push["L2"], color="C1", label=f"L2: Δθ = −ηλθ (slope {slope['L2']:.3f})")
ax_push.set(title=f"C03  one step of the penalty alone (η={ETA}, λ={LAMBDA})", xlabel="θ",
            ylabel="Δθ in one step")
ax_path.plot(paths["L1"], color="C0", label=f"L1 (proximal): exactly 0 at step {l1_zero_step}")
ax_path.plot(paths["L2"], color="C1",
             label=f"L2: (1−ηλ)ᵗ, never 0 ({paths['L2'][-1]:.1e} at step 150)")
ax_path.set(ylim=(0, 1.05), title="C03  |θ| under the penalty alone, from θ = 1",
            xlabel="step", ylabel="|θ|")
for ax in (ax_push, ax_path):
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
lesson.figure(fig, "c03_push")

# %%
exact = l1_error < 1e-12 and l2_error < 1e-12
flat_and_linear = abs(slope["L1"]) < 1e-9 and abs(slope["L2"] + ETA * LAMBDA) < 1e-9
lesson.verdict(
    "C03", "REPRODUCED" if exact and flat_and_linear else "NOT REPRODUCED",
    f"Δθ vs θ slope: L1 {slope['L1']:.0e} (flat, |Δθ| = ηλ = {ETA * LAMBDA:g} everywhere), "
    f"L2 {slope['L2']:.4f} (= −ηλ); deviations {max(l1_error, l2_error):.0e}",
    claim="L1's push is a constant ±λ whatever the weight's size; L2's push λθ is proportional",
    figures=["c03_push"])

# %% [markdown]
# Both halves hold exactly: they are the derivatives of |θ| and ½θ². The consequence (right
# panel) is the reason for C02: a constant push covers the remaining distance to 0 in a finite
# number of steps, a proportional push only ever halves it.

# %% [markdown]
# ## C04 — regularization trades bias for variance
#
# > 正则化以偏差的增加来换取方差的减少，而一个有效的正则化能显著降低方差，并且不会过度增加偏差。(note 001)
# >
# > English: "Regularization trades an increase in bias for a decrease in variance; an effective
# > regularizer cuts the variance a lot without raising the bias much."
#
# To measure bias and variance we need many training sets from the same distribution. The truth
# is f(x) = sin(2πx) on [0, 1]; each training set has 25 noisy samples (σ = 0.3). The model is
# linear in 30 fixed Gaussian bumps (flexible enough to chase the noise), trained to convergence
# by minigrad's L-BFGS on mse + λ·½‖w‖². For each λ we train on R independent training sets and
# decompose the expected squared error on a fine grid:
#
# $$\mathbb E\big[(\hat f(x) - f(x))^2\big] = \underbrace{(\mathbb E\hat f(x) - f(x))^2}_{\text{bias}^2}
#   + \underbrace{\mathbb E\big[(\hat f(x) - \mathbb E\hat f(x))^2\big]}_{\text{variance}}.$$
#
# With R training sets, the squared error of the *average* fit includes that average's own
# noise, variance/R; we subtract it, so where the true bias² is ≈ 0 the estimate can come out
# slightly below zero.

# %%
N_SAMPLES, NOISE, N_BUMPS = 25, 0.3, 30
REPEATS = lesson.pick(full=30, fast=12)
BV_LAMBDAS = lesson.pick(full=list(np.logspace(-5, 1, 8)), fast=list(np.logspace(-5, 1, 5)))
centers = np.linspace(0, 1, N_BUMPS)
x_grid = np.linspace(0, 1, 200)


def bumps(x: np.ndarray) -> np.ndarray:
    """Features φ_k(x) = exp(−(x − c_k)² / (2·0.05²)), one per center."""
    return np.exp(-((x[:, None] - centers[None, :]) ** 2) / (2 * 0.05 ** 2))


def fit_bumps(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Predictions on x_grid of a ridge fit trained by L-BFGS (to convergence)."""
    model = nn.Linear(N_BUMPS, 1, dtype=mg.float64)
    features, target = mg.tensor(bumps(x)), mg.tensor(y[:, None])
    optimizer = optim.LBFGS(model.parameters(), max_iter=500, tolerance_grad=1e-10,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.mse_loss(model(features), target) + lam * nn.utils.l2_penalty([model.weight])
        loss.backward()
        return loss

    optimizer.step(closure)
    with mg.no_grad():
        return model(mg.tensor(bumps(x_grid))).data[:, 0]


rng = np.random.Generator(np.random.PCG64(lesson.seed))
training_sets = []
for _ in range(REPEATS):
    x = rng.uniform(0, 1, N_SAMPLES)
    training_sets.append((x, np.sin(2 * np.pi * x) + NOISE * rng.standard_normal(N_SAMPLES)))
truth = np.sin(2 * np.pi * x_grid)
bias2, variance, predictions = [], [], {}
for lam in BV_LAMBDAS:
    fits = np.stack([fit_bumps(x, y, lam) for x, y in training_sets])
    spread = fits.var(0, ddof=1)
    # (mean fit − truth)² overstates bias² by the mean's own noise, variance/R: subtract it
    bias2.append(float(((fits.mean(0) - truth) ** 2 - spread / REPEATS).mean()))
    variance.append(float(spread.mean()))
    predictions[lam] = fits
    print(f"λ = {lam:8.1e}  bias² = {bias2[-1]:.4f}  variance = {variance[-1]:.4f}  "
          f"sum = {bias2[-1] + variance[-1]:.4f}")
bias2, variance = np.array(bias2), np.array(variance)

# %%
fig, (ax_bv, ax_fits) = subplots(1, 2, figsize=(12, 4.2))
BIAS_FLOOR = 1e-4  # an estimate ≤ 0 (true bias² ≈ 0 plus noise) is drawn here
ax_bv.plot(BV_LAMBDAS, np.maximum(bias2, BIAS_FLOOR), "o-",
           label=f"bias² (estimates ≤ 0 drawn at {BIAS_FLOOR:g})")
ax_bv.plot(BV_LAMBDAS, variance, "s-", label="variance")
ax_bv.plot(BV_LAMBDAS, np.maximum(bias2 + variance, BIAS_FLOOR), "k--",
           label="bias² + variance (test error − σ²)")
ax_bv.set(xscale="log", yscale="log", title=f"C04  bias–variance over {REPEATS} training sets",
          xlabel="λ (L2 strength)", ylabel="mean over x")
best = int(np.argmin(bias2 + variance))
for lam, color in ((BV_LAMBDAS[0], "C3"), (BV_LAMBDAS[best], "C2"), (BV_LAMBDAS[-1], "C4")):
    fits = predictions[lam]
    for k in range(min(8, REPEATS)):
        ax_fits.plot(x_grid, fits[k], color=color, alpha=0.25, lw=1)
    ax_fits.plot(x_grid, fits.mean(0), color=color, lw=2.2, label=f"λ = {lam:.0e}: mean fit")
ax_fits.plot(x_grid, truth, "k:", lw=2, label="truth sin(2πx)")
ax_fits.set(ylim=(-2, 2), title="C04  fits on 8 training sets (thin) and their mean (thick)",
            xlabel="x", ylabel="prediction")
for ax in (ax_bv, ax_fits):
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
lesson.figure(fig, "c04_bias_variance")

# %%
def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ: the correlation of the ranks (no ties here)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


log_lambda = np.log(BV_LAMBDAS)
rho_variance = rank_correlation(log_lambda, variance)
rho_bias = rank_correlation(log_lambda, bias2)
# ρ = ±1 is a perfectly monotone trend; ±0.8 leaves room for the estimates' noise where the
# true bias² is ≈ 0 (smallest λ)
variance_falls = rho_variance <= -0.8 and variance[-1] < variance[0]
bias_rises = rho_bias >= 0.8 and bias2[-1] > bias2[0]
status = ("REPRODUCED" if variance_falls and bias_rises
          else "NUANCED" if variance_falls or bias_rises else "NOT REPRODUCED")
lesson.verdict(
    "C04", status,
    f"as λ grows {BV_LAMBDAS[0]:.0e}→{BV_LAMBDAS[-1]:.0e}: variance {variance[0]:.3f}→"
    f"{variance[-1]:.4f} (rank corr {rho_variance:+.2f}), bias² {bias2[0]:.4f}→{bias2[-1]:.3f} "
    f"(rank corr {rho_bias:+.2f}); best total at λ = {BV_LAMBDAS[best]:.0e} "
    f"({REPEATS} training sets)",
    claim="Regularization trades bias for variance",
    figures=["c04_bias_variance"])

# %% [markdown]
# With almost no penalty the fits chase each training set's noise (high variance, red); with a
# huge one they flatten towards zero (high bias, purple). In between the sum is smallest: there
# the variance has fallen a lot and the bias has hardly risen — the note's "effective
# regularization", and the reason λ is tuned on validation data rather than set "as large as
# possible".
