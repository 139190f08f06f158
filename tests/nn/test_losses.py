"""Every loss equals PyTorch's (float64, 1e-10) in value and input gradient, for every reduction
and option; the fused cross-entropy and BCE pass gradcheck and gradgradcheck; bad targets get
clear errors."""

import numpy as np
import pytest
from helpers import check_like_torch

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
CLASSES = rng.integers(0, 5, 6)                       # targets of (6, 5) logits
IGNORED = np.array([0, -100, 4, 2, -100, 1])          # two rows ignored
SPATIAL = rng.integers(0, 3, (2, 4, 5))               # targets of (2, 3, 4, 5) logits
ALL_IGNORED = np.full(6, 7)
WEIGHT = rng.uniform(0.5, 2.0, 5)
PROBABILITIES = rng.dirichlet(np.ones(5), 6)
BINARY = rng.integers(0, 2, (6, 3)).astype(np.float64)
SOFT_BINARY = rng.uniform(0, 1, (6, 3))
POS_WEIGHT = rng.uniform(0.5, 3.0, 3)
BINARY_WEIGHT = rng.uniform(0.5, 2.0, 3)
REDUCTIONS = ["mean", "sum", "none"]


def functional(lib):
    return F if lib is mg else torch.nn.functional


def weight_of(lib, array):
    return mg.tensor(array) if lib is mg else torch.tensor(array)


# name: (lambda(lib, *tensors), input specs)
CROSS_ENTROPY_CASES = {
    "plain": (lambda lib, x, y, r: functional(lib).cross_entropy(x, y, reduction=r),
              [(6, 5), CLASSES]),
    "weight": (lambda lib, x, y, r: functional(lib).cross_entropy(
        x, y, weight_of(lib, WEIGHT), reduction=r), [(6, 5), CLASSES]),
    "ignore_index": (lambda lib, x, y, r: functional(lib).cross_entropy(x, y, reduction=r),
                     [(6, 5), IGNORED]),
    "custom ignore_index": (lambda lib, x, y, r: functional(lib).cross_entropy(
        x, y, ignore_index=2, reduction=r), [(6, 5), CLASSES]),
    "label_smoothing": (lambda lib, x, y, r: functional(lib).cross_entropy(
        x, y, reduction=r, label_smoothing=0.2), [(6, 5), CLASSES]),
    "everything": (lambda lib, x, y, r: functional(lib).cross_entropy(
        x, y, weight_of(lib, WEIGHT), reduction=r, label_smoothing=0.3), [(6, 5), IGNORED]),
    "spatial": (lambda lib, x, y, r: functional(lib).cross_entropy(
        x, y, reduction=r, label_smoothing=0.1), [(2, 3, 4, 5), SPATIAL]),
    "unbatched": (lambda lib, x, y, r: functional(lib).cross_entropy(x, y, reduction=r),
                  [(5,), np.array(3)]),
    "probabilities": (lambda lib, x, y, r: functional(lib).cross_entropy(x, y, reduction=r),
                      [(6, 5), PROBABILITIES]),
    "probabilities weight smoothing": (lambda lib, x, y, r: functional(lib).cross_entropy(
        x, y, weight_of(lib, WEIGHT), reduction=r, label_smoothing=0.1),
        [(6, 5), PROBABILITIES]),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CROSS_ENTROPY_CASES))
def test_cross_entropy_equals_torch(case, reduction):
    fn, specs = CROSS_ENTROPY_CASES[case]
    check_like_torch(lambda lib, x, y: fn(lib, x, y, reduction), *specs, low=-4, high=4)


def test_cross_entropy_with_every_row_ignored_is_nan_as_torch():
    check_like_torch(lambda lib, x, y: functional(lib).cross_entropy(x, y, ignore_index=7),
                     (6, 5), ALL_IGNORED, grad=False)


def test_cross_entropy_equals_torch_on_large_batches_through_the_numba_kernel():
    targets = np.random.default_rng(1).integers(0, 10, 700)
    check_like_torch(lambda lib, x, y: functional(lib).cross_entropy(
        x, y, weight_of(lib, np.linspace(0.5, 2, 10)), label_smoothing=0.1), (700, 10), targets,
        low=-10, high=10)


def test_plain_mean_cross_entropy_equals_torch_on_large_batches_too():
    # small inputs run the fused kernels on one thread, large ones on the thread pool
    targets = np.random.default_rng(3).integers(0, 10, 700)
    check_like_torch(lambda lib, x, y: functional(lib).cross_entropy(x, y), (700, 10), targets,
                     low=-10, high=10)


