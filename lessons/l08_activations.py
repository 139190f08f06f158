# %% [markdown]
# # Activations: tanh vs sigmoid, and ReLU units that switch off (C27, C29, C30)
#
# | id | claim |
# |---|---|
# | C27 | tanh trains faster than sigmoid, because tanh′ ∈ (0, 1] while σ′ ∈ (0, ¼] |
# | C29 | With ReLU, "output zero" is trivially easy: a unit asked to output ~0 learns to keep its pre-activation negative; ELU avoids this |
# | C30 | Leaky ReLU / ELU resist dying units at high learning rates |

# %%
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import evaluate, fit, mlp, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l08_activations")
SEEDS = [lesson.seed + i for i in range(3)]
x_train, y_train, x_test, y_test = mnist1d_arrays(n_train=lesson.pick(full=2000, fast=600))

# %% [markdown]
# ## C27 — tanh trains faster than sigmoid
#
# > 为什么Tanh收敛速度比Sigmoid快？ $tanh'(x) = 1-tanh(x)^2 \in (0,1)$，$s'(x) = s(x)(1-s(x)) \in (0,\frac14]$。
# > 由上面两个公式可知tanh(x)梯度消失的问题比sigmoid轻，所以Tanh收敛速度比Sigmoid快。(note 002)
# >
# > English: "Why does tanh converge faster than sigmoid? tanh′ ∈ (0, 1), σ′ ∈ (0, ¼]. So tanh
# > suffers less from vanishing gradients than sigmoid, hence converges faster."
#
# There is a second, classical explanation (LeCun et al., "Efficient BackProp", 1998): tanh's
# outputs are centred on 0, sigmoid's on ½, and non-centred inputs slow the next layer down. To
# tell the two apart we add two activations that swap one property each:
#
# | activation | largest derivative | outputs centred on 0 |
# |---|---|---|
# | tanh(x) | 1 | yes |
# | σ(x) − ½ = ½·tanh(x/2) | ¼ | yes |
# | tanh(x) + 1 | 1 | no (centred on 1) |
# | σ(x) | ¼ | no (centred on ½) |
#
# An MLP with 5 hidden layers of 64 units (PyTorch's default initialization), SGD with momentum
# 0.9 at lr 0.1, batch 100, on MNIST-1D; we record the first layer's gradient norm at
# initialization and the epochs until the training accuracy reaches 40 % (chance is 10 %).
# A one-hidden-layer net with tanh and sigmoid shows how the gap depends on depth.

# %%
class Shifted(nn.Module):
    """f(x) + shift: moves an activation's outputs without changing its derivative."""

    def __init__(self, function, shift: float):
        super().__init__()
        self.function, self.shift = function, shift

    def forward(self, input):
        return self.function(input) + self.shift


ACTIVATIONS = {"tanh": nn.Tanh, "σ − ½": lambda: Shifted(mg.sigmoid, -0.5),
               "tanh + 1": lambda: Shifted(mg.tanh, 1.0), "sigmoid": nn.Sigmoid}
DEPTHS = {"5 hidden layers": 5, "1 hidden layer": 1}
TARGET = 0.4
EPOCHS_C27 = lesson.pick(full=30, fast=6)


def first_layer_gradient(model) -> float:
    model.zero_grad()
    F.cross_entropy(model(mg.tensor(x_train[:500])), mg.tensor(y_train[:500])).backward()
    return float(np.linalg.norm(model[0].weight.grad.numpy()))


def epochs_to(accuracies: list[float], target: float) -> int:
    """First epoch (1-based) with accuracy ≥ target, or len + 1 if never."""
    reached = [k for k, a in enumerate(accuracies, start=1) if a >= target]
    return reached[0] if reached else len(accuracies) + 1


c27 = {}
for depth_name, depth in DEPTHS.items():
    names = list(ACTIVATIONS) if depth == 5 else ["tanh", "sigmoid"]
    for name in names:
        runs = []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = mlp([40] + [64] * depth + [10], ACTIVATIONS[name])
            gradient = first_layer_gradient(model)
            history = fit(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                          x_train, y_train, epochs=EPOCHS_C27, batch_size=100)
            runs.append({"gradient": gradient, "curve": history.train_acc,
                         "epochs": epochs_to(history.train_acc, TARGET)})
        c27[depth_name, name] = runs
        shown = ["never" if r["epochs"] > EPOCHS_C27 else r["epochs"] for r in runs]
        print(f"{depth_name}, {name:8s}: first-layer |∇W| at init "
              f"{np.mean([r['gradient'] for r in runs]):.1e}; epochs to {TARGET:.0%}: {shown}")

