# %% [markdown]
# # Residual connections: degradation, and shortcuts across a change of shape (C36, C37)
#
# > ResNet … 通过引入残差连接解决了深度神经网络训练过程中的退化问题，即随着网络深度的增加，网络的训练
# > 误差反而上升。(note 003, "残差连接")
# >
# > English: "ResNet, by introducing residual connections, solved the *degradation* problem of
# > training deep networks: as the network gets deeper, its *training* error goes up." — **C36**
#
# > 当F(x)与x的形状不一致时 … 1. 卷积调整: 使用一个1×1的卷积层来改变x的维度 … 但这样会增加参数 …
# > 2. 零填充调整: … 在通道维度上添加额外的零来增加x的通道数 … 这种方式不引入额外的参数，但仅限于通道数
# > 的调整。(note 003)
# >
# > English: "When F(x) and x differ in shape … 1. projection: a 1×1 convolution changes x's
# > dimensions … but adds parameters and computation; 2. zero-padding: append zero channels to x
# > … adds no parameters, but can only change the number of channels." — **C37**
#
# The note's block: F(x) = W₂σ(W₁x + b₁) + b₂, H(x) = σ(F(x) + x). The plain block is the same
# two layers without "+ x".

# %%
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import fit, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l12_residual")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]
x_train, y_train, _, _ = mnist1d_arrays(n_train=1000)


class Block(nn.Module):
    """H(x) = ReLU(F(x) + shortcut(x)), F(x) = W₂ ReLU(W₁x + b₁) + b₂ (no shortcut: plain).

    ``shortcut``: "identity", "none" (plain block), "projection" (a Linear without bias, the
    fully connected 1×1 convolution) or "zeros" (append zero features to x)."""

    def __init__(self, fan_in: int, fan_out: int, shortcut: str = "identity"):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(fan_in, fan_out), nn.Linear(fan_out, fan_out)
        self.shortcut, self.extra = shortcut, fan_out - fan_in
        if shortcut == "projection":
            self.project = nn.Linear(fan_in, fan_out, bias=False)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        out = self.fc2(F.relu(self.fc1(x)))
        if self.shortcut == "identity":
            out = out + x
        elif self.shortcut == "projection":
            out = out + self.project(x)
        elif self.shortcut == "zeros":
            out = out + F.pad(x, (0, self.extra))
        return F.relu(out)


def deep_net(blocks: int, residual: bool, width: int = 32) -> nn.Sequential:
    """Linear(40, width), ``blocks`` blocks of two layers each, Linear(width, 10)."""
    body = [Block(width, width, "identity" if residual else "none") for _ in range(blocks)]
    return nn.Sequential(nn.Linear(40, width), nn.ReLU(), *body, nn.Linear(width, 10))


# %% [markdown]
# ## C36. Training loss against depth, plain vs residual
#
# MLPs of width 32 with 1 … many blocks (2 … 2·blocks + 2 linear layers), default (PyTorch)
# initialization, Adam lr 1e-3, batch 100, the same number of epochs for all. Degradation is
# about the *training* loss (not over-fitting): a deeper plain net could copy a shallower one
# and set the extra blocks to the identity, yet it ends worse.

# %%
DEPTHS = lesson.pick(full=[1, 3, 6, 12], fast=[1, 4, 10])
EPOCHS = lesson.pick(full=20, fast=8)
train_loss = {}
for residual in (False, True):
    for blocks in DEPTHS:
        finals = []
        for seed in SEEDS:
            mg.manual_seed(seed)
            model = deep_net(blocks, residual)
            history = fit(model, optim.Adam(model.parameters(), lr=1e-3), x_train, y_train,
                          epochs=EPOCHS, batch_size=100)
            finals.append(history.train_loss[-1])
        train_loss[residual, blocks] = np.array(finals)
        print(f"{'residual' if residual else 'plain':8s} {blocks:2d} blocks "
              f"({2 * blocks + 2} linear layers): final train loss {np.mean(finals):.3f} ± "
              f"{np.std(finals):.3f}")

# %%
fig, ax = subplots(1, 1, figsize=(7.5, 4.5))
layers = [2 * b + 2 for b in DEPTHS]
for residual, color in ((False, "C3"), (True, "C0")):
    means = [train_loss[residual, b].mean() for b in DEPTHS]
    stds = [train_loss[residual, b].std() for b in DEPTHS]
    ax.errorbar(layers, means, yerr=stds, fmt="o-", color=color, capsize=3,
                label="residual" if residual else "plain")
ax.axhline(np.log(10), color="gray", ls=":", label="chance (ln 10)")
ax.set_xlabel("number of linear layers")
ax.set_ylabel(f"training loss after {EPOCHS} epochs (mean ± std, {len(SEEDS)} seeds)")
ax.set_title("C36: degradation — deeper plain nets train worse")
ax.legend()
lesson.figure(fig, "c36_depth")

