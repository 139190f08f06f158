"""Global switches of the autograd engine: grad mode and anomaly detection."""

from contextlib import ContextDecorator

_state = {"enabled": True, "anomaly": False}


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward."""
    return _state["enabled"]


def is_anomaly_enabled() -> bool:
    return _state["anomaly"]


class set_grad_enabled(ContextDecorator):
    """Context manager and decorator that sets grad mode on or off for a block."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous = _state["enabled"]
        _state["enabled"] = self.mode

    def __exit__(self, *exc):
        _state["enabled"] = self.previous
        return False


class no_grad(set_grad_enabled):
    """Ops inside the block record no graph (evaluation, optimizer updates)."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turn recording back on inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)


class detect_anomaly(ContextDecorator):
    """The first op whose forward or backward turns finite inputs into NaN or Inf raises
    ``AnomalyError`` naming the op, instead of letting NaN spread silently."""

    def __enter__(self):
        self.previous = _state["anomaly"]
        _state["anomaly"] = True

    def __exit__(self, *exc):
        _state["anomaly"] = self.previous
        return False
