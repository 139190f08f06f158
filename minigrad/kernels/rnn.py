"""The pointwise part of one LSTM or GRU step, forward and backward.

The matrix products (input and hidden projections) are done by BLAS before these functions;
what is left is elementwise over (batch, hidden). Gate layouts are PyTorch's: LSTM (i, f, g,
o), GRU (r, z, n), each gate a block of H columns.

LSTM, with gates = W_ih x + b_ih + W_hh h + b_hh (pre-activations) and the state kept as one
array [h | c] of shape (N, 2H):

    i, f, o = σ(gates_i), σ(gates_f), σ(gates_o);   g = tanh(gates_g)
    c' = f·c + i·g;   h' = o·tanh(c')

GRU, with x_gates = W_ih x + b_ih and h_gates = W_hh h + b_hh:

    r = σ(x_r + h_r);   z = σ(x_z + h_z);   n = tanh(x_n + r·h_n)
    h' = (1 - z)·n + z·h

The forwards are whole-array NumPy: they are mostly tanh and σ, which NumPy evaluates with
SIMD instructions, while a Numba loop calls the scalar C library once per element (Numba
without Intel's SVML does not vectorize them) and is several times slower. σ is computed as
(1 + tanh(x/2))/2, which never overflows. The backwards are pure arithmetic on what the
forward kept, so one fused Numba pass beats a dozen NumPy passes there. They run on one
thread: inside a training step, between two BLAS calls, a parallel version measured twice
as slow on a step's small arrays. Their constants have the arrays' dtype (``one``): a Python
``1`` would turn float32 arithmetic into float64 and keep the loop from vectorizing.
"""

import functools

import numpy as np

from minigrad.kernels._jit import kernel

SMALL = 2048  # elements of the first argument below which NumPy beats a Numba dispatch


def _sigmoid_in_place(a):
    """a ← σ(a) = (1 + tanh(a/2))/2."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


@functools.lru_cache(maxsize=32)
def _lstm_gate_scales(hidden, dtype):
    """(scale, offset) per gate column: act = offset + scale·tanh(scale·x) is σ(x) for the
    i, f, o blocks (scale ½, offset ½) and tanh(x) for the g block (scale 1, offset 0)."""
    scale = np.full(4 * hidden, 0.5, dtype=dtype)
    scale[2 * hidden:3 * hidden] = 1
    offset = np.where(scale == 1, 0, 0.5).astype(dtype)
    scale.flags.writeable = offset.flags.writeable = False
    return scale, offset


def lstm_cell_forward(x_gates, h_gates, state):
    """(new state [h' | c'], activated gates [i f g o], tanh(c')) from both projections
    (gates = x_gates + h_gates) and the state [h | c] (N, 2H), of which only c is read."""
    hidden = state.shape[1] // 2
    scale, offset = _lstm_gate_scales(hidden, state.dtype)
    act = np.add(x_gates, h_gates)
    act *= scale  # all four gates in one tanh over the whole (contiguous) array
    np.tanh(act, out=act)
    act *= scale
    act += offset
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    new_state = np.empty_like(state)
    h_new, c_new = new_state[:, :hidden], new_state[:, hidden:]
    np.multiply(f, state[:, hidden:], out=c_new)
    c_new += i * g
    tanh_c = np.tanh(c_new)
    np.multiply(o, tanh_c, out=h_new)
    return new_state, act, tanh_c


def lstm_cell_backward_reference(g_state, act, state, tanh_c):
    """∂L/∂gates and ∂L/∂c from g_state = [∂L/∂h' | ∂L/∂c'] (the latter from the next step)."""
    hidden = state.shape[1] // 2
    gh, gc = g_state[:, :hidden], g_state[:, hidden:]
    c = state[:, hidden:]
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    dc = gc + gh * o * (1 - tanh_c * tanh_c)
    d_gates = np.concatenate([dc * g * i * (1 - i),       # through i = σ(·)
                              dc * c * f * (1 - f),       # through f = σ(·)
                              dc * i * (1 - g * g),       # through g = tanh(·)
                              gh * tanh_c * o * (1 - o)],  # through o = σ(·)
                             axis=1)
    return d_gates.astype(state.dtype), (dc * f).astype(state.dtype)


@kernel(lstm_cell_backward_reference, threshold=SMALL)
def lstm_cell_backward(g_state, act, state, tanh_c):
    """(∂L/∂gates, ∂L/∂c) in one pass; the formulas are in the reference."""
    batch, hidden = tanh_c.shape
    one = np.ones(1, dtype=act.dtype)[0]
    d_gates = np.empty_like(act)
    dc_prev = np.empty_like(tanh_c)
    for b in range(batch):
        for k in range(hidden):
            i, f = act[b, k], act[b, hidden + k]
            g, o = act[b, 2 * hidden + k], act[b, 3 * hidden + k]
            gh, t = g_state[b, k], tanh_c[b, k]
            dc = g_state[b, hidden + k] + gh * o * (one - t * t)
            d_gates[b, k] = dc * g * i * (one - i)
            d_gates[b, hidden + k] = dc * state[b, hidden + k] * f * (one - f)
            d_gates[b, 2 * hidden + k] = dc * i * (one - g * g)
            d_gates[b, 3 * hidden + k] = gh * t * o * (one - o)
            dc_prev[b, k] = dc * f
    return d_gates, dc_prev


def gru_cell_forward(x_gates, h_gates, h):
    """(h', activated gates [r z n]) from both projections and the hidden state."""
    hidden = h.shape[1]
    act = np.empty_like(x_gates)
    r_z, n = act[:, :2 * hidden], act[:, 2 * hidden:]
    np.add(x_gates[:, :2 * hidden], h_gates[:, :2 * hidden], out=r_z)
    _sigmoid_in_place(r_z)
    r, z = act[:, :hidden], act[:, hidden:2 * hidden]
    np.multiply(r, h_gates[:, 2 * hidden:], out=n)
    n += x_gates[:, 2 * hidden:]
    np.tanh(n, out=n)
    h_new = h - n  # h' = n + z·(h - n)
    h_new *= z
    h_new += n
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


@kernel(gru_cell_backward_reference, threshold=SMALL)
def gru_cell_backward(gh, act, h_gates, h):
    """The three gradients of the reference in one pass."""
    batch, hidden = h.shape
    one = np.ones(1, dtype=act.dtype)[0]
    d_x_gates = np.empty_like(act)
    d_h_gates = np.empty_like(act)
    dh_direct = np.empty_like(h)
    for b in range(batch):
        for k in range(hidden):
            r, z, n = act[b, k], act[b, hidden + k], act[b, 2 * hidden + k]
            dn = gh[b, k] * (one - z) * (one - n * n)
            dz = gh[b, k] * (h[b, k] - n) * z * (one - z)
            dr = dn * h_gates[b, 2 * hidden + k] * r * (one - r)
            d_x_gates[b, k] = d_h_gates[b, k] = dr
            d_x_gates[b, hidden + k] = d_h_gates[b, hidden + k] = dz
            d_x_gates[b, 2 * hidden + k] = dn
            d_h_gates[b, 2 * hidden + k] = dn * r
            dh_direct[b, k] = gh[b, k] * z
    return d_x_gates, d_h_gates, dh_direct
