# %% [markdown]
# # Learning-rate schedules: decay, warm-up, cosine, and the formulas (C51, C52, C53, C54)
#
# > 请注意，learning rate decay 并不是处理过拟合的手段，相反，它会使得模型越来越过拟合。因为学习率衰减
# > 本质是让模型在训练集上放慢脚步继续进一步拟合。(note 002, "如何继续收敛")
# >
# > English: "Note that learning-rate decay is not a means against over-fitting; on the contrary it
# > makes the model over-fit more and more, because decay essentially lets the model slow down and
# > keep fitting the training set further." — **C51**
#
# > Warmup是一种用于在训练开始阶段逐步增加学习率的策略，初期的学习率设置较低可以避免初始参数因为
# > 更新过大导致的不稳定。(note 003, "Warmup")
# >
# > English: "Warm-up increases the learning rate gradually at the start of training; a low initial
# > rate avoids the instability of too-large updates to the initial parameters." — **C52**
#
# > lrscheduler用torch.optim.lr_scheduler.CosineAnnealingLR，T_max设32或64，几个任务上试效果都不错。
# > (note 004)
# >
# > English: "For the lr scheduler use CosineAnnealingLR with T_max 32 or 64; it worked well on
# > several tasks." — **C53** (read as: with Adam, cosine annealing makes the result less
# > sensitive to the base lr)
#
# > 阶梯衰减 … 指数衰减 `lr = lr_0 * gamma^epoch` … 余弦退火 … 周期性学习率 … 线性 Warmup … 然后在
# > warmup 结束后使用学习率指数衰减 (note 003; note 002 lists step / multi-step / exponential /
# > cosine annealing with warm restart / warm up)
# >
# > English: "step decay … exponential decay lr = lr₀·γ^epoch … cosine annealing … cyclic learning
# > rate … linear warm-up, then exponential decay after the warm-up (the LambdaLR example)." — **C54**
#
# We start with the exact part (C54: does each scheduler produce its formula?), then the three
# behavioural claims on MNIST-1D.

# %%
import math

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import fit, mlp, mnist1d_arrays
from minigrad import optim
from minigrad.optim import lr_scheduler as sched
from minigrad.plot import subplots

lesson = Lesson("l30_schedules")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]

# %% [markdown]
# ## C54. Each schedule against its closed form
#
# One parameter, SGD with η₀ = 0.1; we read `param_groups[0]["lr"]` at steps t = 0 … 59 and
# compare it with the formula written out independently below. CyclicLR's triangle:
# cycle = ⌊1 + t/(2s)⌋, x = |t/s − 2·cycle + 1|, η = base + (max − base)·max(0, 1 − x).
# SGDR with T₀ = 10, T_mult = 2: periods 10, 20, 40, … and a cosine inside each.

# %%
T = 60
ETA0 = 0.1


def warmup_then_decay(epoch: int) -> float:
    """The note's LambdaLR example: linear warm-up over 5 epochs, then ×0.9 per epoch."""
    return epoch / 5 if epoch < 5 else 0.9 ** (epoch - 5)


