"""Small offline datasets and test problems, each deterministic given its ``seed``.

Conventions, the same for every generator here:

- Supervised generators return a named tuple that starts with
  ``(X_train, y_train, X_test, y_test)`` (NumPy arrays), so ``X, y, Xt, yt = moons()``
  works; known truths (the sparse weights of ``sparse_regression``) follow as extra fields.
  They take ``num_samples`` (train + test) and ``train_split`` (the fraction for training),
  as the ``mnist1d`` package does.
- Inputs are float32; class labels and symbols int64; regression targets float32 of shape
  ``(n, 1)``, the shape ``nn.Linear(d, 1)`` produces, so ``MSELoss`` never broadcasts.
- Every draw comes from a private ``np.random.Generator(PCG64(seed))``: the same seed gives
  the same arrays, whatever else the program has drawn from minigrad's generator.
- Optimization test problems (``ill_conditioned_quadratic``, ``rosenbrock``) are float64 and
  take points ``x`` of shape ``(..., d)``, so one call evaluates a whole grid for a contour plot.

Wrap arrays for a ``DataLoader`` with ``TensorDataset(X_train, y_train)``.
"""

import os
import random
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minigrad.errors import RangeError

# -- conventions ----------------------------------------------------------------------------------


class Split(NamedTuple):
    """A supervised dataset: training and test inputs and targets."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(int(seed)))


def _check_positive(name: str, value, owner: str) -> None:
    if value < 1:
        raise RangeError(f"{owner}: {name} must be at least 1, got {value}")


def _split(X: np.ndarray, y: np.ndarray, train_split: float, owner: str) -> Split:
    """The first ``int(n * train_split)`` samples train, the rest test (the mnist1d rule)."""
    if not 0.0 < train_split < 1.0:
        raise RangeError(f"{owner}: train_split must be in (0, 1), got {train_split}")
    n_train = int(len(y) * train_split)
    if n_train == 0 or n_train == len(y):
        raise RangeError(f"{owner}: num_samples={len(y)} with train_split={train_split} "
                         f"leaves an empty training or test set")
    return Split(X[:n_train], y[:n_train], X[n_train:], y[n_train:])


# -- MNIST-1D -------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where generated datasets are cached: ``$MINIGRAD_CACHE``, else ``~/.cache/minigrad``."""
    configured = os.environ.get("MINIGRAD_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "minigrad"


def mnist1d(num_samples: int = 5000, train_split: float = 0.8, seed: int = 42,
            shuffle_seq: bool = False) -> Split:
    """MNIST-1D (Greydanus & Steinbach): 10 one-dimensional digit templates, padded, scaled,
    translated, sheared and noised into sequences of 40 values.

    The defaults are the ``mnist1d`` package's and give its standard dataset: 4000 training and
    1000 test samples, ``X`` float32 of shape ``(n, 40)`` standardized to mean 0 and std 1,
    ``y`` int64 in 0..9. ``shuffle_seq=True`` permutes the 40 positions (the same permutation
    for every sample), which destroys spatial structure but not the information.

    The arrays are generated offline by the package's ``make_dataset`` (about 1.3 s for 5000
    samples) and cached as ``.npz`` in ``cache_dir()``; later calls load the cache. The package
    is imported only on a cache miss (``pip install mnist1d``); its download path is never used.
    """
    _check_positive("num_samples", num_samples, "mnist1d")
    name = f"mnist1d_n{num_samples}_split{train_split}_seed{seed}{'_shuffled' * shuffle_seq}.npz"
    path = cache_dir() / name
    if not path.exists():
        arrays = _make_mnist1d(num_samples, train_split, seed, shuffle_seq)
        _save_npz_atomically(path, arrays)
    with np.load(path, allow_pickle=False) as cached:
        return Split(cached["X_train"], cached["y_train"], cached["X_test"], cached["y_test"])


def _make_mnist1d(num_samples: int, train_split: float, seed: int,
                  shuffle_seq: bool) -> dict:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.train_split, args.seed = num_samples, train_split, seed
    args.shuffle_seq = shuffle_seq
    # make_dataset reseeds the global `random` and NumPy states; put them back afterwards so
    # that generating the data changes nothing else in the user's program.
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    return {"X_train": data["x"].astype(np.float32), "y_train": data["y"].astype(np.int64),
            "X_test": data["x_test"].astype(np.float32),
            "y_test": data["y_test"].astype(np.int64)}


def _save_npz_atomically(path: Path, arrays: dict) -> None:
    """Write to a temporary file and rename it, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as file:
        np.savez(file, **arrays)
    os.replace(file.name, path)


# -- two-dimensional classification ---------------------------------------------------------------


def moons(num_samples: int = 1000, noise: float = 0.1, train_split: float = 0.8,
          seed: int = 0) -> Split:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), shuffled.

    Class 0: ``(cos θ, sin θ)``; class 1: ``(1 - cos θ, 0.5 - sin θ)``, θ evenly spaced in
    [0, π], plus Gaussian noise of std ``noise``. ``X`` float32 ``(n, 2)``, ``y`` int64.
    """
    _check_positive("num_samples", num_samples, "moons")
    rng = _rng(seed)
    n_outer = (num_samples + 1) // 2
    n_inner = num_samples - n_outer
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n_inner)
    X = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], axis=1),
                        np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(num_samples)
    return _split(X[order].astype(np.float32), y[order], train_split, "moons")


