# %% [markdown]
# # Data augmentation (C69), greedy layer-wise pre-training (C70), hard vs soft constraints (C71)
#
# > ## 3.数据增强（EDA） 3.1词汇增强：基于词典进行替换：从文本中随机选取一个或多个词语，利用同义词词典将
# > 这一个或多个词语替换成同义词。(note 001, in its list of regularization strategies)
# >
# > English: "3. Data augmentation (EDA). 3.1 Word-level augmentation: dictionary replacement —
# > pick one or more words of the text at random and replace them with synonyms." The note lists
# > augmentation among the ways to fight over-fitting; its examples are for text. Our analogue
# > on MNIST-1D signals is a random shift, stretch, amplitude scale and noise. — **C69**
#
# > 网络越深，需要的训练样本数越多。若用监督则需大量标注样本，不然小规模样本容易造成过拟合。…
# > 解决方法：逐层贪婪训练，无监督预训练（unsupervised pre-training）即训练网络的第一个隐藏层，
# > 再训练第二个…最后用这些训练好的网络参数值作为整体网络参数的初始值。经过预训练最终能得到比较好的
# > 局部最优解。(note 002)
# >
# > English: "The deeper the network, the more training samples it needs; supervised training
# > then needs many labels, otherwise a small sample easily over-fits. … Solution: greedy
# > layer-wise training — unsupervised pre-training trains the first hidden layer, then the
# > second, … and uses the trained parameters as the initial values of the whole network.
# > Pre-training ends in a better local optimum." — **C70**
#
# > 正则化可以对模型施加某些限制，从而降低模型的有效容量。… 有些正则化策略是向模型添加额外的约束，
# > 如增加对参数的限制。这是对参数的硬约束。有些正则化策略是向目标函数增加额外项，这是对参数的软约束。
# > (note 001)
# >
# > English: "Regularization imposes restrictions on the model and so reduces its effective
# > capacity. … Some strategies add constraints to the model, such as limits on the parameters:
# > a hard constraint. Others add a term to the objective: a soft constraint." — **C71**

