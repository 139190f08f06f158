"""Wrong: forgets the √3 that turns a standard deviation into a uniform bound."""

import math

from minigrad.nn.init import _calculate_correct_fan, calculate_gain, uniform_


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    fan = _calculate_correct_fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)
