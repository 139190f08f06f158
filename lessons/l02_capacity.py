# %% [markdown]
# # Capacity: big models with regularization, bias vs variance, double descent (C05–C07)
#
# | id | claim |
# |---|---|
# | C05 | Don't shrink the model to fight over-fitting: a big model with regularization beats a small one |
# | C06 | High bias: the training loss is high. High variance: train low, validation high, and results depend strongly on the seed |
# | C07 | Double descent: test error peaks near the interpolation threshold, then falls again as the model grows; regularization removes the peak; test error can fall while the training loss is ~0 |

# %%
import numpy as np

import minigrad as mg
from lessons._lesson import Lesson
from lessons._train import evaluate, fit, mlp, mnist1d_arrays
from minigrad import optim
from minigrad.plot import subplots

lesson = Lesson("l02_capacity")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]

# %% [markdown]
# ## C05 — a big regularized model beats a small one
#
# > 在深度学习的实际应用中，不要因为害怕过拟合而采用一个小模型，推荐采用一个大模型并使用正则化。(note 001)
# >
# > English: "In practice, don't pick a small model for fear of over-fitting; use a big model
# > and regularize it."
#
# MNIST-1D with 2000 training samples; 1000 more from its training split are a validation set
# (for choosing), the official 1000 test samples are only for reporting. Every model is an MLP
# with two hidden layers, trained with Adam (lr 1e-3, batch 100) for the same number of epochs:
#
# * **small**, unregularized: hidden width 16, 32 or 64 — the best one chosen on validation;
# * **big** (width 256, ~78 k parameters for 2000 samples), with an L2 penalty
#   (`Adam(weight_decay=λ)`), λ ∈ {1e-3, 1e-2} chosen on validation, and λ = 0 for reference.
#
# Each configuration runs with the same seeds; both sides get the same choosing budget
# (pick the best of a few on validation).

# %%
N_TRAIN = lesson.pick(full=2000, fast=1000)
EPOCHS = lesson.pick(full=40, fast=8)
x_all, y_all, x_test, y_test = mnist1d_arrays()
x_train, y_train = x_all[:N_TRAIN], y_all[:N_TRAIN]
x_val, y_val = x_all[3000:4000], y_all[3000:4000]
SMALL_WIDTHS = lesson.pick(full=[16, 32, 64], fast=[16, 64])
BIG_WIDTH = lesson.pick(full=256, fast=128)
BIG_LAMBDAS = [0.0, 1e-3, 1e-2]

configs = [(f"small w={w}", w, 0.0) for w in SMALL_WIDTHS] + \
          [(f"big w={BIG_WIDTH} λ={lam:g}", BIG_WIDTH, lam) for lam in BIG_LAMBDAS]
results = {}  # name -> per-seed dicts of history and final numbers
for name, width, lam in configs:
    results[name] = []
    for seed in SEEDS:
        mg.manual_seed(seed)
        model = mlp([40, width, width, 10])
        history = fit(model, optim.Adam(model.parameters(), lr=1e-3, weight_decay=lam),
                      x_train, y_train, epochs=EPOCHS, batch_size=100, val=(x_val, y_val))
        test_loss, test_acc = evaluate(model, x_test, y_test)
        results[name].append({"history": history, "val_acc": history.val_acc[-1],
                              "test_acc": test_acc, "test_loss": test_loss})
    val_accs = [r["val_acc"] for r in results[name]]
    test_accs = [r["test_acc"] for r in results[name]]
    print(f"{name:22s} val acc {np.mean(val_accs):.3f}  test acc {np.mean(test_accs):.3f} "
          f"± {np.std(test_accs):.3f} ({len(SEEDS)} seeds)")

# %%
def mean_of(name: str, key: str) -> float:
    return float(np.mean([r[key] for r in results[name]]))