# %%
from itertools import pairwise

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import evaluate, mlp, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l46_data_and_constraints")
SEEDS = [lesson.seed + i for i in range(3)]
x_all, y_all, x_test, y_test = mnist1d_arrays()
BATCH = 64


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int, *, transform=None,
          penalty=None, after_step=None, loss_fn=F.cross_entropy, lr: float = 1e-3) -> nn.Module:
    """Adam on random batches of ``x, y`` for ``steps`` steps: each batch goes through
    ``transform`` (augmentation), the loss gets ``+ penalty()``, ``after_step()`` follows each
    step (a projection)."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        index = mg.random.generator().integers(0, len(x), min(BATCH, len(x)))
        batch = transform(x[index]) if transform else x[index]
        loss = loss_fn(model(mg.tensor(batch)), mg.tensor(y[index]))
        if penalty is not None:
            loss = loss + penalty()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step()
    return model


def test_accuracy(model: nn.Module) -> float:
    return evaluate(model, x_test, y_test)[1]


def log_ticks(ax, values) -> None:
    """A log x axis ticked at exactly ``values`` (matplotlib's minor labels would overlap)."""
    ax.set_xscale("log")
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.minorticks_off()


def mean_std(values) -> str:
    values = np.asarray(values)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


# %% [markdown]
# ## C69. Augmentation when data is scarce
#
# An MLP 40-128-128-10 (ReLU) trained with Adam for a fixed number of steps on the first N
# training samples, N ∈ {250, …, 4000}, with and without augmentation. The augmentation,
# drawn afresh for every batch with minigrad's generator, imitates how MNIST-1D itself was made:
# - **shift** by up to ±3 positions and **stretch** in time by a factor 0.85–1.15 about the
#   centre (linear interpolation, edge values repeated),
# - **amplitude scale** 0.8–1.2, and **Gaussian noise** of std 0.1 (the data have std 1).
#
# **Rule.** The gain at N is mean(test acc with) − mean(without) over the seeds, and it is
# *significant* when it exceeds 2 standard errors. REPRODUCED when the gain at the smallest N
# is significant and positive, and the gain at the largest N is smaller than at the smallest
# (shrinking); NUANCED when only one of the two holds; NOT REPRODUCED when augmentation does
# not help significantly at the smallest N and the gain does not shrink.

# %%
SIZES = lesson.pick(full=[250, 500, 1000, 2000, 4000], fast=[250, 1000, 4000])
AUG_STEPS = lesson.pick(full=2000, fast=300)


def augment(x: np.ndarray) -> np.ndarray:
    """Random shift (±3), time stretch (×0.85–1.15), amplitude scale (×0.8–1.2) and noise
    (σ = 0.1) of each row of ``x``."""
    rng = mg.random.generator()
    n, length = x.shape
    centre = (length - 1) / 2
    stretch = rng.uniform(0.85, 1.15, (n, 1))
    shift = rng.uniform(-3, 3, (n, 1))
    where = np.clip((np.arange(length) - centre) * stretch + centre + shift, 0, length - 1)
    left = np.minimum(np.floor(where).astype(np.int64), length - 2)
    weight = where - left
    resampled = (np.take_along_axis(x, left, 1) * (1 - weight)
                 + np.take_along_axis(x, left + 1, 1) * weight)
    scaled = resampled * rng.uniform(0.8, 1.2, (n, 1))
    return (scaled + rng.normal(0, 0.1, scaled.shape)).astype(np.float32)


def run_augmentation(n: int, augmented: bool, seed: int) -> float:
    mg.manual_seed(seed)
    model = train(mlp([40, 128, 128, 10]), x_all[:n], y_all[:n], AUG_STEPS,
                  transform=augment if augmented else None)
    return test_accuracy(model)


aug = {(n, a): [run_augmentation(n, a, s) for s in SEEDS] for n in SIZES for a in (False, True)}
gain = np.array([np.mean(aug[n, True]) - np.mean(aug[n, False]) for n in SIZES])
gain_se = np.array([np.sqrt(np.var(aug[n, True], ddof=1) / len(SEEDS)
                            + np.var(aug[n, False], ddof=1) / len(SEEDS)) for n in SIZES])

fig, axes = subplots(1, 3, figsize=(17, 4.6))
for a, label in ((False, "no augmentation"), (True, "shift + stretch + scale + noise")):
    table = np.array([aug[n, a] for n in SIZES])
    axes[0].errorbar(SIZES, table.mean(1), yerr=table.std(1, ddof=1), marker="o", capsize=3,
                     label=label)
log_ticks(axes[0], SIZES)
axes[0].set(xlabel="training samples N (log scale)", ylabel="test accuracy (mean ± std)",
            title=f"C69: MLP on MNIST-1D, {AUG_STEPS} Adam steps, {len(SEEDS)} seeds")
axes[0].legend(fontsize=8)
axes[1].errorbar(SIZES, gain, yerr=2 * gain_se, marker="o", capsize=3, color="C2",
                 label="gain = with − without (± 2 s.e.)")
axes[1].axhline(0, color="gray", lw=1)
log_ticks(axes[1], SIZES)
axes[1].set(xlabel="training samples N (log scale)", ylabel="test accuracy gain",
            title="C69: what augmentation adds, by data size")
axes[1].legend(fontsize=8)
mg.manual_seed(lesson.seed)
sample = x_all[:1]
for k, row in enumerate(augment(np.repeat(sample, 4, 0))):
    axes[2].plot(row, color="C1", alpha=0.6, lw=1, label="augmented copies" if k == 0 else None)
axes[2].plot(sample[0], color="k", lw=2, label=f"original (class {y_all[0]})")
axes[2].set(xlabel="position in the sequence", ylabel="value (standardized)",
            title="C69: one training signal and 4 augmentations")
axes[2].legend(fontsize=8)
lesson.figure(fig, "c69_augmentation")

# %%
helps_scarce = bool(gain[0] > 2 * gain_se[0] and gain[0] > 0)
shrinks = bool(gain[-1] < gain[0])
status = ("REPRODUCED" if helps_scarce and shrinks else
          "NUANCED" if helps_scarce or shrinks else "NOT REPRODUCED")
lesson.verdict(
    "C69", status,
    "gain by N: " + ", ".join(f"{n}: {g:+.3f} (2 s.e. {2 * s:.3f})"
                              for n, g, s in zip(SIZES, gain, gain_se))
    + f"; test acc at N={SIZES[0]}: {mean_std(aug[SIZES[0], False])} → "
      f"{mean_std(aug[SIZES[0], True])}, at N={SIZES[-1]}: {mean_std(aug[SIZES[-1], False])} → "
      f"{mean_std(aug[SIZES[-1], True])} ({len(SEEDS)} seeds)",
    claim="Data augmentation improves generalization when data is scarce, less as data grows",
    figures=["c69_augmentation"])

# %% [markdown]
# **What it means.** The augmentation encodes what we know about the signals — a digit shifted,
# stretched or louder is the same digit — and the network cannot learn that from a few hundred
# examples. Read the gain against N: a prior is worth most when the data are few, and the data
# themselves teach the invariance as N grows. (Augmentation is only as good as the prior: a
# transformation that changes the class would hurt at every N.)
#
# ## C70. Greedy layer-wise pre-training with few labels
#
# A deep sigmoid MLP 40-128-128-128-10, in three versions, fine-tuned (all layers, Adam 10⁻³,
# a fixed number of steps) on the first L labelled training samples, L ∈ {50, 200, 1000}:
# - **random init**: PyTorch's default initialization, trained from scratch on the L labels;
# - **greedy pre-training**: before the labels, the hidden layers are trained one at a time as
#   autoencoders on all 4000 *unlabelled* training inputs (layer k: encoder = the hidden layer
#   with its sigmoid, a linear decoder, reconstruction MSE of the previous layer's codes, input
#   corrupted by Gaussian noise of std 0.1 so the code cannot just copy); each next layer learns
#   on the codes of the frozen previous ones. The output layer starts random;
# - **modern baseline**: no pre-training, but ReLU + Kaiming-normal init + BatchNorm after each
#   hidden layer.
#
# **Rule** (5 seeds, 3 in fast mode; a gain counts when it exceeds 2 standard errors).
# Pre-training *helps* at L when it beats random init significantly. REPRODUCED: it helps at the
# smallest L and also beats the modern baseline there; NUANCED: it helps at some L vs random
# init, but the modern baseline does as well (within 2 s.e.) or better, or the help is not at
# the smallest L;
# NOT REPRODUCED: it helps at no L.

# %%
LABELS = [50, 200, 1000]
PRE_SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]
WIDTHS = [40, 128, 128, 128]
PRETRAIN_STEPS = lesson.pick(full=1000, fast=150)
FINETUNE_STEPS = lesson.pick(full=1000, fast=150)


