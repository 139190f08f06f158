"""Mixed precision: autocast runs linear layers in float16 with float32 master weights and
gradients; GradScaler scales, unscales, skips and adapts exactly as PyTorch's."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import amp


def test_linear_inside_autocast_computes_in_float16():
    layer = nn.Linear(4, 3)
    with amp.autocast():
        y = layer(mg.randn(5, 4))
    assert y.dtype == np.float16
    assert layer(mg.randn(5, 4)).dtype == np.float32, "autocast ends with its block"


def test_autocast_keeps_float32_master_weights_and_float32_gradients():
    layer = nn.Linear(4, 3)
    x = mg.randn(5, 4)
    with amp.autocast():
        loss = F.cross_entropy(layer(x), mg.tensor([0, 1, 2, 0, 1]))
    assert loss.dtype == np.float32, "losses compute in float32, as under PyTorch's autocast"
    loss.backward()
    assert layer.weight.dtype == np.float32 and layer.weight.grad.dtype == np.float32
    assert layer.bias.grad.dtype == np.float32


def test_autocast_result_is_close_to_float32():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    x = mg.randn(10, 8)
    exact = model(x).detach().numpy()
    with amp.autocast():
        half = model(x).detach().numpy().astype(np.float32)
    np.testing.assert_allclose(half, exact, atol=1e-2, rtol=1e-2)


def test_autocast_can_be_disabled_and_nested():
    layer = nn.Linear(2, 2)
    with amp.autocast():
        with amp.autocast(enabled=False):
            assert layer(mg.randn(1, 2)).dtype == np.float32
        assert amp.is_autocast_enabled() and amp.get_autocast_dtype() == np.float16
    assert not amp.is_autocast_enabled()


def test_autocast_works_as_a_decorator():
    @amp.autocast()
    def forward(x):
        return nn.Linear(2, 2)(x)

    assert forward(mg.randn(1, 2)).dtype == np.float16


def test_autocast_rejects_a_non_floating_dtype():
    with pytest.raises(mg.DTypeError, match="autocast: dtype must be a floating dtype"):
        amp.autocast(mg.int64)


class _Optimizer:
    """The part of an optimizer GradScaler uses: param_groups and step()."""

    def __init__(self, params):
        self.param_groups = [{"params": params}]
        self.steps = 0

    def step(self):
        self.steps += 1
        return "stepped"


def _grad(value):
    p = mg.zeros(3, requires_grad=True)
    p.grad = mg.tensor([value, 1.0, 2.0])
    return p


def test_scaler_multiplies_the_loss_and_unscale_divides_the_gradients():
    scaler = amp.GradScaler(init_scale=8.0)
    assert scaler.scale(mg.tensor(2.0)).item() == 16.0
    p = _grad(8.0)
    scaler.unscale_(_Optimizer([p]))
    np.testing.assert_allclose(p.grad.numpy(), [1.0, 0.125, 0.25])


def test_scaler_skips_the_step_and_backs_off_on_inf_or_nan():
    scaler = amp.GradScaler(init_scale=8.0)
    for bad in (np.inf, np.nan):
        optimizer = _Optimizer([_grad(bad)])
        assert scaler.step(optimizer) is None and optimizer.steps == 0
        scaler.update()
    assert scaler.get_scale() == 2.0


def test_scaler_grows_after_growth_interval_clean_steps():
    scaler = amp.GradScaler(init_scale=4.0, growth_interval=3)
    scales = []
    for _ in range(7):
        optimizer = _Optimizer([_grad(1.0)])
        assert scaler.step(optimizer) == "stepped"
        scaler.update()
        scales.append(scaler.get_scale())
    assert scales == [4.0, 4.0, 8.0, 8.0, 8.0, 16.0, 16.0]


def test_scaler_misuse_gets_clear_errors():
    scaler = amp.GradScaler()
    optimizer = _Optimizer([_grad(1.0)])
    with pytest.raises(mg.StateError, match="No inf checks were recorded prior to update"):
        scaler.update()
    scaler.unscale_(optimizer)
    with pytest.raises(mg.StateError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    with pytest.raises(mg.StateError, match="step\\(\\) has already been called"):
        scaler.step(optimizer)
    with pytest.raises(mg.RangeError, match="growth factor must be > 1.0"):
        amp.GradScaler(growth_factor=0.5)


def test_disabled_scaler_is_a_pass_through():
    scaler = amp.GradScaler(enabled=False)
    loss = mg.tensor(3.0)
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
    optimizer = _Optimizer([_grad(np.inf)])
    assert scaler.step(optimizer) == "stepped" and scaler.state_dict() == {}


def test_scaler_state_dict_round_trips():
    scaler = amp.GradScaler(init_scale=32.0, growth_interval=5)
    scaler.step(_Optimizer([_grad(1.0)]))
    scaler.update()
    restored = amp.GradScaler()
    restored.load_state_dict(scaler.state_dict())
    assert restored.state_dict() == scaler.state_dict() == {
        "scale": 32.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 5,
        "_growth_tracker": 1}


def test_scaler_follows_torch_through_overflows_and_growth():
    torch = pytest.importorskip("torch")
    pattern = [1.0, 1.0, np.inf, 1.0, 1.0, 1.0, 1.0, np.nan, 1.0, 1.0, 1.0]
    ours = amp.GradScaler(init_scale=2.0 ** 10, growth_interval=3)
    theirs = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=3)
    p = mg.zeros(3, requires_grad=True)
    q = torch.zeros(3, requires_grad=True)
    our_optimizer, their_optimizer = _Optimizer([p]), _Optimizer([q])
    for value in pattern:
        theirs.scale(torch.tensor(1.0))  # PyTorch creates its scale on the first scale()
        grad = np.array([value, 1.0, -2.0], dtype=np.float32) * ours.get_scale()
        p.grad, q.grad = mg.tensor(grad), torch.tensor(grad)
        ours.step(our_optimizer)
        theirs.step(their_optimizer)
        ours.update()
        theirs.update()
        assert ours.get_scale() == theirs.get_scale()
        assert our_optimizer.steps == their_optimizer.steps
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)
    assert ours.state_dict() == {k: v for k, v in theirs.state_dict().items()}


def test_autocast_training_step_of_a_full_size_mlp():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    scaler = amp.GradScaler()
    optimizer = _Optimizer(list(model.parameters()))
    with amp.autocast():
        loss = F.cross_entropy(model(mg.randn(128, 784)), mg.randint(0, 10, (128,)))
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    assert optimizer.steps == 1 and model[0].weight.grad.dtype == np.float32
