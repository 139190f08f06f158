"""Dropout layers: in training each unit (``Dropout``) or channel (``Dropout1d/2d``) is zeroed
with probability p, from minigrad's generator.

``inverted=True`` is PyTorch's (inverted) dropout: survivors are scaled by 1/(1-p) in training
and evaluation is the identity. ``inverted=False`` is the notes' "vanilla" dropout: training
applies the 0/1 mask only, and evaluation multiplies by (1-p) so activations keep the same
expected value.
"""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class _DropoutNd(Module):
    _function = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False, *, inverted: bool = True):
        super().__init__()
        F.check_probability(p, type(self).__name__)
        self.p, self.inverted = p, inverted

    def forward(self, input):
        return self._function(input, self.p, self.training, inverted=self.inverted)

    def extra_repr(self) -> str:
        return f"p={self.p}" + ("" if self.inverted else ", inverted=False")


class Dropout(_DropoutNd):
    """Zero each element with probability p (training only)."""


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) input with probability p."""

    _function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps of (N, C, H, W) input with probability p."""

    _function = staticmethod(F.dropout2d)
