"""Every learning-rate schedule gives PyTorch's sequence of learning rates (and momenta, for
the cyclic ones) for 70 steps; state_dict resumes a schedule exactly; ULMFiT's slanted
triangle and the exponential warm-up follow their formulas."""

import json
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 70


def _optimizer(library, kind="SGD"):
    """Two param groups with different lrs (so per-group bookkeeping is exercised)."""
    make = (lambda: torch.zeros(2, requires_grad=True)) if library is torch else (
        lambda: mg.tensor(np.zeros(2), requires_grad=True))
    groups = [{"params": [make()], "lr": 0.1}, {"params": [make()], "lr": 0.02}]
    if kind == "SGD":
        return library.optim.SGD(groups, lr=0.1, momentum=0.9)
    return library.optim.Adam(groups, lr=0.1)


def _halving(epoch):
    return 0.5 ** (epoch // 10)


SCHEDULES = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-per-group": lambda L, o: L.LambdaLR(o, [lambda e: 0.95**e, _halving]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97 if e % 2 else 0.99),
    "StepLR": lambda L, o: L.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[10, 25, 25, 40], gamma=0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=8),
    "LinearLR-warmup": lambda L, o: L.LinearLR(o, start_factor=0.1, total_iters=10),
    "LinearLR-decay": lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                              total_iters=30),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.95),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=40, power=2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=20, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-Tmult": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=1e-4),
    "CyclicLR-triangular": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                   step_size_up=7),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.002],
                                                    max_lr=[0.1, 0.05], step_size_up=5,
                                                    step_size_down=9, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6,
                                                  mode="exp_range", gamma=0.97,
                                                  base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-custom": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                               scale_fn=lambda x: 1 / x, cycle_momentum=False),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=STEPS + 1),
    "OneCycleLR-three-phase-linear": lambda L, o: L.OneCycleLR(
        o, max_lr=[0.1, 0.3], epochs=8, steps_per_epoch=9, pct_start=0.25,
        anneal_strategy="linear", three_phase=True),
    "SequentialLR-warmup-cosine": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=60)],
        milestones=[5]),
    "SequentialLR-three": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.1, total_iters=3), L.ExponentialLR(o, gamma=0.9),
            L.StepLR(o, step_size=5, gamma=0.5)], milestones=[10, 30]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler-cosine-multistep": lambda L, o: L.ChainedScheduler(
        [L.CosineAnnealingLR(o, T_max=15), L.MultiStepLR(o, milestones=[20, 40])], optimizer=o),
}
ADAM_SCHEDULES = {"OneCycleLR", "CyclicLR-exp_range"}  # cycling β₁ instead of momentum


