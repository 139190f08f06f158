# %% [markdown]
# # Initialization meets normalization (C25) and recurrence (C26)
#
# Two last claims about initialization: that LayerNorm makes the choice of initial scale matter
# less, and that an LSTM learns long dependencies better with orthogonal recurrent weights and
# a forget-gate bias of 1.

# %%
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from lessons._lesson import Lesson
from lessons._train import fit, mnist1d_arrays

CLAIMS = ["C25", "C26"]

lesson = Lesson("l07_init_norm_lstm")
import matplotlib.pyplot as plt  # after Lesson, which selects the Agg backend

seeds = [lesson.seed + s for s in range(3)]


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


# %% [markdown]
# ## C25: with LayerNorm, initialization tricks matter less
#
# > 随着层归一化Layer Normalization的应用，对这些初始化技巧的需求可能会减少。(note 000)
# >
# > English: with Layer Normalization in use, the need for these initialization tricks may
# > decrease.
#
# A ReLU MLP with five hidden layers of width 128 on MNIST-1D, with and without a LayerNorm
# after each hidden Linear (Linear → LayerNorm → ReLU). All weights start as He's normal init
# (the right scale for ReLU), and the five hidden layers' weights are multiplied by a factor s
# from 0.1 to 10 (biases 0). The read-out layer keeps He's scale in both networks: no
# LayerNorm follows it, so it is not what the claim is about. Adam (lr 1e-3) for a fixed
# number of epochs, three seeds per cell. Without normalization the factor s multiplies the
# signal at each of the five hidden layers, so s⁵ at the read-out: from 10⁻⁵ to 10⁵.
# Rule: the spread (best − worst mean test accuracy across the scales) with LayerNorm is less
# than half of the spread without → REPRODUCED; smaller but not half → NUANCED; not smaller →
# NOT REPRODUCED.

# %%
scales = lesson.pick(full=[0.1, 0.3, 1.0, 3.0, 10.0], fast=[0.1, 1.0, 10.0])
epochs25 = lesson.pick(full=10, fast=3)
x, y, x_test, y_test = mnist1d_arrays(n_train=lesson.pick(full=2000, fast=500))
WIDTH, HIDDEN_LAYERS = 128, 5


def scaled_mlp(scale, layer_norm):
    """40 → 5 × (Linear(128) [→ LayerNorm] → ReLU) → Linear(10); He normal init, the hidden
    layers' weights × ``scale``."""
    layers, fan_in = [], 40
    for _ in range(HIDDEN_LAYERS):
        layers += [nn.Linear(fan_in, WIDTH)] + [nn.LayerNorm(WIDTH)] * layer_norm + [nn.ReLU()]
        fan_in = WIDTH
    readout = nn.Linear(WIDTH, 10)
    for module in layers + [readout]:
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
            if module is not readout:        # only the layers a LayerNorm can follow
                module.weight.data *= scale
    return nn.Sequential(*layers, readout)


def activation_stds(model):
    """Std of each hidden ReLU's output on the test set (eval mode, no graph)."""
    h, stds = mg.tensor(x_test), []
    with mg.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, nn.ReLU):
                stds.append(float(h.data.std()))
    return stds


results25 = {}
for layer_norm in (False, True):
    for scale in scales:
        accs, losses = [], []
        for seed in seeds:
            mg.manual_seed(seed)
            model = scaled_mlp(scale, layer_norm)
            if seed == seeds[0]:
                initial_stds = activation_stds(model)
            history = fit(model, optim.Adam(model.parameters(), lr=1e-3), x, y,
                          epochs=epochs25, batch_size=100, val=(x_test, y_test))
            diverged = not np.isfinite(history.train_loss[-1])  # fit stops at a NaN loss
            accs.append(0.1 if diverged else history.val_acc[-1])  # diverged: chance level
            losses.append(history.train_loss[-1])
        results25[layer_norm, scale] = {"acc": np.array(accs), "loss": np.array(losses),
                                        "initial_stds": initial_stds}
        print(f"  {'LayerNorm' if layer_norm else 'plain':9s} scale {scale:5.1f}: test acc "
              f"{mean_std(accs)}, train loss {np.mean(losses):.3g}")