def sgdr(t: int, t0: int = 10, mult: int = 2, eta_min: float = 0.0) -> float:
    """Cosine annealing with warm restarts, from the position t inside the current period."""
    period = t0
    while t >= period:
        t -= period
        period *= mult
    return eta_min + (ETA0 - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def triangle(t: int, base: float = 0.01, peak: float = 0.1, half: int = 10) -> float:
    cycle = math.floor(1 + t / (2 * half))
    x = abs(t / half - 2 * cycle + 1)
    return base + (peak - base) * max(0.0, 1 - x)


def slanted(t: int, total: int = 50, cut_frac: float = 0.1, ratio: float = 32) -> float:
    cut = math.floor(total * cut_frac)
    if t >= total:
        return ETA0 / ratio
    p = t / cut if t < cut else 1 - (t - cut) / (cut * (1 / cut_frac - 1))
    return ETA0 * (1 + p * (ratio - 1)) / ratio


SCHEDULES = {  # name: (make scheduler from an optimizer, closed form η(t))
    "StepLR(10, γ=0.5)": (lambda o: sched.StepLR(o, step_size=10, gamma=0.5),
                          lambda t: ETA0 * 0.5 ** (t // 10)),
    "MultiStepLR([15, 40], γ=0.1)": (lambda o: sched.MultiStepLR(o, [15, 40], gamma=0.1),
                                     lambda t: ETA0 * 0.1 ** (int(t >= 15) + int(t >= 40))),
    "ExponentialLR(γ=0.95)": (lambda o: sched.ExponentialLR(o, gamma=0.95),
                              lambda t: ETA0 * 0.95 ** t),
    "CosineAnnealingWarmRestarts(10, ×2)": (
        lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2), sgdr),
    "CyclicLR(0.01–0.1, triangular)": (
        lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10,
                                 cycle_momentum=False), triangle),
    "LambdaLR: warm-up 5 + ×0.9 (note 003)": (lambda o: sched.LambdaLR(o, warmup_then_decay),
                                              lambda t: ETA0 * warmup_then_decay(t)),
    "SlantedTriangularLR(50)": (lambda o: sched.SlantedTriangularLR(o, total_steps=50), slanted),
}


def scheduled_lrs(make) -> np.ndarray:
    """The lr the optimizer holds at steps 0 … T−1 under the scheduler ``make(optimizer)``."""
    optimizer = optim.SGD([mg.zeros(1, requires_grad=True)], lr=ETA0)
    scheduler = make(optimizer)
    lrs = []
    for _ in range(T):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(lrs)


steps = np.arange(T)
errors = {}
fig, axes = subplots(2, 4, figsize=(16, 6.5))
for ax, (name, (make, formula)) in zip(axes.flat, SCHEDULES.items()):
    got = scheduled_lrs(make)
    want = np.array([formula(t) for t in steps])
    errors[name] = float(np.max(np.abs(got - want)))
    ax.plot(steps, want, color="lightgray", lw=5, label="closed form")
    ax.plot(steps, got, ".", ms=4, color="C0", label="minigrad scheduler")
    ax.set_title(f"{name}\nmax |diff| = {errors[name]:.1e}", fontsize=9)
    ax.set_xlabel("step t")
    ax.set_ylabel("learning rate")
    ax.legend(fontsize=7)
axes.flat[-1].axis("off")
fig.suptitle("C54: each schedule's learning rate vs its closed form (η₀ = 0.1)")
lesson.figure(fig, "c54_schedules")
for name, error in errors.items():
    print(f"{name:40s} max |lr − formula| = {error:.2e}")

# %%
worst = max(errors.values())
lesson.verdict("C54", "REPRODUCED" if worst < 1e-12 else "NOT REPRODUCED",
               f"{len(errors)} schedules × {T} steps: max |lr − closed form| = {worst:.1e} "
               f"(rule: < 1e-12)",
               claim="Step, multi-step, exponential, SGDR, cyclic, warm-up + exponential decay "
                     "behave as their formulas say", figures=["c54_schedules"])

# %% [markdown]
# ## C51. Does decay fight over-fitting?
#
# MNIST-1D with only a few hundred training samples (easy to over-fit), MLP 40-64-64-10, SGD with
# momentum 0.9 at lr 0.1. Every run first trains HALF epochs at the constant lr; from that same
# point it either keeps the constant lr or decays it (StepLR: ×0.1 now, ×0.1 again half-way
# through the second half) for HALF more epochs. We compare the final training loss and the
# generalization gap (validation loss − training loss), mean over seeds.

# %%
x_train, y_train, x_val, y_val = mnist1d_arrays(n_train=lesson.pick(full=600, fast=300),
                                                n_test=lesson.pick(full=1000, fast=500))
HALF = lesson.pick(full=40, fast=15)


def train_epochs(model, optimizer, scheduler, epochs: int, batch_size: int = 50):
    """``fit`` one epoch at a time, stepping ``scheduler`` after each; per-epoch curves."""
    curves = {"train": [], "val": [], "lr": []}
    for _ in range(epochs):
        history = fit(model, optimizer, x_train, y_train, epochs=1, batch_size=batch_size,
                      val=(x_val, y_val))
        curves["train"].append(history.train_loss[-1])
        curves["val"].append(history.val_loss[-1])
        curves["lr"].append(optimizer.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
    return curves


runs51 = {"constant": [], "step decay": []}
for seed in SEEDS:
    mg.manual_seed(seed)
    model = mlp([40, 64, 64, 10])
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    first = train_epochs(model, optimizer, None, HALF)
    start = {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}
    for name in runs51:
        model.load_state_dict({k: mg.tensor(v) for k, v in start.items()})
        decay = name == "step decay"  # the first ×0.1 happens at the branch point
        optimizer = optim.SGD(model.parameters(), lr=0.01 if decay else 0.1, momentum=0.9)
        scheduler = sched.StepLR(optimizer, step_size=HALF // 2, gamma=0.1) if decay else None
        second = train_epochs(model, optimizer, scheduler, HALF)
        runs51[name].append({k: first[k] + second[k] for k in first})
final = {name: {key: np.array([r[key][-1] for r in runs]) for key in ("train", "val")}
         for name, runs in runs51.items()}
for name, f in final.items():
    gap = f["val"] - f["train"]
    print(f"{name:10s}: train loss {f['train'].mean():.4f} ± {f['train'].std():.4f}, "
          f"val loss {f['val'].mean():.3f}, gap {gap.mean():.3f} ± {gap.std():.3f}")

# %%
fig, ax = subplots(1, 1, figsize=(7.5, 4.5))
for color, (name, runs) in zip(("C0", "C3"), runs51.items()):
    ax.plot(np.mean([r["train"] for r in runs], 0), color=color, label=f"{name}: train")
    ax.plot(np.mean([r["val"] for r in runs], 0), "--", color=color, label=f"{name}: validation")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel(f"cross-entropy (mean of {len(SEEDS)} seeds)")
ax.axvline(HALF - 0.5, color="gray", ls=":", label="branch point (decay starts)")
ax.set_title("C51: constant lr vs decay from the same point")
ax.legend()
lesson.figure(fig, "c51_decay")

# %%
gap = {name: f["val"] - f["train"] for name, f in final.items()}
fits_further = final["step decay"]["train"].mean() < final["constant"]["train"].mean()
gap_not_smaller = gap["step decay"].mean() >= gap["constant"].mean()
status = ("REPRODUCED" if fits_further and gap_not_smaller
          else "NUANCED" if fits_further else "NOT REPRODUCED")
lesson.verdict("C51", status,
               f"final train loss {final['constant']['train'].mean():.4f} (constant) → "
               f"{final['step decay']['train'].mean():.4f} (decay); gap val−train "
               f"{gap['constant'].mean():.3f} → {gap['step decay'].mean():.3f} "
               f"({len(SEEDS)} seeds, {HALF}+{HALF} epochs)",
               claim="LR decay is not a cure for over-fitting: it lets the model fit the "
                     "training set further", figures=["c51_decay"])

# %% [markdown]
# ## C52. Warm-up at a large learning rate
#
# A deep plain network (6 hidden layers of 64, ReLU) trained with Adam, batch 100, at a modest
# (0.01) and a large (0.1) lr, with and without a linear warm-up (LinearLR from 1 % to 100 %
# over the first WARM steps). Adam's first steps are ±lr in every coordinate (its second-moment
# estimate is still one gradient), so a large lr kicks all weights at once. We record the loss
# at every step: its early peak and its final level.

# %%
x4k, y4k, _, _ = mnist1d_arrays(n_train=lesson.pick(full=4000, fast=1000))
STEPS52 = lesson.pick(full=400, fast=200)
WARM = lesson.pick(full=80, fast=40)


def step_losses(lr: float, warm: int, seed: int) -> np.ndarray:
    mg.manual_seed(seed)
    model = mlp([40] + [64] * 6 + [10])
    optimizer = optim.Adam(model.parameters(), lr=lr)
    warmup = sched.LinearLR(optimizer, start_factor=0.01, total_iters=warm) if warm else None
    losses = []
    for _ in range(STEPS52):
        index = mg.random.generator().integers(0, len(x4k), 100)
        loss = F.cross_entropy(model(mg.tensor(x4k[index])), mg.tensor(y4k[index]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if warmup is not None:
            warmup.step()
        losses.append(loss.item())
    return np.array(losses)


curves52 = {(lr, warm): [step_losses(lr, warm, seed) for seed in SEEDS]
            for lr in (0.01, 0.1) for warm in (0, WARM)}
peak = {key: np.array([np.nanmax(c[:2 * WARM]) for c in runs]) for key, runs in curves52.items()}
end = {key: np.array([np.nan_to_num(c[-20:].mean(), nan=np.inf) for c in runs])
       for key, runs in curves52.items()}
for (lr, warm), _ in curves52.items():
    print(f"lr {lr:<5} warm-up {warm:3d}: early peak loss {np.round(peak[lr, warm], 2)}, "
          f"final loss {np.round(end[lr, warm], 3)}")

# %%
fig, axes = subplots(1, 2, figsize=(13, 4.3))
for ax, lr in zip(axes, (0.01, 0.1)):
    for color, warm in (("C3", 0), ("C0", WARM)):
        for i, c in enumerate(curves52[lr, warm]):
            ax.plot(c, color=color, alpha=0.6, lw=0.8,
                    label=("no warm-up" if warm == 0 else f"linear warm-up {WARM} steps")
                    if i == 0 else None)
    ax.axvspan(0, WARM, color="C0", alpha=0.07)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (batch)")
    ax.set_title(f"C52: Adam lr = {lr}, MLP with 6 hidden layers ({len(SEEDS)} seeds)")
    ax.legend()
lesson.figure(fig, "c52_warmup")

# %%
# Rule at the large lr: without warm-up the loss spikes (early peak > 2 × ln 10, the loss at
# chance) in most seeds; with warm-up it does not, and it ends lower on average.
chance = math.log(10)
big = 0.1
spikes_without = int((peak[big, 0] > 2 * chance).sum())
spikes_with = int((peak[big, WARM] > 2 * chance).sum())
ends_lower = np.mean(np.minimum(end[big, WARM], 1e3)) < np.mean(np.minimum(end[big, 0], 1e3))
majority = len(SEEDS) // 2 + 1
status = ("REPRODUCED" if spikes_without >= majority and spikes_with < majority and ends_lower
          else "NUANCED" if spikes_without > spikes_with or ends_lower else "NOT REPRODUCED")
lesson.verdict("C52", status,
               f"lr {big}: early loss spike > 2·ln10 in {spikes_without}/{len(SEEDS)} seeds "
               f"without warm-up vs {spikes_with}/{len(SEEDS)} with; final loss "
               f"{np.mean(end[big, 0]):.2f} → {np.mean(end[big, WARM]):.2f}; "
               f"at lr 0.01 final {np.mean(end[0.01, 0]):.2f} vs {np.mean(end[0.01, WARM]):.2f}",
               claim="Warm-up stabilizes the start of training at large lr",
               figures=["c52_warmup"])

# %% [markdown]
# ## C53. Cosine annealing with Adam: less lr tuning?
#
# MLP 40-64-64-10 with Adam at base lrs 1e-4 … 3e-2, constant vs CosineAnnealingLR with T_max =
# the number of epochs (32 in full mode, the note's value). Sensitivity to the base lr = the
# spread (max − min over the lr grid) of the final validation loss, seed-averaged.

# %%
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
EPOCHS53 = lesson.pick(full=32, fast=8)
final53 = {"constant": [], "cosine": []}
for name in final53:
    for lr in LRS:
        vals = []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = mlp([40, 64, 64, 10])
            optimizer = optim.Adam(model.parameters(), lr=lr)
            scheduler = sched.CosineAnnealingLR(optimizer, T_max=EPOCHS53) \
                if name == "cosine" else None
            vals.append(train_epochs(model, optimizer, scheduler, EPOCHS53, batch_size=100)
                        ["val"][-1])
        final53[name].append(np.mean(vals))
spread = {name: max(v) - min(v) for name, v in final53.items()}
for name, values in final53.items():
    print(f"{name:8s}: final val loss per lr {np.round(values, 3)} → spread {spread[name]:.3f}")

# %%
fig, ax = subplots(1, 1, figsize=(7, 4.3))
for name, values in final53.items():
    ax.plot(LRS, values, "o-", label=f"{name} (spread {spread[name]:.2f})")
ax.set_xscale("log")
ax.set_xlabel("Adam base learning rate")
ax.set_ylabel(f"final validation loss (mean of {len(SEEDS)} seeds)")
ax.set_title(f"C53: Adam, constant vs cosine (T_max = {EPOCHS53} epochs)")
ax.legend()
lesson.figure(fig, "c53_cosine")

# %%
lesson.verdict("C53", "REPRODUCED" if spread["cosine"] < spread["constant"] else
               "NOT REPRODUCED",
               f"spread of final val loss over lr ∈ [1e-4, 3e-2]: constant "
               f"{spread['constant']:.3f}, cosine {spread['cosine']:.3f}; best "
               f"{min(final53['constant']):.3f} vs {min(final53['cosine']):.3f} "
               f"({len(SEEDS)} seeds, {EPOCHS53} epochs)",
               claim="Cosine annealing (T_max 32–64) with Adam needs little lr tuning",
               figures=["c53_cosine"])

# %% [markdown]
# ## What it means
#
# The schedulers are exact implementations of their formulas (C54), so the behavioural results
# are about the schedules, not the code.
#
# C51 has two halves, and the figure separates them. "Decay lets the model fit the training set
# further" holds once the constant-lr run is at its noise floor: after the branch point the
# decayed run's training loss drops smoothly, far below the constant run's noisy plateau (in
# fast mode, with few epochs, the constant run is still descending and the comparison can go
# the other way). "It makes the model over-fit more" did not hold here: the validation loss of
# the constant-lr run keeps rising (ever more confident mistakes), while decay freezes it, so
# the measured gap is *smaller* with decay. Decay is no cure for over-fitting — the gap stays
# large — but it is not what causes it either.
#
# Warm-up matters when the first updates are too large for the initial weights (C52): at a
# modest lr it changes little, at a large one it decides whether the network trains at all.
# Cosine annealing ends every run at a small lr, which damps the penalty of a too-large base lr
# (C53); it does not rescue a too-small one, so "little tuning" means a wider good range, not
# no tuning.