small_names = [name for name, _, lam in configs if name.startswith("small")]
big_names = [name for name, _, lam in configs if name.startswith("big") and lam > 0]
best_small = max(small_names, key=lambda name: mean_of(name, "val_acc"))
best_big = max(big_names, key=lambda name: mean_of(name, "val_acc"))
small_test = np.array([r["test_acc"] for r in results[best_small]])
big_test = np.array([r["test_acc"] for r in results[best_big]])
difference = big_test - small_test  # paired: same seeds
standard_error = difference.std(ddof=1) / np.sqrt(len(difference))
print(f"chosen on validation: {best_small} (test {small_test.mean():.3f}) vs {best_big} "
      f"(test {big_test.mean():.3f}); paired difference {difference.mean():+.3f} "
      f"± {standard_error:.3f} (s.e.)")

# %%
fig, ax = subplots(1, 1, figsize=(9, 4.2))
for k, (name, _, _) in enumerate(configs):
    accs = [r["test_acc"] for r in results[name]]
    chosen = name in (best_small, best_big)
    color = "C0" if name.startswith("small") else "C1"
    ax.plot([k] * len(accs), accs, "o", color=color, alpha=0.45)
    ax.bar(k, np.mean(accs), color=color, alpha=0.9 if chosen else 0.3,
           edgecolor="black" if chosen else "none",
           label=None if not chosen else f"chosen on validation: {name}")
ax.set_xticks(range(len(configs)), [name.replace(" λ", "\nλ") for name, _, _ in configs])
ax.set_ylim(min(r["test_acc"] for rs in results.values() for r in rs) - 0.05, None)
ax.set(title=f"C05  small vs big+L2 MLPs, {EPOCHS} epochs, {len(SEEDS)} seeds (dots)",
       xlabel="model (2 hidden layers of width w; λ = L2 strength)",
       ylabel="MNIST-1D test accuracy")
ax.grid(True, axis="y", alpha=0.3)
ax.legend(loc="lower right")
lesson.figure(fig, "c05_big_vs_small")

# %%
margin = 2 * standard_error
status = ("REPRODUCED" if difference.mean() > margin
          else "NOT REPRODUCED" if difference.mean() < -margin else "NUANCED")
lesson.verdict(
    "C05", status,
    f"test acc {best_big} {big_test.mean():.3f} vs best small ({best_small}) "
    f"{small_test.mean():.3f}: {difference.mean():+.3f} ± {standard_error:.3f} s.e. over "
    f"{len(SEEDS)} seeds (rule: beyond 2 s.e.)",
    claim="A big model with regularization beats the best small unregularized one",
    figures=["c05_big_vs_small"])

# %% [markdown]
# Bigger networks are easier to optimize and, regularized, need not over-fit more. The
# unregularized big model (λ = 0) is shown too: it is usually already competitive — which is
# part of why the note's advice works — but its validation loss rises late in training (C06,
# C08), and the penalty is what keeps it there.

# %% [markdown]
# ## C06 — what high bias and high variance look like
#
# > 在神经网络中，偏差大的典型表现是：训练集loss就很高，模型怎么调整都学不好。
# > 而方差大的典型表现是：训练集loss很低，验证集loss很高。结果对随机种子极其敏感。(note 001)
# >
# > English: "In a neural network, high bias typically shows as a high training loss that no
# > tuning brings down. High variance shows as a low training loss with a high validation loss,
# > and results extremely sensitive to the random seed."
#
# From the runs above, with no regularization: the smallest MLP (width 16) and the big one
# (λ = 0), each over the same seeds.

# %%
tiny_name, huge_name = small_names[0], f"big w={BIG_WIDTH} λ=0"


def final(name: str, key: str) -> np.ndarray:
    """Per-seed value of a history list at the last epoch."""
    return np.array([getattr(r["history"], key)[-1] for r in results[name]])


