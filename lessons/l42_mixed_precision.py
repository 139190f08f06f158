# %% [markdown]
# # Mixed-precision training: same loss, faster? (C60)
#
# > 混合精度训练：维持损失不变，训练速度提升。(note 003)
# >
# > English: "Mixed-precision training: the loss stays the same, training gets faster." — **C60**
#
# Mixed precision runs the big matrix products in float16 (half the bytes, and on GPUs with
# tensor cores many times the arithmetic rate) while the master weights, the loss and the
# optimizer stay float32. `minigrad.amp` has PyTorch's two pieces: `autocast()` (linear and
# convolution layers compute in float16 inside the block) and `GradScaler` (dynamic loss
# scaling). The claim has two parts, and we test each on this machine — a CPU, NumPy:
#
# 1. **the loss stays the same** — does a float16 run follow the float32 loss curve? With and
#    without loss scaling: float16's smallest positive number is 2⁻²⁴ ≈ 6·10⁻⁸, so small
#    gradients can *underflow* to exactly zero;
# 2. **training gets faster** — the median time of one training step, and, as a side result,
#    the bytes the step keeps in memory.

# %%
import time

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from lessons._lesson import Lesson
from lessons._train import evaluate, mlp, mnist1d_arrays
from minigrad import amp, optim
from minigrad.plot import subplots

lesson = Lesson("l42_mixed_precision")
SEEDS = [lesson.seed + i for i in range(3)]
SIZES = [40, 32, 32, 10]
BATCH = 100
x_train, y_train, x_test, y_test = mnist1d_arrays(n_train=lesson.pick(full=4000, fast=1000))
MODES = ("float32", "float16, no scaling", "float16 + GradScaler")
COLORS = {"float32": "C0", "float16, no scaling": "C3", "float16 + GradScaler": "C2"}

# %% [markdown]
# ## 1. Which gradients underflow?
#
# One batch of 100 MNIST-1D samples, an MLP 40-32-32-10. We multiply the loss by a factor
# m = 2⁰ … 2⁻²⁴ (a small loss weight, as in a multi-loss sum — the next line of note 003 — or
# simply small gradients deep in a network) and compute the gradient three ways: in float32
# (the reference), under `autocast()` without scaling, and under `autocast()` with a
# `GradScaler` (initial scale 2¹⁶; if the scaled gradients overflow, the scale is halved and the
# step retried, as the dynamic scaler does over steps). For every gradient entry that is
# non-zero in float32 we check whether the float16 path returned exactly 0 (an underflow), and
# we compute the relative error ‖g₁₆ − g₃₂‖ / ‖g₃₂‖. Multiplying by powers of two is exact, so
# any difference is float16's.

# %%
def gradients(model, x, y, factor: float, mode: str) -> np.ndarray:
    """All parameter gradients of ``factor · loss`` as one float64 vector, computed in ``mode``."""
    params = list(model.parameters())
    scaler = amp.GradScaler(enabled=mode == "float16 + GradScaler")
    probe = optim.SGD(params, lr=0.0)  # lr 0: scaler.step() only unscales and checks
    for _ in range(40):  # the dynamic scaler's retries after overflow
        probe.zero_grad()
        with amp.autocast(enabled=mode != "float32"):
            loss = F.cross_entropy(model(mg.tensor(x)), mg.tensor(y)) * factor
        scaler.scale(loss).backward()
        scaler.step(probe)
        grads = np.concatenate([p.grad.numpy().ravel() for p in params]).astype(np.float64)
        if np.isfinite(grads).all():
            return grads
        scaler.update()
    raise RuntimeError("GradScaler found no finite scale")


