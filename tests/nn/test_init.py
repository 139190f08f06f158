"""nn.init follows PyTorch's formulas: gains and fans equal PyTorch's exactly, and with fixed
seeds each distribution has the mean, spread and bounds the formula gives (and the spread
PyTorch's own draws have)."""

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import init

torch = pytest.importorskip("torch")

SHAPE = (256, 128, 3)  # fan_in = 384, fan_out = 768: large enough for tight statistics
FAN_IN, FAN_OUT = 128 * 3, 256 * 3


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == \
        torch.nn.init.calculate_gain(nonlinearity, param)


def test_fans_count_the_receptive_field_as_torch():
    assert init._calculate_fan_in_and_fan_out(mg.empty(*SHAPE)) == (FAN_IN, FAN_OUT)
    assert init._calculate_fan_in_and_fan_out(mg.empty(*SHAPE)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*SHAPE))


def _draw(fn, seed=0, dtype=mg.float32):
    mg.manual_seed(seed)
    t = mg.empty(*SHAPE, dtype=dtype)
    fn(t)
    return t.data.astype(np.float64)


def _torch_std(fn):
    torch.manual_seed(0)
    return fn(torch.empty(*SHAPE)).std().item()


# name: (minigrad init, torch init, expected std, bounds or None)
UNIFORM_BOUND = math.sqrt(3)
CASES = {
    "uniform_": (lambda t: init.uniform_(t, -2, 3), lambda t: torch.nn.init.uniform_(t, -2, 3),
                 5 / math.sqrt(12), None),
    "normal_": (lambda t: init.normal_(t, 1.5, 0.3), lambda t: torch.nn.init.normal_(t, 1.5, 0.3),
                0.3, None),
    "xavier_uniform_": (lambda t: init.xavier_uniform_(t, gain=2.0),
                        lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0),
                        2 * math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    "xavier_normal_": (init.xavier_normal_, torch.nn.init.xavier_normal_,
                       math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    "kaiming_uniform_": (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"),
                         lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu"),
                         math.sqrt(2) / math.sqrt(FAN_IN), None),
    "kaiming_uniform_ a=√5 (Linear's)": (
        lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)),
        lambda t: torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5)),
        1 / math.sqrt(FAN_IN) / math.sqrt(3), None),
    "kaiming_normal_ fan_out": (
        lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
        lambda t: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
        math.sqrt(2) / math.sqrt(FAN_OUT), None),
    "trunc_normal_": (lambda t: init.trunc_normal_(t, 0, 1, -1, 2),
                      lambda t: torch.nn.init.trunc_normal_(t, 0, 1, -1, 2), None, (-1, 2)),
}


def _truncated_standard_normal_moments(a, b):
    """Mean and std of N(0, 1) conditioned on [a, b]."""
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    z = cdf(b) - cdf(a)
    mean = (pdf(a) - pdf(b)) / z
    return mean, math.sqrt(1 + (a * pdf(a) - b * pdf(b)) / z - mean * mean)


TRUNCATED_MEAN, TRUNCATED_STD = _truncated_standard_normal_moments(-1, 2)
CASES["trunc_normal_"] = CASES["trunc_normal_"][:2] + (TRUNCATED_STD, (-1, 2))
MEANS = {"uniform_": 0.5, "normal_": 1.5, "trunc_normal_": TRUNCATED_MEAN}


@pytest.mark.parametrize("name", list(CASES))
def test_init_distribution_matches_the_formula_and_torch(name):
    ours, theirs, std, bounds = CASES[name]
    values = _draw(ours)
    assert abs(values.std() - std) < 0.01 * std, f"{name}: std {values.std()}, expected {std}"
    assert abs(values.std() - _torch_std(theirs)) < 0.015 * std, \
        f"{name}: std {values.std()}, PyTorch's draws {_torch_std(theirs)}"
    mean = MEANS.get(name, 0.0)
    assert abs(values.mean() - mean) < 0.01 * std, f"{name}: mean {values.mean()}, expected {mean}"
    if bounds is not None:
        assert bounds[0] <= values.min() and values.max() <= bounds[1]


@pytest.mark.parametrize("name", [n for n in CASES if "uniform" in n])
def test_uniform_inits_stay_within_their_bound(name):
    ours, _, std, _ = CASES[name]
    values = _draw(ours)
    bound = UNIFORM_BOUND * std if name != "uniform_" else 3
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > 0.99 * bound, "the draws should reach near the bound"


def test_init_writes_in_place_without_recording_a_graph():
    weight = nn.Parameter(mg.empty(3, 4))
    data = weight.data
    result = init.kaiming_normal_(weight)
    assert result is weight and weight.data is data
    assert weight.grad_fn is None and weight.requires_grad


def test_init_keeps_the_tensor_dtype():
    assert init.normal_(mg.empty(3, dtype=mg.float64)).dtype == np.float64


def test_init_is_reproducible_with_a_seed_or_a_generator():
    assert np.array_equal(_draw(init.xavier_uniform_, seed=4), _draw(init.xavier_uniform_, 4))
    a = init.normal_(mg.empty(5), generator=np.random.default_rng(1))
    b = init.normal_(mg.empty(5), generator=np.random.default_rng(1))
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (4, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape):
    mg.manual_seed(0)
    w = init.orthogonal_(mg.empty(*shape, dtype=mg.float64), gain=2.0).data.reshape(shape[0], -1)
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-12)


def test_constant_ones_zeros_and_eye():
    t = mg.empty(2, 3)
    assert (init.constant_(t, 0.7).data == np.float32(0.7)).all()
    assert (init.ones_(t).data == 1).all() and (init.zeros_(t).data == 0).all()
    np.testing.assert_array_equal(init.eye_(t).data, np.eye(2, 3))


def test_default_inits_of_norm_layers_are_ones_and_zeros():
    for layer in (nn.BatchNorm1d(3), nn.LayerNorm(3)):
        assert (layer.weight.data == 1).all() and (layer.bias.data == 0).all()
    bn = nn.BatchNorm1d(3)
    assert (bn.running_mean.data == 0).all() and (bn.running_var.data == 1).all()


def test_bad_arguments_get_clear_errors():
    with pytest.raises(mg.ShapeError, match=r"fan in and fan out can not be computed for a "
                                            r"tensor with fewer than 2 dimensions \(shape "
                                            r"\(3,\)\)"):
        init.xavier_uniform_(mg.empty(3))
    with pytest.raises(mg.RangeError, match="mode 'fan_avg' not supported"):
        init.kaiming_uniform_(mg.empty(3, 3), mode="fan_avg")
    with pytest.raises(mg.RangeError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(mg.ShapeError, match="eye_: only 2-dimensional tensors"):
        init.eye_(mg.empty(2, 2, 2))
    with pytest.raises(mg.RangeError, match="trunc_normal_: need a < b"):
        init.trunc_normal_(mg.empty(2), a=1, b=1)
