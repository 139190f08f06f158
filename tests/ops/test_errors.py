"""Bad inputs raise minigrad's errors, which are also the built-in a Python user catches
(ShapeError is a ValueError, ...), and whose message names the op, the shapes and what was
expected. A user never sees a raw NumPy (or Numba) error."""

import re

import numpy as np
import pytest

import minigrad as mg


def ones(*shape):
    return mg.ones(*shape)


def leaf():
    return mg.ones(3, requires_grad=True)


def freed_graph_backward():
    y = (leaf() * 2).sum()
    y.backward()
    y.backward()


def saved_tensor_changed():
    a = mg.ones(3)
    y = (leaf() * a).sum()
    a += 1
    y.backward()


# (what, call, minigrad error, built-in it must also be, regex the message must match)
BAD_INPUTS = [
    ("matmul misaligned", lambda: ones(2, 2) @ ones(3), mg.ShapeError, ValueError,
     re.escape("matmul: shapes (2, 2) and (3,) do not align: 2 != 3")),
    ("matmul vectors misaligned", lambda: ones(3) @ ones(4), mg.ShapeError, ValueError,
     re.escape("matmul: shapes (3,) and (4,) do not align: 3 != 4")),
    ("matmul batch mismatch", lambda: ones(2, 3, 4) @ ones(5, 4, 2), mg.ShapeError, ValueError,
     r"matmul.*\(2, 3, 4\).*\(5, 4, 2\)"),
    ("matmul of a 0-d tensor", lambda: ones() @ ones(3), mg.ShapeError, ValueError,
     r"matmul: both operands need at least one dimension"),
    ("add broadcast failure", lambda: ones(2, 3) + ones(4), mg.ShapeError, ValueError,
     r"add: shapes \(2, 3\), \(4,\)"),
    ("mul broadcast failure", lambda: ones(2, 3) * ones(2), mg.ShapeError, ValueError,
     r"mul: shapes \(2, 3\), \(2,\)"),
    ("maximum broadcast failure", lambda: mg.maximum(ones(2), ones(3)), mg.ShapeError,
     ValueError, r"maximum: shapes \(2,\), \(3,\)"),
    ("where broadcast failure", lambda: mg.where(mg.tensor([True, False, True]), ones(2),
                                                 ones(2)), mg.ShapeError, ValueError, r"where"),
    ("reshape to the wrong size", lambda: ones(2, 3).reshape(4, 2), mg.ShapeError, ValueError,
     re.escape("reshape: cannot view a tensor of shape (2, 3) (6 elements) as shape (4, 2)")),
    ("reshape with two -1", lambda: ones(2, 3).reshape(-1, -1), mg.ShapeError, ValueError,
     r"reshape.*\(-1, -1\)"),
    ("view to the wrong size", lambda: ones(2, 3).view(7), mg.ShapeError, ValueError,
     r"\(2, 3\).*\(7,\)"),
    ("sum over a bad dim", lambda: ones(2, 3).sum(2), mg.OutOfBoundsError, IndexError,
     re.escape("sum: dim 2 out of range for a tensor with 2 dimensions (expected -2 <= dim < 2)")),
    ("mean over a bad negative dim", lambda: ones(2, 3).mean(-3), mg.OutOfBoundsError,
     IndexError, r"mean: dim -3 out of range"),
    ("softmax over a bad dim", lambda: ones(2, 3).softmax(5), mg.OutOfBoundsError, IndexError,
     r"softmax: dim 5"),
    ("max over a bad dim", lambda: ones(2, 3).max(4), mg.OutOfBoundsError, IndexError,
     r"max: dim 4"),
    ("var over a bad dim", lambda: ones(2).var(1), mg.OutOfBoundsError, IndexError, r"var: dim 1"),
    ("transpose a bad dim", lambda: ones(2, 3).transpose(0, 2), mg.OutOfBoundsError, IndexError,
     r"transpose: dim 2"),
    ("permute with a repeated dim", lambda: ones(2, 3).permute(0, 0), mg.ShapeError, ValueError,
     r"permute: \(0, 0\) is not a permutation.*\(2, 3\)"),
    ("unsqueeze a bad dim", lambda: ones(2, 3).unsqueeze(4), mg.OutOfBoundsError, IndexError,
     r"unsqueeze: dim 4"),
    ("squeeze a bad dim", lambda: ones(2, 3).squeeze(3), mg.OutOfBoundsError, IndexError,
     r"squeeze: dim 3"),
    ("flatten a bad dim", lambda: ones(2, 3).flatten(3), mg.OutOfBoundsError, IndexError,
     r"flatten: dim 3"),
    ("expand to an incompatible shape", lambda: ones(2, 3).expand(4, 3), mg.ShapeError,
     ValueError, r"\(2, 3\).*\(4, 3\)"),
    ("expand to fewer dims", lambda: ones(2, 3).expand(3), mg.ShapeError, ValueError, r"expand"),
    ("index out of bounds", lambda: ones(2, 3)[5], mg.OutOfBoundsError, IndexError,
     r"getitem: index 5 is out of bounds.*\(tensor shape \(2, 3\)\)"),
    ("column index out of bounds", lambda: ones(2, 3)[:, 3], mg.OutOfBoundsError, IndexError,
     r"index 3 is out of bounds for axis 1"),
    ("too many indices", lambda: ones(2, 3)[0, 0, 0], mg.OutOfBoundsError, IndexError,
     r"getitem: too many indices"),
    ("integer array index out of bounds", lambda: ones(2, 3)[mg.tensor([0, 7])],
     mg.OutOfBoundsError, IndexError, r"index 7 is out of bounds"),
    ("boolean mask of the wrong length", lambda: ones(2, 3)[mg.tensor([True, False, True])],
     mg.OutOfBoundsError, IndexError, r"boolean index did not match"),
    ("setitem out of bounds", lambda: ones(3).__setitem__(5, 1.0), mg.OutOfBoundsError,
     IndexError, r"setitem: index 5"),
    ("cat of mismatched shapes", lambda: mg.cat([ones(2, 3), ones(2, 4)]), mg.ShapeError,
     ValueError, re.escape("cat: shapes [(2, 3), (2, 4)] differ outside dim 0")),
    ("cat of different ndims", lambda: mg.cat([ones(2, 3), ones(3)]), mg.ShapeError, ValueError,
     r"cat: shapes \[\(2, 3\), \(3,\)\]"),
    ("cat of nothing", lambda: mg.cat([]), mg.ShapeError, ValueError, r"cat: expected a non-empty"),
    ("stack of mismatched shapes", lambda: mg.stack([ones(2, 3), ones(3, 2)]), mg.ShapeError,
     ValueError, r"stack: all tensors need the same shape"),
    ("split sizes that do not add up", lambda: ones(5).split([2, 2]), mg.ShapeError, ValueError,
     r"split: sizes \[2, 2\] do not add up to 5"),
    ("einsum subscripts with the wrong rank", lambda: mg.einsum("ij,jk->ik", ones(2, 3), ones(3)),
     mg.ShapeError, ValueError, r"einsum: subscripts 'jk' need 2 dims, got shape \(3,\)"),
    ("einsum with too few operands", lambda: mg.einsum("ij,jk->ik", ones(2, 3)), mg.ShapeError,
     ValueError, r"einsum: 'ij,jk->ik' names 2 operands, got 1"),
    ("einsum with mismatched sizes", lambda: mg.einsum("ij,jk->ik", ones(2, 3), ones(4, 2)),
     mg.ShapeError, ValueError, r"einsum: shapes \(2, 3\), \(4, 2\)"),
    ("einsum output letter not in the inputs", lambda: mg.einsum("ij,jk->iz", ones(2, 3),
                                                                 ones(3, 2)),
     mg.ShapeError, ValueError, r"einsum.*'z'"),
    ("einsum diagonal (unsupported)", lambda: mg.einsum("ii->i", ones(2, 2)), mg.ShapeError,
     ValueError, r"einsum: repeated index in 'ii'"),
    ("einsum ellipsis (unsupported)", lambda: mg.einsum("...i->i", ones(2, 2)), mg.ShapeError,
     ValueError, r"einsum: ellipsis"),
    ("max of an empty tensor", lambda: mg.ones(0).max(), mg.ShapeError, ValueError,
     r"max: cannot reduce an empty tensor of shape \(0,\)"),
    ("argmax of an empty tensor", lambda: mg.ones(0).argmax(), mg.ShapeError, ValueError,
     r"argmax: cannot reduce an empty tensor"),
    ("requires_grad on an int tensor", lambda: mg.tensor([1, 2], requires_grad=True),
     mg.DTypeError, TypeError, r"requires_grad: only floating-point.*int64"),
    ("requires_grad_ on an int tensor", lambda: mg.arange(3).requires_grad_(), mg.DTypeError,
     TypeError, r"int64"),
    ("add a string", lambda: ones(2) + "a", mg.DTypeError, TypeError, r"add: dtypes float32"),
    ("add None", lambda: ones(2) + None, mg.DTypeError, TypeError, r"NoneType"),
    ("tensor from None", lambda: mg.tensor(None), mg.DTypeError, TypeError, r"tensor: cannot make"),
    ("float tensor as an index", lambda: ones(3)[mg.tensor([0.0])], mg.OutOfBoundsError,
     IndexError, r"integer"),
    ("float tensor as a Python index", lambda: [1, 2][mg.tensor(1.0)], mg.DTypeError, TypeError,
     r"index: only integer tensors.*float32"),
    ("in-place change of a leaf requiring grad", lambda: leaf().__iadd__(1), mg.GradError,
     RuntimeError, r"add_: in-place change of a leaf tensor that requires grad \(shape \(3,\)\)"),
    ("setitem on a leaf requiring grad", lambda: leaf().__setitem__(0, 1.0), mg.GradError,
     RuntimeError, r"setitem: in-place"),
    ("requires_grad off on a non-leaf", lambda: (leaf() * 2).requires_grad_(False), mg.GradError,
     RuntimeError, r"only a leaf"),
    ("numpy() of a tensor requiring grad", lambda: leaf().numpy(), mg.GradError, RuntimeError,
     r"detach\(\)\.numpy\(\)"),
    ("item of several elements", lambda: ones(3).item(), mg.ShapeError, ValueError,
     r"item: only one-element tensors.*\(3,\)"),
    ("len of a 0-d tensor", lambda: len(ones()), mg.ShapeError, ValueError, r"len: a 0-d"),
    ("backward of a tensor without grad", lambda: ones().backward(), mg.GradError, RuntimeError,
     r"backward: tensor of shape \(\) does not require grad"),
    ("backward of a non-scalar", lambda: (leaf() * 2).backward(), mg.GradError, RuntimeError,
     r"one-element output, got shape \(3,\)"),
    ("backward with a gradient of the wrong shape", lambda: (leaf() * 2).backward(ones(2)),
     mg.ShapeError, ValueError, r"backward: gradient has shape \(2,\), output has shape \(3,\)"),
    ("backward twice", freed_graph_backward, mg.GradError, RuntimeError,
     r"second time.*retain_graph=True"),
    ("backward after an in-place change of a saved tensor", saved_tensor_changed, mg.GradError,
     RuntimeError, r"mul: a tensor of shape \(3,\) saved for backward was modified in place"),
    ("grad of an unused input", lambda: mg.autograd.grad((leaf() * 2).sum(), leaf()),
     mg.GradError, RuntimeError, r"allow_unused=True"),
    ("randint of an empty range", lambda: mg.randint(3, 3, (2,)), mg.RangeError, ValueError,
     re.escape("randint: empty range [3, 3)")),
    ("arange with step 0", lambda: mg.arange(0, 3, 0), mg.RangeError, ValueError,
     r"arange: step must be non-zero"),
    ("an unknown backend", lambda: mg.backend.use("cuda"), mg.RangeError, ValueError,
     r"backend.use: unknown backend 'cuda'"),
]

