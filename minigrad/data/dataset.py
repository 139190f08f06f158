"""Datasets: anything with ``len(dataset)`` and ``dataset[i]``, as in PyTorch."""

import numbers

import numpy as np

from minigrad.creation import from_numpy
from minigrad.errors import OutOfBoundsError, RangeError, ShapeError
from minigrad.tensor import Tensor


class Dataset:
    """A map-style dataset: subclass it and define ``__getitem__(index)`` and ``__len__()``.

    ``dataset[i]`` returns one sample, usually a tuple ``(input, target)`` of Tensors, arrays
    or numbers; ``DataLoader`` stacks the samples of a batch field by field.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension:
    ``dataset[i] == (tensors[0][i], tensors[1][i], ...)``.

    Accepts Tensors or NumPy arrays (wrapped without a copy, keeping their dtype), so
    ``TensorDataset(X_train, y_train)`` works on the arrays of ``data.datasets``.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise RangeError("TensorDataset: needs at least one tensor")
        self.tensors = tuple(_as_tensor(t) for t in tensors)
        lengths = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [t.shape for t in self.tensors]
            raise ShapeError(f"TensorDataset: tensors must share their first dimension, "
                             f"got shapes {shapes}")

    def __getitem__(self, index):
        """One sample for an integer index; slices and index arrays give stacked rows."""
        if isinstance(index, numbers.Integral) and not -len(self) <= index < len(self):
            raise OutOfBoundsError(f"TensorDataset: index {index} out of range for "
                                   f"{len(self)} samples")
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def _as_tensor(value) -> Tensor:
    return value if isinstance(value, Tensor) else from_numpy(np.asarray(value))
