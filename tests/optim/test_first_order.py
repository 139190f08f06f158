"""SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW, NAdam, RAdam: the same trajectories as
``torch.optim``, step by step in float64, over their options; and the optimizer contract
(skipped parameters, read-only gradients, argument checks, saving and resuming)."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.kernels import optim as kernels
from minigrad.kernels._jit import Kernel

torch = pytest.importorskip("torch")

STEPS = 25
SHAPES = [(3, 4), (5,), ()]


def _gradient(theta, k, i):
    """A deterministic, non-convex gradient field: each parameter and step sees different
    magnitudes (so the adaptive methods' per-coordinate scaling matters)."""
    scale = np.linspace(0.1, 3.0, theta.size).reshape(theta.shape)
    return np.asarray(scale * theta + np.sin(3 * theta + k) + 0.1 * (i + 1), dtype=theta.dtype)


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def _groups(params, per_group):
    """One group per parameter when ``per_group`` (each with its own lr), else one group."""
    if not per_group:
        return params
    return [{"params": [p], "lr": 0.01 * (i + 1)} for i, p in enumerate(params)]


def _run_minigrad(name, kwargs, starts, per_group, steps=STEPS):
    params = [mg.tensor(a, requires_grad=True) for a in starts]
    opt = getattr(optim, name)(_groups(params, per_group), **kwargs)
    history = []
    for k in range(steps):
        for i, p in enumerate(params):
            p.grad = mg.tensor(_gradient(p.data, k, i))
            p.grad.data.flags.writeable = False  # the optimizer must treat it as read-only
        opt.step()
        history.append([p.data.copy() for p in params])
    return history


def _run_torch(name, kwargs, starts, per_group, steps=STEPS):
    # torch keeps scalar state (NAdam's running product of momenta) in the default dtype:
    # make it float64 too, or its float32 rounding alone exceeds the tolerance
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _torch_history(name, kwargs, starts, per_group, steps)
    finally:
        torch.set_default_dtype(previous)


def _torch_history(name, kwargs, starts, per_group, steps):
    params = [torch.tensor(a, requires_grad=True) for a in starts]
    opt = getattr(torch.optim, name)(_groups(params, per_group), **kwargs)
    history = []
    for k in range(steps):
        for i, p in enumerate(params):
            p.grad = torch.from_numpy(_gradient(p.detach().numpy(), k, i))
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


CONFIGS = {
    "SGD": [{"lr": 0.05}, {"lr": 0.05, "momentum": 0.9},
            {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
            {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
            {"lr": 0.05, "momentum": 0.5, "maximize": True}],
    "Adagrad": [{}, {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1},
                {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3, "maximize": True}],
    "Adadelta": [{}, {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1},
                 {"maximize": True}],
    "RMSprop": [{}, {"alpha": 0.9, "momentum": 0.8}, {"centered": True, "weight_decay": 0.1},
                {"centered": True, "momentum": 0.5, "maximize": True}],
    "Adam": [{"lr": 0.05}, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1},
             {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3, "maximize": True},
             {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}],
    "AdamW": [{"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}],
    "NAdam": [{}, {"weight_decay": 0.1, "momentum_decay": 0.01},
              {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}],
    "RAdam": [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1},
              {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "betas": (0.8, 0.9)},
              {"maximize": True}],
}
CASES = [pytest.param(name, kwargs, id=f"{name}-{kwargs}")
         for name, configs in CONFIGS.items() for kwargs in configs]


def _assert_same_trajectory(ours, theirs, label):
    for k, (mine, reference) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(mine, reference)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{label}: parameter {i} after step {k + 1}")


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("per_group", [False, True], ids=["one-group", "group-per-param"])
def test_trajectory_equals_torch(name, kwargs, per_group):
    starts = _start()
    _assert_same_trajectory(_run_minigrad(name, kwargs, starts, per_group),
                            _run_torch(name, kwargs, starts, per_group), f"{name}({kwargs})")


@pytest.mark.parametrize("name", list(CONFIGS))
def test_compiled_kernels_give_torchs_trajectory_too(name, monkeypatch):
    # every parameter above is below the kernels' size threshold: force the compiled loops
    for kernel_name in dir(kernels):
        kernel = getattr(kernels, kernel_name)
        if isinstance(kernel, Kernel):
            monkeypatch.setattr(kernel, "threshold", 0)
    kwargs = CONFIGS[name][-1]
    starts = _start(1)
    _assert_same_trajectory(_run_minigrad(name, kwargs, starts, False),
                            _run_torch(name, kwargs, starts, False), f"{name}({kwargs}) numba")


@pytest.mark.parametrize("name", list(CONFIGS))
def test_float32_parameters_stay_float32_and_near_torch(name):
    starts = [a.astype(np.float32) for a in _start(2)]
    kwargs = CONFIGS[name][0]
    ours = _run_minigrad(name, kwargs, starts, False, steps=5)
    theirs = _run_torch(name, kwargs, starts, False, steps=5)
    for mine, reference in zip(ours[-1], theirs[-1]):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-5)


def test_notes_moving_average_momentum_is_sgd_with_dampening_equal_to_momentum():
    # notes: v ← βv + (1−β)g, θ ← θ − ηv.  SGD(momentum=β, dampening=β) starts its buffer at
    # v₁ = g₁ where the notes start at v₀ = 0; from the same start the steps are identical.
    beta, lr = 0.9, 0.1
    theta0 = np.array([1.5, -2.0, 0.5])
    p = mg.tensor(theta0, requires_grad=True)
    opt = optim.SGD([p], lr=lr, momentum=beta, dampening=beta)
    theta, v = theta0.copy(), None
    for k in range(30):
        g = _gradient(theta, k, 0)
        v = g if v is None else beta * v + (1 - beta) * g
        theta = theta - lr * v
        p.grad = mg.tensor(_gradient(p.data, k, 0))
        opt.step()
        np.testing.assert_allclose(p.data, theta, rtol=1e-12, atol=1e-14,
                                   err_msg=f"step {k + 1}")


def test_notes_average_started_at_zero_differs_from_sgd_buffer_by_beta_power_t_g1():
    beta = 0.8
    grads = [np.array([1.0, -2.0]), np.array([0.5, 0.3]), np.array([-1.0, 4.0]),
             np.array([2.0, 2.0])]
    p = mg.tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p], lr=0.0, momentum=beta, dampening=beta)
    v = np.zeros(2)
    for t, g in enumerate(grads, start=1):
        v = beta * v + (1 - beta) * g
        p.grad = mg.tensor(g)
        opt.step()
        np.testing.assert_allclose(opt.state[p]["momentum_buffer"] - v, beta**t * grads[0],
                                   rtol=1e-12, err_msg=f"step {t}")


