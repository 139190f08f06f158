"""``mnist1d_cnn``: the MNIST-1D paper's CNN trained as the paper trains it.

Adam with learning rate 1e-2, batches of 100 taken in order from the 4000 training samples,
8000 steps (a few hundred with ``--quick``). The run is cut into chunks that alternate between
the contenders; the reported seconds are the sum of the measured chunks, nothing extrapolated.
The test accuracy at the end shows both libraries learned the same thing. The NumPy backend,
slower, trains an eighth of the steps in the same chunks; its row compares seconds per step.
"""

import numpy as np

from benchmarks.cases import _models
from benchmarks.cases._common import NUMPY_BACKEND, Context, needs, profile_if_missed
from benchmarks.harness import Result, compare

BATCH = 100
LR = 1e-2


def run(ctx: Context) -> list[Result]:
    unavailable = needs("mnist1d_cnn", "minigrad.nn.Conv1d", "minigrad.nn.Flatten",
                        "minigrad.nn.functional.cross_entropy", "minigrad.optim.Adam",
                        "minigrad.data.datasets.mnist1d")
    if unavailable:
        return unavailable
    from minigrad.data.datasets import mnist1d

    data = mnist1d()
    total_steps, chunks = (300, 3) if ctx.quick else (8000, 8)
    torch_model, minigrad_copy = _models.twins(_models.mnist1d_cnn)
    runs = {"minigrad": Training("minigrad", minigrad_copy(), data),
            NUMPY_BACKEND: Training("minigrad", minigrad_copy(), data, backend="numpy"),
            "torch": Training("torch", torch_model, data)}
    for name, training in runs.items():  # warm-up on a throwaway copy: caches, thread pools
        model = _models.twins(_models.mnist1d_cnn)[0] if name == "torch" else minigrad_copy()
        Training(training.lib.name, model, data, training.backend).train(5)
    slower = {NUMPY_BACKEND: 8}  # steps per chunk divided by this
    chunk = {name: total_steps // chunks // slower.get(name, 1) for name in runs}
    samples = compare({name: (lambda t=t, n=chunk[name]: t.train(n))
                       for name, t in runs.items()}, repeats=chunks, warmup=0, number=1)
    seconds = {name: sum(values) for name, values in samples.items()}
    steps = {name: runs[name].step for name in runs}
    accuracy = {name: t.test_accuracy() for name, t in runs.items()}
    note = (f"{steps['minigrad']} steps; test accuracy minigrad {accuracy['minigrad']:.1%}, "
            f"torch {accuracy['torch']:.1%}")
    per_step = {name: seconds[name] / steps[name] for name in runs}
    rows = [Result("mnist1d_cnn", seconds["minigrad"], "torch", seconds["torch"],
                   ctx.limits.gemm_s(steps["minigrad"] * flops_per_step()), max_ratio=1.5,
                   note=note),
            Result("mnist1d_cnn [numpy backend]", per_step[NUMPY_BACKEND], "torch",
                   per_step["torch"], ctx.limits.gemm_s(flops_per_step()),
                   note=f"seconds per step: the mean of {steps[NUMPY_BACKEND]} steps (numpy "
                        f"backend) and of {steps['torch']} (torch)")]
    profile_if_missed(ctx, "mnist1d_cnn", rows, lambda: runs["minigrad"].train(1))
    return rows


def flops_per_step() -> int:
    """The convolutions and the linear layer as matrix products, forward and backward."""
    conv1 = 2 * BATCH * 19 * 25 * 5
    conv2 = 2 * BATCH * 10 * 25 * 25 * 3
    conv3 = 2 * BATCH * 5 * 25 * 25 * 3
    linear = 2 * BATCH * 125 * 10
    return 2 * (conv1 + conv2 + conv3 + linear) + conv2 + conv3 + linear


class Training:
    """A model, its Adam optimizer and its place in the data, trained a chunk at a time."""

    def __init__(self, library: str, model, data, backend: str = "numba"):
        self.lib = _models.library(library)
        self.model, self.backend = model, backend
        self.optimizer = self.lib.optim.Adam(model.parameters(), lr=LR)
        x = data.X_train.reshape(-1, 1, 40)
        self.batches = [(self.lib.from_numpy(np.ascontiguousarray(x[i:i + BATCH])),
                         self.lib.from_numpy(data.y_train[i:i + BATCH]))
                        for i in range(0, len(x) - BATCH + 1, BATCH)]
        self.x_test = self.lib.from_numpy(data.X_test.reshape(-1, 1, 40))
        self.y_test = data.y_test
        self.step = 0

    def train(self, steps: int) -> None:
        import minigrad as mg

        with mg.backend.using(self.backend):
            for _ in range(steps):
                x, y = self.batches[self.step % len(self.batches)]
                self.optimizer.zero_grad()
                self.lib.F.cross_entropy(self.model(x), y).backward()
                self.optimizer.step()
                self.step += 1

    def test_accuracy(self) -> float:
        with self.lib.no_grad():
            predicted = self.model(self.x_test).argmax(1).numpy()
        return float(np.mean(predicted == self.y_test))
