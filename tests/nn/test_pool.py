"""Max, average and adaptive average pooling (1-D and 2-D) equal PyTorch's (float64, 1e-8) in
outputs, indices and input gradients over kernel sizes, strides, paddings, dilations,
ceil_mode and count_include_pad, through both the NumPy references and the compiled kernels;
their backward can be differentiated again; bad input raises a clear error."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.kernels import pool as K
from minigrad.nn.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d,
                                 MaxPool1d, MaxPool2d)
from minigrad.ops import pool

torch = pytest.importorskip("torch")
from torch_compare import check_module_like_torch  # noqa: E402


@pytest.fixture(params=["numpy", "numba"])
def kernels(request, monkeypatch):
    """Run the test once on the NumPy references, once with the pooling kernels compiled."""
    monkeypatch.setattr(backend, "current", request.param)
    if request.param == "numba":
        for kernel in (K.max_pool_indices, K.max_pool_backward, K.gather_plane,
                       K.window_average, K.window_average_backward):
            monkeypatch.setattr(kernel, "threshold", 0)
    return request.param


MAX_POOL_2D = {
    "2x2": {"kernel_size": 2},
    "overlapping": {"kernel_size": 3, "stride": 1},
    "padded ceil": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    "uneven dilated": {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0),
                       "dilation": (2, 3)},
    "ceil without padding": {"kernel_size": 2, "ceil_mode": True},
}


@pytest.mark.parametrize("options", MAX_POOL_2D.values(), ids=MAX_POOL_2D.keys())
def test_max_pool2d_equals_torch(options, kernels):
    check_module_like_torch(MaxPool2d(**options), torch.nn.MaxPool2d(**options), (2, 3, 7, 8))


MAX_POOL_1D = {
    "2": {"kernel_size": 2},
    "padded ceil": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    "dilated": {"kernel_size": 2, "dilation": 3, "stride": 1},
}


@pytest.mark.parametrize("options", MAX_POOL_1D.values(), ids=MAX_POOL_1D.keys())
def test_max_pool1d_equals_torch(options, kernels):
    check_module_like_torch(MaxPool1d(**options), torch.nn.MaxPool1d(**options), (2, 3, 11))


def test_max_pool_indices_equal_torch(rng):
    x = rng.standard_normal((2, 3, 7, 6))
    _, indices = pool.max_pool2d(mg.tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    _, expected = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, ceil_mode=True,
                                                 return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), expected.numpy())
    _, indices = MaxPool1d(2, return_indices=True)(mg.tensor(x[0]))
    _, expected = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(indices.numpy(), expected.numpy())


def test_max_pool_gives_the_whole_gradient_to_the_first_of_tied_maxima():
    x = mg.tensor([[[[1.0, 1.0], [1.0, 0.0]]]], requires_grad=True)
    pool.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]], f"gradient {x.grad.tolist()}"


AVG_POOL_2D = {
    "2x2": {"kernel_size": 2},
    "padded": {"kernel_size": 3, "stride": 2, "padding": 1},
    "padded ceil": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    "padded ceil excluding pad": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                                      "count_include_pad": False},
    "uneven": {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1)},
    "divisor override": {"kernel_size": 3, "padding": 1, "divisor_override": 4},
}


@pytest.mark.parametrize("options", AVG_POOL_2D.values(), ids=AVG_POOL_2D.keys())
def test_avg_pool2d_equals_torch(options, kernels):
    check_module_like_torch(AvgPool2d(**options), torch.nn.AvgPool2d(**options), (2, 3, 7, 8))


AVG_POOL_1D = {
    "2": {"kernel_size": 2},
    "padded ceil": {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True},
    "excluding pad": {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
}


@pytest.mark.parametrize("options", AVG_POOL_1D.values(), ids=AVG_POOL_1D.keys())
def test_avg_pool1d_equals_torch(options, kernels):
    check_module_like_torch(AvgPool1d(**options), torch.nn.AvgPool1d(**options), (2, 3, 10))


@pytest.mark.parametrize("output_size", [(3, 4), 1, (None, 5), (9, 2)],
                         ids=["uneven", "global", "keep height", "larger than input"])
def test_adaptive_avg_pool2d_equals_torch(output_size, kernels):
    check_module_like_torch(AdaptiveAvgPool2d(output_size),
                            torch.nn.AdaptiveAvgPool2d(output_size), (2, 3, 7, 6))


@pytest.mark.parametrize("output_size", [3, 1, 10])
def test_adaptive_avg_pool1d_equals_torch(output_size, kernels):
    check_module_like_torch(AdaptiveAvgPool1d(output_size),
                            torch.nn.AdaptiveAvgPool1d(output_size), (2, 3, 7))


def test_unbatched_inputs_equal_torch():
    check_module_like_torch(MaxPool2d(2), torch.nn.MaxPool2d(2), (3, 5, 4))
    check_module_like_torch(AvgPool1d(2), torch.nn.AvgPool1d(2), (3, 5))
    check_module_like_torch(AdaptiveAvgPool2d(2), torch.nn.AdaptiveAvgPool2d(2), (3, 5, 4))


POOLS = {
    "max_pool2d": lambda x: pool.max_pool2d(x, 2, padding=1),
    "max_pool1d": lambda x: pool.max_pool1d(x.flatten(2), 3, stride=2, dilation=2),
    "avg_pool2d": lambda x: pool.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool1d": lambda x: pool.avg_pool1d(x.flatten(2), 3, stride=2),
    "adaptive_avg_pool2d": lambda x: pool.adaptive_avg_pool2d(x, (3, 2)),
    "adaptive_avg_pool1d": lambda x: pool.adaptive_avg_pool1d(x.flatten(2), 7),
}


@pytest.mark.parametrize("fn", POOLS.values(), ids=POOLS.keys())
def test_pool_gradients_match_finite_differences_to_second_order(fn, rng, kernels):
    x = mg.tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(lambda x: fn(x) ** 2, (x,))  # squared: a non-zero second derivative


def test_float32_stays_float32():
    for layer in (MaxPool2d(2), AvgPool2d(2), AdaptiveAvgPool2d(3)):
        assert layer(mg.randn(1, 2, 6, 6)).dtype == np.float32, f"{layer} changed the dtype"


def test_repr_names_the_settings():
    assert repr(MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"


# -- bad input ---------------------------------------------------------------------------------

def test_kernel_larger_than_the_padded_input_is_refused():
    with pytest.raises(mg.ShapeError, match=r"max_pool2d: kernel_size \(5, 5\).*larger than the "
                                            r"padded input.*output size would be \(0, 0\)"):
        MaxPool2d(5)(mg.randn(1, 2, 4, 4))
    with pytest.raises(mg.ShapeError, match=r"avg_pool1d: kernel_size \(4,\)"):
        AvgPool1d(4)(mg.randn(1, 2, 3))


def test_padding_over_half_the_kernel_is_refused():
    with pytest.raises(mg.RangeError, match=r"max_pool2d: padding \(2, 2\) must be at most half "
                                            r"of kernel_size \(3, 3\)"):
        MaxPool2d(3, padding=2)(mg.randn(1, 1, 6, 6))


def test_non_positive_sizes_are_refused():
    with pytest.raises(mg.RangeError, match=r"max_pool1d: stride must be positive, got \(0,\)"):
        MaxPool1d(2, stride=0)(mg.randn(1, 1, 6))
    with pytest.raises(mg.RangeError, match="adaptive_avg_pool2d: output_size must be"):
        AdaptiveAvgPool2d((2, 2, 2))(mg.randn(1, 1, 6, 6))


def test_input_of_wrong_rank_or_dtype_is_refused():
    with pytest.raises(mg.ShapeError, match=r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D "
                                            r"\(N, C, H, W\) input, got shape \(6, 6\)"):
        MaxPool2d(2)(mg.randn(6, 6))
    with pytest.raises(mg.DTypeError, match="avg_pool2d: expected a floating-point input"):
        AvgPool2d(2)(mg.tensor(np.ones((1, 1, 4, 4), dtype=np.int64)))