# bad inputs that once escaped as raw NumPy/Python errors
BAD_INPUTS += [
    ("ragged nested lists", lambda: mg.tensor([[1, 2], [3]]), mg.ShapeError, ValueError,
     r"tensor: cannot make a tensor of list"),
    ("a string tensor", lambda: mg.tensor("abc"), mg.DTypeError, TypeError,
     r"tensor: cannot make a tensor of dtype <U3 from str"),
    ("a dict tensor", lambda: mg.tensor({"a": 1}), mg.DTypeError, TypeError,
     r"from dict; expected numbers or booleans"),
    ("setitem of a value with the wrong shape", lambda: ones(3).__setitem__(slice(0, 2), ones(3)),
     mg.ShapeError, ValueError, r"setitem: cannot update a tensor of shape \(3,\) in place"),
    ("in-place add of a non-broadcastable tensor", lambda: ones(3).__iadd__(ones(2)),
     mg.ShapeError, ValueError, r"add_: cannot update a tensor of shape \(3,\) in place"),
    ("chunk into 0 pieces", lambda: ones(4).chunk(0), mg.RangeError, ValueError,
     r"chunk: chunks must be at least 1, got 0"),
    ("split into pieces of size 0", lambda: ones(4).split(0), mg.RangeError, ValueError,
     r"split: split_size must be at least 1, got 0"),
    ("zeros of a negative size", lambda: mg.zeros(-1), mg.RangeError, ValueError,
     re.escape("size (-1,): dimensions cannot be negative")),
    ("randn of a negative size", lambda: mg.randn(2, -1), mg.RangeError, ValueError,
     r"dimensions cannot be negative"),
    ("mean over dim 1 of a 0-d tensor", lambda: ones().mean(1), mg.OutOfBoundsError, IndexError,
     re.escape("mean: dim 1 out of range for a tensor with 0 dimensions (expected -1 <= dim < 1)")),
    ("cat of 0-d tensors", lambda: mg.cat([ones(), ones()]), mg.ShapeError, ValueError,
     r"cat: zero-dimensional tensors cannot be concatenated"),
    ("stack along a bad dim", lambda: mg.stack([ones(2), ones(2)], 3), mg.OutOfBoundsError,
     IndexError, r"stack: dim 3 out of range"),
]

