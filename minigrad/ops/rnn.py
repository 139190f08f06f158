"""Recurrent steps: one time step of an RNN, LSTM or GRU layer as one op.

A layer first projects the whole input sequence at once (one matrix product), then walks
through time; each step is one ``RecurrentStep`` op on the state s (h for RNN and GRU, the
pair [h, c] side by side for LSTM, so that one tensor carries the whole state):

    x_gates_t = W_ih x_t + b_ih                     (for every t, before the loop)
    h_gates   = W_hh h_{t-1} + b_hh                 (inside the step)
    s_t       = cell(x_gates_t, h_gates, s_{t-1})   (pointwise, kernels/rnn.py)

Backward through a step: the kernel gives ∂L/∂x_gates and ∂L/∂h_gates, then
∂L/∂h_{t-1} = ∂L/∂h_gates · W_hh (+ any direct path), ∂L/∂W_hh = ∂L/∂h_gatesᵀ · h_{t-1},
∂L/∂b_hh = Σ_batch ∂L/∂h_gates. Under ``create_graph`` the pointwise part is written in
Tensor ops instead, so the step can be differentiated again.

``unbind`` splits the projected sequence into its time steps so that backpropagation through
time stays linear in the sequence length (see its docstring).
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.kernels import elementwise as E
from minigrad.kernels import rnn as K
from minigrad.ops.shape import cat, stack
from minigrad.tensor import Tensor

# -- splitting a sequence into steps -----------------------------------------------------------

class _Unbind(Function):
    """token = Unbind(x): the hub of ``unbind``. Each step x[t] is a ``_Step`` op on the
    token; the steps hand their gradients to this node, which returns them stacked."""

    def forward(self, x, dim):
        self.dim, self.shape = dim, x.shape
        self.step_grads = [None] * x.shape[dim]
        return np.zeros((), dtype=x.dtype)

    def backward(self, g_token):
        zero = None
        parts = []
        for g in self.step_grads:
            if g is None:
                if zero is None:
                    zero = Tensor._make(np.zeros(self.shape[:self.dim] + self.shape[self.dim + 1:],
                                                 dtype=g_token.dtype))
                g = zero
            parts.append(g)
        self.step_grads = [None] * len(self.step_grads)  # ready for another backward
        return stack(parts, self.dim)


class _Step(Function):
    """x_t = the t-th slice of the hub's input;  backward: leave ∂L/∂x_t with the hub."""

    def forward(self, token, source, dim, t, hub):
        self.t, self.hub = t, hub
        return source[(slice(None),) * dim + (t,)]

    def backward(self, gy):
        grads = self.hub.step_grads
        grads[self.t] = gy if grads[self.t] is None else grads[self.t] + gy
        return Tensor._make(np.zeros((), dtype=gy.dtype))


def unbind(x: Tensor, dim: int = 0) -> list:
    """The slices of ``x`` along ``dim`` (as ``torch.unbind``).

    Why not ``[x[t] for t in ...]``: the backward of each x[t] writes its gradient into a
    zero tensor of x's full shape, and the T of them are then added up: O(T²) work for a
    sequence of length T. Here the slices leave their gradients with one hub node, which
    stacks them once: O(T).
    """
    if not (grad_mode._state["enabled"] and x.requires_grad):
        return [Tensor._make(a) for a in np.moveaxis(x.data, dim, 0)]
    token = _Unbind.apply(x, dim=dim)
    return [_Step.apply(token, source=x.data, dim=dim, t=t, hub=token.grad_fn)
            for t in range(x.shape[dim])]


# -- one step ------------------------------------------------------------------------------------

class RecurrentStep(Function):
    """s' = cell(x_gates, h·W_hhᵀ + b_hh, s), with h = s[:, :hidden].

    A subclass gives the pointwise maths three times: ``cell`` (forward, on arrays),
    ``cell_backward`` (a fused kernel) and ``cell_backward_ops`` (the same formulas in Tensor
    ops, for ``create_graph``). Both backwards return (∂L/∂x_gates, ∂L/∂h_gates, ∂L/∂h along
    paths that skip h_gates or None, ∂L/∂c or None).
    """

    gates = 1  # gate blocks of ``hidden`` columns in x_gates

    def forward(self, x_gates, state, weight_hh, bias_hh=None):
        self.hidden = weight_hh.shape[1]
        h_gates = state[:, :self.hidden] @ weight_hh.T
        if bias_hh is not None:
            h_gates += bias_hh
        new_state, self.cache = self.cell(x_gates, h_gates, state)
        self.save_for_backward(x_gates, state, weight_hh, *(() if bias_hh is None else (bias_hh,)))
        return new_state

    def backward(self, g_state):
        x_gates, state, weight_hh, *bias = self.saved_tensors
        if grad_mode._state["enabled"]:  # create_graph: Tensor ops all the way
            h_gates = state[:, :self.hidden] @ weight_hh.mT
            if bias:
                h_gates = h_gates + bias[0]
            grads = self.cell_backward_ops(g_state, x_gates, h_gates, state)
            return self._through_h_gates(grads, state, weight_hh, bias, cat)
        grads = self.cell_backward(g_state.data, state.data, *self.cache)
        bias = [b.data for b in bias]
        return tuple(None if g is None else Tensor._make(g) for g in
                     self._through_h_gates(grads, state.data, weight_hh.data, bias,
                                           np.concatenate))

    def _through_h_gates(self, grads, state, weight_hh, bias, concatenate):
        """The gradients of the step's inputs, given the cell's, through h_gates = h·W_hhᵀ + b_hh.
        The same lines serve Tensors (``create_graph``) and arrays (the fast path)."""
        d_x_gates, d_h_gates, d_h_direct, d_c = grads
        d_h = d_h_gates @ weight_hh
        if d_h_direct is not None:
            d_h = d_h + d_h_direct
        d_state = d_h if d_c is None else concatenate([d_h, d_c], 1)
        d_weight = d_h_gates.mT @ state[:, :self.hidden] if self.needs_input_grad[2] else None
        d_bias = (d_h_gates.sum(0),) if bias else ()
        return (d_x_gates, d_state, d_weight) + d_bias

    def release(self):
        super().release()
        self.cache = None

    def cell(self, x_gates, h_gates, state):
        raise NotImplementedError

    def cell_backward(self, g_state, state, *cache):
        raise NotImplementedError

    def cell_backward_ops(self, g_state, x_gates, h_gates, state):
        raise NotImplementedError


