"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` and their one-step cells, as PyTorch has them.

Parameters of layer k (``_reverse`` for the backward direction of a bidirectional layer):
``weight_ih_l{k}`` (G·H, input), ``weight_hh_l{k}`` (G·H, H), ``bias_ih_l{k}``,
``bias_hh_l{k}`` (G·H,), with G gate blocks stacked in PyTorch's order: RNN 1, LSTM 4
(i, f, g, o), GRU 3 (r, z, n). All start as U(-1/√H, 1/√H). So a PyTorch state dict loads
as is and gives the same numbers.

A layer direction is one op (``minigrad.ops.rnn``): it projects the whole sequence at once
(x_gates = x W_ihᵀ + b_ih, one matrix product), then runs its time loop, forward and backward;
its output feeds the next layer, after dropout in training. The maths of each cell is in
``minigrad.kernels.rnn``; the cells below run one step op.
"""

import math

import numpy as np

from minigrad import amp, creation
from minigrad.errors import RangeError, ShapeError
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.ops.linear import check_input_dtype
from minigrad.ops.rnn import (
    GRUStep,
    LSTMStep,
    RNNReLUStep,
    RNNTanhStep,
    recurrent_layer,
)
from minigrad.ops.shape import cat, stack
from minigrad.tensor import Tensor

NONLINEARITIES = {"tanh": RNNTanhStep, "relu": RNNReLUStep}


def _nonlinearity_step(nonlinearity, name):
    if nonlinearity not in NONLINEARITIES:
        raise RangeError(f"{name}: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or "
                         "'relu'")
    return NONLINEARITIES[nonlinearity]


def _reset_uniform(module):
    bound = 1 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _check_features(input, expected, name):
    if input.shape[-1] != expected:
        raise ShapeError(f"{name}: input has {input.shape[-1]} features, expected "
                         f"input_size={expected} (input shape {input.shape})")


class RNNBase(Module):
    """The multi-layer, optionally bidirectional, loop shared by RNN, LSTM and GRU."""

    step = None  # the RecurrentStep op of one time step

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise RangeError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout}")
        if hidden_size <= 0 or num_layers <= 0:
            raise RangeError(f"{name}: hidden_size and num_layers must be positive, got "
                             f"hidden_size={hidden_size}, num_layers={num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        dtype = dtype or np.float32
        gate_rows = self.step.gates * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                shapes = {"weight_ih": (gate_rows, layer_input), "weight_hh": (gate_rows,
                                                                               hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_rows,), bias_hh=(gate_rows,))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, Parameter(creation.empty(*shape, dtype=dtype)))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer):
        return [f"_l{layer}", f"_l{layer}_reverse"][:self.num_directions]

    def reset_parameters(self) -> None:
        _reset_uniform(self)

    def _weights(self, suffix):
        weights = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        biases = (getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)) \
            if self.bias else (None, None)
        return weights + biases

    def forward(self, input: Tensor, hx=None):
        """input (T, N, input_size), or (N, T, input_size) with ``batch_first``, or
        (T, input_size) unbatched → (output (…, D·H), final state(s) (num_layers·D, N, H))."""
        name = type(self).__name__
        if input.ndim not in (2, 3):
            raise ShapeError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape "
                             f"{input.shape}")
        _check_features(input, self.input_size, name)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        time_dim = 1 if self.batch_first else 0
        states = self._initial_states(hx, input.shape[1 - time_dim], input.dtype, batched)
        finals = []
        layer_input = input
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                weight_ih, weight_hh, bias_ih, bias_hh = self._weights(suffix)
                # inside autocast the input projection computes in float16, as a Linear would
                x, weight_ih, bias_ih = amp.autocast_inputs(layer_input, weight_ih, bias_ih)
                check_input_dtype(x, weight_ih, name)
                every, last = recurrent_layer(self.step, x, states[len(finals)], weight_ih,
                                              weight_hh, bias_ih, bias_hh, time_dim,
                                              reverse=direction == 1)
                outputs.append(self._hidden(every))
                finals.append(last)
            layer_input = outputs[0] if len(outputs) == 1 else cat(outputs, -1)
        output, final = layer_input, self._final_state(finals)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            final = self._map_state(final, lambda t: t.squeeze(1))
        return output, final

    # -- the state: h for RNN and GRU; LSTM overrides these for (h, c) ---------------------------

    def _hidden(self, state):
        """The hidden-state part of a state tensor (the whole of it here)."""
        return state

    def _final_state(self, finals):
        return stack(finals, 0)

    def _map_state(self, state, fn):
        return fn(state)

    def _initial_states(self, hx, batch, dtype, batched):
        """One (N, state size) tensor per layer and direction."""
        count = self.num_layers * self.num_directions
        if hx is None:
            zeros = Tensor._make(np.zeros((batch, self.hidden_size), dtype=dtype))
            return [zeros] * count
        hx = self._check_state(hx, "h_0", batch, batched)
        return [hx[k] for k in range(count)]

    def _check_state(self, hx, label, batch, batched):
        shape = (self.num_layers * self.num_directions,) + ((batch,) if batched else ()) + (
            self.hidden_size,)
        if tuple(hx.shape) != shape:
            raise ShapeError(f"{type(self).__name__}: expected {label} of shape {shape}, got "
                             f"{tuple(hx.shape)}")
        return hx if batched else hx.unsqueeze(1)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for key, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                             ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, key) != default:
                text += f", {key}={getattr(self, key)}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        self.step = _nonlinearity_step(nonlinearity, "RNN")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity=relu"


class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o):

        i, f, o = σ(W_i· x + b_i· + W_h· h + b_h·),   g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c_t = f·c_{t-1} + i·g,   h_t = o·tanh(c_t)

    forward(input, (h_0, c_0)) → (output, (h_n, c_n)).
    """

    step = LSTMStep

    def _hidden(self, state):
        return state[..., :self.hidden_size]

    def _final_state(self, finals):
        hidden = self.hidden_size
        return (stack([s[:, :hidden] for s in finals], 0),
                stack([s[:, hidden:] for s in finals], 0))

    def _map_state(self, state, fn):
        return tuple(fn(t) for t in state)

    def _initial_states(self, hx, batch, dtype, batched):
        if hx is None:
            zeros = Tensor._make(np.zeros((batch, 2 * self.hidden_size), dtype=dtype))
            return [zeros] * (self.num_layers * self.num_directions)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ShapeError("LSTM: hx must be a tuple (h_0, c_0)")
        h0 = self._check_state(hx[0], "h_0", batch, batched)
        c0 = self._check_state(hx[1], "c_0", batch, batched)
        return [cat([h0[k], c0[k]], 1) for k in range(h0.shape[0])]


