"""conv1d and conv2d: a convolution is one matrix product after im2col.

For an input X (N, C, H, W) and weights W (O, C/groups, kh, kw), with cols = im2col(X) of
shape (C·kh·kw, N·OH·OW) (one column per output position, holding its receptive field):

    Y = W·cols + b                       (per group: W_g (O/g, C/g·kh·kw) · cols_g)
    ∂L/∂W = ∂L/∂Y · colsᵀ,   ∂L/∂b = Σ ∂L/∂Y over (n, oh, ow),
    ∂L/∂X = col2im(Wᵀ · ∂L/∂Y)           (col2im, the adjoint of im2col, adds the columns back)

A 1-D convolution is the 2-D one with height 1. The backward is written with Tensor ops and
the ``Im2Col``/``Col2Im`` pair (each the other's backward), so under ``create_graph`` it can
be differentiated again; without it, the forward's columns are reused instead of recomputed.
"""

from typing import NamedTuple

import numpy as np

from minigrad import amp
from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.kernels import conv as K
from minigrad.tensor import Tensor


class Geometry(NamedTuple):
    """Where the windows of a 2-D sliding-window op fall; every field is (height, width)."""

    kernel_size: tuple
    stride: tuple
    padding: tuple  # zeros before the first row / column (those after follow from out_size)
    dilation: tuple
    out_size: tuple

    @classmethod
    def of(cls, kernel_size, stride, padding, dilation, out_size) -> "Geometry":
        """From tuples of one or two spatial dims; one dim becomes width, under a height of 1
        (kernel 1, stride 1, no padding, dilation 1, one output row)."""
        fields = (kernel_size, stride, padding, dilation, out_size)
        if len(kernel_size) == 2:
            return cls(*fields)
        return cls(*((fill,) + tuple(f) for fill, f in zip((1, 1, 0, 1, 1), fields)))


def spatial_tuple(value, dims: int, name: str, op: str) -> tuple:
    """``3`` or ``(3,)``/``(3, 3)`` as a tuple of ``dims`` Python ints."""
    values = (value,) * dims if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != dims or not all(isinstance(v, (int, np.integer)) for v in values):
        raise RangeError(f"{op}: {name} must be an int or a tuple of {dims} ints, got {value!r}")
    return tuple(int(v) for v in values)


def check_positive(values: tuple, name: str, op: str, minimum: int = 1) -> None:
    if any(v < minimum for v in values):
        raise RangeError(f"{op}: {name} must be {'positive' if minimum else 'non-negative'}, "
                         f"got {values}")


def as_4d(shape: tuple) -> tuple:
    """(N, C, L) → (N, C, 1, L): a 1-D sliding-window op runs as a 2-D one of height 1."""
    return shape if len(shape) == 4 else (shape[0], shape[1], 1, shape[2])


class Im2Col(Function):
    """cols = im2col(x), (N, C, H, W) → (C·kh·kw, N·OH·OW);  backward: col2im."""

    def forward(self, x, geometry):
        self.geometry, self.input_shape = geometry, x.shape
        return K.im2col(x, *geometry)

    def backward(self, g_cols):
        return Col2Im.apply(g_cols, geometry=self.geometry, input_shape=self.input_shape)


class Col2Im(Function):
    """x = col2im(cols): each column entry added back where im2col took it;  backward: im2col."""

    def forward(self, cols, geometry, input_shape):
        self.geometry = geometry
        return K.col2im(np.ascontiguousarray(cols), input_shape, *geometry)

    def backward(self, gx):
        return Im2Col.apply(gx, geometry=self.geometry)


