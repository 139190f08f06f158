"""RNN, LSTM, GRU and their cells equal PyTorch's (float64, 1e-8) in outputs, final states,
input and initial-state gradients and every parameter gradient, with PyTorch's state dict
loaded as is, over layers, directions, batch_first, biases and initial states, through both
the NumPy references and the compiled cell kernels. A layer's op equals a projection and one
step op per time step, both match finite differences and can be differentiated again, a
layer costs a fixed number of graph nodes, and bad input raises a clear error."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.kernels import elementwise
from minigrad.kernels import rnn as K
from minigrad.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from minigrad.ops.rnn import GRUStep, LSTMStep, RNNReLUStep, RNNTanhStep, recurrent_layer, unbind

torch = pytest.importorskip("torch")
from torch_compare import numpy_state  # noqa: E402

T, N, FEATURES, HIDDEN = 5, 3, 4, 6


@pytest.fixture(params=["numpy", "numba"])
def kernels(request, monkeypatch):
    """Run the test once on the NumPy references, once with the cells' backward kernels
    compiled."""
    monkeypatch.setattr(backend, "current", request.param)
    if request.param == "numba":
        for kernel in (K.lstm_cell_backward, K.gru_cell_backward, elementwise.tanh_backward,
                       elementwise.relu_backward):
            monkeypatch.setattr(kernel, "threshold", 0)
    return request.param


def _flat(out):
    """(output, h_n) or (output, (h_n, c_n)) or h or (h, c) as a flat list of tensors."""
    if not isinstance(out, (tuple, list)):
        return [out]
    return [t for part in out for t in _flat(part)]


def check_recurrent_like_torch(mg_module, torch_module, input_shape, state_shapes=(), seed=0):
    """Load torch's weights, run both on the same input and initial states, and compare the
    outputs, the gradients of input and states for random cotangents, and every parameter
    gradient."""
    torch_module.double()
    mg_module.double().load_state_dict(numpy_state(torch_module))
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in (input_shape, *state_shapes)]
    mg_in = [mg.tensor(a, requires_grad=True) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(module, inputs):
        if len(inputs) == 1:
            return module(inputs[0])
        states = inputs[1] if len(inputs) == 2 else tuple(inputs[1:])
        return module(inputs[0], states)

    mg_out, torch_out = _flat(call(mg_module, mg_in)), _flat(call(torch_module, torch_in))
    where = f"{mg_module!r} on input {input_shape}, states {state_shapes}"
    assert len(mg_out) == len(torch_out), \
        f"{where}: {len(mg_out)} outputs, expected {len(torch_out)}"
    cotangents = [rng.standard_normal(tuple(t.shape)) for t in torch_out]
    for k, (m, t) in enumerate(zip(mg_out, torch_out)):
        assert m.shape == tuple(t.shape), f"{where}: output {k} shape {m.shape}, expected {t.shape}"
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-8, atol=1e-8,
                                   err_msg=f"{where}: output {k}")
    torch.autograd.backward(torch_out, [torch.tensor(v) for v in cotangents])
    sum((m * mg.tensor(v)).sum() for m, v in zip(mg_out, cotangents)).backward()
    for k, (m, t) in enumerate(zip(mg_in, torch_in)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-8,
                                   err_msg=f"{where}: gradient of input {k}")
    for key, param in torch_module.named_parameters():
        np.testing.assert_allclose(getattr(mg_module, key).grad.numpy(), param.grad.numpy(),
                                   rtol=1e-8, atol=1e-8, err_msg=f"{where}: gradient of {key}")


LAYERS = {"RNN": (RNN, torch.nn.RNN), "LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}

OPTIONS = {
    "one layer": {},
    "two layers bidirectional": {"num_layers": 2, "bidirectional": True},
    "three layers batch_first": {"num_layers": 3, "batch_first": True},
    "bidirectional batch_first no bias": {"bidirectional": True, "batch_first": True,
                                          "bias": False},
}


def _shapes(options, with_state, lstm, batched=True):
    batch = (N,) if batched else ()
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    if not batched:
        input_shape = (T, FEATURES)
    else:
        input_shape = (N, T, FEATURES) if options.get("batch_first") else (T, N, FEATURES)
    states = [(layers, *batch, HIDDEN)] * (2 if lstm else 1) if with_state else []
    return input_shape, states


@pytest.mark.parametrize("with_state", [False, True], ids=["zero state", "given state"])
@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("layer", LAYERS.keys())
def test_recurrent_layer_equals_torch(layer, options, with_state, kernels):
    mg_cls, torch_cls = LAYERS[layer]
    input_shape, states = _shapes(options, with_state, layer == "LSTM")
    check_recurrent_like_torch(mg_cls(FEATURES, HIDDEN, **options),
                               torch_cls(FEATURES, HIDDEN, **options), input_shape, states)


@pytest.mark.parametrize("layer", LAYERS.keys())
def test_unbatched_sequence_equals_torch(layer):
    mg_cls, torch_cls = LAYERS[layer]
    options = {"num_layers": 2, "bidirectional": True}
    input_shape, states = _shapes(options, True, layer == "LSTM", batched=False)
    check_recurrent_like_torch(mg_cls(FEATURES, HIDDEN, **options),
                               torch_cls(FEATURES, HIDDEN, **options), input_shape, states)


def test_relu_rnn_equals_torch(kernels):
    check_recurrent_like_torch(RNN(FEATURES, HIDDEN, 2, nonlinearity="relu"),
                               torch.nn.RNN(FEATURES, HIDDEN, 2, nonlinearity="relu"),
                               (T, N, FEATURES), [(2, N, HIDDEN)])


def test_dropout_between_layers_matches_torch_when_it_drops_everything():
    """With p = 1 PyTorch's dropout zeroes the second layer's input, a deterministic case."""
    check_recurrent_like_torch(LSTM(FEATURES, HIDDEN, 2, dropout=1.0),
                               torch.nn.LSTM(FEATURES, HIDDEN, 2, dropout=1.0), (T, N, FEATURES))


def test_dropout_acts_in_training_only():
    mg.manual_seed(0)
    layer = GRU(FEATURES, HIDDEN, 2, dropout=0.5)
    x = mg.randn(T, N, FEATURES)
    train_a, train_b = layer(x)[0], layer(x)[0]
    layer.eval()
    eval_a, eval_b = layer(x)[0], layer(x)[0]
    assert not np.allclose(train_a.data, train_b.data), "two training passes drew the same masks"
    np.testing.assert_array_equal(eval_a.data, eval_b.data)


CELLS = {"RNNCell": (RNNCell, torch.nn.RNNCell), "LSTMCell": (LSTMCell, torch.nn.LSTMCell),
         "GRUCell": (GRUCell, torch.nn.GRUCell)}


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero state", "given state"])
@pytest.mark.parametrize("cell", CELLS.keys())
def test_cell_equals_torch(cell, with_state, batched, kernels):
    mg_cls, torch_cls = CELLS[cell]
    batch = (N,) if batched else ()
    states = [(*batch, HIDDEN)] * (2 if cell == "LSTMCell" else 1) if with_state else []
    check_recurrent_like_torch(mg_cls(FEATURES, HIDDEN), torch_cls(FEATURES, HIDDEN),
                               (*batch, FEATURES), states)


def test_cells_without_bias_and_relu_cell_equal_torch():
    check_recurrent_like_torch(LSTMCell(FEATURES, HIDDEN, bias=False),
                               torch.nn.LSTMCell(FEATURES, HIDDEN, bias=False), (N, FEATURES))
    check_recurrent_like_torch(RNNCell(FEATURES, HIDDEN, nonlinearity="relu"),
                               torch.nn.RNNCell(FEATURES, HIDDEN, nonlinearity="relu"),
                               (N, FEATURES), [(N, HIDDEN)])


@pytest.mark.parametrize("layer", LAYERS.keys())
def test_parameters_have_torch_names_shapes_and_init_bounds(layer):
    mg_cls, torch_cls = LAYERS[layer]
    mg.manual_seed(0)
    module = mg_cls(FEATURES, 32, num_layers=2, bidirectional=True)
    expected = {k: tuple(v.shape) for k, v in
                torch_cls(FEATURES, 32, num_layers=2, bidirectional=True).state_dict().items()}
    computed = {k: v.shape for k, v in module.state_dict().items()}
    assert list(computed) == list(expected) and computed == expected, \
        f"state dict {computed}, expected {expected}"
    bound = 1 / math.sqrt(32)
    values = np.concatenate([p.data.ravel() for p in module.parameters()])
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound, \
        f"std {values.std()}, expected that of U(±{bound}): {bound / math.sqrt(3)}"


def test_float32_layer_keeps_float32():
    output, (h, c) = LSTM(FEATURES, HIDDEN)(mg.randn(T, N, FEATURES))
    assert output.dtype == h.dtype == c.dtype == np.float32


# -- the ops underneath --------------------------------------------------------------------------

STEPS = [RNNTanhStep, RNNReLUStep, LSTMStep, GRUStep]


def _step_inputs(step, rng, with_bias=True, steps=None):
    hidden = 3
    rows = step.gates * hidden
    state_size = 2 * hidden if step is LSTMStep else hidden
    shape = (2, rows) if steps is None else (steps, 2, rows)
    tensors = [rng.standard_normal(shape), rng.standard_normal((2, state_size)),
               rng.standard_normal((rows, hidden))] + ([rng.standard_normal(rows)] if with_bias
                                                        else [])
    return [mg.tensor(a, requires_grad=True) for a in tensors]


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.__name__)
def test_step_gradients_match_finite_differences_to_second_order(step, with_bias, rng, kernels):
    inputs = _step_inputs(step, rng, with_bias)
    assert gradcheck(step.apply, inputs)
    assert gradgradcheck(step.apply, inputs)


def _layer_inputs(step, rng, with_bias=True, steps=4, features=2):
    """x (steps, 2, features), state, W_ih, W_hh (and b_ih, b_hh) of a layer of 3 units."""
    hidden = 3
    rows = step.gates * hidden
    state_size = 2 * hidden if step is LSTMStep else hidden
    shapes = [(steps, 2, features), (2, state_size), (rows, features), (rows, hidden)] + \
        ([(rows,), (rows,)] if with_bias else [])
    return [mg.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.__name__)
def test_layer_gradients_match_finite_differences_to_second_order(step, reverse, rng):
    inputs = _layer_inputs(step, rng)

    def f(*inputs):
        return recurrent_layer(step, *inputs, reverse=reverse)[0]

    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_unbind_passes_gradients_of_used_steps_and_zeros_for_the_rest(rng):
    x = mg.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x: mg.stack(unbind(x, 1)[::2], 1) * 2, (x,))
    assert gradgradcheck(lambda x: mg.stack(unbind(x, 1)[::2], 1) ** 2, (x,))
    steps = unbind(x, 0)
    (steps[1] * 3).sum().backward(retain_graph=True)
    (steps[1] * 3).sum().backward()  # a second backward through the same graph adds up
    expected = np.zeros((4, 3, 2))
    expected[1] = 6
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def _graph_size(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack.extend(i.grad_fn for i in fn.inputs)
    return len(seen)


@pytest.mark.parametrize("layer", LAYERS.keys())
def test_a_layer_is_a_fixed_number_of_graph_nodes_whatever_the_sequence_length(layer):
    """The time loop runs inside one op: a longer sequence adds no graph nodes."""
    module = LAYERS[layer][0](FEATURES, HIDDEN, bidirectional=True)
    sizes = [_graph_size(module(mg.randn(steps, N, FEATURES))[0]) for steps in (10, 20)]
    assert sizes[0] == sizes[1], f"graph sizes {sizes} for 10 and 20 steps"


def _step_by_step(step, x, state, weight_ih, weight_hh, bias_ih, bias_hh, time_dim, reverse):
    """The layer as a projection and one step op per time step: the specification of
    ``RecurrentLayer``."""
    inputs = unbind(mg.nn.functional.linear(x, weight_ih, bias_ih), time_dim)
    weights = (weight_hh,) if bias_hh is None else (weight_hh, bias_hh)
    states = [None] * len(inputs)
    for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
        state = states[t] = step.apply(inputs[t], state, *weights)
    return mg.stack(states, time_dim)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("time_dim, reverse, with_bias", [(0, False, True), (1, True, True),
                                                          (1, False, False)],
                         ids=["time-major", "batch_first reverse", "batch_first no bias"])
@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.__name__)
def test_layer_op_equals_one_step_op_per_time_step(step, time_dim, reverse, with_bias, dtype,
                                                   rng, kernels):
    """Same cells, same kernels: the states and gradients differ only by rounding (the order
    of the sums over time and batch), within a few dozen units of the last place."""
    inputs = _layer_inputs(step, rng, with_bias, steps=7)
    if time_dim == 1:
        inputs[0] = inputs[0].detach().permute(1, 0, 2).requires_grad_()
    computed, expected = [[mg.tensor(t.data.astype(dtype), requires_grad=True) for t in inputs]
                          for _ in range(2)]
    biases = computed[4:] if with_bias else [None, None]
    out = recurrent_layer(step, *computed[:4], *biases, time_dim, reverse)[0]
    out_steps = _step_by_step(step, *expected[:4], *(expected[4:] if with_bias else biases),
                              time_dim, reverse)
    eps = 64 * np.finfo(dtype).eps
    np.testing.assert_allclose(out.data, out_steps.data, rtol=eps, atol=eps,
                               err_msg=f"{step.__name__}: states")
    cotangent = mg.tensor(rng.standard_normal(out.shape).astype(dtype))
    (out * cotangent).sum().backward()
    (out_steps * cotangent).sum().backward()
    for k, (a, b) in enumerate(zip(computed, expected)):
        scale = np.abs(b.grad.data).max()
        np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=eps, atol=eps * scale,
                                   err_msg=f"{step.__name__}: gradient of input {k}")


def test_float32_lstm_equals_torch_forward_and_backward(rng):
    """The benchmark's layout (batch_first, float32) against PyTorch, to float32 accuracy."""
    torch_lstm = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True)
    lstm = LSTM(FEATURES, HIDDEN, batch_first=True)
    lstm.load_state_dict({k: v.astype(np.float32) for k, v in numpy_state(torch_lstm).items()})
    x = rng.standard_normal((N, 20, FEATURES)).astype(np.float32)
    torch_out = torch_lstm(torch.tensor(x))[0]
    out = lstm(mg.tensor(x))[0]
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    torch_out.sum().backward()
    out.sum().backward()
    for key, param in torch_lstm.named_parameters():
        np.testing.assert_allclose(getattr(lstm, key).grad.numpy(), param.grad.numpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=f"gradient of {key}")


