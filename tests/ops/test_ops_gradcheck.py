"""Every op's backward agrees with finite differences (``mg.autograd.gradcheck``, float64,
random cotangent) on hypothesis-generated shapes: broadcasting, keepdim, negative dims,
size-1 dims, and non-contiguous (transposed, strided) inputs.

Inputs are kept away from the points where an op has no derivative (relu/abs/sign at 0,
clamp at its bounds, ties of max/min/maximum): the "distinct" values below sit on a grid
0.1 apart, offset by 0.05, so no two are equal and none is 0 or ±0.5.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import minigrad as mg
from minigrad.autograd import gradcheck, gradgradcheck

SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
SHAPES_0D = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
SEEDS = st.integers(0, 2**16)
LAYOUTS = st.sampled_from(["contiguous", "transposed", "strided"])


# -- input values -------------------------------------------------------------------------

def values(seed, shape, kind="any"):
    """float64 test values: "any" in (-2, 2), "positive" in (0.5, 2), "distinct" on the
    0.1-grid offset by 0.05 (pairwise distinct, away from 0 and ±0.5)."""
    rng = np.random.default_rng(seed)
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "distinct":
        n = int(np.prod(shape))
        return ((rng.permutation(n) - n // 2) * 0.1 + 0.05).reshape(shape)
    return rng.uniform(-2.0, 2.0, shape)


def leaf(array):
    return mg.tensor(array, requires_grad=True)


def stored(layout, shape):
    """The shape a leaf is stored with so that ``as_layout`` gives ``shape``."""
    if layout == "transposed":
        return tuple(reversed(shape))
    if layout == "strided":
        return shape[:-1] + (2 * shape[-1],) if shape else shape
    return shape


def as_layout(layout, x):
    """A non-contiguous view of the leaf for the op to work on (the leaf itself stays
    contiguous, so finite differences perturb the right element)."""
    if layout == "transposed":
        return x.T
    if layout == "strided" and x.ndim:
        return x[..., ::2]
    return x


def check(fn, *arrays):
    leaves = [leaf(a) for a in arrays]
    assert gradcheck(fn, leaves), \
        f"gradcheck failed for inputs of shapes {[a.shape for a in arrays]}"


def check_unary(op, shape, seed, layout, kind="any"):
    x = values(seed, stored(layout, shape), kind)
    check(lambda t: op(as_layout(layout, t)), x)


@st.composite
def shape_and_dims(draw, shapes=SHAPES):
    """A shape and a ``dim`` argument for it: None, one dim (maybe negative) or a tuple."""
    shape = draw(shapes)
    ndim = len(shape)
    if ndim == 0:  # a 0-d tensor takes dim 0 or -1, as in PyTorch
        return shape, draw(st.sampled_from([None, 0, -1, (0,)]))
    one = st.integers(-ndim, ndim - 1)
    many = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
        lambda dims: tuple(d - ndim if i % 2 else d for i, d in enumerate(dims)))
    return shape, draw(st.one_of(st.none(), one, many))


def reduced_count(shape, dims):
    """How many elements each output of a reduction over ``dims`` sums."""
    if not shape or dims is None:
        return int(np.prod(shape))
    return int(np.prod([shape[d] for d in ((dims,) if isinstance(dims, int) else dims)]))


# -- elementwise --------------------------------------------------------------------------

UNARY = {
    "neg": (lambda x: -x, "any"),
    "exp": (lambda x: x.exp(), "any"),
    "log": (lambda x: mg.log(x), "positive"),
    "sqrt": (lambda x: x.sqrt(), "positive"),
    "abs": (lambda x: x.abs(), "distinct"),
    "sign": (lambda x: x.sign() * x, "distinct"),
    "tanh": (lambda x: mg.tanh(x), "any"),
    "sigmoid": (lambda x: x.sigmoid(), "any"),
    "relu": (lambda x: mg.relu(x), "distinct"),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), "distinct"),
    "clamp min": (lambda x: mg.clamp(x, min=0.0), "distinct"),
    "pow scalar": (lambda x: x ** 2.5, "positive"),
    "pow integer": (lambda x: mg.pow(x, 3), "any"),
    "scalar pow": (lambda x: 1.7 ** x, "any"),
    "scalar arithmetic": (lambda x: (3 - x) * 2 + 1 / x - x / 4, "positive"),
    "clone": (lambda x: x.clone() * x, "any"),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(shape=SHAPES, seed=SEEDS, layout=LAYOUTS)
def test_elementwise_op_gradient_matches_finite_differences(name, shape, seed, layout):
    op, kind = UNARY[name]
    check_unary(op, shape, seed, layout, kind)


@pytest.mark.parametrize("name", list(UNARY))
def test_elementwise_op_gradient_matches_finite_differences_on_a_0d_tensor(name):
    op, kind = UNARY[name]
    check(op, values(3, (), kind))


BINARY = {
    "add": (lambda a, b: a + b, "any", "any"),
    "sub": (lambda a, b: a - b, "any", "any"),
    "mul": (lambda a, b: a * b, "any", "any"),
    "div": (lambda a, b: a / b, "any", "positive"),
    "pow": (lambda a, b: a ** b, "positive", "any"),
    "maximum": (lambda a, b: mg.maximum(a, b), "distinct", "distinct"),
    "minimum": (lambda a, b: mg.minimum(a, b), "distinct", "distinct"),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=SEEDS)
def test_broadcasting_binary_op_gradient_matches_finite_differences(name, shapes, seed):
    op, kind_a, kind_b = BINARY[name]
    shape_a, shape_b = shapes.input_shapes
    if kind_a == kind_b == "distinct":  # one grid for both, so no value of a equals one of b
        both = values(seed, (int(np.prod(shape_a)) + int(np.prod(shape_b)),), "distinct")
        a = both[:int(np.prod(shape_a))].reshape(shape_a)
        b = both[int(np.prod(shape_a)):].reshape(shape_b)
    else:
        a, b = values(seed, shape_a, kind_a), values(seed + 1, shape_b, kind_b)
    check(op, a, b)


@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       seed=SEEDS)
def test_where_gradient_matches_finite_differences_with_broadcast_condition(shapes, seed):
    shape_c, shape_a, shape_b = shapes.input_shapes
    condition = mg.tensor(np.random.default_rng(seed).uniform(size=shape_c) > 0.5)
    check(lambda a, b: mg.where(condition, a, b), values(seed, shape_a), values(seed + 1, shape_b))


# -- matmul and einsum --------------------------------------------------------------------

@given(batches=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       sizes=st.tuples(*[st.integers(1, 4)] * 3),
       vectors=st.sampled_from(["none", "left", "right", "both"]),
       transposed=st.booleans(), seed=SEEDS)
def test_matmul_gradient_matches_finite_differences(batches, sizes, vectors, transposed, seed):
    n, k, m = sizes
    batch_a, batch_b = batches.input_shapes
    shape_a = (k,) if vectors in ("left", "both") else batch_a + (n, k)
    shape_b = (k,) if vectors in ("right", "both") else batch_b + (k, m)
    if transposed and len(shape_a) >= 2:  # a stored transposed: the op sees a non-contiguous a
        a = values(seed, shape_a[:-2] + shape_a[:-3:-1])
        check(lambda a, b: a.mT @ b, a, values(seed + 1, shape_b))
    else:
        check(lambda a, b: mg.matmul(a, b), values(seed, shape_a), values(seed + 1, shape_b))


EINSUM = ["ij,jk->ik", "bij,bjk->bik", "bi,oi->bo", "i,i->", "i,j->ij", "ij,ij->ij",
          "ijk,jl->il", "ij->ji", "ij->j", "ij,jk", "ij,j->i"]


@pytest.mark.parametrize("equation", EINSUM)
@given(sizes=st.dictionaries(st.sampled_from("bijklo"), st.integers(1, 3), min_size=6),
       seed=SEEDS)
def test_einsum_gradient_matches_finite_differences(equation, sizes, seed):
    operands = equation.split("->")[0].split(",")
    arrays = [values(seed + i, tuple(sizes[c] for c in sub)) for i, sub in enumerate(operands)]
    check(lambda *xs: mg.einsum(equation, *xs), *arrays)


# -- reductions ---------------------------------------------------------------------------

@given(case=shape_and_dims(SHAPES_0D), keepdim=st.booleans(), seed=SEEDS,
       layout=LAYOUTS)
def test_sum_and_mean_gradients_match_finite_differences(case, keepdim, seed, layout):
    shape, dims = case
    check_unary(lambda x: x.sum(dims, keepdim=keepdim), shape, seed, layout)
    check_unary(lambda x: mg.mean(x, dims, keepdim), shape, seed, layout)


@given(case=shape_and_dims(SHAPES_0D), keepdim=st.booleans(),
       correction=st.sampled_from([0, 1, 2]),
       seed=SEEDS, layout=LAYOUTS)
def test_var_and_std_gradients_match_finite_differences(case, keepdim, correction, seed,
                                                        layout):
    shape, dims = case
    count = reduced_count(shape, dims)
    if count - correction <= 0:
        correction = 0
    check_unary(lambda x: x.var(dims, keepdim=keepdim, correction=correction), shape, seed,
                layout)
    if count >= 2:  # the std of one element is 0, where sqrt has no derivative
        check_unary(lambda x: mg.std(x, dims, keepdim=keepdim, correction=correction), shape,
                    seed, layout)


@given(case=shape_and_dims(SHAPES_0D), keepdim=st.booleans(), seed=SEEDS, layout=LAYOUTS)
def test_amax_and_amin_gradients_match_finite_differences(case, keepdim, seed, layout):
    shape, dims = case
    check_unary(lambda x: x.amax(dims, keepdim), shape, seed, layout, "distinct")
    check_unary(lambda x: mg.amin(x, dims, keepdim), shape, seed, layout, "distinct")


@given(shape=SHAPES, data=st.data(), keepdim=st.booleans(), seed=SEEDS, layout=LAYOUTS)
def test_max_and_min_along_a_dim_gradients_match_finite_differences(shape, data, keepdim,
                                                                    seed, layout):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    check_unary(lambda x: x.max(dim, keepdim).values, shape, seed, layout, "distinct")
    check_unary(lambda x: mg.min(x, dim, keepdim)[0], shape, seed, layout, "distinct")
    check_unary(lambda x: x.max(), shape, seed, layout, "distinct")
    check_unary(lambda x: mg.min(x), shape, seed, layout, "distinct")


@given(shape=SHAPES, data=st.data(), keepdim=st.booleans(), seed=SEEDS, layout=LAYOUTS)
def test_softmax_family_gradients_match_finite_differences(shape, data, keepdim, seed, layout):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    check_unary(lambda x: x.softmax(dim), shape, seed, layout)
    check_unary(lambda x: mg.log_softmax(x, dim), shape, seed, layout)
    check_unary(lambda x: x.logsumexp(dim, keepdim), shape, seed, layout)


# -- shapes and indexing ------------------------------------------------------------------

@given(shape=SHAPES, data=st.data(), seed=SEEDS, layout=LAYOUTS)
def test_shape_ops_gradients_match_finite_differences(shape, data, seed, layout):
    ndim = len(shape)
    dim = st.integers(-ndim, ndim - 1)
    d0, d1 = data.draw(dim, label="dim0"), data.draw(dim, label="dim1")
    order = data.draw(st.permutations(range(ndim)), label="permutation")
    start = data.draw(st.integers(0, ndim - 1), label="start_dim")
    end = data.draw(st.integers(start, ndim - 1), label="end_dim")
    new = data.draw(st.integers(-ndim - 1, ndim), label="unsqueeze dim")
    ops = [
        lambda x: x.reshape(-1) * 1,
        lambda x: x.reshape(tuple(reversed(x.shape))),
        lambda x: x.flatten(start, end),
        lambda x: x.transpose(d0, d1),
        lambda x: x.permute(*order),
        lambda x: x.T,
        lambda x: x.unsqueeze(new),
        lambda x: x.squeeze(),
        lambda x: x.squeeze(d0),
        lambda x: x.unsqueeze(0).expand(2, *x.shape),
    ]
    for op in ops:
        check_unary(op, shape, seed, layout)


@given(shape=SHAPES, data=st.data(), seed=SEEDS)
def test_expand_of_size_1_dims_gradient_matches_finite_differences(shape, data, seed):
    ones = data.draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    small = tuple(1 if one else n for one, n in zip(ones, shape))
    check(lambda x: x.expand(3, *shape), values(seed, small))


@st.composite
def basic_indices(draw, shape):
    """An index of ints, slices (with steps), None and Ellipsis for ``shape``."""
    parts = []
    for n in shape:
        parts.append(draw(st.one_of(
            st.integers(-n, n - 1),
            st.builds(slice, st.one_of(st.none(), st.integers(-n, n)),
                      st.one_of(st.none(), st.integers(-n, n)),
                      st.one_of(st.none(), st.integers(1, 3))))))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), None)
    if draw(st.booleans()) and parts:
        parts = [Ellipsis] + parts[draw(st.integers(1, len(parts))):]
    return tuple(parts)


@given(shape=SHAPES, data=st.data(), seed=SEEDS, layout=LAYOUTS)
def test_basic_indexing_gradient_matches_finite_differences(shape, data, seed, layout):
    index = data.draw(basic_indices(shape), label="index")
    check_unary(lambda x: x[index] * 1, shape, seed, layout)


@given(shape=SHAPES, data=st.data(), seed=SEEDS, layout=LAYOUTS)
def test_integer_array_indexing_with_repeats_adds_up_the_gradients(shape, data, seed, layout):
    n = shape[0]
    rows = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6), label="rows")
    index = mg.tensor(np.array(rows))
    check_unary(lambda x: x[index], shape, seed, layout)
    if len(shape) > 1:
        cols = data.draw(st.lists(st.integers(0, shape[-1] - 1), min_size=1, max_size=5))
        check_unary(lambda x: x[..., cols], shape, seed, layout)
        paired = mg.tensor(np.array(rows) % shape[-1])
        check_unary(lambda x: x[index, ..., paired], shape, seed, layout)


@given(shape=SHAPES, seed=SEEDS, layout=LAYOUTS)
def test_boolean_mask_indexing_gradient_matches_finite_differences(shape, seed, layout):
    mask = mg.tensor(np.random.default_rng(seed).uniform(size=shape) > 0.4)
    rows = mg.tensor(np.random.default_rng(seed + 1).uniform(size=shape[:1]) > 0.4)
    check_unary(lambda x: x[mask] * 1, shape, seed, layout)
    check_unary(lambda x: x[rows] * 1, shape, seed, layout)


@given(shape=SHAPES, data=st.data(), count=st.integers(1, 3), seed=SEEDS)
def test_cat_and_stack_gradients_match_finite_differences(shape, data, count, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=count, max_size=count))
    axis = dim % len(shape)
    pieces = [values(seed + i, shape[:axis] + (s,) + shape[axis + 1:]) for i, s in enumerate(sizes)]
    check(lambda *xs: mg.cat(xs, dim), *pieces)
    new_dim = data.draw(st.integers(-len(shape) - 1, len(shape)), label="stack dim")
    same = [values(seed + i, shape) for i in range(count)]
    check(lambda *xs: mg.stack(list(xs), new_dim), *same)


@given(shape=SHAPES, data=st.data(), seed=SEEDS)
def test_chunk_and_split_gradients_match_finite_differences(shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    chunks = data.draw(st.integers(1, 4), label="chunks")

    def weighted(pieces):  # each piece weighted differently, so a mix-up shows
        return mg.cat([p * (i + 1) for i, p in enumerate(pieces)], dim)

    check_unary(lambda x: weighted(x.chunk(chunks, dim)), shape, seed, "contiguous")
    check_unary(lambda x: weighted(mg.split(x, chunks, dim)), shape, seed, "contiguous")


# -- second derivatives (the create_graph path) -------------------------------------------

SECOND_ORDER = {
    "exp": (lambda x: x.exp(), [(2, 3)], "any"),
    "log": (lambda x: x.log(), [(2, 3)], "positive"),
    "sqrt": (lambda x: x.sqrt(), [(2, 3)], "positive"),
    "tanh": (lambda x: x.tanh(), [(2, 3)], "any"),
    "sigmoid": (lambda x: x.sigmoid(), [(2, 3)], "any"),
    "relu": (lambda x: x.relu() * x, [(2, 3)], "distinct"),
    "abs": (lambda x: x.abs() * x, [(2, 3)], "distinct"),
    "clamp": (lambda x: x.clamp(-0.5, 0.5) * x, [(2, 3)], "distinct"),
    "pow": (lambda a, b: a ** b, [(2, 3), (3,)], "positive"),
    "mul div broadcast": (lambda a, b: a * b / (1 + b * b), [(2, 3), (3,)], "any"),
    "matmul": (lambda a, b: (a @ b) * (a @ b), [(2, 3), (3, 4)], "any"),
    "matmul vectors": (lambda a, b: (a @ b) ** 2, [(3,), (3, 2)], "any"),
    "einsum": (lambda a, b: mg.einsum("ij,jk->ik", a, b) ** 2, [(2, 3), (3, 2)], "any"),
    "softmax": (lambda x: x.softmax(1), [(2, 3)], "any"),
    "log_softmax": (lambda x: x.log_softmax(0), [(2, 3)], "any"),
    "logsumexp": (lambda x: x.logsumexp(1), [(2, 3)], "any"),
    "var std": (lambda x: x.var(0) + x.std(1), [(3, 3)], "any"),
    "sum mean": (lambda x: x.sum(0) ** 2 + x.mean() ** 3, [(2, 3)], "any"),
    "max amax": (lambda x: (x.max(1).values ** 2).sum() + (x.amax(0) ** 2).sum() + x.max() ** 2,
                 [(2, 3)], "distinct"),
    "maximum": (lambda a, b: mg.maximum(a, b) ** 2, [(2, 3), (3,)], "distinct"),
    "where": (lambda a, b: mg.where(a > 0, a * a, b * a), [(2, 3), (3,)], "distinct"),
    "indexing": (lambda x: (x[[0, 0, 1]] ** 2).sum(0) + (x[:, 1:] ** 3).sum(1).sum()
                 + (x[x > 0] ** 2).sum(), [(2, 3)], "distinct"),
    "cat stack": (lambda a, b: (mg.cat([a, b]) ** 2).sum(0)
                  + (mg.stack([a, b], 1) ** 3).sum((0, 1)),
                  [(2, 3), (2, 3)], "any"),
    "shapes": (lambda x: x.T.reshape(-1).unsqueeze(0).expand(2, 6) ** 2, [(2, 3)], "any"),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives_match_finite_differences_of_the_first(name):
    op, shapes, kind = SECOND_ORDER[name]
    leaves = [leaf(values(7 + i, s, kind)) for i, s in enumerate(shapes)]
    assert gradgradcheck(op, leaves), f"gradgradcheck failed for {name}"
