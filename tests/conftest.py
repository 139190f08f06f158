"""Shared test set-up: hypothesis profiles, the shared helpers on the path, and a guard that
every test leaves minigrad's global switches (grad mode, anomaly mode, backend) as it found
them.

Hypothesis profiles: ``ci`` (the default: few examples, so the suite stays fast on two cores)
and ``thorough`` (many examples, for a local hunt): ``HYPOTHESIS_PROFILE=thorough pytest``.
"""

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# ``from helpers import ...`` works under pytest's importlib import mode too
sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def restore_global_switches():
    """A test that fails half-way through a ``no_grad`` block or a ``backend.use`` must not
    change the outcome of the tests after it."""
    from minigrad import backend
    from minigrad.autograd import grad_mode

    saved_state, saved_backend = dict(grad_mode._state), backend.get()
    yield
    grad_mode._state.update(saved_state)
    backend.use(saved_backend)


@pytest.fixture
def rng():
    """A seeded NumPy generator for test data (never minigrad's own generator)."""
    return np.random.default_rng(0)
