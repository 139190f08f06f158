"""Run one lambda on minigrad and on PyTorch with the same inputs and compare everything.

    check_like_torch(lambda lib, x, y: lib.maximum(x, y).relu(), (3, 4), (4,))

The lambda receives the library (``minigrad`` or ``torch``) first, then the tensors, so the
same code runs on both. Inputs are seeded float64 arrays (from shapes) or given arrays
(integer and boolean arrays become constant index tensors). The check compares, for each
output: shape, dtype and values; then the gradients of every floating-point input for a
random cotangent (not all-ones, which hides transposition bugs).
"""

import numpy as np

import minigrad as mg

TOLERANCE = 1e-10  # float64 results must agree to this (relative and absolute)


def make_inputs(specs, seed=0, low=-2.0, high=2.0):
    """Arrays from ``specs``: a shape becomes uniform(low, high) float64 values; an array is
    taken as it is."""
    rng = np.random.default_rng(seed)
    return [spec if isinstance(spec, np.ndarray) else rng.uniform(low, high, spec)
            for spec in specs]


def _differentiable(array):
    return np.issubdtype(array.dtype, np.floating)


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _dtype_name(t):
    """'float64', 'int64', 'bool' for a minigrad or torch tensor."""
    return str(t.dtype).replace("torch.", "")


def _numpy(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def check_like_torch(fn, *specs, seed=0, low=-2.0, high=2.0, atol=TOLERANCE, rtol=TOLERANCE,
                     grad=True):
    """Assert that ``fn(minigrad, ...)`` and ``fn(torch, ...)`` agree in shape, dtype, values
    and (if ``grad``) input gradients. Returns the minigrad outputs."""
    import torch

    arrays = make_inputs(specs, seed, low, high)
    mg_in = [mg.tensor(a, requires_grad=_differentiable(a)) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=_differentiable(a)) for a in arrays]
    mg_out, torch_out = _as_list(fn(mg, *mg_in)), _as_list(fn(torch, *torch_in))
    shapes = [a.shape for a in arrays]
    assert len(mg_out) == len(torch_out), \
        f"inputs {shapes}: minigrad gave {len(mg_out)} outputs, torch {len(torch_out)}"
    for k, (m, t) in enumerate(zip(mg_out, torch_out)):
        where = f"output {k} for inputs of shapes {shapes}"
        assert tuple(m.shape) == tuple(t.shape), \
            f"{where}: expected shape {tuple(t.shape)}, computed {tuple(m.shape)}"
        assert _dtype_name(m) == _dtype_name(t), \
            f"{where}: expected dtype {_dtype_name(t)}, computed {_dtype_name(m)}"
        np.testing.assert_allclose(_numpy(m), _numpy(t), rtol=rtol, atol=atol,
                                   err_msg=f"{where}: values (computed vs expected=torch)")
    if grad:
        _check_gradients(mg_in, torch_in, mg_out, torch_out, shapes, seed, atol, rtol)
    return mg_out


def _check_gradients(mg_in, torch_in, mg_out, torch_out, shapes, seed, atol, rtol):
    import torch

    wanted = [i for i, t in enumerate(torch_in) if t.requires_grad]
    pairs = [(m, t) for m, t in zip(mg_out, torch_out) if t.requires_grad]
    if not wanted or not pairs:
        return
    rng = np.random.default_rng(seed + 1)
    cotangents = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    torch_grads = torch.autograd.grad([t for _, t in pairs], [torch_in[i] for i in wanted],
                                      [torch.tensor(v) for v in cotangents], allow_unused=True)
    mg_grads = mg.autograd.grad([m for m, _ in pairs], [mg_in[i] for i in wanted],
                                [mg.tensor(v) for v in cotangents], allow_unused=True)
    for i, m, t in zip(wanted, mg_grads, torch_grads):
        expected = np.zeros(shapes[i]) if t is None else t.numpy()
        computed = np.zeros(shapes[i]) if m is None else m.numpy()
        assert computed.shape == expected.shape, \
            f"gradient of input {i} (inputs {shapes}): expected shape {expected.shape}, " \
            f"computed {computed.shape}"
        np.testing.assert_allclose(
            computed, expected, rtol=rtol, atol=atol,
            err_msg=f"gradient of input {i} for inputs of shapes {shapes} "
                    f"(computed vs expected=torch)")
