"""Exercises on training schedules: StepLR, cosine annealing with warm restarts, the slanted
triangular learning rate, and early stopping."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import lr_scheduler
from minigrad.train.callbacks import EarlyStopping
from tests.exercises.spec import assert_close


def _lrs(make_scheduler, steps, lr=1.0):
    """The lr used at each of ``steps`` epochs (read before each scheduler.step())."""
    opt = mg.optim.SGD([mg.tensor(np.zeros(1), requires_grad=True)], lr=lr)
    scheduler = make_scheduler(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return np.array(out)


@pytest.mark.ex_steplr
def test_steplr_decays_by_gamma_every_step_size_epochs():
    computed = _lrs(lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), 10)
    assert_close("StepLR(step_size=3, gamma=0.5) lr per epoch", computed,
                 [0.5 ** (t // 3) for t in range(10)], "lr₀ = 1, epochs 0..9")


@pytest.mark.ex_steplr
def test_steplr_keeps_a_changed_lr_between_decays():
    opt = mg.optim.SGD([mg.tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    scheduler.step()
    opt.param_groups[0]["lr"] = 0.5  # e.g. set by hand: the recursive form builds on it
    scheduler.step()
    assert_close("StepLR lr at epoch 2 after the lr was set to 0.5 at epoch 1",
                 opt.param_groups[0]["lr"], 0.05, "step_size=2, gamma=0.1")


def _sgdr(t, lr, eta_min, t_0, t_mult):
    """The closed form: find the period holding epoch t, then the cosine inside it."""
    start, period = 0, t_0
    while t >= start + period:
        start, period = start + period, period * t_mult
    return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * (t - start) / period)) / 2


@pytest.mark.ex_cosine_warm_restarts
def test_cosine_warm_restarts_periods_grow_by_t_mult():
    computed = _lrs(lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=2, T_mult=2, eta_min=0.1), 14)
    assert_close("CosineAnnealingWarmRestarts(T_0=2, T_mult=2, eta_min=0.1) lr per epoch",
                 computed, [_sgdr(t, 1.0, 0.1, 2, 2) for t in range(14)],
                 "lr₀ = 1, epochs 0..13 (restarts at 2, 6 and 14)")


@pytest.mark.ex_cosine_warm_restarts
def test_cosine_warm_restarts_with_a_fixed_period():
    computed = _lrs(lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3), 7)
    assert_close("CosineAnnealingWarmRestarts(T_0=3) lr per epoch", computed,
                 [_sgdr(t, 1.0, 0.0, 3, 1) for t in range(7)], "lr₀ = 1, epochs 0..6")


def _stlr(t, total, cut_frac, ratio):
    cut = math.floor(total * cut_frac)
    p = t / cut if t < cut else 1 - (t - cut) / (cut * (1 / cut_frac - 1))
    return (1 + max(p, 0.0) * (ratio - 1)) / ratio


@pytest.mark.ex_slanted_triangular
def test_slanted_triangular_climbs_fast_and_descends_slowly():
    computed = _lrs(lambda opt: lr_scheduler.SlantedTriangularLR(
        opt, total_steps=20, cut_frac=0.2, ratio=8), 24)
    assert_close("SlantedTriangularLR(total_steps=20, cut_frac=0.2, ratio=8) lr per step",
                 computed, [_stlr(min(t, 20), 20, 0.2, 8) for t in range(24)],
                 "η_max = 1, steps 0..23 (peak at step 4, back to 1/8 at step 20)")


@pytest.mark.ex_slanted_triangular
def test_slanted_triangular_starts_and_ends_at_max_over_ratio():
    computed = _lrs(lambda opt: lr_scheduler.SlantedTriangularLR(
        opt, total_steps=10, cut_frac=0.5, ratio=4), 11, lr=2.0)
    assert_close("lr at the start, the peak and the end", computed[[0, 5, 10]], [0.5, 2.0, 0.5],
                 "η_max = 2, total_steps=10, cut_frac=0.5, ratio=4")


class _Model:
    def __init__(self):
        self.weights = None

    def state_dict(self):
        return {"w": self.weights}

    def load_state_dict(self, state):
        self.weights = state["w"]


def _fit(callback, values, key="val_loss"):
    """Feed ``values`` as the monitored quantity, one per epoch, until the callback stops."""
    run = SimpleNamespace(history={key: []}, model=_Model(), stop=False, epoch=0)
    callback.on_fit_begin(run)
    for epoch, value in enumerate(values):
        run.epoch, run.model.weights = epoch, f"weights after epoch {epoch + 1}"
        run.history[key].append(value)
        callback.on_epoch_end(run)
        if run.stop:
            break
    callback.on_fit_end(run)
    return run


@pytest.mark.ex_early_stopping
def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stopper = EarlyStopping(patience=2)
    run = _fit(stopper, [1.0, 0.8, 0.9, 0.7, 0.75, 0.72, 0.6])
    at = "val_loss per epoch [1.0, 0.8, 0.9, 0.7, 0.75, 0.72, 0.6], patience 2"
    computed = (stopper.best, stopper.best_epoch, stopper.stopped_epoch)
    assert computed == (0.7, 4, 6), (f"EarlyStopping: expected (best, best_epoch, stopped_epoch)"
                                     f" = (0.7, 4, 6), computed {computed}, at {at}")
    assert run.model.weights == "weights after epoch 4", (
        f"restore_best: expected the weights of epoch 4, computed {run.model.weights!r}, at {at}")


@pytest.mark.ex_early_stopping
def test_early_stopping_needs_more_than_min_delta_and_supports_max_mode():
    stopper = EarlyStopping(patience=2, min_delta=0.05)
    _fit(stopper, [1.0, 0.97, 0.96, 0.5])
    at = "val_loss [1.0, 0.97, 0.96, 0.5], patience 2, min_delta 0.05"
    assert (stopper.best_epoch, stopper.stopped_epoch) == (1, 3), (
        f"EarlyStopping: expected best_epoch 1 (0.97 and 0.96 improve by less than 0.05) and "
        f"stopped_epoch 3, computed {stopper.best_epoch} and {stopper.stopped_epoch}, at {at}")
    stopper = EarlyStopping(monitor="val_acc", patience=1, mode="max")
    _fit(stopper, [0.5, 0.6, 0.55], key="val_acc")
    assert (stopper.best, stopper.stopped_epoch) == (0.6, 3), (
        f"EarlyStopping(mode='max', patience=1): expected best 0.6 and stopped_epoch 3, computed "
        f"{stopper.best} and {stopper.stopped_epoch}, at val_acc [0.5, 0.6, 0.55]")
