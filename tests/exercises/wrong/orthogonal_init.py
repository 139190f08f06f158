"""Wrong: forgets the gain."""

import numpy as np

from minigrad.nn.init import _fill, _rng


def orthogonal_(tensor, gain=1.0, generator=None):
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, q.reshape(tensor.shape))
