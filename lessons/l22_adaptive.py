# %% [markdown]
# # Adagrad, RMSprop, Adadelta and the second moment (C42, C43, C44, C49)
#
# > Adagrad能够自动调整参数的学习率，适合稀疏特征问题。但容易"早停"（stall early），即后期学习率会过小，
# > 导致训练停滞。RMSprop改进了 Adagrad，控制了学习率的衰减速度，更适合深度学习中的长时间训练。(note 000)
# >
# > English: "Adagrad adapts each parameter's learning rate and suits sparse-feature problems, but
# > it tends to stall early: later the learning rate becomes too small and training stops.
# > RMSprop improves on Adagrad by controlling how fast the rate decays, and suits long training
# > in deep learning better." — **C42** (stall; RMSprop fixes it), **C43** (sparse features)
#
# > adadelta 算法 (note 004, a section with the update's formula, which has no learning rate)
# >
# > English: "The Adadelta algorithm" — **C44**: Adadelta needs no learning rate.
#
# > 这几个高级优化算法都有一个通用的特征是使用了梯度的二阶矩 … 若某个参数方向上的梯度一直较大，梯度
# > 的二阶矩其实是有放大作用，从而使该方向的学习率自动减小，避免参数在该方向上大幅震荡或发散。若某个
# > 参数方向上的梯度始终较小 … 这个方向上的学习率相对就会保持相对较大 (note 004)
# >
# > English: "These advanced optimizers share one feature: they use the gradient's second moment …
# > if the gradient along a parameter stays large, the second moment amplifies it and that
# > direction's learning rate shrinks automatically, avoiding large oscillations or divergence;
# > if it stays small, the rate stays relatively large." — **C49**

# %%
import numpy as np

import minigrad as mg
from lessons._lesson import Lesson, status_of
from lessons._surfaces import descend, spearman
from lessons._train import evaluate, fit, mlp, mnist1d_arrays
from minigrad import nn, optim
from minigrad.data.datasets import ill_conditioned_quadratic, rosenbrock
from minigrad.plot import contour, subplots

lesson = Lesson("l22_adaptive")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=3, fast=3))]
x_train, y_train, x_test, y_test = mnist1d_arrays(n_train=lesson.pick(full=4000, fast=800))
BATCH = lesson.pick(full=100, fast=50)

# %% [markdown]
# ## The paths first: Adagrad, RMSprop, Adadelta on two surfaces
#
# An axis-aligned quadratic with κ = 50 (the per-coordinate methods' home ground) and the
# Rosenbrock valley (300 steps on the quadratic, 3000 along the long valley), against gradient
# descent at its stable step.

# %%
quadratic = ill_conditioned_quadratic(2, 50.0, rotate=False, seed=2)
Q_START = quadratic.minimizer + np.array([-2.5, 2.0])
PATH_METHODS = {"GD": lambda p, lr: optim.SGD(p, lr=lr),
                "Adagrad": lambda p, lr: optim.Adagrad(p, lr=lr),
                "RMSprop": lambda p, lr: optim.RMSprop(p, lr=lr),
                "Adadelta (lr=1)": lambda p, lr: optim.Adadelta(p, lr=1.0)}
SURFACES = {"quadratic κ=50": (quadratic.value, Q_START, 300,
                               {"GD": 1 / 50, "Adagrad": 0.5, "RMSprop": 0.02,
                                "Adadelta (lr=1)": 1.0}),
            "Rosenbrock": (rosenbrock, [-1.5, 2.0], 3000,
                           {"GD": 1e-3, "Adagrad": 0.5, "RMSprop": 0.01,
                            "Adadelta (lr=1)": 1.0})}
