# %% [markdown]
# # How much does the random seed matter? (C64)
#
# Note 002 ends its list of tuning tricks with a section called 玄学 ("metaphysics", i.e. black
# magic):
#
# > ```
# > while True:
# >     rand_seed = random.randint(0, 99999)
# >     torch.manul_seed(rand_seed)
# >     save(rand_seed)
# >     run_model()
# >     # 然后去玩几天游戏
# > ```
# > (note 002, section 玄学)
# >
# > English: "Metaphysics: loop forever — draw a random seed, seed torch with it, save the seed,
# > run the model — *and then go play games for a few days*." — **C64**: results depend on the
# > random seed.
#
# The joke has a serious core: everything random in training — the initial weights, the order
# of the mini-batches, the dropout masks — changes the final model, and a seed that "works" can
# be found by trying many. We measure how much, on MNIST-1D, for four models, and what picking
# the best seed buys.

# %%
import numpy as np

import minigrad as mg
from lessons._lesson import Lesson
from lessons._train import evaluate, fit, mlp, mnist1d_arrays
from minigrad import nn, optim
from minigrad.plot import subplots

lesson = Lesson("l43_seeds")
N_SEEDS = lesson.pick(full=10, fast=4)
SEEDS = [lesson.seed + i for i in range(N_SEEDS)]
EPOCHS = lesson.pick(full=20, fast=6)
x_all, y_all, x_test, y_test = mnist1d_arrays()
N_TRAIN = lesson.pick(full=3000, fast=2000)
x_train, y_train = x_all[:N_TRAIN], y_all[:N_TRAIN]
x_val, y_val = x_all[3000:], y_all[3000:]  # 1000 validation samples, never trained on

# %% [markdown]
# ## The models and the protocol
#
# Four models of increasing capacity and randomness, all trained with Adam (lr 3·10⁻³,
# batches of 100, E epochs) on the same data; only the seed changes:
# - **linear**: softmax regression 40 → 10 (a convex problem: the seed only moves the path);
# - **MLP**: 40-100-10 with ReLU;
# - **wide MLP + dropout**: 40-256-256-10, dropout 0.3 after each hidden layer;
# - **CNN**: two Conv1d(5)+ReLU+MaxPool(2) layers with 8 channels, then a linear read-out.
#
# A seed *s* seeds both the initial weights and the training randomness (batch order, dropout
# masks). For the MLP we also separate the two: weights from seed *s* with the batch order of
# seed 0 ("init only"), and the reverse ("order only"). Accuracy is measured on the 1000 test
# samples; a further 1000 validation samples serve to *choose* a seed.

# %%
class SmallCNN(nn.Module):
    """(N, 40) → Conv1d(1→8, 5) → ReLU → MaxPool(2) → Conv1d(8→8, 5) → ReLU → MaxPool(2)
    → Linear(80 → 10)."""

    def __init__(self, channels: int = 8):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(1, channels, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Flatten(), nn.Linear(channels * 10, 10))

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return self.body(x.reshape(x.shape[0], 1, x.shape[1]))


def wide_dropout_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(40, 256), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))


MODELS = {"linear": lambda: nn.Linear(40, 10), "MLP 40-100-10": lambda: mlp([40, 100, 10]),
          "wide MLP + dropout": wide_dropout_mlp, "CNN": SmallCNN}


def run(name: str, init_seed: int, order_seed: int) -> dict:
    """Train ``name`` with weights from ``init_seed`` and batch order/dropout from
    ``order_seed``; its final validation and test accuracy."""
    mg.manual_seed(init_seed)
    model = MODELS[name]()
    mg.manual_seed(10_000 + order_seed)  # a stream apart from the init streams
    history = fit(model, optim.Adam(model.parameters(), lr=3e-3), x_train, y_train,
                  epochs=EPOCHS, batch_size=100, val=(x_val, y_val))
    return {"val": history.val_acc[-1], "test": evaluate(model, x_test, y_test)[1]}


