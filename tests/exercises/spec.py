"""Assertions for the exercise tests: a failure says what was expected, what was computed and
at which input, in the words a student needs to find the mistake.

Exercise tests are plain functions without fixtures or parameters, so that the mechanism test
can also call them directly with a (deliberately wrong) implementation swapped in.
"""

import numpy as np

import minigrad as mg


def assert_close(what: str, computed, expected, at: str, rtol: float = 1e-6,
                 atol: float = 1e-9) -> None:
    """``computed`` equals ``expected`` elementwise (to rtol/atol), else a teaching message."""
    __tracebackhide__ = True  # the failure points at the test, not at this helper
    computed = np.asarray(computed.data if isinstance(computed, mg.Tensor) else computed)
    expected = np.asarray(expected.data if isinstance(expected, mg.Tensor) else expected)
    if computed.shape != expected.shape:
        raise AssertionError(f"{what}, at {at}: expected shape {expected.shape}, computed "
                             f"shape {computed.shape}")
    if np.allclose(computed, expected, rtol=rtol, atol=atol, equal_nan=True):
        return
    error = np.abs(computed.astype(float) - expected.astype(float))
    where = np.unravel_index(np.nanargmax(error), error.shape) if error.ndim else ()
    raise AssertionError(
        f"{what}, at {at}:\n  expected {np.array2string(expected, precision=6)}\n"
        f"  computed {np.array2string(computed, precision=6)}\n"
        f"  (largest difference at index {tuple(int(i) for i in where)}: expected "
        f"{expected[where].item()!r}, computed {computed[where].item()!r})")


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + εeᵢ) - f(x - εeᵢ)) / 2ε of a scalar function of a float64 array."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def check_gradients(fn, *arrays, what: str, seed: int = 0) -> None:
    """The gradients of L = Σ w·fn(inputs) (w random) by backward equal central differences."""
    __tracebackhide__ = True
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    with mg.no_grad():
        out_shape = fn(*[mg.tensor(a) for a in arrays]).shape
    weights = np.random.default_rng(seed).standard_normal(out_shape)
    inputs = [mg.tensor(a, requires_grad=True) for a in arrays]
    fn(*inputs).backward(mg.tensor(weights))  # ∂L/∂output = w (no sum or mul needed)
    shapes = ", ".join(str(a.shape) for a in arrays)
    for k, (array, tensor) in enumerate(zip(arrays, inputs)):
        def loss(x, k=k):
            args = [mg.tensor(x if j == k else a) for j, a in enumerate(arrays)]
            with mg.no_grad():
                return float((fn(*args).data * weights).sum())
        expected = numerical_gradient(loss, array.copy())
        computed = None if tensor.grad is None else tensor.grad.data
        if computed is None:
            raise AssertionError(f"{what}: input {k} (shape {array.shape}) got no gradient")
        assert_close(f"{what}: gradient of input {k} (vs central differences)", computed,
                     expected, f"inputs of shapes {shapes}", rtol=1e-5, atol=1e-6)


def random(*shape, seed: int = 0, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, shape)
