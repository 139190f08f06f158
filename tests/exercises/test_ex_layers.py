"""Exercises on layers: cross-entropy, conv1d (im2col), max-pool, BatchNorm, LayerNorm,
dropout, initializations, penalties, gradient clipping."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn import init, utils
from tests.exercises.spec import assert_close, check_gradients, random

# -- softmax + cross-entropy ---------------------------------------------------------------------

@pytest.mark.ex_softmax_cross_entropy
def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits, target = random(4, 5), np.array([0, 3, 1, 4])
    x = mg.tensor(logits, requires_grad=True)
    F.cross_entropy(x, mg.tensor(target), reduction="sum").backward()
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert_close("∂(Σ cross-entropy)/∂logits", x.grad, p - np.eye(5)[target],
                 f"logits of shape (4, 5), target {target}")


@pytest.mark.ex_softmax_cross_entropy
def test_cross_entropy_gradient_with_weights_ignore_index_and_smoothing():
    target, weight = mg.tensor(np.array([0, 3, -100, 4])), mg.tensor(random(5, seed=2, low=0.5))
    for smoothing in (0.0, 0.2):
        check_gradients(lambda x: F.cross_entropy(x, target, weight, label_smoothing=smoothing),
                        random(4, 5), what=f"cross_entropy(weight, ignore_index=-100, "
                                           f"label_smoothing={smoothing})")


# -- conv1d via im2col ---------------------------------------------------------------------------

def _conv1d_by_definition(x, w, stride, padding, dilation):
    """y[n, o, t] = Σ_c Σ_k w[o, c, k] · x_padded[n, c, t·stride + k·dilation]."""
    n, c, length = x.shape
    out_channels, _, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    out = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    y = np.zeros((n, out_channels, out))
    for t in range(out):
        window = xp[:, :, t * stride + dilation * np.arange(k)]  # (n, c, k)
        y[:, :, t] = np.einsum("nck,ock->no", window, w)
    return y


@pytest.mark.ex_conv1d_im2col
def test_conv1d_matches_the_definition():
    x, w = random(2, 3, 11), random(4, 3, 3, seed=1)
    for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2)]:
        y = F.conv1d(mg.tensor(x), mg.tensor(w), stride=stride, padding=padding,
                     dilation=dilation)
        assert_close("conv1d", y, _conv1d_by_definition(x, w, stride, padding, dilation),
                     f"x (2, 3, 11), w (4, 3, 3), stride={stride}, padding={padding}, "
                     f"dilation={dilation}")


@pytest.mark.ex_conv1d_im2col
def test_conv1d_gradients():
    check_gradients(lambda x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2),
                    random(2, 2, 9), random(3, 2, 3, seed=1), what="conv1d(stride 2, pad 1, dil 2)")


# -- max pooling ---------------------------------------------------------------------------------

@pytest.mark.ex_max_pool
def test_max_pool1d_takes_the_largest_of_each_window_and_ignores_padding():
    x = -np.abs(random(1, 2, 7)) - 1  # all negative: zero padding would wrongly win
    y, idx = F.max_pool1d(mg.tensor(x), 3, stride=2, padding=1, return_indices=True)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)), constant_values=-np.inf)
    expected = np.stack([xp[:, :, 2 * t:2 * t + 3].max(-1) for t in range(4)], -1)
    expected_idx = np.stack([xp[:, :, 2 * t:2 * t + 3].argmax(-1) + 2 * t - 1
                             for t in range(4)], -1)
    at = "x of shape (1, 2, 7) (all negative), kernel 3, stride 2, padding 1"
    assert_close("max_pool1d values", y, expected, at)
    assert_close("max_pool1d indices", idx, expected_idx, at)


@pytest.mark.ex_max_pool
def test_max_pool_ties_go_to_the_first_maximum():
    x = np.array([[[1.0, 5.0, 5.0, 2.0]]])
    _, idx = F.max_pool1d(mg.tensor(x), 4, return_indices=True)
    assert_close("index of the maximum", idx, [[[1]]], "x = [1, 5, 5, 2], one window of 4")


# -- BatchNorm and LayerNorm ---------------------------------------------------------------------

@pytest.mark.ex_batchnorm
def test_batch_norm_input_gradient_is_orthogonal_to_one_and_to_x_hat():
    # y depends on x only through x̂, which is invariant to shifting or scaling a channel,
    # so ∂L/∂x has zero sum and zero correlation with x̂ in every channel
    x = mg.tensor(random(8, 3, 4), requires_grad=True)
    y = F.batch_norm(x, None, None, training=True, eps=0.0)
    y.backward(mg.tensor(random(8, 3, 4, seed=5)))
    x_hat = (x.data - x.data.mean((0, 2), keepdims=True)) / x.data.std((0, 2), keepdims=True)
    at = "x of shape (8, 3, 4), eps = 0, random upstream gradient"
    assert_close("Σ ∂L/∂x per channel", x.grad.data.sum((0, 2)), np.zeros(3), at, atol=1e-9)
    assert_close("Σ ∂L/∂x · x̂ per channel", (x.grad.data * x_hat).sum((0, 2)), np.zeros(3), at,
                 atol=1e-9)


@pytest.mark.ex_batchnorm
def test_batch_norm_gradients_in_training_mode():
    def bn(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)
    check_gradients(bn, random(4, 3, 5), random(3, seed=1), random(3, seed=2),
                    what="batch_norm(training=True) on (N, C, L)")
    check_gradients(bn, random(6, 2), random(2, seed=1), random(2, seed=2),
                    what="batch_norm(training=True) on (N, C)")


@pytest.mark.ex_layernorm
def test_layer_norm_normalizes_each_row():
    x, w, b = random(4, 6), random(6, seed=1), random(6, seed=2)
    y = F.layer_norm(mg.tensor(x), (6,), mg.tensor(w), mg.tensor(b), eps=1e-5)
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)  # biased variance
    assert_close("layer_norm", y, (x - mean) / np.sqrt(var + 1e-5) * w + b,
                 "x of shape (4, 6), eps=1e-5")


@pytest.mark.ex_layernorm
def test_layer_norm_gradients():
    check_gradients(lambda x, w, b: F.layer_norm(x, (5,), w, b), random(3, 5), random(5, seed=1),
                    random(5, seed=2), what="layer_norm over the last dim")


# -- dropout -------------------------------------------------------------------------------------

def _dropped(p, inverted, shape=(200, 500), fn=F.dropout):
    mg.manual_seed(0)
    return fn(mg.tensor(np.ones(shape)), p, training=True, inverted=inverted).data


@pytest.mark.ex_dropout_inverted
def test_inverted_dropout_scales_survivors_by_one_over_keep_probability():
    y = _dropped(0.3, inverted=True)
    values = set(np.unique(np.round(y, 12)))
    assert values == {0.0, round(1 / 0.7, 12)}, (
        f"dropout(ones, p=0.3, inverted): expected values {{0, 1/0.7 = {1 / 0.7:.6f}}}, "
        f"computed {sorted(float(v) for v in values)[:5]}")
    assert abs(y.mean() - 1) < 0.01, (f"dropout(ones, p=0.3): expected mean 1 (the expected "
                                      f"activation is kept), computed {y.mean():.4f}")
    assert abs((y == 0).mean() - 0.3) < 0.01, (f"dropout(p=0.3): expected 30% zeros, computed "
                                               f"{100 * (y == 0).mean():.1f}%")


@pytest.mark.ex_dropout_inverted
def test_dropout1d_drops_whole_channels():
    y = _dropped(0.5, inverted=True, shape=(8, 16, 10), fn=F.dropout1d)
    per_channel = {tuple(np.unique(row)) for row in y.reshape(-1, 10)}
    assert per_channel <= {(0.0,), (2.0,)}, (f"dropout1d(p=0.5): each channel all 0 or all 2, "
                                             f"computed channels with values {per_channel}")


@pytest.mark.ex_dropout_inverted
def test_vanilla_dropout_keeps_survivors_unscaled_in_training():
    y = _dropped(0.3, inverted=False)
    values = set(np.unique(y))
    assert values == {0.0, 1.0}, (f"dropout(ones, p=0.3, inverted=False) in training: expected "
                                  f"values {{0, 1}}, computed {sorted(float(v) for v in values)[:5]}")


@pytest.mark.ex_dropout_vanilla
def test_inverted_dropout_at_evaluation_is_the_identity():
    x = mg.tensor(random(3, 4))
    assert_close("dropout(x, p=0.25, training=False)", F.dropout(x, 0.25, training=False), x,
                 "inverted dropout in evaluation (expected x)")


@pytest.mark.ex_dropout_vanilla
def test_vanilla_dropout_at_evaluation_scales_by_the_keep_probability():
    x = mg.tensor(random(3, 4))
    assert_close("dropout(x, p=0.25, training=False, inverted=False)",
                 F.dropout(x, 0.25, training=False, inverted=False), x.data * 0.75,
                 "vanilla dropout in evaluation (expected (1 - p)·x)")


# -- initialization ------------------------------------------------------------------------------

def _check_uniform(what, w, bound):
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound, (
        f"{what}: expected values filling U(-{bound:.5f}, {bound:.5f}), computed the range "
        f"[{w.min():.5f}, {w.max():.5f}]")
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.05, (
        f"{what}: expected variance bound²/3 = {bound ** 2 / 3:.6f}, computed {w.var():.6f}")


@pytest.mark.ex_xavier_init
def test_xavier_uniform_bound_uses_fan_in_plus_fan_out():
    w = init.xavier_uniform_(mg.empty(200, 300), gain=2.0).data
    _check_uniform("xavier_uniform_((200, 300), gain=2)", w, 2.0 * math.sqrt(6 / 500))


@pytest.mark.ex_xavier_init
def test_xavier_uniform_fans_of_a_conv_weight_count_the_kernel():
    w = init.xavier_uniform_(mg.empty(64, 16, 3)).data  # fan_in 16·3, fan_out 64·3
    _check_uniform("xavier_uniform_((64, 16, 3))", w, math.sqrt(6 / (48 + 192)))


@pytest.mark.ex_he_init
def test_kaiming_uniform_bound_is_sqrt_6_over_fan_in_for_relu():
    w = init.kaiming_uniform_(mg.empty(300, 200), nonlinearity="relu").data
    _check_uniform("kaiming_uniform_((300, 200), relu)", w, math.sqrt(6 / 200))


@pytest.mark.ex_he_init
def test_kaiming_uniform_with_leaky_slope_and_fan_out():
    w = init.kaiming_uniform_(mg.empty(100, 40), a=math.sqrt(5)).data  # PyTorch's Linear
    _check_uniform("kaiming_uniform_((100, 40), a=√5): gain √(2/6), bound 1/√40", w,
                   1 / math.sqrt(40))
    w = init.kaiming_uniform_(mg.empty(300, 200), mode="fan_out", nonlinearity="relu").data
    _check_uniform("kaiming_uniform_((300, 200), mode='fan_out')", w, math.sqrt(6 / 300))


def _gram(w):
    w = w.reshape(w.shape[0], -1)
    return w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w


@pytest.mark.ex_orthogonal_init
def test_orthogonal_rows_or_columns_are_orthonormal():
    for shape in [(5, 8), (8, 5), (6, 6), (4, 2, 3)]:
        gram = _gram(init.orthogonal_(mg.empty(*shape)).data)
        assert_close(f"W Wᵀ (or WᵀW) of orthogonal_({shape})", gram, np.eye(len(gram)),
                     "a fresh draw", atol=1e-6)


@pytest.mark.ex_orthogonal_init
def test_orthogonal_gain_scales_every_singular_value():
    w = init.orthogonal_(mg.empty(4, 6), gain=2.0).data
    assert_close("singular values of orthogonal_((4, 6), gain=2)", np.linalg.svd(w)[1],
                 np.full(4, 2.0), "a fresh draw", rtol=1e-5)


# -- penalties and clipping ----------------------------------------------------------------------

def _params():
    return [mg.tensor(random(3, 2), requires_grad=True),
            mg.tensor(random(4, seed=1), requires_grad=True)]


@pytest.mark.ex_l1_penalty
def test_l1_penalty_is_the_sum_of_absolute_values():
    params = _params()
    assert_close("l1_penalty", utils.l1_penalty(params),
                 sum(np.abs(p.data).sum() for p in params), "two parameters with mixed signs")


@pytest.mark.ex_l1_penalty
def test_l1_penalty_gradient_is_the_sign():
    params = _params()
    utils.l1_penalty(params).backward()
    for p in params:
        assert_close("∂l1/∂θ (a constant push ±1)", p.grad, np.sign(p.data), f"θ of shape {p.shape}")


@pytest.mark.ex_l2_penalty
def test_l2_penalty_is_half_the_sum_of_squares():
    params = _params()
    assert_close("l2_penalty", utils.l2_penalty(params),
                 0.5 * sum((p.data ** 2).sum() for p in params), "two parameters")


@pytest.mark.ex_l2_penalty
def test_l2_penalty_gradient_is_theta():
    params = _params()
    utils.l2_penalty(params).backward()
    for p in params:
        assert_close("∂l2/∂θ (weight decay: the gradient is θ)", p.grad, p.data,
                     f"θ of shape {p.shape}")


def _with_grads(*grads):
    params = [mg.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = mg.tensor(np.array(g, dtype=np.float64))
    return params


@pytest.mark.ex_clip_grad_norm
def test_clip_grad_norm_scales_all_gradients_together():
    params = _with_grads([3.0, 0.0], [0.0, 4.0, 0.0])  # joint norm 5
    total = utils.clip_grad_norm_(params, 1.0)
    assert_close("returned total norm", total, 5.0, "gradients [3, 0] and [0, 4, 0]")
    assert_close("first gradient after clipping to 1", params[0].grad, [0.6, 0.0],
                 "joint norm 5 (each gradient is scaled by 1/5, not clipped alone)", rtol=1e-5)
    assert_close("second gradient after clipping to 1", params[1].grad, [0.0, 0.8, 0.0],
                 "joint norm 5", rtol=1e-5)


@pytest.mark.ex_clip_grad_norm
def test_clip_grad_norm_leaves_small_gradients_and_supports_inf_norm():
    params = _with_grads([0.3, 0.4])
    utils.clip_grad_norm_(params, 1.0)
    assert_close("gradient of norm 0.5 with max_norm 1", params[0].grad, [0.3, 0.4], "no clipping")
    params = _with_grads([1.0, -6.0], [2.0])
    total = utils.clip_grad_norm_(params, 3.0, norm_type=float("inf"))
    assert_close("inf-norm total", total, 6.0, "gradients [1, -6] and [2]")
    assert_close("gradient after inf-norm clipping to 3", params[0].grad, [0.5, -3.0],
                 "total 6", rtol=1e-5)