# -- bad input ---------------------------------------------------------------------------------

def test_wrong_feature_size_names_both_sizes():
    with pytest.raises(mg.ShapeError, match=r"LSTM: input has 6 features, expected input_size=4 "
                                            r"\(input shape \(5, 3, 6\)\)"):
        LSTM(4, HIDDEN)(mg.randn(5, 3, 6))
    with pytest.raises(mg.ShapeError, match="GRUCell: input has 2 features, expected "
                                            "input_size=4"):
        GRUCell(4, HIDDEN)(mg.randn(3, 2))


def test_input_of_wrong_rank_is_refused():
    with pytest.raises(mg.ShapeError, match=r"GRU: expected a 2-D \(unbatched\) or 3-D input, "
                                            r"got shape \(5, 3, 2, 4\)"):
        GRU(4, HIDDEN)(mg.randn(5, 3, 2, 4))


def test_wrong_initial_state_shape_is_refused():
    with pytest.raises(mg.ShapeError, match=r"LSTM: expected c_0 of shape \(1, 3, 6\), got "
                                            r"\(2, 3, 6\)"):
        LSTM(4, HIDDEN)(mg.randn(5, 3, 4), (mg.zeros(1, 3, HIDDEN), mg.zeros(2, 3, HIDDEN)))
    with pytest.raises(mg.ShapeError, match=r"RNN: expected h_0 of shape \(2, 3, 6\)"):
        RNN(4, HIDDEN, bidirectional=True)(mg.randn(5, 3, 4), mg.zeros(1, 3, HIDDEN))
    with pytest.raises(mg.ShapeError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        LSTM(4, HIDDEN)(mg.randn(5, 3, 4), mg.zeros(1, 3, HIDDEN))


def test_bad_settings_are_refused():
    with pytest.raises(mg.RangeError, match="RNN: unknown nonlinearity 'sigmoid'"):
        RNN(4, HIDDEN, nonlinearity="sigmoid")
    with pytest.raises(mg.RangeError, match="LSTM: dropout should be a number in range"):
        LSTM(4, HIDDEN, dropout=1.5)
