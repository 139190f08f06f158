"""einsum: sums of products named by index letters, e.g. ``"ij,jk->ik"`` is a matmul.

The gradient of one operand is again an einsum: the output's gradient times the other
operands, summed to the operand's own letters. Letters that only this operand has (summed
away in the forward) get the gradient broadcast along them.
"""

import numpy as np

from minigrad.autograd.function import Function
from minigrad.errors import ShapeError


class Einsum(Function):
    def forward(self, *arrays, inputs, output):
        self.subscripts, self.output = inputs, output
        self.shapes = [a.shape for a in arrays]
        self.save_for_backward(*arrays)
        return np.einsum(f"{','.join(inputs)}->{output}", *arrays)

    def backward(self, gy):
        operands = self.saved_tensors
        grads = []
        for i, (sub, shape) in enumerate(zip(self.subscripts, self.shapes)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(s, t) for j, (s, t) in enumerate(zip(self.subscripts, operands)) if j != i]
            present = self.output + "".join(s for s, _ in others)
            reduced = "".join(c for c in sub if c in present)
            g = einsum(f"{','.join([self.output] + [s for s, _ in others])}->{reduced}",
                       gy, *[t for _, t in others])
            if reduced != sub:  # put back the letters summed away, as size-1 dims
                kept = [shape[k] if c in present else 1 for k, c in enumerate(sub)]
                g = g.reshape(kept).broadcast_to(shape)
            grads.append(g)
        return tuple(grads)


def einsum(equation: str, *operands):
    """``mg.einsum("ij,jk->ik", a, b)``; explicit or implicit output, no ellipsis."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise ShapeError(f"einsum: ellipsis is not supported ({equation!r})")
    lhs, _, output = equation.partition("->")
    inputs = lhs.split(",")
    if "->" not in equation:
        output = "".join(sorted(c for c in set(lhs) - {","} if lhs.count(c) == 1))
    if len(inputs) != len(operands):
        raise ShapeError(f"einsum: {equation!r} names {len(inputs)} operands, got {len(operands)}")
    for sub, t in zip(inputs, operands):
        if len(sub) != t.ndim:
            raise ShapeError(f"einsum: subscripts {sub!r} need {len(sub)} dims, "
                             f"got shape {t.shape}")
        if len(set(sub)) != len(sub):
            raise ShapeError(f"einsum: repeated index in {sub!r} (diagonals) is not supported")
    return Einsum.apply(*operands, inputs=inputs, output=output)