def test_cross_entropy_of_float32_logits_is_float32_and_matches_torch():
    x = np.random.default_rng(2).standard_normal((8, 4)).astype(np.float32)
    y = np.arange(8) % 4
    loss = F.cross_entropy(mg.tensor(x), mg.tensor(y))
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y))
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


@pytest.mark.parametrize("options", [{}, {"weight": mg.tensor([1.0, 2.0, 3.0])}],
                         ids=["plain mean", "weighted"])
def test_cross_entropy_backward_is_one_fused_node(options):
    logits = mg.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(logits, mg.tensor([0, 1, 2, 1]), **options)
    assert "CrossEntropy" in type(loss.grad_fn).__name__
    assert loss.grad_fn.inputs[0] is logits, "expected one node between the logits and the loss"


@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2, "reduction": "sum"},
                                     {"reduction": "none"}], ids=["mean", "smoothing", "none"])
def test_cross_entropy_passes_gradcheck_and_gradgradcheck(options):
    x = mg.tensor(np.random.default_rng(4).standard_normal((6, 5)), requires_grad=True)
    y = mg.tensor(IGNORED)
    weight = mg.tensor(WEIGHT)
    assert gradcheck(lambda t: F.cross_entropy(t, y, weight, **options), x)
    assert gradgradcheck(lambda t: F.cross_entropy(t, y, weight, **options), x)


NLL_CASES = {
    "plain": (lambda lib, x, y, r: functional(lib).nll_loss(x, y, reduction=r),
              [(6, 5), CLASSES]),
    "weight ignore": (lambda lib, x, y, r: functional(lib).nll_loss(
        x, y, weight_of(lib, WEIGHT), reduction=r), [(6, 5), IGNORED]),
    "spatial": (lambda lib, x, y, r: functional(lib).nll_loss(x, y, reduction=r),
                [(2, 3, 4, 5), SPATIAL]),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(NLL_CASES))
def test_nll_loss_equals_torch(case, reduction):
    fn, specs = NLL_CASES[case]
    check_like_torch(lambda lib, x, y: fn(lib, x.log_softmax(1), y, reduction), *specs)


ELEMENTWISE_CASES = {
    "mse_loss": lambda F, x, t, r: F.mse_loss(x, t, reduction=r),
    "l1_loss": lambda F, x, t, r: F.l1_loss(x, t, reduction=r),
    "smooth_l1_loss": lambda F, x, t, r: F.smooth_l1_loss(x, t, reduction=r),
    "smooth_l1_loss beta": lambda F, x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.3),
    "smooth_l1_loss beta 0": lambda F, x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.0),
    "huber_loss": lambda F, x, t, r: F.huber_loss(x, t, reduction=r),
    "huber_loss delta": lambda F, x, t, r: F.huber_loss(x, t, reduction=r, delta=0.4),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(ELEMENTWISE_CASES))
def test_regression_loss_equals_torch_in_input_and_target_gradients(case, reduction):
    fn = ELEMENTWISE_CASES[case]
    check_like_torch(lambda lib, x, t: fn(functional(lib), x, t, reduction), (4, 5), (4, 5))


BINARY_CASES = {
    "bce": (lambda lib, x, t, r: functional(lib).binary_cross_entropy(
        x.sigmoid(), t, reduction=r), BINARY),
    "bce soft targets weight": (lambda lib, x, t, r: functional(lib).binary_cross_entropy(
        x.sigmoid(), t, weight_of(lib, BINARY_WEIGHT), reduction=r), SOFT_BINARY),
    "bce with logits": (lambda lib, x, t, r: functional(lib).binary_cross_entropy_with_logits(
        x, t, reduction=r), BINARY),
    "bce with logits pos_weight weight": (
        lambda lib, x, t, r: functional(lib).binary_cross_entropy_with_logits(
            x, t, weight_of(lib, BINARY_WEIGHT), reduction=r,
            pos_weight=weight_of(lib, POS_WEIGHT)), SOFT_BINARY),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(BINARY_CASES))
def test_binary_cross_entropy_equals_torch_in_input_and_target_gradients(case, reduction):
    fn, target = BINARY_CASES[case]
    # near σ(x) = 1, (x - t)/(x(1 - x)) amplifies the last bit of σ: 1e-8, not 1e-10
    check_like_torch(lambda lib, x, t: fn(lib, x, t, reduction), (6, 3), target,
                     low=-30, high=30, atol=1e-8, rtol=1e-8)


