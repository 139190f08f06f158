"""``Embedding``: a learnable lookup table, one row of ``embedding_dim`` numbers per index."""

import numpy as np

from minigrad import creation
from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import ShapeError
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.ops.embedding import embedding, normalize_padding_idx


class Embedding(Module):
    """y = weight[input]: an integer tensor of any shape → that shape + (embedding_dim,).

    weight (num_embeddings, embedding_dim) starts as N(0, 1) draws (PyTorch's default) with
    the row ``padding_idx`` set to zeros; that row gets no gradient, so it stays as it is.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 _weight=None, _freeze: bool = False, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = normalize_padding_idx(padding_idx, num_embeddings, "Embedding")
        if _weight is None:
            self.weight = Parameter(creation.empty(num_embeddings, embedding_dim,
                                                   dtype=dtype or np.float32),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ShapeError(f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True,
                        padding_idx: int | None = None) -> "Embedding":
        """An Embedding holding ``embeddings`` (a 2-D tensor), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, _weight=embeddings, _freeze=freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
