# %% [markdown]
# # Exploding gradients and clipping (C58); over-fit a tiny set first (C62)
#
# > 梯度裁剪（gradient clipping）：设置梯度范围阈值，避免梯度过大导致的梯度爆炸。(note 003)
# >
# > English: "Gradient clipping: set a threshold on the gradient's size, so that overly large
# > gradients do not make the gradient explode."
#
# > 有一些任务（尤其是有RNN的）要做梯度裁剪，torch.nn.utils.clip_grad_norm。(note 004)
# >
# > English: "Some tasks (above all those with RNNs) need gradient clipping,
# > torch.nn.utils.clip_grad_norm." — **C58**
#
# > 不管什么模型，先在一个较小的训练集上train和test，看看它能不能过拟合。如果不能过拟合，可能是学习率
# > 太大，或者代码写错了。(note 004)
# >
# > English: "Whatever the model, first train and test it on a small training set and see whether
# > it can over-fit. If it cannot, the learning rate may be too high, or the code has a bug."
# > — **C62**

# %%
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import evaluate, mlp, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l40_gradients")
SEEDS = [lesson.seed + i for i in range(3)]

# %% [markdown]
# ## C58: an Elman RNN on the adding problem, plain SGD, with and without `clip_grad_norm_`
#
# The adding problem (sequence length 10, 2 channels, predict the sum of the two marked values;
# always answering 1 scores MSE 1/6 ≈ 0.167). A tanh RNN with 32 hidden units and a linear head on
# the last step, SGD on batches of 32 at several learning rates, each with and without
# `nn.utils.clip_grad_norm_(params, max_norm=1.0)` (the gradient's global 2-norm is rescaled to
# at most 1). We record the norm *before* clipping at every step and the test MSE at the end
# (NaN/inf counts as diverged).

# %%
STEPS = lesson.pick(full=2000, fast=300)
LRS = lesson.pick(full=[0.03, 0.1, 0.3, 1.0], fast=[0.1, 0.3, 1.0])
BASELINE = 1 / 6
adding = mg.data.datasets.adding_task(num_samples=1000, seq_len=10, seed=0)


