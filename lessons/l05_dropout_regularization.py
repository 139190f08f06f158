# %% [markdown]
# # Dropout as a regularizer (C10, C12, C15, C17, C18, C19)
#
# Over-fitting (C10), co-adaptation (C12), weight norms (C15), a noisy training loss (C17),
# where to drop (C18), how much to drop (C19).
#
# > Dropout只用于"中间隐藏层"，而不会用于输入层和输出层……Dropout在隐藏层的作用是：强迫网络不要依赖某几个固定的神经元，
# > 而是学到更分散、更鲁棒的表示。(note 001)
# >
# > English: dropout is used only on the hidden layers, never on the input or output layer …
# > on hidden layers it forces the network not to rely on a few fixed neurons, and to learn
# > more spread-out, more robust representations.
#
# One setting for the whole lesson, chosen to over-fit: an MLP 40-256-256-10 (~78k
# parameters) trained on only a few hundred MNIST-1D samples with Adam (lr 1e-3, batches of
# 50) until the training set is fitted, then tested on the 1000 test samples. Every
# comparison is repeated over several seeds (same seed = same initial weights) and reported
# as mean ± standard deviation.

# %%
from itertools import pairwise

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from lessons._lesson import Lesson, status_of
from lessons._train import fit, mnist1d_arrays

CLAIMS = ["C10", "C12", "C15", "C17", "C18", "C19"]

lesson = Lesson("l05_dropout_regularization")
import matplotlib.pyplot as plt  # after Lesson, which selects the Agg backend

seeds = [lesson.seed + s for s in range(lesson.pick(full=5, fast=3))]
n_train = lesson.pick(full=500, fast=300)
epochs = lesson.pick(full=100, fast=12)
BATCH = 50
x, y, x_test, y_test = mnist1d_arrays(n_train=n_train)
print(f"{n_train} training samples, {len(x_test)} test samples, {epochs} epochs, "
      f"{len(seeds)} seeds")


def dropout_net(p_hidden=0.0, p_input=0.0, p_output=0.0, widths=(256, 256)):
    """[Dropout(p_input)] → (Linear → ReLU → Dropout(p_hidden)) per hidden layer → Linear →
    [Dropout(p_output)]. A Dropout with p = 0 is the identity, so every variant has the same
    layer indices."""
    sizes = (40, *widths)
    layers = [nn.Dropout(p_input)]
    for fan_in, fan_out in pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU(), nn.Dropout(p_hidden)]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 10), nn.Dropout(p_output))


def train(seed, **dropout):
    """A fresh ``dropout_net(**dropout)`` from ``seed``, trained; returns (model, History)."""
    mg.manual_seed(seed)
    model = dropout_net(**dropout)
    history = fit(model, optim.Adam(model.parameters(), lr=1e-3), x, y, epochs=epochs,
                  batch_size=BATCH, val=(x_test, y_test))
    return model, history


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def paired_stderr(differences):
    """Standard error of the mean of per-seed differences."""
    differences = np.asarray(differences, dtype=float)
    return differences.std(ddof=1) / np.sqrt(len(differences))


configs = {"no dropout": {}, "hidden p=0.5": {"p_hidden": 0.5},
           "hidden + input p=0.2": {"p_hidden": 0.5, "p_input": 0.2},
           "hidden + output p=0.2": {"p_hidden": 0.5, "p_output": 0.2}}
runs = {name: [train(seed, **options) for seed in seeds] for name, options in configs.items()}
test_acc = {name: np.array([h.val_acc[-1] for _, h in rs]) for name, rs in runs.items()}
train_acc = {name: np.array([h.train_acc[-1] for _, h in rs]) for name, rs in runs.items()}
for name in configs:
    print(f"  {name:22s} train acc {mean_std(train_acc[name])}  test acc "
          f"{mean_std(test_acc[name])}")

# %% [markdown]
# ## C10: dropout reduces over-fitting
#
# > 使用Dropout应对过拟合 (note 000) — English: use dropout against over-fitting.
#
# Over-fitting shows as a gap between training and test accuracy. Rule: with dropout (p = 0.5
# on both hidden layers) the gap is smaller *and* the test accuracy is higher, by more than two
# standard errors of the per-seed difference.