def spirals(num_samples: int = 900, num_classes: int = 3, noise: float = 0.2,
            train_split: float = 0.8, seed: int = 0) -> Split:
    """``num_classes`` interleaved spiral arms (the classic CS231n toy problem), shuffled.

    Sample i has class ``c = i mod num_classes``, radius ``r ~ U(0, 1)`` and angle
    ``t = 2πc / num_classes + 4r + noise·ε``, ε ~ N(0, 1); ``x = r (sin t, cos t)``.
    Not linearly separable: a linear model stays near chance, a small MLP gets it right.
    ``X`` float32 ``(n, 2)``, ``y`` int64 in ``0..num_classes-1``.
    """
    _check_positive("num_samples", num_samples, "spirals")
    _check_positive("num_classes", num_classes, "spirals")
    rng = _rng(seed)
    y = np.arange(num_samples, dtype=np.int64) % num_classes
    r = rng.uniform(0.0, 1.0, num_samples)
    t = 2 * np.pi * y / num_classes + 4 * r + noise * rng.standard_normal(num_samples)
    X = r[:, None] * np.stack([np.sin(t), np.cos(t)], axis=1)
    order = rng.permutation(num_samples)
    return _split(X[order].astype(np.float32), y[order], train_split, "spirals")


# -- regression -----------------------------------------------------------------------------------


