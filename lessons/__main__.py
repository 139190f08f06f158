"""The main job. Until the lessons land, a short demo: a small network trained from scratch
with nothing but minigrad tensors and autograd, its loss printed as it falls."""

import numpy as np

import minigrad as mg


def two_moons(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(angle) + label, np.sin(angle) * (1 - 2 * label) + 0.5 * label], 1)
    return (x + noise * rng.standard_normal(x.shape)).astype(np.float32), label


def main(steps=300, lr=0.5):
    mg.manual_seed(0)
    x, y = two_moons()
    x, y = mg.tensor(x), mg.tensor(y)
    sizes = [2, 16, 16, 2]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append((mg.rand(fan_in, fan_out) * 2 * bound - bound).detach().requires_grad_())
        params.append(mg.zeros(fan_out, requires_grad=True))
    for step in range(steps + 1):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.tanh()
        loss = -h.log_softmax(1)[mg.arange(len(y)), y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with mg.no_grad():
            for p in params:
                p -= lr * p.grad
        if step % 50 == 0:
            accuracy = (h.argmax(1) == y).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
