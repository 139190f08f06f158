"""The one random generator behind every random number minigrad draws.

Initialization, dropout masks, ``rand``/``randn`` and data shuffling all draw from it, so
``manual_seed(s)`` fixes a whole run. Like PyTorch, it starts from a fixed seed.
"""

import numpy as np

from minigrad.errors import DTypeError

DEFAULT_SEED = 67280421310721  # PyTorch's default seed
_generator = None  # made on first use: numpy.random takes a while to import


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise DTypeError(f"manual_seed: seed must be an integer, got {type(seed).__name__}")
    _generator = np.random.Generator(np.random.PCG64(int(seed)))
    return _generator


def generator() -> np.random.Generator:
    """The global generator (changes identity after ``manual_seed``)."""
    return _generator if _generator is not None else manual_seed(DEFAULT_SEED)


def get_rng_state() -> dict:
    """The generator's state: a JSON-serializable dict."""
    return generator().bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``."""
    generator().bit_generator.state = state