class SparseRegression(NamedTuple):
    """``Split``'s four arrays plus the true weights that generated them."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    true_weight: np.ndarray


def sparse_regression(num_samples: int = 200, num_features: int = 50, num_informative: int = 5,
                      noise: float = 0.1, train_split: float = 0.8,
                      seed: int = 0) -> SparseRegression:
    """Linear data whose true weight vector has only ``num_informative`` nonzero entries.

    ``y = X wᵀ + noise·ε`` with ``X, ε ~ N(0, 1)``. ``true_weight`` has the shape of
    ``nn.Linear(num_features, 1).weight``, ``(1, num_features)``; its nonzero entries sit at
    random positions with magnitudes in [1, 2] and random signs, so they stand clear of zero
    (an L1 penalty should find exactly them). ``y`` float32 ``(n, 1)``.
    """
    _check_positive("num_samples", num_samples, "sparse_regression")
    _check_positive("num_features", num_features, "sparse_regression")
    if not 0 <= num_informative <= num_features:
        raise RangeError(f"sparse_regression: num_informative must be in [0, num_features="
                         f"{num_features}], got {num_informative}")
    rng = _rng(seed)
    weight = np.zeros((1, num_features))
    support = rng.choice(num_features, size=num_informative, replace=False)
    weight[0, support] = rng.uniform(1.0, 2.0, num_informative) * rng.choice([-1.0, 1.0],
                                                                             num_informative)
    X = rng.standard_normal((num_samples, num_features))
    y = X @ weight.T + noise * rng.standard_normal((num_samples, 1))
    split = _split(X.astype(np.float32), y.astype(np.float32), train_split, "sparse_regression")
    return SparseRegression(*split, weight.astype(np.float32))


# -- optimization test problems -------------------------------------------------------------------


class Quadratic(NamedTuple):
    """f(x) = ½ xᵀAx − bᵀx with A symmetric positive definite; minimizer x* = A⁻¹b.

    ``value`` and ``grad`` take points of shape ``(..., d)`` (a grid for contour plots, or one
    point); ``value`` also takes a Tensor, so autograd can check ``grad``. The Hessian is ``A``.
    """

    A: np.ndarray
    b: np.ndarray
    minimizer: np.ndarray

    def value(self, x: np.ndarray) -> np.ndarray:
        """f(x) = ½ xᵀAx − bᵀx, over the last axis of ``x``."""
        return 0.5 * ((x @ self.A) * x).sum(-1) - (x * self.b).sum(-1)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """∇f(x) = Ax − b (A is symmetric)."""
        return x @ self.A - self.b


def ill_conditioned_quadratic(dim: int = 2, condition_number: float = 100.0,
                              rotate: bool = True, seed: int = 0) -> Quadratic:
    """A quadratic whose Hessian has condition number ``condition_number`` (float64).

    ``A = Q diag(λ) Qᵀ`` with eigenvalues λ log-spaced from 1 to ``condition_number`` and Q a
    uniformly random rotation (``rotate=False``: Q = I, the valleys along the axes, where
    per-coordinate methods like Adam shine). ``b ~ N(0, 1)``. Gradient descent with the best
    fixed step contracts the error by (κ − 1)/(κ + 1) per step.
    """
    if dim < 2:
        raise RangeError(f"ill_conditioned_quadratic: dim must be at least 2, got {dim}")
    if condition_number < 1:
        raise RangeError(f"ill_conditioned_quadratic: condition_number must be >= 1, "
                         f"got {condition_number}")
    rng = _rng(seed)
    eigenvalues = np.geomspace(1.0, condition_number, dim)
    Q = _random_rotation(dim, rng) if rotate else np.eye(dim)
    A = (Q * eigenvalues) @ Q.T
    A = (A + A.T) / 2  # exactly symmetric despite rounding
    b = rng.standard_normal(dim)
    return Quadratic(A, b, np.linalg.solve(A, b))


def _random_rotation(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-uniform orthogonal matrix: QR of a Gaussian matrix, signs fixed by R's diagonal."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


def rosenbrock(x, a: float = 1.0, b: float = 100.0):
    """f(x) = Σᵢ [ (a − xᵢ)² + b (xᵢ₊₁ − xᵢ²)² ] over the last axis, minimum 0 at (a, a², …).

    Uses only indexing, arithmetic and ``sum``, so ``x`` may be a NumPy array of shape
    ``(..., d)`` (a grid) or a minigrad Tensor (autograd gives the gradient). d = 2 is the
    classic banana valley; the start (−1.5, 2) is a hard one for plain gradient descent.
    """
    head, tail = x[..., :-1], x[..., 1:]
    return ((a - head) ** 2 + b * (tail - head ** 2) ** 2).sum(-1)


def rosenbrock_grad(x: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """∂f/∂xⱼ = −2(a − xⱼ) − 4b xⱼ (xⱼ₊₁ − xⱼ²) + 2b (xⱼ − xⱼ₋₁²), terms absent at the ends."""
    x = np.asarray(x, dtype=np.float64)
    head, tail = x[..., :-1], x[..., 1:]
    inner = tail - head ** 2
    grad = np.zeros_like(x)
    grad[..., :-1] += -2 * (a - head) - 4 * b * head * inner
    grad[..., 1:] += 2 * b * inner
    return grad


def rosenbrock_hessian(x: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """The (d, d) Hessian at one point x of shape (d,): tridiagonal.

    ∂²f/∂xⱼ² = 2 − 4b(xⱼ₊₁ − 3xⱼ²) [j < d−1] + 2b [j > 0];  ∂²f/∂xⱼ∂xⱼ₊₁ = −4b xⱼ.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise RangeError(f"rosenbrock_hessian: expects one point of shape (d,), d >= 2, "
                         f"got shape {x.shape}")
    head, tail = x[:-1], x[1:]
    diagonal = np.zeros_like(x)
    diagonal[:-1] += 2 - 4 * b * (tail - 3 * head ** 2)
    diagonal[1:] += 2 * b
    off_diagonal = -4 * b * head
    return np.diag(diagonal) + np.diag(off_diagonal, 1) + np.diag(off_diagonal, -1)


# -- long-range memory tasks for recurrent networks -----------------------------------------------