def _momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def _sequence(library, name, steps=STEPS):
    opt = _optimizer(library, "Adam" if name in ADAM_SCHEDULES else "SGD")
    scheduler = SCHEDULES[name](library.optim.lr_scheduler, opt)
    lrs, momenta = [scheduler.get_last_lr()], [[_momentum(g) for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        momenta.append([_momentum(g) for g in opt.param_groups])
    assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(lrs, dtype=float), np.array(momenta, dtype=float)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_learning_rates_equal_pytorchs_for_70_steps(name):
    (ours, our_momenta), (theirs, their_momenta) = _sequence(mg, name), _sequence(torch, name)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15,
                                   err_msg=f"{name}: learning rates after {k} steps")
    np.testing.assert_allclose(our_momenta, their_momenta, rtol=1e-12,
                               err_msg=f"{name}: momenta")


PLATEAU = {
    "min-rel": {},
    "min-abs-cooldown": {"threshold": 0.05, "threshold_mode": "abs", "patience": 2, "cooldown": 3},
    "max-rel-min_lr": {"mode": "max", "factor": 0.5, "patience": 1, "min_lr": [0.01, 0.005]},
    "max-abs": {"mode": "max", "threshold": 0.1, "threshold_mode": "abs", "patience": 0,
                "eps": 1e-3},
}


def _metrics():
    """A loss that improves, stalls, improves a little, and drifts: 80 values."""
    k = np.arange(80)
    return 1 / (1 + 0.2 * k) + 0.05 * np.sin(k) * (k > 20) + 0.002 * k * (k > 50)


@pytest.mark.parametrize("config", list(PLATEAU))
def test_reduce_lr_on_plateau_equals_pytorchs(config):
    sequences = []
    for library in (mg, torch):
        opt = _optimizer(library)
        scheduler = library.optim.lr_scheduler.ReduceLROnPlateau(opt, **PLATEAU[config])
        lrs = []
        for metric in _metrics():
            opt.step()
            scheduler.step(float(metric))
            lrs.append(scheduler.get_last_lr())
        sequences.append(np.array(lrs))
    np.testing.assert_allclose(*sequences, rtol=1e-12, err_msg=config)
    assert len(np.unique(sequences[0][:, 0])) > 1, "the lr must actually change in this test"


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR-warmup",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR"])
def test_step_with_epoch_uses_the_closed_form_like_pytorch(name):
    results = []
    for library in (mg, torch):
        opt = _optimizer(library)
        scheduler = SCHEDULES[name](library.optim.lr_scheduler, opt)
        lrs = []
        for epoch in (3, 17, 8, 40):
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                scheduler.step(epoch)
            lrs.append(scheduler.get_last_lr())
        results.append(np.array(lrs))
    np.testing.assert_allclose(*results, rtol=1e-12)


def _json_round_trip(obj):
    return json.loads(json.dumps(obj))


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts-Tmult", "CyclicLR-triangular2",
                                  "OneCycleLR", "SequentialLR-warmup-cosine",
                                  "ChainedScheduler", "LambdaLR"])
def test_resuming_from_state_dict_continues_the_same_schedule(name):
    straight, _ = _sequence(mg, name, steps=40)
    kind = "Adam" if name in ADAM_SCHEDULES else "SGD"
    opt = _optimizer(mg, kind)
    scheduler = SCHEDULES[name](lr_scheduler, opt)
    for _ in range(25):
        opt.step()
        scheduler.step()
    saved_optimizer = _json_round_trip(opt.state_dict())
    saved_scheduler = _json_round_trip(scheduler.state_dict())

    opt = _optimizer(mg, kind)
    scheduler = SCHEDULES[name](lr_scheduler, opt)  # made before loading, as PyTorch advises
    opt.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    for k in range(25, 40):
        opt.step()
        scheduler.step()
        np.testing.assert_allclose(scheduler.get_last_lr(), straight[k + 1], rtol=1e-15,
                                   err_msg=f"{name}: step {k + 1} after resuming at 25")


def test_slanted_triangular_follows_ulmfit_formula():
    opt = _optimizer(mg)
    total, cut_frac, ratio = 100, 0.1, 32
    scheduler = lr_scheduler.SlantedTriangularLR(opt, total_steps=total)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(total + 5):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    cut = math.floor(total * cut_frac)
    for t, lr in enumerate(lrs[:total + 1]):
        p = t / cut if t < cut else 1 - (t - cut) / (cut * (1 / cut_frac - 1))
        assert lr == pytest.approx(0.1 * (1 + p * (ratio - 1)) / ratio, rel=1e-12), f"t={t}"
    assert lrs[0] == pytest.approx(0.1 / 32) and lrs[cut] == pytest.approx(0.1)
    assert lrs[total] == pytest.approx(0.1 / 32)
    assert lrs[total + 5] == pytest.approx(0.1 / 32), "the lr stays at η/ratio after the end"
    assert np.all(np.diff(lrs[:cut + 1]) > 0) and np.all(np.diff(lrs[cut:total + 1]) < 0)


