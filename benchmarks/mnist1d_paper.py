"""MNIST-1D with ``train.fit``: logistic regression, an MLP and a CNN against the paper's
test accuracies (Greydanus & Steinbach: ≈32%, ≈68%, ≈94%).

The paper's setting: the standard dataset (4000 train / 1000 test sequences of 40 values),
Adam lr 1e-2, batch 100, 8000 steps (200 epochs), cross-entropy. The architectures are those
of the mnist1d repository's ``models.py``: the MLP is 40-100-100-10 with ReLU and a residual
connection around its second layer; the CNN has three Conv1d layers of 25 channels (kernels
5, 3, 3; stride 2; padding 1; ReLU) and a Linear layer from 25×5 features to 10 classes.

    python -m benchmarks.mnist1d_paper [--steps 8000] [--models logistic mlp cnn] [--seed 0]

It prints each model's final and best test accuracy and the wall time of its ``fit``. The
matrices here are small: with several BLAS or Numba threads on a busy machine the threads
wait for each other, so time it with ``OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1``.
"""

import argparse
import time

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad import train
from minigrad.data import DataLoader, TensorDataset, datasets

PAPER = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94}


class MLP(nn.Module):
    def __init__(self, inputs=40, hidden=100, classes=10):
        super().__init__()
        self.linear1 = nn.Linear(inputs, hidden)
        self.linear2 = nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, classes)

    def forward(self, x):
        h = self.linear1(x).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)




class CNN(nn.Module):
    def __init__(self, channels=25, classes=10):
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)  # 40 -> 19
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)  # 19 -> 10
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)  # 10 -> 5
        self.linear = nn.Linear(channels * 5, classes)

    def forward(self, x):
        h = x.reshape(x.shape[0], 1, x.shape[-1])
        h = self.conv1(h).relu()
        h = self.conv2(h).relu()
        h = self.conv3(h).relu()
        return self.linear(h.reshape(h.shape[0], -1))


def make_model(name):
    if name == "logistic":
        return nn.Linear(40, 10)
    return MLP() if name == "mlp" else CNN()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--models", nargs="+", default=list(PAPER))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, y, Xt, yt = datasets.mnist1d()
    for name in args.models:
        mg.manual_seed(args.seed)
        model = make_model(name)
        train_loader = DataLoader(TensorDataset(X, y), batch_size=100, shuffle=True)
        test_loader = DataLoader(TensorDataset(Xt, yt), batch_size=1000)
        epochs = args.steps // len(train_loader)
        started = time.perf_counter()
        history = train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                            train_loader, test_loader, epochs=epochs)
        seconds = time.perf_counter() - started
        accuracy = history["val_accuracy"]
        print(f"{name:8s} test accuracy {accuracy[-1]:.1%} (best {max(accuracy):.1%}, "
              f"paper {PAPER[name]:.0%}), train accuracy {history['train_accuracy'][-1]:.1%}, "
              f"{len(history.steps['step'])} steps in {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
