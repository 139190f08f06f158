"""The machine's limits, measured in the same run: float32 GEMM speed and memory bandwidth.

A training step cannot beat ``FLOPs / peak GEMM speed`` when matrix products dominate it, nor
``bytes moved / bandwidth`` when it only streams arrays (an optimizer update). These floors,
``limit_s`` in the results, say how far minigrad and PyTorch both are from the hardware.
"""

import time
from dataclasses import dataclass

import numpy as np


@dataclass
class Limits:
    gemm_flops: float  # float32 matrix-product FLOP/s through NumPy's BLAS
    bandwidth: float  # streaming bytes/s (the best of a NumPy copy and a parallel triad)

    def gemm_s(self, flops: float) -> float:
        """The time of ``flops`` floating-point operations at peak GEMM speed."""
        return flops / self.gemm_flops

    def stream_s(self, nbytes: float) -> float:
        """The time to move ``nbytes`` through memory at the measured bandwidth."""
        return nbytes / self.bandwidth


def measure(quick: bool = False) -> Limits:
    return Limits(gemm_flops=gemm_flops(1024 if quick else 2048),
                  bandwidth=max(copy_bandwidth(quick), triad_bandwidth(quick)))


def gemm_flops(n: int = 2048, repeats: int = 10) -> float:
    """FLOP/s of an n×n float32 product: 2n³ operations, the best of ``repeats``."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)  # warm-up: thread pool start, page faults
    return 2 * n**3 / _best_time(lambda: np.matmul(a, b, out=out), repeats)


def copy_bandwidth(quick: bool = False, repeats: int = 5) -> float:
    """Bytes/s of ``dst[:] = src`` (one read and one write per element), single-threaded."""
    src = np.ones(_stream_elements(quick), dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    return 2 * src.nbytes / _best_time(lambda: np.copyto(dst, src), repeats)


def triad_bandwidth(quick: bool = False, repeats: int = 5) -> float:
    """Bytes/s of the STREAM triad a = b + s·c (two reads, one write) on all pinned threads;
    0 without Numba (the NumPy copy then gives the bandwidth alone)."""
    try:
        import numba
    except ImportError:
        return 0.0
    global prange
    prange = numba.prange
    triad = numba.njit(parallel=True, cache=True)(_triad)
    n = _stream_elements(quick)
    a, b, c = (np.ones(n, dtype=np.float32) for _ in range(3))
    triad(a, b, c, np.float32(0.5))
    return 3 * a.nbytes / _best_time(lambda: triad(a, b, c, np.float32(0.5)), repeats)


prange = range  # numba.prange once the triad compiles (Numba is imported only when measuring)


def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def _stream_elements(quick):
    """Arrays far larger than any cache: 64 MB (quick) or 128 MB each."""
    return (1 << 24) if quick else (1 << 25)


def _best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