# %%
NONE, HIDDEN = "no dropout", "hidden p=0.5"
gap = {name: train_acc[name] - test_acc[name] for name in configs}
gain = test_acc[HIDDEN] - test_acc[NONE]
gap_smaller = gap[HIDDEN].mean() < gap[NONE].mean()
test_higher = gain.mean() > 2 * paired_stderr(gain)

fig, (ax_curve, ax_bar) = plt.subplots(1, 2, figsize=(12, 4.2))
for color, name in (("C0", NONE), ("C3", HIDDEN)):
    for split, style in (("train_acc", "--"), ("val_acc", "-")):
        curves = np.array([getattr(h, split) for _, h in runs[name]])
        label = f"{name}, {'train' if split == 'train_acc' else 'test'}"
        ax_curve.plot(np.arange(1, curves.shape[1] + 1), curves.mean(0), style, color=color,
                      label=label)
ax_curve.set(xlabel="epoch", ylabel="accuracy", title=f"C10 MLP on {n_train} MNIST-1D samples "
             f"(mean of {len(seeds)} seeds)")
ax_curve.legend(fontsize=8)
positions = np.arange(2)
for offset, (label, values) in zip((-0.2, 0.2), (("train − test gap", gap),
                                                  ("test accuracy", test_acc))):
    ax_bar.bar(positions + offset, [values[NONE].mean(), values[HIDDEN].mean()], width=0.4,
               yerr=[values[NONE].std(ddof=1), values[HIDDEN].std(ddof=1)], capsize=4,
               label=label)
ax_bar.set_xticks(positions, [NONE, HIDDEN])
ax_bar.set(ylabel="accuracy (final epoch)", title="C10 gap and test accuracy (± seed std)")
ax_bar.legend()
lesson.figure(fig, "c10_overfitting")

held = [gap_smaller, test_higher]
status = status_of(held)
lesson.verdict(
    "C10", status,
    f"train−test gap {gap[NONE].mean():.3f} → {gap[HIDDEN].mean():.3f} with dropout; test acc "
    f"{mean_std(test_acc[NONE])} → {mean_std(test_acc[HIDDEN])} (paired gain {gain.mean():+.3f}, "
    f"2 s.e. {2 * paired_stderr(gain):.3f}; {len(seeds)} seeds, {n_train} samples)",
    claim="Dropout reduces over-fitting: smaller train-test gap and higher test accuracy",
    figures=["c10_overfitting"])

# %% [markdown]
# Both networks reach (nearly) 100% training accuracy; dropout keeps them from memorizing as
# sharply, and the test accuracy is what moves. Dropout is no cure-all: the gap stays large
# on this little data, and a network can still fit its training set under p = 0.5.

# %% [markdown]
# ## C12: dropout reduces co-adaptation between hidden units
#
# > 这种每次屏蔽一部分神经元的方法，可以避免模型中神经元共适应(co adaptation) (note 000)
# >
# > English: masking part of the neurons each time keeps neurons from co-adapting.
#
# Two measures on the second hidden layer of the trained networks (eval mode, test set):
#
# * **correlation** (the catalogue's measure): the mean |Pearson correlation| over all pairs
#   of units that are not constant. Co-adapted units that act together should correlate.
# * **reliance on specific partners** (what co-adaptation means in Hinton et al. 2012): zero a
#   random half of the layer's units at test time (rescaling the rest by 2) and measure how
#   much accuracy drops, averaged over 20 random halves.
#
# Rule: REPRODUCED if dropout lowers both (the correlation by more than 2 paired s.e., the
# accuracy drop on average); NUANCED if only one; NOT REPRODUCED if neither.

# %%
def hidden_activations(model, upto=6):
    """The output of the second hidden layer's ReLU (module 5) on the test set."""
    h = mg.tensor(x_test)
    with mg.no_grad():
        for module in list(model.eval())[:upto]:
            h = module(h)
    return h.data