def sigmoid_net() -> nn.Sequential:
    return mlp(WIDTHS + [10], activation=nn.Sigmoid)


def modern_net() -> nn.Sequential:
    layers = []
    for fan_in, fan_out in pairwise(WIDTHS):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        layers += [linear, nn.BatchNorm1d(fan_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTHS[-1], 10))


def noisy(x: np.ndarray) -> np.ndarray:
    return (x + mg.random.generator().normal(0, 0.1, x.shape)).astype(np.float32)


def pretrain(model: nn.Sequential) -> nn.Sequential:
    """Greedy layer-wise autoencoder training of ``model``'s hidden layers on all inputs."""
    codes = x_all
    hidden = [(model[i], model[i + 1]) for i in range(0, len(model) - 1, 2)]
    for linear, activation in hidden:
        autoencoder = nn.Sequential(linear, activation, nn.Linear(linear.out_features,
                                                                  linear.in_features))
        train(autoencoder, codes, codes, PRETRAIN_STEPS, transform=noisy, loss_fn=F.mse_loss)
        with mg.no_grad():
            codes = activation(linear(mg.tensor(codes))).data
    return model


def run_pretraining(seed: int) -> dict:
    """Test accuracy of the three versions at every label count, for one seed."""
    mg.manual_seed(seed)
    pretrained = pretrain(sigmoid_net()).state_dict()
    result = {}
    for labels in LABELS:
        x, y = x_all[:labels], y_all[:labels]
        for name, make in (("random init", sigmoid_net), ("greedy pre-training", sigmoid_net),
                           ("modern baseline", modern_net)):
            mg.manual_seed(seed + 1000)
            model = make()
            if name == "greedy pre-training":
                model.load_state_dict({k: v for k, v in pretrained.items()
                                       if not k.startswith(str(len(model) - 1))}, strict=False)
            result[name, labels] = test_accuracy(train(model, x, y, FINETUNE_STEPS))
    return result