summary = {}
for label, name in (("tiny", tiny_name), ("huge", huge_name)):
    train, val = final(name, "train_loss"), final(name, "val_loss")
    summary[label] = {"train": train.mean(), "val": val.mean(), "gap": (val - train).mean(),
                      "val_std": val.std(ddof=1), "val_acc_std": final(name, "val_acc").std(ddof=1)}
    print(f"{label} ({name}): train loss {train.mean():.3f}, val loss {val.mean():.3f}, "
          f"gap {summary[label]['gap']:.3f}, seed std of val loss {summary[label]['val_std']:.3f},"
          f" of val acc {summary[label]['val_acc_std']:.3f}")

# %%
fig, (ax_tiny, ax_huge) = subplots(1, 2, figsize=(11, 4), sharey=True)
epochs = np.arange(1, EPOCHS + 1)
for ax, label, name in ((ax_tiny, "tiny", tiny_name), (ax_huge, "huge", huge_name)):
    for k, r in enumerate(results[name]):
        ax.plot(epochs, r["history"].train_loss, color="C0", alpha=0.6,
                label="train loss (one line per seed)" if k == 0 else None)
        ax.plot(epochs, r["history"].val_loss, color="C3", alpha=0.6,
                label="validation loss" if k == 0 else None)
    ax.set(title=f"C06  {label}: {name}", xlabel="epoch", ylabel="cross-entropy")
    ax.grid(True, alpha=0.3)
    ax.legend()
lesson.figure(fig, "c06_bias_variance_curves")

# %%
tiny, huge = summary["tiny"], summary["huge"]
high_bias = tiny["train"] > 3 * huge["train"]
high_variance_gap = huge["gap"] > 3 * max(tiny["gap"], 1e-3)
seed_sensitive = huge["val_std"] > tiny["val_std"]
status = ("REPRODUCED" if high_bias and high_variance_gap and seed_sensitive
          else "NUANCED" if high_bias and high_variance_gap else "NOT REPRODUCED")
lesson.verdict(
    "C06", status,
    f"train loss tiny {tiny['train']:.3f} vs huge {huge['train']:.3f}; val−train gap "
    f"huge {huge['gap']:.3f} vs tiny {tiny['gap']:.3f}; seed std of val loss huge "
    f"{huge['val_std']:.3f} vs tiny {tiny['val_std']:.3f} ({len(SEEDS)} seeds)",
    claim="High bias: train loss high. High variance: train low, val high, strongly "
          "seed-dependent",
    figures=["c06_bias_variance_curves"])

# %% [markdown]
# The first two signatures are textbook and clear: the tiny model cannot bring its training
# loss down, the big one drives it towards zero while its validation loss turns up. The third,
# "extremely sensitive to the seed", is the one to check against the numbers above: the
# seed-to-seed spread of the big model's validation loss is compared with the tiny one's. Here
# the seed changes only the initialization and the batch order, not the data, and a wide
# network averages over many hidden units, so its *variance* (sensitivity to which training
# samples it saw) need not show up as sensitivity to the seed.

# %% [markdown]
# ## C07 — double descent
#
# > 目前观点认为，正则化只是增加模型的泛化性，和过拟合没关系，即使你疯狂过拟合（这里指train loss接近0），
# > 你的test也可以降，因为你加了正则。下面的图，横轴是模型规模。(note 000, on arXiv 1912.02292)
# >
# > English: "The current view: regularization only improves generalization and has nothing to
# > do with over-fitting; even if you over-fit wildly (train loss near 0), your test error can
# > still fall, because you regularized. In the figure below the horizontal axis is model size."
#
# The cleanest setting where the curve can be computed exactly is a *random-features* model:
# a hidden layer of p ReLU units with fixed random weights, φ(x) = relu(xV + b), and a linear
# readout W trained by least squares on one-hot targets. 10 % of the training labels are
# replaced by random ones (label noise, as in the paper). The readout has p·10 weights for n·10
# targets, so it can interpolate the training set exactly once p ≥ n: the *interpolation
# threshold* p = n.
#
# Training the readout by gradient descent from zero converges to the minimum-norm
# least-squares solution; near p = n that takes ~κ² steps (the features are nearly singular
# there), so we compute the end point directly: W = φ⁺T (the pseudo-inverse), and with an L2
# penalty λ, W = (φᵀφ + λn·I)⁻¹φᵀT, both from one singular value decomposition of φ. The
# features are computed with minigrad tensors.

