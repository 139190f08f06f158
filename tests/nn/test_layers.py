"""Linear layers, shape layers and activations equal PyTorch's (float64, 1e-8) in outputs,
input gradients and parameter gradients, with PyTorch's weights loaded as NumPy arrays."""

import math

import numpy as np
import pytest
from helpers import check_like_torch

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
from torch_compare import check_module_like_torch  # noqa: E402


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)], ids=["batch", "extra dims", "one"])
def test_linear_equals_torch(shape):
    check_module_like_torch(nn.Linear(4, 3), torch.nn.Linear(4, 3), shape)


def test_linear_without_bias_equals_torch():
    layer = check_module_like_torch(nn.Linear(4, 3, bias=False),
                                    torch.nn.Linear(4, 3, bias=False), (5, 4))
    assert layer.bias is None and [k for k, _ in layer.named_parameters()] == ["weight"]


def test_bilinear_equals_torch():
    check_module_like_torch(nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2), (5, 3), (5, 4))


def test_mlp_in_sequential_equals_torch_over_several_calls():
    mg_model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(),
                             nn.Linear(8, 2), nn.LogSoftmax(dim=1))
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                                      torch.nn.Linear(8, 8), torch.nn.GELU(),
                                      torch.nn.Linear(8, 2), torch.nn.LogSoftmax(dim=1))
    check_module_like_torch(mg_model, torch_model, (6, 4), calls=2)


def test_flatten_and_unflatten_equal_torch():
    check_module_like_torch(nn.Flatten(), torch.nn.Flatten(), (2, 3, 4, 5))
    check_module_like_torch(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), (2, 3, 4))
    check_module_like_torch(nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4)), (2, 12))


def test_identity_returns_its_input_unchanged():
    x = mg.randn(3, 2)
    assert nn.Identity(54, unused="argument")(x) is x