pre_runs = [run_pretraining(s) for s in PRE_SEEDS]
ARMS = ("random init", "greedy pre-training", "modern baseline")
pre = {key: np.array([r[key] for r in pre_runs]) for key in pre_runs[0]}

fig, ax = subplots(figsize=(7.5, 4.8))
for k, arm in enumerate(ARMS):
    table = np.array([pre[arm, n] for n in LABELS])
    ax.errorbar(np.array(LABELS) * (1 + 0.04 * (k - 1)), table.mean(1),
                yerr=table.std(1, ddof=1), marker="o", capsize=3, label=arm)
log_ticks(ax, LABELS)
ax.set(xlabel="labelled training samples L (log scale)", ylabel="test accuracy (mean ± std)",
       title=f"C70: greedy AE pre-training vs random init, {len(PRE_SEEDS)} seeds")
ax.legend(fontsize=8)
lesson.figure(fig, "c70_pretraining")


# %%
def compare(a: str, b: str, n: int) -> tuple[float, float]:
    """(mean(a) − mean(b), 2 standard errors of that difference) at label count n."""
    return (float(pre[a, n].mean() - pre[b, n].mean()),
            float(2 * np.sqrt((pre[a, n].var(ddof=1) + pre[b, n].var(ddof=1)) / len(PRE_SEEDS))))


vs_random = {n: compare("greedy pre-training", "random init", n) for n in LABELS}
vs_modern = {n: compare("greedy pre-training", "modern baseline", n) for n in LABELS}
helps = {n: d > s for n, (d, s) in vs_random.items()}
smallest = LABELS[0]
if helps[smallest] and vs_modern[smallest][0] > vs_modern[smallest][1]:
    status = "REPRODUCED"
elif any(helps.values()):
    status = "NUANCED"
else:
    status = "NOT REPRODUCED"
lesson.verdict(
    "C70", status,
    "; ".join(f"L={n}: random {mean_std(pre['random init', n])}, pre-trained "
              f"{mean_std(pre['greedy pre-training', n])}, modern "
              f"{mean_std(pre['modern baseline', n])} (pre−random {vs_random[n][0]:+.3f}, "
              f"pre−modern {vs_modern[n][0]:+.3f}, 2 s.e. {vs_random[n][1]:.3f}/"
              f"{vs_modern[n][1]:.3f})" for n in LABELS) + f" ({len(PRE_SEEDS)} seeds)",
    claim="Greedy layer-wise unsupervised pre-training gives a deep net a better start when "
          "labels are few",
    figures=["c70_pretraining"])

# %% [markdown]
# **What it means.** Pre-training turns the unlabelled inputs into a starting point: the first
# layers begin as detectors of the input distribution instead of random projections. The note
# expects this to matter most when labels are few; read the gaps above per label count. In our
# full run it was the other way round: no gain at 50 labels (with so few, the network fits them
# from any start and the test accuracy is limited by the labels, not the start), a gain that
# grows with L over random init — the deep sigmoid net trains poorly from a random start, and
# pre-training partly cures that *optimization* problem. The modern recipe (ReLU, a
# variance-preserving init, BatchNorm) cures it better, with no pre-training at all, and was
# ahead at every label count: that is why the field dropped greedy pre-training.
#
# ## C71. Hard constraint (max-norm) vs soft constraint (L2 penalty)
#
# An MLP 40-128-128-10 (ReLU), Adam 10⁻³, on 1000 training samples (it over-fits them).
# - **Hard**: after every step, each unit's incoming weight vector (a row of every weight
#   matrix) is projected back into the ball of radius r: w ← w · min(1, r / ‖w‖).
# - **Soft**: λ · ½ Σ‖W‖² over the weight matrices is added to the loss.
#
# Both sweep from tight to loose; r = ∞ and λ = 0 are the same unregularized run. We record the
# test and training accuracy and the **achieved weight norm** ‖θ‖ = (Σ‖W‖²_F)^½ at the end.
#
# **Rule.** A constraint *cuts capacity* when its tightest setting lowers the training
# accuracy by at least 10 points below the unregularized run. The two trace *similar capacity
# curves* when, plotted against log ‖θ‖ on the norm range both reach, their test accuracies differ
# by at most max(2 points, 2 × the mean seed std) on average (linear interpolation in log ‖θ‖).
# REPRODUCED: both cut capacity and the curves are similar; NUANCED: both cut capacity but the
# curves differ; NOT REPRODUCED: one of them does not cut capacity.