# %%
N_DD = lesson.pick(full=1000, fast=200)
LABEL_NOISE = 0.1
DD_SEEDS = [lesson.seed + i for i in range(lesson.pick(full=3, fast=2))]
DD_WIDTHS = np.unique(np.geomspace(N_DD / 20, 6 * N_DD, lesson.pick(full=20, fast=14)).astype(int))
DD_LAMBDAS = [0.0, 1e-3, 1e-2]


def readouts(features: np.ndarray, targets: np.ndarray, lambdas: list[float]) -> list:
    """Least-squares readouts W for each λ from one SVD φ = U diag(s) Vᵀ:
    W = V diag(s / (s² + λn)) Uᵀ T, which is the ridge solution (φᵀφ + λn·I)⁻¹φᵀT for λ > 0
    and the minimum-norm pseudo-inverse solution φ⁺T for λ = 0 (singular values below
    1e-12·max dropped, as numpy's lstsq does)."""
    u, s, vt = np.linalg.svd(features, full_matrices=False)
    projected = u.T @ targets
    n = len(features)
    weights = []
    for lam in lambdas:
        if lam == 0:
            kept = s > 1e-12 * s.max()
            scale = np.where(kept, 1 / np.where(kept, s, 1), 0.0)
        else:
            scale = s / (s ** 2 + lam * n)
        weights.append(vt.T @ (scale[:, None] * projected))
    return weights


def random_features(x: np.ndarray, weight: mg.Tensor, bias: mg.Tensor) -> np.ndarray:
    return mg.relu(mg.tensor(x.astype(np.float64)) @ weight + bias).numpy()


test_error = np.zeros((len(DD_LAMBDAS), len(DD_SEEDS), len(DD_WIDTHS)))
train_mse = np.zeros_like(test_error)
for s, seed in enumerate(DD_SEEDS):
    rng = np.random.Generator(np.random.PCG64(seed))
    pick = rng.permutation(len(x_all))[:N_DD]
    x_dd, y_dd = x_all[pick], y_all[pick].copy()
    noisy = rng.random(N_DD) < LABEL_NOISE
    y_dd[noisy] = rng.integers(0, 10, noisy.sum())
    targets = np.eye(10)[y_dd]
    mg.manual_seed(seed)
    weight = mg.randn(40, DD_WIDTHS.max(), dtype=mg.float64) / np.sqrt(40)
    bias = mg.randn(DD_WIDTHS.max(), dtype=mg.float64)
    train_features = random_features(x_dd, weight, bias)
    test_features = random_features(x_test, weight, bias)
    for j, p in enumerate(DD_WIDTHS):
        for i, w in enumerate(readouts(train_features[:, :p], targets, DD_LAMBDAS)):
            predictions = test_features[:, :p] @ w
            test_error[i, s, j] = (predictions.argmax(1) != y_test).mean()
            train_mse[i, s, j] = ((train_features[:, :p] @ w - targets) ** 2).sum(1).mean()
mean_error = test_error.mean(1)
for i, lam in enumerate(DD_LAMBDAS):
    print(f"λ = {lam:g}: test error " + " ".join(f"{e:.2f}" for e in mean_error[i]))
print("widths p:", " ".join(map(str, DD_WIDTHS)))

# %%
fig, (ax_err, ax_train) = subplots(1, 2, figsize=(12, 4.3))
for i, lam in enumerate(DD_LAMBDAS):
    label = "no regularization (min-norm)" if lam == 0 else f"L2, λ = {lam:g}"
    ax_err.plot(DD_WIDTHS, mean_error[i], "o-", ms=3.5, color=f"C{i}", label=label)
    ax_err.fill_between(DD_WIDTHS, test_error[i].min(0), test_error[i].max(0), color=f"C{i}",
                        alpha=0.15)
    ax_train.plot(DD_WIDTHS, np.maximum(train_mse[i].mean(0), 1e-12), "o-", ms=3.5,
                  color=f"C{i}", label=label)