FACTORS = [2.0 ** -k for k in range(0, 25, lesson.pick(full=2, fast=4))]
underflow = {mode: [] for mode in MODES[1:]}
rel_error = {mode: [] for mode in MODES[1:]}
mg.manual_seed(lesson.seed)
probe_model = mlp(SIZES)
xb, yb = x_train[:BATCH], y_train[:BATCH]
with np.errstate(over="ignore", invalid="ignore"):
    for factor in FACTORS:
        exact = gradients(probe_model, xb, yb, factor, "float32")
        nonzero = exact != 0
        for mode in MODES[1:]:
            half = gradients(probe_model, xb, yb, factor, mode)
            underflow[mode].append(float(np.mean(half[nonzero] == 0)))
            rel_error[mode].append(float(np.linalg.norm(half - exact) / np.linalg.norm(exact)))
for i, factor in enumerate(FACTORS):
    print(f"m = 2^{np.log2(factor):>4.0f}: zero in float16 "
          + "  ".join(f"{mode} {underflow[mode][i]:6.1%} (rel. error {rel_error[mode][i]:.2g})"
                      for mode in MODES[1:]))

# %% [markdown]
# ## 2. Training: does the float16 loss curve follow float32's?
#
# The same MLP, SGD with momentum 0.9 and batches of 100, trained three ways (float32; float16
# autocast without scaling; float16 autocast with `GradScaler()` and its defaults) in two
# regimes:
# - **natural**: the plain mean cross-entropy, lr 0.1;
# - **small gradients**: the loss times w = 2⁻¹⁶ and the learning rate times 2¹⁶. In exact
#   (and in float32) arithmetic this is the *same* training step for step — it stands for any
#   model whose gradients are small. We take w where section 1 shows most float16 gradient
#   entries underflowing (2⁻¹² loses a few per cent of them, 2⁻¹⁶ most).
#
# Each run uses the same seed for the weights and the batch order in all three modes, so in
# float32 the two regimes coincide.

# %%
EPOCHS = lesson.pick(full=10, fast=5)
W_SMALL = 2.0 ** -16
REGIMES = {"natural (w = 1)": 1.0, "small gradients (w = 2⁻¹⁶)": W_SMALL}


