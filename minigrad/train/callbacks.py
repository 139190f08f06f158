"""Callbacks: code ``fit`` runs at fixed points of training.

The hooks, in the order ``fit`` calls them (each receives the ``Run``)::

    on_fit_begin
      on_epoch_begin
        on_after_backward   (each step: gradients computed, not yet clipped or applied)
        on_batch_end        (each step: parameters updated, per-batch scheduler stepped)
      on_epoch_end          (epoch recorded in the history, per-epoch scheduler stepped)
    on_fit_end

Subclass ``Callback`` and override the hooks you need; set ``run.stop = True`` to stop after
the current epoch.
"""

import os

import numpy as np

from minigrad.errors import RangeError, StateError
from minigrad.train.checkpoint import save_checkpoint


class Callback:
    """Base class: every hook does nothing."""

    def on_fit_begin(self, run) -> None:
        pass

    def on_epoch_begin(self, run) -> None:
        pass

    def on_after_backward(self, run) -> None:
        pass

    def on_batch_end(self, run) -> None:
        pass

    def on_epoch_end(self, run) -> None:
        pass

    def on_fit_end(self, run) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved for ``patience`` epochs in a row.

    An epoch improves on the best value so far when (mode "min") value < best − min_delta, or
    (mode "max") value > best + min_delta. With ``restore_best``, the model leaves ``fit``
    with the weights (and buffers) of its best epoch, whether training stopped early or ran to
    the end; the optimizer's state is not rewound. After ``fit``: ``best``, ``best_epoch``
    (counted from 1, as ``history["epoch"]``) and ``stopped_epoch`` (None if it never stopped).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str = "min", restore_best: bool = True):
        if patience < 0:
            raise RangeError(f"EarlyStopping: patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise RangeError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        if mode not in ("min", "max"):
            raise RangeError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best = mode, restore_best

    def on_fit_begin(self, run) -> None:
        self.best = np.inf if self.mode == "min" else -np.inf
        self.best_epoch = self.stopped_epoch = None
        self.wait = 0
        self._best_weights = None

    def on_epoch_end(self, run) -> None:
        # BEGIN EXERCISE early_stopping
        if self.monitor not in run.history:
            raise StateError(f"EarlyStopping: the history has no {self.monitor!r} to monitor; "
                             f"it has {sorted(run.history.epochs)}")
        value = run.history[self.monitor][-1]
        if self._improves(value):
            self.best, self.best_epoch, self.wait = value, run.epoch + 1, 0
            if self.restore_best:
                self._best_weights = run.model.state_dict()  # copies, not views
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = run.epoch + 1
            run.stop = True
        # END EXERCISE

    def on_fit_end(self, run) -> None:
        if self.restore_best and self._best_weights is not None:
            run.model.load_state_dict(self._best_weights)

    def _improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class Checkpoint(Callback):
    """Save the whole training state every ``every`` epochs with ``save_checkpoint``.

    ``path`` may contain ``{epoch}`` (e.g. ``"runs/epoch{epoch:03d}.npz"``) to keep one file
    per save; otherwise each save replaces the last. Resume with ``load_checkpoint`` and
    ``fit(..., initial_epoch=...)``.
    """

    def __init__(self, path: str | os.PathLike, every: int = 1):
        if every < 1:
            raise RangeError(f"Checkpoint: every must be >= 1, got {every}")
        self.path, self.every = os.fspath(path), every

    def on_epoch_end(self, run) -> None:
        epoch = run.epoch + 1
        if epoch % self.every == 0:
            save_checkpoint(self.path.format(epoch=epoch), run.model, run.optimizer,
                            run.scheduler, run.train_loader, epoch=epoch)


class GradualUnfreezing(Callback):
    """ULMFiT's gradual unfreezing: train only the top layer group in the first epoch, and
    unfreeze one more group, from the top down, every ``every`` epochs.

    ``layers`` lists the layer groups from the input to the output (Modules, or anything with
    ``requires_grad_``). In epoch e (from 0) the top min(n, 1 + ⌊e / every⌋) groups train and
    the others are frozen (``requires_grad_(False)``: no gradient, so the optimizer skips them).
    The state depends on the epoch only, so a resumed run freezes the same groups.
    """

    def __init__(self, layers, every: int = 1):
        self.layers = list(layers)
        if not self.layers:
            raise RangeError("GradualUnfreezing: needs at least one layer group")
        if every < 1:
            raise RangeError(f"GradualUnfreezing: every must be >= 1, got {every}")
        self.every = every

    def trainable(self, epoch: int) -> int:
        """How many groups, counted from the top, train in epoch ``epoch`` (from 0)."""
        return min(len(self.layers), 1 + epoch // self.every)

    def on_epoch_begin(self, run) -> None:
        first_trainable = len(self.layers) - self.trainable(run.epoch)
        for index, layer in enumerate(self.layers):
            layer.requires_grad_(index >= first_trainable)
