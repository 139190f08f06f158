"""gradcheck and gradgradcheck: they pass correct derivatives and catch wrong ones, saying
which input, which element, and both values."""

import re

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function, gradcheck, gradgradcheck


def leaf(array):
    return mg.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def random_leaf(shape, seed=0):
    return leaf(np.random.default_rng(seed).uniform(0.5, 2.0, shape))


class SquareWrongBackward(Function):
    """y = x², with a backward that forgets the factor 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * x


class TransposeForgetful(Function):
    """y = xᵀ for a square x, with a backward that forgets to transpose back. An all-ones
    cotangent cannot see this bug; a random one can."""

    def forward(self, x):
        return x.T.copy()

    def backward(self, gy):
        return gy


class ScaleSecondInputWrong(Function):
    """y = a · b, right for a, wrong (sign flipped) for b."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved_tensors
        return gy * b, -gy * a


class SquareConstantBackward(Function):
    """y = x² with the right first derivative 2x, but computed from a constant copy of x, so
    the derivative of the derivative (2) comes out as 0."""

    def forward(self, x):
        self.x = x.copy()
        return x * x

    def backward(self, gy):
        return gy * mg.tensor(2 * self.x)


def test_gradcheck_passes_a_correct_op():
    x, w = random_leaf((3, 4)), random_leaf((4, 2), seed=1)
    assert gradcheck(lambda x, w: (x @ w).tanh(), (x, w)) is True


def test_gradcheck_accepts_a_single_tensor_and_skips_constant_inputs():
    constant = mg.tensor(np.ones(3))
    assert gradcheck(lambda x: x.exp(), random_leaf(3)) is True
    assert gradcheck(lambda x, c: x * c, (random_leaf(3), constant)) is True


def test_gradcheck_names_the_input_the_index_and_both_values_of_a_wrong_gradient():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(mg.GradcheckError) as raised:
        gradcheck(SquareWrongBackward.apply, x)
    message = str(raised.value)
    assert "input 0" in message and "(2, 2)" in message, f"no input named in: {message}"
    assert "index (0, 0)" in message, f"no index named in: {message}"
    assert "analytic" in message and "numeric" in message, f"no values in: {message}"
    number = r"(?:np\.float64\()?([-\d.e]+)"
    analytic, numeric = (float(v) for v in re.findall(rf"(?:analytic|numeric) {number}", message))
    assert numeric == pytest.approx(2 * analytic, rel=1e-5), \
        f"expected numeric = 2 × analytic for a missing factor 2, got {message}"


def test_gradcheck_names_the_second_input_when_its_gradient_is_wrong():
    with pytest.raises(mg.GradcheckError, match="input 1"):
        gradcheck(ScaleSecondInputWrong.apply, (random_leaf(3), random_leaf(3, seed=1)))


def test_gradcheck_uses_a_random_cotangent_so_transposition_bugs_show():
    with pytest.raises(mg.GradcheckError):
        gradcheck(TransposeForgetful.apply, random_leaf((3, 3)))


def test_gradcheck_error_is_an_assertion_error_and_a_minigrad_error():
    assert issubclass(mg.GradcheckError, AssertionError)
    assert issubclass(mg.GradcheckError, mg.MinigradError)


def test_gradcheck_tolerances_decide_what_counts_as_wrong():
    class SlightlyOff(Function):  # gradient 1 + 1e-4 instead of 1
        def forward(self, x):
            return x.copy()

        def backward(self, gy):
            return gy * (1 + 1e-4)

    x = random_leaf(4)
    assert gradcheck(SlightlyOff.apply, x, rtol=1e-3)
    with pytest.raises(mg.GradcheckError):
        gradcheck(SlightlyOff.apply, x, atol=0.0, rtol=1e-6)


def test_gradcheck_works_on_non_contiguous_leaves():
    base = np.random.default_rng(0).uniform(0.5, 2.0, (3, 4))
    transposed = mg.from_numpy(base.T).requires_grad_()
    strided = mg.from_numpy(base[:, ::2]).requires_grad_()
    assert gradcheck(lambda x: x.exp(), transposed)
    assert gradcheck(lambda x: x * x, strided)


def test_gradcheck_leaves_the_inputs_as_they_were():
    x = random_leaf((2, 3))
    before = x.data.copy()
    gradcheck(lambda x: x.sigmoid(), x)
    np.testing.assert_array_equal(x.data, before)


def test_gradgradcheck_passes_correct_second_derivatives():
    x, w = random_leaf((2, 3)), random_leaf((3, 2), seed=1)
    assert gradgradcheck(lambda x, w: (x @ w).tanh() * x.sum(), (x, w))


class SquareHalfConstantBackward(Function):
    """y = x², backward 2x written as x + (a constant copy of x): right first derivative,
    second derivative 1 instead of 2."""

    def forward(self, x):
        self.save_for_backward(x)
        self.x = x.copy()
        return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * (x + mg.tensor(self.x))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = random_leaf(3)
    assert gradcheck(SquareHalfConstantBackward.apply, x), "the first derivative itself is right"
    with pytest.raises(mg.GradcheckError, match="input 0"):
        gradgradcheck(SquareHalfConstantBackward.apply, x)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = random_leaf(3)
    assert gradcheck(SquareConstantBackward.apply, x), "the first derivative itself is right"
    with pytest.raises(mg.GradcheckError):
        gradgradcheck(SquareConstantBackward.apply, x)
