"""The convolution, pooling and recurrent-cell kernels: each compiled loop equals its NumPy
reference in float32 and float64, over strides, paddings, dilations and uneven shapes; the
adjoint pairs (im2col/col2im, gather/scatter, average/spread) really are adjoint; the
recurrent cells follow the textbook formulas and their hand-derived backwards match finite
differences."""

import numpy as np
import pytest

from minigrad.kernels import conv, pool, rnn

DTYPES = [np.float32, np.float64]

# (input shape, kernel, stride, padding, dilation): square, uneven, strided, dilated, padded
GEOMETRIES = [
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((1, 2, 9, 8), (2, 3), (2, 3), (0, 1), (1, 1)),
    ((2, 1, 10, 9), (3, 2), (1, 2), (2, 0), (2, 3)),
    ((3, 2, 1, 12), (1, 4), (1, 3), (0, 2), (1, 2)),  # a 1-D input as height 1
]


def _out_size(shape, kernel, stride, padding, dilation):
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation))


def _close(computed, expected, dtype, what):
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert computed.dtype == expected.dtype, \
        f"{what}: dtype {computed.dtype}, expected {expected.dtype}"
    np.testing.assert_allclose(computed, expected, rtol=tol, atol=tol,
                               err_msg=f"{what} ({np.dtype(dtype).name}): numba vs reference")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_im2col_and_col2im_numba_equal_reference(dtype, shape, kernel, stride, padding,
                                                 dilation, rng):
    out = _out_size(shape, kernel, stride, padding, dilation)
    x = rng.standard_normal(shape).astype(dtype)
    args = (kernel, stride, padding, dilation, out)
    expected = conv.im2col.reference(x, *args)
    _close(conv.im2col.numba(x, *args), expected, dtype, "im2col")
    cols = rng.standard_normal(expected.shape).astype(dtype)
    _close(conv.col2im.numba(cols, shape, *args), conv.col2im.reference(cols, shape, *args),
           dtype, "col2im")


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_col2im_is_the_adjoint_of_im2col(shape, kernel, stride, padding, dilation, rng):
    """<im2col(x), c> = <x, col2im(c)> for every x and c."""
    args = (kernel, stride, padding, dilation, _out_size(shape, kernel, stride, padding, dilation))
    x = rng.standard_normal(shape)
    cols = conv.im2col.reference(x, *args)
    c = rng.standard_normal(cols.shape)
    left, right = np.sum(cols * c), np.sum(x * conv.col2im.reference(c, shape, *args))
    assert np.isclose(left, right, rtol=1e-12), f"<im2col x, c> = {left}, <x, col2im c> = {right}"


