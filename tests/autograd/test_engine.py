"""The autograd engine behaves as PyTorch's: order, accumulation, broadcasting, graph
lifetime, higher derivatives, grad modes, leaf rules, in-place checks, anomaly mode, depth."""

import gc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function


def leaf(values):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def assert_grad(t, expected, what):
    assert t.grad is not None, f"{what}: expected a gradient {expected}, got None"
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-12, atol=1e-12,
                               err_msg=f"{what}: computed vs expected")


class Double(Function):
    """y = 2x, counting how often its backward runs."""

    backward_calls = 0

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        Double.backward_calls += 1
        return gy * 2


# -- order and accumulation ---------------------------------------------------------------

def test_a_tensor_used_many_times_gets_the_sum_of_all_its_gradients():
    x = leaf([1.0, 2.0, -3.0])
    y = (x * x * x + x * 3 + x).sum()  # dy/dx = 3x² + 4
    y.backward()
    assert_grad(x, 3 * x.data ** 2 + 4, "x used in five places")


def test_each_node_runs_its_backward_once_after_all_its_gradients_arrived():
    """A node reached along paths of different lengths must wait for all of them (reverse
    topological order), then run once with the summed gradient."""
    Double.backward_calls = 0
    x = leaf([1.0, 2.0])
    y = Double.apply(x)
    z = ((y * y).exp().log() + y * 3 + y).sum()  # dz/dy = 2y + 4, y = 2x
    z.backward()
    assert Double.backward_calls == 1, \
        f"Double.backward ran {Double.backward_calls} times, expected 1"
    assert_grad(x, 2 * (2 * 2 * x.data + 4), "x behind a shared node")


def test_gradients_accumulate_over_backward_calls_until_reset():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert_grad(x, 2 * x.data + 3, "two backward calls")
    x.grad = None
    (x * 3).sum().backward()
    assert_grad(x, [3.0, 3.0], "after x.grad = None")


def test_accumulating_into_a_leaf_never_changes_a_gradient_still_on_its_way():
    a0, c0 = np.array([0.3, -0.2, 0.5]), np.array([1.5, 2.0, -1.0])
    a, c = leaf(a0), mg.tensor(c0)
    h = a.exp()
    loss = (a * h).sum() + ((a + h) * c).sum()
    loss.backward()
    # d/da [a·eᵃ + (a + eᵃ)c] = eᵃ + a·eᵃ + c + c·eᵃ
    assert_grad(a, np.exp(a0) * (1 + a0 + c0) + c0, "a reaching the loss along four paths")


# -- broadcasting --------------------------------------------------------------------------

@pytest.mark.parametrize("shape_a, shape_b", [((3, 1), (4,)), ((2, 3, 4), (3, 1)),
                                              ((1, 1), (2, 3)), ((), (2, 3)), ((5,), (1,))])
def test_gradients_of_broadcast_inputs_have_the_inputs_shapes(shape_a, shape_b):
    a, b = leaf(np.ones(shape_a)), leaf(np.full(shape_b, 2.0))
    (a * b).sum().backward()
    out = np.broadcast_shapes(shape_a, shape_b)
    copies_a, copies_b = np.prod(out) / max(a.numel(), 1), np.prod(out) / max(b.numel(), 1)
    assert a.grad.shape == shape_a and b.grad.shape == shape_b, \
        f"inputs {shape_a}, {shape_b}: grads have shapes {a.grad.shape}, {b.grad.shape}"
    assert_grad(a, np.full(shape_a, 2.0 * copies_a), f"a of shape {shape_a} broadcast to {out}")
    assert_grad(b, np.full(shape_b, copies_b), f"b of shape {shape_b} broadcast to {out}")


def test_a_backward_returning_a_broadcast_gradient_is_summed_to_the_input_shape():
    class AddRow(Function):
        def forward(self, x, row):
            return x + row

        def backward(self, gy):
            return gy, gy  # the engine, not the op, undoes the broadcasting

    x, row = leaf(np.zeros((3, 2))), leaf([1.0, 2.0])
    AddRow.apply(x, row).sum().backward()
    assert_grad(row, [3.0, 3.0], "a (2,) row added to three rows")


# -- graph lifetime (retain_graph) ---------------------------------------------------------

def test_a_second_backward_through_a_freed_graph_raises_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(mg.GradError, match="second time.*retain_graph=True"):
        y.backward()


def test_with_retain_graph_a_second_backward_works_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_grad(x, 2 * 2 * x.data, "two backward passes through one graph")


