"""Every op PyTorch also has gives PyTorch's values, dtypes, shapes and gradients, to 1e-10 in
float64: one lambda runs on both libraries (see ``helpers.check_like_torch``)."""

import numpy as np
import pytest
from helpers import check_like_torch

pytest.importorskip("torch")

INDEX = np.array([0, 2, 0, 0, 1])            # repeats: the backward must add, not overwrite
INDEX_2D = np.array([[0, 2], [2, 2]])
COLUMNS = np.array([3, 0, 3])
MASK = np.random.default_rng(1).uniform(size=(3, 4)) > 0.5
ROW_MASK = np.array([True, False, True])
COND = np.random.default_rng(2).uniform(size=(3, 4)) > 0.5

# name: (lambda(lib, *tensors), input specs, extra keyword arguments of check_like_torch)
CASES = {
    # arithmetic with broadcasting and Python scalars
    "add broadcast row": (lambda lib, x, y: x + y, [(3, 4), (4,)], {}),
    "add broadcast both ways": (lambda lib, x, y: x + y, [(2, 1, 4), (3, 1)], {}),
    "sub size-1 dims": (lambda lib, x, y: x - y, [(3, 1), (1, 4)], {}),
    "mul broadcast 3d": (lambda lib, x, y: x * y, [(2, 3, 4), (3, 1)], {}),
    "div broadcast": (lambda lib, x, y: x / y, [(3, 4), (4,)], {"low": 0.5}),
    "scalar ops": (lambda lib, x: (2.5 - x) * 3 + x / 4 - 1.5 / x, [(3, 4)], {"low": 0.5}),
    "neg": (lambda lib, x: -x, [(3, 4)], {}),
    "pow integer exponent": (lambda lib, x: x ** 3, [(3, 4)], {}),
    "pow float exponent": (lambda lib, x: x ** 0.7, [(3, 4)], {"low": 0.5}),
    "pow tensor exponent": (lambda lib, x, y: x ** y, [(3, 4), (4,)], {"low": 0.5}),
    "scalar base pow": (lambda lib, x: 2.0 ** x, [(3, 4)], {}),
    "pow method": (lambda lib, x: lib.pow(x, 2.5), [(5,)], {"low": 0.5}),
    # matmul: vectors, matrices, broadcast batches
    "matmul matrix matrix": (lambda lib, a, b: a @ b, [(3, 4), (4, 5)], {}),
    "matmul vector matrix": (lambda lib, a, b: a @ b, [(4,), (4, 5)], {}),
    "matmul matrix vector": (lambda lib, a, b: a @ b, [(3, 4), (4,)], {}),
    "matmul vector vector": (lambda lib, a, b: a @ b, [(4,), (4,)], {}),
    "matmul batch matrix": (lambda lib, a, b: a @ b, [(2, 3, 4), (4, 5)], {}),
    "matmul matrix batch": (lambda lib, a, b: lib.matmul(a, b), [(3, 4), (2, 4, 5)], {}),
    "matmul broadcast batches": (lambda lib, a, b: a @ b, [(1, 3, 4), (2, 4, 5)], {}),
    "matmul vector batch": (lambda lib, a, b: a @ b, [(4,), (2, 4, 5)], {}),
    "matmul batch vector": (lambda lib, a, b: a @ b, [(2, 3, 4), (4,)], {}),
    "matmul transposed operand": (lambda lib, a, b: a.T @ b, [(4, 3), (4, 5)], {}),
    # elementwise functions
    "exp": (lambda lib, x: x.exp(), [(3, 4)], {}),
    "log": (lambda lib, x: lib.log(x), [(3, 4)], {"low": 0.1}),
    "sqrt": (lambda lib, x: x.sqrt(), [(3, 4)], {"low": 0.1}),
    "abs": (lambda lib, x: x.abs(), [(3, 4)], {}),
    "sign": (lambda lib, x: x.sign() * x, [(3, 4)], {}),
    "tanh": (lambda lib, x: lib.tanh(x), [(3, 4)], {}),
    "sigmoid": (lambda lib, x: x.sigmoid(), [(3, 4)], {"low": -20, "high": 20}),
    "relu": (lambda lib, x: x.relu(), [(3, 4)], {}),
    "clamp both": (lambda lib, x: x.clamp(-0.5, 0.7), [(3, 4)], {}),
    "clamp min only": (lambda lib, x: lib.clamp(x, min=0.3), [(3, 4)], {}),
    "clamp max only": (lambda lib, x: x.clamp(max=-0.2), [(3, 4)], {}),
    "where": (lambda lib, c, x, y: lib.where(c, x, y), [COND, (3, 4), (3, 4)], {}),
    "where broadcast": (lambda lib, c, x, y: lib.where(c, x, y), [COND, (4,), (3, 1)], {}),
    "maximum broadcast": (lambda lib, x, y: lib.maximum(x, y), [(3, 4), (4,)], {}),
    "minimum broadcast": (lambda lib, x, y: lib.minimum(x, y), [(3, 1), (4,)], {}),
    # reductions
    "sum all": (lambda lib, x: x.sum(), [(2, 3, 4)], {}),
    "sum dim": (lambda lib, x: x.sum(1), [(2, 3, 4)], {}),
    "sum negative dim keepdim": (lambda lib, x: x.sum(-1, keepdim=True), [(2, 3, 4)], {}),
    "sum dims tuple": (lambda lib, x: lib.sum(x, (0, 2)), [(2, 3, 4)], {}),
    "mean all": (lambda lib, x: x.mean(), [(2, 3, 4)], {}),
    "mean dim keepdim": (lambda lib, x: x.mean(dim=0, keepdim=True), [(2, 3, 4)], {}),
    "mean dims tuple": (lambda lib, x: lib.mean(x, (-1, 0)), [(2, 3, 4)], {}),
    "var all unbiased": (lambda lib, x: x.var(), [(3, 4)], {}),
    "var dim biased": (lambda lib, x: x.var(1, unbiased=False), [(3, 4)], {}),
    "var correction 0 keepdim": (lambda lib, x: x.var(0, keepdim=True, correction=0),
                                 [(3, 4)], {}),
    "var correction 2": (lambda lib, x: lib.var(x, -1, correction=2), [(3, 5)], {}),
    "std all": (lambda lib, x: x.std(), [(3, 4)], {}),
    "std dim biased keepdim": (lambda lib, x: x.std(0, unbiased=False, keepdim=True),
                               [(3, 4)], {}),
    "std correction 0": (lambda lib, x: lib.std(x, 1, correction=0), [(3, 4)], {}),
    "max all": (lambda lib, x: x.max(), [(3, 4)], {}),
    "min all": (lambda lib, x: lib.min(x), [(3, 4)], {}),
    "max along dim": (lambda lib, x: x.max(1), [(3, 4)], {}),
    "max along dim keepdim": (lambda lib, x: x.max(dim=0, keepdim=True), [(3, 4)], {}),
    "min along negative dim": (lambda lib, x: lib.min(x, -1), [(2, 3, 4)], {}),
    "max of two tensors": (lambda lib, x, y: lib.max(x, y), [(3, 4), (4,)], {}),
    "amax dims": (lambda lib, x: x.amax((0, 2)), [(2, 3, 4)], {}),
    "amin dim keepdim": (lambda lib, x: lib.amin(x, 1, keepdim=True), [(2, 3, 4)], {}),
    "argmax all": (lambda lib, x: x.argmax(), [(3, 4)], {}),
    "argmax dim": (lambda lib, x: x.argmax(1), [(3, 4)], {}),
    "argmin dim keepdim": (lambda lib, x: lib.argmin(x, 0, keepdim=True), [(3, 4)], {}),
    "logsumexp": (lambda lib, x: x.logsumexp(1), [(3, 4)], {"low": -50, "high": 50}),
    "logsumexp keepdim": (lambda lib, x: lib.logsumexp(x, -1, keepdim=True), [(2, 3, 4)], {}),
    "softmax": (lambda lib, x: x.softmax(-1), [(3, 4)], {"low": -30, "high": 30}),
    "softmax dim 0": (lambda lib, x: lib.softmax(x, 0), [(3, 4)], {}),
    "log_softmax": (lambda lib, x: x.log_softmax(1), [(3, 4)], {"low": -30, "high": 30}),
    "log_softmax 3d": (lambda lib, x: lib.log_softmax(x, 1), [(2, 3, 4)], {}),
    # shapes
    "reshape": (lambda lib, x: x.reshape(4, 6) * 1, [(2, 3, 4)], {}),
    "reshape tuple with -1": (lambda lib, x: lib.reshape(x, (-1, 4)), [(2, 3, 4)], {}),
    "view": (lambda lib, x: x.view(6, 4), [(2, 3, 4)], {}),
    "flatten": (lambda lib, x: x.flatten(), [(2, 3, 4)], {}),
    "flatten from dim 1": (lambda lib, x: lib.flatten(x, 1), [(2, 3, 4)], {}),
    "flatten middle": (lambda lib, x: x.flatten(0, 1), [(2, 3, 4)], {}),
    "transpose": (lambda lib, x: x.transpose(0, 2), [(2, 3, 4)], {}),
    "transpose negative dims": (lambda lib, x: lib.transpose(x, -1, -2), [(2, 3, 4)], {}),
    "permute": (lambda lib, x: x.permute(2, 0, 1), [(2, 3, 4)], {}),
    "permute tuple": (lambda lib, x: lib.permute(x, (1, 2, 0)), [(2, 3, 4)], {}),
    "T": (lambda lib, x: x.T, [(3, 4)], {}),
    "squeeze all": (lambda lib, x: x.squeeze(), [(1, 3, 1, 4)], {}),
    "squeeze dim": (lambda lib, x: lib.squeeze(x, 2), [(1, 3, 1, 4)], {}),
    "squeeze non-unit dim": (lambda lib, x: x.squeeze(1) * 1, [(1, 3, 1, 4)], {}),
    "unsqueeze": (lambda lib, x: x.unsqueeze(1), [(3, 4)], {}),
    "unsqueeze negative": (lambda lib, x: lib.unsqueeze(x, -1), [(3, 4)], {}),
    "expand": (lambda lib, x: x.expand(2, 3, 4), [(3, 1)], {}),
    "expand -1": (lambda lib, x: x.expand(-1, 4), [(3, 1)], {}),
    "chunk": (lambda lib, x: x.chunk(3, 1), [(2, 7)], {}),
    "split sizes": (lambda lib, x: lib.split(x, [1, 4, 2], dim=-1), [(2, 7)], {}),
    "split size": (lambda lib, x: x.split(3), [(7, 2)], {}),
    "cat": (lambda lib, x, y: lib.cat([x, y]), [(2, 3), (4, 3)], {}),
    "cat dim 1": (lambda lib, x, y, z: lib.cat([x, y, z], dim=1), [(2, 3), (2, 1), (2, 2)], {}),
    "cat negative dim": (lambda lib, x, y: lib.cat((x, y), -1), [(2, 3, 1), (2, 3, 2)], {}),
    "cat same tensor twice": (lambda lib, x: lib.cat([x, x * 2]), [(2, 3)], {}),
    "stack": (lambda lib, x, y: lib.stack([x, y]), [(2, 3), (2, 3)], {}),
    "stack last dim": (lambda lib, x, y: lib.stack([x, y], dim=-1), [(2, 3), (2, 3)], {}),
    "stack middle dim": (lambda lib, x, y, z: lib.stack([x, y, z], 1), [(2, 3)] * 3, {}),
    # indexing
    "index int": (lambda lib, x: x[1], [(3, 4)], {}),
    "index negative int": (lambda lib, x: x[-1, -2], [(3, 4)], {}),
    "index slices": (lambda lib, x: x[:, 1:3], [(3, 4)], {}),
    "index step": (lambda lib, x: x[::2, 1::2], [(5, 4)], {}),
    "index None and Ellipsis": (lambda lib, x: x[..., None, 1], [(2, 3, 4)], {}),
    "index int array with repeats": (lambda lib, x, i: x[i], [(3, 4), INDEX], {}),
    "index int array 2d": (lambda lib, x, i: x[i], [(3, 4), INDEX_2D], {}),
    "index columns with repeats": (lambda lib, x, i: x[:, i], [(3, 4), COLUMNS], {}),
    "index two int arrays": (lambda lib, x, i, j: x[i, j], [(3, 4), INDEX[:3], COLUMNS], {}),
    "index list": (lambda lib, x: x[[2, 0, 2]], [(3, 4)], {}),
    "index boolean mask": (lambda lib, x, m: x[m], [(3, 4), MASK], {}),
    "index boolean rows": (lambda lib, x, m: x[m], [(3, 4), ROW_MASK], {}),
    "index mixed": (lambda lib, x, i: x[1:, i], [(3, 4), COLUMNS], {}),
    # einsum
    "einsum matmul": (lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [(3, 4), (4, 5)], {}),
    "einsum batched": (lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b),
                       [(2, 3, 4), (2, 4, 5)], {}),
    "einsum linear layer": (lambda lib, x, w: lib.einsum("bi,oi->bo", x, w),
                            [(5, 3), (2, 3)], {}),
    "einsum dot": (lambda lib, a, b: lib.einsum("i,i->", a, b), [(4,), (4,)], {}),
    "einsum outer": (lambda lib, a, b: lib.einsum("i,j->ij", a, b), [(3,), (4,)], {}),
    "einsum elementwise": (lambda lib, a, b: lib.einsum("ij,ij->ij", a, b), [(3, 4)] * 2, {}),
    "einsum summed letter": (lambda lib, a, b: lib.einsum("ijk,jl->il", a, b),
                             [(2, 3, 4), (3, 5)], {}),
    "einsum transpose": (lambda lib, a: lib.einsum("ij->ji", a), [(3, 4)], {}),
    "einsum column sums": (lambda lib, a: lib.einsum("ij->j", a), [(3, 4)], {}),
    "einsum implicit output": (lambda lib, a, b: lib.einsum("ij,jk", a, b), [(3, 4), (4, 5)], {}),
    # a composite: a graph that reuses its inputs many times
    "composite": (lambda lib, x, w: ((x @ w).tanh() * x.sum(1, keepdim=True)
                                     + (x @ w).sigmoid() / (1 + (x * x).sum())).mean(0),
                  [(5, 3), (3, 4)], {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_gives_torchs_values_and_gradients(name):
    fn, specs, options = CASES[name]
    check_like_torch(fn, *specs, **options)


def test_ties_in_max_share_the_gradient_as_torch_does():
    """Whole-tensor max/min (and amax) split the gradient evenly among tied elements."""
    tied = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]])
    check_like_torch(lambda lib, x: x.max(), tied)
    check_like_torch(lambda lib, x: x.amax(1), tied)
    check_like_torch(lambda lib, x: x.min(), -tied)


