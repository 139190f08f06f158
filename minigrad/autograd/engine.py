"""Reverse-mode differentiation: walk the graph from the outputs back to the leaves.

Two passes, both iterative (a graph 100,000 ops deep needs no recursion):
1. count, for every node, how many edges from the outputs' side lead into it;
2. process nodes in reverse topological order: a node runs its backward once the gradients
   from all its consumers have been summed, then hands each input its share. Broadcasting in
   the forward is undone here, in one place: a gradient is summed down to its input's shape.
"""

from minigrad.autograd import grad_mode
from minigrad.autograd.function import _check_finite
from minigrad.errors import GradError
from minigrad.ops._util import broadcasts_to


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False):
    """Backpropagate ``root_grads`` from ``roots``.

    Without ``inputs``, gradients accumulate into the ``.grad`` of the leaves (``backward``).
    With ``inputs``, nothing accumulates and their gradients are returned (``autograd.grad``).
    """
    consumers = _count_consumers(roots)
    capture = _Capture(inputs) if inputs is not None else None
    owned = {id(g.data) for g in root_grads}  # arrays a leaf's .grad must not alias
    pending = {}
    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:
            _deliver(root, grad, pending, consumers, None, capture, create_graph, owned)
        else:
            fn = root.grad_fn
            pending[fn] = pending[fn] + grad if fn in pending else grad
    ready = [fn for fn in pending if fn not in consumers]
    with grad_mode.set_grad_enabled(create_graph):
        while ready:
            fn = ready.pop()
            grad_output = pending.pop(fn, None)
            if grad_output is not None:
                _hand_out(fn, grad_output, pending, consumers, ready, capture, create_graph,
                          owned)
            else:  # every consumer returned None: nothing flows, but the counts must
                for t in fn.inputs:
                    _countdown(t, consumers, ready)
            if not retain_graph:
                fn.release()
    return capture.results(allow_unused) if capture else None


def _count_consumers(roots):
    """For each node reachable from the roots, the number of edges that feed it a gradient."""
    consumers = {}
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    seen = set(stack)
    while stack:
        fn = stack.pop()
        if fn.inputs is None:
            fn.saved_tensors  # raises the "backward a second time" error
            raise GradError(f"{fn.name}: this part of the graph was freed by an earlier "
                            "backward; pass retain_graph=True to keep it")
        for t in fn.inputs:
            parent = t.grad_fn
            if parent is not None:
                consumers[parent] = consumers.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return consumers


def _hand_out(fn, grad_output, pending, consumers, ready, capture, create_graph, owned):
    """Run ``fn.backward`` and pass each input its gradient."""
    retained = getattr(fn, "retained_output", None)
    if retained is not None and retained() is not None:
        retained().grad = grad_output if create_graph else grad_output.detach()
    if capture is not None:
        capture.offer_node(fn, grad_output)
    grads = fn.backward(grad_output)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if grad_mode._state["anomaly"]:
        for g in grads:
            if g is not None:
                _check_finite(fn.name, "backward", g.data, [grad_output.data])
    for t, grad in zip(fn.inputs, grads):
        if grad is not None and t.requires_grad:
            _deliver(t, _fit(grad, t, fn), pending, consumers, ready, capture, create_graph,
                     owned)
        elif t.grad_fn is not None:
            _countdown(t, consumers, ready)


def _deliver(t, grad, pending, consumers, ready, capture, create_graph, owned):
    """Add ``grad`` to what ``t`` has received: into its node's pending sum, or its ``.grad``."""
    fn = t.grad_fn
    if fn is None:
        if capture is not None:
            capture.offer_leaf(t, grad)
        elif t.requires_grad:
            _accumulate(t, grad, create_graph, owned)
        return
    pending[fn] = pending[fn] + grad if fn in pending else grad
    _countdown(t, consumers, ready)


def _countdown(t, consumers, ready):
    fn = t.grad_fn
    if fn is not None:
        consumers[fn] -= 1
        if consumers[fn] == 0:
            ready.append(fn)


def _accumulate(leaf, grad, create_graph, owned):
    """``leaf.grad += grad``, never aliasing an array someone else holds."""
    if leaf.grad is None:
        if not create_graph:
            data = grad.data
            if data.base is not None or id(data) in owned:
                data = data.copy()
            owned.add(id(data))
            grad = type(grad)._make(data)
        leaf.grad = grad
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + grad
    else:
        leaf.grad.data += grad.data


def _fit(grad, t, fn):
    """Sum a broadcast gradient down to the input's shape and cast it to its dtype."""
    if grad.shape != t.shape:
        if not broadcasts_to(t.shape, grad.shape):
            raise GradError(f"{fn.name}: backward returned a gradient of shape {grad.shape} "
                            f"for an input of shape {t.shape}")
        grad = grad.sum_to(t.shape)
    if grad.dtype != t.dtype:
        grad = grad.to(t.dtype)
    return grad


class _Capture:
    """Collects the gradients of the requested inputs for ``autograd.grad``."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.grads = [None] * len(inputs)
        self.leaves = {id(t): i for i, t in enumerate(inputs) if t.grad_fn is None}
        self.nodes = {t.grad_fn: i for i, t in enumerate(inputs) if t.grad_fn is not None}

    def offer_leaf(self, t, grad):
        i = self.leaves.get(id(t))
        if i is not None:
            self.grads[i] = grad if self.grads[i] is None else self.grads[i] + grad

    def offer_node(self, fn, grad):
        i = self.nodes.get(fn)
        if i is not None:
            self.grads[i] = grad

    def results(self, allow_unused):
        for t, g in zip(self.inputs, self.grads):
            if g is None and not allow_unused:
                raise GradError(f"grad: an input of shape {t.shape} is not part of the graph "
                                "of the outputs; pass allow_unused=True to get None for it")
        return tuple(self.grads)
