"""Small training helpers shared by the lessons: build an MLP, train it on arrays, evaluate it.

    from lessons._train import mlp, fit, evaluate, mnist1d_arrays
    x, y, x_test, y_test = mnist1d_arrays(n_train=1000)
    model = mlp([40, 256, 10])
    history = fit(model, optim.Adam(model.parameters(), lr=1e-3), x, y, epochs=30,
                  batch_size=100, val=(x_test, y_test))
    history.val_loss[-1], history.val_acc[-1]

``fit`` is one readable loop (shuffle, forward, loss [+ penalty], backward, step [, after_step])
that records the loss and accuracy on the whole training and validation sets after each epoch.
The loss is cross-entropy for integer targets, MSE for float targets, unless ``loss_fn`` says
otherwise. ``keep_best=True`` also keeps a copy of the weights with the lowest validation loss
(early stopping's checkpoint).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn


@dataclass
class History:
    """Per-epoch measurements of one training run (``val_*`` empty without ``val``).

    Accuracies are NaN for regression targets. ``best_epoch``/``best_state``: the epoch (1-based)
    with the lowest validation loss and a copy of the model's state then (``keep_best=True``).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_state: dict | None = None


def mlp(sizes: list[int], activation: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """``Linear(sizes[0], sizes[1]), activation(), ..., Linear(sizes[-2], sizes[-1])``:
    an activation between every two linear layers, none after the last."""
    layers = []
    for fan_in, fan_out in pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), activation()]
    return nn.Sequential(*layers[:-1])


def default_loss(output: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
    """Cross-entropy for integer class targets, mean squared error otherwise."""
    if np.issubdtype(target.dtype, np.integer):
        return F.cross_entropy(output, target)
    return F.mse_loss(output, target)


def accuracy(output: mg.Tensor, target: mg.Tensor) -> float:
    """Fraction of rows whose largest output is the target class (NaN for float targets)."""
    if not np.issubdtype(target.dtype, np.integer):
        return float("nan")
    return float((output.data.argmax(1) == target.data).mean())


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray,
             loss_fn: Callable = default_loss) -> tuple[float, float]:
    """(loss, accuracy) of ``model`` on the whole of ``x, y`` in eval mode, without a graph.

    The model goes back to the mode it was in (training mode during ``fit``)."""
    was_training = model.training
    model.eval()
    with mg.no_grad():
        output = model(mg.tensor(x))
        target = mg.tensor(y)
        result = float(loss_fn(output, target).item()), accuracy(output, target)
    model.train(was_training)
    return result


def fit(model: nn.Module, optimizer, x: np.ndarray, y: np.ndarray, *, epochs: int,
        batch_size: int | None = None, val: tuple[np.ndarray, np.ndarray] | None = None,
        loss_fn: Callable = default_loss, penalty: Callable[[], mg.Tensor] | None = None,
        after_step: Callable[[], None] | None = None, keep_best: bool = False) -> History:
    """Train ``model`` on arrays ``x, y`` for ``epochs`` passes; return its ``History``.

    ``batch_size=None`` is full-batch training. Each step minimizes
    ``loss_fn(model(x_batch), y_batch) + penalty()`` (``penalty``, e.g.
    ``lambda: 1e-3 * nn.utils.l1_penalty(model.parameters())``, is added when given), then calls
    ``after_step()`` (e.g. a proximal or max-norm projection). Batches are shuffled with
    minigrad's generator, so ``mg.manual_seed`` fixes them. Training stops early (the history
    is shorter) if the loss becomes NaN or infinite.
    """
    history = History()
    n = len(x)
    batch_size = batch_size or n
    model.train()
    for _ in range(epochs):
        order = mg.random.generator().permutation(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            loss = loss_fn(model(mg.tensor(x[index])), mg.tensor(y[index]))
            if penalty is not None:
                loss = loss + penalty()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if after_step is not None:
                after_step()
        if not _record(history, model, x, y, val, loss_fn, keep_best):
            break
    return history


def _record(history: History, model, x, y, val, loss_fn, keep_best: bool) -> bool:
    """Append this epoch's measurements; False once the training loss is not finite."""
    train_loss, train_acc = evaluate(model, x, y, loss_fn)
    history.train_loss.append(train_loss)
    history.train_acc.append(train_acc)
    if val is not None:
        val_loss, val_acc = evaluate(model, *val, loss_fn)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        if keep_best and val_loss < min(history.val_loss[:-1], default=np.inf):
            history.best_epoch = len(history.val_loss)
            history.best_state = {name: np.array(getattr(value, "data", value), copy=True)
                                  for name, value in model.state_dict().items()}
    return bool(np.isfinite(train_loss))


def mnist1d_arrays(n_train: int | None = None, n_test: int | None = None,
                   seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-1D's standard split (4000 train / 1000 test, 40 features, 10 classes) as arrays
    ``x_train, y_train, x_test, y_test``, cut to the first ``n_train`` / ``n_test`` samples."""
    split = mg.data.datasets.mnist1d(seed=seed)
    return (split.X_train[:n_train], split.y_train[:n_train],
            split.X_test[:n_test], split.y_test[:n_test])



def mnist1d_with_validation(n_train: int | None = None, val_fraction: float = 0.2) -> tuple:
    """``x_train, y_train, x_val, y_val, x_test, y_test``: the first ``n_train`` training samples
    of MNIST-1D with their first ``val_fraction`` held out for validation."""
    x_all, y_all, x_test, y_test = mnist1d_arrays(n_train=n_train)
    n_val = int(len(x_all) * val_fraction)
    return x_all[n_val:], y_all[n_val:], x_all[:n_val], y_all[:n_val], x_test, y_test
