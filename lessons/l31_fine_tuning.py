# %% [markdown]
# # Fine-tuning: ULMFiT's tricks, three regimes, an auxiliary loss (C55, C56, C57)
#
# > Discriminative finetuning（因材施教式微调）：不同层捕获不同的信息类型，应该使用不同的学习率进行微调，
# > η^{l−1} = η^l / 2.6。**Slanted triangular learning rate（STLR）**：斜三角学习率 … Gradual
# > unfreezing：一层一层地解冻。(note 002, "微调技巧", after Howard & Ruder 2018, ULMFiT)
# >
# > English: "Discriminative fine-tuning: different layers capture different kinds of
# > information, so fine-tune them with different learning rates, η^{l−1} = η^l / 2.6. Slanted
# > triangular learning rate. Gradual unfreezing: unfreeze layer by layer." The note adds that
# > the bold tricks (STLR) "really improved my models". — **C55**
#
# > fine-tuning 模型的三种状态 … 状态一：只预测，不训练。特点：相对快、简单 … 状态二：训练，但只训练最后
# > 分类层 … 状态三：完全训练，分类层+之前卷积层都训练。特点：跟状态二的差异很小，当然状态三比较耗时 …
# > 预测精度相比状态二也提高不少。(note 002)
# >
# > English: "Three states of fine-tuning: 1. predict only, no training — relatively fast and
# > simple; 2. train only the last (classification) layer; 3. train everything, classifier and
# > the layers before — little different from state 2, more time-consuming, but the accuracy
# > improves quite a bit over state 2." — **C56**
#
# > auxiliary loss：首先预训练语言模型，然后在微调时加入语言模型损失（LM loss）作为辅助损失，即
# > L = L_task + γ L_LM。作者认为这可以避免灾难性遗忘（catastrophic forgetting）(note 002, after
# > Chronopoulou et al. 2019)
# >
# > English: "Auxiliary loss: pre-train, then during fine-tuning add the pre-training loss as an
# > auxiliary loss, L = L_task + γ·L_LM; the authors argue this avoids catastrophic
# > forgetting." — **C57**
#
# The setting, the same for all three claims: a 3-block MLP (40-64-64-64) is **pre-trained** on
# MNIST-1D digits 0–4 (the source task). The **target** task is digits 5–9 with only a few
# labelled examples per class; it gets a new 5-way head on the same body. We measure the target
# test accuracy and the **source retention** — the pre-trained source head's accuracy on the
# 0–4 test set after the body has been fine-tuned (how much was forgotten).

# %%
import time

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from minigrad import nn, optim
from minigrad.data import DataLoader, TensorDataset
from minigrad.optim import lr_scheduler as sched
from minigrad.plot import subplots
from minigrad.train import fit
from minigrad.train.callbacks import GradualUnfreezing

lesson = Lesson("l31_fine_tuning")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=5, fast=3))]
SHOTS = lesson.pick(full=10, fast=10)  # labelled target examples per class
PRE_EPOCHS = lesson.pick(full=40, fast=25)
FT_EPOCHS = lesson.pick(full=40, fast=16)
LR = 3e-3

split = mg.data.datasets.mnist1d(seed=42)
source_train = split.y_train < 5
source = (split.X_train[source_train], split.y_train[source_train])
source_test = (split.X_test[split.y_test < 5], split.y_test[split.y_test < 5])
target_test = (split.X_test[split.y_test >= 5], split.y_test[split.y_test >= 5] - 5)