ACTIVATIONS = {
    "ReLU": (nn.ReLU(), torch.nn.ReLU()),
    "LeakyReLU": (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    "LeakyReLU default": (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    "ELU": (nn.ELU(), torch.nn.ELU()),
    "ELU alpha": (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
    "GELU": (nn.GELU(), torch.nn.GELU()),
    "GELU tanh": (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    "SiLU": (nn.SiLU(), torch.nn.SiLU()),
    "Softplus": (nn.Softplus(), torch.nn.Softplus()),
    "Softplus beta threshold": (nn.Softplus(2.0, 3.0), torch.nn.Softplus(2.0, 3.0)),
    "Sigmoid": (nn.Sigmoid(), torch.nn.Sigmoid()),
    "Tanh": (nn.Tanh(), torch.nn.Tanh()),
    "Softmax": (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    "LogSoftmax": (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_layer_equals_torch(name):
    mg_layer, torch_layer = ACTIVATIONS[name]
    check_module_like_torch(mg_layer, torch_layer, (4, 5, 3), low=-6, high=6)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_layer_repr_equals_torch(name):
    mg_layer, torch_layer = ACTIVATIONS[name]
    assert repr(mg_layer) == repr(torch_layer)


FUNCTIONS = {
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1),
    "elu": lambda F, x: F.elu(x, 1.5),
    "gelu": lambda F, x: F.gelu(x),
    "gelu tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "softplus": lambda F, x: F.softplus(x, beta=0.5, threshold=2.0),
    "relu": lambda F, x: F.relu(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "tanh": lambda F, x: F.tanh(x),
    "softmax": lambda F, x: F.softmax(x, dim=0),
    "log_softmax": lambda F, x: F.log_softmax(x, 1),
}


@pytest.mark.parametrize("size", [(3, 4), (130, 130)], ids=["small", "above kernel threshold"])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functional_activation_equals_torch(name, size):
    fn = FUNCTIONS[name]
    check_like_torch(lambda lib, x: fn(F if lib is mg else torch.nn.functional, x), size,
                     low=-8, high=8, atol=1e-12, rtol=1e-12)


PIECEWISE_LINEAR = ("relu", "leaky_relu")  # second derivative 0: nothing to gradgradcheck


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_activation_gradients_pass_gradcheck(name):
    x = mg.tensor(np.random.default_rng(3).uniform(-3, 3, (3, 4)), requires_grad=True)
    assert gradcheck(lambda t: FUNCTIONS[name](F, t), x)


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n not in PIECEWISE_LINEAR])
def test_activation_second_derivatives_pass_gradgradcheck(name):
    x = mg.tensor(np.random.default_rng(3).uniform(-3, 3, (3, 4)), requires_grad=True)
    assert gradgradcheck(lambda t: FUNCTIONS[name](F, t), x)


def test_fused_linear_passes_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    b = mg.tensor(rng.standard_normal(5), requires_grad=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), (x, w, b))
    assert gradcheck(F.linear, (x, w))


def test_linear_is_one_graph_node():
    """One fused op per layer keeps the per-step overhead low."""
    x = mg.randn(3, 4)
    layer = nn.Linear(4, 2)
    assert type(layer(x).grad_fn).__name__ == "Linear"


def test_linear_frozen_weights_get_no_gradient_but_the_input_does():
    layer = nn.Linear(3, 2).requires_grad_(False)
    x = mg.randn(4, 3, requires_grad=True)
    layer(x).sum().backward()
    assert layer.weight.grad is None and x.grad.shape == (4, 3)


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    mg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has std a/√3
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound, f"weight std {w.std()}"
    assert abs(w.mean()) < 0.01 * bound
    assert w.dtype == np.float32 and layer.weight.requires_grad


def test_linear_init_is_fixed_by_the_seed():
    mg.manual_seed(7)
    first = nn.Linear(3, 2).state_dict()
    mg.manual_seed(7)
    second = nn.Linear(3, 2).state_dict()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)


def test_linear_rejects_wrong_number_of_input_features():
    with pytest.raises(mg.ShapeError, match=r"Linear: input has 3 features, expected 4 "
                                            r"\(input shape \(2, 3\)"):
        nn.Linear(4, 5)(mg.randn(2, 3))


def test_linear_rejects_input_of_another_dtype():
    with pytest.raises(mg.DTypeError, match="Linear: input dtype float64 differs from weight "
                                            "dtype float32; convert the input with .float()"):
        nn.Linear(4, 5)(mg.tensor(np.ones((2, 4))))


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(mg.RangeError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(mg.randn(3), approximate="fast")


def test_activations_on_float16_use_numpy_and_stay_float16():
    x = mg.randn(200, 100).half().requires_grad_()
    for fn in (F.gelu, F.silu, F.elu, F.leaky_relu):
        y = fn(x)
        y.sum().backward()
        assert y.dtype == np.float16 and x.grad.dtype == np.float16, fn.__name__
        x.grad = None


def test_softmax_without_dim_warns_and_uses_torch_legacy_choice():
    x = mg.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1, rtol=1e-6)


PADS = {
    "constant last dim": ((1, 2), "constant", 0.5),
    "constant two dims": ((1, 0, 2, 3), "constant", None),
    "constant crops": ((-1, 2, 0, -1), "constant", 0.0),
    "reflect": ((2, 1, 1, 2), "reflect", None),
    "replicate": ((3, 1, 0, 2), "replicate", None),
    "circular": ((2, 3, 1, 1), "circular", None),
}


@pytest.mark.parametrize("name", list(PADS))
def test_pad_equals_torch(name):
    pads, mode, value = PADS[name]
    kwargs = {} if value is None else {"value": value}
    check_like_torch(lambda lib, x: (F if lib is mg else torch.nn.functional).pad(
        x, pads, mode=mode, **kwargs) * 1.0, (2, 3, 4, 5))


def test_pad_rejects_reflection_wider_than_the_input():
    with pytest.raises(mg.ShapeError, match="pad: reflect padding"):
        F.pad(mg.randn(1, 2, 3), (3, 0), mode="reflect")


def test_one_hot_equals_torch():
    labels = np.array([[0, 2], [3, 1]])
    expected = torch.nn.functional.one_hot(torch.tensor(labels), 5).numpy()
    result = F.one_hot(mg.tensor(labels), 5)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result.numpy(), expected)
    np.testing.assert_array_equal(F.one_hot(mg.tensor([1, 0])).numpy(), [[0, 1], [1, 0]])


def test_one_hot_rejects_out_of_range_and_float_labels():
    with pytest.raises(mg.OutOfBoundsError, match=r"class values must be smaller than "
                                                  r"num_classes \(3\), got 3"):
        F.one_hot(mg.tensor([0, 3]), 3)
    with pytest.raises(mg.DTypeError, match="one_hot: expected integer class indices"):
        F.one_hot(mg.tensor([0.0, 1.0]))