def train(mode: str, weight: float, seed: int) -> dict:
    """Train in ``mode``: the (unweighted) loss of every step, the fraction of gradient entries
    that are exactly 0, and the final test (loss, accuracy)."""
    mg.manual_seed(seed)
    model = mlp(SIZES)
    optimizer = optim.SGD(model.parameters(), lr=0.1 / weight, momentum=0.9)
    scaler = amp.GradScaler(enabled=mode == "float16 + GradScaler")
    losses, zeros = [], []
    for _ in range(EPOCHS):
        order = mg.random.generator().permutation(len(x_train))
        for start in range(0, len(order), BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            with amp.autocast(enabled=mode != "float32"):
                loss = F.cross_entropy(model(mg.tensor(x_train[index])),
                                       mg.tensor(y_train[index]))
            scaler.scale(loss * weight).backward()
            zeros.append(sum(int((p.grad.data == 0).sum()) for p in model.parameters())
                         / sum(p.numel() for p in model.parameters()))
            scaler.step(optimizer)
            scaler.update()
            losses.append(loss.item())
    return {"losses": np.array(losses), "zeros": float(np.mean(zeros)),
            "test": evaluate(model, x_test, y_test)}


with np.errstate(over="ignore", invalid="ignore"):  # unscaled float16 may blow up
    runs = {(regime, mode, seed): train(mode, weight, seed)
            for regime, weight in REGIMES.items() for mode in MODES for seed in SEEDS}
for regime in REGIMES:
    for mode in MODES:
        tests = np.array([runs[regime, mode, s]["test"] for s in SEEDS])
        print(f"{regime:<28} {mode:<22} test loss {tests[:, 0].mean():.3f} ± "
              f"{tests[:, 0].std():.3f}, acc {tests[:, 1].mean():.3f}, zero grads "
              f"{np.mean([runs[regime, mode, s]['zeros'] for s in SEEDS]):.1%}")


# %%
def smooth(values: np.ndarray, width: int = 10) -> np.ndarray:
    """Moving average over ``width`` steps (the batch loss is noisy)."""
    return np.convolve(values, np.ones(width) / width, mode="valid")


fig, axes = subplots(1, 3, figsize=(17, 4.4))
for mode in MODES[1:]:
    axes[0].plot(np.log2(FACTORS), 100 * np.array(underflow[mode]), "o-", color=COLORS[mode],
                 label=mode)
axes[0].axvline(np.log2(W_SMALL), color="gray", ls=":", label="w of the small-gradient runs")
axes[0].set(title="C60  gradient entries that underflow to 0",
            xlabel="log₂ of the loss factor m", ylabel="% of non-zero float32 entries = 0")
axes[0].legend(fontsize=8)
for ax, regime in zip(axes[1:], REGIMES):
    for mode, style in zip(MODES, ("-", ":", "--")):
        curve = np.mean([smooth(runs[regime, mode, s]["losses"]) for s in SEEDS], axis=0)
        ax.plot(np.arange(len(curve)) + 10, curve, style, color=COLORS[mode], lw=2.2 - 0.4 *
                MODES.index(mode), label=mode)
    ax.set(title=f"C60  training loss, {regime}", xlabel="SGD step",
           ylabel=f"batch cross-entropy (10-step avg, mean of {len(SEEDS)} seeds)")
    ax.legend(fontsize=8)
lesson.figure(fig, "c60_loss")

# %% [markdown]
# ## 3. Time per step and memory
#
# One training step (zero_grad, forward, backward, optimizer step) on a batch of 100, for the
# MLP above and a wider one (40-256-256-10). The modes alternate inside each repetition, so
# a slow moment of the machine hits all of them alike; we report the median. Memory: the bytes
# of the arrays the step keeps for backward (found by walking the graph from the loss and
# summing `.nbytes` of each node's saved tensors), split into activations and the float16
# copies of the weights, next to the float32 master weights that every mode holds.

# %%
REPEATS = lesson.pick(full=15, fast=3)
WIDTHS = (32, lesson.pick(full=256, fast=128))


def one_step(model, optimizer, scaler, mode: str, x, y) -> mg.Tensor:
    optimizer.zero_grad()
    with amp.autocast(enabled=mode != "float32"):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss


def step_times(width: int) -> dict:
    """Median seconds per training step of each mode, the modes alternating."""
    mg.manual_seed(lesson.seed)
    model = mlp([40, width, width, 10])
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scalers = {mode: amp.GradScaler(enabled=mode == "float16 + GradScaler") for mode in MODES}
    x, y = mg.tensor(x_train[:BATCH]), mg.tensor(y_train[:BATCH])
    times = {mode: [] for mode in MODES}
    for _ in range(REPEATS + 1):
        for mode in MODES:
            start = time.perf_counter()
            one_step(model, optimizer, scalers[mode], mode, x, y)
            times[mode].append(time.perf_counter() - start)
    return {mode: float(np.median(t[1:])) for mode, t in times.items()}  # first: warm-up


def saved_bytes(width: int, mode: str) -> dict:
    """Bytes kept for backward by one forward pass, by kind."""
    mg.manual_seed(lesson.seed)
    model = mlp([40, width, width, 10])
    params = {id(p.data): p for p in model.parameters()}
    with amp.autocast(enabled=mode != "float32"):
        loss = F.cross_entropy(model(mg.tensor(x_train[:BATCH])), mg.tensor(y_train[:BATCH]))
    arrays, seen, stack = {}, set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        for t in fn.saved_tensors:
            arrays[id(t.data)] = t
        stack.extend(t.grad_fn for t in fn.inputs)
    kinds = {"float32 master weights": sum(p.data.nbytes for p in params.values()),
             "float16 weight copies": 0, "activations": 0}
    for key, t in arrays.items():
        if key in params:
            continue  # the master weights themselves, counted above
        source = t.grad_fn.inputs if t.grad_fn is not None and t.grad_fn.inputs else ()
        is_copy = any(id(s.data) in params and s.shape == t.shape for s in source)
        kinds["float16 weight copies" if is_copy else "activations"] += t.data.nbytes
    return kinds


timing = {width: step_times(width) for width in WIDTHS}
memory = {width: {mode: saved_bytes(width, mode) for mode in MODES[:2]} for width in WIDTHS}


def matmul_time(dtype) -> float:
    """Median seconds of one (100 × 256) @ (256 × 256) product in ``dtype``: NumPy's own loop
    for float16 (no BLAS kernel for it), BLAS for float32."""
    a, w = np.ones((BATCH, 256), dtype), np.ones((256, 256), dtype)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        a @ w
        times.append(time.perf_counter() - start)
    return float(np.median(times))


matmul = {name: matmul_time(name) for name in ("float32", "float16")}
print(f"one 100×256 @ 256×256 matmul: float32 {1e3 * matmul['float32']:.3f} ms, "
      f"float16 {1e3 * matmul['float16']:.3f} ms")
for width in WIDTHS:
    print(f"width {width}: median ms/step " + ", ".join(
        f"{mode} {1e3 * t:.2f}" for mode, t in timing[width].items()))
    for mode, kinds in memory[width].items():
        print(f"   {mode:<22} " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in kinds.items()))

