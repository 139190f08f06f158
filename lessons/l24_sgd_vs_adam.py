# %% [markdown]
# # SGD or Adam? Two notes disagree (C47), and one learning rate for all (C50)
#
# > SGD **足够好用** ，但手动调整学习率对于获得良好效果至关重要。学习率初始值可以设置得较高（例如 0.1
# > 或 0.01）。随着训练的进行，每隔 k 个 epoch 将学习率减半 (note 000)
# >
# > English: "SGD is **good enough**, but tuning the learning rate by hand is essential. Start high
# > (e.g. 0.1 or 0.01) and halve it every k epochs as training goes on."
#
# > 不推荐sgdm，因为很慢。lrscheduler用torch.optim.lr_scheduler.CosineAnnealingLR … （用这个
# > lr_scheduler加上adam系的optimizer基本就不用怎么调学习率了）(note 004)
# >
# > English: "SGD-momentum is not recommended, it is slow. Use CosineAnnealingLR … (with this
# > scheduler and an Adam-family optimizer you hardly need to tune the learning rate)."
#
# The two notes **disagree** — **C47**. We measure both sides on the same tasks with the same
# number of epochs: note 000's side is about the *end result* (is SGD's final test accuracy as
# good as Adam's?), note 004's about *speed* (does SGD-momentum need more epochs?).
#
# > 对于大多数优化器，建议的初始学习率是 0.001。(note 000)
# >
# > English: "For most optimizers the suggested initial learning rate is 0.001." — **C50**

# %%
import numpy as np
from matplotlib.patches import Rectangle

import minigrad as mg
from lessons._lesson import Lesson
from lessons._train import evaluate, fit, mlp, mnist1d_with_validation
from minigrad import nn, optim
from minigrad.optim import lr_scheduler
from minigrad.plot import heatmap, subplots

lesson = Lesson("l24_sgd_vs_adam")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=3, fast=3))]
x_train, y_train, x_val, y_val, x_test, y_test = mnist1d_with_validation(
    n_train=lesson.pick(full=4000, fast=1000))
BATCH = lesson.pick(full=100, fast=50)

# %% [markdown]
# ## C47. SGD with step decay, SGD-momentum, Adam
#
# Two tasks: an MLP 40-100-10 and softmax regression on MNIST-1D, E epochs each. Methods:
# - **SGD, halve every E/4 epochs** (note 000), initial lr 0.1 or 0.01, whichever has the
#   better validation accuracy;
# - **SGD-momentum 0.9**, same halving, initial lr 0.1 or 0.01 chosen the same way;
# - **Adam 10⁻³ + cosine annealing** (note 004's recipe) and **Adam 10⁻³ constant**.
#
# Note 000's side holds on a task if the better SGD's test accuracy is within 1 point (or
# 2 standard errors) of the better Adam's. Note 004's side holds if SGD-momentum needs at
# least 1.5× the epochs Adam needs to remove 90 % of the training loss that Adam removes.

# %%
EPOCHS = lesson.pick(full=40, fast=8)
STEP = max(1, EPOCHS // 4)
METHODS = {
    "SGD, halve every E/4": (lambda ps, lr: optim.SGD(ps, lr=lr),
                             lambda o: lr_scheduler.StepLR(o, STEP, gamma=0.5), [0.1, 0.01]),
    "SGD-momentum 0.9, halve": (lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9),
                                lambda o: lr_scheduler.StepLR(o, STEP, gamma=0.5), [0.1, 0.01]),
    "Adam 1e-3 + cosine": (lambda ps, lr: optim.Adam(ps, lr=lr),
                           lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=EPOCHS), [1e-3]),
    "Adam 1e-3": (lambda ps, lr: optim.Adam(ps, lr=lr), None, [1e-3])}
TASKS = {"MLP": lambda: mlp([40, 100, 10]), "softmax regression": lambda: nn.Linear(40, 10)}


def train(task: str, method: str, lr: float, seed: int):
    """(train-loss curve, validation accuracy, test accuracy)."""
    make_optimizer, make_schedule, _ = METHODS[method]
    mg.manual_seed(seed)
    model = TASKS[task]()
    optimizer = make_optimizer(model.parameters(), lr)
    schedule = make_schedule(optimizer) if make_schedule else None
    losses = []
    for _ in range(EPOCHS):
        with np.errstate(over="ignore", invalid="ignore"):
            history = fit(model, optimizer, x_train, y_train, epochs=1, batch_size=BATCH)
        losses.append(history.train_loss[-1] if history.train_loss else np.inf)
        if not np.isfinite(losses[-1]):
            losses += [np.inf] * (EPOCHS - len(losses))
            break
        if schedule:
            schedule.step()
    return np.array(losses), evaluate(model, x_val, y_val)[1], evaluate(model, x_test, y_test)[1]