def test_bce_with_logits_stays_finite_for_huge_logits_as_torch():
    x = np.array([[-1000.0, 0.0, 1000.0]])
    check_like_torch(lambda lib, x, t: functional(lib).binary_cross_entropy_with_logits(x, t),
                     x, np.array([[1.0, 0.0, 0.0]]))


def test_bce_gradient_at_saturated_probabilities_is_finite_as_torch():
    """σ(x) rounds to exactly 0 or 1 in float32 for |x| > 17; the composed formula would give
    0/0 there, PyTorch's (x - t)/max(x(1-x), 1e-12) does not."""
    check_like_torch(lambda lib, p, t: functional(lib).binary_cross_entropy(p, t),
                     np.array([0.0, 1.0, 0.5, 1e-30]), np.array([0.0, 1.0, 1.0, 1.0]))


def test_bce_passes_gradcheck_and_gradgradcheck_in_input_and_target():
    rng = np.random.default_rng(5)
    p = mg.tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    t = mg.tensor(rng.uniform(0, 1, (3, 4)), requires_grad=True)
    assert gradcheck(F.binary_cross_entropy, (p, t))
    assert gradgradcheck(F.binary_cross_entropy, (p, t))


@pytest.mark.parametrize("options", [{}, {"p": 1.0}, {"p": 3.0, "swap": True},
                                     {"margin": 0.3, "reduction": "none"},
                                     {"eps": 0.1, "reduction": "sum"}],
                         ids=["default", "p1", "p3 swap", "margin none", "eps sum"])
def test_triplet_margin_loss_equals_torch(options):
    check_like_torch(lambda lib, a, p, n: functional(lib).triplet_margin_loss(a, p, n, **options),
                     (5, 4), (5, 4), (5, 4))


LOSS_MODULES = {
    "MSELoss": (nn.MSELoss(), torch.nn.MSELoss(), "regression"),
    "L1Loss sum": (nn.L1Loss(reduction="sum"), torch.nn.L1Loss(reduction="sum"), "regression"),
    "SmoothL1Loss": (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), "regression"),
    "HuberLoss": (nn.HuberLoss(delta=0.5), torch.nn.HuberLoss(delta=0.5), "regression"),
    "CrossEntropyLoss": (nn.CrossEntropyLoss(WEIGHT, label_smoothing=0.1),
                         torch.nn.CrossEntropyLoss(torch.tensor(WEIGHT), label_smoothing=0.1),
                         "classes"),
    "NLLLoss": (nn.NLLLoss(reduction="sum", ignore_index=3),
                torch.nn.NLLLoss(reduction="sum", ignore_index=3), "classes"),
    "BCELoss": (nn.Sequential(nn.Sigmoid(), nn.BCELoss()), None, "binary"),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss(pos_weight=mg.tensor(POS_WEIGHT[:1])),
                          torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(POS_WEIGHT[:1])),
                          "binary"),
}


@pytest.mark.parametrize("name", list(LOSS_MODULES))
def test_loss_module_equals_torch(name):
    mg_loss, torch_loss, kind = LOSS_MODULES[name]
    if kind == "regression":
        specs = [(4, 3), (4, 3)]
    elif kind == "classes":
        specs = [(6, 5), CLASSES]
    else:
        specs = [(6, 3), BINARY]
    if torch_loss is None:  # BCELoss after a sigmoid
        torch_loss = lambda x, t: torch.nn.BCELoss()(torch.sigmoid(x), t)  # noqa: E731
        mg_fn = lambda x, t: nn.BCELoss()(mg.sigmoid(x), t)  # noqa: E731
    else:
        mg_fn = mg_loss
    check_like_torch(lambda lib, x, t: (mg_fn if lib is mg else torch_loss)(x, t), *specs)


def test_weighted_loss_keeps_its_class_weights_as_a_buffer_as_torch():
    loss = nn.CrossEntropyLoss(weight=WEIGHT)
    assert list(loss.state_dict()) == list(torch.nn.CrossEntropyLoss(
        torch.tensor(WEIGHT)).state_dict()) == ["weight"]
    assert repr(loss) == "CrossEntropyLoss()"


# -- bad input --------------------------------------------------------------------------------

