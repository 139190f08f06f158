"""``fit``: the training loop every lesson would otherwise write again; ``evaluate``: one pass
over a loader without gradients.

One step of ``fit`` is the loop of PyTorch's tutorials:

    output = model(*inputs); loss = loss_fn(output, target)
    optimizer.zero_grad(); loss.backward(); [clip]; optimizer.step(); [scheduler.step()]

Around it: metrics averaged over each epoch, a validation pass, callbacks at fixed points
(``Callback``), and a progress bar on long runs in a terminal.
"""

import numbers
import time
from dataclasses import dataclass, field

from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import RangeError, ShapeError
from minigrad.nn.utils import clip_grad_norm_
from minigrad.optim.lr_scheduler import ReduceLROnPlateau
from minigrad.train.history import History
from minigrad.train.metrics import WeightedMeans, resolve_metrics
from minigrad.train.progress import progress_bar


@dataclass
class Run:
    """Everything a callback may read or change while ``fit`` runs.

    ``epoch`` is the index (from 0) of the current epoch, ``step`` the number of optimizer
    steps taken so far; a callback sets ``stop = True`` to end training after this epoch.
    """

    model: object
    loss_fn: object
    optimizer: object
    train_loader: object
    val_loader: object = None
    scheduler: object = None
    history: History = field(default_factory=History)
    epoch: int = 0
    step: int = 0
    loss: float = float("nan")  # the last mini-batch loss
    stop: bool = False


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, epochs: int = 1,
        scheduler=None, callbacks=(), clip_grad_norm: float | None = None,
        progress: bool = True, scheduler_step: str = "epoch", metrics="auto",
        initial_epoch: int = 0) -> History:
    """Train ``model`` for epochs ``initial_epoch, ..., epochs - 1``; the ``History``.

    A batch from ``train_loader`` is ``(inputs..., target)``: the model gets the inputs,
    ``loss_fn(output, target)`` must give a mean over the batch. ``clip_grad_norm`` rescales
    the gradients so that their joint 2-norm is at most that value before each step.
    ``scheduler`` steps after each epoch (``scheduler_step="epoch"``) or after each optimizer
    step (``"batch"``, for warm-up, one-cycle and slanted-triangular schedules);
    ``ReduceLROnPlateau`` receives the validation loss (the training loss without a validation
    loader, the mini-batch loss per batch). ``metrics``: ``"auto"`` (accuracy for
    classification), ``None``, or ``{name: metric(output, target) -> float}``.
    ``progress`` allows a bar, shown only in a terminal and only on runs lasting over a second.
    To resume from ``load_checkpoint``, pass the epoch it returns as ``initial_epoch``.
    Optimizers whose ``step`` needs a closure (LBFGS, Newton, BFGS, line searches) re-evaluate
    the loss themselves: drive them with a loop of ``optimizer.step(closure)`` instead.
    """
    _check_arguments(epochs, initial_epoch, scheduler_step, clip_grad_norm)
    per_epoch = _length(train_loader)
    run = Run(model, loss_fn, optimizer, train_loader, val_loader, scheduler,
              step=initial_epoch * (per_epoch or 0))
    total = None if per_epoch is None else max(epochs - initial_epoch, 0) * per_epoch
    bar = progress_bar(total, enabled=progress)
    try:
        _notify(callbacks, "on_fit_begin", run)
        for run.epoch in range(initial_epoch, epochs):
            metrics = _train_epoch(run, callbacks, bar, clip_grad_norm, scheduler_step, metrics)
            bar.set_postfix(_postfix(run.history))
            if run.stop:
                break
        _notify(callbacks, "on_fit_end", run)
    finally:
        bar.close()
    return run.history