def few_shots(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """SHOTS training examples of each digit 5–9 (chosen by ``seed``), labelled 0–4."""
    rng = np.random.default_rng(seed)
    index = np.concatenate([rng.choice(np.flatnonzero(split.y_train == digit), SHOTS,
                                       replace=False) for digit in range(5, 10)])
    return split.X_train[index], split.y_train[index] - 5


def loader(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> DataLoader:
    return DataLoader(TensorDataset(mg.tensor(x), mg.tensor(y)), batch_size=batch_size,
                      shuffle=True, seed=seed)


def accuracy(model: nn.Module, data: tuple[np.ndarray, np.ndarray]) -> float:
    model.eval()
    with mg.no_grad():
        predicted = model(mg.tensor(data[0])).numpy().argmax(1)
    model.train()
    return float((predicted == data[1]).mean())


class Transfer:
    """A body of three blocks shared by a source head and a target head."""

    def __init__(self):
        self.blocks = [nn.Sequential(nn.Linear(fan_in, 64), nn.ReLU()) for fan_in in (40, 64, 64)]
        self.body = nn.Sequential(*self.blocks)
        self.source = nn.Sequential(self.body, nn.Linear(64, 5))
        self.target = nn.Sequential(self.body, nn.Linear(64, 5))
        self.target_head = self.target[1]

    def layer_groups(self) -> list[nn.Module]:
        """Input to output: the three blocks, then the target head."""
        return [*self.blocks, self.target_head]


def pretrained(seed: int) -> Transfer:
    """A Transfer whose body and source head were trained on digits 0–4."""
    mg.manual_seed(seed)
    net = Transfer()
    fit(net.source, F.cross_entropy, optim.Adam(net.source.parameters(), lr=1e-3),
        loader(*source, 64, seed), epochs=PRE_EPOCHS, progress=False, metrics=None)
    return net


PRETRAINED = {seed: {k: np.array(v.data, copy=True)
                     for k, v in pretrained(seed).source.state_dict().items()} for seed in SEEDS}


def restored(seed: int) -> Transfer:
    """A fresh Transfer with seed ``seed``'s pre-trained body and source head, and a new
    randomly initialized target head."""
    mg.manual_seed(1000 + seed)
    net = Transfer()
    net.source.load_state_dict({k: mg.tensor(v) for k, v in PRETRAINED[seed].items()})
    return net


base_source_acc = np.array([accuracy(restored(s).source, source_test) for s in SEEDS])
print(f"pre-trained source test accuracy: {base_source_acc.mean():.3f} ± "
      f"{base_source_acc.std():.3f} ({len(SEEDS)} seeds, {PRE_EPOCHS} epochs)")

# %% [markdown]
# ## C55. Discriminative lr, slanted triangular lr, gradual unfreezing vs plain fine-tuning
#
# All methods train the whole target network (body + new head) with Adam for FT_EPOCHS epochs
# on the 5·SHOTS target examples (batch 10), top learning rate η = 3e-3:
#
# - **plain**: one lr η for every parameter, constant;
# - **discriminative**: `optim.discriminative_groups(blocks + head, η, 2.6)` — the head at η,
#   each lower block 2.6× smaller;
# - **STLR**: η for all, `SlantedTriangularLR` stepped per batch (short climb, long descent);
# - **gradual unfreezing**: `GradualUnfreezing` — the head alone first, then one more block
#   from the top every FT_EPOCHS/6 epochs (all unfrozen at half-time);
# - **ULMFiT**: all three together.

# %%
METHODS = ["plain", "discriminative", "STLR", "gradual unfreezing", "ULMFiT (all three)"]


def fine_tune(net: Transfer, method: str, seed: int, aux_gamma: float = 0.0) -> float:
    """Fine-tune ``net.target`` on the few shots with ``method``; return the seconds taken.

    ``aux_gamma > 0`` adds γ · (source cross-entropy on a source batch) to every step's loss."""
    x, y = few_shots(seed)
    groups = net.layer_groups()
    discriminative = method in ("discriminative", "ULMFiT (all three)")
    params = optim.discriminative_groups(groups, LR) if discriminative else \
        net.target.parameters()
    optimizer = optim.Adam(params, lr=LR)
    batches = len(x) // 10
    scheduler = sched.SlantedTriangularLR(optimizer, total_steps=FT_EPOCHS * batches) \
        if method in ("STLR", "ULMFiT (all three)") else None
    callbacks = [GradualUnfreezing(groups, every=max(1, FT_EPOCHS // 6))] \
        if method in ("gradual unfreezing", "ULMFiT (all three)") else []
    loss_fn = F.cross_entropy
    if aux_gamma:
        source_x, source_y = source
        rng = np.random.default_rng(seed)

        def loss_fn(output, target):
            index = rng.integers(0, len(source_x), 32)
            auxiliary = F.cross_entropy(net.source(mg.tensor(source_x[index])),
                                        mg.tensor(source_y[index]))
            return F.cross_entropy(output, target) + aux_gamma * auxiliary
    start = time.perf_counter()
    fit(net.target, loss_fn, optimizer, loader(x, y, 10, seed), epochs=FT_EPOCHS,
        scheduler=scheduler, scheduler_step="batch", callbacks=callbacks, progress=False,
        metrics=None)
    return time.perf_counter() - start


results55 = {method: {"target": [], "source": []} for method in METHODS}
for seed in SEEDS:
    for method in METHODS:
        net = restored(seed)
        fine_tune(net, method, seed)
        results55[method]["target"].append(accuracy(net.target, target_test))
        results55[method]["source"].append(accuracy(net.source, source_test))
for method, r in results55.items():
    r["target"], r["source"] = np.array(r["target"]), np.array(r["source"])
    print(f"{method:20s}: target acc {r['target'].mean():.3f} ± {r['target'].std():.3f}, "
          f"source retention {r['source'].mean():.3f} ± {r['source'].std():.3f}")

# %%
fig, (ax_target, ax_source) = subplots(1, 2, figsize=(14, 4.5))
positions = np.arange(len(METHODS))
for ax, key, title in ((ax_target, "target", f"target test accuracy (5–9, {SHOTS} shots/class)"),
                       (ax_source, "source", "source retention (0–4 test accuracy)")):
    means = [results55[m][key].mean() for m in METHODS]
    stds = [results55[m][key].std() for m in METHODS]
    ax.bar(positions, means, yerr=stds, color=[f"C{i}" for i in range(len(METHODS))],
           capsize=4)
    ax.set_xticks(positions, METHODS, rotation=20, ha="right")
    ax.set_ylabel(f"accuracy (mean ± std, {len(SEEDS)} seeds)")
    ax.set_title(f"C55: {title}")
ax_source.axhline(base_source_acc.mean(), color="k", ls=":", label="before fine-tuning")
ax_source.legend()
lesson.figure(fig, "c55_methods")

# %%
# Rule: a method "beats plain" on a measure when its mean is higher by more than the larger of
# the two seed spreads. REPRODUCED if the full ULMFiT recipe beats plain on target accuracy and
# is not worse on retention; NUANCED if it beats plain on one of the two; else NOT REPRODUCED.


def beats(method: str, key: str) -> bool:
    a, b = results55[method][key], results55["plain"][key]
    return a.mean() - b.mean() > max(a.std(), b.std())


def not_worse(method: str, key: str) -> bool:
    a, b = results55[method][key], results55["plain"][key]
    return a.mean() - b.mean() >= -max(a.std(), b.std())


ulmfit = "ULMFiT (all three)"
better_target, better_source = beats(ulmfit, "target"), beats(ulmfit, "source")
status = ("REPRODUCED" if better_target and not_worse(ulmfit, "source") else
          "NUANCED" if better_target or better_source else "NOT REPRODUCED")
summary = "; ".join(f"{m} {results55[m]['target'].mean():.3f}/{results55[m]['source'].mean():.3f}"
                    for m in METHODS)
lesson.verdict("C55", status,
               f"target acc / source retention: {summary} ({len(SEEDS)} seeds, {SHOTS} "
               f"shots/class, {FT_EPOCHS} epochs; retention before {base_source_acc.mean():.3f})",
               claim="Discriminative fine-tuning (η_{l−1}=η_l/2.6), slanted triangular lr, "
                     "gradual unfreezing beat plain fine-tuning on a small target set",
               figures=["c55_methods"])

# %% [markdown]
# ## C56. Predict only, train the last layer, train everything
#
# With new classes, "predict only" cannot use the source head; the training-free way to predict
# is to use the frozen body as a feature extractor and assign each test sample to the nearest
# class mean of the few labelled examples' features (no gradient step at all). "Last layer"
# trains only the new head (body frozen); "all" is plain fine-tuning of body + head. For scale,
# "from scratch" trains the same network from a random initialization on the few shots. Time
# is the wall-clock of the adaptation (training or computing the class means) on this CPU.

# %%
def nearest_mean(net: Transfer, seed: int) -> tuple[float, float]:
    """(accuracy, seconds) of nearest-class-mean prediction on frozen body features."""
    x, y = few_shots(seed)
    start = time.perf_counter()
    with mg.no_grad():
        features = net.body(mg.tensor(x)).numpy()
        means = np.stack([features[y == c].mean(0) for c in range(5)])
        seconds = time.perf_counter() - start
        test = net.body(mg.tensor(target_test[0])).numpy()
    predicted = ((test[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    return float((predicted == target_test[1]).mean()), seconds


def last_layer(net: Transfer, seed: int) -> float:
    net.body.requires_grad_(False)
    x, y = few_shots(seed)
    start = time.perf_counter()
    fit(net.target, F.cross_entropy, optim.Adam(net.target_head.parameters(), lr=LR),
        loader(x, y, 10, seed), epochs=FT_EPOCHS, progress=False, metrics=None)
    return time.perf_counter() - start


REGIMES = ["1. predict only", "2. last layer", "3. all layers", "from scratch"]
results56 = {regime: {"acc": [], "seconds": []} for regime in REGIMES}
for seed in SEEDS:
    acc, seconds = nearest_mean(restored(seed), seed)
    results56["1. predict only"]["acc"].append(acc)
    results56["1. predict only"]["seconds"].append(seconds)
    for regime in REGIMES[1:]:
        if regime == "from scratch":
            mg.manual_seed(2000 + seed)
            net = Transfer()
        else:
            net = restored(seed)
        seconds = last_layer(net, seed) if regime == "2. last layer" else \
            fine_tune(net, "plain", seed)
        results56[regime]["acc"].append(accuracy(net.target, target_test))
        results56[regime]["seconds"].append(seconds)
print(f"{'regime':18s} {'target acc':>16s} {'seconds':>9s}")
for regime, r in results56.items():
    r["acc"], r["seconds"] = np.array(r["acc"]), np.array(r["seconds"])
    print(f"{regime:18s} {r['acc'].mean():.3f} ± {r['acc'].std():.3f}    "
          f"{r['seconds'].mean():9.4f}")

# %%
fig, (ax_acc, ax_time) = subplots(1, 2, figsize=(12, 4.3))
positions = np.arange(len(REGIMES))
colors = ["C0", "C1", "C2", "gray"]
ax_acc.bar(positions, [results56[r]["acc"].mean() for r in REGIMES],
           yerr=[results56[r]["acc"].std() for r in REGIMES], color=colors, capsize=4)
ax_acc.set_ylabel(f"target test accuracy ({len(SEEDS)} seeds)")
ax_acc.set_title(f"C56: accuracy per regime ({SHOTS} shots/class)")
ax_time.bar(positions, [results56[r]["seconds"].mean() for r in REGIMES], color=colors)
ax_time.set_yscale("log")
ax_time.set_ylabel("adaptation time (s, log scale)")
ax_time.set_title(f"C56: time per regime ({FT_EPOCHS} epochs when training)")
for ax in (ax_acc, ax_time):
    ax.set_xticks(positions, REGIMES, rotation=15)
lesson.figure(fig, "c56_regimes")

# %%
# Rule: the note's three statements — time grows 1 < 2 < 3, and "all" is more accurate than
# "last layer" by more than the seed spread. Both: REPRODUCED; time order only: NUANCED.
t = {r: results56[r]["seconds"].mean() for r in REGIMES}
a = {r: results56[r]["acc"] for r in REGIMES}
time_order = t["1. predict only"] < t["2. last layer"] < t["3. all layers"]
all_better = a["3. all layers"].mean() - a["2. last layer"].mean() > \
    max(a["3. all layers"].std(), a["2. last layer"].std())
lesson.verdict("C56", "REPRODUCED" if time_order and all_better else
               "NUANCED" if time_order else "NOT REPRODUCED",
               "; ".join(f"{r}: acc {a[r].mean():.3f}, {t[r]:.3g} s" for r in REGIMES)
               + f" ({len(SEEDS)} seeds)",
               claim="Three fine-tuning regimes: predict only, train the last layer, train all",
               figures=["c56_regimes"])

# %% [markdown]
# ## C57. An auxiliary pre-training loss against forgetting
#
# Plain fine-tuning of all layers (as in C55), with L = L_task + γ·L_aux, where L_aux is the
# pre-training objective itself: the source head's cross-entropy on a batch of 32 source
# examples, drawn fresh at each step. γ ∈ {0 (plain), 0.3, 1}.

# %%
GAMMAS = [0.0, 0.3, 1.0]
results57 = {g: {"target": [], "source": []} for g in GAMMAS}
for seed in SEEDS:
    for gamma in GAMMAS:
        net = restored(seed)
        fine_tune(net, "plain", seed, aux_gamma=gamma)
        results57[gamma]["target"].append(accuracy(net.target, target_test))
        results57[gamma]["source"].append(accuracy(net.source, source_test))
for gamma, r in results57.items():
    r["target"], r["source"] = np.array(r["target"]), np.array(r["source"])
    print(f"γ = {gamma}: target acc {r['target'].mean():.3f} ± {r['target'].std():.3f}, "
          f"source retention {r['source'].mean():.3f} ± {r['source'].std():.3f}")

# %%
fig, ax = subplots(1, 1, figsize=(7, 4.5))
for key, marker, label in (("source", "o-", "source retention (0–4)"),
                           ("target", "s--", "target accuracy (5–9)")):
    ax.errorbar(GAMMAS, [results57[g][key].mean() for g in GAMMAS],
                yerr=[results57[g][key].std() for g in GAMMAS], fmt=marker, capsize=4,
                label=label)
ax.axhline(base_source_acc.mean(), color="k", ls=":", label="source acc before fine-tuning")
ax.set_xlabel("γ (weight of the auxiliary pre-training loss)")
ax.set_ylabel(f"test accuracy (mean ± std, {len(SEEDS)} seeds)")
ax.set_title("C57: L = L_task + γ·L_aux during fine-tuning")
ax.legend()
lesson.figure(fig, "c57_auxiliary")

# %%
plain57, aux57 = results57[0.0], results57[1.0]
retains = aux57["source"].mean() - plain57["source"].mean() > \
    max(aux57["source"].std(), plain57["source"].std())
lesson.verdict("C57", "REPRODUCED" if retains else "NOT REPRODUCED",
               f"source retention γ=0 {plain57['source'].mean():.3f} → γ=0.3 "
               f"{results57[0.3]['source'].mean():.3f} → γ=1 {aux57['source'].mean():.3f} "
               f"(before {base_source_acc.mean():.3f}); target acc {plain57['target'].mean():.3f}"
               f" → {results57[0.3]['target'].mean():.3f} → {aux57['target'].mean():.3f} "
               f"({len(SEEDS)} seeds)",
               claim="Auxiliary loss during fine-tuning (L = L_task + γ·L_aux) reduces forgetting",
               figures=["c57_auxiliary"])

# %% [markdown]
# ## What it means
#
# Read C55's two panels together: the ULMFiT tricks all move the lower layers less (smaller lr
# for them, frozen for a while, a small lr at the start and the end), so their first effect is
# on *retention*; whether that also buys target accuracy depends on how much the target task
# needs the body to change. C56 is the cost–benefit table the note describes, measured; and
# C57 shows the most direct way to not forget — keep optimizing the old objective — and what it
# costs on the new task.
