"""``History``: what ``fit`` measured, per epoch and per optimizer step, ready to plot."""

from collections import defaultdict


class History:
    """Lists of numbers, one entry per epoch and one per step.

    ``epochs`` holds ``epoch`` (1, 2, ...), ``train_loss``, ``val_loss`` (with a validation
    loader), ``train_<metric>`` and ``val_<metric>`` (``train_accuracy``... for
    classification), ``lr`` (the learning rate of the epoch's last step, first param group)
    and ``time`` (seconds). ``steps`` holds ``step`` (1, 2, ...), ``loss`` (the mini-batch
    loss), ``lr`` and, when ``fit`` clips gradients, ``grad_norm`` (the norm before clipping).

    ``history["val_loss"]`` reads ``history.epochs["val_loss"]``.

        plot.loss_curves({"train": history["train_loss"], "val": history["val_loss"]},
                         xlabel="epoch")
    """

    def __init__(self):
        self.epochs = defaultdict(list)
        self.steps = defaultdict(list)

    def __getitem__(self, key: str) -> list:
        if key not in self.epochs:
            raise KeyError(f"History has no per-epoch {key!r}; it has {sorted(self.epochs)} "
                           f"(per-step values are in history.steps: {sorted(self.steps)})")
        return self.epochs[key]

    def __contains__(self, key: str) -> bool:
        return key in self.epochs

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.epochs.get("epoch", ()))

    def __repr__(self):
        last = {key: round(values[-1], 4) for key, values in self.epochs.items() if values}
        return f"History({len(self)} epochs, {len(self.steps.get('step', ()))} steps, last: {last})"

    def record_step(self, values: dict) -> None:
        for key, value in values.items():
            self.steps[key].append(value)

    def record_epoch(self, values: dict) -> None:
        for key, value in values.items():
            self.epochs[key].append(value)

    def plot(self, metric: str = "loss", ax=None, log_y: bool = False):
        """``train_<metric>`` and ``val_<metric>`` (when present) against the epoch; the figure."""
        from minigrad.plot import loss_curves

        runs = {split: (self.epochs["epoch"], self.epochs[f"{split}_{metric}"])
                for split in ("train", "val") if f"{split}_{metric}" in self.epochs}
        if not runs:
            raise KeyError(f"History.plot: no train_{metric} or val_{metric}; per-epoch values "
                           f"are {sorted(self.epochs)}")
        return loss_curves(runs, ax=ax, title=metric.replace("_", " ").capitalize(),
                           xlabel="epoch", ylabel=metric, log_y=log_y)
