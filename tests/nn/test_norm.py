"""BatchNorm and LayerNorm equal PyTorch's (float64, 1e-8): outputs, input and parameter
gradients, running statistics over several training steps and the evaluation output after
them; the fused backward passes gradcheck and gradgradcheck."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
from torch_compare import check_module_like_torch  # noqa: E402

BATCH_NORMS = {
    "1d on (N, C)": (lambda lib, **kw: lib.nn.BatchNorm1d(4, **kw), (8, 4)),
    "1d on (N, C, L)": (lambda lib, **kw: lib.nn.BatchNorm1d(3, **kw), (5, 3, 6)),
    "2d": (lambda lib, **kw: lib.nn.BatchNorm2d(3, **kw), (4, 3, 5, 2)),
}
OPTIONS = {
    "default": {},
    "momentum": {"momentum": 0.3, "eps": 1e-3},
    "cumulative average": {"momentum": None},
    "no affine": {"affine": False},
    "no running stats": {"track_running_stats": False},
    "no bias": {"bias": False},
}


def _pair(case, options):
    make, shape = BATCH_NORMS[case]
    return make(mg, **options), make(torch, **options), shape


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("case", list(BATCH_NORMS))
def test_batch_norm_training_steps_equal_torch_with_running_stats(case, options):
    mg_layer, torch_layer, shape = _pair(case, OPTIONS[options])
    check_module_like_torch(mg_layer, torch_layer, shape, calls=3, low=-1, high=3)


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("case", list(BATCH_NORMS))
def test_batch_norm_evaluation_after_training_equals_torch(case, options):
    mg_layer, torch_layer, shape = _pair(case, OPTIONS[options])
    check_module_like_torch(mg_layer, torch_layer, shape, calls=2, low=-1, high=3)
    mg_layer.eval()
    torch_layer.eval()
    check_module_like_torch(mg_layer, torch_layer, shape, seed=10, low=-1, high=3)


def test_batch_norm_running_var_is_unbiased_while_normalization_uses_biased_variance():
    layer = nn.BatchNorm1d(1, momentum=1.0).double()
    x = np.array([[1.0], [2.0], [4.0]])
    y = layer(mg.tensor(x)).detach().numpy()
    np.testing.assert_allclose(layer.running_var.numpy(), [x.var(ddof=1)])
    np.testing.assert_allclose(y, (x - x.mean()) / np.sqrt(x.var() + 1e-5))
    assert layer.num_batches_tracked.item() == 1


def test_batch_norm_with_momentum_none_averages_all_batches_seen():
    layer = nn.BatchNorm1d(2, momentum=None).double()
    batches = [np.random.default_rng(i).normal(i, 1, (5, 2)) for i in range(3)]
    for batch in batches:
        layer(mg.tensor(batch))
    expected = np.mean([b.mean(axis=0) for b in batches], axis=0)
    np.testing.assert_allclose(layer.running_mean.numpy(), expected, rtol=1e-12)


def test_batch_norm_in_eval_mode_leaves_running_stats_alone():
    layer = nn.BatchNorm2d(3)
    layer(mg.randn(4, 3, 2, 2))
    before = layer.state_dict()
    layer.eval()(mg.randn(4, 3, 2, 2))
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_batch_norm_repr_equals_torch():
    assert repr(nn.BatchNorm2d(3, momentum=None)) == repr(torch.nn.BatchNorm2d(3, momentum=None))
    assert repr(nn.BatchNorm1d(3, bias=False)) == repr(torch.nn.BatchNorm1d(3, bias=False))
    assert repr(nn.BatchNorm1d(3, affine=False)) == repr(torch.nn.BatchNorm1d(3, affine=False))
    assert repr(nn.LayerNorm((4, 5))) == repr(torch.nn.LayerNorm((4, 5)))


@pytest.mark.parametrize("normalized, shape", [(5, (3, 5)), ((4, 5), (2, 3, 4, 5)),
                                               (6, (6,))],
                         ids=["rows", "last two dims", "unbatched"])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_equals_torch(normalized, shape, affine):
    check_module_like_torch(nn.LayerNorm(normalized, elementwise_affine=affine, eps=1e-4),
                            torch.nn.LayerNorm(normalized, elementwise_affine=affine, eps=1e-4),
                            shape, calls=2)


def test_layer_norm_without_bias_equals_torch():
    check_module_like_torch(nn.LayerNorm(5, bias=False), torch.nn.LayerNorm(5, bias=False), (3, 5))


def _random(shape, seed, requires_grad=True):
    return mg.tensor(np.random.default_rng(seed).standard_normal(shape),
                     requires_grad=requires_grad)


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3)])
def test_batch_norm_training_passes_gradcheck_and_gradgradcheck(shape):
    x, w, b = _random(shape, 0), _random(shape[1], 1), _random(shape[1], 2)
    fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_batch_norm_evaluation_passes_gradcheck_and_gradgradcheck():
    x, w, b = _random((4, 3, 2), 0), _random(3, 1), _random(3, 2)
    mean, var = _random(3, 3, False), mg.tensor(np.array([0.5, 1.0, 2.0]))
    fn = lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(lambda x, w, b: fn(x, w, b) * x, (x, w, b))


def test_layer_norm_passes_gradcheck_and_gradgradcheck():
    x, w, b = _random((3, 2, 4), 0), _random((2, 4), 1), _random((2, 4), 2)
    fn = lambda x, w, b: F.layer_norm(x, (2, 4), w, b)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    assert gradgradcheck(lambda x: F.layer_norm(x, 4), x)


def test_norms_of_float16_input_compute_in_float32():
    x = mg.randn(4, 3).half()
    assert nn.BatchNorm1d(3)(x).dtype == np.float32
    assert nn.LayerNorm(3)(x).dtype == np.float32


def test_large_batch_norm_through_numba_equals_torch():
    check_module_like_torch(nn.BatchNorm2d(8), torch.nn.BatchNorm2d(8), (16, 8, 12, 12), calls=2)
    check_module_like_torch(nn.LayerNorm(64), torch.nn.LayerNorm(64), (300, 64))


# -- bad input --------------------------------------------------------------------------------

def test_batch_norm_rejects_one_value_per_channel_in_training():
    with pytest.raises(mg.ShapeError, match=r"Expected more than 1 value per channel when "
                                            r"training, got input size \(1, 4\)"):
        nn.BatchNorm1d(4)(mg.randn(1, 4))


def test_batch_norm_accepts_one_sample_in_eval_mode():
    assert nn.BatchNorm1d(4).eval()(mg.randn(1, 4)).shape == (1, 4)


def test_batch_norm_rejects_wrong_channel_count():
    with pytest.raises(mg.ShapeError, match=r"BatchNorm2d: input has 3 channels \(dim 1 of "
                                            r"shape \(2, 3, 4, 4\)\), expected 4"):
        nn.BatchNorm2d(4)(mg.randn(2, 3, 4, 4))


def test_batch_norm_rejects_wrong_number_of_dims():
    with pytest.raises(mg.ShapeError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D "):
        nn.BatchNorm1d(3)(mg.randn(2, 3, 4, 4))


def test_layer_norm_rejects_input_not_ending_with_normalized_shape():
    with pytest.raises(mg.ShapeError, match=r"layer_norm: input shape \(3, 4\) does not end "
                                            r"with normalized_shape \(5,\)"):
        nn.LayerNorm(5)(mg.randn(3, 4))