# %%
N_CONSTRAINT = 1000
RADII = lesson.pick(full=[0.25, 0.5, 1.0, 2.0, 4.0], fast=[0.25, 1.0, 3.0])
LAMBDAS = lesson.pick(full=[1e-1, 3e-2, 1e-2, 3e-3, 1e-3], fast=[1e-1, 1e-2, 1e-3])
CONSTRAINT_STEPS = lesson.pick(full=1500, fast=250)


def weights(model: nn.Module) -> list:
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def max_norm_(model: nn.Module, radius: float) -> None:
    """Project each unit's incoming weight vector onto the ball ‖w‖ ≤ radius, in place."""
    with mg.no_grad():
        for weight in weights(model):
            norms = np.sqrt((weight.data ** 2).sum(1, keepdims=True))
            weight.data *= np.minimum(1.0, radius / np.maximum(norms, 1e-12))


def run_constraint(kind: str, value: float, seed: int) -> tuple[float, float, float]:
    """(test accuracy, training accuracy, ‖θ‖) after training with the constraint."""
    mg.manual_seed(seed)
    model = mlp([40, 128, 128, 10])
    x, y = x_all[:N_CONSTRAINT], y_all[:N_CONSTRAINT]
    if kind == "hard" and np.isfinite(value):
        max_norm_(model, value)
        train(model, x, y, CONSTRAINT_STEPS, after_step=lambda: max_norm_(model, value))
    elif kind == "soft" and value > 0:
        train(model, x, y, CONSTRAINT_STEPS,
              penalty=lambda: value * nn.utils.l2_penalty(weights(model)))
    else:
        train(model, x, y, CONSTRAINT_STEPS)
    norm = float(np.sqrt(sum((w.data.astype(np.float64) ** 2).sum() for w in weights(model))))
    return test_accuracy(model), evaluate(model, x, y)[1], norm


free = np.array([run_constraint("none", 0, s) for s in SEEDS])
hard = np.array([[run_constraint("hard", r, s) for s in SEEDS] for r in RADII])
soft = np.array([[run_constraint("soft", lam, s) for s in SEEDS] for lam in LAMBDAS])


def curve(table: np.ndarray, against) -> tuple[np.ndarray, np.ndarray]:
    """(mean ``against(rows)``, mean test accuracy) of a sweep plus the free run, sorted."""
    rows = np.concatenate([table, free[None]])
    x, test = against(rows).mean(1), rows[:, :, 0].mean(1)
    order = np.argsort(x)
    return x[order], test[order]


def curve_gap(against) -> tuple[float, float, float]:
    """(low, high, mean |Δ test accuracy|) of the two curves on the x range both reach."""
    (hard_x, hard_y), (soft_x, soft_y) = curve(hard, against), curve(soft, against)
    low, high = max(hard_x[0], soft_x[0]), min(hard_x[-1], soft_x[-1])
    grid = np.linspace(low, high, 50)
    gap = np.abs(np.interp(grid, hard_x, hard_y) - np.interp(grid, soft_x, soft_y)).mean()
    return float(low), float(high), float(gap)


low, high, norm_gap = curve_gap(lambda rows: np.log(rows[:, :, 2]))
# not part of the rule: the same comparison against the capacity actually used (train accuracy)
train_gap = curve_gap(lambda rows: rows[:, :, 1])[2]
seed_std = float(np.concatenate([table[:, :, 0].std(1, ddof=1) for table in (hard, soft)]).mean())
tolerance = max(0.02, 2 * seed_std)

fig, axes = subplots(1, 4, figsize=(22, 4.8))
for ax, table, values, xlabel, name in (
        (axes[0], hard, RADII, "max-norm radius r (log scale)", "hard: max-norm"),
        (axes[1], soft, LAMBDAS, "L2 penalty λ (log scale)", "soft: L2 penalty")):
    for column, label, style in ((0, "test", "-o"), (1, "train", "--s")):
        ax.errorbar(values, table[:, :, column].mean(1), yerr=table[:, :, column].std(1, ddof=1),
                    fmt=style, capsize=3, label=f"{label} accuracy")
        ax.axhline(free[:, column].mean(), color="gray", ls=":" if column else "-", lw=1,
                   label=f"{label}, unregularized")
    log_ticks(ax, values)
    ax.set(xlabel=xlabel, ylabel="accuracy (mean ± std)",
           title=f"C71: {name}, {N_CONSTRAINT} samples, {len(SEEDS)} seeds")
    ax.legend(fontsize=8)