# %%
fig, (ax_curve, ax_grad) = subplots(1, 2, figsize=(12, 4.2))
epochs = np.arange(1, EPOCHS_C27 + 1)
styles = {"tanh": ("C0", "-"), "σ − ½": ("C2", "-"), "tanh + 1": ("C4", "-"),
          "sigmoid": ("C1", "-")}
for (depth_name, name), runs in c27.items():
    color, _ = styles[name]
    ls = "-" if depth_name == "5 hidden layers" else ":"
    curve = np.mean([r["curve"] for r in runs], axis=0)
    ax_curve.plot(epochs[:len(curve)], curve, color=color, ls=ls, label=f"{name}, {depth_name}")
ax_curve.axhline(TARGET, color="gray", lw=0.8)
ax_curve.set(title="C27  training accuracy (mean of 3 seeds)", xlabel="epoch",
             ylabel="training accuracy")
deep = [name for name in ACTIVATIONS]
gradients = [[r["gradient"] for r in c27["5 hidden layers", name]] for name in deep]
ax_grad.bar(range(len(deep)), [np.mean(g) for g in gradients],
            color=[styles[name][0] for name in deep], alpha=0.8)
for k, g in enumerate(gradients):
    ax_grad.plot([k] * len(g), g, "ko", ms=3, label="one seed" if k == 0 else None)
ax_grad.set_xticks(range(len(deep)), [f"{name}\n(max f′ {'1' if 'tanh' in name else '¼'})"
                                      for name in deep])
ax_grad.set(yscale="log", title="C27  first-layer gradient norm at init, 5 hidden layers",
            xlabel="activation", ylabel="‖∂loss/∂W₁‖ (log scale)")
for ax in (ax_curve, ax_grad):
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
lesson.figure(fig, "c27_tanh_vs_sigmoid")

# %%
tanh_runs, sigmoid_runs = c27["5 hidden layers", "tanh"], c27["5 hidden layers", "sigmoid"]
tanh_epochs = np.array([r["epochs"] for r in tanh_runs])
sigmoid_epochs = np.array([r["epochs"] for r in sigmoid_runs])
gradient_ratio = np.mean([r["gradient"] for r in tanh_runs]) / \
    np.mean([r["gradient"] for r in sigmoid_runs])
faster = bool(np.all(tanh_epochs < sigmoid_epochs))
larger_gradient = gradient_ratio > 1
centred_epochs = np.array([r["epochs"] for r in c27["5 hidden layers", "σ − ½"]])
lesson.verdict(
    "C27", "REPRODUCED" if faster and larger_gradient else "NOT REPRODUCED",
    f"5 hidden layers: epochs to {TARGET:.0%} train acc tanh {tanh_epochs.tolist()} vs sigmoid "
    f"{['never' if e > EPOCHS_C27 else int(e) for e in sigmoid_epochs]} (budget {EPOCHS_C27}); "
    f"first-layer gradient ×{gradient_ratio:.0f}; centred σ−½ "
    f"{['never' if e > EPOCHS_C27 else int(e) for e in centred_epochs]}",
    claim="tanh trains faster than sigmoid (tanh′ ≤ 1, σ′ ≤ ¼)",
    figures=["c27_tanh_vs_sigmoid"])

# %% [markdown]
# In the deep net the gap is not "faster" but "trains vs does not train": each sigmoid layer
# multiplies the backward signal by at most ¼ (times a weight of size ~1/√64·…), so after five
# layers the first layer's gradient is orders of magnitude smaller. The 2×2 table separates the
# explanations: centring σ (σ − ½) does not rescue it, while moving tanh off centre
# (tanh + 1) slows it down but it still trains — the derivative bound the note names is the
# main effect here; centring matters too, but second. With one hidden layer the gap shrinks, as the note's argument predicts (one factor
# of ¼ instead of five).

