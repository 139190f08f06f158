"""Callbacks: early stopping stops when the validation loss turns up and restores the best
weights, checkpoints are written on schedule, gradual unfreezing trains the top groups first."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.data import DataLoader, TensorDataset
from minigrad.errors import StateError
from minigrad.train import (Callback, Checkpoint, EarlyStopping, GradualUnfreezing, evaluate,
                            fit, load_checkpoint)


def overshooting_run(callbacks, epochs=10):
    """w·x fitted to y = 2x from w = 0, validated against y = x.

    One full-batch SGD step per epoch (mean x² = 1, lr = 0.1) gives w ← w + 0.2 (2 − w):
    w = 0.4, 0.72, 0.976, 1.18, 1.35, ... after epochs 1, 2, 3, ... The validation loss
    (w − 1)² falls until epoch 3, then rises: the best epoch is 3.
    """
    x = np.array([[1.0], [-1.0]], np.float64)
    model = nn.Linear(1, 1, bias=False).double()
    nn.init.zeros_(model.weight)
    train = DataLoader(TensorDataset(x, 2 * x), batch_size=2)
    val = DataLoader(TensorDataset(x, x), batch_size=2)
    loss_fn = nn.MSELoss()
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), train, val,
                  epochs=epochs, callbacks=callbacks, progress=False)
    return model, history, evaluate(model, loss_fn, val)["loss"]


def weight_after(epochs):
    return 2 - 2 * 0.8 ** epochs  # the closed form of w ← w + 0.2 (2 − w) from w = 0


# -- early stopping ----------------------------------------------------------------------------


def test_early_stopping_stops_patience_epochs_after_the_best_and_restores_it():
    stopper = EarlyStopping(patience=2)
    model, history, final_val_loss = overshooting_run([stopper])
    assert history["epoch"] == [1, 2, 3, 4, 5], \
        f"expected to stop 2 epochs after the best (3), ran epochs {history['epoch']}"
    assert (stopper.best_epoch, stopper.stopped_epoch) == (3, 5)
    assert final_val_loss == min(history["val_loss"]) == stopper.best
    np.testing.assert_allclose(model.weight.data, [[weight_after(3)]], rtol=1e-12,
                               err_msg="expected the weight of epoch 3 restored")


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, history, final_val_loss = overshooting_run([EarlyStopping(patience=2,
                                                                     restore_best=False)])
    assert final_val_loss == history["val_loss"][-1] > min(history["val_loss"])
    np.testing.assert_allclose(model.weight.data, [[weight_after(5)]], rtol=1e-12)


def test_best_weights_are_restored_even_when_training_runs_to_the_end():
    stopper = EarlyStopping(patience=10)
    model, history, _ = overshooting_run([stopper], epochs=5)
    assert stopper.stopped_epoch is None and len(history) == 5
    np.testing.assert_allclose(model.weight.data, [[weight_after(3)]], rtol=1e-12)


def test_improvements_smaller_than_min_delta_do_not_count():
    stopper = EarlyStopping(patience=2, min_delta=1.0)  # all gains after epoch 1 are < 1
    overshooting_run([stopper])
    assert (stopper.best_epoch, stopper.stopped_epoch) == (1, 3)


def test_mode_max_monitors_a_value_that_should_grow():
    class NegatedValLoss(Callback):  # a made-up score that peaks at the best epoch
        def on_epoch_end(self, run):
            run.history.epochs["val_score"].append(-run.history["val_loss"][-1])

    stopper = EarlyStopping(monitor="val_score", mode="max", patience=2)
    overshooting_run([NegatedValLoss(), stopper])
    assert (stopper.best_epoch, stopper.stopped_epoch) == (3, 5)


def test_early_stopping_names_the_missing_value():
    mg.manual_seed(0)
    model = nn.Linear(1, 1)
    x = np.ones((4, 1), np.float32)
    loader = DataLoader(TensorDataset(x, x), batch_size=2)
    with pytest.raises(StateError, match="val_loss.*train_loss"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            callbacks=[EarlyStopping()], progress=False)  # no val_loader: no val_loss


# -- checkpoints -------------------------------------------------------------------------------


def test_checkpoint_saves_every_n_epochs_to_numbered_files(tmp_path):
    mg.manual_seed(0)
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x = np.ones((4, 2), np.float32)
    loader = DataLoader(TensorDataset(x, x[:, :1]), batch_size=2)
    fit(model, nn.MSELoss(), optimizer, loader, epochs=5, progress=False,
        callbacks=[Checkpoint(tmp_path / "epoch{epoch}.npz", every=2)])
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == ["epoch2.npz", "epoch4.npz"], f"files written: {written}"
    assert load_checkpoint(tmp_path / "epoch4.npz", nn.Linear(2, 1)) == 4


# -- gradual unfreezing ------------------------------------------------------------------------


class TrainableGroups(Callback):
    """Records, at each epoch's first backward, which layer groups received a gradient."""

    def __init__(self, layers):
        self.layers, self.per_epoch = layers, []

    def on_after_backward(self, run):
        if len(self.per_epoch) == run.epoch:
            self.per_epoch.append([layer.weight.grad is not None for layer in self.layers])


@pytest.mark.parametrize("every, expected", [
    (1, [[False, False, True], [False, True, True], [True, True, True], [True, True, True]]),
    (2, [[False, False, True], [False, False, True], [False, True, True], [False, True, True]]),
])
def test_gradual_unfreezing_trains_one_more_group_from_the_top(every, expected):
    mg.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 2)]
    model = nn.Sequential(layers[0], nn.ReLU(), layers[1], nn.ReLU(), layers[2])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3)).astype(np.float32)
    loader = DataLoader(TensorDataset(X, rng.integers(0, 2, 8)), batch_size=4)
    recorder = TrainableGroups(layers)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), loader,
        epochs=4, callbacks=[GradualUnfreezing(layers, every=every), recorder], progress=False)
    assert recorder.per_epoch == expected


def test_frozen_groups_do_not_change():
    mg.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.Linear(4, 2)]
    model = nn.Sequential(layers[0], nn.ReLU(), layers[1])
    frozen_before = [p.data.copy() for p in layers[0].parameters()]
    top_before = layers[1].weight.data.copy()
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    loader = DataLoader(TensorDataset(X, np.arange(8) % 2), batch_size=4)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), loader,
        epochs=1, callbacks=[GradualUnfreezing(layers)], progress=False)
    for p, before in zip(layers[0].parameters(), frozen_before):
        np.testing.assert_array_equal(p.data, before, err_msg="a frozen group changed")
    assert not np.array_equal(layers[1].weight.data, top_before), "the top group must train"
