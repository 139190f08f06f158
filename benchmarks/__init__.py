"""Benchmarks: minigrad's speed against PyTorch and against the machine's limits, and a race
of its optimizers against SciPy's.

    python -m benchmarks            # everything, writes benchmarks/results.md and results.json
    python -m benchmarks --quick    # the same cases, fewer steps and repetitions
    python -m benchmarks --only tiny_mlp_step race

This package imports nothing at import time: the command line pins the number of BLAS threads
through environment variables, which only works before NumPy is first imported.
"""
