"""Checkpoints: a run stopped, saved, loaded into fresh objects and resumed gives the same bits
as a run never stopped."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.data import DataLoader, TensorDataset
from minigrad.errors import StateError
from minigrad.train import Checkpoint, fit, load_checkpoint, save_checkpoint

rng = np.random.default_rng(0)
X = rng.standard_normal((40, 4)).astype(np.float32)
Y = rng.integers(0, 3, 40)


def make_run(loader_seed):
    """Everything that carries state from one epoch to the next: weights and buffers (batch
    norm), dropout's random masks, Adam's moments, the scheduler, the shuffling order."""
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(16, 3))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    loader = DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=True, seed=loader_seed)
    return model, optimizer, scheduler, loader


def train(run, **kwargs):
    model, optimizer, scheduler, loader = run
    return fit(model, nn.CrossEntropyLoss(), optimizer, loader, scheduler=scheduler,
               progress=False, **kwargs)


@pytest.mark.parametrize("loader_seed, scheduler_step", [(None, "epoch"), (7, "batch")])
def test_resumed_run_is_bit_identical_to_a_run_never_stopped(tmp_path, loader_seed,
                                                            scheduler_step):
    mg.manual_seed(0)
    straight = make_run(loader_seed)
    straight_history = train(straight, epochs=4, scheduler_step=scheduler_step)

    mg.manual_seed(0)
    path = tmp_path / "run.npz"
    train(make_run(loader_seed), epochs=2, scheduler_step=scheduler_step,
          callbacks=[Checkpoint(path)])
    mg.manual_seed(1234)  # fresh objects with other weights: only the checkpoint can fix them
    resumed = make_run(loader_seed)
    epoch = load_checkpoint(path, *resumed)
    resumed_history = train(resumed, epochs=4, initial_epoch=epoch, scheduler_step=scheduler_step)

    assert epoch == 2
    done = 2 * len(straight[3])
    assert resumed_history.steps["loss"] == straight_history.steps["loss"][done:], \
        "the resumed run's mini-batch losses differ from the straight run's"
    for (name, p), q in zip(straight[0].state_dict().items(), resumed[0].state_dict().values()):
        assert np.array_equal(p.data, q.data), f"{name} differs after resuming"
    assert resumed[2].get_last_lr() == straight[2].get_last_lr()


def test_load_checkpoint_restores_the_random_generator(tmp_path):
    mg.manual_seed(5)
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path / "c.npz", model, epoch=3)
    expected = mg.rand(4).numpy()
    mg.manual_seed(99)
    assert load_checkpoint(tmp_path / "c.npz", model) == 3
    np.testing.assert_array_equal(mg.rand(4).numpy(), expected)


def test_loading_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path):
    mg.save({"weight": np.zeros(2)}, tmp_path / "weights.npz")
    with pytest.raises(StateError, match="not a minigrad checkpoint"):
        load_checkpoint(tmp_path / "weights.npz", nn.Linear(2, 2))


def test_asking_for_a_state_the_checkpoint_lacks_is_a_clear_error(tmp_path):
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path / "c.npz", model)
    with pytest.raises(StateError, match="holds no optimizer state"):
        load_checkpoint(tmp_path / "c.npz", model, optim.SGD(model.parameters(), lr=0.1))