def test_exponential_warmup_grows_geometrically_then_holds():
    opt = _optimizer(mg)
    scheduler = lr_scheduler.ExponentialWarmupLR(opt, warmup_steps=10, start_factor=1e-3)
    lrs = [scheduler.get_last_lr()]
    for _ in range(15):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    lrs = np.array(lrs)
    np.testing.assert_allclose(lrs[0], [1e-4, 2e-5], rtol=1e-12)
    ratios = lrs[1:11, 0] / lrs[:10, 0]
    np.testing.assert_allclose(ratios, 1000 ** 0.1, rtol=1e-12,
                               err_msg="each warm-up step multiplies the lr by the same factor")
    np.testing.assert_allclose(lrs[10:], [[0.1, 0.02]] * 6, rtol=1e-12)


def test_warmup_then_exponential_decay_in_sequence():
    # the notes' LambdaLR example "warm-up + exponential decay", made of two schedules
    opt = _optimizer(mg)
    scheduler = lr_scheduler.SequentialLR(
        opt, [lr_scheduler.ExponentialWarmupLR(opt, 5, 0.01), lr_scheduler.ExponentialLR(opt, 0.9)],
        milestones=[5])
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(10):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    np.testing.assert_allclose(lrs[5:], 0.1 * 0.9 ** np.arange(6), rtol=1e-12)
    assert lrs[0] == pytest.approx(0.001)


def test_discriminative_groups_take_modules_from_input_to_output():
    nn = pytest.importorskip("minigrad.nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    groups = optim.discriminative_groups([model[0], model[2]], lr=1e-2)
    assert [len(g["params"]) for g in groups] == [2, 2]
    assert [g["lr"] for g in groups] == pytest.approx([1e-2 / 2.6, 1e-2])


def test_discriminative_fine_tuning_divides_the_lr_layer_by_layer():
    layers = [[mg.tensor(np.zeros(2), requires_grad=True)] for _ in range(3)]
    groups = optim.discriminative_groups(layers, lr=0.01, factor=2.6)
    assert [g["lr"] for g in groups] == pytest.approx([0.01 / 2.6**2, 0.01 / 2.6, 0.01])
    assert [g["params"] for g in groups] == layers
    scheduler = lr_scheduler.SlantedTriangularLR(optim.Adam(groups), total_steps=50)
    assert scheduler.base_lrs == pytest.approx([0.01 / 2.6**2, 0.01 / 2.6, 0.01])


@pytest.mark.parametrize("make, message", [
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), "between 0 and 1"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), "greater than 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), "positive integer T_0"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1), "total_steps OR"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="median"), "mode median is unknown"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 3)], milestones=[2]),
     "one more than the number of milestone"),
    (lambda o: lr_scheduler.SlantedTriangularLR(o, total_steps=5), "no step to climb"),
    (lambda o: lr_scheduler.ExponentialWarmupLR(o, 10, start_factor=2.0), "start_factor"),
])
def test_invalid_schedule_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make(_optimizer(mg))


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _optimizer(mg)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        scheduler.step()


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), 3)


def test_optimizer_and_scheduler_state_survive_mg_save_and_load(tmp_path):
    def make():
        p = mg.tensor(np.linspace(-1, 1, 4), requires_grad=True)
        opt = optim.Adam([p], lr=0.1, amsgrad=True)
        return p, opt, lr_scheduler.MultiStepLR(opt, milestones=[3, 5, 5], gamma=0.5)

    def train(p, opt, scheduler, steps):
        for _ in range(steps):
            p.grad = mg.tensor(np.sin(3 * p.data) + p.data)
            opt.step()
            scheduler.step()

    p, opt, scheduler = make()
    train(p, opt, scheduler, 8)
    straight = p.data.copy()

    p, opt, scheduler = make()
    train(p, opt, scheduler, 4)
    mg.save({"param": p.data, "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()},
            tmp_path / "checkpoint.npz")
    saved = mg.load(tmp_path / "checkpoint.npz")
    p, opt, scheduler = make()
    p.data[...] = saved["param"]
    opt.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    train(p, opt, scheduler, 4)
    np.testing.assert_array_equal(p.data, straight)
