"""The pointwise part of one LSTM or GRU step, forward and backward, each in one pass.

The matrix products (input and hidden projections) are done by BLAS before these kernels;
what is left is elementwise over (batch, hidden), and fusing it saves a dozen passes over
memory per step. Gate layouts are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n), each gate a
block of H columns.

LSTM, with gates = W_ih x + b_ih + W_hh h + b_hh (pre-activations) and the state kept as one
array [h | c] of shape (N, 2H):

    i, f, o = σ(gates_i), σ(gates_f), σ(gates_o);   g = tanh(gates_g)
    c' = f·c + i·g;   h' = o·tanh(c')

GRU, with x_gates = W_ih x + b_ih and h_gates = W_hh h + b_hh:

    r = σ(x_r + h_r);   z = σ(x_z + h_z);   n = tanh(x_n + r·h_n)
    h' = (1 - z)·n + z·h
"""

import math

import numpy as np

from minigrad.kernels._jit import kernel, prange
from minigrad.kernels.elementwise import sigmoid_forward_reference as _sigmoid

SMALL = 2048  # elements of the first argument below which NumPy beats a Numba dispatch


def lstm_cell_forward_reference(gates, state):
    hidden = state.shape[1] // 2
    i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
    act = np.concatenate([_sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)], axis=1)
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    c_new = f * state[:, hidden:] + i * g
    h_new = o * np.tanh(c_new)
    return np.concatenate([h_new, c_new], axis=1).astype(state.dtype), act.astype(state.dtype)


@kernel(lstm_cell_forward_reference, parallel=True, threshold=SMALL)
def lstm_cell_forward(gates, state):
    """(new state [h' | c'], activated gates [i f g o]) from the pre-activations and the
    state [h | c] (N, 2H), of which only c is read."""
    batch, hidden = state.shape[0], state.shape[1] // 2
    new_state = np.empty_like(state)
    act = np.empty_like(gates)
    for b in prange(batch):
        for k in range(hidden):
            i = 1 / (1 + math.exp(-gates[b, k]))
            f = 1 / (1 + math.exp(-gates[b, hidden + k]))
            g = math.tanh(gates[b, 2 * hidden + k])
            o = 1 / (1 + math.exp(-gates[b, 3 * hidden + k]))
            cell = f * state[b, hidden + k] + i * g
            act[b, k], act[b, hidden + k], act[b, 2 * hidden + k], act[b, 3 * hidden + k] = \
                i, f, g, o
            new_state[b, hidden + k] = cell
            new_state[b, k] = o * math.tanh(cell)
    return new_state, act


def lstm_cell_backward_reference(g_state, act, state, new_state):
    """∂L/∂gates and ∂L/∂c from g_state = [∂L/∂h' | ∂L/∂c'] (the latter from the next step)."""
    hidden = state.shape[1] // 2
    gh, gc = g_state[:, :hidden], g_state[:, hidden:]
    c = state[:, hidden:]
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    tanh_c = np.tanh(new_state[:, hidden:])
    dc = gc + gh * o * (1 - tanh_c * tanh_c)
    d_gates = np.concatenate([dc * g * i * (1 - i),       # through i = σ(·)
                              dc * c * f * (1 - f),       # through f = σ(·)
                              dc * i * (1 - g * g),       # through g = tanh(·)
                              gh * tanh_c * o * (1 - o)],  # through o = σ(·)
                             axis=1)
    return d_gates.astype(state.dtype), (dc * f).astype(state.dtype)


@kernel(lstm_cell_backward_reference, parallel=True, threshold=SMALL)
def lstm_cell_backward(g_state, act, state, new_state):
    """(∂L/∂gates, ∂L/∂c) in one pass; the formulas are in the reference."""
    batch, hidden = state.shape[0], state.shape[1] // 2
    d_gates = np.empty_like(act)
    dc_prev = np.empty((batch, hidden), dtype=state.dtype)
    for b in prange(batch):
        for k in range(hidden):
            i, f = act[b, k], act[b, hidden + k]
            g, o = act[b, 2 * hidden + k], act[b, 3 * hidden + k]
            gh = g_state[b, k]
            tanh_c = math.tanh(new_state[b, hidden + k])
            dc = g_state[b, hidden + k] + gh * o * (1 - tanh_c * tanh_c)
            d_gates[b, k] = dc * g * i * (1 - i)
            d_gates[b, hidden + k] = dc * state[b, hidden + k] * f * (1 - f)
            d_gates[b, 2 * hidden + k] = dc * i * (1 - g * g)
            d_gates[b, 3 * hidden + k] = gh * tanh_c * o * (1 - o)
            dc_prev[b, k] = dc * f
    return d_gates, dc_prev