def test_backward_frees_the_arrays_the_graph_saved():
    x = leaf(np.ones(1000))
    h = x.exp()  # saved by Exp (its output) and by Mul (its input)
    saved = weakref.ref(h.data)
    y = (h * h).sum()
    del h
    gc.collect()
    assert saved() is not None, "before backward the graph must hold the saved array"
    y.backward()
    gc.collect()
    assert saved() is None, "after backward without retain_graph the saved array is still alive"


def test_retain_graph_keeps_the_saved_arrays():
    x = leaf(np.ones(10))
    h = x.exp()
    saved = weakref.ref(h.data)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None, "retain_graph=True must keep the saved array"


def test_repeated_training_steps_leave_no_tensors_behind():
    w = leaf(np.ones((4, 3)))
    x = mg.tensor(np.ones((5, 4)))

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None

    def live_tensors():
        gc.collect()
        return sum(type(o) is mg.Tensor for o in gc.get_objects())

    step()
    before = live_tensors()
    for _ in range(20):
        step()
    assert live_tensors() <= before, f"live tensors grew from {before} to {live_tensors()}"


def test_backward_on_a_non_scalar_without_gradient_raises():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(mg.GradError, match=r"one-element.*\(2,\)"):
        y.backward()


def test_backward_with_a_gradient_computes_the_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(mg.tensor([1.0, 0.5, -1.0], dtype=mg.float64))
    assert_grad(x, [2.0, 2.0, -6.0], "vᵀJ of x² with v = (1, 0.5, -1)")


def test_backward_on_a_leaf_gives_it_gradient_one():
    x = leaf(3.0)
    x.backward()
    assert_grad(x, 1.0, "a scalar leaf")


# -- higher order --------------------------------------------------------------------------

def test_create_graph_makes_the_gradient_differentiable():
    x = leaf([1.5, -2.0])
    y = (x ** 3).sum()
    (g,) = mg.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad, "a create_graph gradient must require grad"
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.data ** 2)
    g.sum().backward()
    assert_grad(x, 6 * x.data, "d²(x³)/dx²")


def test_backward_with_create_graph_fills_differentiable_grads():
    x = leaf([0.5, 1.0])
    (x.sin() if hasattr(x, "sin") else x.tanh()).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad, "x.grad after backward(create_graph=True) must require grad"
    x.grad = None
    first.sum().backward()
    t = np.tanh(x.data)
    assert_grad(x, -2 * t * (1 - t * t), "d²tanh/dx²")


def test_third_derivative_through_nested_create_graph():
    x = leaf([0.3, 0.7])
    (g1,) = mg.autograd.grad(x.exp().sum() + (x ** 4).sum(), x, create_graph=True)
    (g2,) = mg.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = mg.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g3.numpy(), np.exp(x.data) + 24 * x.data, rtol=1e-12)


@pytest.mark.parametrize("name, second", [
    ("exp", np.exp), ("tanh", lambda v: -2 * np.tanh(v) / np.cosh(v) ** 2),
    ("sqrt", lambda v: -0.25 * v ** -1.5)])
def test_second_derivative_through_an_op_on_a_0d_tensor(name, second):
    """NumPy ufuncs return scalars for 0-d arrays; the saved output must still be the
    output tensor, or the second derivative is lost."""
    x = leaf(0.7)
    (g,) = mg.autograd.grad(getattr(x, name)(), x, create_graph=True)
    (h,) = mg.autograd.grad(g, x)
    np.testing.assert_allclose(h.item(), second(0.7), rtol=1e-12)


# -- autograd.grad ---------------------------------------------------------------------------

def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    gx, gw = mg.autograd.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(gx.numpy(), w.data)
    np.testing.assert_allclose(gw.numpy(), x.data)
    assert x.grad is None and w.grad is None, "autograd.grad must not accumulate into .grad"


def test_grad_of_several_outputs_with_grad_outputs_sums_the_products():
    x = leaf([1.0, 2.0])
    y1, y2 = x * 2, x * x
    (g,) = mg.autograd.grad([y1, y2], [x], grad_outputs=[mg.tensor(np.array([1.0, 1.0])),
                                                          mg.tensor(np.array([0.5, -1.0]))])
    np.testing.assert_allclose(g.numpy(), 2 + np.array([0.5, -1.0]) * 2 * x.data)


def test_grad_with_respect_to_an_unused_input_raises_unless_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    y = (x * 3).sum()
    with pytest.raises(mg.GradError, match="allow_unused=True"):
        mg.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = mg.autograd.grad(y, [x, unused], allow_unused=True)
    assert gu is None, f"unused input: expected None, got {gu}"
    np.testing.assert_allclose(gx.numpy(), [3.0])


