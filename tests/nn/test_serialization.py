"""mg.save / mg.load: state dicts and checkpoints round-trip exactly through an .npz file with
a JSON header; nothing is ever pickled; any other file gives a SerializationError."""

import io
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.serialization import SerializationError


def test_model_state_dict_round_trips_and_loads_back(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model(mg.randn(5, 3))
    path = tmp_path / "model.npz"
    mg.save(model.state_dict(), path)
    state = mg.load(path)
    assert list(state) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert state[key].dtype == value.dtype and np.array_equal(state[key], value), key
    twin = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    twin.load_state_dict(state)
    with mg.no_grad():
        np.testing.assert_array_equal(twin.eval()(mg.ones(2, 3)).numpy(),
                                      model.eval()(mg.ones(2, 3)).numpy())


def test_nested_checkpoint_keeps_every_type(tmp_path):
    checkpoint = {
        "model": {"w": np.arange(6.0).reshape(2, 3), "n": np.array(7, dtype=np.int64)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(2, dtype=np.float32)}},
                      "param_groups": [{"params": [0, 1], "lr": 1e-3, "betas": (0.9, 0.999),
                                        "amsgrad": False, "foreach": None}]},
        "rng": mg.get_rng_state(),
        "epoch": 12, "best": float("inf"), "loss": float("nan"), "name": "run-1",
        "tensor": mg.tensor([1.0, 2.0], requires_grad=True),
        "scalar": np.float32(0.5),
        "history": [1.5, 1.2, None],
        "empty": np.zeros((0, 3)),
    }
    path = tmp_path / "checkpoint.ckpt"  # any suffix: nothing is appended to the path
    mg.save(checkpoint, path)
    loaded = mg.load(path)
    assert loaded["optimizer"]["state"][0]["step"] == 3, "integer keys stay integers"
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert loaded["optimizer"]["param_groups"][0]["foreach"] is None
    assert loaded["rng"] == checkpoint["rng"], "128-bit generator state survives"
    assert loaded["epoch"] == 12 and loaded["best"] == float("inf") and np.isnan(loaded["loss"])
    assert loaded["name"] == "run-1" and loaded["history"] == [1.5, 1.2, None]
    assert isinstance(loaded["tensor"], mg.Tensor) and loaded["tensor"].requires_grad
    assert loaded["scalar"] == np.float32(0.5) and loaded["scalar"].dtype == np.float32
    assert loaded["empty"].shape == (0, 3)
    np.testing.assert_array_equal(loaded["model"]["w"], checkpoint["model"]["w"])


def test_restoring_the_rng_state_repeats_the_draws(tmp_path):
    mg.manual_seed(5)
    mg.save({"rng": mg.get_rng_state()}, tmp_path / "rng.npz")
    first = mg.randn(4).numpy()
    mg.set_rng_state(mg.load(tmp_path / "rng.npz")["rng"])
    np.testing.assert_array_equal(mg.randn(4).numpy(), first)


def test_save_and_load_work_with_file_objects():
    buffer = io.BytesIO()
    mg.save({"a": np.ones(2)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(mg.load(buffer)["a"], np.ones(2))


def test_the_file_holds_no_pickle(tmp_path):
    mg.save({"a": np.ones(2), "meta": {"x": [1, 2]}}, tmp_path / "f.npz")
    with zipfile.ZipFile(tmp_path / "f.npz") as archive:
        for name in archive.namelist():
            assert b"\x80\x04" not in archive.read(name)[:2], f"{name} looks pickled"
    with np.load(tmp_path / "f.npz", allow_pickle=False) as archive:
        assert len(archive.files) == 2


def test_save_refuses_objects_that_would_need_pickle(tmp_path):
    with pytest.raises(SerializationError, match=r"cannot store obj\['fn'\] of type function"):
        mg.save({"fn": lambda: 0}, tmp_path / "f.npz")
    with pytest.raises(SerializationError, match="is an object array, which needs pickle"):
        mg.save({"a": np.array([{}, 1], dtype=object)}, tmp_path / "f.npz")


def test_an_interrupted_save_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"epoch": 1}, path)
    with pytest.raises(SerializationError):
        mg.save({"epoch": 2, "bad": object()}, path)
    assert mg.load(path) == {"epoch": 1}


def test_truncated_file_gives_a_serialization_error(tmp_path):
    path = tmp_path / "f.npz"
    mg.save({"w": np.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(SerializationError, match="truncated or corrupt"):
        mg.load(path)


@pytest.mark.parametrize("content", [b"", b"hello, not a checkpoint", b"PK\x03\x04garbage"],
                         ids=["empty", "text", "broken zip"])
def test_foreign_bytes_give_a_serialization_error(tmp_path, content):
    path = tmp_path / "f.npz"
    path.write_bytes(content)
    with pytest.raises(SerializationError) as error:
        mg.load(path)
    assert isinstance(error.value, mg.MinigradError)


def test_plain_numpy_files_are_not_checkpoints(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(SerializationError, match="not a minigrad checkpoint"):
        mg.load(tmp_path / "plain.npz")
    np.save(tmp_path / "array.npy", np.ones(2))
    with pytest.raises(SerializationError, match="single NumPy array"):
        mg.load(tmp_path / "array.npy")


def test_a_pickled_numpy_file_is_never_unpickled(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([{"payload": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SerializationError):
        mg.load(tmp_path / "evil.npy")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nowhere.npz")
