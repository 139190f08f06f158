"""Conv1d and Conv2d equal PyTorch's (float64, 1e-8) in outputs, input gradients and
parameter gradients over strides, paddings (also 'same' and the padding modes), dilations and
groups, through both the NumPy references and the compiled kernels; their backward can be
differentiated again; their init is PyTorch's; bad input raises a clear error."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend, nn
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.kernels import conv as K
from minigrad.nn.conv import Conv1d, Conv2d
from minigrad.ops.conv import conv1d, conv2d

torch = pytest.importorskip("torch")
from torch_compare import check_module_like_torch  # noqa: E402


@pytest.fixture(params=["numpy", "numba"])
def kernels(request, monkeypatch):
    """Run the test once on the NumPy references, once with im2col/col2im compiled (the small
    test shapes would otherwise stay below the kernels' size threshold)."""
    if request.param == "numpy":
        monkeypatch.setattr(backend, "current", "numpy")
    else:
        monkeypatch.setattr(backend, "current", "numba")
        for kernel in (K.im2col, K.col2im):
            monkeypatch.setattr(kernel, "threshold", 0)
    return request.param


CONV2D_OPTIONS = {
    "plain": {},
    "padded": {"padding": 1},
    "strided": {"stride": 2, "padding": 1},
    "uneven": {"stride": (2, 1), "padding": (0, 2), "dilation": (1, 2)},
    "dilated": {"dilation": 2, "padding": 2},
    "same": {"padding": "same", "dilation": (1, 2)},
    "same even kernel": {"padding": "same", "kernel_size": (2, 4)},  # the extra zero goes after
    "valid": {"padding": "valid", "stride": (1, 3)},
    "groups": {"groups": 2, "padding": 1},
    "depthwise": {"groups": 4, "stride": 2},
    "no bias": {"bias": False, "padding": 1},
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("options", CONV2D_OPTIONS.values(), ids=CONV2D_OPTIONS.keys())
def test_conv2d_equals_torch(options, kernels):
    options = {"kernel_size": (3, 2), **options}
    check_module_like_torch(Conv2d(4, 8, **options), torch.nn.Conv2d(4, 8, **options),
                            (2, 4, 7, 8))


CONV1D_OPTIONS = {
    "plain": {},
    "strided padded": {"stride": 2, "padding": 2},
    "dilated": {"dilation": 3, "padding": 1},
    "same": {"padding": "same", "dilation": 2},
    "groups": {"groups": 2},
    "no bias": {"bias": False, "stride": 3},
}


@pytest.mark.parametrize("options", CONV1D_OPTIONS.values(), ids=CONV1D_OPTIONS.keys())
def test_conv1d_equals_torch(options, kernels):
    check_module_like_torch(Conv1d(4, 6, 3, **options), torch.nn.Conv1d(4, 6, 3, **options),
                            (3, 4, 11))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_equal_torch(mode):
    check_module_like_torch(Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode),
                            torch.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode),
                            (2, 2, 5, 6))
    check_module_like_torch(Conv1d(2, 3, 4, padding="same", padding_mode=mode),
                            torch.nn.Conv1d(2, 3, 4, padding="same", padding_mode=mode),
                            (2, 2, 7))


def test_unbatched_input_equals_torch():
    check_module_like_torch(Conv2d(3, 2, 3, padding=1), torch.nn.Conv2d(3, 2, 3, padding=1),
                            (3, 5, 4))
    check_module_like_torch(Conv1d(3, 2, 2), torch.nn.Conv1d(3, 2, 2), (3, 6))


def test_small_cnn_in_sequential_equals_torch():
    mg_net = nn.Sequential(Conv2d(1, 4, 3, padding=1), nn.ReLU(), Conv2d(4, 2, 3, stride=2),
                           nn.Flatten(), nn.Linear(18, 3))
    torch_net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                                    torch.nn.Conv2d(4, 2, 3, stride=2), torch.nn.Flatten(),
                                    torch.nn.Linear(18, 3))
    check_module_like_torch(mg_net, torch_net, (2, 1, 7, 7), calls=2)


@pytest.mark.parametrize("options", [{"stride": (1, 2), "padding": 1},
                                     {"dilation": (2, 1), "groups": 2}], ids=["strided", "grouped"])