# %%
spread = {}
fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
for layer_norm, color in ((False, "C0"), (True, "C3")):
    label = "with LayerNorm" if layer_norm else "plain"
    accs = np.array([results25[layer_norm, s]["acc"] for s in scales])
    spread[layer_norm] = accs.mean(1).max() - accs.mean(1).min()
    axes[0].errorbar(scales, accs.mean(1), yerr=accs.std(1), marker="o", capsize=3,
                     color=color, label=f"{label} (spread {spread[layer_norm]:.3f})")
    axes[1].plot(scales, [np.mean(results25[layer_norm, s]["loss"]) for s in scales], "o-",
                 color=color, label=label)
    shades = (plt.cm.Reds if layer_norm else plt.cm.Blues)(np.linspace(0.35, 1, len(scales)))
    for scale, shade in zip(scales, shades):
        axes[2].plot(range(1, HIDDEN_LAYERS + 1), results25[layer_norm, scale]["initial_stds"],
                     "o-" if layer_norm else "s--", ms=4, color=shade, label=f"{label}, s={scale}")
axes[0].set(xscale="log", xlabel="init scale s (× He normal)", ylabel="test accuracy",
            title=f"C25 final test accuracy ({len(seeds)} seeds, {epochs25} epochs)")
axes[1].set(xscale="log", yscale="log", xlabel="init scale s (× He normal)",
            ylabel="final training loss", title="C25 final training loss")
axes[2].set(yscale="log", xlabel="hidden layer", ylabel="activation std at init",
            title="C25 signal through depth at initialization")
for ax in axes[:2]:
    ax.legend(fontsize=8)
axes[2].legend(fontsize=6, ncol=2)
lesson.figure(fig, "c25_init_scale")

ratio25 = spread[True] / max(spread[False], 1e-12)
status = ("REPRODUCED" if ratio25 < 0.5 else "NUANCED" if ratio25 < 1 else "NOT REPRODUCED")
lesson.verdict(
    "C25", status,
    f"spread of test acc over init scales {scales[0]}–{scales[-1]}: plain {spread[False]:.3f}, "
    f"LayerNorm {spread[True]:.3f} (ratio {ratio25:.2f}); test acc at s={scales[0]}/"
    f"{scales[-1]}: plain {results25[False, scales[0]]['acc'].mean():.3f}/"
    f"{results25[False, scales[-1]]['acc'].mean():.3f}, LN "
    f"{results25[True, scales[0]]['acc'].mean():.3f}/{results25[True, scales[-1]]['acc'].mean():.3f}"
    f" ({len(seeds)} seeds)",
    claim="With LayerNorm, initialization tricks matter less: results vary less across init "
          "scales",
    figures=["c25_init_scale"])

# %% [markdown]
# LayerNorm divides each sample's pre-activations by their own standard deviation, so the
# forward pass of a normalized layer does not see the scale of its weights at all (the right
# panel: the signal stays at the same level for every s). What the scale still changes is the
# *effective learning rate*: a weight that is 10× larger is moved by Adam's lr-sized steps 10×
# more slowly relative to its size, so a normalized layer initialized too large learns slowly
# and one initialized too small learns fast. Without normalization the same factor compounds
# over depth, so the network either starts with a vanishing signal or with enormous logits.
#
# So LayerNorm changes *how* a bad scale hurts rather than guaranteeing that it does not:
# a huge or vanishing signal without it, a too-slow or too-fast effective learning rate with
# it. Whether that leaves results less sensitive to the init scale at a fixed training budget
# is exactly what the two spreads in the verdict line compare; the left panel shows where each
# network is best.