# %% [markdown]
# ## C29 — "output zero" is trivially easy for ReLU
#
# > 如果你期望某个张量在不断地被计算的过程中，最后输出越小越好（接近 0），那么最好别使用 ReLU。……
# > 在进入 relu 函数之前，$x \cdot W$ 总是输出负数。……由于 relu 函数的负域总是输出 0，而我们的要求是在处理完
# > 一个批次后，memory 需要释放至 0，所以这个模块索性就让它永远等于 0 ……为了让神经网络不那么简单就学习到
# > 我们的要求……我使用 elu 替代了它。(note 002)
# >
# > English: "If you want a tensor to end up as small as possible (close to 0) as it is
# > computed, better not use ReLU. … Before the relu, x·W was always negative. … Since relu
# > outputs 0 on its whole negative side and we required the memory to be released to 0 after
# > each batch, the module simply kept it at 0 forever. … So that the network would not meet
# > the requirement so trivially, I replaced it with elu."
#
# **A small version of the note's memory module.** A classifier for MNIST-1D has a main path
# (40-64-10, ReLU) and a *memory* path: m = f(xW + b) with 64 units, read out by a linear layer
# and added to the logits. The memory must be "released to 0": a penalty γ·mean|m| is added to
# the loss. The memory helps the task, but the main path can do without it, so switching it
# off is cheap — exactly the trade the note describes. We measure the memory units'
# pre-activations z = xW + b on the training set for f = ReLU, LeakyReLU and ELU.

# %%
class MemoryNet(nn.Module):
    """Logits = main(x) + read(m), with the memory m = f(write(x)) kept for the penalty."""

    def __init__(self, activation: nn.Module):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(40, 64), nn.ReLU(), nn.Linear(64, 10))
        self.write, self.activation, self.read = nn.Linear(40, 64), activation, nn.Linear(64, 10)

    def forward(self, x):
        self.memory = self.activation(self.write(x))
        return self.main(x) + self.read(self.memory)


