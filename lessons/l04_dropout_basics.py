# %% [markdown]
# # Dropout, the mechanics (C09, C11, C13, C14, C16)
#
# Expectation (C09), ensemble (C11), masks and gradients (C13), inference (C14), and where to
# put it (C16).
#
# Dropout zeroes each hidden unit with probability p while training. The notes make five
# claims about how it works; each is checked here by looking at the numbers directly.
#
# > 训练时按照p的概率使得神经元输入为0，测试时输出乘以1-p。最后乘1-p是因为p是drop的概率，所以1-p就是不drop，也就是期望。(note 000)
# >
# > English: during training a neuron's input is set to 0 with probability p; at test time
# > the output is multiplied by 1-p, because 1-p is the probability of not dropping: the
# > expectation.

# %%
from itertools import pairwise

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from lessons._lesson import Lesson, status_of
from lessons._train import fit, mnist1d_arrays

CLAIMS = ["C09", "C11", "C13", "C14", "C16"]

lesson = Lesson("l04_dropout_basics")
import matplotlib.pyplot as plt  # after Lesson, which selects the Agg backend

P = 0.5                                                   # drop probability throughout
seeds = [lesson.seed + s for s in range(lesson.pick(full=5, fast=3))]
n_train = lesson.pick(full=2000, fast=500)
epochs = lesson.pick(full=30, fast=6)
x, y, x_test, y_test = mnist1d_arrays(n_train=n_train)


def dropout_mlp(p=P, inverted=True, sizes=(40, 256, 256, 10)):
    """Linear → ReLU → Dropout for each hidden layer, then a plain Linear read-out."""
    layers = []
    for fan_in, fan_out in pairwise(sizes[:-1]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU(), nn.Dropout(p, inverted=inverted)]
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


def train(model, seed, n_epochs=epochs):
    """Adam at its default lr, batches of 100; returns the History (test set as val)."""
    mg.manual_seed(seed)
    return fit(model, optim.Adam(model.parameters(), lr=1e-3), x, y, epochs=n_epochs,
               batch_size=100, val=(x_test, y_test))


# %% [markdown]
# ## C09: "vanilla" and "inverted" dropout keep the same expected activation
#
# > 第一，在训练的时候，让这个神经元的输出缩放为1/(1-p)倍，那么它的输出期望又变回了x……
# > 第二，在测试的时候，让神经元的输出缩放为(1-p)倍，那么它的输出期望就变成了(1-p)x，和训练时的期望一致 (note 003)
# >
# > English: either scale a kept neuron's output by 1/(1-p) in training (its expectation is
# > x again), or scale by (1-p) at test time (the expectation becomes (1-p)x, matching
# > training).
#
# minigrad has both: `nn.Dropout(p)` is PyTorch's inverted dropout, `nn.Dropout(p,
# inverted=False)` the notes' vanilla one. Two checks:
#
# 1. **Monte-Carlo.** Take one hidden activation vector h (128 ReLU units of a random layer
#    applied to an MNIST-1D sample), push it through K random masks in training mode and
#    average. Each unit's average should match the
#    deterministic eval-mode output (h for inverted, (1-p)h for vanilla) within Monte-Carlo
#    error: z = (mean − eval)/s.e. should satisfy |z| < 4 for every unit (a 4-s.e. band: a
#    false alarm somewhere among 128 units has probability below 1%). A negative control, the
#    mask with *no* rescaling anywhere, must fail the same test.
# 2. **Training.** Train the same MLP (40-256-256-10, p = 0.5) both ways on MNIST-1D, several
#    seeds each. "Equal accuracy ± noise": the two mean test accuracies differ by less than
#    two standard errors of the difference.

# %%
K = lesson.pick(full=20000, fast=4000)
mg.manual_seed(lesson.seed)
probe = nn.Sequential(nn.Linear(40, 128), nn.ReLU())
with mg.no_grad():
    h = probe(mg.tensor(x[:1])).data[0]                   # one real ReLU activation vector
