"""The benchmark models, written once for both libraries.

minigrad speaks PyTorch, so one function builds a model from either library's ``nn``; PyTorch
initializes it and minigrad loads the same weights, so both train the same numbers.
"""

from types import SimpleNamespace


def library(name: str) -> SimpleNamespace:
    """``torch`` or ``minigrad`` as one namespace: ``nn``, ``F``, ``optim``, ``from_numpy``,
    ``no_grad``."""
    if name == "torch":
        import torch
        import torch.nn.functional as F

        return SimpleNamespace(name=name, nn=torch.nn, F=F, optim=torch.optim,
                               from_numpy=torch.from_numpy, no_grad=torch.no_grad)
    import minigrad as mg
    import minigrad.nn.functional as F

    return SimpleNamespace(name=name, nn=mg.nn, F=F, optim=mg.optim, from_numpy=mg.from_numpy,
                           no_grad=mg.no_grad)


def twins(build):
    """(PyTorch model, a function making minigrad copies of it): ``build(nn)`` → Module."""
    torch = library("torch")
    torch_model = build(torch.nn)
    state = {key: value.detach().numpy().copy() for key, value in torch_model.state_dict().items()}

    def minigrad_copy():
        model = build(library("minigrad").nn)
        model.load_state_dict({key: value.copy() for key, value in state.items()})
        return model

    return torch_model, minigrad_copy


def training_step(lib, model, optimizer, x, y):
    """One step: forward, cross-entropy, backward, update (the same code for both libraries)."""

    def step():
        optimizer.zero_grad()
        loss = lib.F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def mlp(nn):
    """784-512-512-10 with ReLU."""
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def cnn(nn):
    """Two 3×3 convolutions with max pooling, then a linear classifier (28×28 inputs)."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def lstm(nn):
    return nn.LSTM(64, 128, batch_first=True)


def mnist1d_cnn(nn):
    """The MNIST-1D paper's CNN (Greydanus, "ConvBase"): three stride-2 convolutions of 25
    channels on a length-40 signal of one channel (40 → 19 → 10 → 5), then Linear(125, 10)."""
    return nn.Sequential(nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(125, 10))