results = {name: [run(name, s, s) for s in SEEDS] for name in MODELS}
test_acc = {name: 100 * np.array([r["test"] for r in rs]) for name, rs in results.items()}
val_acc = {name: 100 * np.array([r["val"] for r in rs]) for name, rs in results.items()}
for name, acc in test_acc.items():
    print(f"{name:<20} test acc {acc.mean():5.1f} ± {acc.std():.1f} %, "
          f"range {acc.min():.1f}–{acc.max():.1f} ({acc.max() - acc.min():.1f} points)")

SPLIT = "MLP 40-100-10"
sources = {"init only": [run(SPLIT, s, SEEDS[0]) for s in SEEDS],
           "order only": [run(SPLIT, SEEDS[0], s) for s in SEEDS],
           "both": results[SPLIT]}
split_acc = {kind: 100 * np.array([r["test"] for r in rs]) for kind, rs in sources.items()}
for kind, acc in split_acc.items():
    print(f"{SPLIT}, seed varies {kind:<10}: test acc {acc.mean():5.1f} ± {acc.std():.1f} %, "
          f"range {acc.max() - acc.min():.1f} points")

# %% [markdown]
# ## Seed hunting
#
# The note's loop keeps the seed of the best run. If "best" is judged on the test set, the
# gain is partly selection: the best of N draws, which flatters the model. A fair hunter picks
# the seed on the validation set and looks at the test set once. For each model we compare the
# mean test accuracy with (a) the best test accuracy among the seeds (picking on the test set)
# and (b) the test accuracy of the seed with the best validation accuracy. If validation and
# test accuracy go together across seeds (correlation near 1), the seed changed the model's
# real quality — a lucky start that trained further in the same epochs — and a hunt on
# validation keeps its gain; near 0, the differences are the noise of one evaluation set.

# %%
hunt = {}
for name in MODELS:
    picked = int(np.argmax(val_acc[name]))
    hunt[name] = {"best on test": test_acc[name].max() - test_acc[name].mean(),
                  "best on validation": test_acc[name][picked] - test_acc[name].mean(),
                  "corr": float(np.corrcoef(val_acc[name], test_acc[name])[0, 1])}
    print(f"{name:<20} gain over the mean test acc: pick on test "
          f"{hunt[name]['best on test']:+.1f}, pick on validation "
          f"{hunt[name]['best on validation']:+.1f} points; corr(val, test) "
          f"{hunt[name]['corr']:+.2f}")

# %%
fig, (ax_models, ax_split, ax_hunt) = subplots(1, 3, figsize=(18, 4.8),
                                                gridspec_kw={"width_ratios": [1.3, 0.9, 1]})
jitter = mg.random.generator().uniform(-0.12, 0.12, N_SEEDS)
for k, (name, acc) in enumerate(test_acc.items()):
    ax_models.boxplot(acc, positions=[k], widths=0.5, showfliers=False,
                      medianprops={"color": f"C{k}"})
    ax_models.plot(k + jitter, acc, "o", color=f"C{k}", alpha=0.8,
                   label=f"{name}: {acc.mean():.1f} ± {acc.std():.1f} %, "
                         f"range {acc.max() - acc.min():.1f}")
ax_models.set_xticks(range(len(MODELS)), list(MODELS), fontsize=9)
ax_models.set(title=f"C64  test accuracy over {N_SEEDS} seeds", xlabel="model",
              ylabel="test accuracy (%)")
ax_models.legend(fontsize=8, loc="upper left")
top = max(acc.max() for acc in test_acc.values())
ax_models.set_ylim(top=top + 0.35 * (top - min(acc.min() for acc in test_acc.values())))
for k, (kind, acc) in enumerate(split_acc.items()):
    ax_split.boxplot(acc, positions=[k], widths=0.5, showfliers=False,
                     medianprops={"color": "C1"})
    ax_split.plot(k + jitter, acc, "o", color=f"C{k + 4}", alpha=0.8,
                  label=f"{kind}: ± {acc.std():.1f}, range {acc.max() - acc.min():.1f}")
