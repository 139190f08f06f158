"""``grad``: derivatives of outputs with respect to chosen inputs, returned not accumulated."""

from minigrad.autograd.engine import run_backward
from minigrad.errors import GradError
from minigrad.tensor import Tensor, _root_grad


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Σ_k grad_outputs[k] · ∂outputs[k]/∂inputs, one tensor per input (None if unused and
    ``allow_unused``). With ``create_graph`` the results are themselves differentiable."""
    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    for t in outputs:
        if not t.requires_grad:
            raise GradError(f"grad: an output of shape {t.shape} does not require grad")
    for t in inputs:
        if not t.requires_grad:
            raise GradError(f"grad: an input of shape {t.shape} does not require grad")
    roots = [_root_grad(t, g, "grad") for t, g in zip(outputs, grad_outputs)]
    return run_backward(outputs, roots,
                        retain_graph=create_graph if retain_graph is None else retain_graph,
                        create_graph=create_graph, inputs=inputs, allow_unused=allow_unused)