for ax in (ax_err, ax_train):
    ax.axvline(N_DD, color="gray", ls="--", lw=1)
    ax.set_xscale("log")
    ax.grid(True, alpha=0.3)
ax_err.text(N_DD * 1.05, ax_err.get_ylim()[1], " p = n (interpolation threshold)", va="top",
            fontsize=8, color="gray")
ax_err.set(title=f"C07  double descent: random-features MLP, n = {N_DD}, "
                 f"{LABEL_NOISE:.0%} label noise",
           xlabel="hidden units p (model size)",
           ylabel=f"test error (mean, band = range of {len(DD_SEEDS)} seeds)")
ax_train.set(yscale="log", title="C07  training loss (mean squared error)",
             xlabel="hidden units p (model size)", ylabel="train MSE (floored at 1e-12)")
ax_err.legend(fontsize=8)
ax_train.legend(fontsize=8)
lesson.figure(fig, "c07_double_descent")

# %%
def peak_height(errors: np.ndarray) -> tuple[float, int]:
    """(height, index) of the bump near p = n: the error at the worst width in [n/2, 2n] minus
    the lower of the best error below n/2 and the error at the largest width."""
    near = np.flatnonzero((DD_WIDTHS >= N_DD / 2) & (DD_WIDTHS <= 2 * N_DD))
    worst = near[np.argmax(errors[near])]
    baseline = min(errors[DD_WIDTHS < N_DD / 2].min(), errors[-1])
    return float(errors[worst] - baseline), int(worst)


height, at = peak_height(mean_error[0])
height_l2, _ = peak_height(mean_error[DD_LAMBDAS.index(1e-2)])
global_peak = int(np.argmax(mean_error[0]))
noise_level = 3 * test_error[0].std(0).max() / np.sqrt(len(DD_SEEDS))
has_peak = global_peak == at and height > max(0.02, noise_level)
descends_again = mean_error[0, -1] < mean_error[0, at] - max(0.02, noise_level)
flattened = height_l2 < 0.25 * height
interpolating = DD_WIDTHS >= 2 * N_DD
zero_train_falling_test = bool(train_mse[0][:, interpolating].max() < 1e-6
                               and mean_error[0, -1] < mean_error[0, interpolating][0])
if has_peak and descends_again and flattened and zero_train_falling_test:
    status = "REPRODUCED"
elif has_peak and descends_again:
    status = "NUANCED"
else:
    status = "NOT REPRODUCED"
lesson.verdict(
    "C07", status,
    f"test error peak {mean_error[0, at]:.2f} at p = {DD_WIDTHS[at]} (n = {N_DD}), "
    f"{height:.2f} above the best elsewhere; {mean_error[0, -1]:.2f} at p = {DD_WIDTHS[-1]} "
    f"with train MSE {train_mse[0][:, -1].max():.0e}; with L2 (λ = 1e-2) the bump is "
    f"{height_l2:.2f} ({len(DD_SEEDS)} seeds)",
    claim="Double descent: test error peaks near params ≈ samples, falls again for bigger "
          "models (train loss ~0); regularization removes the peak",
    figures=["c07_double_descent"])

# %% [markdown]
# The classical U-curve (left of the dashed line) and the modern regime (right of it) are one
# curve. At p = n the model has exactly enough freedom to fit every noisy label, and the only
# fit that does so is wild (huge weights along the features' smallest singular directions).
# With more features than samples there are many interpolating fits and the minimum-norm one
# is smooth, so the test error falls again while the training loss stays at zero. A small L2
# penalty refuses the wild fit and the peak disappears — the note's point that regularization
# is about generalization, not about keeping the training loss away from zero.
