"""Mixed precision: ``autocast`` runs matrix products in float16, ``GradScaler`` keeps the small
float16 gradients from underflowing.

    scaler = GradScaler()
    with autocast():                     # linear/conv compute in float16
        loss = loss_fn(model(x), y)      # losses and norms compute in float32
    scaler.scale(loss).backward()        # gradients of (loss · S) reach the float32 weights
    scaler.step(optimizer)               # unscale by 1/S; skip the step on inf/NaN
    scaler.update()                      # S halves after an overflow, doubles after
                                         # growth_interval clean steps

The master weights stay float32: inside ``autocast`` a layer casts its weights to float16 for
the product only, and the cast's backward returns their gradient in float32.
"""

from contextlib import ContextDecorator

import numpy as np

from minigrad.errors import DTypeError, RangeError, StateError
from minigrad.tensor import Tensor

_state = {"dtype": None}  # the autocast dtype, or None outside autocast


class autocast(ContextDecorator):
    """Context manager and decorator: matmul-heavy ops (linear, conv) run in ``dtype``."""

    def __init__(self, dtype=np.float16, enabled: bool = True):
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise DTypeError(f"autocast: dtype must be a floating dtype such as mg.float16, "
                             f"got {dtype!r}") from None
        if not np.issubdtype(self.dtype, np.floating):
            raise DTypeError(f"autocast: dtype must be a floating dtype, got {self.dtype}")
        self.enabled = enabled

    def __enter__(self):
        self.previous = _state["dtype"]
        _state["dtype"] = self.dtype if self.enabled else None
        return self

    def __exit__(self, *exc):
        _state["dtype"] = self.previous
        return False


def is_autocast_enabled() -> bool:
    return _state["dtype"] is not None


def get_autocast_dtype():
    """The dtype of the enclosing ``autocast``, or None outside."""
    return _state["dtype"]


def autocast_inputs(*tensors):
    """For op authors: the floating-point tensors among ``tensors`` cast to the autocast dtype
    (None and integer tensors pass as they are). The cast is an op, so gradients flow back in
    each tensor's own dtype."""
    dtype = _state["dtype"]
    if dtype is None:
        return tensors
    return tuple(t.to(dtype) if isinstance(t, Tensor) and t.dtype.kind == "f" else t
                 for t in tensors)


READY, UNSCALED, STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """Dynamic loss scaling, with PyTorch's rules.

    ``scale(loss)`` multiplies by S so small gradients survive float16; ``unscale_`` divides the
    gradients by S and checks them for inf/NaN; ``step`` skips the optimizer's step if any were
    found; ``update`` then multiplies S by ``backoff_factor`` after an overflow, or by
    ``growth_factor`` after ``growth_interval`` consecutive clean steps.
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True):
        if growth_factor <= 1.0:
            raise RangeError("GradScaler: the growth factor must be > 1.0.")
        if not 0 < backoff_factor < 1.0:
            raise RangeError("GradScaler: the backoff factor must be < 1.0.")
        if not isinstance(growth_interval, int) or growth_interval <= 0:
            raise RangeError("GradScaler: growth_interval must be a positive integer.")
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._per_optimizer = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """``outputs`` (a Tensor, or a list/tuple of them) times the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * Tensor._make(np.array(self._scale, dtype=np.float32))
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise DTypeError(f"GradScaler.scale: outputs must be a Tensor or an iterable of "
                         f"Tensors, got {type(outputs).__name__}")

    def _state_of(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": READY})

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and record
        whether any is inf or NaN. Call it before clipping gradients."""
        if not self._enabled:
            return
        state = self._state_of(optimizer)
        if state["stage"] == UNSCALED:
            raise StateError("GradScaler: unscale_() has already been called on this optimizer "
                             "since the last update().")
        if state["stage"] == STEPPED:
            raise StateError("GradScaler: unscale_() is being called after step().")
        inverse = np.float32(1.0 / self._scale)
        found_inf = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad.data
                if grad.dtype == np.float16:
                    raise DTypeError("GradScaler: attempting to unscale FP16 gradients; keep "
                                     "the parameters in float32 (autocast casts them per op)")
                found_inf = found_inf or not np.isfinite(grad).all()
                grad *= inverse
        state["found_inf"] = found_inf
        state["stage"] = UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` on unscaled gradients, unless they held inf/NaN (then the step
        is skipped and None returned)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise StateError("GradScaler: Closure use is not currently supported if GradScaler "
                             "is enabled.")
        state = self._state_of(optimizer)
        if state["stage"] == STEPPED:
            raise StateError("GradScaler: step() has already been called since the last "
                             "update().")
        if state["stage"] == READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Adjust the scale for the next iteration (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        else:
            checks = [s["found_inf"] for s in self._per_optimizer.values() if "found_inf" in s]
            if not checks:
                raise StateError("GradScaler: No inf checks were recorded prior to update().")
            self._update_scale(any(checks))
        self._per_optimizer = {}

    def _update_scale(self, found_inf):
        if found_inf:
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
            return
        self._growth_tracker += 1
        if self._growth_tracker == self._growth_interval:
            grown = float(np.float32(self._scale * self._growth_factor))
            if np.isfinite(grown):  # never grow past float32's range to inf
                self._scale = grown
            self._growth_tracker = 0

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """The scale and its schedule (empty when disabled), as PyTorch's keys."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise StateError("GradScaler: The source state dict is empty, possibly because it "
                             "was saved from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