def test_conv2d_gradients_match_finite_differences_to_second_order(options, rng, kernels):
    x = mg.tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((2, 2 // options.get("groups", 1), 2, 3)),
                  requires_grad=True)
    b = mg.tensor(rng.standard_normal(2), requires_grad=True)

    def f(x, w, b):
        return conv2d(x, w, b, **options)

    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


def test_conv1d_gradients_match_finite_differences_to_second_order(rng):
    x = mg.tensor(rng.standard_normal((2, 3, 6)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)

    def f(x, w):
        return conv1d(x, w, stride=2, padding=1)

    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


def test_second_derivative_through_conv_equals_torch(rng):
    """d/dx of ‖∂L/∂W‖² with L = Σ v·conv(x, W): a graph that differentiates the backward."""
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    v = rng.standard_normal((2, 3, 3, 3))
    results = []
    for lib, conv in ((mg, conv2d), (torch, torch.nn.functional.conv2d)):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        (gw,) = lib.autograd.grad((conv(xt, wt, stride=(1, 1)) * lib.tensor(v)).sum(), [wt],
                                  create_graph=True)
        (gx,) = lib.autograd.grad((gw * gw).sum(), [xt])
        results.append(gx.detach().numpy())
    np.testing.assert_allclose(*results, rtol=1e-10, atol=1e-10)


def test_parameters_have_torch_names_shapes_and_init_bounds():
    mg.manual_seed(0)
    layer = Conv2d(6, 8, (3, 5), groups=2)
    expected = {k: tuple(v.shape) for k, v in torch.nn.Conv2d(6, 8, (3, 5), groups=2)
                .state_dict().items()}
    assert {k: v.shape for k, v in layer.state_dict().items()} == expected
    bound = 1 / math.sqrt(3 * 3 * 5)  # fan_in = in_channels / groups · kh · kw
    for name, param in layer.named_parameters():
        values = param.data
        assert np.abs(values).max() <= bound, f"{name} exceeds the bound ±{bound}"
    weights = layer.weight.data.ravel()  # 360 draws of U(-b, b): mean 0, std b/√3
    assert abs(weights.mean()) < 0.1 * bound and abs(weights.std() - bound / math.sqrt(3)) < \
        0.1 * bound, f"mean {weights.mean()}, std {weights.std()}, expected 0 and {bound / 3**.5}"


def test_float32_layer_keeps_float32():
    y = Conv2d(1, 2, 3)(mg.randn(1, 1, 5, 5))
    assert y.dtype == np.float32 and y.shape == (1, 2, 3, 3)


def test_repr_reads_like_torch():
    assert repr(Conv2d(1, 16, 3, padding=1)) == \
        "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(Conv1d(2, 4, 3, stride=2, bias=False)) == \
        "Conv1d(2, 4, kernel_size=(3,), stride=(2,), bias=False)"


# -- bad input ---------------------------------------------------------------------------------

def test_wrong_channel_count_names_both_counts():
    with pytest.raises(mg.ShapeError, match=r"conv2d: input has 3 channels, expected 4 "
                                            r"\(weight shape \(8, 4, 3, 3\)"):
        Conv2d(4, 8, 3)(mg.randn(2, 3, 5, 5))


def test_kernel_larger_than_padded_input_is_refused():
    with pytest.raises(mg.ShapeError, match=r"conv2d: kernel size \(5, 5\).*larger than the "
                                            r"padded input \(4, 6\)"):
        Conv2d(1, 1, 5, padding=(0, 1))(mg.randn(1, 1, 4, 4))
    with pytest.raises(mg.ShapeError, match=r"conv1d: kernel size \(3,\) \(spanning \(5,\) with "
                                            r"dilation \(2,\)\)"):
        Conv1d(1, 1, 3, dilation=2)(mg.randn(1, 1, 4))


def test_input_of_wrong_rank_is_refused():
    with pytest.raises(mg.ShapeError, match=r"conv2d: expected a 3-D \(C, H, W\) or 4-D"):
        Conv2d(1, 1, 3)(mg.randn(5, 5))


def test_bad_settings_are_refused_at_construction():
    with pytest.raises(mg.RangeError, match="padding='same' is not supported for strided"):
        Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(mg.RangeError, match="divisible by groups"):
        Conv2d(4, 6, 3, groups=4)
    with pytest.raises(mg.RangeError, match="padding must be an int, a tuple, 'valid' or"):
        Conv1d(1, 1, 3, padding="full")
    with pytest.raises(mg.RangeError, match="padding_mode must be one of"):
        Conv1d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(mg.RangeError, match="stride must be positive"):
        Conv2d(1, 1, 3, stride=0)(mg.randn(1, 1, 5, 5))


def test_mismatched_dtypes_are_refused():
    layer = Conv2d(1, 1, 3).double()
    with pytest.raises(mg.DTypeError, match="conv2d: input is float32 but weight is float64"):
        layer(mg.randn(1, 1, 4, 4))
