"""Run a minigrad layer and the same PyTorch layer, with PyTorch's weights, and compare all.

    check_module_like_torch(nn.Linear(4, 3), torch.nn.Linear(4, 3), (2, 4))

The PyTorch module's ``state_dict()``, converted to NumPy, is loaded into the minigrad module
(both in float64); both get the same seeded inputs; the check compares the outputs, the
gradients of the inputs and of every parameter for a random cotangent, and the state dicts
afterwards (so running statistics are compared too).
"""

import numpy as np
from helpers import make_inputs

import minigrad as mg

TOLERANCE = 1e-8


def numpy_state(torch_module) -> dict:
    return {key: value.detach().numpy() for key, value in torch_module.state_dict().items()}


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _close(computed, expected, what, atol, rtol):
    assert computed.shape == expected.shape, \
        f"{what}: expected shape {expected.shape}, computed {computed.shape}"
    np.testing.assert_allclose(computed, expected, atol=atol, rtol=rtol,
                               err_msg=f"{what} (computed=minigrad vs expected=torch)")


def check_module_like_torch(mg_module, torch_module, *specs, seed=0, atol=TOLERANCE,
                            rtol=TOLERANCE, low=-2.0, high=2.0, calls=1):
    """Assert that both modules agree in outputs, input and parameter gradients, and final
    state, over ``calls`` forward/backward passes. Returns the minigrad module."""
    import torch

    torch_module.double()
    mg_module.double()
    mg_module.load_state_dict(numpy_state(torch_module))
    mg_module.train(torch_module.training)
    name = type(mg_module).__name__
    for call in range(calls):
        arrays = make_inputs(specs, seed + call, low, high)
        floating = [np.issubdtype(a.dtype, np.floating) for a in arrays]
        mg_in = [mg.tensor(a, requires_grad=f) for a, f in zip(arrays, floating)]
        torch_in = [torch.tensor(a, requires_grad=f) for a, f in zip(arrays, floating)]
        mg_out, torch_out = _as_list(mg_module(*mg_in)), _as_list(torch_module(*torch_in))
        where = f"{name}, call {call}, inputs {[a.shape for a in arrays]}"
        for k, (m, t) in enumerate(zip(mg_out, torch_out)):
            _close(m.detach().numpy(), t.detach().numpy(), f"{where}: output {k}", atol, rtol)
        rng = np.random.default_rng(seed + 100 + call)
        cotangents = [rng.standard_normal(tuple(t.shape)) for t in torch_out]
        mg_module.zero_grad()
        torch_module.zero_grad()
        torch.autograd.backward(torch_out, [torch.tensor(v) for v in cotangents])
        sum((m * mg.tensor(v)).sum() for m, v in zip(mg_out, cotangents)).backward()
        for k, (m, t) in enumerate(zip(mg_in, torch_in)):
            if t.requires_grad:
                _close(m.grad.numpy(), t.grad.numpy(), f"{where}: gradient of input {k}",
                       atol, rtol)
        torch_params = dict(torch_module.named_parameters())
        for key, param in mg_module.named_parameters():
            expected = torch_params[key].grad
            computed = param.grad
            assert (computed is None) == (expected is None), \
                f"{where}: gradient of {key}: expected {expected}, computed {computed}"
            if expected is not None:
                _close(computed.numpy(), expected.numpy(), f"{where}: gradient of {key}", atol,
                       rtol)
        expected_state = numpy_state(torch_module)
        computed_state = mg_module.state_dict()
        assert list(computed_state) == list(expected_state), \
            f"{where}: state keys {list(computed_state)}, expected {list(expected_state)}"
        for key, value in expected_state.items():
            _close(computed_state[key], value, f"{where}: state {key}", atol, rtol)
    return mg_module
