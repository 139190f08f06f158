"""The layers' Numba kernels (activations, cross-entropy, normalization) equal their NumPy
references for float32 and float64, small and large, contiguous or not."""

import numpy as np
import pytest

from minigrad.kernels import _jit
from minigrad.kernels import activation as A
from minigrad.kernels import norm as N
from minigrad.kernels import softmax as S

TOLERANCE = {np.float32: 3e-5, np.float64: 1e-12}
SIZES = [(3, 4), (300, 70)]  # the second is above every kernel's threshold


def _uniform(shape, dtype, seed, low=-4.0, high=4.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def _strided(array):
    """The same values as a non-contiguous view."""
    return np.repeat(array, 2, axis=-1)[..., ::2]


def _targets(rows, classes, seed):
    target = np.random.default_rng(seed).integers(0, classes, rows)
    target[::5] = -100  # some rows ignored
    return target


# name: (module, builder(shape, dtype) -> arguments)
KERNELS = {
    "leaky_relu_forward": (A, lambda s, d: (_uniform(s, d, 0), 0.1)),
    "leaky_relu_backward": (A, lambda s, d: (_uniform(s, d, 0), _uniform(s, d, 1), 0.1)),
    "elu_forward": (A, lambda s, d: (_uniform(s, d, 0), 1.5)),
    "elu_backward": (A, lambda s, d: (_uniform(s, d, 0), _uniform(s, d, 1), 1.5)),
    "normal_cdf": (A, lambda s, d: (_uniform(s, d, 0),)),
    "gelu_forward": (A, lambda s, d: (_uniform(s, d, 0),)),
    "gelu_backward": (A, lambda s, d: (_uniform(s, d, 0), _uniform(s, d, 1))),
    "gelu_tanh_forward": (A, lambda s, d: (_uniform(s, d, 0),)),
    "gelu_tanh_backward": (A, lambda s, d: (_uniform(s, d, 0), _uniform(s, d, 1))),
    "silu_forward": (A, lambda s, d: (_uniform(s, d, 0, -40, 40),)),
    "silu_backward": (A, lambda s, d: (_uniform(s, d, 0, -40, 40), _uniform(s, d, 1))),
    "cross_entropy_forward": (S, lambda s, d: (
        _uniform(s, d, 0, -10, 10), _targets(s[0], s[1], 1), _uniform(s[1], d, 2, 0.5, 2),
        -100, 0.1)),
    "cross_entropy_backward": (S, lambda s, d: (
        _uniform(s, d, 0, -10, 10),
        S.cross_entropy_forward_reference(_uniform(s, d, 0, -10, 10), _targets(s[0], s[1], 1),
                                          np.ones(s[1], d), -100, 0.0)[1],
        _targets(s[0], s[1], 1), _uniform(s[1], d, 2, 0.5, 2), _uniform(s[0], d, 3), -100,
        0.2)),
    "batch_norm_stats": (N, lambda s, d: (_uniform((4,) + s, d, 0, -1, 3),)),
    "batch_norm_apply": (N, lambda s, d: (
        _uniform((4,) + s, d, 0), _uniform(s[0], d, 1), _uniform(s[0], d, 2, 0.5, 2),
        _uniform(s[0], d, 3), _uniform(s[0], d, 4))),
    "batch_norm_backward": (N, lambda s, d: (
        _uniform((4,) + s, d, 0), _uniform((4,) + s, d, 1), _uniform(s[0], d, 2),
        _uniform(s[0], d, 3, 0.5, 2), _uniform(s[0], d, 4))),
    "layer_norm_forward": (N, lambda s, d: (
        _uniform(s, d, 0), _uniform(s[1], d, 1), _uniform(s[1], d, 2), 1e-5)),
    "layer_norm_backward": (N, lambda s, d: (
        _uniform(s, d, 0), _uniform(s, d, 1), _uniform(s[0], d, 2),
        _uniform(s[0], d, 3, 0.5, 2), _uniform(s[1], d, 4))),
}


def test_every_layer_kernel_is_tested():
    found = {name for module in (A, N, S) for name, value in vars(module).items()
             if isinstance(value, _jit.Kernel)}
    assert found == set(KERNELS), f"untested: {found - set(KERNELS)}"


def _assert_same(computed, expected, what):
    computed = computed if isinstance(computed, tuple) else (computed,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for k, (c, e) in enumerate(zip(computed, expected)):
        tolerance = TOLERANCE[np.dtype(e.dtype).type]
        assert c.shape == e.shape and c.dtype == e.dtype, \
            f"{what}, result {k}: numba gave {c.dtype}{c.shape}, reference {e.dtype}{e.shape}"
        np.testing.assert_allclose(c, e, rtol=tolerance, atol=tolerance,
                                   err_msg=f"{what}, result {k}: numba vs reference")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape", SIZES, ids=["small", "large"])
@pytest.mark.parametrize("name", list(KERNELS))
def test_layer_kernel_numba_equals_reference(name, shape, dtype):
    module, build = KERNELS[name]
    kernel = getattr(module, name)
    arguments = build(shape, dtype)
    _assert_same(kernel.numba(*arguments), kernel.reference(*arguments),
                 f"{name} on {np.dtype(dtype)} {shape}")
    if arguments[0].ndim >= 2 and name.endswith(("forward", "backward")) and module is A:
        laid_out = tuple(_strided(a) if isinstance(a, np.ndarray) else a for a in arguments)
        _assert_same(kernel.numba(*laid_out), kernel.reference(*laid_out),
                     f"{name} on strided {np.dtype(dtype)} {shape}")


@pytest.mark.parametrize("name", ["leaky_relu_backward", "elu_backward", "gelu_backward",
                                  "gelu_tanh_backward", "silu_backward"])
def test_activation_backward_accepts_a_broadcast_read_only_gradient(name):
    """The gradient of a sum arrives as a stride-0 read-only broadcast view."""
    x = _uniform((200, 100), np.float64, 0)
    gy = np.broadcast_to(np.float64(1.5), x.shape)
    extra = (0.1,) if name.startswith(("leaky", "elu")) else ()
    kernel = getattr(A, name)
    _assert_same(kernel.numba(x, gy, *extra), kernel.reference(x, gy, *extra), name)