batch = mg.tensor(np.repeat(h[None, :], K, axis=0))


def monte_carlo_z(inverted, reference):
    """(mean over K train-mode masks, z-score against ``reference``) per unit."""
    layer = nn.Dropout(P, inverted=inverted).train()
    with mg.no_grad():
        samples = layer(batch).data.astype(np.float64)
    mean = samples.mean(0)
    stderr = samples.std(0, ddof=1) / np.sqrt(K)
    active = stderr > 0                                   # units with h = 0 are exactly 0 always
    z = np.zeros_like(mean)
    z[active] = (mean[active] - reference[active]) / stderr[active]
    return mean, z


def eval_output(inverted):
    with mg.no_grad():
        return nn.Dropout(P, inverted=inverted).eval()(mg.tensor(h)).data.astype(np.float64)


mc = {"inverted (train ×1/(1-p), eval ×1)": monte_carlo_z(True, eval_output(True)),
      "vanilla (train mask only, eval ×(1-p))": monte_carlo_z(False, eval_output(False)),
      "control: mask only, no rescaling": monte_carlo_z(False, h.astype(np.float64))}
references = [eval_output(True), eval_output(False), h]
max_z = {name: float(np.abs(z).max()) for name, (_, z) in mc.items()}
for name, value in max_z.items():
    print(f"  {name:42s} max |z| over 128 units = {value:8.2f}")

# %%
histories = {"inverted": [], "vanilla": []}
inverted_models, vanilla_models = [], []
for seed in seeds:
    for variant, models in (("inverted", inverted_models), ("vanilla", vanilla_models)):
        mg.manual_seed(seed)
        model = dropout_mlp(inverted=variant == "inverted")
        histories[variant].append(train(model, seed))
        models.append(model)
final_acc = {v: np.array([hist.val_acc[-1] for hist in hs]) for v, hs in histories.items()}
for variant, accs in final_acc.items():
    print(f"  {variant:9s} test acc {accs.mean():.3f} ± {accs.std(ddof=1):.3f} "
          f"over {len(seeds)} seeds")