def test_im2col_fills_the_padding_with_zeros():
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    cols = conv.im2col.reference(x, (2, 2), (1, 1), (1, 1), (1, 1), (3, 3))
    # the top-left window sees only x[0, 0] = 1, in its bottom-right corner
    assert cols[:, 0].tolist() == [0, 0, 0, 1], f"first column {cols[:, 0].tolist()}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_max_pool_numba_equals_reference(dtype, shape, kernel, stride, padding, dilation, rng):
    padding = tuple(min(p, k // 2) for p, k in zip(padding, kernel))
    out = _out_size(shape, kernel, stride, padding, dilation)
    x = rng.standard_normal(shape).astype(dtype)
    x[0, 0, 0, :2] = 5.0  # a tie: the first maximum in row-major order wins
    args = (kernel, stride, padding, dilation, out)
    indices = pool.max_pool_indices.reference(x, *args)
    np.testing.assert_array_equal(pool.max_pool_indices.numba(x, *args), indices,
                                  err_msg=f"max_pool_indices ({np.dtype(dtype).name})")
    gy = rng.standard_normal(indices.shape).astype(dtype)
    plane = shape[2] * shape[3]
    _close(pool.max_pool_backward.numba(gy, indices, plane),
           pool.max_pool_backward.reference(gy, indices, plane), dtype, "max_pool_backward")
    _close(pool.gather_plane.numba(x, indices), pool.gather_plane.reference(x, indices), dtype,
           "gather_plane")


def test_max_pool_indices_point_at_the_window_maxima(rng):
    x = rng.standard_normal((2, 3, 6, 4))
    indices = pool.max_pool_indices.reference(x, (2, 2), (2, 2), (0, 0), (1, 1), (3, 2))
    expected = x.reshape(2, 3, 3, 2, 2, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(pool.gather_plane.reference(x, indices), expected)


def test_max_pool_picks_a_nan_as_pytorch_does():
    x = np.array([[[[1.0, np.nan, 3.0, 2.0]]]])
    for implementation in (pool.max_pool_indices.reference, pool.max_pool_indices.numba):
        indices = implementation(x, (1, 4), (1, 1), (0, 0), (1, 1), (1, 1))
        assert indices[0, 0, 0, 0] == 1, f"{implementation}: index {indices.ravel()}, expected 1"


def _windows(size, out, kernel, stride, padding):
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size)
    return np.maximum(start, 0), end


@pytest.mark.parametrize("dtype", DTYPES)
def test_window_average_numba_equals_reference(dtype, rng):
    x = rng.standard_normal((2, 3, 7, 9)).astype(dtype)
    h_start, h_end = _windows(7, 4, 3, 2, 1)
    w_start, w_end = np.array([0, 2, 5]), np.array([3, 6, 9])  # overlapping, uneven (adaptive)
    divisor = ((h_end - h_start)[:, None] * (w_end - w_start)[None, :]).astype(dtype)
    args = (h_start, h_end, w_start, w_end, divisor)
    expected = pool.window_average.reference(x, *args)
    _close(pool.window_average.numba(x, *args), expected, dtype, "window_average")
    gy = rng.standard_normal(expected.shape).astype(dtype)
    _close(pool.window_average_backward.numba(gy, *args, (7, 9)),
           pool.window_average_backward.reference(gy, *args, (7, 9)), dtype,
           "window_average_backward")


def test_window_average_backward_is_its_adjoint(rng):
    x = rng.standard_normal((1, 2, 5, 6))
    args = (np.array([0, 1, 3]), np.array([2, 4, 5]), np.array([0, 3]), np.array([4, 6]),
            rng.uniform(1, 3, (3, 2)))
    y = pool.window_average.reference(x, *args)
    gy = rng.standard_normal(y.shape)
    left = np.sum(y * gy)
    right = np.sum(x * pool.window_average_backward.reference(gy, *args, (5, 6)))
    assert np.isclose(left, right, rtol=1e-12), f"<A x, g> = {left}, <x, Aᵀ g> = {right}"


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_cell_forward_follows_the_textbook_formulas(dtype, rng):
    batch, hidden = 5, 7
    x_gates, h_gates = ((3 * rng.standard_normal((batch, 4 * hidden))).astype(dtype)
                        for _ in range(2))
    state = rng.standard_normal((batch, 2 * hidden)).astype(dtype)
    new_state, act, tanh_c = rnn.lstm_cell_forward(x_gates, h_gates, state)
    i, f, g, o = np.split(x_gates.astype(np.float64) + h_gates, 4, axis=1)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c = f * state[:, hidden:] + i * g
    expectations = {"h'": (new_state[:, :hidden], o * np.tanh(c)),
                    "c'": (new_state[:, hidden:], c), "tanh c'": (tanh_c, np.tanh(c)),
                    "gates": (act, np.hstack([i, f, g, o]))}
    for name, (computed, expected) in expectations.items():
        assert computed.dtype == dtype, f"lstm_cell_forward {name}: dtype {computed.dtype}"
        _close(computed, expected.astype(dtype), dtype, f"lstm_cell_forward {name}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_cell_forward_follows_the_textbook_formulas(dtype, rng):
    batch, hidden = 5, 7
    x_gates, h_gates = ((3 * rng.standard_normal((batch, 3 * hidden))).astype(dtype)
                        for _ in range(2))
    h = rng.standard_normal((batch, hidden)).astype(dtype)
    h_new, act = rnn.gru_cell_forward(x_gates, h_gates, h)
    (x_r, x_z, x_n), (h_r, h_z, h_n) = (np.split(a.astype(np.float64), 3, axis=1)
                                        for a in (x_gates, h_gates))
    r, z = _sigmoid(x_r + h_r), _sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    _close(h_new, ((1 - z) * n + z * h).astype(dtype), dtype, "gru_cell_forward h'")
    _close(act, np.hstack([r, z, n]).astype(dtype), dtype, "gru_cell_forward gates")


def test_recurrent_forwards_do_not_overflow_for_large_pre_activations():
    big = np.array([[-1000.0, 1000.0, -1000.0, 1000.0]])
    with np.errstate(all="raise"):
        new_state, act, _ = rnn.lstm_cell_forward(big, np.zeros_like(big), np.zeros((1, 2)))
        rnn.gru_cell_forward(big[:, :3], np.zeros((1, 3)), np.zeros((1, 1)))
    assert act.tolist() == [[0.0, 1.0, -1.0, 1.0]], f"activated gates {act.tolist()}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_cell_backward_numba_equals_reference(dtype, rng):
    batch, hidden = 5, 7
    x_gates = (3 * rng.standard_normal((batch, 4 * hidden))).astype(dtype)
    state = rng.standard_normal((batch, 2 * hidden)).astype(dtype)
    _, act, tanh_c = rnn.lstm_cell_forward(x_gates, np.zeros_like(x_gates), state)
    g_state = rng.standard_normal((batch, 2 * hidden)).astype(dtype)
    args = (g_state, act, state, tanh_c)
    for name, got, want in zip(("gates", "c"), rnn.lstm_cell_backward.numba(*args),
                               rnn.lstm_cell_backward.reference(*args)):
        _close(got, want, dtype, f"lstm_cell_backward d{name}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_cell_backward_numba_equals_reference(dtype, rng):
    batch, hidden = 5, 7
    x_gates, h_gates = ((3 * rng.standard_normal((batch, 3 * hidden))).astype(dtype)
                        for _ in range(2))
    h = rng.standard_normal((batch, hidden)).astype(dtype)
    _, act = rnn.gru_cell_forward(x_gates, h_gates, h)
    args = (rng.standard_normal((batch, hidden)).astype(dtype), act, h_gates, h)
    for name, got, want in zip(("x_gates", "h_gates", "h"), rnn.gru_cell_backward.numba(*args),
                               rnn.gru_cell_backward.reference(*args)):
        _close(got, want, dtype, f"gru_cell_backward d{name}")


def test_lstm_cell_backward_matches_finite_differences(rng):
    """The hand-derived gate gradients against central differences of the forward."""
    batch, hidden = 2, 3
    gates = rng.standard_normal((batch, 4 * hidden))
    state = rng.standard_normal((batch, 2 * hidden))
    g_state = rng.standard_normal((batch, 2 * hidden))
    zeros = np.zeros_like(gates)

    def loss(gates, c):
        new_state, _, _ = rnn.lstm_cell_forward(gates, zeros, np.hstack([state[:, :hidden], c]))
        return np.sum(new_state * g_state)

    _, act, tanh_c = rnn.lstm_cell_forward(gates, zeros, state)
    d_gates, dc = rnn.lstm_cell_backward.reference(g_state, act, state, tanh_c)
    c = state[:, hidden:]
    np.testing.assert_allclose(d_gates, _numeric(lambda g: loss(g, c), gates), atol=1e-8)
    np.testing.assert_allclose(dc, _numeric(lambda v: loss(gates, v), c), atol=1e-8)


def test_gru_cell_backward_matches_finite_differences(rng):
    batch, hidden = 2, 3
    x_gates, h_gates = (rng.standard_normal((batch, 3 * hidden)) for _ in range(2))
    h, gh = rng.standard_normal((batch, hidden)), rng.standard_normal((batch, hidden))

    def loss(x_gates, h_gates, h):
        return np.sum(rnn.gru_cell_forward(x_gates, h_gates, h)[0] * gh)

    _, act = rnn.gru_cell_forward(x_gates, h_gates, h)
    dx, dhg, dh = rnn.gru_cell_backward.reference(gh, act, h_gates, h)
    np.testing.assert_allclose(dx, _numeric(lambda v: loss(v, h_gates, h), x_gates), atol=1e-8)
    np.testing.assert_allclose(dhg, _numeric(lambda v: loss(x_gates, v, h), h_gates), atol=1e-8)
    np.testing.assert_allclose(dh, _numeric(lambda v: loss(x_gates, h_gates, v), h), atol=1e-8)


def _numeric(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad
