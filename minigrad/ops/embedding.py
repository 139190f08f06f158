"""embedding: look up rows of a weight table by integer index.

    y[..., :] = W[index[...], :]
    ∂L/∂W[v] = Σ over the positions k with index[k] = v of ∂L/∂y[k]     (a scatter-add)

The row ``padding_idx`` gets no gradient (it stays as initialized, usually zeros). The
scatter-add is an op of its own whose backward is the lookup again, so derivatives of any
order work.
"""

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import DTypeError, OutOfBoundsError, RangeError, ShapeError
from minigrad.kernels.scatter import index_add_rows
from minigrad.tensor import Tensor


class Embedding(Function):
    """y = W[index];  backward: scatter-add the rows of ∂L/∂y into ∂L/∂W."""

    def forward(self, weight, index, padding_idx):
        self.index, self.padding_idx, self.num_embeddings = index, padding_idx, weight.shape[0]
        return weight[index]

    def backward(self, gy):
        return EmbeddingBackward.apply(gy, index=self.index, num_embeddings=self.num_embeddings,
                                       padding_idx=self.padding_idx)


class EmbeddingBackward(Function):
    """gW = zeros, gW[index[k]] += g[k], gW[padding_idx] = 0;  backward: g'[k] = gW'[index[k]]
    (0 where index[k] = padding_idx)."""

    def forward(self, g, index, num_embeddings, padding_idx):
        self.index, self.padding_idx = index, padding_idx
        dim = g.shape[-1]
        gw = np.zeros((num_embeddings, dim), dtype=g.dtype)
        index_add_rows(gw, index.ravel(), np.ascontiguousarray(g).reshape(-1, dim))
        if padding_idx is not None:
            gw[padding_idx] = 0
        return gw

    def backward(self, g_gw):
        rows = Embedding.apply(g_gw, index=self.index, padding_idx=self.padding_idx)
        if self.padding_idx is None:
            return rows
        return rows * (self.index != self.padding_idx)[..., None].astype(g_gw.dtype)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer tensor
    ``input`` of any shape; the result has shape input.shape + (embedding_dim,)."""
    index = input.data if isinstance(input, Tensor) else np.asarray(input)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    if not np.issubdtype(index.dtype, np.integer):
        raise DTypeError(f"embedding: indices must be an integer tensor, got {index.dtype}")
    num_embeddings = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= num_embeddings):
        bad = int(index.min()) if index.min() < 0 else int(index.max())
        raise OutOfBoundsError(f"embedding: index {bad} is out of range for a vocabulary of "
                               f"{num_embeddings} embeddings (valid: 0 to {num_embeddings - 1};"
                               f" input shape {index.shape})")
    padding_idx = normalize_padding_idx(padding_idx, num_embeddings, "embedding")
    return Embedding.apply(weight, index=index.astype(np.int64, copy=False),
                           padding_idx=padding_idx)


def normalize_padding_idx(padding_idx: int | None, num_embeddings: int, op: str) -> int | None:
    """``padding_idx`` in [0, num_embeddings); a negative one counts from the end, as PyTorch."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise RangeError(f"{op}: padding_idx {padding_idx} must be within num_embeddings "
                         f"{num_embeddings}")
    return padding_idx % num_embeddings
