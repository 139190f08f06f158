"""Reverse-mode differentiation: walk the graph from the outputs back to the leaves.

Two passes, both iterative (a graph 100,000 ops deep needs no recursion):
1. count, for every node, how many edges from the outputs' side lead into it;
2. process nodes in reverse topological order: a node runs its backward once the gradients
   from all its consumers have been summed, then hands each input its share. Broadcasting in
   the forward is undone here, in one place: a gradient is summed down to its input's shape.
"""

from minigrad.autograd import grad_mode
from minigrad.autograd.function import _check_finite
from minigrad.errors import GradError, ShapeError
from minigrad.ops.reduce import sum_to_array
from minigrad.tensor import _wrap


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False):
    """Backpropagate ``root_grads`` from ``roots``.

    Without ``inputs``, gradients accumulate into the ``.grad`` of the leaves (``backward``).
    With ``inputs``, nothing accumulates and their gradients are returned (``autograd.grad``).
    """
    capture = _Capture(inputs) if inputs is not None else None
    task = _Backward(roots, create_graph, capture)
    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:
            task.deliver_to_leaf(root, grad)
        else:
            task.add_pending(root.grad_fn, grad)
    task.ready = [fn for fn in task.pending if fn not in task.consumers]
    with grad_mode.set_grad_enabled(create_graph):
        task.run(retain_graph)
    return capture.results(allow_unused) if capture else None


class _Backward:
    """The state of one backward pass."""

    def __init__(self, roots, create_graph, capture):
        self.consumers = _count_consumers(roots)
        self.create_graph = create_graph
        self.capture = capture
        self.pending = {}  # node -> sum of the gradients its consumers have sent so far
        self.ready = []  # nodes whose consumers have all sent their gradient

    def run(self, retain_graph):
        while self.ready:
            fn = self.ready.pop()
            grad_output = self.pending.pop(fn, None)
            if grad_output is None:  # every consumer sent None: nothing flows from here
                for t in fn.inputs:
                    self.countdown(t.grad_fn)
            else:
                self.hand_out(fn, grad_output)
            if not retain_graph:
                fn.release()

    def hand_out(self, fn, grad_output):
        """Run ``fn.backward`` and pass each input its gradient."""
        if fn.retained_output is not None:
            self.fill_retained(fn.retained_output(), grad_output)
        if self.capture is not None:
            self.capture.offer_node(fn, grad_output)
        if grad_mode._state["anomaly"]:
            grads = _checked_backward(fn, grad_output)
        else:
            grads = fn.backward(grad_output)
        if type(grads) is not tuple:
            grads = (grads,)
        for t, grad in zip(fn.inputs, grads):
            parent = t.grad_fn
            if grad is not None and t._requires_grad:
                g, d = grad.data, t.data
                if g.shape != d.shape or g.dtype != d.dtype:
                    grad = _fit(grad, t, fn)
                if parent is None:
                    self.deliver_to_leaf(t, grad, owned=fn.fresh_grads)
                    continue
                self.add_pending(parent, grad)
            if parent is not None:
                self.countdown(parent)

    def add_pending(self, fn, grad):
        pending = self.pending
        pending[fn] = pending[fn] + grad if fn in pending else grad

    def countdown(self, fn):
        """One more consumer of ``fn``'s output has sent its gradient."""
        if fn is not None:
            self.consumers[fn] -= 1
            if self.consumers[fn] == 0:
                self.ready.append(fn)

    def fill_retained(self, t, grad):
        if t is not None:
            grad = grad if self.create_graph else grad.detach()
            t.grad = grad if t.grad is None else t.grad + grad

    def deliver_to_leaf(self, leaf, grad, owned=False):
        if self.capture is not None:
            self.capture.offer_leaf(leaf, grad)
        elif leaf._requires_grad:
            self.accumulate(leaf, grad, owned)

    def accumulate(self, leaf, grad, owned):
        """``leaf.grad += grad``. A leaf's gradient array is its own: the first one is copied,
        because the array backward returned may also be on its way to other nodes, unless
        ``owned`` (the node's backward made it for this input alone)."""
        if leaf.grad is None:
            leaf.grad = grad if self.create_graph or owned else _wrap(grad.data.copy())
        elif self.create_graph or leaf.grad._requires_grad:
            leaf.grad = leaf.grad + grad
        else:
            leaf.grad.data += grad.data


def _checked_backward(fn, grad_output):
    """``fn.backward`` under anomaly mode: NaN/Inf in its results is blamed on ``fn`` (the ops
    inside the backward are not checked one by one)."""
    grad_mode._state["anomaly"] = False
    try:
        grads = fn.backward(grad_output)
    finally:
        grad_mode._state["anomaly"] = True
    for g in grads if type(grads) is tuple else (grads,):
        if g is not None:
            _check_finite(fn.name, "backward", g.data, [grad_output.data])
    return grads


def _count_consumers(roots):
    """For each node reachable from the roots, the number of edges that feed it a gradient."""
    consumers = {}
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    root_fns = set(stack)
    while stack:
        fn = stack.pop()
        if fn.inputs is None:
            fn.saved_tensors  # raises the "backward a second time" error
        for t in fn.inputs:
            parent = t.grad_fn
            if parent is None:
                continue
            if parent in consumers:
                consumers[parent] += 1
            else:  # met for the first time: walk on from it (a root is walked already)
                consumers[parent] = 1
                if parent not in root_fns:
                    stack.append(parent)
    return consumers


def _fit(grad, t, fn):
    """Sum a broadcast gradient down to the input's shape and cast it to its dtype."""
    if grad.shape != t.shape:
        try:
            if grad_mode._state["enabled"]:  # create_graph: a differentiable sum
                grad = grad.sum_to(t.shape)
            else:
                grad = _wrap(sum_to_array(grad.data, t.shape))
        except ShapeError:
            raise GradError(f"{fn.name}: backward returned a gradient of shape {grad.shape} "
                            f"for an input of shape {t.shape}") from None
    if grad.dtype != t.dtype:
        grad = _wrap(grad.data.astype(t.dtype)) if not grad_mode._state["enabled"] \
            else grad.to(t.dtype)
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