# %%
fig, (ax_mc, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
for (name, (mean, _)), reference, marker in zip(mc.items(), references, "o^x"):
    ax_mc.scatter(reference, mean, s=14, marker=marker, label=f"{name}")
top = float(h.max()) * 1.05
ax_mc.plot([0, top], [0, top], "k--", lw=0.8, label="mean = deterministic output")
ax_mc.set(xlabel="deterministic output (eval mode; control: h itself)",
          ylabel=f"mean of {K} train-mode outputs",
          title="C09 Monte-Carlo mean vs deterministic output")
ax_mc.legend(fontsize=7)
for variant, hs in histories.items():
    curves = np.array([hist.val_acc for hist in hs])
    epochs_axis = np.arange(1, curves.shape[1] + 1)
    ax_acc.plot(epochs_axis, curves.mean(0), label=f"{variant} (mean of {len(seeds)} seeds)")
    ax_acc.fill_between(epochs_axis, curves.mean(0) - curves.std(0), curves.mean(0) +
                        curves.std(0), alpha=0.25)
ax_acc.set(xlabel="epoch", ylabel="test accuracy",
           title="C09 training with vanilla vs inverted dropout (p=0.5)")
ax_acc.legend()
lesson.figure(fig, "c09_means")

# %%
inverted_key, vanilla_key, control_key = mc
mc_ok = max(max_z[inverted_key], max_z[vanilla_key]) < 4 and max_z[control_key] >= 4
acc_diff = final_acc["inverted"].mean() - final_acc["vanilla"].mean()
diff_stderr = np.sqrt(sum(a.var(ddof=1) / len(a) for a in final_acc.values()))
train_ok = abs(acc_diff) < 2 * diff_stderr
held = [mc_ok, train_ok]
status = status_of(held)
lesson.verdict(
    "C09", status,
    f"max |z| inverted {max_z[inverted_key]:.2f}, vanilla {max_z[vanilla_key]:.2f} "
    f"(< 4 expected; no-rescale control {max_z[control_key]:.0f}); test acc inverted "
    f"{final_acc['inverted'].mean():.3f} vs vanilla {final_acc['vanilla'].mean():.3f} "
    f"(diff {acc_diff:+.3f}, 2 s.e. {2 * diff_stderr:.3f}, {len(seeds)} seeds)",
    claim="Vanilla (scale by 1-p at test) and inverted (scale by 1/(1-p) in training) dropout "
          "keep the same expected activation",
    figures=["c09_means"])

# %% [markdown]
# The expectation part holds exactly: both rescalings put the mean training-mode activation
# where the eval-mode activation is, while dropping the rescaling (the control) is off by a
# factor 1-p and the test sees it at once.
#
# Training is another matter, and the verdict line says whether the two reached the same
# accuracy. The variants differ only in *where* the factor sits: vanilla dropout with next-layer
# weights W computes what inverted dropout computes with weights (1-p)·W. Same family of
# functions, different *parametrization*. Both start from the same default init, so vanilla
# behaves like inverted dropout whose following layers start (1-p) times smaller, and Adam,
# whose steps have a fixed size in W, moves those effective weights (1-p) times more slowly.
# At a fixed training budget that can leave vanilla behind; with a longer run or a retuned
# learning rate the gap should close. PyTorch (and minigrad by default) uses the inverted
# form, which also means inference needs no change at all (C14).

# %% [markdown]
# ## C11: dropout trains an ensemble; weight scaling approximates averaging the sub-networks
#
# > 另一方面，dropout相当于训练了多个子模型，并进行了集成，降低了单一模型过拟合训练数据的风险；
# > 在测试时通过权重调整整合子模型的能力。(note 000)
# >
# > English: dropout trains many sub-models and ensembles them, lowering the risk that a
# > single model over-fits; at test time a weight adjustment combines the sub-models.
#
# Every mask picks one sub-network. The true ensemble prediction averages the softmax outputs
# of all 2^512 sub-networks; "MC dropout" estimates it with K random masks. The eval-mode
# network (weights effectively scaled by 1-p) is the cheap approximation. For the trained
# inverted-dropout models above we compare: accuracy of one mask (K=1), of the K-mask average,
# and of weight scaling, and how often weight scaling and the K-mask average predict the same
# class. Rule: agreement ≥ 90% at the largest K, and the K-mask average at least as accurate as
# a single mask.

# %%
Ks = [2 ** i for i in range(lesson.pick(full=8, fast=6))]  # 1 .. 128 (fast: .. 32)
x_test_t = mg.tensor(x_test)


def sampled_probabilities(model, k):
    """Softmax outputs of k train-mode forward passes (k random masks): shape (k, n, 10)."""
    model.train()
    with mg.no_grad():
        draws = np.stack([F.softmax(model(x_test_t), dim=1).data for _ in range(k)])
    model.eval()
    return draws


mc_acc, agreement, scaled_acc = [], [], []
for seed, model in zip(seeds, inverted_models):
    mg.manual_seed(1000 + seed)
    with mg.no_grad():
        scaled_class = model.eval()(x_test_t).data.argmax(1)
    running_mean = np.cumsum(sampled_probabilities(model, Ks[-1]), axis=0)  # K masks: row K-1
    mc_class = [running_mean[k - 1].argmax(1) for k in Ks]
    mc_acc.append([(c == y_test).mean() for c in mc_class])
    agreement.append([(c == scaled_class).mean() for c in mc_class])
    scaled_acc.append((scaled_class == y_test).mean())
mc_acc, agreement, scaled_acc = np.array(mc_acc), np.array(agreement), np.array(scaled_acc)

# %%
fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11, 4.2))
ax_a.errorbar(Ks, mc_acc.mean(0), yerr=mc_acc.std(0), marker="o", capsize=3,
              label="average of K sampled sub-networks (MC dropout)")