# bad inputs that were once accepted silently or escaped as raw errors
NOT_YET_CAUGHT = [
    ("in-place add of a float to an int tensor (silently truncates)",
     lambda: mg.tensor([1, 2]).__iadd__(0.5), mg.DTypeError),
    ("reshape to a negative size other than -1", lambda: ones(6).reshape(-2, 3), mg.ShapeError),
    ("expand with -1 for a new leading dim", lambda: ones(3).expand(-1, 3), mg.ShapeError),
    ("linspace with a negative number of steps", lambda: mg.linspace(0, 1, -1), mg.RangeError),
    ("where with a float condition", lambda: mg.where(ones(2), ones(2), ones(2)), mg.DTypeError),
    ("manual_seed of a string", lambda: mg.manual_seed("a"), mg.MinigradError),
]


@pytest.mark.parametrize("what, call, error", NOT_YET_CAUGHT,
                         ids=[case[0] for case in NOT_YET_CAUGHT])
def test_a_bad_input_formerly_not_caught(what, call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("what, call, error, builtin, message", BAD_INPUTS,
                         ids=[case[0] for case in BAD_INPUTS])
def test_a_bad_input_raises_a_minigrad_error_naming_op_and_shapes(what, call, error, builtin,
                                                                  message):
    with pytest.raises(error) as raised:
        call()
    assert isinstance(raised.value, builtin), \
        f"{what}: {type(raised.value).__name__} is not a {builtin.__name__}"
    assert re.search(message, str(raised.value)), \
        f"{what}: expected a message matching {message!r}, got {str(raised.value)!r}"


@pytest.mark.parametrize("error, builtin", [
    (mg.ShapeError, ValueError), (mg.DTypeError, TypeError), (mg.RangeError, ValueError),
    (mg.OutOfBoundsError, IndexError), (mg.GradError, RuntimeError),
    (mg.StateError, RuntimeError), (mg.AnomalyError, RuntimeError),
    (mg.GradcheckError, AssertionError)])
def test_each_minigrad_error_is_also_the_matching_builtin(error, builtin):
    assert issubclass(error, mg.MinigradError) and issubclass(error, builtin)


def test_a_failed_op_leaves_its_inputs_unchanged():
    a, b = mg.tensor(np.arange(6.0).reshape(2, 3)), mg.tensor(np.ones(4))
    with pytest.raises(ValueError):
        a += b
    np.testing.assert_array_equal(a.data, np.arange(6.0).reshape(2, 3))
