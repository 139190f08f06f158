"""Wrong: inverted dropout without the 1/(1-p) scale of the survivors."""

from minigrad import random
from minigrad.nn.functional import check_probability


def _dropout(input, p, training, inverted, mask_shape, name):
    check_probability(p, name)
    if not training:
        return input if inverted else input * (1 - p)
    if p == 0:
        return input
    mask = (random.generator().random(mask_shape) >= p).astype(input.dtype)
    return input * mask