def gru_cell_forward_reference(x_gates, h_gates, h):
    hidden = h.shape[1]
    x_r, x_z, x_n = (x_gates[:, k * hidden:(k + 1) * hidden] for k in range(3))
    h_r, h_z, h_n = (h_gates[:, k * hidden:(k + 1) * hidden] for k in range(3))
    r, z = _sigmoid(x_r + h_r), _sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    h_new = (1 - z) * n + z * h
    return h_new.astype(h.dtype), np.concatenate([r, z, n], axis=1).astype(h.dtype)


@kernel(gru_cell_forward_reference, parallel=True, threshold=SMALL)
def gru_cell_forward(x_gates, h_gates, h):
    """(h', activated gates [r z n]) from both projections and the hidden state."""
    batch, hidden = h.shape
    h_new = np.empty_like(h)
    act = np.empty_like(x_gates)
    for b in prange(batch):
        for k in range(hidden):
            r = 1 / (1 + math.exp(-(x_gates[b, k] + h_gates[b, k])))
            z = 1 / (1 + math.exp(-(x_gates[b, hidden + k] + h_gates[b, hidden + k])))
            n = math.tanh(x_gates[b, 2 * hidden + k] + r * h_gates[b, 2 * hidden + k])
            act[b, k], act[b, hidden + k], act[b, 2 * hidden + k] = r, z, n
            h_new[b, k] = (1 - z) * n + z * h[b, k]
    return h_new, act


def gru_cell_backward_reference(gh, act, h_gates, h):
    """(∂L/∂x_gates, ∂L/∂h_gates, ∂L/∂h along the direct path z·h) from ∂L/∂h' = gh."""
    hidden = h.shape[1]
    r, z, n = (act[:, k * hidden:(k + 1) * hidden] for k in range(3))
    h_n = h_gates[:, 2 * hidden:]
    dn = gh * (1 - z) * (1 - n * n)         # through n = tanh(·)
    dz = gh * (h - n) * z * (1 - z)         # through z = σ(·)
    dr = dn * h_n * r * (1 - r)             # through r = σ(·), which multiplies h_n
    d_x_gates = np.concatenate([dr, dz, dn], axis=1)
    d_h_gates = np.concatenate([dr, dz, dn * r], axis=1)
    return d_x_gates.astype(h.dtype), d_h_gates.astype(h.dtype), (gh * z).astype(h.dtype)


@kernel(gru_cell_backward_reference, parallel=True, threshold=SMALL)
def gru_cell_backward(gh, act, h_gates, h):
    """The three gradients of the reference in one pass."""
    batch, hidden = h.shape
    d_x_gates = np.empty_like(act)
    d_h_gates = np.empty_like(act)
    dh_direct = np.empty_like(h)
    for b in prange(batch):
        for k in range(hidden):
            r, z, n = act[b, k], act[b, hidden + k], act[b, 2 * hidden + k]
            dn = gh[b, k] * (1 - z) * (1 - n * n)
            dz = gh[b, k] * (h[b, k] - n) * z * (1 - z)
            dr = dn * h_gates[b, 2 * hidden + k] * r * (1 - r)
            d_x_gates[b, k] = d_h_gates[b, k] = dr
            d_x_gates[b, hidden + k] = d_h_gates[b, hidden + k] = dz
            d_x_gates[b, 2 * hidden + k] = dn
            d_h_gates[b, 2 * hidden + k] = dn * r
            dh_direct[b, k] = gh[b, k] * z
    return d_x_gates, d_h_gates, dh_direct
