"""Param groups for discriminative fine-tuning (ULMFiT, Howard & Ruder 2018)."""

from minigrad.errors import RangeError
from minigrad.tensor import Tensor


def discriminative_groups(layers, lr: float, factor: float = 2.6) -> list:
    """One param group per layer, the last at ``lr`` and each earlier one ``factor`` times
    smaller: η_{l−1} = η_l / factor. Early layers hold general features, so they move least.

    ``layers`` lists the layers from input to output: Modules (their ``parameters()``),
    Tensors, or lists of Tensors. Pass the result to any optimizer::

        optim.Adam(optim.discriminative_groups([model.conv, model.lstm, model.head], 1e-3))
    """
    if factor <= 0:
        raise RangeError(f"discriminative_groups: factor must be positive, got {factor}")
    layers = list(layers)
    return [{"params": _parameters(layer), "lr": lr / factor ** (len(layers) - 1 - i)}
            for i, layer in enumerate(layers)]


def _parameters(layer) -> list:
    if isinstance(layer, Tensor):
        return [layer]
    if hasattr(layer, "parameters"):
        return list(layer.parameters())
    return list(layer)
