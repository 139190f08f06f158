"""Global switches of the autograd engine: grad mode and anomaly detection."""

import copy
from contextlib import ContextDecorator

_state = {"enabled": True, "anomaly": False}


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward."""
    return _state["enabled"]


def is_anomaly_enabled() -> bool:
    return _state["anomaly"]


class _Switch(ContextDecorator):
    """Set ``_state[key]`` to ``mode`` inside a block (or a decorated function's call), then
    put back what was there. As a decorator, each call gets its own copy, so recursion and
    threads of calls restore correctly."""

    key = "enabled"

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous = _state[self.key]
        _state[self.key] = self.mode

    def __exit__(self, *exc):
        _state[self.key] = self.previous
        return False

    def _recreate_cm(self):
        return copy.copy(self)


class _FixedSwitch(_Switch):
    """A switch with a fixed mode, usable as ``@no_grad()`` and as bare ``@no_grad``."""

    fixed_mode = False

    def __new__(cls, func=None):
        switch = super().__new__(cls)
        if func is None:
            return switch
        switch.__init__()
        return switch(func)

    def __init__(self, func=None):
        super().__init__(self.fixed_mode)


class no_grad(_FixedSwitch):
    """Ops inside the block record no graph (evaluation, optimizer updates)."""

    fixed_mode = False


class enable_grad(_FixedSwitch):
    """Turn recording back on inside a ``no_grad`` block."""

    fixed_mode = True


class set_grad_enabled(_Switch):
    """``set_grad_enabled(False)`` switches grad mode off at once (until switched back), and as
    a context manager or decorator only for the block, as in PyTorch."""

    def __init__(self, mode: bool):
        super().__init__(mode)
        self.previous = _state["enabled"]
        _state["enabled"] = self.mode

    def __enter__(self):
        pass  # already switched by __init__

    def __call__(self, func):
        _state["enabled"] = self.previous  # as a decorator it acts only during calls
        return super().__call__(func)

    def _recreate_cm(self):
        return _Switch(self.mode)


class detect_anomaly(_Switch):
    """The first op whose forward or backward turns finite inputs into NaN or Inf raises
    ``AnomalyError`` naming the op, instead of letting NaN spread silently."""

    key = "anomaly"

    def __init__(self):
        super().__init__(True)
