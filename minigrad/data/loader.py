"""``DataLoader``: a dataset cut into (optionally shuffled) mini-batches of Tensors."""

import numbers

import numpy as np

from minigrad.creation import from_numpy
from minigrad.data.dataset import TensorDataset
from minigrad.errors import RangeError, ShapeError, StateError
from minigrad.random import generator as global_generator
from minigrad.tensor import Tensor


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Each epoch (each ``iter(loader)``) visits every sample once: in order, or in a fresh random
    order when ``shuffle=True``. The order is drawn from minigrad's generator (so
    ``mg.manual_seed`` fixes it), or from the loader's own generator when ``seed`` is given (so
    the data order does not depend on how many random numbers the model drew). The last batch
    is smaller when ``batch_size`` does not divide ``len(dataset)``, unless ``drop_last=True``.

    A batch has the structure of a sample, each field stacked along a new first dimension:
    samples ``(x, y)`` give batches ``(X, Y)`` of Tensors. A ``TensorDataset`` is sliced with
    the batch's index array in one go instead of sample by sample.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) \
                or batch_size < 1:
            raise RangeError(f"DataLoader: batch_size must be a positive integer, "
                             f"got {batch_size!r}")
        if len(dataset) == 0:
            raise RangeError("DataLoader: the dataset is empty")
        if drop_last and len(dataset) < batch_size:
            raise RangeError(f"DataLoader: drop_last=True with batch_size={batch_size} larger "
                             f"than the dataset ({len(dataset)} samples) gives no batch at all")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._generator = None if seed is None else np.random.Generator(np.random.PCG64(seed))

    def __len__(self) -> int:
        """Batches per epoch: ⌊n / batch_size⌋ with ``drop_last``, else ⌈n / batch_size⌉."""
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (rest > 0 and not self.drop_last)

    def __iter__(self):
        order = self._epoch_order()
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._fetch(order[start:start + self.batch_size])

    def _epoch_order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        # Re-fetch the global generator at each epoch: manual_seed replaces it.
        generator = self._generator if self._generator is not None else global_generator()
        return generator.permutation(n)

    def _fetch(self, indices: np.ndarray):
        if isinstance(self.dataset, TensorDataset):
            return tuple(from_numpy(t.data[indices]) for t in self.dataset.tensors)
        return default_collate([self.dataset[int(i)] for i in indices])

    def state_dict(self) -> dict:
        """The private generator's state (empty without ``seed``: the global one is used)."""
        if self._generator is None:
            return {}
        return {"generator": self._generator.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        """Continue the shuffling sequence from a ``state_dict``."""
        if "generator" not in state:
            return
        if self._generator is None:
            raise StateError("DataLoader.load_state_dict: the state holds a generator but this "
                             "loader has no seed (it shuffles with minigrad's generator)")
        self._generator.bit_generator.state = state["generator"]


def default_collate(samples: list):
    """Stack samples into a batch: a tuple of fields stacked field by field, else one Tensor.

    Fields may be Tensors, arrays or numbers (ints become int64, floats float64, as PyTorch's
    default collate).
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_stack([sample[k] for sample in samples]) for k in range(len(first)))
    return _stack(samples)


def _stack(values: list) -> Tensor:
    arrays = [v.data if isinstance(v, Tensor) else np.asarray(v) for v in values]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ShapeError(f"DataLoader: samples of one batch must have equal shapes to be "
                         f"stacked, got {sorted(shapes)}")
    return from_numpy(np.stack(arrays))
