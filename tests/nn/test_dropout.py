"""Dropout: inverted (PyTorch) and vanilla (the notes') forms, masks from minigrad's seeded
generator, channel-wise variants, and the gradient flowing only through kept units."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F


def test_inverted_dropout_zeroes_a_fraction_p_and_scales_survivors_by_one_over_keep():
    mg.manual_seed(0)
    y = nn.Dropout(0.3)(mg.ones(200, 500)).numpy()
    dropped = (y == 0).mean()
    assert abs(dropped - 0.3) < 0.005, f"dropped fraction {dropped}, expected 0.3"
    np.testing.assert_allclose(np.unique(y), [0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1) < 0.01, "inverted dropout keeps the expected value"


def test_inverted_dropout_is_the_identity_in_eval_mode():
    x = mg.randn(4, 5)
    assert nn.Dropout(0.5).eval()(x) is x


def test_vanilla_dropout_masks_without_scaling_in_training():
    mg.manual_seed(0)
    y = nn.Dropout(0.25, inverted=False)(mg.ones(100, 100)).numpy()
    assert set(np.unique(y)) == {0.0, 1.0}
    assert abs((y == 0).mean() - 0.25) < 0.01


def test_vanilla_dropout_multiplies_by_keep_probability_in_eval_mode():
    x = mg.randn(4, 5)
    y = nn.Dropout(0.25, inverted=False).eval()(x)
    np.testing.assert_allclose(y.numpy(), 0.75 * x.numpy())


def test_dropout_masks_are_fixed_by_the_seed():
    mg.manual_seed(3)
    first = F.dropout(mg.ones(50), 0.5).numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(mg.ones(50), 0.5).numpy(), first)


def test_dropped_units_get_no_gradient():
    mg.manual_seed(1)
    x = mg.randn(20, 30, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / 0.6, 0), rtol=1e-6)


def test_dropout_with_p_zero_and_one():
    x = mg.randn(3, 4)
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()


def test_dropout2d_drops_whole_channels():
    mg.manual_seed(2)
    y = nn.Dropout2d(0.5)(mg.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all(), "a channel was split"
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    np.testing.assert_allclose(np.unique(y), [0, 2])


def test_dropout1d_drops_whole_channels():
    mg.manual_seed(2)
    y = nn.Dropout1d(0.5)(mg.ones(4, 16, 5)).numpy()
    assert (y.min(axis=2) == y.max(axis=2)).all()


def test_dropout_repr_shows_p_and_the_vanilla_flag():
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"
    assert repr(nn.Dropout(0.2, inverted=False)) == "Dropout(p=0.2, inverted=False)"


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(mg.RangeError, match=f"Dropout: dropout probability has to be between 0 "
                                            f"and 1, but got {p}"):
        nn.Dropout(p)
    with pytest.raises(mg.RangeError, match="dropout: dropout probability"):
        F.dropout(mg.ones(2), p)


def test_dropout2d_rejects_input_without_channels():
    with pytest.raises(mg.ShapeError, match=r"dropout2d: expected 3D or 4D input, got shape "
                                            r"\(4, 5\)"):
        nn.Dropout2d()(mg.ones(4, 5))