ax_a.axhline(scaled_acc.mean(), color="C3", ls="--", label="weight scaling (eval mode)")
ax_a.set(xscale="log", xlabel="K (number of masks averaged)", ylabel="test accuracy",
         title=f"C11 ensemble of sub-networks vs weight scaling ({len(seeds)} seeds)")
ax_a.set_xticks(Ks, [str(k) for k in Ks])
ax_a.minorticks_off()
ax_a.legend(fontsize=8)
ax_b.errorbar(Ks, agreement.mean(0), yerr=agreement.std(0), marker="o", capsize=3,
              color="C2", label="same predicted class")
ax_b.set(xscale="log", xlabel="K (number of masks averaged)",
         ylabel="agreement with weight scaling", title="C11 how often the two agree")
ax_b.set_xticks(Ks, [str(k) for k in Ks])
ax_b.minorticks_off()
ax_b.legend()
lesson.figure(fig, "c11_ensemble")

# %%
final_agreement = agreement[:, -1].mean()
ensemble_ok = mc_acc[:, -1].mean() >= mc_acc[:, 0].mean()
status = ("REPRODUCED" if final_agreement >= 0.9 and ensemble_ok else
          "NUANCED" if final_agreement >= 0.9 or ensemble_ok else "NOT REPRODUCED")
lesson.verdict(
    "C11", status,
    f"agreement weight-scaling vs {Ks[-1]}-mask average {final_agreement:.3f}; test acc one "
    f"mask {mc_acc[:, 0].mean():.3f}, {Ks[-1]} masks {mc_acc[:, -1].mean():.3f}, weight "
    f"scaling {scaled_acc.mean():.3f} ({len(seeds)} seeds)",
    claim="Dropout trains an ensemble of sub-networks; weight scaling at test approximates "
          "averaging them",
    figures=["c11_ensemble"])

# %% [markdown]
# A single sampled sub-network is clearly worse than the full network: each one is a weak,
# thinned model. Averaging more of them climbs towards the weight-scaled network, which
# predicts the same class as the large ensemble for the great majority of test inputs, at a
# single forward pass instead of K. For a network
# with one hidden layer and a softmax output, weight scaling is *exactly* the normalized
# geometric mean of the sub-networks' predictions (Srivastava et al., 2014); with ReLU layers in
# between it is an approximation, and a good one.

# %% [markdown]
# ## C13: dropped units get no update; masks differ per sample, per step, per visit
#
# > 不同的样本，其删除的隐单元的集合是不同的……同一条样本，分两次进入模型训练，那么这两次删除的隐单元也是不同的……
# > 在一次forward/backward中，如果某个隐单元被Dropout掉了，那么与它相关的那一“列/行”权重，在这一次迭代中不会更新。(note 001)
# >
# > English: different samples drop different sets of hidden units … the same sample, seen
# > twice, drops different units each time … within one forward/backward, the row/column of
# > weights attached to a dropped unit is not updated in that iteration.
#
# A small net 6 → 16 (tanh) → dropout → 3. For one sample, the dropped units are the zeros of
# the dropout output (tanh is never exactly 0 here). After backward, the gradient must be
# exactly 0.0 on the dropped units' incoming weights (rows of layer 1's weight and bias) and
# outgoing weights (columns of layer 2's weight). Then: does the optimizer leave them alone?
# Plain SGD does; we also take an Adam step, whose update uses running averages of *earlier*
# gradients. Finally a batch of 12 samples whose first two rows are the same sample, run twice.

# %%
mg.manual_seed(lesson.seed)
net = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(P), nn.Linear(16, 3))
one_x = mg.tensor(x[:1, :6])
one_y = mg.tensor(y[:1] % 3)


def dropped_units_and_grads(model):
    """Forward/backward one sample; return the dropped units and the two weight grads."""
    model.zero_grad()
    hidden = model[2](model[1](model[0](one_x)))
    F.cross_entropy(model[3](hidden), one_y).backward()
    return (hidden.data[0] == 0), model[0].weight.grad.data, model[3].weight.grad.data