results, chosen_lr = {}, {}
for task in TASKS:
    for method, (_, _, lrs) in METHODS.items():
        chosen_lr[task, method] = max(lrs, key=lambda lr: train(task, method, lr, 100)[1]) \
            if len(lrs) > 1 else lrs[0]
        results[task, method] = [train(task, method, chosen_lr[task, method], s) for s in SEEDS]


def epochs_to(curve: np.ndarray, target: float) -> int:
    below = np.nonzero(curve <= target)[0]
    return int(below[0]) + 1 if below.size else EPOCHS + 1


sides = {}
for task in TASKS:
    test = {m: np.array([r[2] for r in results[task, m]]) for m in METHODS}
    best_sgd = max(("SGD, halve every E/4", "SGD-momentum 0.9, halve"), key=lambda m: test[m].mean())
    best_adam = max(("Adam 1e-3 + cosine", "Adam 1e-3"), key=lambda m: test[m].mean())
    gap = test[best_adam].mean() - test[best_sgd].mean()
    se = np.sqrt(test[best_adam].var(ddof=1) / len(SEEDS) + test[best_sgd].var(ddof=1) / len(SEEDS))
    adam_curve = np.mean([r[0] for r in results[task, "Adam 1e-3"]], 0)
    target = np.log(10) - 0.9 * (np.log(10) - adam_curve[-1])
    sgdm_curve = np.mean([r[0] for r in results[task, "SGD-momentum 0.9, halve"]], 0)
    speed_ratio = epochs_to(sgdm_curve, target) / epochs_to(adam_curve, target)
    sides[task] = {"000": gap <= max(0.01, 2 * se), "004": speed_ratio >= 1.5, "gap": gap,
                   "se": se, "speed": speed_ratio, "best_sgd": best_sgd, "best_adam": best_adam,
                   "test": test}

fig, axes = subplots(1, 3, figsize=(18, 4.8))
for ax, task in zip(axes, TASKS):
    for method in METHODS:
        curves = np.array([r[0] for r in results[task, method]])
        ax.semilogy(range(1, EPOCHS + 1), curves.mean(0),
                    label=f"{method} (η₀={chosen_lr[task, method]:g})")
    ax.set(xlabel="epoch", ylabel="training loss (mean of seeds)",
           title=f"C47: {task} on MNIST-1D, {len(SEEDS)} seeds")
    ax.legend(fontsize=8)
width = 0.2
for i, method in enumerate(METHODS):
    means = [sides[t]["test"][method].mean() for t in TASKS]
    stds = [sides[t]["test"][method].std() for t in TASKS]
    axes[2].bar(np.arange(len(TASKS)) + (i - 1.5) * width, means, width, yerr=stds, capsize=3,
                label=method)
axes[2].set_xticks(range(len(TASKS)), list(TASKS))
axes[2].set(ylabel="test accuracy (mean ± std)", title=f"C47: test accuracy after {EPOCHS} "
            "epochs", ylim=(0, 1))
axes[2].legend(fontsize=8)
lesson.figure(fig, "c47_sgd_vs_adam")

# %% [markdown]
# The verdict on a *disagreement*: NUANCED when each note's statement holds on at least one
# task (both are partly right, about different things), REPRODUCED when the disagreement
# resolves cleanly (one statement holds on every task, the other on none), NOT REPRODUCED when
# neither holds anywhere.

# %%
holds = {note: [sides[t][note] for t in TASKS] for note in ("000", "004")}
if any(holds["000"]) and any(holds["004"]):
    status = "NUANCED"
elif (all(holds["000"]) and not any(holds["004"])) or (all(holds["004"]) and not any(holds["000"])):
    status = "REPRODUCED"
else:
    status = "NOT REPRODUCED"
lesson.verdict(
    "C47", status,
    "; ".join(
        f"{t}: best SGD ({s['best_sgd']}) test {s['test'][s['best_sgd']].mean():.3f} vs best "
        f"Adam ({s['best_adam']}) {s['test'][s['best_adam']].mean():.3f} (gap {s['gap']:+.3f}, "
        f"2 s.e. {2 * s['se']:.3f}) → 000 {'holds' if s['000'] else 'fails'}; SGD-m needs "
        f"×{s['speed']:.1f} Adam's epochs → 004 {'holds' if s['004'] else 'fails'}"
        for t, s in sides.items()),
    claim="Note 000: SGD with a hand schedule is good enough; note 004: SGD-momentum is slow, "
          "use Adam + cosine. The notes disagree",
    figures=["c47_sgd_vs_adam"])

