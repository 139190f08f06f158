"""Recurrent layers: an RNN, LSTM or GRU layer as one op over the whole sequence, and its
time step as one op (the cells, and the graph that ``create_graph`` differentiates again).

A layer first projects the whole input sequence at once (one matrix product), then walks
through time on the state s (h for RNN and GRU, the pair [h, c] side by side for LSTM, so
that one array carries the whole state):

    x_gates_t = W_ih x_t + b_ih                     (for every t, before the loop)
    h_gates   = W_hh h_{t-1} + b_hh                 (inside the step)
    s_t       = cell(x_gates_t, h_gates, s_{t-1})   (pointwise, kernels/rnn.py)

Backward through a step: the kernel gives ∂L/∂x_gates and ∂L/∂h_gates, then
∂L/∂h_{t-1} = ∂L/∂h_gates · W_hh (+ any direct path), ∂L/∂W_hh = ∂L/∂h_gatesᵀ · h_{t-1},
∂L/∂b_hh = Σ_batch ∂L/∂h_gates. Under ``create_graph`` the pointwise part is written in
Tensor ops instead, so the step can be differentiated again.

``RecurrentStep`` is one step as an op (the cells use it); ``RecurrentLayer`` runs the same
cells over all steps inside one op (the layers use it: see its docstring for why).
``unbind`` splits a sequence into its time steps so that backpropagation through a graph of
step ops stays linear in the sequence length (see its docstring).
"""

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.autograd.function import Function
from minigrad.kernels import elementwise as E
from minigrad.kernels import rnn as K
from minigrad.ops.linear import affine, linear, rows
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
        h_gates = _h_gates(state, weight_hh.T, bias_hh)
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


def _h_gates(state, weight_hh_t, bias_hh):
    """h_gates = h·W_hhᵀ + b_hh, with h = state[:, :hidden], given W_hhᵀ (arrays)."""
    h_gates = state[:, :weight_hh_t.shape[0]] @ weight_hh_t
    if bias_hh is not None:
        h_gates += bias_hh
    return h_gates


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


# -- a whole layer ---------------------------------------------------------------------------------