MEMORY_ACTIVATIONS = {"ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "ELU": nn.ELU}
GAMMAS = lesson.pick(full=[0.0, 1.0, 3.0], fast=[0.0, 3.0])
EPOCHS_C29 = lesson.pick(full=15, fast=5)
c29 = {}
for gamma in GAMMAS:
    for name, activation in MEMORY_ACTIVATIONS.items():
        runs = []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = MemoryNet(activation())
            fit(model, optim.Adam(model.parameters(), lr=1e-3), x_train, y_train,
                epochs=EPOCHS_C29, batch_size=100,
                penalty=lambda: gamma * model.memory.abs().mean())  # noqa: B023 (this model)
            with mg.no_grad():
                z = model.write(mg.tensor(x_train)).numpy()
            runs.append({"negative": float((z < 0).mean()),
                         "switched_off": float(((z < 0).mean(0) >= 0.99).mean()),
                         "near_zero": float((np.abs(z) < 0.1).mean()),
                         "test_acc": evaluate(model, x_test, y_test)[1], "z": z})
        c29[gamma, name] = runs
        print(f"γ = {gamma:g}, {name:9s}: pre-activations < 0: "
              f"{np.mean([r['negative'] for r in runs]):.0%}, units negative on ≥ 99 % of inputs: "
              f"{np.mean([r['switched_off'] for r in runs]):.0%}, |z| < 0.1: "
              f"{np.mean([r['near_zero'] for r in runs]):.0%}, test acc "
              f"{np.mean([r['test_acc'] for r in runs]):.3f}")

# %%
fig, (ax_neg, ax_hist) = subplots(1, 2, figsize=(12, 4.2))
LOOKS = {"ReLU": ("o", "-"), "LeakyReLU": ("s", "--"), "ELU": ("^", "-")}  # ReLU ≈ Leaky here
for k, name in enumerate(MEMORY_ACTIVATIONS):
    means = [np.mean([r["negative"] for r in c29[g, name]]) for g in GAMMAS]
    marker, ls = LOOKS[name]
    ax_neg.plot(GAMMAS, means, marker=marker, ls=ls, color=f"C{k}", label=name, mfc="none")
    for g in GAMMAS:
        ax_neg.plot([g] * len(SEEDS), [r["negative"] for r in c29[g, name]], ".", color=f"C{k}",
                    alpha=0.4)
ax_neg.axhline(0.5, color="gray", lw=0.8, ls=":")
ax_neg.set(title="C29  memory pre-activations that are negative", xlabel="γ (release penalty)",
           ylabel="fraction of z = xW + b below 0")
strongest = GAMMAS[-1]
bins = np.linspace(-1.5, 1.5, 61)
for k, name in enumerate(MEMORY_ACTIVATIONS):
    ax_hist.hist(np.clip(c29[strongest, name][0]["z"].ravel(), -1.5, 1.5), bins=bins,
                 histtype="step", lw=1.8, ls=LOOKS[name][1], color=f"C{k}", density=True,
                 label=name)
ax_hist.set(title=f"C29  memory pre-activations z at γ = {strongest:g} (seed 0)",
            xlabel="z (clipped to ±1.5)", ylabel="density")
for ax in (ax_neg, ax_hist):
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
lesson.figure(fig, "c29_memory_release")

# %%
def c29_mean(name: str, key: str) -> float:
    return float(np.mean([r[key] for r in c29[strongest, name]]))


relu_negative, elu_negative = c29_mean("ReLU", "negative"), c29_mean("ELU", "negative")
leaky_negative = c29_mean("LeakyReLU", "negative")
relu_off, elu_off = c29_mean("ReLU", "switched_off"), c29_mean("ELU", "switched_off")
relu_stays_negative = relu_negative >= 0.8 and relu_negative - elu_negative >= 0.2
fewer_switched_off = elu_off <= 0.5 * relu_off or relu_off - elu_off >= 0.1
status = ("REPRODUCED" if relu_stays_negative and fewer_switched_off
          else "NUANCED" if relu_stays_negative else "NOT REPRODUCED")
lesson.verdict(
    "C29", status,
    f"γ = {strongest:g}: z < 0 for ReLU {relu_negative:.0%} vs ELU {elu_negative:.0%} "
    f"(LeakyReLU {leaky_negative:.0%}) of memory pre-activations; units negative on ≥ 99 % of "
    f"inputs ReLU {relu_off:.0%} vs ELU {elu_off:.0%}; with ELU |z| < 0.1 for "
    f"{c29_mean('ELU', 'near_zero'):.0%} ({len(SEEDS)} seeds)",
    claim="With ReLU a unit asked to output ~0 keeps its pre-activation negative; ELU avoids it",
    figures=["c29_memory_release"])

# %% [markdown]
# The note's observation comes back in numbers: asked to release its memory, the ReLU module
# pushes its pre-activations below zero — the "all negative" x·W the note saw — because on
# that side the output is exactly 0 for free. ELU only outputs 0 at z = 0 exactly, so the same
# penalty pulls its pre-activations *onto* zero from both sides (the narrow peak in the
# histogram), where the unit still has slope ≈ 1 and can still add and subtract — what the note
# wanted. LeakyReLU behaves like ReLU here: its negative side outputs 0.01·z, almost free, so it
# is no cure for this particular problem.

# %% [markdown]
# ## C30 — Leaky ReLU and ELU resist dying at high learning rates
#
# > 激活函数用relu一般就够了，也可以试试leaky relu。(note 004) — and the ReLU family discussion
# > in note 002 (ReLU 家族 … 负域线性 / 负域非线性).
# >
# > English: "ReLU is usually enough for the activation; leaky relu is worth a try." The usual
# > reason given is that a large update can push a ReLU unit's pre-activation below zero for
# > every input; from then on it gets no gradient and is "dead" for good.
#
# An MLP 40-128-128-10 trained with SGD (momentum 0.9, batch 50) over a sweep of learning
# rates, 3 seeds each. A unit is **dead** when its activation passes less than 0.1 % of the
# gradient for every training input: f′(z) < 10⁻³ on the whole set (ReLU: z < 0 everywhere;
# ELU: z < −6.9 everywhere; LeakyReLU with slope 0.01 can never be dead by this definition, so
# we also report units whose z is negative on every input).

# %%
LRS = lesson.pick(full=[0.01, 0.03, 0.1, 0.2, 0.3], fast=[0.03, 0.3])
EPOCHS_C30 = lesson.pick(full=8, fast=3)
DERIVATIVES = {"ReLU": lambda z: (z > 0).astype(float),
               "LeakyReLU": lambda z: np.where(z > 0, 1.0, 0.01),
               "ELU": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))}


def unit_statistics(model, name: str) -> tuple[float, float]:
    """(dead fraction, all-negative fraction) over the hidden units of every hidden layer."""
    dead, negative = [], []
    h = mg.tensor(x_train)
    with mg.no_grad():
        for layer in list(model)[:-1]:
            h = layer(h)
            if isinstance(layer, nn.Linear):
                z = h.numpy()
                dead.append((DERIVATIVES[name](z) < 1e-3).all(0))
                negative.append((z < 0).all(0))
    return float(np.concatenate(dead).mean()), float(np.concatenate(negative).mean())


