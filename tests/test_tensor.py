"""Tensor basics: creation and its dtype rules, factories, repr, conversions, in-place ops,
comparisons, and the one random generator."""

import json

import numpy as np
import pytest

import minigrad as mg

# -- creation and dtypes -----------------------------------------------------------------------

@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([1, 2.5], np.float32),
    ([[1.0], [2.0]], np.float32),
    (3, np.int64), ([1, 2], np.int64), (True, np.bool_), ([True, False], np.bool_),
    (np.ones(2, np.float64), np.float64), (np.ones(2, np.float16), np.float16),
    (np.ones(2, np.int32), np.int32), (np.float64(1.0), np.float64), (np.arange(3), np.int64),
])
def test_tensor_follows_torchs_dtype_rules(data, dtype):
    """Python floats become float32 and ints int64; a NumPy array or scalar keeps its dtype."""
    t = mg.tensor(data)
    assert t.dtype == dtype, f"tensor({data!r}): expected dtype {np.dtype(dtype)}, got {t.dtype}"


def test_tensor_with_an_explicit_dtype_converts():
    assert mg.tensor([1, 2], dtype=mg.float64).dtype == np.float64
    assert mg.tensor(np.ones(2), dtype=mg.float32).dtype == np.float32
    assert mg.Tensor([1.0], dtype=mg.float16).dtype == np.float16


def test_tensor_copies_its_data_and_from_numpy_shares_it():
    array = np.zeros(3)
    copied, shared = mg.tensor(array), mg.from_numpy(array)
    array[0] = 7.0
    assert copied.data[0] == 0.0, "mg.tensor must copy the array"
    assert shared.data[0] == 7.0, "mg.from_numpy must share the array's memory"
    source = mg.tensor([1.0, 2.0])
    again = mg.tensor(source)
    source.data[0] = 9.0
    assert again.data[0] == 1.0, "mg.tensor(tensor) must copy"


def test_dtype_names_are_numpy_dtypes():
    assert (mg.float16, mg.float32, mg.float64) == (np.float16, np.float32, np.float64)
    assert mg.int64 is np.int64
    assert mg.bool_ is np.bool_


@pytest.mark.parametrize("make, shape, dtype", [
    (lambda: mg.zeros(2, 3), (2, 3), np.float32),
    (lambda: mg.zeros((2, 3)), (2, 3), np.float32),
    (lambda: mg.ones(4, dtype=mg.float64), (4,), np.float64),
    (lambda: mg.empty(2, 2), (2, 2), np.float32),
    (lambda: mg.full((2, 2), 1.5), (2, 2), np.float32),
    (lambda: mg.full((2,), 7), (2,), np.int64),
    (lambda: mg.zeros_like(mg.ones(2, 3, dtype=mg.float64)), (2, 3), np.float64),
    (lambda: mg.ones_like(mg.tensor([1, 2])), (2,), np.int64),
    (lambda: mg.full_like(mg.ones(3), 2.0), (3,), np.float32),
    (lambda: mg.eye(3), (3, 3), np.float32),
    (lambda: mg.eye(2, 4), (2, 4), np.float32),
    (lambda: mg.arange(5), (5,), np.int64),
    (lambda: mg.arange(1, 7, 2), (3,), np.int64),
    (lambda: mg.arange(0.0, 1.0, 0.25), (4,), np.float32),
    (lambda: mg.linspace(0, 1, 5), (5,), np.float32),
    (lambda: mg.rand(2, 3), (2, 3), np.float32),
    (lambda: mg.randn(4, dtype=mg.float64), (4,), np.float64),
    (lambda: mg.randint(0, 10, (3, 2)), (3, 2), np.int64),
    (lambda: mg.randperm(5), (5,), np.int64),
])
def test_factories_give_torchs_shapes_and_default_dtypes(make, shape, dtype):
    t = make()
    assert t.shape == shape and t.dtype == dtype, \
        f"expected shape {shape} dtype {np.dtype(dtype)}, got {t.shape} {t.dtype}"