# %%
fig, (ax_time, ax_mem) = subplots(1, 2, figsize=(13, 4.4))
slots = np.arange(len(WIDTHS))
for k, mode in enumerate(MODES):
    ax_time.bar(slots + (k - 1) * 0.27, [1e3 * timing[w][mode] for w in WIDTHS], 0.27,
                color=COLORS[mode], label=mode)
ax_time.set(yscale="log", xticks=slots, xticklabels=[f"MLP 40-{w}-{w}-10" for w in WIDTHS],
            title=f"C60  time per training step (median of {REPEATS}, batch {BATCH})",
            ylabel="milliseconds per step (log)")
ax_time.legend(fontsize=8)
KINDS = ("float32 master weights", "float16 weight copies", "activations")
HATCH = {"float32 master weights": "", "float16 weight copies": "//", "activations": ".."}
for k, mode in enumerate(MODES[:2]):
    bottom = np.zeros(len(WIDTHS))
    reference = np.array([sum(memory[w]["float32"].values()) for w in WIDTHS])
    for kind in KINDS:
        height = 100 * np.array([memory[w][mode][kind] for w in WIDTHS]) / reference
        ax_mem.bar(slots + (k - 0.5) * 0.38, height, 0.38, bottom=bottom, color=COLORS[mode],
                   hatch=HATCH[kind], edgecolor="white",
                   label=f"{'float32' if k == 0 else 'float16 autocast'}: {kind}"
                   if height.any() else None)
        bottom += height
    for slot, top, w in zip(slots, bottom, WIDTHS):
        ax_mem.text(slot + (k - 0.5) * 0.38, top + 2, f"{sum(memory[w][mode].values()) / 1024:.0f}"
                    " KiB", ha="center", fontsize=8)
ax_mem.set(xticks=slots, xticklabels=[f"MLP 40-{w}-{w}-10" for w in WIDTHS], ylim=(0, 150),
           title="C60  bytes kept for backward + master weights",
           ylabel="% of the float32 step's bytes (stacked)")
ax_mem.legend(fontsize=7, ncol=2, loc="upper left")
lesson.figure(fig, "c60_cost")

# %% [markdown]
# **Rule.** The claim has two parts.
# - *The loss stays the same* if, in both regimes, the float16 + `GradScaler` runs end with a
#   test loss whose mean difference from the float32 runs (paired by seed) is smaller than the
#   seed-to-seed standard deviation of the float32 test loss: precision then changes the result
#   less than the choice of seed does. The same test on the unscaled float16 runs tells whether
#   scaling was needed.
# - *Training gets faster* if the float16 + `GradScaler` step takes less than 0.9× the float32
#   step on the wider MLP (the one where matrix products dominate).
#
# REPRODUCED if both parts hold, NUANCED if one does, NOT REPRODUCED if neither. The memory
# ratio is reported next to them.