# %% [markdown]
# ## C26: LSTM — orthogonal recurrent weights and a forget-gate bias of 1 help long dependencies
#
# > LSTM 使用 orthogonal_ 初始化，forget gate bias 初始化为 1 (note 002)
# >
# > English: initialize an LSTM with orthogonal_, and the forget-gate bias to 1.
#
# > 参数初始化，lstm的h用orthogonal，其它用he或xavier。(note 004)
# >
# > English: for parameter init, use orthogonal for the LSTM's hidden-to-hidden weights, He
# > or Xavier for the rest.
#
# The adding problem: a sequence of T steps, each a random value in [0, 1] and a marker; the
# target is the sum of the two marked values, one in each half of the sequence. Predicting the
# constant 1 scores MSE 1/6 ≈ 0.167; reaching MSE 0.05 needs the first marked value to be
# remembered across ≥ T/2 steps. An LSTM (hidden 32) reads the sequence, a Linear reads its
# last hidden state; Adam (lr 1e-3), batches of 64. Three initializations, each from PyTorch's
# default U(±1/√H) except:
#
# * forget bias 0 — the forget gate's bias (its slice of `bias_ih_l0` and `bias_hh_l0`) set to 0;
# * forget bias 1 — the same slice of `bias_ih_l0` set to 1 (and of `bias_hh_l0` to 0);
# * forget bias 1 + orthogonal — also each gate's block of `weight_hh_l0` orthogonal.
#
# A forget gate σ(b) ≈ 0.5 at b = 0 halves the cell state at each step; at b = 1 it keeps
# σ(1) ≈ 0.73 of it. Five seeds per variant (the step at which a run escapes the plateau
# varies a lot from seed to seed); test MSE on 500 held-out sequences every 50 steps. Rule (on
# forget bias 1 vs 0, the catalogue's measure): REPRODUCED if bias 1 reaches the target in fewer steps
# (median over seeds; a run that never reaches it counts as the budget); NUANCED if neither
# reaches it but bias 1 ends with a lower test loss in every seed; NOT REPRODUCED otherwise.

# %%
SEQ_LEN = lesson.pick(full=30, fast=10)
HIDDEN = 32
steps26 = lesson.pick(full=1500, fast=100)
eval_every = lesson.pick(full=50, fast=25)
seeds26 = [lesson.seed + s for s in range(lesson.pick(full=5, fast=3))]  # escape times vary
TARGET = 0.05
adding = mg.data.datasets.adding_task(num_samples=10500, seq_len=SEQ_LEN, seed=1,
                                      train_split=10000 / 10500)
x_seq, y_seq = adding.X_train, adding.y_train
x_held, y_held = mg.tensor(adding.X_test), mg.tensor(adding.y_test)


class AddingModel(nn.Module):
    """LSTM over the sequence, Linear on the last hidden state."""

    def __init__(self, forget_bias, orthogonal):
        super().__init__()
        self.lstm = nn.LSTM(2, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)
        forget = slice(HIDDEN, 2 * HIDDEN)                 # gate order i, f, g, o
        with mg.no_grad():
            self.lstm.bias_ih_l0.data[forget] = forget_bias
            self.lstm.bias_hh_l0.data[forget] = 0.0
            if orthogonal:
                for gate in range(4):
                    block = mg.zeros(HIDDEN, HIDDEN)
                    nn.init.orthogonal_(block)
                    self.lstm.weight_hh_l0.data[gate * HIDDEN:(gate + 1) * HIDDEN] = block.data

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


