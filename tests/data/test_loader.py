"""DataLoader and datasets: coverage of every sample, batch shapes, order determinism, errors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, TensorDataset, default_collate


def make_dataset(n=10, features=3):
    X = np.arange(n * features, dtype=np.float32).reshape(n, features)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(X, y)


class SquaresDataset(Dataset):
    """A plain map-style dataset: sample i is (i as float32 array, i², a Python int)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return mg.tensor(np.full(2, index, np.float32)), np.int64(index * index), index


def epoch_labels(loader):
    return np.concatenate([y.numpy() for _, y in loader])


# -- coverage and batch shapes --------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 64])
def test_every_sample_appears_exactly_once_per_epoch(shuffle, batch_size):
    loader = DataLoader(make_dataset(10), batch_size=batch_size, shuffle=shuffle, seed=0)
    for epoch in range(2):
        labels = epoch_labels(loader)
        assert sorted(labels.tolist()) == list(range(10)), \
            f"epoch {epoch}, batch_size={batch_size}: labels seen {labels.tolist()}"


def test_last_batch_is_partial_without_drop_last():
    loader = DataLoader(make_dataset(10), batch_size=4)
    sizes = [X.shape[0] for X, _ in loader]
    assert sizes == [4, 4, 2], f"expected batch sizes [4, 4, 2], got {sizes}"
    assert len(loader) == 3


def test_drop_last_drops_the_partial_batch():
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True, shuffle=True, seed=3)
    sizes = [X.shape[0] for X, _ in loader]
    assert sizes == [4, 4], f"expected batch sizes [4, 4], got {sizes}"
    assert len(loader) == 2
    assert len(set(epoch_labels(loader).tolist())) == 8, "8 distinct samples per epoch"


def test_len_counts_batches_per_epoch():
    for n, batch_size, drop_last, expected in [(10, 5, False, 2), (10, 5, True, 2),
                                               (11, 5, False, 3), (11, 5, True, 2),
                                               (1, 7, False, 1)]:
        loader = DataLoader(make_dataset(n), batch_size=batch_size, drop_last=drop_last)
        assert len(loader) == expected == sum(1 for _ in loader), \
            f"n={n}, batch_size={batch_size}, drop_last={drop_last}"


def test_unshuffled_batches_follow_the_dataset_order():
    X, y = next(iter(DataLoader(make_dataset(10), batch_size=3)))
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2])
    np.testing.assert_array_equal(X.numpy(), np.arange(9, dtype=np.float32).reshape(3, 3))


def test_tensor_dataset_batches_are_tensors_with_the_arrays_dtypes():
    X, y = next(iter(DataLoader(make_dataset(10), batch_size=4)))
    assert isinstance(X, mg.Tensor) and isinstance(y, mg.Tensor)
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((4, 3), np.float32, (4,), np.int64)
    assert not X.requires_grad


def test_batches_do_not_share_memory_with_the_dataset():
    dataset = make_dataset(10)
    X, _ = next(iter(DataLoader(dataset, batch_size=4)))
    X.data[:] = -1
    assert dataset.tensors[0].data.min() == 0, "changing a batch changed the dataset"


def test_generic_dataset_samples_are_stacked_field_by_field():
    X, squares, indices = next(iter(DataLoader(SquaresDataset(5), batch_size=5)))
    assert X.shape == (5, 2) and X.dtype == np.float32
    np.testing.assert_array_equal(squares.numpy(), [0, 1, 4, 9, 16])
    assert indices.dtype == np.int64


def test_generic_and_tensor_dataset_paths_give_the_same_batches():
    class RowsDataset(Dataset):
        def __init__(self, inner):
            self.inner = inner

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, index):
            return self.inner[index]

    dataset = make_dataset(11)
    fast = DataLoader(dataset, batch_size=4, shuffle=True, seed=5)
    slow = DataLoader(RowsDataset(dataset), batch_size=4, shuffle=True, seed=5)
    for (X1, y1), (X2, y2) in zip(fast, slow):
        np.testing.assert_array_equal(X1.numpy(), X2.numpy())
        np.testing.assert_array_equal(y1.numpy(), y2.numpy())


def test_collate_of_single_values_gives_one_tensor():
    batch = default_collate([1.5, 2.5])
    assert isinstance(batch, mg.Tensor) and batch.dtype == np.float64


# -- order determinism ----------------------------------------------------------------------------


