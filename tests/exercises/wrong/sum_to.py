"""Wrong: sums the extra leading dims only, not the dims that were broadcast from 1."""

import numpy as np


def sum_to_array(x, shape):
    lead = x.ndim - len(shape)
    return np.sum(x, axis=tuple(range(lead))).reshape(shape) if lead else x.reshape(shape)