fig, axes = subplots(1, 2, figsize=(14, 5.5))
for ax, (name, (f, start, steps, lrs)) in zip(axes, SURFACES.items()):
    paths = {f"{m} (η={lrs[m]:g})": descend(lambda p, m=m, lrs=lrs: PATH_METHODS[m](p, lrs[m]),
                                            f, start, steps)
             for m in PATH_METHODS}
    centre = np.array(start) if name == "Rosenbrock" else quadratic.minimizer
    box = ((-2, 2), (-1, 3)) if name == "Rosenbrock" else \
        ((centre[0] - 3.5, centre[0] + 3.5), (centre[1] - 3, centre[1] + 3))
    contour(f, *box, paths=paths, ax=ax, log_scale=name == "Rosenbrock",
            minimum=(1, 1) if name == "Rosenbrock" else quadratic.minimizer,
            title=f"C42/C44: adaptive paths, {name}, {steps} steps")
    ax.legend(fontsize=8)
lesson.figure(fig, "adaptive_paths")

# %% [markdown]
# ## C42. Does Adagrad stall on a long run, and does RMSprop fix it?
#
# An MLP 40-100-10 on MNIST-1D, mini-batches, each optimizer at the best learning rate of a
# small grid (chosen on the final training loss, one seed), then several seeds at that rate.
# The *effective* learning rate is η/(√s + ε), with s Adagrad's running *sum* of squared
# gradients or RMSprop's moving *average*; we follow its median over the weights.

# %%
EPOCHS = lesson.pick(full=40, fast=12)
GRIDS = {"Adagrad": [1e-2, 3e-2, 1e-1, 3e-1], "RMSprop": [1e-4, 3e-4, 1e-3, 3e-3]}
ACCUMULATOR = {"Adagrad": "sum", "RMSprop": "square_avg"}


def train_tracking(name: str, lr: float, seed: int, epochs: int = EPOCHS):
    """Train the MLP; per epoch: training loss and the median effective lr η/(√s + ε)."""
    mg.manual_seed(seed)
    model = mlp([40, 100, 10])
    optimizer = getattr(optim, name)(model.parameters(), lr=lr)
    losses, effective = [], []
    for _ in range(epochs):
        history = fit(model, optimizer, x_train, y_train, epochs=1, batch_size=BATCH)
        losses.append(history.train_loss[-1])
        s = np.concatenate([optimizer.state[p][ACCUMULATOR[name]].ravel()
                            for p in model.parameters()])
        effective.append(float(np.median(lr / (np.sqrt(s) + 1e-10))))
    return np.array(losses), np.array(effective)


best_lr = {name: min(grid, key=lambda lr: train_tracking(name, lr, SEEDS[0])[0][-1])
           for name, grid in GRIDS.items()}
