"""The ``kernel`` decorator: a Numba function paired with its NumPy reference.

``import minigrad`` must not import Numba (that alone takes a third of a second), so the
decorated function is compiled only when it is first called with the Numba backend:
``numba.njit(cache=True)`` on a module-level function, which Numba caches on disk, so later
processes load the machine code instead of compiling again.

A call picks the implementation: the reference under the NumPy backend, for float16 (which
Numba does not compute in) and when the first argument is smaller than ``threshold`` elements
(a Numba call costs a few microseconds of dispatch, more than NumPy needs for a tiny array);
the compiled function otherwise. A parallel kernel may also name ``serial_below``: under that
many elements its loop runs compiled on one thread, because waking the thread pool costs more
than the loop (a ReLU backward of 1,600 elements: 1.8 µs serial, 4.4 µs parallel, 5 µs NumPy).
"""

import functools
import os
import types

import numpy as np

from minigrad import backend


HALF = np.dtype(np.float16)
prange = range  # kernels loop with ``prange``; it becomes numba.prange when they compile


class Kernel:
    """A Numba kernel and its NumPy reference, called with the same arguments."""

    def __init__(self, source, reference, parallel=False, threshold=0, serial_below=0):
        self.source = source
        self.reference = reference
        self.parallel = parallel
        self.threshold = threshold
        self.serial_below = serial_below
        self._compiled = {}  # parallel flag -> Numba dispatcher
        functools.update_wrapper(self, source)

    def __call__(self, *args):
        first = args[0]
        if backend.current == "numpy" or first.size < self.threshold or first.dtype == HALF:
            return self.reference(*args)  # (Numba does not compute in float16)
        parallel = self.parallel and first.size >= self.serial_below
        return (self._compiled.get(parallel) or self._compile(parallel))(*args)

    def numba(self, *args):
        """Always the compiled version (tests and benchmarks hold it against the reference)."""
        return self._compile(self.parallel)(*args)

    def serial(self, *args):
        """The compiled loop on one thread (the same as ``numba`` for a serial kernel)."""
        return self._compile(False)(*args)

    def _compile(self, parallel):
        """The Numba build (parallel or not), compiled or loaded from the cache on first use."""
        compiled = self._compiled.get(parallel)
        if compiled is None:
            # NumPy's BLAS threads and Numba's OpenMP threads share the cores; a thread that
            # spins long while waiting for work starves the others (a GEMM, then a parallel
            # kernel ran 20x slower), so OpenMP threads spin briefly and then sleep (unless the
            # user chose otherwise). A short spin keeps back-to-back kernels fast.
            os.environ.setdefault("GOMP_SPINCOUNT", "1000")
            import numba

            self.source.__globals__["prange"] = numba.prange
            source = self.source if parallel == self.parallel else _serial_twin(self.source)
            compiled = self._compiled[parallel] = numba.njit(cache=True, parallel=parallel)(source)
        return compiled

    def __repr__(self):
        return f"<kernel {self.source.__module__}.{self.source.__qualname__}>"


def _serial_twin(source):
    """The same code under another name. Numba's disk cache knows a function by its name and
    line, not by its compile options, so a serial and a parallel build of one function would
    load each other's machine code."""
    twin = types.FunctionType(source.__code__, source.__globals__, source.__name__ + "_serial",
                              source.__defaults__, source.__closure__)
    twin.__qualname__ = source.__qualname__ + "_serial"
    return twin


def kernel(reference, *, parallel=False, threshold=0, serial_below=0):
    """Mark a Numba-compatible function as the fast twin of ``reference``."""
    return lambda source: Kernel(source, reference, parallel, threshold, serial_below)