# %% [markdown]
# **What it means.** The two notes answer different questions. "Good enough" is about where
# training ends given a tuned schedule; "slow" is about how many epochs it takes, with the lr
# one happens to use. Read per task above which one the measurement supports.
#
# ## C50. Is 10⁻³ a good initial learning rate for most optimizers?
#
# The MLP on MNIST-1D, a short fixed budget, every optimizer at every lr of a grid (one seed:
# the lr effects span orders of magnitude, far above seed noise). "Good at 10⁻³" = lr 10⁻³
# removes ≥ 90 % of the training loss the optimizer's best lr removes (the rule of C45).

# %%
SWEEP_LRS = lesson.pick(full=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0],
                        fast=[1e-4, 1e-3, 1e-2, 1e-1, 1.0])
SWEEP_EPOCHS = lesson.pick(full=10, fast=3)
x_sweep, y_sweep = x_train[:lesson.pick(full=2000, fast=500)], y_train[:lesson.pick(full=2000, fast=500)]
OPTIMIZERS = {"SGD": lambda ps, lr: optim.SGD(ps, lr=lr),
              "SGD-m 0.9": lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9),
              "Adagrad": lambda ps, lr: optim.Adagrad(ps, lr=lr),
              "Adadelta": lambda ps, lr: optim.Adadelta(ps, lr=lr),
              "RMSprop": lambda ps, lr: optim.RMSprop(ps, lr=lr),
              "Adam": lambda ps, lr: optim.Adam(ps, lr=lr),
              "AdamW": lambda ps, lr: optim.AdamW(ps, lr=lr),
              "NAdam": lambda ps, lr: optim.NAdam(ps, lr=lr),
              "RAdam": lambda ps, lr: optim.RAdam(ps, lr=lr)}


def sweep_loss(name: str, lr: float) -> float:
    mg.manual_seed(lesson.seed)
    model = mlp([40, 100, 10])
    with np.errstate(over="ignore", invalid="ignore"):
        history = fit(model, OPTIMIZERS[name](model.parameters(), lr), x_sweep, y_sweep,
                      epochs=SWEEP_EPOCHS, batch_size=50)
    loss = history.train_loss[-1] if len(history.train_loss) == SWEEP_EPOCHS else np.nan
    return loss if np.isfinite(loss) and loss < 10 else np.nan


grid = np.array([[sweep_loss(name, lr) for lr in SWEEP_LRS] for name in OPTIMIZERS])
START = np.log(10)
best = np.nanmin(grid, axis=1)
at_default = grid[:, SWEEP_LRS.index(1e-3)]
share = (START - at_default) / (START - best)
best_lrs = [SWEEP_LRS[int(np.nanargmin(row))] for row in grid]

fig, ax = subplots(figsize=(11, 5.5))
heatmap(grid, [f"{lr:g}" for lr in SWEEP_LRS], list(OPTIMIZERS), ax=ax,
        title=f"C50: training loss after {SWEEP_EPOCHS} epochs (blank = diverged, red = best lr)", xlabel="learning rate", ylabel="optimizer",
        colorbar_label="training loss", cmap="viridis_r")
for i, lr in enumerate(best_lrs):
    ax.add_patch(Rectangle((SWEEP_LRS.index(lr) - 0.5, i - 0.5), 1, 1, fill=False,
                           edgecolor="red", lw=2))
ax.axvline(SWEEP_LRS.index(1e-3), color="white", ls=":", lw=1)
lesson.figure(fig, "c50_lr_sweep")

# %%
good = {name: bool(s >= 0.9) for name, s in zip(OPTIMIZERS, np.nan_to_num(share, nan=-1))}
fraction = np.mean(list(good.values()))
lesson.verdict(
    "C50", "REPRODUCED" if fraction >= 0.8 else "NOT REPRODUCED" if fraction <= 0.2
    else "NUANCED",
    f"1e-3 good for {sum(good.values())}/{len(good)}: " + ", ".join(
        f"{n} best {lr:g} ({s:.0%} at 1e-3)" for n, lr, s in zip(OPTIMIZERS, best_lrs, share)),
    claim="~1e-3 is a good initial lr for most optimizers",
    figures=["c50_lr_sweep"])

# %% [markdown]
# **What it means.** 10⁻³ is a sensible start for the optimizers that normalize the step by
# √E[g²] with an exponential average (RMSprop, the Adam family): their step is ≈ η per weight,
# so η sets the step size directly. Plain SGD's step is η·g and needs a larger η on a network
# whose gradients are small; Adagrad's sum shrinks the step over time and Adadelta's default
# lr is 1 — for them 10⁻³ is far too small.