def mean_abs_correlation(h):
    alive = h.std(0) > 0
    corr = np.corrcoef(h[:, alive].T)
    return np.abs(corr[np.triu_indices_from(corr, k=1)]).mean(), corr, alive.mean()


def ablation_drop(model, trials=20):
    """Mean test-accuracy loss when a random half of hidden layer 2 is zeroed (×2 the rest)."""
    h = mg.tensor(hidden_activations(model))
    rest = list(model)[6:]
    full = _accuracy_from(h, rest)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(trials):
        mask = (rng.random(h.shape[1]) < 0.5) * 2.0
        losses.append(full - _accuracy_from(h * mg.tensor(mask.astype(np.float32)), rest))
    return float(np.mean(losses))


def _accuracy_from(h, modules):
    with mg.no_grad():
        for module in modules:
            h = module(h)
    return float((h.data.argmax(1) == y_test).mean())


coadapt = {}
for name in (NONE, HIDDEN):
    stats = [mean_abs_correlation(hidden_activations(model)) for model, _ in runs[name]]
    coadapt[name] = {"corr": np.array([s[0] for s in stats]), "matrix": stats[0][1],
                     "alive": np.array([s[2] for s in stats]),
                     "ablation": np.array([ablation_drop(model) for model, _ in runs[name]])}