class LastStepRNN(nn.Module):
    """RNN over the sequence, a linear read-out of the last hidden state."""

    def __init__(self, cell=nn.RNN, inputs: int = 2, hidden: int = 32, outputs: int = 1):
        super().__init__()
        self.rnn = cell(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def train_rnn(lr: float, clip: float | None, seed: int) -> dict:
    """SGD on the adding problem; per-step loss and (pre-clipping) gradient norm, final test MSE."""
    mg.manual_seed(seed)
    model = LastStepRNN()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, norms = [], []
    for _ in range(STEPS):
        index = mg.random.generator().integers(0, len(adding.X_train), 32)
        loss = F.mse_loss(model(mg.tensor(adding.X_train[index])),
                          mg.tensor(adding.y_train[index]))
        optimizer.zero_grad()
        loss.backward()
        # max_norm=inf measures the norm without changing the gradient
        norm = nn.utils.clip_grad_norm_(model.parameters(), clip or float("inf"))
        optimizer.step()
        losses.append(loss.item())
        norms.append(float(norm.item()))
        if not np.isfinite(losses[-1]):
            break
    test = evaluate(model, adding.X_test, adding.y_test)[0] if np.isfinite(losses[-1]) else np.inf
    return {"losses": losses, "norms": norms, "test": test}


with np.errstate(all="ignore"):  # the unclipped runs overflow on purpose
    runs = {(lr, clip, seed): train_rnn(lr, clip, seed)
            for lr in LRS for clip in (None, 1.0) for seed in SEEDS}
for lr in LRS:
    for clip in (None, 1.0):
        tests = [runs[lr, clip, s]["test"] for s in SEEDS]
        peak = max(max(runs[lr, clip, s]["norms"]) for s in SEEDS)
        print(f"lr {lr:<5} clip {str(clip):<4}: test MSE {np.round(tests, 3)}  "
              f"largest gradient norm {peak:.3g}")

# %%
SHOW_LR = 0.3
fig, (ax_loss, ax_norm, ax_lr) = subplots(1, 3, figsize=(16, 4.3))
for clip, color in ((None, "C3"), (1.0, "C0")):
    for k, seed in enumerate(SEEDS):
        run = runs[SHOW_LR, clip, seed]
        label = ("no clipping" if clip is None else "clip_grad_norm_(1.0)") if k == 0 else None
        ax_loss.plot(np.minimum(run["losses"], 1e3), color=color, alpha=0.6, lw=0.8, label=label)
        ax_norm.plot(np.minimum(run["norms"], 1e6), color=color, alpha=0.6, lw=0.8, label=label)
    finals = np.array([[runs[lr, clip, s]["test"] for s in SEEDS] for lr in LRS])
    shown = np.where(np.isfinite(finals), finals, 10.0)  # diverged runs drawn at the top
    ax_lr.plot(np.repeat(LRS, len(SEEDS)), shown.ravel(), "o", color=color, alpha=0.6,
               label="no clipping" if clip is None else "clip_grad_norm_(1.0)")
ax_loss.axhline(BASELINE, color="k", ls=":", label="predict 1 (MSE 1/6)")
ax_loss.set(yscale="log", title=f"C58  training loss, SGD lr {SHOW_LR} (capped at 1e3)",
            xlabel="step", ylabel="batch MSE (log)")
ax_norm.axhline(1.0, color="k", ls=":", label="max_norm 1.0")
ax_norm.set(yscale="log", title=f"C58  gradient norm before clipping, lr {SHOW_LR}",
            xlabel="step", ylabel="‖g‖₂ (log, capped at 1e6)")
ax_lr.axhline(BASELINE, color="k", ls=":", label="predict 1 (MSE 1/6)")
ax_lr.set(xscale="log", yscale="log", title=f"C58  test MSE after {STEPS} steps (10 = diverged)",
          xlabel="learning rate", ylabel="test MSE (log)")
for ax in (ax_loss, ax_norm, ax_lr):
    ax.legend(fontsize=8)
lesson.figure(fig, "c58_clipping")

# %% [markdown]
# **Rule.** Clipping "stabilizes" training if at some learning rate most unclipped runs
# diverge (non-finite loss, or test MSE above 10× the baseline) while every clipped run at the
# same learning rate trains: it ends within 20 % of the best stable unclipped setting's mean
# test MSE.


# %%
def diverged(test: float) -> bool:
    return not np.isfinite(test) or test > 10 * BASELINE


stable_plain = [lr for lr in LRS if not any(diverged(runs[lr, None, s]["test"]) for s in SEEDS)]
reference = min(np.mean([runs[lr, None, s]["test"] for s in SEEDS]) for lr in stable_plain)
rescued = []
for lr in LRS:
    plain = [runs[lr, None, s]["test"] for s in SEEDS]
    clipped = [runs[lr, 1.0, s]["test"] for s in SEEDS]
    if sum(map(diverged, plain)) >= 2 and all(c <= 1.2 * reference for c in clipped):
        rescued.append(lr)
best_clipped = min(np.mean([runs[lr, 1.0, s]["test"] for s in SEEDS]) for lr in LRS)
lesson.verdict("C58", "REPRODUCED" if rescued else "NOT REPRODUCED",
               f"unclipped SGD trains at lr {stable_plain} and diverges above; clipping rescues "
               f"lr {rescued} (all {len(SEEDS)} seeds ≤ 1.2 × best stable unclipped mean "
               f"{reference:.3f}; baseline 1/6); largest unclipped "
               f"gradient norm at lr {SHOW_LR}: "
               f"{max(max(runs[SHOW_LR, None, s]['norms']) for s in SEEDS):.3g}; best clipped "
               f"mean test MSE {best_clipped:.3f} ({STEPS} steps)",
               claim="Gradients explode in recurrent nets; clipping the gradient norm stabilizes "
                     "RNN training", figures=["c58_clipping"])

# %% [markdown]
# Clipping does not make any learning rate work: at lr 1.0 the clipped steps are still of length
# lr·1, and the runs make little progress. What it removes is the rare huge step — the spike in
# the gradient norm — that throws an RNN's weights into a region where tanh saturates or the
# recurrence blows up.
#
# ## C62: can the model over-fit 50 training samples?
#
# An MLP 40-128-128-10, full-batch Adam on 50 MNIST-1D samples for a fixed number of steps. Three
# setups: **correct** (lr 1e-3), **lr too high** (lr 1.0), and **a data bug**: the labels are
# shuffled *separately* from the inputs at every step (a data loader that permutes x and y with
# two different permutations — the "label对应错了" of the note). A learning-rate sweep shows where
# "too high" starts.

# %%
N_TINY = 50
STEPS62 = lesson.pick(full=400, fast=150)
x_train, y_train, x_test, y_test = mnist1d_arrays()
x_tiny, y_tiny = x_train[:N_TINY], y_train[:N_TINY]


def overfit(lr: float, seed: int, bug: bool = False) -> list[float]:
    """Full-batch Adam on the tiny set; the training accuracy after each step."""
    mg.manual_seed(seed)
    model = mlp([40, 128, 128, 10])
    optimizer = optim.Adam(model.parameters(), lr=lr)
    accuracies = []
    for _ in range(STEPS62):
        labels = y_tiny[mg.random.generator().permutation(N_TINY)] if bug else y_tiny
        loss = F.cross_entropy(model(mg.tensor(x_tiny)), mg.tensor(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        accuracies.append(evaluate(model, x_tiny, y_tiny)[1] if np.isfinite(loss.item())
                          else 0.1)
    return accuracies


SETUPS = {"correct (lr 1e-3)": dict(lr=1e-3), "lr too high (lr 1.0)": dict(lr=1.0),
          "bug: labels shuffled apart from inputs": dict(lr=1e-3, bug=True)}
with np.errstate(all="ignore"):
    curves = {name: [overfit(seed=s, **kw) for s in SEEDS] for name, kw in SETUPS.items()}
    SWEEP = lesson.pick(full=[1e-4, 1e-3, 1e-2, 1e-1, 1.0], fast=[1e-3, 1e-1, 1.0])
    sweep = {lr: [overfit(lr, s)[-1] for s in SEEDS] for lr in SWEEP}
final = {name: np.mean([c[-1] for c in cs]) for name, cs in curves.items()}
for name, value in final.items():
    print(f"{name:<40} final train accuracy {value:.3f}")
print("lr sweep, final train accuracy:", {lr: round(float(np.mean(v)), 3) for lr, v in sweep.items()})

# %%
fig, (ax_curve, ax_sweep) = subplots(1, 2, figsize=(12, 4.2))
for (name, cs), color in zip(curves.items(), ("C0", "C3", "C1")):
    for k, c in enumerate(cs):
        ax_curve.plot(np.arange(1, STEPS62 + 1), c, color=color, alpha=0.7,
                      label=name if k == 0 else None)
ax_curve.set(title=f"C62  can it over-fit {N_TINY} samples? ({len(SEEDS)} seeds)",
             xlabel="full-batch Adam step", ylabel="training accuracy", ylim=(0, 1.03))
ax_curve.legend(fontsize=8)
means = [np.mean(sweep[lr]) for lr in SWEEP]
ax_sweep.plot(SWEEP, means, "o-", label="mean over seeds")
for lr in SWEEP:
    ax_sweep.plot([lr] * len(SEEDS), sweep[lr], "k.", alpha=0.4)
ax_sweep.axhline(1.0, color="gray", ls=":", label="100 % (over-fitted)")
ax_sweep.set(xscale="log", title=f"C62  training accuracy after {STEPS62} steps vs Adam lr",
             xlabel="learning rate", ylabel="final training accuracy", ylim=(0, 1.03))
ax_sweep.legend(fontsize=8)
lesson.figure(fig, "c62_overfit_tiny")

# %% [markdown]
# **Rule.** The test works if the correct setup reaches ≥ 99 % training accuracy in every seed
# while each broken setup stays below 90 % on average.

# %%
correct_ok = min(c[-1] for c in curves["correct (lr 1e-3)"]) >= 0.99
broken = [name for name in SETUPS if name != "correct (lr 1e-3)"]
broken_ok = all(final[name] < 0.9 for name in broken)
lesson.verdict("C62", "REPRODUCED" if correct_ok and broken_ok else "NOT REPRODUCED",
               "final train acc on 50 samples: " +
               ", ".join(f"{name} {final[name]:.2f}" for name in SETUPS) +
               f" ({len(SEEDS)} seeds, {STEPS62} full-batch steps)",
               claim="A correct setup over-fits a tiny training set; too high a learning rate or "
                     "a bug stops it", figures=["c62_overfit_tiny"])

# %% [markdown]
# Over-fitting 50 samples takes seconds and separates "the pipeline can learn" from "the model
# generalizes". A network that cannot even memorize 50 examples has a problem no amount of data
# will fix: a learning rate too high to settle, or inputs that do not go with their labels.
# (A constant mismatch — labels permuted once — would *not* be caught: a big enough net memorizes
# random labels too. The check catches bugs that change from step to step.)