def test_cross_entropy_rejects_float_class_targets():
    with pytest.raises(mg.DTypeError, match=r"cross_entropy: target must hold class indices of "
                                            r"an integer dtype \(int64\), got float32"):
        F.cross_entropy(mg.randn(4, 3), mg.tensor([0.0, 1.0, 2.0, 1.0]))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
@pytest.mark.parametrize("bad", [3, -1, -99])
def test_cross_entropy_rejects_a_target_out_of_range(bad, dtype):
    target = mg.tensor(np.array([0, 1, bad, -100], dtype=dtype))  # -100 is ignore_index: fine
    with pytest.raises(mg.OutOfBoundsError, match=f"cross_entropy: target {bad} is out of "
                                                  "bounds for 3 classes"):
        F.cross_entropy(mg.randn(4, 3), target)


def test_cross_entropy_rejects_a_target_of_the_wrong_shape():
    with pytest.raises(mg.ShapeError, match=r"cross_entropy: target shape \(4, 1\) does not "
                                            r"match input shape \(4, 3\) \(expected target "
                                            r"shape \(4,\)\)"):
        F.cross_entropy(mg.randn(4, 3), mg.tensor([[0], [1], [2], [1]]))


def test_cross_entropy_rejects_a_weight_per_class_of_the_wrong_length():
    with pytest.raises(mg.ShapeError, match=r"cross_entropy: weight has shape \(2,\), "
                                            r"expected \(3,\)"):
        F.cross_entropy(mg.randn(4, 3), mg.tensor([0, 1, 2, 1]), weight=mg.tensor([1.0, 2.0]))


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_cross_entropy_rejects_label_smoothing_outside_0_1(bad):
    with pytest.raises(mg.RangeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(mg.randn(4, 3), mg.tensor([0, 1, 2, 1]), label_smoothing=bad)


def test_losses_reject_an_unknown_reduction():
    with pytest.raises(mg.RangeError, match="mse_loss: reduction must be 'mean', 'sum' or "
                                            "'none', got 'avg'"):
        F.mse_loss(mg.randn(3), mg.randn(3), reduction="avg")
    with pytest.raises(mg.RangeError, match="MSELoss: reduction must be"):
        nn.MSELoss(reduction="average")


def test_regression_loss_rejects_a_target_that_would_broadcast():
    """(N, 1) against (N,) would silently compare all N² pairs."""
    with pytest.raises(mg.ShapeError, match=r"mse_loss: target shape \(4,\) differs from "
                                            r"input shape \(4, 1\)"):
        F.mse_loss(mg.randn(4, 1), mg.randn(4))


def test_bce_rejects_probabilities_outside_0_1():
    with pytest.raises(mg.RangeError, match="binary_cross_entropy: all elements of input "
                                            "should be between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([0.5, 1.2]), mg.tensor([0.0, 1.0]))


def test_huber_and_smooth_l1_reject_invalid_thresholds():
    with pytest.raises(mg.RangeError, match="huber_loss: delta must be positive, got 0"):
        F.huber_loss(mg.randn(3), mg.randn(3), delta=0)
    with pytest.raises(mg.RangeError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(mg.randn(3), mg.randn(3), beta=-1)


def test_triplet_margin_loss_rejects_mismatched_shapes():
    with pytest.raises(mg.ShapeError, match="triplet_margin_loss: anchor, positive and "
                                            "negative need one shape"):
        F.triplet_margin_loss(mg.randn(3, 4), mg.randn(3, 4), mg.randn(3, 5))


@pytest.mark.parametrize("p, dim", [(2.0, 1), (2.0, -1), (1.0, 0), (3.0, 1)])
def test_normalize_equals_torch(p, dim):
    check_like_torch(lambda lib, x: functional(lib).normalize(x, p=p, dim=dim), (4, 5))


def test_normalize_leaves_a_zero_vector_at_zero_with_a_finite_gradient():
    x = mg.tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    y = F.normalize(x)
    y.sum().backward()
    assert np.allclose(y.data, [[0, 0], [0.6, 0.8]])
    assert np.all(np.isfinite(x.grad.data))


def test_normalize_passes_gradcheck():
    x = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.normalize(t, dim=0), (x,))


def test_normalize_rejects_a_non_positive_p():
    with pytest.raises(mg.RangeError, match=r"normalize: p must be positive, got 0 \(input shape"):
        F.normalize(mg.randn(2, 3), p=0)
