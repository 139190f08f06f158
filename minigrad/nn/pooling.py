"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d`` (no
parameters; each holds its settings and calls the functional op of ``minigrad.ops.pool``)."""

from minigrad.nn.module import Module
from minigrad.ops import pool


class _MaxPoolNd(Module):
    dims = 0

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        max_pool = pool.max_pool1d if self.dims == 1 else pool.max_pool2d
        return max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                        ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """y[n, c, l] = max over k of x[n, c, l·stride - padding + k·dilation] (padding is -∞)."""

    dims = 1


class MaxPool2d(_MaxPoolNd):
    """y[n, c, i, j] = max of the (dilated) kernel_size window at (i·s_h - p_h, j·s_w - p_w)."""

    dims = 2


class _AvgPoolNd(Module):
    dims = 0

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """y[n, c, l] = mean of the window of ``kernel_size`` at l·stride - padding."""

    dims = 1

    def forward(self, input):
        return pool.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                               self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """y[n, c, i, j] = mean of the kernel_size window at (i·s_h - p_h, j·s_w - p_w); with
    ``divisor_override`` the window sum divided by that number."""

    dims = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return pool.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                               self.ceil_mode, self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool1d(Module):
    """Mean over ``output_size`` windows that cover the input: window i spans
    [⌊i·L/out⌋, ⌈(i+1)·L/out⌉)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return pool.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    """Mean over an ``output_size`` grid of windows covering (H, W); ``None`` keeps a dim."""

    def forward(self, input):
        return pool.adaptive_avg_pool2d(input, self.output_size)
