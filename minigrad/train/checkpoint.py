"""Save and resume a training run so that resuming changes nothing.

A run's future depends on more than the weights: the optimizer's moments and step counts, the
scheduler's position, the random generator (dropout masks, shuffling) and a seeded loader's
own generator. A checkpoint holds all of them, so training 2 epochs, saving, loading into
fresh objects and training 2 more gives the same bits as training 4 epochs straight::

    fit(model, loss_fn, optimizer, loader, epochs=2, callbacks=[Checkpoint("run.npz")])
    ...                                           # later, in a fresh process
    epoch = load_checkpoint("run.npz", model, optimizer, scheduler, loader)
    fit(model, loss_fn, optimizer, loader, epochs=4, initial_epoch=epoch)

The file is ``mg.save``'s format (arrays in ``.npz``, the rest as JSON): loading executes no
code.
"""

import os
from pathlib import Path

from minigrad.errors import StateError
from minigrad.random import get_rng_state, set_rng_state
from minigrad.serialization import load, save

FORMAT = "minigrad.checkpoint"
VERSION = 1


def training_state(model, optimizer=None, scheduler=None, loader=None, epoch: int = 0) -> dict:
    """The state of a run after ``epoch`` epochs, as a nested dict ``mg.save`` can store."""
    state = {"format": FORMAT, "version": VERSION, "epoch": int(epoch),
             "model": dict(model.state_dict()),
             "rng": get_rng_state()}
    for key, part in (("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if part is not None:
            state[key] = part.state_dict()
    return state


def save_checkpoint(path: str | os.PathLike, model, optimizer=None, scheduler=None,
                    loader=None, epoch: int = 0) -> Path:
    """Write the run's state (see ``training_state``) to ``path``; the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(training_state(model, optimizer, scheduler, loader, epoch), path)
    return path


def load_checkpoint(path: str | os.PathLike, model, optimizer=None, scheduler=None,
                    loader=None) -> int:
    """Restore a run saved by ``save_checkpoint`` into fresh objects made the same way
    (same architecture, optimizer and scheduler types, loader seed); also restores minigrad's
    random generator. Returns the number of epochs done: pass it to ``fit`` as
    ``initial_epoch``. Objects left as None are not restored."""
    state = load(path)
    if state.get("format") != FORMAT:
        raise StateError(f"load_checkpoint: {os.fspath(path)!r} is not a minigrad checkpoint "
                         f"(saved by save_checkpoint); its keys are {sorted(state)}")
    model.load_state_dict(state["model"])
    for key, part in (("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if part is None:
            continue
        if key not in state:
            raise StateError(f"load_checkpoint: a {key} was given but {os.fspath(path)!r} "
                             f"holds no {key} state")
        part.load_state_dict(state[key])
    set_rng_state(state["rng"])
    return int(state["epoch"])
