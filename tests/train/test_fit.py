"""fit and evaluate: the loss goes down, the history holds what it promises, schedulers step
when asked, gradients are clipped, and the progress bar stays silent outside a terminal."""

import io
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.data import DataLoader, TensorDataset
from minigrad.errors import RangeError, ShapeError
from minigrad.train import Callback, evaluate, fit
from minigrad.train import progress as progress_module


def blobs(n=60, features=4, classes=3, seed=0):
    """Linearly separable classes: the label is the argmax of a fixed linear map."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features)).astype(np.float32)
    y = np.argmax(X @ rng.standard_normal((features, classes)), axis=1).astype(np.int64)
    return X, y


def classification_setup(batch_size=16, lr=0.5, n=60):
    mg.manual_seed(0)
    X, y = blobs(n)
    model = nn.Linear(4, 3)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    train = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, seed=1)
    val = DataLoader(TensorDataset(*blobs(30, seed=2)), batch_size=batch_size)
    return model, nn.CrossEntropyLoss(), optimizer, train, val


# -- learning ----------------------------------------------------------------------------------


def test_fit_reduces_the_loss_on_a_separable_problem():
    model, loss_fn, optimizer, train, val = classification_setup()
    history = fit(model, loss_fn, optimizer, train, val, epochs=15, progress=False)
    first, last = history["train_loss"][0], history["train_loss"][-1]
    assert last < 0.5 * first, f"expected the train loss to halve, got {first:.4f} -> {last:.4f}"
    assert history["train_accuracy"][-1] > 0.9, \
        f"expected > 90% train accuracy, got {history['train_accuracy'][-1]:.3f}"


def test_fit_leaves_the_model_in_training_mode_and_returns_its_history():
    model, loss_fn, optimizer, train, val = classification_setup()
    history = fit(model, loss_fn, optimizer, train, val, epochs=1, progress=False)
    assert model.training, "fit must leave the model in training mode after validating"
    assert len(history) == 1


# -- the history -------------------------------------------------------------------------------


def test_history_has_one_entry_per_epoch_and_one_per_step():
    model, loss_fn, optimizer, train, val = classification_setup(batch_size=16, n=60)
    history = fit(model, loss_fn, optimizer, train, val, epochs=3, progress=False)
    expected_keys = {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
                     "time"}
    assert set(history.epochs) == expected_keys, f"per-epoch keys: {sorted(history.epochs)}"
    assert history["epoch"] == [1, 2, 3]
    assert all(len(values) == 3 for values in history.epochs.values())
    assert set(history.steps) == {"step", "loss", "lr"}
    assert history.steps["step"] == list(range(1, 3 * len(train) + 1)), \
        f"expected {3 * len(train)} steps numbered from 1, got {history.steps['step']}"


def test_epoch_train_loss_is_the_sample_weighted_mean_of_the_step_losses():
    model, loss_fn, optimizer, train, _ = classification_setup(batch_size=16, n=60)
    history = fit(model, loss_fn, optimizer, train, epochs=1, progress=False)
    sizes = [16, 16, 16, 12]
    expected = np.dot(history.steps["loss"], sizes) / 60
    np.testing.assert_allclose(history["train_loss"][0], expected, rtol=1e-12)


def test_val_metrics_are_those_of_evaluate_after_the_epoch():
    model, loss_fn, optimizer, train, val = classification_setup()
    history = fit(model, loss_fn, optimizer, train, val, epochs=2, progress=False)
    measured = evaluate(model, loss_fn, val)
    assert history["val_loss"][-1] == measured["loss"]
    assert history["val_accuracy"][-1] == measured["accuracy"]


def test_regression_has_no_accuracy_and_custom_metrics_are_recorded():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32))
    loader = DataLoader(TensorDataset(X, y), batch_size=8)
    model = nn.Linear(3, 1)

    def max_error(output, target):
        return float(np.max(np.abs(output.data - target.data)))

    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                  loader, epochs=2, progress=False, metrics={"max_error": max_error})
    assert "train_accuracy" not in history and "val_accuracy" not in history
    assert len(history["train_max_error"]) == 2 and len(history["val_max_error"]) == 2


def test_history_plot_draws_train_and_val_curves():
    pytest.importorskip("matplotlib")
    model, loss_fn, optimizer, train, val = classification_setup()
    history = fit(model, loss_fn, optimizer, train, val, epochs=2, progress=False)
    fig = history.plot("accuracy")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["train", "val"]
    import matplotlib.pyplot as plt

    plt.close(fig)


# -- schedulers and clipping -------------------------------------------------------------------


@pytest.mark.parametrize("scheduler_step", ["epoch", "batch"])
def test_scheduler_steps_once_per_epoch_or_once_per_batch(scheduler_step):
    model, loss_fn, optimizer, train, _ = classification_setup(batch_size=20, lr=0.8, n=60)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, loss_fn, optimizer, train, epochs=2, scheduler=scheduler,
                  scheduler_step=scheduler_step, progress=False)
    steps = np.arange(6)
    halvings = steps // 3 if scheduler_step == "epoch" else steps
    np.testing.assert_allclose(history.steps["lr"], 0.8 * 0.5 ** halvings, rtol=1e-12,
                               err_msg=f"lr of each step with scheduler_step={scheduler_step}")


def test_reduce_lr_on_plateau_is_given_the_validation_loss():
    model, loss_fn, optimizer, train, val = classification_setup(lr=0.1)

    seen = []

    class Recorder(optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            seen.append(metrics)
            super().step(metrics, epoch)

    scheduler = Recorder(optimizer, patience=0, threshold=0.9)  # nothing counts as improvement
    history = fit(model, loss_fn, optimizer, train, val, epochs=3, scheduler=scheduler,
                  progress=False)
    assert seen == history["val_loss"]
    assert history["lr"][-1] < 0.1, f"expected a reduced lr, got {history['lr']}"


def test_gradients_are_clipped_to_the_given_norm_before_the_step():
    mg.manual_seed(0)
    X, y = blobs(16)
    model = nn.Linear(4, 3)
    before = [p.data.copy() for p in model.parameters()]
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1.0), loader,
                  epochs=1, clip_grad_norm=1e-3, progress=False)
    moved = np.sqrt(sum(np.sum((p.data - b) ** 2) for p, b in zip(model.parameters(), before)))
    assert history.steps["grad_norm"][0] > 1e-3, "the test needs a gradient larger than the clip"
    np.testing.assert_allclose(moved, 1e-3, rtol=1e-4,
                               err_msg="an SGD step with lr=1 must move the parameters by "
                                       "exactly the clipped norm")


# -- callbacks and stopping --------------------------------------------------------------------


def test_callback_hooks_run_in_order():
    model, loss_fn, optimizer, train, val = classification_setup(batch_size=30, n=60)
    calls = []

    class Recorder(Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                return lambda run: calls.append((name, run.epoch, run.step))
            return super().__getattribute__(name)

    fit(model, loss_fn, optimizer, train, val, epochs=2, callbacks=[Recorder()], progress=False)
    epoch = [("on_after_backward", 0, 0), ("on_batch_end", 0, 1),
             ("on_after_backward", 0, 1), ("on_batch_end", 0, 2)]
    expected = ([("on_fit_begin", 0, 0), ("on_epoch_begin", 0, 0)] + epoch
                + [("on_epoch_end", 0, 2), ("on_epoch_begin", 1, 2)]
                + [(name, 1, step + 2) for name, _, step in epoch]
                + [("on_epoch_end", 1, 4), ("on_fit_end", 1, 4)])
    assert calls == expected


def test_a_callback_setting_stop_ends_training_after_that_epoch():
    model, loss_fn, optimizer, train, _ = classification_setup()

    class StopAfterTwo(Callback):
        def on_epoch_end(self, run):
            run.stop = run.epoch == 1

    history = fit(model, loss_fn, optimizer, train, epochs=10, callbacks=[StopAfterTwo()],
                  progress=False)
    assert history["epoch"] == [1, 2]


def test_initial_epoch_numbers_the_remaining_epochs():
    model, loss_fn, optimizer, train, _ = classification_setup(batch_size=30, n=60)
    history = fit(model, loss_fn, optimizer, train, epochs=5, initial_epoch=3, progress=False)
    assert history["epoch"] == [4, 5]
    assert history.steps["step"] == [7, 8, 9, 10]


# -- evaluate ----------------------------------------------------------------------------------


class DropoutNet(nn.Module):
    """Linear, dropout, linear; records whether grad mode was on at each forward."""

    def __init__(self):
        super().__init__()
        self.hidden, self.dropout, self.out = nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 3)
        self.grad_modes = []

    def forward(self, x):
        self.grad_modes.append(mg.is_grad_enabled())
        return self.out(self.dropout(self.hidden(x)))


def test_evaluate_runs_in_eval_mode_without_a_graph_and_restores_the_mode():
    mg.manual_seed(0)
    X, y = blobs(40)
    model = DropoutNet()
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    first = evaluate(model, nn.CrossEntropyLoss(), loader)
    second = evaluate(model, nn.CrossEntropyLoss(), loader)
    assert first == second, "dropout must be off in evaluate (two passes differ)"
    assert not any(model.grad_modes), "evaluate must run under no_grad"
    assert model.training, "evaluate must restore training mode"
    model.eval()
    evaluate(model, nn.CrossEntropyLoss(), loader)
    assert not model.training, "evaluate must restore eval mode"


def test_evaluate_weights_uneven_batches_by_their_size():
    mg.manual_seed(0)
    X, y = blobs(10)
    model, loss_fn = nn.Linear(4, 3), nn.CrossEntropyLoss()
    in_batches = evaluate(model, loss_fn, DataLoader(TensorDataset(X, y), batch_size=4))
    whole = evaluate(model, loss_fn, DataLoader(TensorDataset(X, y), batch_size=10))
    np.testing.assert_allclose(in_batches["loss"], whole["loss"], rtol=1e-6)
    assert in_batches["accuracy"] == pytest.approx(whole["accuracy"])


# -- argument errors ---------------------------------------------------------------------------


def test_a_batch_without_a_target_is_a_clear_error():
    model = nn.Linear(4, 3)
    loader = DataLoader(TensorDataset(blobs(8)[0]), batch_size=4)
    with pytest.raises(ShapeError, match=r"\(inputs\.\.\., target\)"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            progress=False)


@pytest.mark.parametrize("kwargs", [{"scheduler_step": "step"}, {"clip_grad_norm": 0.0},
                                    {"epochs": -1}, {"metrics": "accuracy"}])
def test_bad_arguments_raise_range_errors(kwargs):
    model, loss_fn, optimizer, train, _ = classification_setup()
    with pytest.raises(RangeError):
        fit(model, loss_fn, optimizer, train, progress=False, **kwargs)


# -- the progress bar --------------------------------------------------------------------------


def test_progress_bar_is_silent_when_stdout_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY", 0.0)  # no grace period: a bar would show
    model, loss_fn, optimizer, train, val = classification_setup()
    fit(model, loss_fn, optimizer, train, val, epochs=2, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "", \
        f"expected no output under a non-terminal stdout, got {captured!r}"


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_in_a_terminal_unless_disabled(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    for progress, expect_bar in ((True, True), (False, False)):
        terminal = FakeTerminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        model, loss_fn, optimizer, train, val = classification_setup()
        fit(model, loss_fn, optimizer, train, val, epochs=2, progress=progress)
        monkeypatch.undo()
        monkeypatch.setattr(progress_module, "DELAY", 0.0)
        shown = terminal.getvalue()
        assert ("step" in shown) == expect_bar, \
            f"progress={progress}: expected bar={expect_bar}, the terminal got {shown!r}"


def test_importing_minigrad_train_imports_neither_tqdm_nor_matplotlib():
    code = ("import sys, minigrad.train; "
            "print([name for name in ('tqdm', 'matplotlib') if name in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]", f"imported by minigrad.train: {out.strip()} (must be lazy)"