def test_grad_with_respect_to_a_non_leaf_gives_the_gradient_at_that_node():
    x = leaf([1.0, 2.0])
    h = x * x
    y = (h * 3 + h.exp()).sum()
    (gh,) = mg.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 3 + np.exp(x.data ** 2), rtol=1e-12)


def test_grad_of_an_output_that_does_not_require_grad_raises():
    with pytest.raises(mg.GradError, match="does not require grad"):
        mg.autograd.grad(mg.tensor([1.0]).sum(), leaf([1.0]))


# -- grad modes ------------------------------------------------------------------------------

def test_no_grad_records_no_graph_and_restores_the_mode():
    x = leaf([1.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
    assert mg.is_grad_enabled(), "grad mode must be back on after the block"
    assert y.grad_fn is None and not y.requires_grad, "an op under no_grad must record nothing"


def test_enable_grad_inside_no_grad_records_again():
    x = leaf([1.0])
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_as_a_context_manager():
    x = leaf([1.0])
    with mg.set_grad_enabled(False):
        y = x * 2
    with mg.set_grad_enabled(True):
        z = x * 2
    assert not y.requires_grad and z.requires_grad


def test_grad_modes_work_as_decorators():
    @mg.no_grad()
    def off():
        return mg.is_grad_enabled()

    @mg.set_grad_enabled(False)
    def also_off():
        return mg.is_grad_enabled()

    @mg.enable_grad()
    def on():
        return mg.is_grad_enabled()

    assert off() is False and also_off() is False
    with mg.no_grad():
        assert on() is True
    assert mg.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), mg.no_grad():
        raise ZeroDivisionError
    assert mg.is_grad_enabled()


def test_a_recursive_function_decorated_with_no_grad_restores_grad_mode():
    @mg.no_grad()
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    depth(3)
    assert mg.is_grad_enabled(), "grad mode is still off after the decorated function returned"


def test_set_grad_enabled_called_as_a_function_switches_the_mode():
    mg.set_grad_enabled(False)
    assert not mg.is_grad_enabled() and not (leaf([1.0]) * 2).requires_grad
    mg.set_grad_enabled(True)
    assert mg.is_grad_enabled() and (leaf([1.0]) * 2).requires_grad


def test_no_grad_works_as_a_bare_decorator():
    @mg.no_grad
    def off():
        return mg.is_grad_enabled()

    assert off() is False


# -- retain_grad and leaf rules --------------------------------------------------------------

def test_leaves_are_user_made_tensors_and_op_results_are_not():
    x, c = leaf([1.0]), mg.tensor([1.0])
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn is not None
    assert (c * 2).is_leaf, "an op on tensors that need no grad gives a leaf"
    assert x.detach().is_leaf and not x.detach().requires_grad


def test_a_non_leaf_keeps_no_grad_unless_retain_grad():
    x = leaf([1.0, 2.0])
    y, z = x * 2, x * 3
    z.retain_grad()
    (y * z).sum().backward()
    assert y.grad is None, "a non-leaf's .grad must stay None without retain_grad()"
    np.testing.assert_allclose(z.grad.numpy(), y.data)


def test_a_retained_grad_accumulates_over_backward_calls_like_a_leafs():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * 2 * y.data)


def test_only_floating_point_tensors_can_require_grad():
    with pytest.raises(mg.DTypeError, match="int64"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError):
        mg.arange(3).requires_grad_()


def test_casting_to_an_integer_dtype_cuts_the_graph():
    y = leaf([1.5, 2.5]).long()
    assert y.dtype == np.int64 and not y.requires_grad


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    with pytest.raises(mg.GradError, match="detach"):
        (leaf([1.0]) * 2).requires_grad_(False)


def test_in_place_change_of_a_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    for change in (lambda: x.__iadd__(1), lambda: x.mul_(2), lambda: x.__setitem__(0, 5.0),
                   lambda: x.zero_()):
        with pytest.raises(mg.GradError, match="in-place.*leaf"):
            change()
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_in_place_change_of_a_leaf_under_no_grad_is_allowed():
    x = leaf([1.0, 2.0])
    with mg.no_grad():
        x -= 0.5
        x[0] = 3.0
    np.testing.assert_array_equal(x.data, [3.0, 1.5])
    assert x.requires_grad and x.is_leaf


# -- version counter -------------------------------------------------------------------------

