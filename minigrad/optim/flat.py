"""``FlatOptimizer``: the base of the methods that see all parameters as one vector θ.

Line searches, curvature pairs and Hessians are about θ as a whole, so L-BFGS, BFGS, Newton,
gradient descent with line search and the secant method concatenate the parameters (and
their gradients) into flat NumPy vectors, work on those, and write the result back in place.
They take a single param group, like PyTorch's LBFGS.
"""

import numpy as np

from minigrad.autograd.grad_mode import enable_grad
from minigrad.errors import RangeError, StateError
from minigrad.optim.optimizer import Optimizer


class FlatOptimizer(Optimizer):
    """One param group; helpers to read and write θ and ∇L as flat vectors."""

    def __init__(self, params, defaults: dict):
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise RangeError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups)")
        self._params = self.param_groups[0]["params"]

    @property
    def _state(self) -> dict:
        # the state belongs to all parameters; it is kept under the first, as PyTorch does
        return self.state[self._params[0]]

    def _numel(self) -> int:
        return sum(p.numel() for p in self._params)

    def _gather_flat_grad(self) -> np.ndarray:
        """∇L as one vector (zeros for parameters without a gradient); a new array."""
        return np.concatenate([np.zeros(p.numel(), p.dtype) if p.grad is None
                               else p.grad.data.reshape(-1) for p in self._params])

    def _clone_param(self) -> np.ndarray:
        """θ as one vector; a copy."""
        return np.concatenate([p.data.reshape(-1) for p in self._params])

    def _set_param(self, flat: np.ndarray) -> None:
        """θ ← flat, in place."""
        offset = 0
        for p in self._params:
            p.data[...] = flat[offset:offset + p.numel()].reshape(p.shape)
            offset += p.numel()

    def _add_grad(self, step_size: float, direction: np.ndarray) -> None:
        """θ ← θ + step_size · direction, in place."""
        offset = 0
        for p in self._params:
            p.data += step_size * direction[offset:offset + p.numel()].reshape(p.shape)
            offset += p.numel()

    def _loss_and_grad(self, closure) -> tuple:
        """Evaluate the closure: (loss tensor, loss as float, flat gradient).

        The closure may follow PyTorch's convention (``zero_grad()``, ``loss.backward()``,
        return the loss) or just return the loss: the gradients are cleared first, and if the
        closure left them empty, the loss is backpropagated here.
        """
        if closure is None:
            raise StateError(f"{type(self).__name__}.step needs a closure that re-evaluates "
                             "the loss: step(closure)")
        self.zero_grad()
        with enable_grad():
            loss = closure()
            if all(p.grad is None for p in self._params) and getattr(loss, "requires_grad",
                                                                     False):
                loss.backward()
        return loss, float(loss), self._gather_flat_grad()

    def _loss_at(self, closure, x: np.ndarray, t: float, d: np.ndarray) -> float:
        """L(x + t·d); θ is left at x."""
        self._add_grad(t, d)
        with enable_grad():
            loss = float(closure())
        self._set_param(x)
        return loss

    def _loss_and_grad_at(self, closure, x: np.ndarray, t: float, d: np.ndarray) -> tuple:
        """(L, ∇L) at x + t·d; θ is left at x."""
        self._add_grad(t, d)
        _, loss, grad = self._loss_and_grad(closure)
        self._set_param(x)
        return loss, grad