def copy_task(num_samples: int = 1000, delay: int = 100, length: int = 10,
              num_symbols: int = 8, train_split: float = 0.8, seed: int = 0) -> Split:
    """The copy task of Arjovsky, Shah & Bengio (2016), "Unitary Evolution RNNs".

    Categories: data symbols ``0..num_symbols-1``, blank ``num_symbols``, delimiter
    ``num_symbols + 1`` (with the defaults: 0..7, blank 8, delimiter 9). An input of length
    ``T + 2·length`` (T = ``delay``) holds ``length`` random data symbols, then T − 1 blanks,
    the delimiter, and ``length`` blanks; the target is ``T + length`` blanks followed by the
    data symbols in order. Both int64 of shape ``(n, T + 2·length)``, one class per step.

    A model without memory that outputs blanks, then uniform guesses, scores a cross-entropy of
    ``length · log(num_symbols) / (T + 2·length)`` per step: the baseline to beat.
    """
    for name, value in (("num_samples", num_samples), ("delay", delay), ("length", length),
                        ("num_symbols", num_symbols)):
        _check_positive(name, value, "copy_task")
    rng = _rng(seed)
    blank, delimiter = num_symbols, num_symbols + 1
    symbols = rng.integers(0, num_symbols, size=(num_samples, length))
    steps = delay + 2 * length
    inputs = np.full((num_samples, steps), blank, dtype=np.int64)
    inputs[:, :length] = symbols
    inputs[:, length + delay - 1] = delimiter
    targets = np.full((num_samples, steps), blank, dtype=np.int64)
    targets[:, -length:] = symbols
    return _split(inputs, targets, train_split, "copy_task")


def adding_task(num_samples: int = 1000, seq_len: int = 100, train_split: float = 0.8,
                seed: int = 0) -> Split:
    """The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le, Jaitly & Hinton
    2015): add the two marked numbers of a long sequence.

    Each input step has two channels: a value ~ U(0, 1) and a marker, 1 at exactly two steps
    (one uniformly in the first half, one in the second half), 0 elsewhere. The target is the
    sum of the two marked values. ``X`` float32 ``(n, seq_len, 2)`` (batch first), ``y``
    float32 ``(n, 1)``. Always predicting 1 scores an MSE of Var(u₁ + u₂) = 1/6 ≈ 0.167:
    the baseline to beat.
    """
    _check_positive("num_samples", num_samples, "adding_task")
    if seq_len < 2:
        raise RangeError(f"adding_task: seq_len must be at least 2, got {seq_len}")
    rng = _rng(seed)
    values = rng.uniform(0.0, 1.0, (num_samples, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, num_samples)
    second = rng.integers(half, seq_len, num_samples)
    markers = np.zeros((num_samples, seq_len))
    rows = np.arange(num_samples)
    markers[rows, first] = markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second])[:, None].astype(np.float32)
    return _split(X, y, train_split, "adding_task")


# -- characters -----------------------------------------------------------------------------------


class CharCorpus(NamedTuple):
    """A text, its sorted character vocabulary, and the text encoded as int64 indices."""

    text: str
    vocab: tuple
    data: np.ndarray

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Characters to indices (int64); a character outside the vocabulary is a RangeError."""
        index = {char: i for i, char in enumerate(self.vocab)}
        unknown = sorted(set(text) - index.keys())
        if unknown:
            raise RangeError(f"CharCorpus.encode: characters not in the vocabulary: {unknown}")
        return np.array([index[char] for char in text], dtype=np.int64)

    def decode(self, indices) -> str:
        """Indices (any integer sequence, array or Tensor) back to a string."""
        return "".join(self.vocab[int(i)] for i in np.asarray(indices).reshape(-1))


def char_corpus(path: str | os.PathLike | None = None) -> CharCorpus:
    """A character-level corpus for language-model lessons.

    Without ``path``: the ~58 KB of English verse shipped with minigrad (``corpus.txt``:
    Shakespeare's sonnets and speeches and other public-domain poems). With ``path``: any UTF-8
    text file. Lines starting with ``#`` at the top of the shipped file (its header) are
    skipped. Deterministic: there is nothing random to seed.
    """
    source = Path(path) if path is not None else Path(__file__).with_name("corpus.txt")
    text = source.read_text(encoding="utf-8")
    if path is None:
        text = _strip_header(text)
    vocab = tuple(sorted(set(text)))
    corpus = CharCorpus(text, vocab, np.empty(0, np.int64))
    return corpus._replace(data=corpus.encode(text))


def _strip_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[start:]).lstrip("\n")


__all__ = ["Split", "SparseRegression", "Quadratic", "CharCorpus", "cache_dir", "mnist1d",
           "moons", "spirals", "sparse_regression", "ill_conditioned_quadratic", "rosenbrock",
           "rosenbrock_grad", "rosenbrock_hessian", "copy_task", "adding_task", "char_corpus"]
