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


# -- exercises: `pytest --exercise adam [--impl my_adam.py]` (see minigrad.exercises) ----------

def pytest_addoption(parser):
    group = parser.getgroup("minigrad exercises")
    group.addoption("--exercise", default=None,
                    help="run only this exercise's tests (those marked ex_<name>)")
    group.addoption("--impl", default=None,
                    help="a file defining the exercise's target function, swapped in for "
                         "minigrad's own while the tests run")


def pytest_configure(config):
    from minigrad.exercises import EXERCISES, install

    for name, exercise in EXERCISES.items():
        config.addinivalue_line("markers", f"ex_{name}: tests of the exercise {name} "
                                           f"({exercise.where})")
    name, impl = config.getoption("--exercise"), config.getoption("--impl")
    if impl is not None:
        if name is None:
            raise pytest.UsageError("--impl needs --exercise NAME")
        config._exercise_restore = install(name, impl)  # undone in pytest_unconfigure


def pytest_unconfigure(config):
    restore = getattr(config, "_exercise_restore", None)
    if restore is not None:
        restore()


def pytest_collection_modifyitems(config, items):
    name = config.getoption("--exercise")
    if name is None:
        return
    keep = [item for item in items if item.get_closest_marker(f"ex_{name}")]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep
