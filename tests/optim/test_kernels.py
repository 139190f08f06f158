"""Each fused update kernel: the compiled loop equals its NumPy reference, in float32 and
float64, for every flag; and no kernel writes to the gradient."""

import numpy as np
import pytest

from minigrad.kernels import optim as kernels

N = 1000


def _arrays(dtype, count, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(N).astype(dtype) for _ in range(count)]


def _positive(a):
    return np.abs(a) + 0.1


# (kernel, builder of (arrays, scalars) for a dtype and a flag setting, flag settings)
def _sgd(dtype, flags):
    nesterov, first = flags
    p, g, b = _arrays(dtype, 3)
    return [p, g, b], [0.1, 0.9, 0.0 if nesterov else 0.3, 0.01, -1.0, nesterov, first]


def _adagrad(dtype, flags):
    p, g, s = _arrays(dtype, 3)
    return [p, g, _positive(s)], [0.1, 0.01 * flags[0], 1e-10, 1.0]


def _adadelta(dtype, flags):
    p, g, v, u = _arrays(dtype, 4)
    return [p, g, _positive(v), _positive(u)], [1.0, 0.9, 1e-6, 0.01 * flags[0], -1.0]


def _rmsprop(dtype, flags):
    centered, momentum = flags
    p, g, v, m, b = _arrays(dtype, 5)
    v = _positive(v) + m * m  # keeps v − m² positive for the centered form
    empty = np.empty(0, dtype)
    return ([p, g, v, m if centered else empty, b if momentum else empty],
            [0.01, 0.99, 1e-8, 0.01, 0.9 if momentum else 0.0, 1.0, centered])


def _adam(dtype, flags):
    amsgrad, decoupled = flags
    p, g, m, v, vmax = _arrays(dtype, 5)
    v, vmax = _positive(v), _positive(vmax)
    return ([p, g, m, v, vmax if amsgrad else np.empty(0, dtype)],
            [0.9, 0.999, 0.01, 1e-8, 0.0 if decoupled else 0.01, 0.999 if decoupled else 1.0,
             -1.0, amsgrad])


def _nadam(dtype, flags):
    p, g, m, v = _arrays(dtype, 4)
    return [p, g, m, _positive(v)], [0.9, 0.999, -0.01, -0.02, 1e-8, 0.01 * flags[0], 1.0,
                                     1.0]


def _radam(dtype, flags):
    p, g, m, v = _arrays(dtype, 4)
    adaptive = flags[0]
    return [p, g, m, _positive(v)], [0.9, 0.999, 1e-3, 1e-8, 0.0, 0.99, 1.0, adaptive]


TWO_FLAGS = [(a, b) for a in (False, True) for b in (False, True)]
ONE_FLAG = [(False,), (True,)]
CASES = [
    (kernels.sgd_update, _sgd, TWO_FLAGS),
    (kernels.adagrad_update, _adagrad, ONE_FLAG),
    (kernels.adadelta_update, _adadelta, ONE_FLAG),
    (kernels.rmsprop_update, _rmsprop, TWO_FLAGS),
    (kernels.adam_update, _adam, TWO_FLAGS),
    (kernels.nadam_update, _nadam, ONE_FLAG),
    (kernels.radam_update, _radam, ONE_FLAG),
]
PARAMS = [pytest.param(k, build, flags, dtype, id=f"{k.__name__}-{np.dtype(dtype).name}-{flags}")
          for k, build, all_flags in CASES for flags in all_flags
          for dtype in (np.float32, np.float64)]


@pytest.mark.parametrize("kernel, build, flags, dtype", PARAMS)
def test_compiled_update_equals_reference(kernel, build, flags, dtype):
    arrays, scalars = build(dtype, flags)
    # as the optimizers pass them: float scalars in the parameter's dtype
    scalars = [dtype(s) if isinstance(s, float) else s for s in scalars]
    arrays[1].flags.writeable = False  # the gradient is read-only: a write would raise
    by_reference = [a.copy() for a in arrays]
    by_numba = [a.copy() for a in arrays]
    by_numba[1].flags.writeable = False
    kernel.reference(*by_reference, *scalars)
    kernel.numba(*by_numba, *scalars)
    # NumPy rounds each float32 operation, Numba computes the element in float64: the float32
    # results differ by rounding, which cancellation can make relatively large near zero
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for i, (ref, fast) in enumerate(zip(by_reference, by_numba)):
        np.testing.assert_allclose(fast, ref, rtol=tol, atol=tol,
                                   err_msg=f"{kernel.__name__} array {i} (flags {flags})")
        assert fast.dtype == dtype


def test_gradient_is_left_untouched_by_every_kernel():
    for kernel, build, all_flags in CASES:
        arrays, scalars = build(np.float64, all_flags[-1])
        grad = arrays[1].copy()
        kernel.numba(*arrays, *scalars)
        np.testing.assert_array_equal(arrays[1], grad, err_msg=kernel.__name__)
