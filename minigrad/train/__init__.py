"""Training: the ``fit`` loop and ``evaluate``, callbacks (early stopping, checkpoints, gradual
unfreezing), and checkpoints that resume a run bit for bit.

    history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                        train_loader, val_loader, epochs=20,
                        callbacks=[train.EarlyStopping(patience=3)])
    history["val_accuracy"][-1]
"""

from minigrad.train.callbacks import Callback, Checkpoint, EarlyStopping, GradualUnfreezing
from minigrad.train.checkpoint import load_checkpoint, save_checkpoint, training_state
from minigrad.train.fit import Run, evaluate, fit
from minigrad.train.history import History
from minigrad.train.metrics import accuracy

__all__ = ["fit", "evaluate", "History", "Run", "Callback", "EarlyStopping", "Checkpoint",
           "GradualUnfreezing", "save_checkpoint", "load_checkpoint", "training_state",
           "accuracy"]