for table, name, color in ((hard, "hard: max-norm", "C0"), (soft, "soft: L2 penalty", "C3")):
    for column, style, label in ((0, "-o", "test"), (1, "--s", "train")):
        axes[2].errorbar(table[:, :, 2].mean(1), table[:, :, column].mean(1),
                         yerr=table[:, :, column].std(1, ddof=1), fmt=style, color=color,
                         capsize=3, label=f"{name}, {label}")
axes[2].errorbar(free[:, 2].mean(), free[:, 0].mean(), yerr=free[:, 0].std(ddof=1), fmt="*k",
                 ms=12, label="unregularized, test")
axes[2].axvspan(np.exp(low), np.exp(high), color="gold", alpha=0.15, label="compared norm range")
axes[2].set_xscale("log")
axes[2].set(xlabel="achieved weight norm ‖θ‖ = (Σ‖W‖²)^½ (log scale)", ylabel="accuracy",
            title="C71: accuracy vs achieved norm")
axes[2].legend(fontsize=7)
for table, name, color in ((hard, "hard: max-norm", "C0"), (soft, "soft: L2 penalty", "C3")):
    axes[3].errorbar(table[:, :, 1].mean(1), table[:, :, 0].mean(1),
                     yerr=table[:, :, 0].std(1, ddof=1), fmt="-o", color=color, capsize=3,
                     label=name)
axes[3].errorbar(free[:, 1].mean(), free[:, 0].mean(), yerr=free[:, 0].std(ddof=1), fmt="*k",
                 ms=12, label="unregularized")
axes[3].set(xlabel="training accuracy (capacity used)", ylabel="test accuracy (mean ± std)",
            title="C71: test vs training accuracy")
axes[3].legend(fontsize=8)
lesson.figure(fig, "c71_hard_vs_soft")

# %%
drop = {name: float(free[:, 1].mean() - table[:, :, 1].mean(1).min())
        for name, table in (("hard", hard), ("soft", soft))}
cuts = all(d >= 0.10 for d in drop.values())
similar = bool(high > low and norm_gap <= tolerance)
status = ("REPRODUCED" if cuts and similar else "NUANCED" if cuts else "NOT REPRODUCED")
best_hard, best_soft = hard[:, :, 0].mean(1), soft[:, :, 0].mean(1)
lesson.verdict(
    "C71", status,
    f"train-acc drop at the tightest setting: hard {drop['hard']:.3f}, soft {drop['soft']:.3f} "
    f"(needs ≥ 0.10); test-acc gap between the curves over ‖θ‖ ∈ [{np.exp(low):.1f}, "
    f"{np.exp(high):.1f}]: {norm_gap:.3f} (tolerance {tolerance:.3f}; against training "
    f"accuracy instead: {train_gap:.3f}); best test: hard "
    f"r={RADII[int(best_hard.argmax())]:g} {best_hard.max():.3f}, soft "
    f"λ={LAMBDAS[int(best_soft.argmax())]:g} {best_soft.max():.3f}, unregularized "
    f"{mean_std(free[:, 0])} ({len(SEEDS)} seeds)",
    claim="A hard constraint (norm ball) and a soft one (penalty) both cut effective capacity",
    figures=["c71_hard_vs_soft"])

# %% [markdown]
# **What it means.** A penalty λ·½‖θ‖² is the Lagrangian of the constraint ‖θ‖ ≤ r: for every λ
# there is an r with the same optimum, so the two families are two parametrizations of one
# capacity knob. Both cut capacity here: tighten either and the training accuracy falls from
# 100 % towards chance, with the test accuracy peaking on the way. But max-norm bounds *each
# unit's* norm, not the total ‖θ‖ that the penalty controls — a unit cannot grow at the expense
# of the others — so at the same total norm the two networks are different networks, and the
# curves against ‖θ‖ need not coincide (under Adam a penalty in the loss is also rescaled per
# weight, unlike a projection). The fourth panel puts both on the axis of capacity actually
# used, the training accuracy; the verdict line gives the gap on both axes.