class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n):

        r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),   h_t = (1 - z)·n + z·h_{t-1}
    """

    step = GRUStep


# -- cells: one time step, no loop -----------------------------------------------------------------

class RNNCellBase(Module):
    step = None

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = dtype or np.float32
        rows = self.step.gates * hidden_size
        self.weight_ih = Parameter(creation.empty(rows, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(rows, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self)

    def _step(self, input, state):
        """The new state from input (N, input_size) and state (N, state size)."""
        x_gates = F.linear(input, self.weight_ih, self.bias_ih)
        weights = (self.weight_hh,) if self.bias_hh is None else (self.weight_hh, self.bias_hh)
        return self.step.apply(x_gates, state, *weights)

    def _batched(self, input):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ShapeError(f"{name}: expected a 1-D (unbatched) or 2-D input, got shape "
                             f"{input.shape}")
        _check_features(input, self.input_size, name)
        return (input, True) if input.ndim == 2 else (input.unsqueeze(0), False)

    def _state(self, hx, batch, dtype, batched, label="hx"):
        if hx is None:
            return Tensor._make(np.zeros((batch, self.hidden_size), dtype=dtype))
        shape = ((batch,) if batched else ()) + (self.hidden_size,)
        if tuple(hx.shape) != shape:
            raise ShapeError(f"{type(self).__name__}: expected {label} of shape {shape}, got "
                             f"{tuple(hx.shape)}")
        return hx if batched else hx.unsqueeze(0)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, batched = self._batched(input)
        h = self._step(input, self._state(hx, input.shape[0], input.dtype, batched))
        return h if batched else h.squeeze(0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype=None):
        self.step = _nonlinearity_step(nonlinearity, "RNNCell")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, dtype)


class LSTMCell(RNNCellBase):
    """One LSTM step: forward(input, (h, c)) → (h', c'); the formulas are LSTM's."""

    step = LSTMStep

    def forward(self, input: Tensor, hx=None):
        input, batched = self._batched(input)
        batch, dtype = input.shape[0], input.dtype
        if hx is None:
            hx = (None, None)
        h, c = (self._state(t, batch, dtype, batched, label) for t, label in zip(hx, ("h", "c")))
        state = self._step(input, cat([h, c], 1))
        h_new, c_new = state[:, :self.hidden_size], state[:, self.hidden_size:]
        return (h_new, c_new) if batched else (h_new.squeeze(0), c_new.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: forward(input, h) → h'; the formulas are GRU's."""

    step = GRUStep
