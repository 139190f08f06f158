"""Convolution layers ``Conv1d`` and ``Conv2d``, with PyTorch's parameters and initialization.

weight: (out_channels, in_channels / groups, *kernel_size), bias: (out_channels,), both
drawn from U(-1/√fan_in, 1/√fan_in) with fan_in = in_channels / groups · Π kernel_size
(PyTorch's kaiming_uniform(a=√5) for the weight gives exactly that bound).
"""



from minigrad.errors import RangeError
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.linear import add_weight_and_bias
from minigrad.nn.module import Module
from minigrad.ops.conv import conv1d, conv2d, padding_before_after, spatial_tuple

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d and Conv2d share; ``dims`` is the number of spatial dims."""

    dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise RangeError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise RangeError(f"{name}: padding_mode must be one of {PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = spatial_tuple(kernel_size, self.dims, "kernel_size", name)
        self.stride = spatial_tuple(stride, self.dims, "stride", name)
        self.dilation = spatial_tuple(dilation, self.dims, "dilation", name)
        self.padding = padding if isinstance(padding, str) else spatial_tuple(
            padding, self.dims, "padding", name)
        self.padding_mode = padding_mode
        # checks 'same' with a stride, a bad string, negative values, now rather than at forward
        self._pads = padding_before_after(self.padding, self.kernel_size, self.stride,
                                          self.dilation, self.dims, name)
        add_weight_and_bias(self, (out_channels, in_channels // groups) + self.kernel_size,
                            bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        convolve = conv1d if self.dims == 1 else conv2d
        if self.padding_mode == "zeros":
            return convolve(input, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        before, after = self._pads  # F.pad takes (before, after) pairs from the last dim back
        pads = [n for b, a in zip(reversed(before), reversed(after)) for n in (b, a)]
        padded = F.pad(input, pads, mode=self.padding_mode)
        return convolve(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L) → (N, C_out, L_out):

        y[n, o, l] = b[o] + Σ_{c, k} W[o, c, k] · x[n, c, l·stride - padding + k·dilation]
    """

    dims = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) → (N, C_out, H_out, W_out):

        y[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · x[n, c, i·s_h - p_h + p·d_h,
                                                                  j·s_w - p_w + q·d_w]

    with H_out = ⌊(H + 2·p_h - d_h·(k_h - 1) - 1) / s_h⌋ + 1 (and W_out alike).
    """

    dims = 2