ax_split.set_xticks(range(len(split_acc)), [f"seed varies\n{kind}" for kind in split_acc])
ax_split.set(title=f"C64  {SPLIT}: which randomness?", xlabel="what the seed changes",
             ylabel="test accuracy (%)")
ax_split.legend(fontsize=8, loc="upper left")
low = min(acc.min() for acc in split_acc.values())
high = max(acc.max() for acc in split_acc.values())
ax_split.set_ylim(low - 0.1 * (high - low), high + 0.45 * (high - low))
for k, name in enumerate(MODELS):
    ax_hunt.plot(val_acc[name] - val_acc[name].mean(), test_acc[name] - test_acc[name].mean(),
                 "o", color=f"C{k}", alpha=0.8,
                 label=f"{name} (corr {hunt[name]['corr']:+.2f})")
ax_hunt.axhline(0, color="gray", lw=0.8)
ax_hunt.axvline(0, color="gray", lw=0.8)
ax_hunt.set(title="C64  does a good validation seed stay good?",
            xlabel="validation accuracy − model's mean (points)",
            ylabel="test accuracy − model's mean (points)")
ax_hunt.legend(fontsize=8)
lesson.figure(fig, "c64_seeds")

# %% [markdown]
# **Rule.** The result "depends on the seed" if, for at least one model, the test accuracies
# over the seeds span at least **2 points** (max − min). Why 2 points: it is the size of the
# gains that tuning tricks are typically credited with (and twice the 1-point tolerance other
# lessons use to call two methods equal), so a spread that large means one run per setting
# cannot tell such a trick from the seed. The test set is fixed, so the spread is the model's
# own variation, not test-sampling noise. We also report the standard deviation, since the range
# grows with the number of seeds.

# %%
ranges = {name: float(acc.max() - acc.min()) for name, acc in test_acc.items()}
widest = max(ranges, key=ranges.get)
calmest = min(ranges, key=ranges.get)
depends = ranges[widest] >= 2.0
noisiest = min(MODELS, key=lambda name: hunt[name]["corr"])  # validation predicts test least
lesson.verdict(
    "C64", "REPRODUCED" if depends else "NOT REPRODUCED",
    f"test-accuracy range over {N_SEEDS} seeds: " + ", ".join(
        f"{name} {ranges[name]:.1f} (± {test_acc[name].std():.1f})" for name in MODELS)
    + f" points; widest {widest}, narrowest {calmest} (threshold 2 points); {SPLIT}: "
    + ", ".join(f"{kind} ± {acc.std():.1f}" for kind, acc in split_acc.items())
    + "; best seed's gain over the mean, picked on test / on validation: " + ", ".join(
        f"{name} +{hunt[name]['best on test']:.1f} / {hunt[name]['best on validation']:+.1f} "
        f"(corr {hunt[name]['corr']:+.2f})" for name in (widest, noisiest))
    + f"; {EPOCHS} epochs",
    claim="Results depend on the random seed", figures=["c64_seeds"])

# %% [markdown]
# **What it means.** On MNIST-1D the seed alone moves the test accuracy of one configuration
# by several points, more than many tricks are worth — so a comparison of two settings from one
# run each is a comparison of two seeds. Two kinds of seed effect show up:
# - **noise around the same model quality** (the MLPs, the linear model): the initial weights and
#   the batch order contribute about equally, and a seed that is best on the test set is not
#   best on the validation set — hunting seeds on the test set only selects noise;
# - **different training outcomes** (the small CNN): some seeds start from weights that train
#   much faster, validation and test agree on which, and the spread shrinks only when every seed
#   has converged. Here a seed hunt on validation "works", but what it finds is a symptom —
#   an architecture or schedule that is sensitive to its start.
#
# The convex linear model varies least: its optimum does not depend on the start, and the seed
# only moves where in the last epochs SGD noise leaves it. The practical rule: report mean ±
# std over several seeds (as these lessons do, ≥ 3), and choose anything — including the seed —
# on validation data, never on the test set.
