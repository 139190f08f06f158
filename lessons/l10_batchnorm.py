# %% [markdown]
# # Batch normalization: speed, undoing itself, running statistics (C31, C32, C33)
#
# > 一旦每批训练数据的分布各不相同，那么网络就要在每次迭代都去学习适应不同的分布（新的数据分布），
# > 这样将会大大降低网络的训练速度。… 受白化启发，batch normalization被提出。(note 003, "Batch
# > Normalization")
# >
# > English: "Once each batch of training data has a different distribution, the network must
# > adapt to a new distribution at every iteration, which greatly slows training … inspired by
# > whitening, batch normalization was proposed." — **C31**: BN speeds up training and tolerates
# > larger learning rates.
#
# > 如果数据不需要归一化处理，模型可以通过调整γ和β值来接近取消Batch Normalization的效果（例如，如果
# > γ接近√(σ²_B+ε)，β接近μ_B，那么y_i可以接近原始输入x_i）。(note 003)
# >
# > English: "If the data need no normalization, the model can nearly cancel BN by adjusting γ and
# > β (e.g. with γ ≈ √(σ²_B + ε) and β ≈ μ_B, y_i comes close to the original input x_i)." — **C32**
#
# **C33** (catalogue, from the same note's algorithm, which uses the mini-batch's μ_B and σ²_B):
# at inference BN uses running statistics instead; with tiny batches the batch statistics are
# noisy, which hurts.

# %%
import numpy as np

import minigrad as mg
from lessons._lesson import Lesson
from lessons._train import evaluate, fit, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l10_batchnorm")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]
x_train, y_train, x_test, y_test = mnist1d_arrays(n_train=lesson.pick(full=2000, fast=1000),
                                                  n_test=lesson.pick(full=1000, fast=500))