class Convolution(Function):
    """Y = W·im2col(X) + b, grouped; the formulas are in the module docstring."""

    def forward(self, x, weight, bias=None, *, geometry, groups):
        self.geometry, self.groups = geometry, groups
        n, out_channels = x.shape[0], weight.shape[0]
        x4 = x.reshape(as_4d(x.shape))
        cols = K.im2col(x4, *geometry)
        # one product per sample and group, written straight into the output's (N, O, OH·OW)
        # layout: (groups, O/groups, C/groups·kh·kw) · (N, groups, C/groups·kh·kw, OH·OW)
        out = np.matmul(weight.reshape(groups, out_channels // groups, -1),
                        cols.reshape(groups, -1, n, cols.shape[1] // n).transpose(2, 0, 1, 3))
        out = out.reshape(n, out_channels, -1)
        if bias is not None:
            out += bias[:, None]
        self.save_for_backward(x, weight, cols)
        spatial = geometry.out_size if x.ndim == 4 else geometry.out_size[1:]
        return out.reshape((n, out_channels) + spatial)

    def backward(self, gy):
        x, weight, cols = self.saved_tensors
        n, out_channels, groups = x.shape[0], weight.shape[0], self.groups
        gy4 = gy.reshape(n, groups, out_channels // groups, -1)  # (N, groups, O/groups, OH·OW)
        grad_x = grad_w = grad_b = None
        if self.needs_input_grad[0]:
            # ∂L/∂cols = W_gᵀ·∂L/∂Y_g, with ∂L/∂Y as (groups, O/groups, N·OH·OW): im2col's layout
            gy_matrix = gy4.permute(1, 2, 0, 3).reshape(groups, out_channels // groups, -1)
            g_cols = weight.reshape(groups, out_channels // groups, -1).mT @ gy_matrix
            grad_x = Col2Im.apply(g_cols.reshape(-1, g_cols.shape[2]), geometry=self.geometry,
                                  input_shape=as_4d(x.shape)).reshape(x.shape)
        if self.needs_input_grad[1]:
            if grad_mode._state["enabled"]:  # create_graph: ∂L/∂W depends on x differentiably
                cols = Im2Col.apply(x.reshape(as_4d(x.shape)), geometry=self.geometry)
            # ∂L/∂W_g = Σ_n ∂L/∂Y_g[n]·cols_g[n]ᵀ: products per sample on views of both (the
            # one product over N·OH·OW would first need ∂L/∂Y copied into im2col's layout)
            per_sample = cols.reshape(groups, -1, n, gy4.shape[3]).permute(2, 0, 1, 3) @ gy4.mT
            grad_w = per_sample.sum(0).mT.reshape(weight.shape)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            grad_b = gy.sum((0,) + tuple(range(2, gy.ndim)))
        return grad_x, grad_w, grad_b


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation, as PyTorch) of (N, C, L) or (C, L) by
    (O, C/groups, k); the other arguments as ``conv2d``."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, dims=1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) or (C, H, W) by
    (O, C/groups, kh, kw). ``padding`` is an int, a tuple, ``'valid'`` (0) or ``'same'``
    (output as large as the input; stride 1 only; an odd total puts the extra zero after).
    Inside ``amp.autocast`` it computes in the autocast dtype."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, dims=2)


def _convolution(x, weight, bias, stride, padding, dilation, groups, dims):
    op = f"conv{dims}d"
    if amp.is_autocast_enabled():
        x, weight, bias = amp.autocast_inputs(x, weight, bias)
    _check_tensors(x, weight, bias, groups, dims, op)
    unbatched = x.ndim == dims + 1
    if unbatched:
        x = x.unsqueeze(0)
    kernel_size = weight.shape[2:]
    stride = spatial_tuple(stride, dims, "stride", op)
    dilation = spatial_tuple(dilation, dims, "dilation", op)
    check_positive(stride, "stride", op)
    check_positive(dilation, "dilation", op)
    before, after = padding_before_after(padding, kernel_size, stride, dilation, dims, op)
    padded = tuple(n + a + b for n, a, b in zip(x.shape[2:], before, after))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    if any(s > p for s, p in zip(span, padded)):
        raise ShapeError(f"{op}: kernel size {tuple(kernel_size)} (spanning {span} with dilation "
                         f"{dilation}) is larger than the padded input {padded} "
                         f"(input shape {x.shape[1:] if unbatched else x.shape}, padding {before})")
    out_size = tuple((p - s) // st + 1 for p, s, st in zip(padded, span, stride))
    geometry = Geometry.of(tuple(kernel_size), stride, before, dilation, out_size)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    y = Convolution.apply(*inputs, geometry=geometry, groups=groups)
    return y.squeeze(0) if unbatched else y


def _check_tensors(x, weight, bias, groups, dims, op):
    if x.ndim not in (dims + 1, dims + 2):
        names = "L" if dims == 1 else "H, W"
        raise ShapeError(f"{op}: expected a {dims + 1}-D (C, {names}) or {dims + 2}-D "
                         f"(N, C, {names}) input, got shape {x.shape}")
    if weight.ndim != dims + 2:
        raise ShapeError(f"{op}: expected a {dims + 2}-D weight (out_channels, in_channels/groups"
                         f", *kernel_size), got shape {weight.shape}")
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise RangeError(f"{op}: groups must be a positive int dividing out_channels "
                         f"{weight.shape[0]}, got {groups!r}")
    channels = x.shape[-dims - 1]
    if channels != weight.shape[1] * groups:
        raise ShapeError(f"{op}: input has {channels} channels, expected "
                         f"{weight.shape[1] * groups} (weight shape {weight.shape}, groups="
                         f"{groups}; input shape {x.shape})")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{op}: bias of shape {bias.shape} does not match the "
                         f"{weight.shape[0]} output channels")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise DTypeError(f"{op}: input is {x.dtype} but {name} is {t.dtype}")
    if not np.issubdtype(x.dtype, np.floating):
        raise DTypeError(f"{op}: expected a floating-point input, got {x.dtype}")


def padding_before_after(padding, kernel_size, stride, dilation, dims, op):
    """Zeros (before, after) each spatial dim, from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * dims, (0,) * dims
        if padding != "same":
            raise RangeError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', "
                             f"got {padding!r}")
        if any(s != 1 for s in stride):
            raise RangeError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride {stride})")
        total = tuple(d * (k - 1) for k, d in zip(kernel_size, dilation))
        before = tuple(t // 2 for t in total)
        return before, tuple(t - b for t, b in zip(total, before))
    before = spatial_tuple(padding, dims, "padding", op)
    check_positive(before, "padding", op, minimum=0)
    return before, before
