"""Wrong: ignores the dilation (the kernel taps are always adjacent)."""

from minigrad.kernels.conv import im2col_reference as _right


def im2col_reference(x, kernel_size, stride, padding, dilation, out_size):
    return _right(x, kernel_size, stride, padding, (1, 1), out_size)