# %%
def matches_float32(regime: str, mode: str) -> tuple[bool, float, float]:
    """(|mean paired test-loss difference| < float32's seed std, the difference, the std)."""
    base = np.array([runs[regime, "float32", s]["test"][0] for s in SEEDS])
    other = np.array([runs[regime, mode, s]["test"][0] for s in SEEDS])
    diff = float(np.mean(other - base)) if np.isfinite(other).all() else float("inf")
    return abs(diff) < base.std(), diff, float(base.std())


same = {(regime, mode): matches_float32(regime, mode) for regime in REGIMES for mode in MODES[1:]}
loss_same = all(same[regime, "float16 + GradScaler"][0] for regime in REGIMES)
wide = WIDTHS[-1]
speed = timing[wide]["float16 + GradScaler"] / timing[wide]["float32"]
faster = speed < 0.9
act = {w: memory[w]["float16, no scaling"]["activations"] / memory[w]["float32"]["activations"]
       for w in WIDTHS}
total = {w: sum(memory[w]["float16, no scaling"].values()) / sum(memory[w]["float32"].values())
         for w in WIDTHS}
small = list(REGIMES)[1]
status = {2: "REPRODUCED", 1: "NUANCED", 0: "NOT REPRODUCED"}[loss_same + faster]
lesson.verdict(
    "C60", status,
    "loss: float16+GradScaler − float32 test loss " + ", ".join(
        f"{regime.split(' (')[0]} {same[regime, 'float16 + GradScaler'][1]:+.4f} "
        f"(seed std {same[regime, 'float16 + GradScaler'][2]:.4f})" for regime in REGIMES)
    + f" → {'same' if loss_same else 'different'}; without scaling, {small.split(' (')[0]} "
    f"{same[small, 'float16, no scaling'][1]:+.4f} with "
    f"{np.mean([runs[small, 'float16, no scaling', s]['zeros'] for s in SEEDS]):.0%} zero "
    f"gradient entries (float32 "
    f"{np.mean([runs[small, 'float32', s]['zeros'] for s in SEEDS]):.0%}); speed: float16 step "
    f"{speed:.0f}× the float32 step ({1e3 * timing[wide]['float16 + GradScaler']:.0f} vs "
    f"{1e3 * timing[wide]['float32']:.2f} ms, width {wide}) → {'faster' if faster else 'slower'}"
    f"; memory: activations ×{act[wide]:.2f}, with weights ×{total[wide]:.2f} "
    f"({len(SEEDS)} seeds, {EPOCHS} epochs)",
    claim="Mixed-precision training keeps the loss unchanged and trains faster",
    figures=["c60_loss", "c60_cost"])

# %% [markdown]
# **What it means.** The numerical half of the claim holds with a condition: float16 with
# float32 master weights follows float32's loss curve *if* the loss is scaled. Without scaling,
# any gradient entry below 2⁻²⁴ ≈ 6·10⁻⁸ becomes exactly zero (and those below 2⁻¹⁴ lose
# precision); with ordinary gradients of a small MLP that is rare, but once gradients are small
# — a small loss weight, a deep net — most of them vanish and the run no longer tracks float32.
# `GradScaler` multiplies the loss by 2¹⁶ before backward and divides the float32 gradients
# afterwards, shifting them into float16's range; on overflow it skips the step and halves the
# scale. "Unchanged" means statistically, not bit for bit: float16's rounding (and the first
# steps the scaler skips while it finds its scale) make the run drift from the float32 one the
# way another seed would, so the fair comparison is against the seed-to-seed spread.
#
# The speed half is about *hardware*, not about the method. A GPU with tensor cores does float16
# products several times faster than float32 and moves half the bytes. A CPU running NumPy has
# no float16 arithmetic: NumPy converts every element and runs its own loop instead of a BLAS
# kernel, so a float16 matrix product is hundreds of times *slower* here, and a mixed-precision
# step with it. Memory does behave as advertised for what scales with the batch: the saved
# activations halve. The float16 copies of the weights come on top of the float32 masters, so
# for the parameters mixed precision costs memory; it pays off when activations dominate (big
# batches, long sequences).