class RecurrentLayer(Function):
    """Every state s_1 … s_T of one direction of a layer, stacked along ``time_dim``, as one op:
    the input projection, the time loop of ``step`` (a ``RecurrentStep``) and backpropagation
    through time inside.

    Forward and backward, with g_t = ∂L/∂s_t from the output and s_0 the initial state:

        x_gates = x W_ihᵀ + b_ih  (all t at once)
        for t = 1 … T:                       for t = T … 1:
          h_gates_t = h_{t-1} W_hhᵀ + b_hh      g = g_t + ∂L/∂s_t from step t+1
          s_t = cell(x_gates_t, h_gates_t,      (d_x_gates_t, d_h_gates_t, …) = cell_backward(g)
                     s_{t-1})                   ∂L/∂s_{t-1} = [d_h_gates_t W_hh (+ direct), ∂L/∂c]

    and after the loop, for all steps at once (one matrix product each instead of T):
    ∂L/∂W_hh = Σ_t d_h_gates_tᵀ h_{t-1},   ∂L/∂b_hh = Σ_t Σ_batch d_h_gates_t,
    ∂L/∂W_ih = Σ_t d_x_gates_tᵀ x_t,       ∂L/∂b_ih = Σ_t Σ_batch d_x_gates_t,
    ∂L/∂x_t = d_x_gates_t W_ih.

    For an LSTM the cell is c_t = f·c_{t-1} + i·g, h_t = o·tanh(c_t) with (i, f, g, o) the
    activated gates, and its backward is ∂L/∂c = ∂L/∂c_t + ∂L/∂h_t·o·(1 - tanh²c_t), then
    d_i = ∂L/∂c·g·i(1-i), d_f = ∂L/∂c·c_{t-1}·f(1-f), d_g = ∂L/∂c·i(1-g²),
    d_o = ∂L/∂h_t·tanh(c_t)·o(1-o), ∂L/∂c_{t-1} = ∂L/∂c·f (kernels/rnn.py has them all);
    there d_x_gates = d_h_gates (as for RNN; GRU's differ in the n gate).

    Why one op and not a projection and T step ops: a step op costs graph bookkeeping and a
    few small matrix products of its own each time step; here the Python loop does only the
    recurrent product and the cell, and the weight gradients are large products. The cells
    and their kernels are the step ops' own, so the numbers are the same up to rounding (the
    order of the sums over t). Under ``create_graph`` the backward replays the layer as a
    projection and step ops instead, whose backwards are written in Tensor ops and can be
    differentiated again.
    """

    def forward(self, x, state, weight_ih, weight_hh, bias_ih=None, bias_hh=None, *, step,
                time_dim, reverse):
        self.step, self.time_dim, self.reverse = step, time_dim, reverse
        self.x_steps = np.ascontiguousarray(self._walk(x))  # (T, N, input), in walk order
        x_gates = affine(self.x_steps, weight_ih, bias_ih)  # (T, N, gates)
        cell = step()  # a step op used for its pointwise maths only
        weight_hh_t = np.ascontiguousarray(weight_hh.T)  # BLAS multiplies by it ⅓ faster
        states, caches = [state], []
        for x_t in x_gates:
            new_state, cache = cell.cell(x_t, _h_gates(states[-1], weight_hh_t, bias_hh),
                                         states[-1])
            states.append(new_state)
            caches.append(cache)
        self.states, self.caches = states, caches
        self.save_for_backward(x, state, weight_ih, weight_hh,
                               *(() if bias_ih is None else (bias_ih, bias_hh)))
        return self._unwalk(states[1:])

    def backward(self, g_states):
        if grad_mode._state["enabled"]:
            return self._backward_with_graph(g_states)
        _, _, weight_ih, weight_hh, *bias = (t.data for t in self.saved_tensors)
        cell, states, hidden = self.step(), self.states, weight_hh.shape[1]
        d_x_gates, d_h_gates = [None] * len(self.caches), [None] * len(self.caches)
        d_state = np.zeros_like(states[0])
        for t, g_t in reversed(list(enumerate(self._walk(g_states.data)))):
            d_x_gates[t], d_h_gates[t], d_h_direct, d_c = cell.cell_backward(
                g_t + d_state, states[t], *self.caches[t])
            d_h = d_h_gates[t] @ weight_hh
            if d_h_direct is not None:
                d_h += d_h_direct
            d_state = d_h if d_c is None else np.concatenate([d_h, d_c], 1)
        same = d_h_gates[0] is d_x_gates[0]  # RNN, LSTM: one gradient for both projections
        d_x_gates = rows(np.stack(d_x_gates))  # (T·N, gates), rows in walk order
        d_h_gates = d_x_gates if same else rows(np.stack(d_h_gates))
        h_before = rows(np.stack([s[:, :hidden] for s in states[:-1]]))
        need = self.needs_input_grad
        d_x = None
        if need[0]:
            d_x = self._unwalk((d_x_gates @ weight_ih).reshape(self.x_steps.shape))
        grads = (d_x, d_state,
                 d_x_gates.T @ rows(self.x_steps) if need[2] else None,
                 d_h_gates.T @ h_before if need[3] else None)
        if bias:
            d_bias_ih = d_x_gates.sum(0)
            grads += (d_bias_ih, d_bias_ih.copy() if same else d_h_gates.sum(0))
        return tuple(None if g is None else Tensor._make(g) for g in grads)

    def _backward_with_graph(self, g_states):
        """``create_graph``: replay the forward as the projection and one step op per time
        step, then run their backwards by hand (each written in Tensor ops), so that the
        gradients are Tensors that can be differentiated again."""
        x, state, weight_ih, weight_hh, *biases = self.saved_tensors
        bias_ih, bias_hh = biases or (None, None)
        x_gates = linear(x, weight_ih, bias_ih)
        weights = (weight_hh,) if bias_hh is None else (weight_hh, bias_hh)
        x_steps, g_steps = unbind(x_gates, self.time_dim), unbind(g_states, self.time_dim)
        order = list(reversed(range(len(x_steps))) if self.reverse else range(len(x_steps)))
        step_ops = []
        for t in order:
            state = self.step.apply(x_steps[t], state, *weights)
            step_ops.append(state.grad_fn)
        d_x_gates, d_weights, d_state = [None] * len(order), [None] * len(weights), None
        for t, op in zip(reversed(order), reversed(step_ops)):
            g = g_steps[t] if d_state is None else g_steps[t] + d_state
            d_x_gates[t], d_state, *d_w = op.backward(g)
            d_weights = [a if b is None else b if a is None else a + b
                         for a, b in zip(d_weights, d_w)]
        d_x = d_weight_ih = d_bias_ih = None
        if x_gates.grad_fn is not None:
            d_x, d_weight_ih, *d_bias_ih = x_gates.grad_fn.backward(stack(d_x_gates,
                                                                          self.time_dim))
        grads = (d_x, d_state, d_weight_ih, d_weights[0])
        return grads + ((d_bias_ih[0], d_weights[1]) if biases else ())

    def _walk(self, sequence):
        """The steps of ``sequence`` (time along ``time_dim``) in the order the layer takes them."""
        steps = np.moveaxis(sequence, self.time_dim, 0)
        return steps[::-1] if self.reverse else steps

    def _unwalk(self, steps):
        """The inverse of ``_walk``: per-step arrays (a list, or an array along its first
        dim) stacked back along ``time_dim``."""
        return np.stack(steps[::-1] if self.reverse else steps, axis=self.time_dim)


def recurrent_layer(step: type, x: Tensor, state: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                    bias_ih: Tensor | None = None, bias_hh: Tensor | None = None,
                    time_dim: int = 0, reverse: bool = False):
    """Run ``step`` over the sequence ``x`` (time along ``time_dim``) from ``state``; returns
    (every step's state stacked along ``time_dim``, the last state). ``reverse`` walks from
    the last step to the first (the backward direction). Biases: both or neither."""
    weights = (weight_ih, weight_hh) + (() if bias_ih is None else (bias_ih, bias_hh))
    every = RecurrentLayer.apply(x, state, *weights, step=step, time_dim=time_dim,
                                 reverse=reverse)
    return every, every[(slice(None),) * time_dim + (0 if reverse else -1,)]