# %%
shallow, deep = DEPTHS[0], DEPTHS[-1]
spread = max(v.std() for v in train_loss.values())
plain_degrades = train_loss[False, deep].mean() > train_loss[False, shallow].mean() + spread
residual_ok = train_loss[True, deep].mean() <= train_loss[True, shallow].mean() + spread
status = ("REPRODUCED" if plain_degrades and residual_ok else
          "NUANCED" if plain_degrades or residual_ok else "NOT REPRODUCED")
lesson.verdict("C36", status,
               f"train loss {2 * shallow + 2} → {2 * deep + 2} layers: plain "
               f"{train_loss[False, shallow].mean():.3f} → {train_loss[False, deep].mean():.3f}, "
               f"residual {train_loss[True, shallow].mean():.3f} → "
               f"{train_loss[True, deep].mean():.3f} (seed spread ≤ {spread:.3f}, "
               f"{len(SEEDS)} seeds, {EPOCHS} epochs Adam)",
               claim="Deeper plain nets train worse than shallower ones (degradation); residual "
                     "connections fix this", figures=["c36_depth"])

# %% [markdown]
# ## C37. Shortcuts when the shape changes
#
# A residual net whose width grows 16 → 32 → 64 (two blocks change width). The shortcut of those
# blocks is either a projection (a bias-free Linear, which is what a 1×1 convolution does at
# each position) or zero-padding (x followed by zeros). Both must train; the projection adds
# exactly fan_in·fan_out parameters per changing block. We also count the convolutional case:
# a `Conv1d(c_in, c_out, kernel_size=1, bias=False)` shortcut has c_in·c_out parameters.

# %%
def widening_net(shortcut: str) -> nn.Sequential:
    return nn.Sequential(nn.Linear(40, 16), nn.ReLU(), Block(16, 16), Block(16, 32, shortcut),
                         Block(32, 32), Block(32, 64, shortcut), nn.Linear(64, 10))


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


EPOCHS37 = lesson.pick(full=20, fast=15)
curves37, count = {}, {}
for shortcut in ("projection", "zeros"):
    count[shortcut] = n_params(widening_net(shortcut))
    curves37[shortcut] = []
    for seed in SEEDS:
        mg.manual_seed(seed)
        model = widening_net(shortcut)
        history = fit(model, optim.Adam(model.parameters(), lr=1e-3), x_train, y_train,
                      epochs=EPOCHS37, batch_size=100)
        curves37[shortcut].append(history.train_acc)
    finals = [c[-1] for c in curves37[shortcut]]
    print(f"{shortcut:10s}: {count[shortcut]} parameters, final train accuracy "
          f"{np.mean(finals):.3f} ± {np.std(finals):.3f}")
expected_extra = 16 * 32 + 32 * 64
conv_extra = n_params(nn.Conv1d(16, 32, kernel_size=1, bias=False))
print(f"projection − zero-padding = {count['projection'] - count['zeros']} parameters "
      f"(16·32 + 32·64 = {expected_extra}); Conv1d(16, 32, 1) shortcut: {conv_extra} = 16·32")

# %%
fig, ax = subplots(1, 1, figsize=(7.5, 4.5))
for shortcut, color in (("projection", "C0"), ("zeros", "C2")):
    mean = np.mean(curves37[shortcut], 0)
    ax.plot(np.arange(1, len(mean) + 1), mean, "o-", color=color,
            label=f"{shortcut} shortcut ({count[shortcut]} params)")
ax.set_xlabel("epoch")
ax.set_ylabel(f"training accuracy (mean of {len(SEEDS)} seeds)")
ax.set_title("C37: widening residual net, projection vs zero-padding shortcut")
ax.legend()
lesson.figure(fig, "c37_shortcuts")

# %%
final37 = {s: np.mean([c[-1] for c in curves37[s]]) for s in curves37}
# "Both train": each is well above chance (2 × 10 %) and within 10 % of the other.
both_train = min(final37.values()) > 0.2 and min(final37.values()) > 0.9 * max(final37.values())
counts_ok = (count["projection"] - count["zeros"] == expected_extra and conv_extra == 16 * 32)
lesson.verdict("C37", "REPRODUCED" if both_train and counts_ok else "NOT REPRODUCED",
               f"train acc projection {final37['projection']:.3f}, zero-padding "
               f"{final37['zeros']:.3f}; extra parameters {count['projection'] - count['zeros']} "
               f"= 16·32 + 32·64 ({len(SEEDS)} seeds, {EPOCHS37} epochs; rule: both > 2× chance "
               f"and within 10 %, counts exact)",
               claim="Where shapes differ, a projection shortcut or zero-padding both work; "
                     "projection adds parameters", figures=["c37_shortcuts"])

# %% [markdown]
# ## What it means
#
# With the same optimizer and budget, adding plain layers makes the *training* loss worse — not
# over-fitting but an optimization failure — while the same layers with identity shortcuts do
# not hurt (C36): each residual block starts near the identity, so depth is cheap to add. When
# the width changes, a zero-padded identity is free and trains; a projection costs
# fan_in·fan_out parameters per block and can also change the spatial size (stride), which
# zero-padding cannot (C37).
