"""Metrics computed beside the loss: each is ``metric(output, target) -> float``, a mean over
the batch, so an epoch's value is the batch values averaged with the batch sizes as weights."""

from collections.abc import Callable, Mapping

import numpy as np

from minigrad.errors import RangeError
from minigrad.tensor import Tensor

Metric = Callable[[Tensor, Tensor], float]


def accuracy(output: Tensor, target: Tensor) -> float:
    """Fraction of samples whose highest score is the target class:
    (1/N) Σₙ [argmax_c output[n, c] = target[n]].

    ``output`` holds class scores (logits or probabilities) of shape ``(N, C, ...)``, the
    shape ``CrossEntropyLoss`` takes; ``target`` holds class indices of shape ``(N, ...)``.
    """
    predicted = np.argmax(output.data, axis=1)
    return float(np.mean(predicted == target.data))


def is_classification(output: Tensor, target: Tensor) -> bool:
    """Class indices as targets and one score per class as outputs (``CrossEntropyLoss``)."""
    return (np.issubdtype(target.dtype, np.integer)
            and output.ndim == target.ndim + 1 and output.ndim >= 2)


def resolve_metrics(metrics, output: Tensor, target: Tensor) -> dict:
    """The metrics of a run: ``"auto"`` gives ``{"accuracy": accuracy}`` for classification
    (see ``is_classification``) and none otherwise; a mapping ``{name: metric}`` is taken as
    it is; ``None`` means none."""
    if metrics is None:
        return {}
    if isinstance(metrics, str):
        if metrics != "auto":
            raise RangeError(f"metrics must be 'auto', None or a mapping name -> metric, "
                             f"got {metrics!r}")
        return {"accuracy": accuracy} if is_classification(output, target) else {}
    if not isinstance(metrics, Mapping):
        raise RangeError(f"metrics must be 'auto', None or a mapping name -> metric, "
                         f"got {type(metrics).__name__}")
    return dict(metrics)


class WeightedMeans:
    """Running means of named values, each batch weighted by its number of samples."""

    def __init__(self):
        self._sums, self._weight = {}, 0

    def add(self, values: dict, weight: int) -> None:
        for name, value in values.items():
            self._sums[name] = self._sums.get(name, 0.0) + value * weight
        self._weight += weight

    def means(self) -> dict:
        return {name: total / self._weight for name, total in self._sums.items()}