def test_ties_in_maximum_split_the_gradient_evenly_as_torch_does():
    a = np.array([1.0, 2.0, 3.0])
    check_like_torch(lambda lib, x, y: lib.maximum(x, y), a, a.copy())
    check_like_torch(lambda lib, x, y: lib.minimum(x, y), a, np.array([1.0, 0.0, 3.0]))


def test_kinks_take_torchs_one_sided_choice():
    """relu'(0) = 0, |x|'(0) = 0, clamp passes the gradient at its bounds, as PyTorch."""
    x = np.array([-1.0, 0.0, 0.5, 1.0])
    check_like_torch(lambda lib, x: x.relu(), x)
    check_like_torch(lambda lib, x: x.abs(), x)
    check_like_torch(lambda lib, x: x.clamp(0.0, 0.5), x)


def test_comparisons_give_boolean_tensors_like_torch():
    check_like_torch(lambda lib, x, y: [x > y, x <= y, x == y[1], x != y, x < 0.5, x >= 0],
                     (3, 4), (4,), grad=False)


def test_integer_exponents_and_pow_of_positive_bases_match_torch_at_zero():
    check_like_torch(lambda lib, x: x ** 2 + x ** 1, np.array([0.0, 1.0, -2.0]))


@pytest.mark.parametrize("fn", [lambda lib, x: x ** 0,
                                lambda lib, b: lib.pow(lib.zeros(2, dtype=b.dtype), b)],
                         ids=["x**0 at x = 0", "0**b"])
def test_pow_gradient_at_zero_is_torchs(fn):
    with np.errstate(divide="ignore", invalid="ignore"):
        check_like_torch(fn, np.array([0.0, 2.0]))


def test_where_with_two_scalars_works_like_torch():
    check_like_torch(lambda lib, c: lib.where(c, 1.0, 0.0), COND, grad=False)


@pytest.mark.parametrize("fn", [lambda lib, x: x.sum(0), lambda lib, x: x.mean(-1),
                                lambda lib, x: x.logsumexp(0), lambda lib, x: x.amax(0),
                                lambda lib, x: x.max(0)],
                         ids=["sum", "mean", "logsumexp", "amax", "max"])
def test_reductions_over_dim_0_of_a_0d_tensor_work_like_torch(fn):
    check_like_torch(fn, np.array(1.5))