corr_change = coadapt[HIDDEN]["corr"] - coadapt[NONE]["corr"]
corr_lower = corr_change.mean() < -2 * paired_stderr(corr_change)
ablation_lower = coadapt[HIDDEN]["ablation"].mean() < coadapt[NONE]["ablation"].mean()
for name in (NONE, HIDDEN):
    print(f"  {name:14s} mean |corr| {mean_std(coadapt[name]['corr'])}, live units "
          f"{coadapt[name]['alive'].mean():.0%}, accuracy lost when half the units are removed "
          f"{mean_std(coadapt[name]['ablation'])}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
bins = np.linspace(-1, 1, 41)
for name, color in ((NONE, "C0"), (HIDDEN, "C3")):
    matrix = coadapt[name]["matrix"]
    axes[0].hist(matrix[np.triu_indices_from(matrix, k=1)], bins=bins, alpha=0.5, density=True,
                 color=color, label=f"{name} (mean |r| {coadapt[name]['corr'][0]:.2f})")
axes[0].set(xlabel="correlation between two hidden units (layer 2, test set)",
            ylabel="density", title=f"C12 pairwise correlations (seed {seeds[0]})")
axes[0].legend(fontsize=8)
for ax, key, label, title in (
        (axes[1], "corr", "mean |correlation| between units", "C12 correlation"),
        (axes[2], "ablation", "test accuracy lost", "C12 reliance: remove half the units")):
    values = [coadapt[NONE][key], coadapt[HIDDEN][key]]
    ax.bar([NONE, HIDDEN], [v.mean() for v in values], yerr=[v.std(ddof=1) for v in values],
           capsize=4, color=["C0", "C3"])
    for i, v in enumerate(values):
        ax.scatter(np.full(len(v), i), v, color="k", s=10, zorder=3,
                   label="one seed" if i == 0 else None)
    ax.set(ylabel=label, title=f"{title} ({len(seeds)} seeds)")
    ax.legend(fontsize=8)
lesson.figure(fig, "c12_coadaptation")

held = [corr_lower, ablation_lower]
status = status_of(held)
lesson.verdict(
    "C12", status,
    f"mean |corr| of layer-2 units {mean_std(coadapt[NONE]['corr'])} → "
    f"{mean_std(coadapt[HIDDEN]['corr'])} with dropout; accuracy lost when half the units are "
    f"removed {coadapt[NONE]['ablation'].mean():.3f} → {coadapt[HIDDEN]['ablation'].mean():.3f} "
    f"({len(seeds)} seeds)",
    claim="Dropout reduces co-adaptation between hidden units",
    figures=["c12_coadaptation"])

# %% [markdown]
# The two measures need not agree, and the difference teaches something. A network trained
# with dropout cannot count on any particular partner unit, so it stops *relying* on specific
# partners: removing half of its units costs it far less. But the cheapest way to survive
# random removal is redundancy — several units carrying the same feature — and redundant units
# are *correlated*. So "less co-adaptation" means less dependence between units, which is not
# the same as less correlation; the correlation measure can go either way.

# %% [markdown]
# ## C15: dropout shrinks the squared norm of the weights, like L2
#
# > 通过传播所有权重，dropout将产生收缩权重的平方范数的效果，和之前讲的L2正则化类似 (note 002)
# >
# > English: by spreading out the weights, dropout has the effect of shrinking the squared
# > norm of the weights, similar to L2 regularization.
#
# Compare ‖W‖² (squared Frobenius norm of each weight matrix) after training with and without
# dropout, same seeds. Rule: total ‖W‖² smaller with dropout for every seed → REPRODUCED;
# larger for every seed → NOT REPRODUCED; mixed → NUANCED.

# %%
def weight_norms(model):
    return np.array([float((m.weight.data.astype(np.float64) ** 2).sum())
                     for m in model if isinstance(m, nn.Linear)])


norms = {name: np.array([weight_norms(model) for model, _ in runs[name]])
         for name in (NONE, HIDDEN)}
mg.manual_seed(seeds[0])
initial_norms = weight_norms(dropout_net())
totals = {name: value.sum(1) for name, value in norms.items()}
smaller = totals[HIDDEN] < totals[NONE]
status = ("REPRODUCED" if smaller.all() else "NOT REPRODUCED" if not smaller.any()
          else "NUANCED")

fig, ax = plt.subplots(figsize=(7.5, 4.2))
layer_names = ["layer 1 (40→256)", "layer 2 (256→256)", "layer 3 (256→10)"]
positions = np.arange(3)
ax.bar(positions - 0.27, initial_norms, width=0.27, color="0.7", label="at initialization")
for offset, (name, color) in zip((0.0, 0.27), ((NONE, "C0"), (HIDDEN, "C3"))):
    ax.bar(positions + offset, norms[name].mean(0), width=0.27, yerr=norms[name].std(0, ddof=1),
           capsize=3, color=color, label=f"after training, {name}")
ax.set_xticks(positions, layer_names)
ax.set(xlabel="weight matrix", ylabel="‖W‖² (squared Frobenius norm)",
       title=f"C15 weight norms with and without dropout ({len(seeds)} seeds)")
ax.legend()
lesson.figure(fig, "c15_weight_norms")

per_layer = ", ".join(f"{a:.0f}→{b:.0f}" for a, b in zip(norms[NONE].mean(0),
                                                         norms[HIDDEN].mean(0)))
lesson.verdict(
    "C15", status,
    f"total ‖W‖² {mean_std(totals[NONE])} without → {mean_std(totals[HIDDEN])} with dropout "
    f"(smaller in {smaller.sum()}/{len(seeds)} seeds); per layer {per_layer}",
    claim="Dropout shrinks the squared norm of the weights, like L2",
    figures=["c15_weight_norms"])

# %% [markdown]
# Read the bars layer by layer. The argument in the note (a unit cannot trust any single input,
# so it spreads its weight over many) predicts smaller, more even weights; the theory behind
# "dropout ≈ adaptive L2" (Wager et al., 2013) says the same for the *expected* training
# objective. What the optimizer actually reaches can differ: inverted dropout multiplies the
# surviving activations by 1/(1-p) = 2 during training, and the network has to fit the data
# through thinned layers, which can ask for *larger* weights, not smaller. Whatever the bars
# show for your run, compare them with the initialization: most of the change is
# what training adds, and dropout changes how much.

# %% [markdown]
# ## C17: with dropout the training loss is noisy; check it with dropout off
#
# > dropout一大缺点就是代价函数J不再被明确定义，每次迭代，都会随机移除一些结点，如果再三检查梯度下降的性能，实际上是很难进行复查的。(note 002)
# >
# > English: a big drawback of dropout is that the cost J is no longer well defined: each
# > iteration removes random nodes, so checking gradient descent's progress is hard.
#
# An explicit training loop (the network with p = 0.5 on the hidden layers) that records, at
# every step, the loss the optimizer sees (training mode, with masks) *and* the loss of the
# same mini-batch with dropout off (eval mode, no graph). Both curves share the mini-batch
# noise; only the first has mask noise. Roughness = the standard deviation of the
# step-to-step change. Rule: the training-mode curve is rougher in every seed.

# %%
def train_recording_both_losses(seed, steps):
    mg.manual_seed(seed)
    model = dropout_net(p_hidden=0.5)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    train_mode, eval_mode = [], []
    generator = mg.random.generator()
    while len(train_mode) < steps:
        order = generator.permutation(n_train)
        for start in range(0, n_train - BATCH + 1, BATCH):
            xb, yb = mg.tensor(x[order[start:start + BATCH]]), mg.tensor(y[order[start:start + BATCH]])
            loss = F.cross_entropy(model.train()(xb), yb)       # what the optimizer minimizes
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with mg.no_grad():                                  # the same batch, dropout off
                eval_mode.append(F.cross_entropy(model.eval()(xb), yb).item())
            train_mode.append(loss.item())
    return np.array(train_mode[:steps]), np.array(eval_mode[:steps])


steps17 = lesson.pick(full=400, fast=60)
curves17 = [train_recording_both_losses(seed, steps17) for seed in seeds]
roughness = np.array([[np.diff(curve).std() for curve in pair] for pair in curves17])
ratio = roughness[:, 0] / roughness[:, 1]
offset17 = np.array([(tm - em).mean() for tm, em in curves17])
print(f"  roughness train-mode / eval-mode per seed: {np.round(ratio, 2)}; train-mode loss "
      f"above eval-mode by {offset17.mean():.3f} on average")

fig, (ax_curve, ax_ratio) = plt.subplots(1, 2, figsize=(12, 4.2),
                                         gridspec_kw={"width_ratios": [2.2, 1]})
train_mode, eval_mode = curves17[0]
ax_curve.plot(train_mode, color="C3", lw=0.8, label="training mode (what backward sees)")
ax_curve.plot(eval_mode, color="C0", lw=0.8, label="same batch, dropout off (eval mode)")
ax_curve.set(xlabel="step", ylabel="mini-batch cross-entropy",
             title=f"C17 the loss with dropout on and off (seed {seeds[0]})")
ax_curve.legend()
ax_ratio.bar(range(len(seeds)), ratio, color="C3")
ax_ratio.axhline(1, color="k", ls="--", lw=1, label="equally rough")
ax_ratio.set_xticks(range(len(seeds)), [f"seed {s}" for s in seeds])
ax_ratio.set(ylabel="roughness train mode / eval mode", title="C17 roughness ratio")
ax_ratio.set_ylim(0, 1.3 * max(ratio.max(), 1))
ax_ratio.legend(loc="upper right")
lesson.figure(fig, "c17_noisy_loss")

status = "REPRODUCED" if (ratio > 1).all() else ("NUANCED" if (ratio > 1).any()
                                                 else "NOT REPRODUCED")
lesson.verdict(
    "C17", status,
    f"std of step-to-step loss change, train mode / eval mode = {ratio.mean():.2f} "
    f"(min {ratio.min():.2f}, {len(seeds)} seeds, {steps17} steps); train-mode loss higher by "
    f"{offset17.mean():.3f} on average",
    claim="With dropout the training loss is noisy and not well defined; check it with "
          "dropout off",
    figures=["c17_noisy_loss"])

# %% [markdown]
# The loss that backward sees is a random variable twice over: over the mini-batch and over
# the masks. Evaluating the same batch with `model.eval()` removes the mask noise (and the
# upward bias of thinned networks), giving a curve you can read for progress — the practical
# answer to the note's complaint. `lessons._train.fit` reports eval-mode losses for exactly this
# reason.

# %% [markdown]
# ## C18: don't apply dropout to the input or output layer
#
# > 输入层和输出层的神经元不会被删除……如果对输入层做dropout，这是人为制造“缺失特征”……如果对输出层做Dropout，等价于随机“删除某些类别”。(note 001)
# >
# > English: input and output neurons are never dropped … dropout on the input fabricates
# > "missing features" … dropout on the output amounts to randomly "deleting some classes".
#
# Three networks with the same hidden dropout (p = 0.5), trained as in C10: hidden only,
# plus input dropout (p = 0.2, the rate Srivastava et al. used for inputs), plus dropout on
# the output logits (p = 0.2). Rule: REPRODUCED if hidden-only has the best mean test accuracy
# and output dropout is worse than hidden-only by more than 2 paired s.e.; NOT REPRODUCED if
# neither holds; NUANCED otherwise.

# %%
INPUT, OUTPUT = "hidden + input p=0.2", "hidden + output p=0.2"
variants = [NONE, HIDDEN, INPUT, OUTPUT]
output_loss = test_acc[HIDDEN] - test_acc[OUTPUT]
input_loss = test_acc[HIDDEN] - test_acc[INPUT]
hidden_best = test_acc[HIDDEN].mean() >= max(test_acc[INPUT].mean(), test_acc[OUTPUT].mean())
output_hurts = output_loss.mean() > 2 * paired_stderr(output_loss)

fig, ax = plt.subplots(figsize=(8, 4.2))
ax.bar(range(4), [test_acc[v].mean() for v in variants],
       yerr=[test_acc[v].std(ddof=1) for v in variants], capsize=4,
       color=["0.6", "C3", "C1", "C4"])
for i, v in enumerate(variants):
    ax.scatter(np.full(len(seeds), i), test_acc[v], color="k", s=10, zorder=3,
               label="one seed" if i == 0 else None)
ax.set_xticks(range(4), variants, fontsize=8)
low = min(test_acc[v].min() for v in variants)
ax.set(xlabel="where dropout is applied", ylabel="test accuracy (final epoch)",
       ylim=(low - 0.05, None),
       title=f"C18 where to put dropout ({len(seeds)} seeds, {n_train} samples)")
ax.legend()
lesson.figure(fig, "c18_where")

held = [hidden_best, output_hurts]
status = status_of(held)
lesson.verdict(
    "C18", status,
    f"test acc hidden-only {mean_std(test_acc[HIDDEN])}, +input {mean_std(test_acc[INPUT])}, "
    f"+output {mean_std(test_acc[OUTPUT])}; output dropout costs {output_loss.mean():+.3f} "
    f"(2 s.e. {2 * paired_stderr(output_loss):.3f}), input dropout {input_loss.mean():+.3f}",
    claim="Don't apply dropout to the input or output layers: hidden-only is best, output "
          "dropout hurts",
    figures=["c18_where"])

# %% [markdown]
# The note's two reasons are different in kind, and the bars can separate them. Input dropout
# deletes real measurements — the "missing features" of the note. It acts like data
# augmentation, so whether it helps depends on how redundant the inputs are: Srivastava et al.
# used it on MNIST's 784 strongly redundant pixels, while MNIST-1D has only 40 noisy values per
# sample, each carrying part of the signal. Output dropout sets a random class score to 0
# for one step (and doubles the others): noise on the logits, which the network can partly
# absorb by making the correct logit large. Compare each bar with hidden-only, and its
# difference with the seed spread, before believing either rule of thumb.

# %% [markdown]
# ## C19: wide layers want a higher drop rate, narrow layers a lower one or none
#
# > 若某一层神经元比较少，过拟合不严重，可以调小概率，甚至这层不使用dropout。若某一层神经元比较多，过拟合严重，可以调大概率。(note 001)
# >
# > English: if a layer has few neurons and over-fits little, lower the probability or use no
# > dropout; if it has many neurons and over-fits badly, raise the probability.
#
# A sweep: one hidden layer of width w (40 → w → 10), drop rate p on it, trained as above
# for each of three seeds; the best p is the one with the highest mean test accuracy. Rule: REPRODUCED
# if the best p never decreases as the width grows and is higher at the widest than at the
# narrowest layer; NOT REPRODUCED if the best p is the same at every width; NUANCED otherwise.

# %%
widths = lesson.pick(full=[16, 64, 256, 1024], fast=[16, 256])
rates = lesson.pick(full=[0.0, 0.2, 0.4, 0.6, 0.8], fast=[0.0, 0.5])
sweep_seeds = seeds[:3]
sweep = np.zeros((len(widths), len(rates), len(sweep_seeds)))
sweep_train = np.zeros_like(sweep)
for i, width in enumerate(widths):
    for j, rate in enumerate(rates):
        for k, seed in enumerate(sweep_seeds):
            mg.manual_seed(seed)
            model = dropout_net(p_hidden=rate, widths=(width,))
            history = fit(model, optim.Adam(model.parameters(), lr=1e-3), x, y, epochs=epochs,
                          batch_size=BATCH, val=(x_test, y_test))
            sweep[i, j, k], sweep_train[i, j, k] = history.val_acc[-1], history.train_acc[-1]
mean_sweep = sweep.mean(2)
best_p = np.array([rates[j] for j in mean_sweep.argmax(1)])
for width, row, best in zip(widths, mean_sweep, best_p):
    print(f"  width {width:5d}: test acc by p " + " ".join(f"{a:.3f}" for a in row) +
          f"  → best p {best}")

# %%
fig, (ax_heat, ax_best) = plt.subplots(1, 2, figsize=(12.5, 4.2), layout="constrained")
image = ax_heat.imshow(mean_sweep, cmap="YlGn", aspect="auto", origin="lower")
for i in range(len(widths)):
    best = mean_sweep[i].argmax()
    for j in range(len(rates)):
        ax_heat.text(j, i, f"{mean_sweep[i, j]:.3f}", ha="center", va="center", fontsize=9,
                     color="C3" if j == best else "k", fontweight="bold" if j == best else None)
    ax_heat.add_patch(plt.Rectangle((best - 0.5, i - 0.5), 1, 1, fill=False, ec="C3", lw=2))
ax_heat.set_xticks(range(len(rates)), [str(r) for r in rates])
ax_heat.set_yticks(range(len(widths)), [str(w) for w in widths])
ax_heat.set(xlabel="drop rate p", ylabel="hidden width",
            title=f"C19 test accuracy (mean of {len(sweep_seeds)} seeds; boxed = best p)")
fig.colorbar(image, ax=ax_heat, label="test accuracy")
for j, rate in enumerate(rates):
    ax_best.errorbar(widths, sweep[:, j].mean(1), yerr=sweep[:, j].std(1), marker="o",
                     capsize=3, label=f"p = {rate}")
ax_best.set(xscale="log", xlabel="hidden width", ylabel="test accuracy",
            title="C19 test accuracy vs width for each drop rate")
ax_best.set_xticks(widths, [str(w) for w in widths])
ax_best.minorticks_off()
ax_best.legend(fontsize=8)
lesson.figure(fig, "c19_width_rate")

monotone = bool(np.all(np.diff(best_p) >= 0)) and best_p[-1] > best_p[0]
constant = bool(np.all(best_p == best_p[0]))
status = "REPRODUCED" if monotone else ("NOT REPRODUCED" if constant else "NUANCED")
lesson.verdict(
    "C19", status,
    "best p by width: " + ", ".join(f"{w}→{p}" for w, p in zip(widths, best_p)) +
    f" ({len(sweep_seeds)} seeds, {n_train} samples); gain of best p over p=0: " +
    ", ".join(f"{w}: {mean_sweep[i].max() - mean_sweep[i, 0]:+.3f}"
              for i, w in enumerate(widths)),
    claim="Wide layers that over-fit want a higher drop rate; narrow ones a lower rate or none",
    figures=["c19_width_rate"])

# %% [markdown]
# Read the heat map row by row: each row is one width, the red number its best drop rate.
# A narrow layer has little capacity to waste, so removing half of it mostly removes signal;
# a wide layer has capacity to spare, and a high drop rate is what keeps it from memorizing.
# The gain column in the verdict line says how much the right p is worth at each width; where
# it is within the seed spread, the "best p" is a coin flip and the trend should be read
# with that in mind.