runs = {name: [train_tracking(name, best_lr[name], seed) for seed in SEEDS] for name in GRIDS}
final_loss = {name: np.array([r[0][-1] for r in rs]) for name, rs in runs.items()}
# How much of the loss was still being removed in the second half of training.
late_gain = {name: np.mean([(r[0][EPOCHS // 2] - r[0][-1]) / r[0][EPOCHS // 2] for r in rs])
             for name, rs in runs.items()}
lr_shrink = {name: np.mean([r[1][-1] / r[1][0] for r in rs]) for name, rs in runs.items()}

fig, axes = subplots(1, 2, figsize=(13, 4.6))
for name, rs in runs.items():
    losses = np.array([r[0] for r in rs])
    line, = axes[0].semilogy(range(1, EPOCHS + 1), losses.mean(0),
                             label=f"{name} η={best_lr[name]:g}")
    axes[0].fill_between(range(1, EPOCHS + 1), losses.min(0), losses.max(0),
                         color=line.get_color(), alpha=0.2)
    axes[1].semilogy(range(1, EPOCHS + 1), np.mean([r[1] for r in rs], 0), label=name)
axes[0].set(xlabel="epoch", ylabel="training loss", title=f"C42: MLP on MNIST-1D "
            f"({len(SEEDS)} seeds, band = min–max)")
axes[1].set(xlabel="epoch", ylabel="median η/(√s + ε)", title="C42: effective learning rate")
for ax in axes:
    ax.legend()
lesson.figure(fig, "c42_stall")

# %%
diff = final_loss["Adagrad"].mean() - final_loss["RMSprop"].mean()
stderr = np.sqrt(final_loss["Adagrad"].var(ddof=1) / len(SEEDS)
                 + final_loss["RMSprop"].var(ddof=1) / len(SEEDS))
shrinks = lr_shrink["Adagrad"] < 0.5 and lr_shrink["RMSprop"] > 2 * lr_shrink["Adagrad"]
plateau = diff > 2 * stderr
lesson.verdict(
    "C42", "REPRODUCED" if shrinks and plateau else "NUANCED" if shrinks else "NOT REPRODUCED",
    f"effective lr end/start: Adagrad ×{lr_shrink['Adagrad']:.2f}, RMSprop "
    f"×{lr_shrink['RMSprop']:.2f}; final train loss ({EPOCHS} epochs, {len(SEEDS)} seeds) "
    f"Adagrad {final_loss['Adagrad'].mean():.3f}±{final_loss['Adagrad'].std():.3f} vs RMSprop "
    f"{final_loss['RMSprop'].mean():.3f}±{final_loss['RMSprop'].std():.3f} (diff {diff:.3f}, "
    f"2 s.e. {2 * stderr:.3f}); loss removed in 2nd half: Adagrad {late_gain['Adagrad']:.0%}, "
    f"RMSprop {late_gain['RMSprop']:.0%}",
    claim="Adagrad's step sizes only shrink, so it stalls on long runs; RMSprop's moving "
          "average fixes this",
    figures=["c42_stall", "adaptive_paths"])

# %% [markdown]
# **What it means.** Adagrad's effective rate can only fall (its denominator is a sum); whether
# that *stalls* training depends on whether the rate falls faster than the loss landscape
# needs it to. Read the numbers above: the shrinking is certain, the plateau is the part to
# check.
#
# ## C43. Adagrad and sparse features
#
# Linear regression with 10 frequent features (always present) and 10 rare ones (nonzero in
# 2 % of the samples), all informative: y = x·w* + 0.1·noise. SGD's step must be small enough
# for the frequent features; the rare weights get a gradient only 2 % of the time. Each
# optimizer at the best lr of a grid (on the training loss); we track the error of the rare
# and of the frequent weights.

# %%
N_SPARSE, D_FREQ, D_RARE, P_RARE = lesson.pick(full=4000, fast=2000), 10, 10, 0.02
SPARSE_EPOCHS = lesson.pick(full=6, fast=3)
SPARSE_GRID = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1]


def sparse_problem(seed: int):
    rng = np.random.default_rng(seed)
    frequent = rng.standard_normal((N_SPARSE, D_FREQ))
    rare = rng.standard_normal((N_SPARSE, D_RARE)) * (rng.random((N_SPARSE, D_RARE)) < P_RARE)
    x = np.hstack([frequent, rare]).astype(np.float32)
    w_true = (rng.uniform(1, 2, D_FREQ + D_RARE) * rng.choice([-1, 1], D_FREQ + D_RARE))
    y = (x @ w_true + 0.1 * rng.standard_normal(N_SPARSE)).astype(np.float32)[:, None]
    return x, y, w_true


def sparse_run(name: str, lr: float, seed: int):
    """Per epoch: (training loss, relative error of the frequent weights, of the rare ones)."""
    x, y, w_true = sparse_problem(seed)
    mg.manual_seed(seed)
    model = nn.Linear(D_FREQ + D_RARE, 1)
    optimizer = getattr(optim, name)(model.parameters(), lr=lr)
    rows = []
    for _ in range(SPARSE_EPOCHS):
        with np.errstate(over="ignore", invalid="ignore"):
            loss = fit(model, optimizer, x, y, epochs=1, batch_size=10).train_loss[-1]
        w = model.weight.data[0]
        rows.append([loss if np.isfinite(loss) else np.inf]
                    + [np.linalg.norm(w[part] - w_true[part]) / np.linalg.norm(w_true[part])
                       for part in (slice(0, D_FREQ), slice(D_FREQ, None))])
    return np.array(rows)


sparse_best = {name: min(SPARSE_GRID, key=lambda lr: sparse_run(name, lr, 100)[-1, 0])
               for name in ("SGD", "Adagrad")}
sparse = {name: np.array([sparse_run(name, sparse_best[name], seed) for seed in SEEDS])
          for name in sparse_best}  # (seed, epoch, [loss, frequent error, rare error])

fig, ax = subplots(figsize=(7.5, 4.6))
for i, name in enumerate(sparse):
    for j, part in enumerate(("frequent", "rare")):
        values = sparse[name][:, :, 1 + j]
        ax.errorbar(np.arange(1, SPARSE_EPOCHS + 1) + 0.05 * i, values.mean(0),
                    yerr=values.std(0), capsize=3, color=f"C{i}", ls="-" if j else "--",
                    marker="o", label=f"{name} η={sparse_best[name]:g}, {part} weights")
ax.set(xlabel="epoch", ylabel="‖w − w*‖ / ‖w*‖ (mean ± std)", yscale="log",
       title=f"C43: weight error, rare features present in {P_RARE:.0%} of samples")
ax.legend(fontsize=8)
lesson.figure(fig, "c43_sparse")

# %%
rare_sgd, rare_adagrad = sparse["SGD"][:, 0, 2], sparse["Adagrad"][:, 0, 2]  # after epoch 1
gap = rare_sgd.mean() - rare_adagrad.mean()
stderr = np.sqrt(rare_sgd.var(ddof=1) / len(SEEDS) + rare_adagrad.var(ddof=1) / len(SEEDS))
lesson.verdict(
    "C43", "REPRODUCED" if gap > 2 * stderr else "NOT REPRODUCED" if gap < -2 * stderr
    else "NUANCED",
    f"rare-weight error after 1 epoch: SGD {rare_sgd.mean():.3f}±{rare_sgd.std():.3f} vs "
    f"Adagrad {rare_adagrad.mean():.3f}±{rare_adagrad.std():.3f}; after {SPARSE_EPOCHS}: SGD "
    f"{sparse['SGD'][:, -1, 2].mean():.3f} vs Adagrad {sparse['Adagrad'][:, -1, 2].mean():.3f} "
    f"(frequent: {sparse['SGD'][:, -1, 1].mean():.3f} vs {sparse['Adagrad'][:, -1, 1].mean():.3f}"
    f"; {len(SEEDS)} seeds); best lr SGD {sparse_best['SGD']:g}, Adagrad {sparse_best['Adagrad']:g}",
    claim="Adagrad suits sparse features (learns rare-feature weights faster than SGD)",
    figures=["c43_sparse"])

# %% [markdown]
# **What it means.** A rare feature's accumulator grows only when the feature appears, so its
# effective rate stays large: each rare sighting moves its weight further than under SGD,
# whose single rate is capped by the frequent features' curvature. Whether that wins depends
# on how far SGD's rate is capped: with standardized features (as here) the cap is mild, SGD
# runs at a large rate too, and the advantage — if the numbers above show one — is small.
#
# ## C44. Adadelta without a learning rate
#
# Softmax regression on MNIST-1D with the inputs multiplied by a scale c ∈ {0.01, 1, 100}: the
# same problem in different units (the best weights scale as 1/c). Adadelta runs at its
# default lr = 1 everywhere; the reference is the best of SGD and Adam over a lr grid, tuned
# for each scale separately. "Works" = Adadelta removes ≥ 90 % of the loss that the tuned
# reference removes in the same number of epochs.

# %%
SCALES = [0.01, 1.0, 100.0]
DELTA_EPOCHS = lesson.pick(full=30, fast=8)
REFERENCE_GRID = {"SGD": [1e-3, 1e-2, 1e-1, 1.0, 10.0], "Adam": [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}


def regression_run(name: str, lr: float, scale: float, seed: int) -> np.ndarray:
    mg.manual_seed(seed)
    model = nn.Linear(40, 10)
    with np.errstate(over="ignore", invalid="ignore"):
        history = fit(model, getattr(optim, name)(model.parameters(), lr=lr), x_train * scale,
                      y_train, epochs=DELTA_EPOCHS, batch_size=BATCH)
    losses = np.array(history.train_loss + [np.inf] * (DELTA_EPOCHS - len(history.train_loss)))
    return np.where(np.isfinite(losses), losses, np.inf)


delta_curves, reference_curves, reference_label, start_loss = {}, {}, {}, {}
for scale in SCALES:
    mg.manual_seed(lesson.seed)
    start_loss[scale] = evaluate(nn.Linear(40, 10), x_train * scale, y_train)[0]
    delta_curves[scale] = regression_run("Adadelta", 1.0, scale, lesson.seed)
    candidates = {(name, lr): regression_run(name, lr, scale, lesson.seed)
                  for name, grid in REFERENCE_GRID.items() for lr in grid}
    reference_label[scale] = min(candidates, key=lambda k: candidates[k][-1])
    reference_curves[scale] = candidates[reference_label[scale]]
share = {s: (start_loss[s] - delta_curves[s][-1]) / (start_loss[s] - reference_curves[s][-1])
         for s in SCALES}

fig, ax = subplots(figsize=(8, 4.8))
for i, scale in enumerate(SCALES):
    ax.plot(range(1, DELTA_EPOCHS + 1), delta_curves[scale], "-", color=f"C{i}",
            label=f"Adadelta lr=1, inputs ×{scale:g}")
    name, lr = reference_label[scale]
    ax.plot(range(1, DELTA_EPOCHS + 1), reference_curves[scale], "--", color=f"C{i}",
            label=f"tuned {name} η={lr:g}, ×{scale:g}")
ax.set(xlabel="epoch", ylabel="training loss", yscale="log",
       title="C44: Adadelta (lr = 1) vs the tuned best, three input scales")
ax.legend(fontsize=8)
lesson.figure(fig, "c44_adadelta")

# %%
works = {s: share[s] >= 0.9 for s in SCALES}
lesson.verdict(
    "C44", status_of(works.values()),
    "share of the tuned reference's loss reduction reached by Adadelta(lr=1) in "
    f"{DELTA_EPOCHS} epochs: " + ", ".join(
        f"inputs ×{s:g} {share[s]:.0%} (ref {reference_label[s][0]} η={reference_label[s][1]:g})"
        for s in SCALES),
    claim="Adadelta needs no learning rate (works with lr=1 across problems of different scale)",
    figures=["c44_adadelta", "adaptive_paths"])

# %% [markdown]
# **What it means.** Adadelta's step is Δθ = −(√(E[Δθ²] + ε)/√(E[g²] + ε))·g: it is
# unit-free in the *gradient* (rescaling the loss changes nothing) but its first steps have the
# size √ε ≈ 10⁻³ whatever the problem, and they grow only as fast as the past steps did. So
# the "no learning rate" claim holds where the weights need to move by O(1) in a few thousand
# steps, and fails where the parameters live on a different scale — a learning rate in
# disguise (ε).
#
# ## C49. The second moment shrinks the step along large-gradient directions
#
# After a short Adam warm-up of the MLP, each adaptive optimizer trains K more mini-batch
# steps while we record every weight's gradient gₖ and update Δθₖ. Per weight: the gradient's
# root mean square √E[g²], its noise fraction std(g)/√E[g²], and the effective rate
# E|Δθ|/E|g| (plain SGD: exactly η for every weight). The claim predicts a negative rank
# correlation between the effective rate and the gradient size.

# %%
K = lesson.pick(full=200, fast=60)
SECOND_MOMENT = {"Adagrad": 1e-2, "RMSprop": 1e-3, "Adam": 1e-3, "SGD": 1e-2}


def step_statistics(name: str, lr: float, seed: int):
    """Per weight: (gradient rms, noise fraction, effective rate) over K steps."""
    mg.manual_seed(seed)
    model = mlp([40, 100, 10])
    fit(model, optim.Adam(model.parameters(), lr=1e-3), x_train, y_train, epochs=2,
        batch_size=BATCH)
    optimizer = getattr(optim, name)(model.parameters(), lr=lr)
    params = list(model.parameters())
    grads, steps = [], []
    generator = mg.random.generator()
    for _ in range(K):
        index = generator.choice(len(x_train), BATCH, replace=False)
        before = np.concatenate([p.data.ravel() for p in params])
        loss = nn.functional.cross_entropy(model(mg.tensor(x_train[index])),
                                           mg.tensor(y_train[index]))
        optimizer.zero_grad()
        loss.backward()
        grads.append(np.concatenate([p.grad.data.ravel() for p in params]))
        optimizer.step()
        steps.append(np.concatenate([p.data.ravel() for p in params]) - before)
    grads, steps = np.array(grads), np.abs(np.array(steps))
    rms = np.sqrt((grads ** 2).mean(0))
    keep = rms > 1e-8  # dead ReLU units: no gradient, no information
    rate = steps.mean(0)[keep] / np.abs(grads).mean(0)[keep]
    return rms[keep], grads.std(0)[keep] / rms[keep], rate


statistics = {name: step_statistics(name, lr, lesson.seed) for name, lr in SECOND_MOMENT.items()}
correlation = {name: spearman(s[2], s[0]) for name, s in statistics.items() if name != "SGD"}
noise_correlation = {name: spearman(s[2], s[1]) for name, s in statistics.items()
                     if name != "SGD"}
sgd_rate_spread = statistics["SGD"][2].std() / statistics["SGD"][2].mean()

fig, axes = subplots(1, 4, figsize=(19, 4.4), sharey=False)
for ax, (name, (rms, noise, rate)) in zip(axes, statistics.items()):
    order = np.random.default_rng(0).permutation(len(rms))[:4000]
    points = ax.scatter(rms[order], rate[order], c=noise[order], s=3, cmap="viridis",
                        vmin=0, vmax=1)
    label = f"Spearman {correlation[name]:.2f}" if name in correlation else "constant = η"
    ax.set(xscale="log", yscale="log", xlabel="gradient rms √E[g²]",
           ylabel="effective rate E|Δθ| / E|g|", title=f"C49: {name} ({label})")
fig.colorbar(points, ax=axes[-1], label="noise fraction std(g)/rms")
lesson.figure(fig, "c49_second_moment")

# %%
negative = all(c < -0.5 for c in correlation.values())
lesson.verdict(
    "C49", "REPRODUCED" if negative else "NUANCED" if any(c < -0.5 for c in correlation.values())
    else "NOT REPRODUCED",
    "Spearman(effective rate, gradient rms) over "
    f"{len(statistics['Adam'][0])} weights, {K} steps: "
    + ", ".join(f"{n} {c:.2f}" for n, c in correlation.items())
    + "; vs noise fraction: " + ", ".join(f"{n} {c:.2f}" for n, c in noise_correlation.items())
    + f"; SGD rate relative spread {sgd_rate_spread:.1e}",
    claim="Adaptive methods use the gradient's second moment: steps shrink along directions "
          "with large (or noisy) gradients",
    figures=["c49_second_moment"])

# %% [markdown]
# **What it means.** Dividing by √E[g²] gives every weight roughly the same step size, so the
# step *per unit of gradient* falls as the gradient grows — the note's intuition, measured on
# the actual updates. For Adam, whose numerator is a momentum average, weights whose gradient
# is mostly noise also take shorter steps (the average cancels), which is the second number.
