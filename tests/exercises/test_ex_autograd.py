"""Exercises on backward passes: mul, matmul, sum, sum_to (broadcasting), sigmoid."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import reduce
from tests.exercises.spec import assert_close, check_gradients, random


@pytest.mark.ex_mul_backward
def test_mul_backward_gives_each_factor_the_other_factor_times_gy():
    check_gradients(lambda a, b: a * b, random(3, 4), random(3, 4, seed=1), what="a * b")


@pytest.mark.ex_mul_backward
def test_mul_backward_with_broadcasting():
    check_gradients(lambda a, b: a * b, random(3, 1), random(4, seed=1), what="a * b broadcast")


@pytest.mark.ex_mul_backward
def test_mul_backward_of_x_times_x_is_2x():
    x = mg.tensor([1.5, -2.0, 3.0], requires_grad=True)
    (x * x).backward(mg.ones(3, dtype=mg.float64))
    assert_close("d(x·x)/dx", x.grad, 2 * x.data, "x = [1.5, -2, 3]")


@pytest.mark.ex_matmul_backward
def test_matmul_backward_of_matrices():
    check_gradients(lambda a, b: a @ b, random(3, 4), random(4, 2, seed=1), what="a @ b")


@pytest.mark.ex_matmul_backward
def test_matmul_backward_of_vectors_and_batches():
    check_gradients(lambda a, b: a @ b, random(4), random(4, 2, seed=1), what="vector @ matrix")
    check_gradients(lambda a, b: a @ b, random(3, 4), random(4, seed=1), what="matrix @ vector")
    check_gradients(lambda a, b: a @ b, random(2, 3, 4), random(4, 5, seed=1),
                    what="batch @ matrix")


@pytest.mark.ex_sum_backward
def test_sum_backward_copies_gy_to_every_summed_element():
    check_gradients(lambda x: x.sum(dim=1), random(2, 3, 4), what="x.sum(dim=1)")
    check_gradients(lambda x: x.sum(dim=(0, 2), keepdim=True), random(2, 3, 4),
                    what="x.sum(dim=(0, 2), keepdim=True)")
    check_gradients(lambda x: x.sum(), random(2, 3), what="x.sum()")


@pytest.mark.ex_sum_backward
def test_mean_backward_is_one_over_n():
    x = mg.tensor(random(2, 5), requires_grad=True)
    x.mean(dim=1).sum().backward()
    assert_close("d(Σ mean over dim 1)/dx", x.grad, np.full((2, 5), 0.2), "x of shape (2, 5)")


@pytest.mark.ex_sum_to
def test_sum_to_undoes_broadcasting():
    x = random(2, 3, 4)
    for shape, axes in [((3, 4), (0,)), ((3, 1), (0, 2)), ((1, 4), (0, 1)), ((2, 1, 4), (1,)),
                        ((), (0, 1, 2)), ((2, 3, 4), ())]:
        expected = x.sum(axis=axes, keepdims=True).reshape(shape)
        assert_close(f"sum_to_array(x, {shape})", reduce.sum_to_array(x, shape), expected,
                     "x of shape (2, 3, 4)")


@pytest.mark.ex_sum_to
def test_gradients_of_broadcast_inputs_are_summed_back():
    check_gradients(lambda a, b: a + b, random(3, 1), random(1, 4, seed=1), what="(3,1) + (1,4)")
    check_gradients(lambda a, b: a - b, random(2, 3, 4), random(4, seed=1), what="(2,3,4) - (4,)")


@pytest.mark.ex_sigmoid_backward
def test_sigmoid_backward_is_y_times_one_minus_y():
    check_gradients(lambda x: x.sigmoid(), random(3, 4, low=-6, high=6), what="sigmoid(x)")


@pytest.mark.ex_sigmoid_backward
def test_sigmoid_slope_is_a_quarter_at_zero():
    x = mg.tensor([0.0], requires_grad=True)
    x.sigmoid().backward(mg.ones(1, dtype=mg.float64))
    assert_close("σ'(0)", x.grad, [0.25], "x = 0")