dropped, grad_in, grad_out = dropped_units_and_grads(net)
zero_grad_max = max(np.abs(grad_in[dropped]).max(), np.abs(net[0].bias.grad.data[dropped]).max(),
                    np.abs(grad_out[:, dropped]).max())
kept_nonzero = (np.abs(grad_in[~dropped]).sum(1) > 0).mean()
print(f"  {dropped.sum()} of 16 units dropped; max |grad| on their weights = {zero_grad_max}; "
      f"kept units with a nonzero grad: {kept_nonzero:.0%}")


def moves_dropped_weights(make_optimizer, warmup_steps):
    """Train ``warmup_steps`` steps, then one more: did the dropped units' weights change?"""
    mg.manual_seed(lesson.seed + 1)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(P), nn.Linear(16, 3))
    optimizer = make_optimizer(model.parameters())
    for _ in range(warmup_steps + 1):
        before = model[0].weight.data.copy()
        dropped_now, _, _ = dropped_units_and_grads(model)
        optimizer.step()
    return float(np.abs(model[0].weight.data - before)[dropped_now].max())


sgd_move = moves_dropped_weights(lambda ps: optim.SGD(ps, lr=0.1), warmup_steps=3)
momentum_move = moves_dropped_weights(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), 3)
adam_move = moves_dropped_weights(lambda ps: optim.Adam(ps, lr=1e-3), 3)
print(f"  max change of dropped units' weights in one step: SGD {sgd_move}, "
      f"SGD+momentum {momentum_move:.2e}, Adam {adam_move:.2e}")

# %%
batch_x = mg.tensor(np.concatenate([x[:1, :6], x[:11, :6]]))  # rows 0 and 1: the same sample
net.train()
with mg.no_grad():
    masks = [(net[2](net[1](net[0](batch_x))).data != 0) for _ in range(2)]
rows_distinct = len({row.tobytes() for row in masks[0]}) == len(masks[0])
steps_differ = not np.array_equal(masks[0], masks[1])
same_sample_differs = not np.array_equal(masks[0][0], masks[0][1])
keep_rate = np.mean(masks)
print(f"  12 masks in a batch all distinct: {rows_distinct}; step 1 vs step 2 differ: "
      f"{steps_differ}; same sample twice differs: {same_sample_differs}; "
      f"kept fraction {keep_rate:.2f}")

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 4), layout="constrained",
                         gridspec_kw={"width_ratios": [1.3, 1.3, 0.7, 1.3]})
for ax, mask, step in zip(axes[:2], masks, (1, 2)):
    ax.imshow(mask, cmap="gray_r", vmin=0, vmax=1.6, aspect="auto")
    ax.set(xlabel="hidden unit", ylabel="sample in batch (rows 0, 1: same sample)",
           title=f"C13 dropout masks, step {step} (dark = kept)")
axes[2].imshow(np.abs(grad_in), cmap="viridis", aspect="auto")
axes[2].set(xlabel="input feature", ylabel="hidden unit",
            title="C13 |∂L/∂W1|\n(red: dropped)")
axes[3].imshow(np.abs(grad_out), cmap="viridis", aspect="auto")
axes[3].set(xlabel="hidden unit", ylabel="output unit", title="C13 |∂L/∂W2| (red: dropped)",
            yticks=range(3))
for unit in np.flatnonzero(dropped):
    axes[2].axhline(unit, color="red", lw=1.5, alpha=0.6)
    axes[3].axvline(unit, color="red", lw=1.5, alpha=0.6)
lesson.figure(fig, "c13_masks_grads")

# %%
grads_ok = zero_grad_max == 0.0 and kept_nonzero > 0
masks_ok = rows_distinct and steps_differ and same_sample_differs
adaptive_moves = momentum_move > 0 or adam_move > 0
status = ("NOT REPRODUCED" if not (grads_ok and masks_ok and sgd_move == 0.0) else
          "NUANCED" if adaptive_moves else "REPRODUCED")