def test_factory_values():
    np.testing.assert_array_equal(mg.full((2,), 1.5).numpy(), [1.5, 1.5])
    np.testing.assert_array_equal(mg.eye(2).numpy(), [[1, 0], [0, 1]])
    np.testing.assert_array_equal(mg.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(mg.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    r = mg.randint(3, 6, (1000,)).numpy()
    assert r.min() == 3 and r.max() == 5, f"randint(3, 6) drew values in [{r.min()}, {r.max()}]"
    u = mg.rand(1000).numpy()
    assert 0 <= u.min() and u.max() < 1
    assert sorted(mg.randperm(6).tolist()) == list(range(6))


def test_factories_can_make_leaves_that_require_grad():
    for t in (mg.zeros(2, requires_grad=True), mg.randn(2, requires_grad=True),
              mg.tensor([1.0], requires_grad=True), mg.full((1,), 2.0, requires_grad=True)):
        assert t.requires_grad and t.is_leaf


# -- inspection and conversion -----------------------------------------------------------------

def test_shape_and_size_queries():
    t = mg.zeros(2, 3, 4)
    assert (t.shape, t.ndim, t.dim(), t.numel(), len(t)) == ((2, 3, 4), 3, 3, 24, 2)
    assert t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.T.shape == (4, 3, 2) and t.mT.shape == (2, 4, 3)
    assert [row.shape for row in t] == [(3, 4), (3, 4)]


def test_item_tolist_and_numpy():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert mg.tensor([2.5]).item() == 2.5 and isinstance(mg.tensor(3).item(), int)
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert t.numpy() is t.data, "numpy() returns the array itself (shared memory)"
    assert float(mg.tensor(1.5)) == 1.5 and int(mg.tensor(4)) == 4
    assert bool(mg.tensor(True)) and not bool(mg.tensor(0.0))
    assert [10, 20, 30][mg.tensor(1)] == 20, "an integer tensor works as a Python index"
    np.testing.assert_array_equal(np.asarray(t), t.data)


def test_detach_shares_memory_and_clone_copies():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d, c = x.detach(), x.clone()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.data, x.data)
    assert c.requires_grad and not c.is_leaf and not np.shares_memory(c.data, x.data)


@pytest.mark.parametrize("convert, dtype", [
    (lambda t: t.float(), np.float32), (lambda t: t.double(), np.float64),
    (lambda t: t.half(), np.float16), (lambda t: t.to(mg.float64), np.float64),
    (lambda t: t.long(), np.int64)])
def test_dtype_conversions(convert, dtype):
    assert convert(mg.tensor([1.0, 2.0])).dtype == dtype


def test_the_gradient_of_a_cast_comes_back_in_the_source_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == np.float32, f"expected a float32 gradient, got {x.grad.dtype}"
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("t, text", [
    (mg.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (mg.tensor([1, 2]), "tensor([1, 2])"),
    (mg.tensor([True]), "tensor([ True])"),
    (mg.tensor(np.array([1.5])), "tensor([1.5], dtype=float64)"),
    (mg.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
    (mg.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
])
def test_repr_looks_like_torchs(t, text):
    assert repr(t) == text, f"expected {text!r}, got {repr(t)!r}"


def test_repr_of_an_op_result_names_its_grad_fn():
    y = mg.tensor([1.0], requires_grad=True) * 2
    assert "grad_fn=<MulBackward" in repr(y), repr(y)


# -- arithmetic dtypes --------------------------------------------------------------------------

@pytest.mark.parametrize("compute, dtype", [
    (lambda: mg.ones(2) * 2.5, np.float32),
    (lambda: mg.ones(2) + 1, np.float32),
    (lambda: mg.ones(2, dtype=mg.float64) * 2.5, np.float64),
    (lambda: mg.ones(2) + mg.ones(2, dtype=mg.float64), np.float64),
    (lambda: mg.tensor([1, 2]) + 1, np.int64),
    (lambda: mg.tensor([1, 2]) * mg.tensor([3, 4]), np.int64),
    (lambda: 2.5 * mg.ones(2, dtype=mg.float16), np.float16),
])
def test_python_scalars_do_not_change_the_tensors_dtype(compute, dtype):
    assert compute().dtype == dtype


@pytest.mark.parametrize("compute", [lambda: mg.tensor([1, 2]) * 2.5,
                                     lambda: mg.tensor([1, 2]) / 2,
                                     lambda: mg.tensor([1, 2]) / mg.tensor([2, 2])],
                         ids=["int times float", "int over int", "int tensor over int tensor"])
def test_integer_tensors_promote_to_float32_like_torch(compute):
    assert compute().dtype == np.float32


# -- in place ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, operator", [
    (lambda a, b: a.add(b), lambda a, b: a + b),
    (lambda a, b: a.add(b, alpha=-2.5), lambda a, b: a - 2.5 * b),
    (lambda a, b: a.sub(b), lambda a, b: a - b),
    (lambda a, b: a.sub(b, alpha=3), lambda a, b: a - 3 * b),
    (lambda a, b: a.mul(b), lambda a, b: a * b),
    (lambda a, b: a.div(b), lambda a, b: a / b),
    (lambda a, b: a.neg(), lambda a, b: -a),
    (lambda a, b: a.square(), lambda a, b: a * a),
    (lambda a, b: a.mul(2), lambda a, b: a * 2),
    (lambda a, b: a.add(1.5, alpha=2), lambda a, b: a + 3.0),
], ids=["add", "add alpha", "sub", "sub alpha", "mul", "div", "neg", "square", "mul scalar",
        "add scalar alpha"])
def test_operator_methods_equal_the_operators_with_their_gradients(method, operator):
    """``x.add(y, alpha=a)``, ``x.mul(y)``, ... as PyTorch names them: values and gradients of
    the operator they stand for."""
    results = []
    for compute in (method, operator):
        a = mg.tensor([[1.0, -2.0, 3.0]], dtype=mg.float64, requires_grad=True)
        b = mg.tensor([[0.5], [4.0]], dtype=mg.float64, requires_grad=True)
        out = compute(a, b)
        (out * mg.tensor([[1.0, 2.0, 3.0]], dtype=mg.float64)).sum().backward()
        results.append((out.detach().numpy(), a.grad.numpy(),
                        None if b.grad is None else b.grad.numpy()))
    (value, grad_a, grad_b), (expected, want_a, want_b) = results
    np.testing.assert_allclose(value, expected, rtol=1e-15)
    np.testing.assert_allclose(grad_a, want_a, rtol=1e-15)
    assert (grad_b is None) == (want_b is None)
    if grad_b is not None:
        np.testing.assert_allclose(grad_b, want_b, rtol=1e-15)


def test_in_place_operators_change_the_tensor_itself():
    t = mg.tensor([1.0, 2.0])
    same = t
    t += 1
    t -= mg.tensor([0.5, 0.5])
    t *= 2
    t /= 4
    assert t is same
    np.testing.assert_allclose(t.numpy(), [0.75, 1.25])


def test_in_place_methods_return_the_tensor_and_bump_its_version():
    t = mg.tensor([1.0, -2.0, 3.0])
    version = t._version[0]
    assert t.add_(1, alpha=2) is t and t.mul_(2) is t and t.clamp_(0, 9) is t
    np.testing.assert_allclose(t.numpy(), [6.0, 0.0, 9.0])
    t.sub_(mg.tensor([1.0, 0.0, 0.0])).div_(2)
    np.testing.assert_allclose(t.numpy(), [2.5, 0.0, 4.5])
    t.copy_(mg.tensor([7.0, 8.0, 9.0]))
    np.testing.assert_allclose(t.numpy(), [7.0, 8.0, 9.0])
    t.fill_(3.0)
    np.testing.assert_allclose(t.numpy(), [3.0, 3.0, 3.0])
    t.zero_()
    np.testing.assert_allclose(t.numpy(), [0.0, 0.0, 0.0])
    t[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0]
    assert t._version[0] == version + 9, "each in-place change must bump the version"


def test_a_view_sees_in_place_changes_of_its_base():
    base = mg.tensor([1.0, 2.0, 3.0, 4.0])
    view = base[1:3]
    base += 10
    np.testing.assert_allclose(view.numpy(), [12.0, 13.0])
    assert view._version is base._version, "a view shares its base's version counter"


# -- comparisons -----------------------------------------------------------------------------

def test_comparisons_give_boolean_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x > 1.5, x >= 2, x < x.detach(), x <= 2, x == 2, x != 2):
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])
    mask = (x > 1.5) & ~(x == 3) | (x < 1.5)
    np.testing.assert_array_equal(mask.numpy(), [True, True, False])


# -- randomness --------------------------------------------------------------------------------

def draw_everything():
    return np.concatenate([mg.rand(3).numpy(), mg.randn(3).numpy(),
                           mg.randint(0, 100, (3,)).numpy(), mg.randperm(5).numpy()])


def test_manual_seed_makes_every_random_draw_repeat():
    mg.manual_seed(123)
    first = draw_everything()
    mg.manual_seed(123)
    again = draw_everything()
    np.testing.assert_array_equal(first, again)
    mg.manual_seed(124)
    assert not np.array_equal(draw_everything(), first), "another seed must give other numbers"


def test_rng_state_round_trips_and_is_json_serializable():
    mg.manual_seed(7)
    mg.randn(5)
    state = mg.get_rng_state()
    json.dumps(state)
    expected = draw_everything()
    mg.randn(100)
    mg.set_rng_state(state)
    np.testing.assert_array_equal(draw_everything(), expected)


def test_the_generator_is_not_numpys_global_one():
    mg.manual_seed(0)
    np.random.seed(0)
    before = mg.get_rng_state()
    np.random.rand(10)
    assert mg.get_rng_state() == before, "drawing from np.random changed minigrad's generator"
