"""nn.utils: gradient clipping equals PyTorch's; parameters to and from one vector; the L1 and
L2 penalties are differentiable with gradients sign(θ) and θ."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import utils

torch = pytest.importorskip("torch")


def _twin_grads(seed=0, scale=3.0):
    """Parameters with the same gradients in minigrad and PyTorch (one without a gradient)."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2)]
    grads = [scale * rng.standard_normal(s) for s in shapes]
    ours = [mg.tensor(np.zeros(s), requires_grad=True) for s in shapes + [(2,)]]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes + [(2,)]]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), torch.tensor(g)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_equals_torch(norm_type, max_norm):
    ours, theirs = _twin_grads()
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_of_a_single_tensor_and_of_no_gradients():
    p = mg.tensor([3.0, 4.0], requires_grad=True)
    p.grad = mg.tensor([3.0, 4.0])
    assert utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert utils.clip_grad_norm_([mg.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_norm_can_refuse_a_non_finite_norm():
    p = mg.zeros(2, requires_grad=True)
    p.grad = mg.tensor([np.inf, 1.0])
    with pytest.raises(mg.GradError, match="is non-finite, so it cannot be clipped"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_equals_torch():
    ours, theirs = _twin_grads()
    utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_parameters_to_vector_and_back_round_trip():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vector = utils.parameters_to_vector(model.parameters())
    assert vector.shape == (11,)
    expected = np.concatenate([p.data.ravel() for p in model.parameters()])
    np.testing.assert_array_equal(vector.detach().numpy(), expected)
    utils.vector_to_parameters(mg.arange(11).float(), model.parameters())
    np.testing.assert_array_equal(model[0].weight.data.ravel(), np.arange(6))
    np.testing.assert_array_equal(model[1].bias.data, [10])


def test_parameters_to_vector_is_differentiable():
    p = mg.ones(2, 2, requires_grad=True)
    (utils.parameters_to_vector([p]) * mg.arange(4).float()).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [[0, 1], [2, 3]])


def test_vector_to_parameters_rejects_a_vector_of_the_wrong_length():
    with pytest.raises(mg.ShapeError, match=r"expected a vector of 6 elements for the "
                                            r"parameters, got shape \(5,\)"):
        utils.vector_to_parameters(mg.zeros(5), [mg.zeros(2, 3)])


def test_l1_penalty_is_sum_of_absolute_values_with_gradient_sign():
    a = mg.tensor([[1.0, -2.0]], requires_grad=True)
    b = mg.tensor([-3.0], requires_grad=True)
    penalty = utils.l1_penalty([a, b])
    assert penalty.item() == 6.0
    penalty.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, -1]])
    np.testing.assert_array_equal(b.grad.numpy(), [-1])


def test_l2_penalty_is_half_sum_of_squares_with_gradient_theta():
    a = mg.tensor([[1.0, -2.0]], requires_grad=True)
    b = mg.tensor([-3.0], requires_grad=True)
    penalty = utils.l2_penalty(iter([a, b]))
    assert penalty.item() == 7.0
    penalty.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, -2]])
    np.testing.assert_array_equal(b.grad.numpy(), [-3])