def train_adding(seed, forget_bias, orthogonal):
    """Returns the held-out MSE every ``eval_every`` steps (index 0: before training)."""
    mg.manual_seed(seed)
    model = AddingModel(forget_bias, orthogonal)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    generator = mg.random.generator()
    curve = []
    for step in range(steps26 + 1):
        if step % eval_every == 0:
            with mg.no_grad():
                curve.append(F.mse_loss(model(x_held), y_held).item())
        if step == steps26:
            break
        index = generator.integers(0, len(x_seq), 64)
        loss = F.mse_loss(model(mg.tensor(x_seq[index])), mg.tensor(y_seq[index]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return np.array(curve)


def steps_to_target(curve):
    reached = np.flatnonzero(curve <= TARGET)
    return int(reached[0]) * eval_every if reached.size else steps26


inits26 = {"forget bias 0": (0.0, False), "forget bias 1": (1.0, False),
           "forget bias 1 + orthogonal W_hh": (1.0, True)}
curves26 = {name: np.array([train_adding(seed, *spec) for seed in seeds26])
            for name, spec in inits26.items()}
steps26_by = {name: np.array([steps_to_target(c) for c in curves])
              for name, curves in curves26.items()}
for name in inits26:
    print(f"  {name:32s} steps to MSE {TARGET}: {steps26_by[name].tolist()} (budget {steps26}); "
          f"final test MSE {mean_std(curves26[name][:, -1])}")

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
steps_axis = np.arange(curves26["forget bias 0"].shape[1]) * eval_every
for (name, curves), color in zip(curves26.items(), ("C0", "C3", "C2")):
    for i, curve in enumerate(curves):
        ax.plot(steps_axis, curve, color=color, alpha=0.8, lw=1.2, label=name if i == 0 else None)
ax.axhline(1 / 6, color="0.5", ls="--", label="predict the mean (MSE 1/6)")
ax.axhline(TARGET, color="k", ls=":", label=f"target MSE {TARGET}")
ax.set(yscale="log", xlabel="training step (batch 64)", ylabel="held-out MSE",
       title=f"C26 LSTM on the adding problem, T = {SEQ_LEN} ({len(seeds26)} seeds each)")
ax.legend(fontsize=8)
lesson.figure(fig, "c26_lstm_forget_bias")

# %%
zero, one = steps26_by["forget bias 0"], steps26_by["forget bias 1"]
any_reached = (zero < steps26).any() or (one < steps26).any()
final_zero, final_one = curves26["forget bias 0"][:, -1], curves26["forget bias 1"][:, -1]
if any_reached:
    status = "REPRODUCED" if np.median(one) < np.median(zero) else "NOT REPRODUCED"
else:
    status = "NUANCED" if np.all(final_one < final_zero) else "NOT REPRODUCED"
orth = steps26_by["forget bias 1 + orthogonal W_hh"]
lesson.verdict(
    "C26", status,
    f"median steps to MSE {TARGET} (budget {steps26}): forget bias 0 {np.median(zero):.0f}, "
    f"bias 1 {np.median(one):.0f}, bias 1 + orthogonal {np.median(orth):.0f}; final MSE "
    f"{final_zero.mean():.3f} / {final_one.mean():.3f} / "
    f"{curves26['forget bias 1 + orthogonal W_hh'][:, -1].mean():.3f} (T={SEQ_LEN}, "
    f"{len(seeds26)} seeds)",
    claim="LSTM: forget-gate bias 1 (and orthogonal recurrent weights) help long dependencies",
    figures=["c26_lstm_forget_bias"])

# %% [markdown]
# Every run first sits on the plateau of the best constant guess (MSE 1/6): until the cell
# state carries the first marked value to the end of the sequence, the gradient has nothing to
# follow. A forget gate that starts half-closed (bias 0) multiplies the memory — and the
# gradient flowing back through it — by about 0.5 per step; starting it at σ(1) ≈ 0.73 lets
# both travel further, so the escape from the plateau comes sooner (Gers et al., 2000;
# Jozefowicz et al., 2015). Orthogonal recurrent weights keep the h-to-h path norm-preserving
# at the start; in an LSTM the cell state's additive path already does most of that work, so
# expect a smaller and less consistent effect from it than from the forget bias.
