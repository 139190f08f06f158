"""The ``kernel`` decorator: a Numba function paired with its NumPy reference.

``import minigrad`` must not import Numba (that alone takes a third of a second), so the
decorated function is compiled only when it is first called with the Numba backend:
``numba.njit(cache=True)`` on a module-level function, which Numba caches on disk, so later
processes load the machine code instead of compiling again.

A call picks the implementation: the reference under the NumPy backend, for float16 (which
Numba does not compute in) and when the first argument is smaller than ``threshold`` elements
(a Numba call costs a few microseconds of dispatch, more than NumPy needs for a tiny array);
the compiled function otherwise.
"""

import functools
import os

import numpy as np

from minigrad import backend


HALF = np.dtype(np.float16)
prange = range  # kernels loop with ``prange``; it becomes numba.prange when they compile


class Kernel:
    """A Numba kernel and its NumPy reference, called with the same arguments."""

    def __init__(self, source, reference, parallel=False, threshold=0):
        self.source = source
        self.reference = reference
        self.parallel = parallel
        self.threshold = threshold
        self._compiled = None
        functools.update_wrapper(self, source)

    def __call__(self, *args):
        first = args[0]
        if backend.current == "numpy" or first.size < self.threshold or first.dtype == HALF:
            return self.reference(*args)  # (Numba does not compute in float16)
        return self.numba(*args)

    def numba(self, *args):
        """Always the compiled version (tests and benchmarks hold it against the reference)."""
        if self._compiled is None:
            # NumPy's BLAS threads and Numba's OpenMP threads share the cores; a thread that
            # spins long while waiting for work starves the others (a GEMM, then a parallel
            # kernel ran 20x slower), so OpenMP threads spin briefly and then sleep (unless the
            # user chose otherwise). A short spin keeps back-to-back kernels fast.
            os.environ.setdefault("GOMP_SPINCOUNT", "1000")
            import numba

            self.source.__globals__["prange"] = numba.prange
            self._compiled = numba.njit(cache=True, parallel=self.parallel)(self.source)
        return self._compiled(*args)

    def __repr__(self):
        return f"<kernel {self.source.__module__}.{self.source.__qualname__}>"


def kernel(reference, *, parallel=False, threshold=0):
    """Mark a Numba-compatible function as the fast twin of ``reference``."""
    return lambda source: Kernel(source, reference, parallel, threshold)
