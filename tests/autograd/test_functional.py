"""jacobian, hessian and hvp equal torch.autograd.functional's, to 1e-10 in float64."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd.functional import hessian, hvp, jacobian

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 3))


def assert_close(computed, expected, what):
    computed = computed.detach().numpy() if hasattr(computed, "detach") else computed
    np.testing.assert_allclose(computed, expected.detach().numpy(), rtol=1e-10, atol=1e-10,
                               err_msg=f"{what}: computed (minigrad) vs expected (torch)")


SCALAR_FUNCTIONS = {
    "quadratic form": lambda lib, x: x @ lib.tensor(A) @ x,
    "exp times square": lambda lib, x: (x.exp() * x * x).sum(),
    "log-sum-exp": lambda lib, x: x.logsumexp(0),
    "tanh of a product": lambda lib, x: (x[0] * x[1]).tanh() + (x ** 3).sum(),
    "softmax entropy": lambda lib, x: -(x.softmax(0) * x.log_softmax(0)).sum(),
    "rosenbrock": lambda lib, x: ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum(),
}

VECTOR_FUNCTIONS = {
    "matrix times vector": lambda lib, x: lib.tensor(A) @ x.tanh(),
    "elementwise": lambda lib, x: x.sigmoid() * x,
    "softmax": lambda lib, x: x.softmax(0),
    "outer product": lambda lib, x: x.unsqueeze(1) * x.unsqueeze(0),
}


def lib_fn(fn, lib):
    return lambda *xs: fn(lib, *xs)


@pytest.mark.parametrize("name", list(VECTOR_FUNCTIONS))
def test_jacobian_equals_torchs(name):
    fn, x = VECTOR_FUNCTIONS[name], RNG.standard_normal(3)
    assert_close(jacobian(lib_fn(fn, mg), mg.tensor(x)),
                 torch.autograd.functional.jacobian(lib_fn(fn, torch), torch.tensor(x)), name)


def test_jacobian_of_several_inputs_is_a_tuple_like_torchs():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(3)

    def fn(lib):
        return lambda w, v: (w @ v).exp()

    computed = jacobian(fn(mg), (mg.tensor(a), mg.tensor(b)))
    expected = torch.autograd.functional.jacobian(fn(torch), (torch.tensor(a), torch.tensor(b)))
    assert isinstance(computed, tuple) and len(computed) == 2
    for k, (c, e) in enumerate(zip(computed, expected)):
        assert_close(c, e, f"jacobian with respect to input {k}")


def test_jacobian_of_an_input_the_output_ignores_is_zero():
    computed = jacobian(lambda x, y: x * 2, (mg.tensor(np.ones(2)), mg.tensor(np.ones(3))))
    np.testing.assert_array_equal(computed[1].numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("name", list(SCALAR_FUNCTIONS))
def test_hessian_equals_torchs(name):
    fn, x = SCALAR_FUNCTIONS[name], RNG.uniform(-1, 1, 3)
    computed = hessian(lib_fn(fn, mg), mg.tensor(x))
    assert_close(computed, torch.autograd.functional.hessian(lib_fn(fn, torch), torch.tensor(x)),
                 name)
    np.testing.assert_allclose(computed.numpy(), computed.numpy().T, atol=1e-12,
                               err_msg=f"{name}: a Hessian is symmetric")


def test_hessian_of_a_matrix_input_has_shape_input_by_input():
    w = RNG.standard_normal((2, 3))

    def fn(lib):
        return lambda m: (m.tanh() @ lib.tensor(A) * m).sum()

    computed = hessian(fn(mg), mg.tensor(w))
    assert computed.shape == (2, 3, 2, 3)
    assert_close(computed, torch.autograd.functional.hessian(fn(torch), torch.tensor(w)),
                 "Hessian with respect to a (2, 3) matrix")


@pytest.mark.parametrize("name", list(SCALAR_FUNCTIONS))
def test_hvp_equals_torchs_and_the_hessian_times_v(name):
    fn, x, v = SCALAR_FUNCTIONS[name], RNG.uniform(-1, 1, 3), RNG.standard_normal(3)
    value, product = hvp(lib_fn(fn, mg), mg.tensor(x), mg.tensor(v))
    expected_value, expected = torch.autograd.functional.hvp(lib_fn(fn, torch), torch.tensor(x),
                                                             torch.tensor(v))
    assert_close(value, expected_value, f"{name}: function value")
    assert_close(product, expected, f"{name}: H·v")
    h = hessian(lib_fn(fn, mg), mg.tensor(x)).numpy()
    np.testing.assert_allclose(product.numpy(), h @ v, rtol=1e-10, atol=1e-10)


def test_functional_helpers_do_not_touch_the_callers_tensor():
    x = mg.tensor(np.array([0.5, -0.3]), requires_grad=True)
    hessian(lambda t: (t ** 4).sum(), x)
    hvp(lambda t: (t ** 4).sum(), x, mg.tensor(np.ones(2)))
    assert x.grad is None, "x.grad must stay None"


def test_mixed_second_partials_equal_torchs():
    """∂²f/∂w∂x through autograd.grad(create_graph=True) twice, for two inputs."""
    x0, w0 = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2))

    def second_partials(lib, grad):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        loss = ((x @ w).tanh() ** 2).sum() + (x * x).sum() * w.sum()
        gx, = grad(loss, x, create_graph=True)
        return grad((gx * lib.tensor(np.arange(12.0).reshape(4, 3))).sum(), [x, w])

    computed = second_partials(mg, mg.autograd.grad)
    expected = second_partials(torch, torch.autograd.grad)
    for name, c, e in zip(("x", "w"), computed, expected):
        assert_close(c, e, f"∂/∂{name} of a weighted ∂f/∂x")