c30 = {}
for name, activation in MEMORY_ACTIVATIONS.items():
    for lr in LRS:
        runs = []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = mlp([40, 128, 128, 10], activation)
            history = fit(model, optim.SGD(model.parameters(), lr=lr, momentum=0.9), x_train,
                          y_train, epochs=EPOCHS_C30, batch_size=50)
            diverged = len(history.train_loss) < EPOCHS_C30 or \
                not np.isfinite(history.train_loss[-1])
            dead, negative = (np.nan, np.nan) if diverged else unit_statistics(model, name)
            runs.append({"dead": dead, "negative": negative, "diverged": diverged,
                         "test_acc": 0.1 if diverged else evaluate(model, x_test, y_test)[1]})
        c30[name, lr] = runs
        finite = [r for r in runs if not r["diverged"]]
        dead_text = f"{np.mean([r['dead'] for r in finite]):.0%}" if finite else "—"
        print(f"{name:9s} lr {lr:<5g}: dead {dead_text}, all-negative "
              f"{np.mean([r['negative'] for r in finite]) if finite else np.nan:.0%}, test acc "
              f"{np.mean([r['test_acc'] for r in runs]):.3f}, diverged "
              f"{sum(r['diverged'] for r in runs)}/{len(runs)}")

# %%
def c30_mean(name: str, lr: float, key: str) -> float:
    values = [r[key] for r in c30[name, lr] if not r["diverged"]]
    return float(np.mean(values)) if values else np.nan


fig, (ax_dead, ax_acc) = subplots(1, 2, figsize=(12, 4.2))
for k, name in enumerate(MEMORY_ACTIVATIONS):
    ax_dead.plot(LRS, [c30_mean(name, lr, "dead") for lr in LRS], "o-", color=f"C{k}",
                 label=f"{name}: dead (f′ < 1e-3 on every input)")
    ax_dead.plot(LRS, [c30_mean(name, lr, "negative") for lr in LRS], "x--", color=f"C{k}",
                 alpha=0.7, label=f"{name}: z < 0 on every input")
    ax_acc.plot(LRS, [np.mean([r["test_acc"] for r in c30[name, lr]]) for lr in LRS], "o-",
                color=f"C{k}", label=name)
ax_dead.set(xscale="log", title="C30  hidden units that died (mean of 3 seeds)",
            xlabel="learning rate (SGD, momentum 0.9)", ylabel="fraction of hidden units")
ax_acc.set(xscale="log", title="C30  test accuracy (diverged runs count as chance)",
           xlabel="learning rate (SGD, momentum 0.9)", ylabel="MNIST-1D test accuracy")
for ax in (ax_dead, ax_acc):
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
lesson.figure(fig, "c30_dying_units")

# %%
def mean_dead(name: str) -> float:
    """Dead fraction averaged over the learning rates where training stayed finite."""
    return float(np.nanmean([c30_mean(name, lr, "dead") for lr in LRS]))


relu_dead, leaky_dead, elu_dead = mean_dead("ReLU"), mean_dead("LeakyReLU"), mean_dead("ELU")
relu_dies = np.nanmax([c30_mean("ReLU", lr, "dead") for lr in LRS]) >= 0.1
resists = {name: mean_dead(name) < 0.5 * relu_dead for name in ("LeakyReLU", "ELU")}
if relu_dies and all(resists.values()):
    status = "REPRODUCED"
elif relu_dies and any(resists.values()):
    status = "NUANCED"
else:
    status = "NOT REPRODUCED"
worst_lr = LRS[int(np.nanargmax([c30_mean("ReLU", lr, "dead") for lr in LRS]))]
lesson.verdict(
    "C30", status,
    f"dead units averaged over lr {LRS[0]:g}–{LRS[-1]:g}: ReLU {relu_dead:.0%}, LeakyReLU "
    f"{leaky_dead:.0%}, ELU {elu_dead:.0%}; at lr {worst_lr:g} ReLU {c30_mean('ReLU', worst_lr, 'dead'):.0%}"
    f", ELU {c30_mean('ELU', worst_lr, 'dead'):.0%}, all-negative LeakyReLU units "
    f"{c30_mean('LeakyReLU', worst_lr, 'negative'):.0%} ({len(SEEDS)} seeds)",
    claim="Leaky ReLU / ELU resist dying units at high learning rates",
    figures=["c30_dying_units"])

# %% [markdown]
# Read the two panels together. At small learning rates no activation loses units. As the
# rate grows, ReLU units start dying: a large step pushes a unit's bias and weights so that
# z < 0 for every input, and with zero gradient nothing brings it back. LeakyReLU cannot die by
# construction (its slope on the negative side is 0.01), though many of its units may sit on
# the negative side for every input — alive but slow. ELU's negative side saturates at −1, so a
# unit pushed far negative is as stuck as a dead ReLU: whether ELU resists depends on how far
# the large steps push it, which the measurement above shows. And the accuracy panel is the
# practical bottom line: past a certain rate every activation trains badly, dead units or not.