def _train_epoch(run: Run, callbacks, bar, clip_grad_norm, scheduler_step: str, metrics):
    """One epoch: the steps, the validation pass, the epoch's scheduler step, the callbacks.
    Returns the resolved metrics (``"auto"`` is resolved on the first batch)."""
    started = time.perf_counter()
    _notify(callbacks, "on_epoch_begin", run)
    run.model.train()
    means = WeightedMeans()
    for batch in run.train_loader:
        inputs, target = _split_batch(batch)
        output = run.model(*inputs)
        loss = run.loss_fn(output, target)
        if not isinstance(metrics, dict):
            metrics = resolve_metrics(metrics, output, target)
        _optimizer_step(run, loss, callbacks, clip_grad_norm)
        means.add({"loss": run.loss} | _measure(metrics, output, target), len(target))
        if run.scheduler is not None and scheduler_step == "batch":
            _scheduler_step(run.scheduler, run.loss)
        _notify(callbacks, "on_batch_end", run)
        bar.update(1)
    record = {"epoch": run.epoch + 1}
    record |= {f"train_{name}": value for name, value in means.means().items()}
    if run.val_loader is not None:
        measured = evaluate(run.model, run.loss_fn, run.val_loader, metrics)
        record |= {f"val_{name}": value for name, value in measured.items()}
    record |= {"lr": _lr(run.optimizer), "time": time.perf_counter() - started}
    run.history.record_epoch(record)
    if run.scheduler is not None and scheduler_step == "epoch":
        _scheduler_step(run.scheduler, record.get("val_loss", record["train_loss"]))
    _notify(callbacks, "on_epoch_end", run)
    return metrics


def _optimizer_step(run: Run, loss, callbacks, clip_grad_norm) -> None:
    """Backward, optional clipping, the update; records the step in the history."""
    lr = _lr(run.optimizer)
    run.optimizer.zero_grad()
    loss.backward()
    _notify(callbacks, "on_after_backward", run)
    record = {"step": run.step + 1, "loss": loss.item(), "lr": lr}
    if clip_grad_norm is not None:
        params = [p for group in run.optimizer.param_groups for p in group["params"]]
        record["grad_norm"] = float(clip_grad_norm_(params, clip_grad_norm))
    run.optimizer.step()
    run.step += 1
    run.loss = record["loss"]
    run.history.record_step(record)


def evaluate(model, loss_fn, loader, metrics="auto") -> dict:
    """The mean loss (and metrics) over ``loader``, in eval mode and without a graph:
    ``{"loss": ..., "accuracy": ...}``. The model's train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    means = WeightedMeans()
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split_batch(batch)
                output = model(*inputs)
                if not isinstance(metrics, dict):
                    metrics = resolve_metrics(metrics, output, target)
                values = {"loss": loss_fn(output, target).item()}
                means.add(values | _measure(metrics, output, target), len(target))
    finally:
        model.train(was_training)
    return means.means()


def _split_batch(batch):
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[:-1], batch[-1]
    got = f"a tuple of length {len(batch)}" if isinstance(batch, (tuple, list)) \
        else f"a {type(batch).__name__}"
    raise ShapeError(f"fit: a batch must be a tuple (inputs..., target), got {got}")


def _measure(metrics: dict, output, target) -> dict:
    return {name: float(metric(output, target)) for name, metric in metrics.items()}


def _scheduler_step(scheduler, monitored: float) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(monitored)
    else:
        scheduler.step()


def _notify(callbacks, hook: str, run: Run) -> None:
    for callback in callbacks:
        getattr(callback, hook)(run)


def _lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _postfix(history: History) -> dict:
    """The last epoch's losses and accuracies in Keras's short form: loss, acc, val_loss, ..."""
    short = {}
    for key, values in history.epochs.items():
        if key.endswith(("loss", "accuracy")):
            name = key.removeprefix("train_").replace("accuracy", "acc")
            short[name] = f"{values[-1]:.4g}"
    return short


def _length(loader) -> int | None:
    try:
        return len(loader)
    except TypeError:  # an iterable without a length: steps unknown in advance
        return None


def _check_arguments(epochs, initial_epoch, scheduler_step, clip_grad_norm) -> None:
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if not isinstance(value, numbers.Integral) or value < 0:
            raise RangeError(f"fit: {name} must be a non-negative integer, got {value!r}")
    if scheduler_step not in ("epoch", "batch"):
        raise RangeError(f"fit: scheduler_step must be 'epoch' or 'batch', "
                         f"got {scheduler_step!r}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise RangeError(f"fit: clip_grad_norm must be positive, got {clip_grad_norm}")
