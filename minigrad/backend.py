"""Which implementation of the kernels runs: ``"numba"`` (default) or ``"numpy"``.

The NumPy references are the readable specification; the Numba versions compute the same
numbers faster. Choose with ``minigrad.backend.use("numpy")`` or the environment variable
``MINIGRAD_BACKEND``.
"""

import os
from contextlib import contextmanager

from minigrad.errors import RangeError

NAMES = ("numba", "numpy")
current = os.environ.get("MINIGRAD_BACKEND", "numba").lower()
if current not in NAMES:
    raise RangeError(f"MINIGRAD_BACKEND={current!r}: expected one of {NAMES}")


def use(name: str) -> None:
    """Select the kernel backend for all following ops."""
    global current
    if name not in NAMES:
        raise RangeError(f"backend.use: unknown backend {name!r}; expected one of {NAMES}")
    current = name


def get() -> str:
    """The name of the current backend."""
    return current


@contextmanager
def using(name: str):
    """Run a block with another backend, then restore the previous one."""
    previous = current
    use(name)
    try:
        yield
    finally:
        use(previous)
