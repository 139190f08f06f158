"""Wrong: vanilla dropout is the identity at evaluation too (no (1 - p) scale)."""

from minigrad import random
from minigrad.nn.functional import check_probability


def _dropout(input, p, training, inverted, mask_shape, name):
    check_probability(p, name)
    if not training:
        return input
    if p == 0:
        return input
    mask = (random.generator().random(mask_shape) >= p).astype(input.dtype)
    if inverted and p < 1:
        mask /= 1 - p
    return input * mask
