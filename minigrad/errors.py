"""minigrad's exceptions.

Each is also the built-in a Python user would catch (``ShapeError`` is a ``ValueError``, ...),
and its message names the op, the shapes or dtypes involved, and what was expected.
"""


class MinigradError(Exception):
    """Base class of every error minigrad raises on purpose."""


class ShapeError(MinigradError, ValueError):
    """Shapes that do not fit the op, e.g. ``matmul: shapes (2, 2) and (3,) do not align``."""


class DTypeError(MinigradError, TypeError):
    """A dtype the op does not accept."""


class RangeError(MinigradError, ValueError):
    """An argument outside its valid range (a probability above 1, a negative learning rate)."""


class OutOfBoundsError(MinigradError, IndexError):
    """An index or dimension outside the tensor."""


class GradError(MinigradError, RuntimeError):
    """Autograd misuse: a freed graph, an in-place change of a saved tensor, a missing grad."""


class StateError(MinigradError, RuntimeError):
    """An object used in the wrong state (e.g. a scheduler before its optimizer stepped)."""


class SerializationError(MinigradError, ValueError):
    """A file that is not a minigrad checkpoint, or one that is truncated or corrupt; or an
    object ``save`` cannot store."""


class GradcheckError(MinigradError, AssertionError):
    """An analytic gradient that disagrees with finite differences."""


class AnomalyError(GradError):
    """``detect_anomaly``: an op produced NaN or Inf."""