lesson.verdict(
    "C13", status,
    f"grad on dropped units' weights exactly {zero_grad_max} ({dropped.sum()}/16 dropped); "
    f"masks distinct per sample {rows_distinct}, per step {steps_differ}, same sample twice "
    f"{same_sample_differs}; one-step change of dropped weights: SGD {sgd_move}, "
    f"momentum {momentum_move:.1e}, Adam {adam_move:.1e}",
    claim="Weights attached to a dropped unit get no update in that step; masks differ per "
          "sample, per step, and for the same sample seen twice",
    figures=["c13_masks_grads"])

# %% [markdown]
# The gradient part holds exactly: a dropped unit's output is multiplied by 0, so every
# gradient flowing through it is multiplied by 0 too — its incoming row, its bias and its
# outgoing column get a gradient of exactly 0.0 — and masks are drawn afresh for every
# element of every forward pass. But "no update" is only true for plain SGD. SGD with
# momentum and Adam move parameters by a running average of *past* gradients, so a unit
# dropped in this step still moves, by the momentum it gathered in earlier steps (weight
# decay would move it too). The note's statement is about the gradient, not the update.

# %% [markdown]
# ## C14: dropout is off at inference
#
# > dropout仅仅用于神经网络的训练截断，而推理阶段不需要删除单元，而是使用所有的神经元。(note 001)
# >
# > English: dropout is used only in the training stage; at inference no units are dropped
# > and all neurons are used.
#
# Take a trained dropout network, switch it to `eval()`, and compare with the *same weights*
# in a network that has no dropout layers at all. For inverted dropout the two must be
# bitwise equal; for vanilla dropout, eval mode multiplies each hidden activation by (1-p),
# so it must equal the no-dropout network with those activations scaled, up to float
# rounding. And eval mode must be deterministic.

# %%
def outputs(model, mode, times):
    """``times`` forward passes of the test set in train or eval mode."""
    model.train(mode == "train")
    with mg.no_grad():
        return [model(x_test_t).data for _ in range(times)]


def without_dropout(model, scale=None):
    """The test-set output of the same layers with the Dropout modules skipped (``scale``:
    multiply the hidden activations by it instead, as vanilla dropout's eval mode should)."""
    h = x_test_t
    with mg.no_grad():
        for module in model.eval():
            if not isinstance(module, nn.Dropout):
                h = module(h)
            elif scale is not None:
                h = h * scale
    return h.data


inverted_model, vanilla_model = inverted_models[0], vanilla_models[0]
eval_a, eval_b = outputs(inverted_model, "eval", 2)
plain_out = without_dropout(inverted_model)
inverted_equal = np.array_equal(eval_a, plain_out) and np.array_equal(eval_a, eval_b)
van_a, van_b = outputs(vanilla_model, "eval", 2)
van_plain = without_dropout(vanilla_model, scale=1 - P)
vanilla_gap = float(np.abs(van_a - van_plain).max())
vanilla_ok = np.array_equal(van_a, van_b) and np.allclose(van_a, van_plain, rtol=1e-5,
                                                          atol=1e-5)
