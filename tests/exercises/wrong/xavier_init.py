"""Wrong: the bound uses fan_in only, √(3/fan_in)·gain (LeCun's, not Glorot's)."""

import math

from minigrad.nn.init import _calculate_fan_in_and_fan_out, uniform_


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, generator)
