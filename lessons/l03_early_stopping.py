# %% [markdown]
# # Early stopping: keep the checkpoint with the best validation loss (C08)
#
# > 在训练时，一般来说是训练集的损失一直下降，而验证集的损失是先下降后上升的。验证集的损失之所以上升
# > 就是因为模型已经在训练集上过拟合了。选取验证集损失最小的模型，而不是最新的模型，这种策略就是早停。
# > (note 001 §4)
# >
# > English: "During training the training loss usually keeps falling, while the validation
# > loss first falls and then rises. It rises because the model has started to over-fit the
# > training set. Choosing the model with the lowest validation loss rather than the latest
# > one is early stopping."
#
# Note 004 adds: the eval loss falls until some epoch and then "levels off or starts to rise;
# then use early stopping to keep the model with the lowest eval loss".
#
# **Experiment.** A big MLP (40-256-256-10) on a *small* MNIST-1D training set (500 samples),
# Adam at lr 1e-3, trained for many epochs with minigrad's `train.fit`. A second 500 samples
# are the validation set that early stopping watches; the official 1000 test samples judge.
# `train.EarlyStopping(restore_best=True)` puts the best-validation weights back at the end;
# a small callback keeps a copy of the last weights first, so we can compare the two.

# %%
import numpy as np

import minigrad as mg
from lessons._lesson import Lesson
from lessons._train import evaluate, mlp, mnist1d_arrays
from minigrad import nn, optim, train
from minigrad.data import DataLoader, TensorDataset
from minigrad.plot import subplots

lesson = Lesson("l03_early_stopping")
SEEDS = [lesson.seed + i for i in range(lesson.pick(full=4, fast=3))]
EPOCHS = lesson.pick(full=120, fast=30)
N_TRAIN = 500
x_all, y_all, x_test, y_test = mnist1d_arrays()
x_train, y_train = x_all[:N_TRAIN], y_all[:N_TRAIN]
x_val, y_val = x_all[3000:3500], y_all[3000:3500]
HIDDEN = lesson.pick(full=256, fast=128)


def loader(x, y, shuffle):
    return DataLoader(TensorDataset(mg.tensor(x), mg.tensor(y)), batch_size=100, shuffle=shuffle)


class Snapshot(train.Callback):
    """Copy the weights as training ends. Callbacks end in list order, so a Snapshot listed
    before an EarlyStopping sees the weights that callback is about to replace."""

    def on_fit_end(self, run) -> None:
        self.state = run.model.state_dict()


# %%
runs = []
for seed in SEEDS:
    mg.manual_seed(seed)
    model = mlp([40, HIDDEN, HIDDEN, 10])
    # watch, never stop (patience = all epochs): [last weights] → restore best val accuracy →
    # [those weights] → restore best val loss
    last, at_best_accuracy = Snapshot(), Snapshot()
    by_accuracy = train.EarlyStopping(monitor="val_accuracy", mode="max", patience=EPOCHS)
    stopper = train.EarlyStopping(patience=EPOCHS, restore_best=True)
    history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                        loader(x_train, y_train, True), loader(x_val, y_val, False),
                        epochs=EPOCHS, callbacks=[last, by_accuracy, at_best_accuracy, stopper],
                        progress=False)
    best = evaluate(model, x_test, y_test)  # the restored, best-validation-loss weights
    model.load_state_dict(last.state)
    final = evaluate(model, x_test, y_test)
    model.load_state_dict(at_best_accuracy.state)
    accuracy_checkpoint = evaluate(model, x_test, y_test)
    runs.append({"history": history, "best_epoch": stopper.best_epoch,
                 "best_loss": best[0], "best_acc": best[1],
                 "last_loss": final[0], "last_acc": final[1],
                 "acc_epoch": by_accuracy.best_epoch, "acc_checkpoint_acc": accuracy_checkpoint[1]})
    print(f"seed {seed}: best val loss at epoch {stopper.best_epoch}/{EPOCHS}; test loss "
          f"restored {best[0]:.3f} vs last {final[0]:.3f}; test acc {best[1]:.3f} vs "
          f"{final[1]:.3f} (best-val-accuracy checkpoint, epoch {by_accuracy.best_epoch}: "
          f"{accuracy_checkpoint[1]:.3f})")

# %% [markdown]
# In practice one does not train to the end: `EarlyStopping(patience=k)` stops after k epochs
# without a new best. One more run, with patience 10, shows where that happens.

# %%
mg.manual_seed(SEEDS[0])
model = mlp([40, HIDDEN, HIDDEN, 10])
patient = train.EarlyStopping(patience=10, restore_best=True)
train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
          loader(x_train, y_train, True), loader(x_val, y_val, False), epochs=EPOCHS,
          callbacks=[patient], progress=False)