train_draws = outputs(inverted_model, "train", 50)
train_spread = float(np.std(train_draws, axis=0).mean())
inverted_model.eval()
print(f"  inverted: eval == no-dropout net bitwise: {inverted_equal}; vanilla: max |eval − "
      f"scaled no-dropout net| = {vanilla_gap:.1e}; train-mode logits vary by {train_spread:.2f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
sample, jitter = 0, np.random.default_rng(0).uniform(-0.15, 0.15, (50, 10))
for ax, model, name, draws, evaluated, plain in (
        (axes[0], inverted_model, "inverted", train_draws, eval_a, plain_out),
        (axes[1], vanilla_model, "vanilla", outputs(vanilla_model, "train", 50), van_a,
         van_plain)):
    classes = np.arange(10)
    for draw, shift in zip(draws, jitter):
        ax.scatter(classes + shift, draw[sample], s=6, color="0.6")
    ax.scatter([], [], s=6, color="0.6", label="train mode: 50 forward passes")
    ax.scatter(classes, evaluated[sample], s=60, color="C3", marker="o", label="eval mode")
    ax.scatter(classes, plain[sample], s=60, color="k", marker="x",
               label="network without dropout" + (" (×(1-p))" if name == "vanilla" else ""))
    ax.set(xlabel="output class", ylabel="logit (test sample 0)",
           title=f"C14 {name} dropout: eval mode = no dropout")
    ax.set_xticks(classes)
    ax.legend(fontsize=8)
lesson.figure(fig, "c14_inference")

# %%
status = "REPRODUCED" if inverted_equal and vanilla_ok else "NOT REPRODUCED"
lesson.verdict(
    "C14", status,
    f"inverted: eval output bitwise equal to the no-dropout network {inverted_equal}; "
    f"vanilla: eval deterministic, max |diff| to the (1-p)-scaled network {vanilla_gap:.1e}; "
    f"train-mode logits vary (mean std {train_spread:.2f})",
    claim="Dropout is off at inference: eval() output is deterministic and equals the "
          "network without dropout",
    figures=["c14_inference"])

# %% [markdown]
# `model.eval()` turns every dropout layer into the identity (inverted) or a fixed ×(1-p)
# (vanilla): no randomness is left, and the inverted network *is* the network without dropout,
# to the last bit. Forgetting `model.eval()` is a classic bug: predictions then change from
# call to call (the grey clouds) and are worse on average (C11, one mask).

# %% [markdown]
# ## C16: dropout after ReLU is better than before it
#
# > 如果在 ReLU 之前应用 dropout，那么负值和正值都有相同的机会被随机丢弃。这可能导致一些本应通过 ReLU
# > 激活为零的负值被保留，而一些有益的正值被丢弃……在 ReLU 之后使用 dropout 往往能获得更好的训练效果。(note 003)
# >
# > English: if dropout comes before ReLU, negative and positive values are equally likely to
# > be dropped; negative values that ReLU should zero may be kept while useful positive values
# > are dropped … dropout after ReLU usually trains better.
#
# Write m ∈ {0, 1} for a mask entry and s = 1/(1-p) > 0. Then
#
#     ReLU(m·s·x) = m·s·ReLU(x)      for every real x,
#
# because m·s ≥ 0 and ReLU is positively homogeneous: ReLU(c·x) = c·ReLU(x) for c ≥ 0. A
# dropped negative value is 0 either way, a kept negative value becomes 0 either way. So with
# the same mask the two orders compute the same function, and also the same gradient. We
# check it bit by bit: same mask (same seed) on random inputs, then two full training runs
# that differ only in the order. For contrast, tanh and sigmoid: tanh(0) = 0 but tanh is not
# homogeneous, and sigmoid(0) = 1/2 ≠ 0, so for them the order does matter.

# %%
print("  proof: ReLU(m*x/(1-p)) = m*ReLU(x)/(1-p) for m in {0,1}, since m/(1-p) >= 0 and "
      "ReLU(c*x) = c*ReLU(x) for c >= 0")
mg.manual_seed(lesson.seed)
z = mg.randn(1000, 256)
order_gap = {}
for name, act in (("ReLU", F.relu), ("tanh", F.tanh), ("sigmoid", F.sigmoid)):
    mg.manual_seed(lesson.seed + 7)
    before = act(F.dropout(z, P))
    mg.manual_seed(lesson.seed + 7)
    after = F.dropout(act(z), P)
    order_gap[name] = float(np.abs(before.data - after.data).max())
relu_bitwise = order_gap["ReLU"] == 0.0
print("  max |act(dropout(z)) − dropout(act(z))|: " +
      ", ".join(f"{k} {v:.3g}" for k, v in order_gap.items()))


def placed_mlp(before_relu):
    """40-256-256-10 with dropout before or after each hidden ReLU."""
    def block(fan_in, fan_out):
        pair = [nn.Dropout(P), nn.ReLU()] if before_relu else [nn.ReLU(), nn.Dropout(P)]
        return [nn.Linear(fan_in, fan_out), *pair]
    return nn.Sequential(*block(40, 256), *block(256, 256), nn.Linear(256, 10))


placement = {}
for before_relu in (True, False):
    mg.manual_seed(lesson.seed)
    model = placed_mlp(before_relu)
    placement[before_relu] = (model, train(model, lesson.seed, lesson.pick(full=10, fast=3)))
(model_b, hist_b), (model_a, hist_a) = placement[True], placement[False]
weights_identical = all(np.array_equal(p.data, q.data)
                        for p, q in zip(model_b.parameters(), model_a.parameters()))
losses_identical = hist_b.train_loss == hist_a.train_loss
print(f"  after training: weights bitwise identical {weights_identical}; loss curves "
      f"identical {losses_identical}; test acc {hist_b.val_acc[-1]:.3f} vs {hist_a.val_acc[-1]:.3f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
mg.manual_seed(lesson.seed + 7)
sample_before = F.relu(F.dropout(z, P)).data.ravel()[:3000]
mg.manual_seed(lesson.seed + 7)
sample_after = F.dropout(F.relu(z), P).data.ravel()[:3000]
axes[0].scatter(sample_after, sample_before, s=4)
axes[0].set(xlabel="dropout after ReLU:  m·s·ReLU(z)", ylabel="dropout before ReLU:  ReLU(m·s·z)",
            title="C16 same mask, both orders (3000 values)")
epochs_axis = np.arange(1, len(hist_a.train_loss) + 1)
axes[1].plot(epochs_axis, hist_a.train_loss, "o-", lw=4, alpha=0.5, label="after ReLU (train)")
axes[1].plot(epochs_axis, hist_b.train_loss, "x--", color="k", label="before ReLU (train)")
axes[1].plot(epochs_axis, hist_a.val_loss, "o-", lw=4, alpha=0.5, label="after ReLU (test)")
axes[1].plot(epochs_axis, hist_b.val_loss, "x--", color="C3", label="before ReLU (test)")
axes[1].set(xlabel="epoch", ylabel="cross-entropy", xticks=epochs_axis,
            title="C16 training runs differing only in the order")
axes[1].legend(fontsize=8)
names = list(order_gap)
axes[2].bar(names, [order_gap[n] for n in names], color=["C0", "C1", "C2"])
for i, n in enumerate(names):
    axes[2].text(i, order_gap[n], f"{order_gap[n]:.3g}", ha="center", va="bottom")
axes[2].set(xlabel="activation", ylabel="max |act(dropout(z)) − dropout(act(z))|",
            title="C16 does the order matter? (same mask)")
lesson.figure(fig, "c16_order")

# %%
identical = relu_bitwise and weights_identical and losses_identical
after_better = hist_a.val_acc[-1] > hist_b.val_acc[-1]
status = "NOT REPRODUCED" if identical else ("REPRODUCED" if after_better else "NUANCED")
lesson.verdict(
    "C16", status,
    f"ReLU: outputs with the same mask bitwise identical ({order_gap['ReLU']} max diff), "
    f"trained weights identical {weights_identical}, loss curves identical {losses_identical}; "
    f"order matters only for tanh ({order_gap['tanh']:.2f}) and sigmoid "
    f"({order_gap['sigmoid']:.2f})",
    claim="Dropout after ReLU is better than dropout before ReLU",
    figures=["c16_order"])

# %% [markdown]
# With ReLU, "before" and "after" are not two methods, they are one: ReLU(m·s·x) = m·s·ReLU(x)
# for every mask value m ∈ {0,1} and scale s > 0, so forward values, gradients and the whole
# training trajectory coincide bit for bit. The note's argument ("negative values may be kept
# while positive ones are dropped") overlooks that a kept negative value is zeroed by the ReLU
# anyway. (Placing dropout after the ReLU does save a little work — nothing else.) The order
# does matter for activations that are not positively homogeneous with f(0) = 0: with tanh
# the rescaling s passes through a curve, with sigmoid a dropped unit gives 1/2 instead of 0.