class RNNTanhStep(RecurrentStep):
    """h' = tanh(x_gates + h_gates);  ∂L/∂pre = ∂L/∂h' · (1 - h'²)."""

    def cell(self, x_gates, h_gates, state):
        h_new = np.tanh(x_gates + h_gates)
        return h_new, (h_new,)

    def cell_backward(self, g, state, h_new):
        d = E.tanh_backward(h_new, g)
        return d, d, None, None

    def cell_backward_ops(self, g, x_gates, h_gates, state):
        h_new = (x_gates + h_gates).tanh()
        d = g * (1 - h_new * h_new)
        return d, d, None, None


class RNNReLUStep(RecurrentStep):
    """h' = relu(x_gates + h_gates);  ∂L/∂pre = ∂L/∂h' where h' > 0, else 0."""

    def cell(self, x_gates, h_gates, state):
        h_new = np.maximum(x_gates + h_gates, 0)
        return h_new, (h_new,)

    def cell_backward(self, g, state, h_new):
        d = E.relu_backward(h_new, g)
        return d, d, None, None

    def cell_backward_ops(self, g, x_gates, h_gates, state):
        d = g * ((x_gates + h_gates).data > 0)
        return d, d, None, None


class LSTMStep(RecurrentStep):
    """[h', c'] from [h, c]; gates (i, f, g, o): c' = f·c + i·g, h' = o·tanh(c')."""

    gates = 4

    def cell(self, x_gates, h_gates, state):
        new_state, act, tanh_c = K.lstm_cell_forward(x_gates, h_gates, state)
        return new_state, (act, tanh_c)

    def cell_backward(self, g, state, act, tanh_c):
        d_gates, d_c = K.lstm_cell_backward(np.ascontiguousarray(g), act,
                                            np.ascontiguousarray(state), tanh_c)
        return d_gates, d_gates, None, d_c

    def cell_backward_ops(self, g, x_gates, h_gates, state):
        hidden = self.hidden
        i, f, gg, o = (x_gates + h_gates).chunk(4, 1)
        i, f, gg, o = i.sigmoid(), f.sigmoid(), gg.tanh(), o.sigmoid()
        c = state[:, hidden:]
        tanh_c = (f * c + i * gg).tanh()
        g_h, g_c = g[:, :hidden], g[:, hidden:]
        d_c = g_c + g_h * o * (1 - tanh_c * tanh_c)
        d_gates = cat([d_c * gg * i * (1 - i), d_c * c * f * (1 - f), d_c * i * (1 - gg * gg),
                       g_h * tanh_c * o * (1 - o)], 1)
        return d_gates, d_gates, None, d_c * f


class GRUStep(RecurrentStep):
    """h' = (1 - z)·n + z·h with r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·h_n)."""

    gates = 3

    def cell(self, x_gates, h_gates, state):
        h_new, act = K.gru_cell_forward(x_gates, h_gates, state)
        return h_new, (act, h_gates)

    def cell_backward(self, g, state, act, h_gates):
        return (*K.gru_cell_backward(np.ascontiguousarray(g), act, h_gates,
                                     np.ascontiguousarray(state)), None)

    def cell_backward_ops(self, g, x_gates, h_gates, state):
        x_r, x_z, x_n = x_gates.chunk(3, 1)
        h_r, h_z, h_n = h_gates.chunk(3, 1)
        r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
        n = (x_n + r * h_n).tanh()
        d_n = g * (1 - z) * (1 - n * n)
        d_z = g * (state - n) * z * (1 - z)
        d_r = d_n * h_n * r * (1 - r)
        return cat([d_r, d_z, d_n], 1), cat([d_r, d_z, d_n * r], 1), g * z, None


def recurrent_layer(step: type, x_gates: Tensor, state: Tensor, weight_hh: Tensor,
                    bias_hh: Tensor | None, time_dim: int = 0, reverse: bool = False):
    """Run ``step`` over the projected sequence ``x_gates`` (time along ``time_dim``) from
    ``state``; returns (every step's state stacked along ``time_dim``, the last state).
    ``reverse`` walks from the last step to the first (the backward direction)."""
    inputs = unbind(x_gates, time_dim)
    weights = (weight_hh,) if bias_hh is None else (weight_hh, bias_hh)
    states = [None] * len(inputs)
    for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
        state = step.apply(inputs[t], state, *weights)
        states[t] = state
    return stack(states, time_dim), state