def test_ema_form_equals_classic_momentum_with_lr_scaled_by_one_minus_beta():
    # both started from a zero buffer (ours: a first step with g₁·(1−β) vs g₁), so compare the
    # classic form against the hand-written notes' form started at v₀ = 0
    beta, lr = 0.9, 0.05
    theta_ema = theta_classic = np.array([1.0, -1.0])
    v = b = np.zeros(2)
    for k in range(40):
        v = beta * v + (1 - beta) * _gradient(theta_ema, k, 0)
        theta_ema = theta_ema - lr * v
        b = beta * b + _gradient(theta_classic, k, 0)
        theta_classic = theta_classic - lr * (1 - beta) * b
    np.testing.assert_allclose(theta_ema, theta_classic, rtol=1e-12)


def test_parameters_without_gradient_are_skipped():
    a = mg.tensor(np.ones(3), requires_grad=True)
    b = mg.tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = mg.tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert b not in opt.state and opt.state[a]["step"] == 1


def test_zero_grad_sets_none_by_default_and_zeros_otherwise():
    p = mg.tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = mg.tensor(np.ones(3))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, np.zeros(3))
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("make, message", [
    (lambda ps: optim.SGD(ps, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda ps: optim.SGD(ps, momentum=-1), "Invalid momentum value: -1"),
    (lambda ps: optim.SGD(ps, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda ps: optim.Adam(ps, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda ps: optim.AdamW(ps, weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    (lambda ps: optim.Adadelta(ps, rho=1.5), "Invalid rho value: 1.5"),
    (lambda ps: optim.Adagrad(ps, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda ps: optim.RMSprop(ps, alpha=-0.5), "Invalid alpha value: -0.5"),
    (lambda ps: optim.NAdam(ps, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda ps: optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
])
def test_invalid_arguments_raise_pytorchs_value_error(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        make([mg.tensor(np.ones(2), requires_grad=True)])
    assert isinstance(info.value, mg.RangeError)


def test_a_single_tensor_or_a_non_tensor_is_not_a_parameter_list():
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)


def test_a_parameter_may_not_be_in_two_groups():
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_non_leaf_tensors_cannot_be_optimized():
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_group_options_override_defaults_and_add_param_group_fills_the_rest():
    a, b = (mg.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    opt = optim.SGD([{"params": [a], "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b})
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[1]["lr"] == 0.1
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]


def test_gradient_of_wrong_shape_is_a_shape_error_naming_both_shapes():
    p = mg.tensor(np.ones((2, 3)), requires_grad=True)
    p.grad = mg.tensor(np.ones(3))
    with pytest.raises(mg.ShapeError, match=r"\(3,\).*\(2, 3\)"):
        optim.Adam([p]).step()


@pytest.mark.parametrize("name, kwargs", [(n, c[-1]) for n, c in CONFIGS.items()])
def test_resuming_from_state_dict_continues_bit_identically(name, kwargs):
    starts = _start(3)
    straight = _run_minigrad(name, kwargs, starts, True, steps=12)[-1]

    params = [mg.tensor(a, requires_grad=True) for a in starts]
    opt = getattr(optim, name)(_groups(params, True), **kwargs)

    def run(steps, first):
        for k in range(first, first + steps):
            for i, p in enumerate(params):
                p.grad = mg.tensor(_gradient(p.data, k, i))
            opt.step()

    run(7, 0)
    saved = opt.state_dict()
    saved_params = [p.data.copy() for p in params]
    run(3, 7)  # steps taken after saving must not leak into the saved dict
    params = [mg.tensor(a, requires_grad=True) for a in saved_params]
    opt = getattr(optim, name)(_groups(params, True), **kwargs)
    opt.load_state_dict(_json_round_trip(saved))
    run(5, 7)
    for i, (a, b) in enumerate(zip(params, straight)):
        np.testing.assert_array_equal(a.data, b, err_msg=f"{name}: parameter {i}")


def _json_round_trip(state_dict):
    """What a JSON header + arrays file gives back: int keys become strings, tuples lists."""
    import json

    arrays = {}

    def encode(obj):
        if isinstance(obj, np.ndarray):
            arrays[str(len(arrays))] = obj.copy()
            return {"__array__": str(len(arrays) - 1)}
        if isinstance(obj, dict):
            return {str(k): encode(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [encode(v) for v in obj]
        return obj

    def decode(obj):
        if isinstance(obj, dict):
            return arrays[obj["__array__"]] if "__array__" in obj else {
                k: decode(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [decode(v) for v in obj]
        return obj

    return decode(json.loads(json.dumps(encode(state_dict))))


def test_state_dict_matches_torch_layout():
    params = [mg.tensor(a, requires_grad=True) for a in _start()]
    opt = optim.Adam(_groups(params, True), lr=0.1)
    for p in params:
        p.grad = mg.tensor(np.ones(p.shape))
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1], [2]]
    assert set(saved["state"]) == {0, 1, 2}
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert saved["state"][0]["exp_avg"] is not opt.state[params[0]]["exp_avg"]


def test_step_returns_the_closure_loss():
    p = mg.tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0 and p.data[0] == pytest.approx(3.0 - 0.1 * 6.0)


def test_transposed_parameter_is_updated_in_place():
    base = np.arange(6.0).reshape(2, 3)
    p = mg.tensor(base, requires_grad=True)
    p.data = p.data.T  # a non-contiguous view: the update must still land in it
    view = p.data
    p.grad = mg.tensor(np.ones((3, 2)))
    optim.SGD([p], lr=1.0).step()
    assert p.data is view
    np.testing.assert_array_equal(view, base.T - 1)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_float16_parameters_are_updated_by_the_numpy_reference_and_stay_float16(name):
    p = mg.tensor(np.ones(5, np.float16), requires_grad=True)
    p.grad = mg.tensor(np.full(5, 0.5, np.float16))
    opt = getattr(optim, name)([p], lr=0.1)
    opt.step()
    assert p.data.dtype == np.float16 and np.all(p.data < 1)
    assert all(a.dtype == np.float16 for a in opt.state[p].values() if isinstance(a, np.ndarray))


def test_module_parameters_train_with_every_first_order_optimizer():
    nn = pytest.importorskip("minigrad.nn")
    mg.manual_seed(0)
    for name in CONFIGS:
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        opt = getattr(optim, name)(model.parameters(), **CONFIGS[name][0])
        x, y = mg.randn(16, 3), mg.randn(16, 1)
        losses = []
        for _ in range(30):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < losses[0], f"{name}: loss {losses[0]:.4f} → {losses[-1]:.4f}"
