"""Embedding equals PyTorch's (float64, 1e-8) in output and weight gradient, with and without
padding_idx and with repeated indices; its init is N(0, 1) with a zero padding row; its
backward can be differentiated again; an index outside the vocabulary is refused clearly."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.kernels import scatter
from minigrad.nn.embedding import Embedding
from minigrad.ops.embedding import embedding

torch = pytest.importorskip("torch")
from torch_compare import check_module_like_torch  # noqa: E402


@pytest.fixture(params=["numpy", "numba"])
def kernels(request, monkeypatch):
    """Run the test once on the NumPy reference, once with the scatter-add kernel compiled."""
    monkeypatch.setattr(backend, "current", request.param)
    if request.param == "numba":
        monkeypatch.setattr(scatter.index_add_rows, "threshold", 0)
    return request.param


INDICES = np.array([[1, 7, 3, 7], [0, 9, 9, 9], [2, 7, 8, 1]])  # with repeats


@pytest.mark.parametrize("padding_idx", [None, 7, -1], ids=["no padding", "padding", "negative"])
def test_embedding_equals_torch(padding_idx, kernels):
    check_module_like_torch(Embedding(10, 5, padding_idx=padding_idx),
                            torch.nn.Embedding(10, 5, padding_idx=padding_idx), INDICES)


def test_any_index_shape_works_like_torch():
    check_module_like_torch(Embedding(10, 3), torch.nn.Embedding(10, 3), np.array(4))
    check_module_like_torch(Embedding(10, 3), torch.nn.Embedding(10, 3), INDICES[:, :, None])


def test_repeated_indices_add_their_gradients():
    layer = Embedding(4, 2)
    layer(mg.tensor([1, 1, 3, 1])).sum().backward()
    assert layer.weight.grad.tolist() == [[0, 0], [3, 3], [0, 0], [1, 1]], \
        f"gradient {layer.weight.grad.tolist()}"


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = Embedding(5, 3, padding_idx=2)
    assert not layer.weight.data[2].any(), f"padding row {layer.weight.data[2]}"
    layer(mg.tensor([2, 0, 2])).sum().backward()
    assert not layer.weight.grad.data[2].any() and layer.weight.grad.data[0].all()


def test_init_is_standard_normal():
    mg.manual_seed(0)
    values = Embedding(1000, 20).weight.data
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02, \
        f"mean {values.mean()}, std {values.std()}; expected N(0, 1)"


def test_from_pretrained_is_frozen_by_default():
    table = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    layer = Embedding.from_pretrained(table)
    assert not layer.weight.requires_grad and layer(mg.tensor([1])).tolist() == [[3.0, 4.0]]
    assert Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_gradients_match_finite_differences_to_second_order(rng, kernels):
    weight = mg.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    index = mg.tensor(np.array([[1, 2, 1], [5, 0, 1]]))
    assert gradcheck(lambda w: embedding(index, w), (weight,))
    # with padding the row's gradient is 0 by definition (not the numeric derivative), but the
    # backward itself is differentiated exactly
    assert gradgradcheck(lambda w: embedding(index, w, padding_idx=1) ** 2, (weight,))
    assert gradgradcheck(lambda w: embedding(index, w) ** 2, (weight,))


def test_repr_reads_like_torch():
    assert repr(Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [10, -1])
def test_index_out_of_range_names_the_index_and_the_vocabulary(bad):
    with pytest.raises(mg.OutOfBoundsError, match=rf"embedding: index {bad} is out of range for "
                                                  r"a vocabulary of 10 embeddings"):
        Embedding(10, 3)(mg.tensor([[0, bad]]))


def test_float_indices_are_refused():
    with pytest.raises(mg.DTypeError, match="embedding: indices must be an integer tensor"):
        Embedding(10, 3)(mg.tensor([1.0]))


def test_padding_idx_outside_the_vocabulary_is_refused():
    with pytest.raises(mg.RangeError, match="Embedding: padding_idx 5 must be within "
                                            "num_embeddings 5"):
        Embedding(5, 3, padding_idx=5)