def test_seeded_loader_repeats_its_sequence_of_epoch_orders():
    first = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=7)
    second = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=7)
    orders = [epoch_labels(first) for _ in range(3)]
    assert all((epoch_labels(second) == order).all() for order in orders)
    assert not (orders[0] == orders[1]).all(), "consecutive epochs should be reshuffled"


def test_different_seeds_give_different_orders():
    a = epoch_labels(DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=1))
    b = epoch_labels(DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=2))
    assert not (a == b).all()


def test_seeded_loader_ignores_the_global_generator():
    loader = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=7)
    expected = epoch_labels(DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=7))
    mg.manual_seed(123)
    mg.randn(100)
    np.testing.assert_array_equal(epoch_labels(loader), expected)


def test_unseeded_loader_order_is_fixed_by_manual_seed():
    loader = DataLoader(make_dataset(20), batch_size=5, shuffle=True)
    mg.manual_seed(0)
    first = epoch_labels(loader)
    mg.manual_seed(0)
    again = epoch_labels(loader)
    mg.manual_seed(1)
    other = epoch_labels(loader)
    np.testing.assert_array_equal(first, again)
    assert not (first == other).all()


def test_unseeded_loader_draws_from_minigrads_generator_not_numpys():
    loader = DataLoader(make_dataset(20), batch_size=5, shuffle=True)
    mg.manual_seed(0)
    state = np.random.get_state()[1].copy()
    epoch_labels(loader)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    mg.manual_seed(0)
    np.testing.assert_array_equal(epoch_labels(loader),
                                  mg.random.manual_seed(0).permutation(20))


def test_state_dict_resumes_the_shuffling_sequence():
    loader = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=7)
    epoch_labels(loader)
    state = loader.state_dict()
    expected = epoch_labels(loader)
    resumed = DataLoader(make_dataset(20), batch_size=5, shuffle=True, seed=7)
    resumed.load_state_dict(state)
    np.testing.assert_array_equal(epoch_labels(resumed), expected)


def test_unseeded_loader_has_an_empty_state_and_refuses_a_generator_state():
    unseeded = DataLoader(make_dataset(4), shuffle=True)
    assert unseeded.state_dict() == {}
    seeded = DataLoader(make_dataset(4), shuffle=True, seed=0)
    with pytest.raises(mg.StateError, match="no seed"):
        unseeded.load_state_dict(seeded.state_dict())


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_batch_size_must_be_a_positive_integer(batch_size):
    with pytest.raises(mg.RangeError, match="DataLoader: batch_size"):
        DataLoader(make_dataset(4), batch_size=batch_size)


def test_empty_dataset_is_refused():
    empty = TensorDataset(np.zeros((0, 3)))
    with pytest.raises(mg.RangeError, match="DataLoader: the dataset is empty"):
        DataLoader(empty)


def test_drop_last_with_batch_larger_than_dataset_is_refused():
    with pytest.raises(mg.RangeError, match="no batch at all"):
        DataLoader(make_dataset(3), batch_size=4, drop_last=True)


def test_samples_of_different_shapes_cannot_be_stacked():
    with pytest.raises(mg.ShapeError, match=r"equal shapes.*\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_tensor_dataset_rejects_tensors_of_different_lengths():
    with pytest.raises(mg.ShapeError, match=r"first dimension.*\(3, 2\).*\(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))


def test_tensor_dataset_rejects_no_tensors_and_scalars():
    with pytest.raises(mg.RangeError):
        TensorDataset()
    with pytest.raises(mg.ShapeError):
        TensorDataset(np.float32(1.0))


def test_tensor_dataset_index_out_of_range():
    with pytest.raises(mg.OutOfBoundsError, match="index 10 out of range for 10"):
        make_dataset(10)[10]


def test_tensor_dataset_shares_memory_with_arrays_and_keeps_tensors():
    X = np.zeros((3, 2), np.float32)
    t = mg.tensor([1, 2, 3])
    dataset = TensorDataset(X, t)
    assert dataset.tensors[0].data is X or np.shares_memory(dataset.tensors[0].data, X)
    assert dataset.tensors[1] is t
    x0, y0 = dataset[0]
    assert x0.shape == (2,) and int(y0.item()) == 1


def test_tensor_dataset_slices_give_stacked_rows():
    X, y = make_dataset(10)[2:5]
    assert X.shape == (3, 3)
    np.testing.assert_array_equal(y.numpy(), [2, 3, 4])


def test_base_dataset_requires_getitem_and_len():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]