def test_changing_a_saved_tensor_in_place_makes_backward_raise():
    x, a = leaf([1.0, 2.0]), mg.tensor([3.0, 4.0])
    y = (x * a).sum()
    a += 1
    with pytest.raises(mg.GradError, match="modified in place.*version 0.*now 1"):
        y.backward()


def test_changing_a_saved_tensor_through_a_view_makes_backward_raise():
    x, a = leaf([1.0, 2.0, 3.0]), mg.tensor([3.0, 4.0, 5.0])
    view = a[1:]
    y = (x * a).sum()
    view.mul_(2)
    with pytest.raises(mg.GradError, match="modified in place"):
        y.backward()


def test_changing_a_saved_output_in_place_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = x.exp()  # Exp saves its output
    with mg.no_grad():
        y += 1
    with pytest.raises(mg.GradError, match="exp.*modified in place"):
        y.sum().backward()


def test_changing_a_tensor_that_was_not_saved_is_harmless():
    x, a = leaf([1.0, 2.0]), mg.tensor([3.0, 4.0])
    y = (x + a).sum()  # Add saves nothing
    a += 1
    y.backward()
    assert_grad(x, [1.0, 1.0], "x + a after changing a")


def test_changing_a_reshaped_copy_leaves_the_original_valid():
    x, w = leaf(np.ones((2, 3))), mg.tensor(np.arange(6.0).reshape(2, 3))
    y = (x * w).sum()
    flat_copy = w.T.reshape(-1)  # w.T is not contiguous: NumPy copies
    assert not np.shares_memory(flat_copy.data, w.data)
    flat_copy += 1
    y.backward()
    assert_grad(x, w.data, "x * w after changing a copy of w")


# -- anomaly mode ----------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own note on the NaN
def test_detect_anomaly_names_the_op_whose_forward_made_nan():
    x = leaf([-1.0, 2.0])
    with mg.autograd.detect_anomaly(), pytest.raises(mg.AnomalyError, match="log.*forward"):
        x.log()
    assert isinstance(mg.AnomalyError("x"), mg.GradError)


def test_detect_anomaly_names_the_op_whose_backward_made_nan():
    class Broken(Function):
        def forward(self, x):
            return x.copy()

        def backward(self, gy):
            return gy * float("nan")

    with mg.autograd.detect_anomaly(), pytest.raises(mg.AnomalyError, match="broken.*backward"):
        Broken.apply(leaf([1.0])).sum().backward()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own note on the NaN
def test_detect_anomaly_catches_an_infinite_gradient_of_a_finite_forward():
    x = leaf([0.0, 1.0])
    with mg.autograd.detect_anomaly(), pytest.raises(mg.AnomalyError):
        x.sqrt().sum().backward()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own note on the NaN
def test_detect_anomaly_blames_sqrt_for_its_infinite_gradient_at_zero():
    x = leaf([0.0, 1.0])
    with mg.autograd.detect_anomaly(), pytest.raises(mg.AnomalyError, match="sqrt.*backward"):
        x.sqrt().sum().backward()


def test_without_anomaly_mode_nan_passes_silently():
    with np.errstate(invalid="ignore"):
        y = leaf([-1.0]).log()
    assert np.isnan(y.data).all()


# -- depth ---------------------------------------------------------------------------------

def test_a_chain_of_100000_ops_backpropagates_without_recursion_error():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert_grad(x, [1.0], "a chain of 100,000 multiplications by 1")


def test_a_deep_graph_can_be_dropped_without_backward():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 0.0
    del y  # freeing 100,000 nested nodes must not overflow the C stack
    gc.collect()


def test_leaves_that_receive_one_gradient_get_arrays_of_their_own():
    # a + b hands the same gradient to both leaves: scaling one in place must not scale the other
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.data *= 10
    assert_grad(b, [1.0, 1.0], "b after a.grad was scaled in place")


def test_linear_leaves_keep_their_fresh_gradients_and_accumulate_into_them():
    # Linear's backward makes new arrays, so its leaves keep them without a copy; a second
    # backward adds into them
    x, w, bias = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0], [5.0, 6.0]]), leaf([0.5, -0.5])
    for _ in range(2):
        mg.nn.functional.linear(x, w, bias).sum().backward()
    assert_grad(w, 2 * np.array([[1.0, 2.0], [1.0, 2.0]]), "w after two backwards")
    assert_grad(bias, [2.0, 2.0], "bias after two backwards")
    assert_grad(x, 2 * np.array([[8.0, 10.0]]), "x after two backwards")
