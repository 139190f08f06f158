"""The Module contract: registration, traversal, modes, gradients, state dicts, dtype, repr,
hooks and the containers, behaving as PyTorch's."""

import copy

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


class Block(nn.Module):
    """A custom module: a parameter, two buffers (one not persistent) and two children."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(mg.ones(3))
        self.register_buffer("steps", mg.zeros(1))
        self.register_buffer("cache", mg.zeros(2), persistent=False)
        self.inner = nn.Linear(3, 3)
        self.norm = nn.BatchNorm1d(3)

    def forward(self, x):
        return self.norm(self.inner(x) * self.scale)


def test_assigning_parameters_and_modules_registers_them_in_definition_order():
    block = Block()
    assert [name for name, _ in block.named_parameters()] == [
        "scale", "inner.weight", "inner.bias", "norm.weight", "norm.bias"]
    assert [name for name, _ in block.named_children()] == ["inner", "norm"]
    assert [name for name, _ in block.named_modules()] == ["", "inner", "norm"]
    assert [name for name, _ in block.named_buffers()] == [
        "steps", "cache", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]


def test_state_dict_holds_parameters_and_persistent_buffers_only():
    assert list(Block().state_dict()) == [
        "scale", "steps", "inner.weight", "inner.bias", "norm.weight", "norm.bias",
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]


def test_state_dict_values_are_numpy_copies():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    with mg.no_grad():
        layer.weight += 1
    assert not np.array_equal(state["weight"], layer.weight.data), "the saved state changed"


def test_state_dict_keep_vars_gives_the_tensors_themselves():
    layer = nn.Linear(2, 2)
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_shared_parameter_is_listed_once_but_saved_under_both_names():
    first = nn.Linear(3, 3)
    model = nn.Sequential(first, nn.Tanh(), first)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.modules())) == 3  # Sequential, Linear (once), Tanh


def test_plain_attributes_and_tensors_are_not_registered():
    module = nn.Module()
    module.rate = 0.5
    module.constant = mg.ones(2)
    assert list(module.named_parameters()) == [] and list(module.named_buffers()) == []


def test_reassigning_or_deleting_an_attribute_updates_the_registry():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert [k for k, _ in layer.named_parameters()] == ["weight"]
    layer.bias = nn.Parameter(mg.zeros(2))
    assert [k for k, _ in layer.named_parameters()] == ["weight", "bias"]
    del layer.bias
    assert [k for k, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError):
        layer.bias


def test_assigning_a_plain_tensor_to_a_parameter_name_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(mg.DTypeError, match="cannot assign 'Tensor' as parameter 'weight' "
                                            r"\(Parameter or None expected\)"):
        layer.weight = mg.ones(2, 2)


def test_forgetting_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(mg.StateError, match=r"before Module.__init__\(\) call; call "
                                            r"super\(\).__init__\(\) first"):
        Broken()


def test_train_and_eval_switch_every_descendant():
    block = Block()
    assert block.training and block.norm.training
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())
    with pytest.raises(mg.RangeError, match="training mode is expected to be boolean"):
        block.train("no")


def test_zero_grad_sets_gradients_to_none_or_to_zeros():
    layer = nn.Linear(2, 1)
    layer(mg.randn(3, 2)).sum().backward()
    grad = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is grad and not grad.data.any()
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_requires_grad_false_freezes_every_parameter():
    block = Block().requires_grad_(False)
    assert not any(p.requires_grad for p in block.parameters())
    assert all(p.requires_grad for p in block.requires_grad_().parameters())


def test_apply_visits_children_before_the_parent():
    visited = []
    Block().apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "BatchNorm1d", "Block"]


def test_apply_with_init_reinitializes_weights():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert not model[0].weight.data.any() and not model[2].weight.data.any()


def test_to_float64_casts_floating_parameters_and_buffers_in_place():
    block = Block()
    weight = block.inner.weight
    block.to(mg.float64)
    assert block.inner.weight is weight and weight.dtype == np.float64
    assert block.norm.running_mean.dtype == np.float64
    assert block.norm.num_batches_tracked.dtype == np.int64, "integer buffers keep their dtype"
    assert block.float().inner.weight.dtype == np.float32


def test_to_rejects_other_devices_and_integer_dtypes():
    layer = nn.Linear(2, 2)
    assert layer.to("cpu") is layer
    with pytest.raises(mg.RangeError, match="minigrad computes on the CPU only, got device "
                                            "'cuda'"):
        layer.to("cuda")
    with pytest.raises(mg.DTypeError, match="only accepts floating point dtypes"):
        layer.to(mg.int64)


def test_load_state_dict_copies_values_in_place():
    source, target = nn.Linear(3, 2), nn.Linear(3, 2)
    weight = target.weight
    result = target.load_state_dict(source.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert target.weight is weight, "optimizers keep working: same Parameter object"
    np.testing.assert_array_equal(target.weight.data, source.weight.data)


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": mg.tensor([[1.0, 2.0]]), "bias": np.array([3.0])})
    assert layer.weight.dtype == np.float32 and layer.bias.item() == 3.0


def test_load_state_dict_reports_every_missing_and_unexpected_key():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    state = model.state_dict()
    del state["0.bias"], state["1.running_var"]
    state["2.weight"] = np.zeros(2)
    with pytest.raises(mg.StateError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "Error(s) in loading state_dict for Sequential" in message
    assert 'Missing key(s) in state_dict: "0.bias", "1.running_var".' in message
    assert 'Unexpected key(s) in state_dict: "2.weight".' in message


def test_load_state_dict_reports_shape_mismatches_and_changes_nothing():
    layer = nn.Linear(4, 3)
    before = layer.state_dict()
    state = nn.Linear(5, 3).state_dict()
    with pytest.raises(mg.StateError, match=r"size mismatch for weight: copying a param with "
                                            r"shape \(3, 5\) from checkpoint, the shape in "
                                            r"current model is \(3, 4\)"):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.bias.data, before["bias"],
                                  err_msg="bias must not be loaded when weight fails")


def test_load_state_dict_non_strict_returns_the_keys_it_skipped():
    layer = nn.Linear(2, 2)
    result = layer.load_state_dict({"weight": np.ones((2, 2)), "extra": np.ones(1)},
                                   strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert (layer.weight.data == 1).all()


def test_load_state_dict_rejects_a_value_that_is_not_an_array():
    with pytest.raises(mg.StateError, match="value for bias has type str"):
        nn.Linear(2, 2).load_state_dict({"weight": np.ones((2, 2)), "bias": "zeros"})


def test_parameter_is_a_tensor_that_requires_grad_and_shares_memory():
    data = mg.zeros(2)
    p = nn.Parameter(data)
    assert isinstance(p, mg.Tensor) and p.requires_grad and p.is_leaf
    assert p.data is data.data
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    assert not nn.Parameter(mg.zeros(2), requires_grad=False).requires_grad


def test_deepcopy_gives_an_independent_module():
    block = Block()
    twin = copy.deepcopy(block)
    assert isinstance(twin.inner.weight, nn.Parameter)
    with mg.no_grad():
        twin.inner.weight += 1
    assert not np.array_equal(twin.inner.weight.data, block.inner.weight.data)
    assert [k for k, _ in twin.named_parameters()] == [k for k, _ in block.named_parameters()]


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = layer(mg.randn(5, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(layer.bias.data, (5, 2)))
    handle.remove()
    pre.remove()
    layer(mg.randn(1, 2))
    assert seen == [(5, 2)]


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing the required "
                                                  '"forward" function'):
        nn.Module()(mg.ones(1))


def test_get_submodule_follows_dotted_paths():
    model = nn.Sequential(nn.Sequential(nn.Linear(1, 1), nn.ReLU()))
    assert isinstance(model.get_submodule("0.1"), nn.ReLU)
    with pytest.raises(AttributeError, match="has no submodule '5'"):
        model.get_submodule("0.5")


# -- containers --------------------------------------------------------------------------------

def test_sequential_indexes_slices_iterates_and_measures_like_a_list():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert head(mg.randn(4, 2)).shape == (4, 3)
    with pytest.raises(mg.OutOfBoundsError, match="Sequential: index 3 is out of range for 3"):
        model[3]


def test_sequential_from_ordered_dict_keeps_names():
    from collections import OrderedDict

    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [k for k, _ in model.named_children()] == ["hidden", "act"]
    assert model.hidden is model[0]


def test_sequential_append_set_and_delete_renumber_like_torch():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model.append(nn.Linear(2, 1))
    model[1] = nn.Tanh()
    del model[0]
    assert [k for k, _ in model.named_children()] == ["0", "1"]
    assert isinstance(model[0], nn.Tanh) and isinstance(model[1], nn.Linear)


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    layers.insert(0, nn.ReLU())
    assert len(layers) == 5 and isinstance(layers[0], nn.ReLU)
    assert len(list(layers.parameters())) == 8
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert [k for k, _ in layers.named_children()] == ["0", "1", "2", "3"]


def test_module_dict_registers_its_modules_by_key():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.ReLU()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert isinstance(heads.pop("c"), nn.ReLU) and list(heads.keys()) == ["a", "b"]
    with pytest.raises(mg.RangeError, match="attribute 'keys' already exists"):
        heads["keys"] = nn.ReLU()


# -- like PyTorch ------------------------------------------------------------------------------

torch = pytest.importorskip("torch")


def _nested(lib):
    nn_ = lib.nn
    return nn_.Sequential(
        nn_.Linear(4, 8), nn_.BatchNorm1d(8), nn_.ReLU(), nn_.Dropout(0.1),
        nn_.Sequential(nn_.Linear(8, 8, bias=False), nn_.LayerNorm(8), nn_.GELU()),
        nn_.ModuleList([nn_.Linear(8, 2)]), nn_.Flatten())


def test_repr_of_a_nested_model_equals_torch_except_dropout_inplace():
    expected = repr(_nested(torch)).replace(", inplace=False", "")
    assert repr(_nested(mg)) == expected


def test_state_dict_keys_and_shapes_equal_torch():
    ours, theirs = _nested(mg).state_dict(), _nested(torch).state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_torch_state_dict_as_numpy_loads_as_is():
    torch_model = _nested(torch)
    model = _nested(mg)
    model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
    for key, value in torch_model.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value.numpy(), err_msg=key)
