"""``Function``: one differentiable op, its forward and its backward side by side.

``forward`` receives NumPy arrays and returns an array; ``backward`` receives the gradient of
the output as a Tensor and returns one Tensor (or None) per input. Because backward is written
with Tensor ops, running it with grad mode on (``create_graph=True``) records a graph of the
backward pass itself, which is how second derivatives (Newton's method, Hessians) come for free.
"""

import weakref

import numpy as np

from minigrad.autograd import grad_mode
from minigrad.errors import AnomalyError, DTypeError, GradError, MinigradError, ShapeError


class Function:
    """Base class of every op. Subclasses define ``forward`` and ``backward``.

    ``apply(*tensors, **options)`` runs forward on the tensors' arrays and, when grad mode is
    on and some input requires grad, links the result to this node of the graph.
    """

    is_view = False  # the output shares memory (and so the version counter) with input 0
    # backward returns new gradient arrays, one per input, that nothing else holds: a leaf
    # may keep its gradient without the engine's copy
    fresh_grads = False
    _saved = ()
    inputs = None
    retained_output = None  # a weak reference, set by Tensor.retain_grad

    @classmethod
    def apply(cls, *inputs, **options):
        fn = cls()
        try:
            out = fn.forward(*[t.data for t in inputs], **options)
        except MinigradError:
            raise
        except ValueError as error:
            raise ShapeError(f"{fn.name}: shapes {_shapes(inputs)}: {error}") from None
        except TypeError as error:
            raise DTypeError(f"{fn.name}: dtypes {_dtypes(inputs)}: {error}") from None
        state = grad_mode._state
        if state["anomaly"]:
            _check_finite(fn.name, "forward", out, [t.data for t in inputs])
        grad_fn = None
        if state["enabled"]:
            for t in inputs:
                if t._requires_grad:
                    grad_fn = fn
                    fn.inputs = inputs
                    break
        result = _wrap(out, grad_fn)
        if cls.is_view and np.may_share_memory(result.data, inputs[0].data):
            result._version = inputs[0]._version
        if grad_fn is not None and fn._saved:
            fn._bind_saved(result, out)
        return result

    @property
    def needs_input_grad(self):
        return tuple([t._requires_grad for t in self.inputs])

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    # -- saved tensors ----------------------------------------------------------------------

    def save_for_backward(self, *arrays):
        """Keep arrays for backward. Inputs and the output come back as their Tensors (so a
        ``create_graph`` backward differentiates through them); other arrays as constants."""
        self._saved = arrays

    def _bind_saved(self, output, raw_output):
        bound = []
        for array in self._saved:
            if array is raw_output:  # (a 0-d result may be a NumPy scalar, wrapped since)
                bound.append((weakref.ref(output), array, output._version[0]))
                continue
            for t in self.inputs:
                if array is t.data:
                    bound.append((t, array, t._version[0]))
                    break
            else:
                bound.append((None, np.asarray(array), 0))
        self._saved = bound

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise GradError(
                f"{self.name}: trying to backward through the graph a second time; its saved "
                "tensors were freed by the first backward. Pass retain_graph=True to the first."
            )
        tensors = []
        for owner, array, version in self._saved:
            if type(owner) is weakref.ref:
                owner = owner()
            if owner is None:
                tensors.append(_wrap(array))
                continue
            if owner._version[0] != version:
                raise GradError(
                    f"{self.name}: a tensor of shape {owner.shape} saved for backward was "
                    f"modified in place (version {version} when saved, now {owner._version[0]})"
                )
            tensors.append(owner)
        return tuple(tensors)

    def release(self):
        """Free everything backward needed (saved arrays, inputs, options); a second backward
        through this node then raises."""
        self.__dict__.clear()
        self._saved = None

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _shapes(tensors):
    return ", ".join(str(t.shape) for t in tensors)


def _dtypes(tensors):
    return ", ".join(str(t.dtype) for t in tensors)


def _check_finite(name, phase, out, sources):
    """Raise if ``out`` has NaN/Inf while every source array is finite."""
    if not _is_finite(out):
        if all(_is_finite(s) for s in sources if s is not None):
            raise AnomalyError(f"{name}: {phase} produced NaN or Inf from finite inputs")


def _is_finite(array):
    return not np.issubdtype(array.dtype, np.inexact) or bool(np.isfinite(array).all())


from minigrad.tensor import _wrap  # noqa: E402  (Tensor's methods call Functions)