def net(batchnorm: bool, depth: int = 4, width: int = 64) -> nn.Sequential:
    """``depth`` hidden layers Linear → [BatchNorm1d] → ReLU, then a linear head."""
    layers, fan_in = [], 40
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width)] + ([nn.BatchNorm1d(width)] if batchnorm else [])
        layers += [nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


# %% [markdown]
# ## C31. Training speed and the usable learning-rate range
#
# A 4-hidden-layer MLP (width 64), with and without BN before each ReLU, plain SGD (no
# momentum), batch 100, for a grid of learning rates. For each run: the first epoch at which the
# training accuracy reaches TARGET (never = budget + 1), and the final training accuracy. A
# learning rate is *usable* when the final training accuracy is at least TARGET.

# %%
LRS = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
EPOCHS = lesson.pick(full=20, fast=8)
TARGET = lesson.pick(full=0.8, fast=0.6)
epochs_to, final_acc = {}, {}
for batchnorm in (False, True):
    for lr in LRS:
        reached, finals = [], []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = net(batchnorm)
            history = fit(model, optim.SGD(model.parameters(), lr=lr), x_train, y_train,
                          epochs=EPOCHS, batch_size=100)
            accs = np.array(history.train_acc)
            hit = np.flatnonzero(accs >= TARGET)
            reached.append(hit[0] + 1 if hit.size else EPOCHS + 1)
            finals.append(accs[-1] if len(accs) == EPOCHS and np.isfinite(accs[-1]) else 0.0)
        epochs_to[batchnorm, lr] = np.array(reached)
        final_acc[batchnorm, lr] = np.array(finals)
        print(f"BN={batchnorm!s:5} lr={lr:<5}: epochs to {TARGET:.0%} train acc "
              f"{epochs_to[batchnorm, lr]}, final train acc {np.mean(finals):.3f}")

# %%
fig, (ax_speed, ax_final) = subplots(1, 2, figsize=(13, 4.3))
for batchnorm, color in ((False, "C3"), (True, "C0")):
    label = "with BatchNorm" if batchnorm else "plain"
    ax_speed.plot(LRS, [epochs_to[batchnorm, lr].mean() for lr in LRS], "o-", color=color,
                  label=label)
    ax_final.plot(LRS, [final_acc[batchnorm, lr].mean() for lr in LRS], "o-", color=color,
                  label=label)
ax_speed.axhline(EPOCHS + 1, color="gray", ls=":", label="never reached (budget + 1)")
ax_final.axhline(TARGET, color="gray", ls=":", label=f"target {TARGET:.0%}")
for ax in (ax_speed, ax_final):
    ax.set_xscale("log")
    ax.set_xlabel("SGD learning rate")
    ax.legend()
ax_speed.set_ylabel(f"epochs to {TARGET:.0%} train accuracy (mean)")
ax_final.set_ylabel(f"train accuracy after {EPOCHS} epochs (mean)")
ax_speed.set_title(f"C31: speed ({len(SEEDS)} seeds, 4-layer MLP)")
ax_final.set_title("C31: usable learning-rate range")
lesson.figure(fig, "c31_speed_lr")

# %%
fastest = {bn: min(epochs_to[bn, lr].mean() for lr in LRS) for bn in (False, True)}
usable = {bn: [lr for lr in LRS if final_acc[bn, lr].mean() >= TARGET] for bn in (False, True)}
largest = {bn: max(usable[bn], default=0.0) for bn in (False, True)}
faster = fastest[True] < fastest[False]
wider = largest[True] > largest[False]
lesson.verdict("C31", "REPRODUCED" if faster and wider else
               "NUANCED" if faster or wider else "NOT REPRODUCED",
               f"best epochs to {TARGET:.0%}: plain {fastest[False]:.1f}, BN {fastest[True]:.1f}; "
               f"largest usable lr: plain {largest[False] or 'none'}, "
               f"BN {largest[True] or 'none'} "
               f"({len(SEEDS)} seeds, SGD, {EPOCHS} epochs)",
               claim="BatchNorm speeds up training and tolerates larger learning rates",
               figures=["c31_speed_lr"])

# %% [markdown]
# ## C32. γ and β can undo the normalization
#
# Training mode normalizes with the batch's mean μ_B and *biased* variance σ²_B. Setting
# γ = √(σ²_B + ε) and β = μ_B for that batch gives y = x̂·√(σ²_B+ε) + μ_B = x exactly (up to
# rounding). We check it in float64 on a batch of features with very different scales.

# %%
mg.manual_seed(lesson.seed)
x = mg.randn(64, 8, dtype=mg.float64) * mg.tensor(np.logspace(-2, 2, 8)) + 5.0
bn = nn.BatchNorm1d(8, dtype=mg.float64)
with mg.no_grad():
    normalized = bn(x).numpy().copy()
    bn.weight.data[...] = np.sqrt(x.numpy().var(0) + bn.eps)
    bn.bias.data[...] = x.numpy().mean(0)
    undone = bn(x).numpy()
error32 = float(np.max(np.abs(undone - x.numpy()) / (np.abs(x.numpy()) + 1e-12)))
print(f"max relative |BN_γ,β(x) − x| = {error32:.2e}; normalized columns: means "
      f"{np.abs(normalized.mean(0)).max():.1e}, stds {normalized.std(0).min():.4f}…"
      f"{normalized.std(0).max():.4f}")

# %%
fig, axes = subplots(1, 2, figsize=(11, 4))
for column, color in zip((0, 4, 7), ("C0", "C1", "C2")):
    axes[0].scatter(x.numpy()[:, column], normalized[:, column], s=8, color=color,
                    label=f"feature {column} (scale {np.logspace(-2, 2, 8)[column]:g})")
    axes[1].scatter(x.numpy()[:, column], undone[:, column], s=8, color=color,
                    label=f"feature {column}")
axes[0].set_title("C32: γ = 1, β = 0 → normalized")
axes[1].set_title(f"C32: γ = √(σ²_B+ε), β = μ_B → identity (max rel. err {error32:.0e})")
for ax in axes:
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("input x")
    ax.set_ylabel("BatchNorm output")
    ax.legend(fontsize=8)
lesson.figure(fig, "c32_undo")

# %%
lesson.verdict("C32", "REPRODUCED" if error32 < 1e-6 else "NOT REPRODUCED",
               f"max relative |y − x| = {error32:.1e} (float64, 64×8 batch, feature scales "
               f"1e-2…1e2; rule: < 1e-6)",
               claim="BN's γ, β can undo the normalization (γ=√(σ²+ε), β=μ gives the input back)",
               figures=["c32_undo"])

# %% [markdown]
# ## C33. Running statistics at inference; tiny batches
#
# (a) In eval mode, a BN layer must compute (x − running_mean)/√(running_var + ε)·γ + β, so a
# sample's output does not depend on the other samples of its batch; in training mode it does.
# (b) The same network trained with batch 2 vs batch 64 (Adam, lr 1e-3, the same epochs). The
# batch mean of a batch of 2 is a very noisy estimate of the feature mean, and the network is
# trained on that noise but evaluated with running averages. As a control, the plain network
# (no BN) is trained with the same two batch sizes: the drop that BN adds beyond it is BN's.

# %%
mg.manual_seed(lesson.seed)
model = net(True)
fit(model, optim.Adam(model.parameters(), lr=1e-3), x_train, y_train, epochs=2, batch_size=64)
layer = model[1]
model.eval()
with mg.no_grad():
    pre = model[0](mg.tensor(x_test[:64]))
    by_formula = ((pre.numpy() - layer.running_mean.numpy())
                  / np.sqrt(layer.running_var.numpy() + layer.eps) * layer.weight.detach().numpy()
                  + layer.bias.detach().numpy())
    eval_error = float(np.max(np.abs(layer(pre).numpy() - by_formula)))
    alone_eval = layer(pre[:1]).numpy()
    in_batch_eval = layer(pre).numpy()[:1]
    model.train()
    alone_train_other = layer(mg.cat([pre[:1], pre[32:33]])).numpy()[:1]
    in_batch_train = layer(pre).numpy()[:1]
model.eval()
batch_dependence_eval = float(np.max(np.abs(alone_eval - in_batch_eval)))
batch_dependence_train = float(np.max(np.abs(alone_train_other - in_batch_train)))
print(f"eval output vs running-stat formula: {eval_error:.1e}; same sample, other batch: "
      f"eval {batch_dependence_eval:.1e}, train {batch_dependence_train:.2f}")

# %%
EPOCHS33 = lesson.pick(full=2, fast=1)
n33 = lesson.pick(full=1000, fast=600)
acc33 = {}
for batchnorm in (True, False):
    for batch in (2, 64):
        accs = []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = net(batchnorm)
            fit(model, optim.Adam(model.parameters(), lr=1e-3), x_train[:n33], y_train[:n33],
                epochs=EPOCHS33 if batch == 2 else EPOCHS33 * 8, batch_size=batch)
            accs.append(evaluate(model, x_test, y_test)[1])
        acc33[batchnorm, batch] = np.array(accs)
        print(f"BN={batchnorm!s:5} batch {batch:2d}: test accuracy (eval mode) "
              f"{np.mean(accs):.3f} ± {np.std(accs):.3f}")

# %% [markdown]
# (Batch 64 gets 8× the epochs: batch 2 makes 32× more steps per epoch, so this keeps both runs
# in the same range of optimizer steps; the control network gets exactly the same budgets.)
#
# How noisy is a batch mean? For a hidden unit, the spread of its batch mean across batches of
# size m should be σ/√m — for m = 2, 71 % of the unit's own standard deviation. We measure it on
# 8 hidden units of the last trained network.

# %%
with mg.no_grad():
    hidden = model[0](mg.tensor(x_train[:n33])).numpy()[:, :8]
rng = np.random.default_rng(lesson.seed)
noise = {m: np.mean(np.std([hidden[rng.choice(n33, m, replace=False)].mean(0)
                            for _ in range(400)], 0) / hidden.std(0)) for m in (2, 8, 64)}
print("std of the batch mean / std of the unit:",
      {m: round(float(v), 3) for m, v in noise.items()})

# %%
fig, (ax_noise, ax_acc) = subplots(1, 2, figsize=(12, 4.2))
sizes = list(noise)
ax_noise.plot(sizes, [noise[m] for m in sizes], "o-", label="measured (8 hidden units)")
ax_noise.plot(sizes, [1 / np.sqrt(m) for m in sizes], "k:", label="1/√m")
ax_noise.set_xscale("log", base=2)
ax_noise.set_xlabel("batch size m")
ax_noise.set_ylabel("std of batch mean / std of unit")
ax_noise.set_title("C33: batch statistics are noisy for small batches")
ax_noise.legend()
positions = np.arange(2)
for offset, (batchnorm, color) in zip((-0.18, 0.18), ((True, "C0"), (False, "C3"))):
    means = [acc33[batchnorm, b].mean() for b in (2, 64)]
    spread = [acc33[batchnorm, b].std() for b in (2, 64)]
    ax_acc.bar(positions + offset, means, 0.36, yerr=spread, color=color,
               label="with BatchNorm" if batchnorm else "plain (control)")
ax_acc.set_xticks(positions, ["batch 2", "batch 64"])
ax_acc.set_ylabel(f"test accuracy, eval mode ({len(SEEDS)} seeds)")
ax_acc.set_title("C33: training batch size")
ax_acc.legend()
lesson.figure(fig, "c33_running_stats")

# %%
uses_running = eval_error < 1e-5 and batch_dependence_eval < 1e-6 < batch_dependence_train
bn_drop = acc33[True, 64].mean() - acc33[True, 2].mean()
plain_drop = acc33[False, 64].mean() - acc33[False, 2].mean()
spread = max(acc33[True, 2].std(), acc33[True, 64].std())
hurts = bn_drop > max(plain_drop, 0) + spread
lesson.verdict("C33", "REPRODUCED" if uses_running and hurts else
               "NUANCED" if uses_running else "NOT REPRODUCED",
               f"eval = running-stat formula to {eval_error:.0e}, batch-independent "
               f"({batch_dependence_eval:.0e}; train mode {batch_dependence_train:.2f}); "
               f"batch 64→2 test acc: BN {acc33[True, 64].mean():.3f}→{acc33[True, 2].mean():.3f}, "
               f"plain {acc33[False, 64].mean():.3f}→{acc33[False, 2].mean():.3f} "
               f"({len(SEEDS)} seeds); batch-mean noise m=2: {noise[2]:.2f}σ",
               claim="BN uses running statistics at inference; tiny batches make batch "
                     "statistics noisy",
               figures=["c33_running_stats"])

# %% [markdown]
# ## What it means
#
# BN's γ and β can represent the identity exactly (C32), so normalizing costs no expressiveness.
# In training, BN lets plain SGD go faster and at learning rates where the plain network fails
# (C31 — read the figure for where exactly). At inference BN is a fixed affine map built from
# running averages (C33a); when the training batches are tiny, the statistics the network is
# trained with are mostly noise, and they differ from the averages it is evaluated with (C33b).