stopped_loss, stopped_acc = evaluate(model, x_test, y_test)
print(f"patience 10: stopped at epoch {patient.stopped_epoch} (best {patient.best_epoch}); "
      f"test loss {stopped_loss:.3f}, acc {stopped_acc:.3f}, after "
      f"{patient.stopped_epoch or EPOCHS} of {EPOCHS} epochs")

# %%
fig, (ax_loss, ax_acc) = subplots(1, 2, figsize=(12, 4.2))
epochs = np.arange(1, EPOCHS + 1)
for k, run in enumerate(runs):
    h = run["history"]
    ax_loss.plot(epochs, h["train_loss"], color="C0", alpha=0.7,
                 label="train loss (one line per seed)" if k == 0 else None)
    ax_loss.plot(epochs, h["val_loss"], color="C3", alpha=0.7,
                 label="validation loss" if k == 0 else None)
    ax_loss.plot(run["best_epoch"], h["val_loss"][run["best_epoch"] - 1], "k*", ms=11,
                 label="best validation loss (restored)" if k == 0 else None)
    ax_acc.plot(epochs, h["val_accuracy"], color="C3", alpha=0.7,
                label="validation accuracy" if k == 0 else None)
    ax_acc.plot(run["best_epoch"], h["val_accuracy"][run["best_epoch"] - 1], "k*", ms=11,
                label="epoch of best validation loss" if k == 0 else None)
if patient.stopped_epoch:
    for ax in (ax_loss, ax_acc):
        ax.axvline(patient.stopped_epoch, color="gray", ls="--", lw=1,
                   label="EarlyStopping(patience=10) stops (seed 0)")
ax_loss.set(yscale="log", title=f"C08  train vs validation loss, {N_TRAIN} training samples",
            xlabel="epoch", ylabel="cross-entropy (log scale)")
ax_acc.set(title="C08  validation accuracy", xlabel="epoch", ylabel="accuracy")
for ax in (ax_loss, ax_acc):
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
lesson.figure(fig, "c08_early_stopping")

# %%
best_epochs = np.array([run["best_epoch"] for run in runs])
train_end = np.array([run["history"]["train_loss"][-1] for run in runs])
train_at_best = np.array([run["history"]["train_loss"][run["best_epoch"] - 1] for run in runs])
loss_gain = np.array([run["last_loss"] - run["best_loss"] for run in runs])  # > 0: restored wins
acc_gain = np.array([run["best_acc"] - run["last_acc"] for run in runs])
acc_error = acc_gain.std(ddof=1) / np.sqrt(len(runs))

val_turns_up = bool(np.all(best_epochs < 0.8 * EPOCHS) and np.all(train_end < train_at_best))
restored_better_loss = bool(np.all(loss_gain > 0))
restored_not_worse_acc = acc_gain.mean() > -2 * acc_error
if val_turns_up and restored_better_loss:
    status = "REPRODUCED" if restored_not_worse_acc else "NUANCED"
else:
    status = "NOT REPRODUCED"
lesson.verdict(
    "C08", status,
    f"val loss minimum at epochs {best_epochs.tolist()} of {EPOCHS} while train loss falls "
    f"{train_at_best.mean():.3f}→{train_end.mean():.3f}; restored vs last test loss "
    f"{np.mean([r['best_loss'] for r in runs]):.3f} vs {np.mean([r['last_loss'] for r in runs]):.3f}"
    f" (better in {int((loss_gain > 0).sum())}/{len(runs)} seeds), test acc "
    f"{np.mean([r['best_acc'] for r in runs]):.3f} vs {np.mean([r['last_acc'] for r in runs]):.3f}"
    f" (best-val-accuracy checkpoint {np.mean([r['acc_checkpoint_acc'] for r in runs]):.3f})",
    claim="Early stopping: train loss keeps falling while val loss turns up; the best-val "
          "checkpoint beats the last one",
    figures=["c08_early_stopping"])

# %% [markdown]
# The loss half of the claim is robust: past the best epoch the network keeps lowering its
# training loss by becoming more confident, and on unseen data that confidence is often wrong,
# so the validation and test *losses* climb, and the restored checkpoint has a much lower test
# loss than the last one. Accuracy tells a different story (right panel): it can keep rising
# well after the validation loss has turned, because the ranking of the classes still
# improves while the probabilities become over-confident. When that happens the last model
# classifies better than the best-loss checkpoint, and the verdict says NUANCED. "Best" has to
# name its measure: to keep the most accurate model, early-stop on validation accuracy
# (`EarlyStopping(monitor="val_accuracy", mode="max")`, the last number in the verdict line);
# to keep the best-calibrated one, on validation loss.
