"""data.datasets: shapes, dtypes, determinism per seed, known truths, and the mnist1d cache."""

import random

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, TensorDataset, datasets

SPLIT_GENERATORS = {
    "moons": lambda seed: datasets.moons(num_samples=100, seed=seed),
    "spirals": lambda seed: datasets.spirals(num_samples=90, seed=seed),
    "sparse_regression": lambda seed: datasets.sparse_regression(num_samples=100, seed=seed),
    "copy_task": lambda seed: datasets.copy_task(num_samples=100, delay=20, seed=seed),
    "adding_task": lambda seed: datasets.adding_task(num_samples=100, seq_len=30, seed=seed),
}


def assert_all_equal(first, second, name):
    for k, (a, b) in enumerate(zip(first, second)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: field {k} differs for one seed")


# -- shared conventions ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SPLIT_GENERATORS)
def test_same_seed_gives_identical_arrays(name):
    assert_all_equal(SPLIT_GENERATORS[name](3), SPLIT_GENERATORS[name](3), name)


@pytest.mark.parametrize("name", SPLIT_GENERATORS)
def test_different_seeds_give_different_arrays(name):
    first, second = SPLIT_GENERATORS[name](3), SPLIT_GENERATORS[name](4)
    assert not np.array_equal(first.X_train, second.X_train), f"{name}: seeds 3 and 4 agree"


@pytest.mark.parametrize("name", SPLIT_GENERATORS)
def test_generators_do_not_touch_global_random_states(name):
    mg.manual_seed(0)
    minigrad_state, numpy_state = mg.get_rng_state(), np.random.get_state()[1].copy()
    SPLIT_GENERATORS[name](0)
    assert mg.get_rng_state() == minigrad_state
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


@pytest.mark.parametrize("name", SPLIT_GENERATORS)
def test_split_is_eighty_twenty_and_unpacks_as_four_arrays(name):
    X_train, y_train, X_test, y_test = SPLIT_GENERATORS[name](0)[:4]
    n = len(X_train) + len(X_test)
    assert len(X_train) == len(y_train) == int(0.8 * n) and len(X_test) == len(y_test)


@pytest.mark.parametrize("train_split", [0.0, 1.0, 1.5])
def test_train_split_outside_zero_one_is_refused(train_split):
    with pytest.raises(mg.RangeError, match="moons: train_split"):
        datasets.moons(train_split=train_split)


def test_split_that_leaves_an_empty_set_is_refused():
    with pytest.raises(mg.RangeError, match="empty training or test set"):
        datasets.moons(num_samples=1)


def test_arrays_feed_a_tensor_dataset_and_loader():
    X_train, y_train, _, _ = datasets.moons(num_samples=100)
    X, y = next(iter(DataLoader(TensorDataset(X_train, y_train), batch_size=16)))
    assert (X.shape, X.dtype, y.dtype) == ((16, 2), np.float32, np.int64)


# -- classification -------------------------------------------------------------------------------


def test_moons_shapes_dtypes_and_balanced_classes():
    X_train, y_train, X_test, y_test = datasets.moons(num_samples=101, noise=0.0)
    assert X_train.shape == (80, 2) and X_test.shape == (21, 2)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    y = np.concatenate([y_train, y_test])
    assert np.bincount(y).tolist() == [51, 50]
    X = np.concatenate([X_train, X_test])
    radius_upper = np.hypot(X[y == 0, 0], X[y == 0, 1])
    np.testing.assert_allclose(radius_upper, 1.0, atol=1e-6, err_msg="noise=0: on the unit circle")


def test_spirals_labels_cover_every_class_and_radius_is_at_most_one():
    split = datasets.spirals(num_samples=300, num_classes=4, noise=0.0)
    y = np.concatenate([split.y_train, split.y_test])
    X = np.concatenate([split.X_train, split.X_test])
    assert np.bincount(y).tolist() == [75] * 4
    assert X.dtype == np.float32 and np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-6


# -- regression -----------------------------------------------------------------------------------


def test_sparse_regression_truth_is_sparse_and_explains_the_targets():
    data = datasets.sparse_regression(num_samples=200, num_features=30, num_informative=4,
                                      noise=0.0)
    assert data.true_weight.shape == (1, 30) and data.y_train.shape == (160, 1)
    nonzero = np.abs(data.true_weight[data.true_weight != 0])
    assert len(nonzero) == 4 and (nonzero >= 1).all() and (nonzero <= 2).all()
    np.testing.assert_allclose(data.X_test @ data.true_weight.T, data.y_test, rtol=1e-5,
                               atol=1e-5)


def test_sparse_regression_noise_has_the_requested_scale():
    data = datasets.sparse_regression(num_samples=4000, num_features=5, noise=0.5)
    residual = data.y_train - data.X_train @ data.true_weight.T
    assert abs(residual.std() - 0.5) < 0.05, f"residual std {residual.std():.3f}, expected 0.5"


def test_sparse_regression_refuses_more_informative_than_features():
    with pytest.raises(mg.RangeError, match="num_informative"):
        datasets.sparse_regression(num_features=3, num_informative=4)


# -- optimization problems ------------------------------------------------------------------------


@pytest.mark.parametrize("rotate", [True, False])
def test_quadratic_has_the_requested_condition_number_and_minimizer(rotate):
    problem = datasets.ill_conditioned_quadratic(dim=5, condition_number=1e3, rotate=rotate,
                                                 seed=1)
    assert np.linalg.cond(problem.A) == pytest.approx(1e3, rel=1e-8)
    np.testing.assert_array_equal(problem.A, problem.A.T)
    np.testing.assert_allclose(problem.grad(problem.minimizer), 0.0, atol=1e-10)
    assert (np.linalg.eigvalsh(problem.A) > 0).all()
    if not rotate:
        np.testing.assert_allclose(problem.A, np.diag(np.diag(problem.A)))


def test_quadratic_value_and_grad_agree_with_finite_differences():
    problem = datasets.ill_conditioned_quadratic(dim=3, condition_number=10.0, seed=2)
    x, eps = np.array([0.3, -1.2, 0.7]), 1e-6
    numeric = [(problem.value(x + eps * e) - problem.value(x - eps * e)) / (2 * eps)
               for e in np.eye(3)]
    np.testing.assert_allclose(problem.grad(x), numeric, rtol=1e-6)


def test_quadratic_value_works_on_tensors_with_autograd():
    problem = datasets.ill_conditioned_quadratic(dim=3, condition_number=10.0, seed=2)
    x = mg.tensor([0.3, -1.2, 0.7], dtype=mg.float64, requires_grad=True)
    problem.value(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), problem.grad(x.detach().numpy()), rtol=1e-12)


def test_quadratic_evaluates_a_grid_of_points():
    problem = datasets.ill_conditioned_quadratic(seed=0)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 7), np.linspace(-1, 1, 5)), axis=-1)
    values = problem.value(grid)
    assert values.shape == (5, 7)
    assert values[2, 3] == pytest.approx(problem.value(grid[2, 3]))


def test_quadratic_refuses_bad_arguments():
    with pytest.raises(mg.RangeError, match="condition_number"):
        datasets.ill_conditioned_quadratic(condition_number=0.5)
    with pytest.raises(mg.RangeError, match="dim"):
        datasets.ill_conditioned_quadratic(dim=1)


def test_rosenbrock_minimum_is_zero_at_all_ones():
    assert datasets.rosenbrock(np.ones(4)) == 0.0
    np.testing.assert_array_equal(datasets.rosenbrock_grad(np.ones(4)), np.zeros(4))
    assert datasets.rosenbrock(np.array([-1.5, 2.0])) == pytest.approx(2.5 ** 2 + 100 * 0.25 ** 2)


def test_rosenbrock_grad_and_hessian_agree_with_finite_differences():
    x, eps = np.array([-1.2, 1.0, 0.4]), 1e-6
    basis = np.eye(3)
    numeric_grad = [(datasets.rosenbrock(x + eps * e) - datasets.rosenbrock(x - eps * e))
                    / (2 * eps) for e in basis]
    np.testing.assert_allclose(datasets.rosenbrock_grad(x), numeric_grad, rtol=1e-6)
    numeric_hessian = np.stack([(datasets.rosenbrock_grad(x + eps * e)
                                 - datasets.rosenbrock_grad(x - eps * e)) / (2 * eps)
                                for e in basis])
    np.testing.assert_allclose(datasets.rosenbrock_hessian(x), numeric_hessian, rtol=1e-6,
                               atol=1e-6)


def test_rosenbrock_works_on_tensors_with_autograd():
    x = mg.tensor([-1.5, 2.0, 0.5], dtype=mg.float64, requires_grad=True)
    datasets.rosenbrock(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), datasets.rosenbrock_grad(x.detach().numpy()))


def test_rosenbrock_evaluates_a_grid_of_points():
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-1, 3, 4)), axis=-1)
    assert datasets.rosenbrock(grid).shape == (4, 9)


def test_rosenbrock_hessian_wants_one_point():
    with pytest.raises(mg.RangeError, match="rosenbrock_hessian"):
        datasets.rosenbrock_hessian(np.ones((2, 2)))


# -- memory tasks ---------------------------------------------------------------------------------


def test_copy_task_follows_arjovsky_et_al():
    delay, length = 20, 10
    X_train, y_train, _, _ = datasets.copy_task(num_samples=50, delay=delay, length=length)
    steps = delay + 2 * length
    assert X_train.shape == y_train.shape == (40, steps) and X_train.dtype == np.int64
    symbols = X_train[:, :length]
    assert symbols.min() >= 0 and symbols.max() <= 7, "data symbols are 0..7"
    assert (X_train[:, length:length + delay - 1] == 8).all(), "T - 1 blanks"
    assert (X_train[:, length + delay - 1] == 9).all(), "then the delimiter"
    assert (X_train[:, length + delay:] == 8).all(), "then blanks while the model answers"
    assert (y_train[:, :delay + length] == 8).all(), "target: blanks ..."
    np.testing.assert_array_equal(y_train[:, -length:], symbols, "... then the symbols")


def test_adding_task_marks_one_step_in_each_half_and_sums_them():
    X_train, y_train, _, _ = datasets.adding_task(num_samples=100, seq_len=30)
    assert X_train.shape == (80, 30, 2) and y_train.shape == (80, 1)
    assert X_train.dtype == y_train.dtype == np.float32
    markers = X_train[..., 1]
    assert (markers.sum(1) == 2).all()
    assert (markers[:, :15].sum(1) == 1).all() and (markers[:, 15:].sum(1) == 1).all()
    np.testing.assert_allclose((X_train[..., 0] * markers).sum(1, keepdims=True), y_train,
                               rtol=1e-6)
    assert 0 <= X_train[..., 0].min() and X_train[..., 0].max() < 1


def test_adding_task_baseline_is_one_sixth():
    _, y_train, _, _ = datasets.adding_task(num_samples=20000, seq_len=4)
    mse_of_predicting_one = ((y_train - 1.0) ** 2).mean()
    assert mse_of_predicting_one == pytest.approx(1 / 6, abs=0.01)


# -- characters -----------------------------------------------------------------------------------


def test_char_corpus_round_trips_and_has_a_small_vocabulary():
    corpus = datasets.char_corpus()
    assert 20_000 <= len(corpus.text) <= 60_000
    assert not corpus.text.startswith("#"), "the header comment is not part of the text"
    assert corpus.data.dtype == np.int64 and len(corpus.data) == len(corpus.text)
    assert corpus.vocab == tuple(sorted(set(corpus.text))) and corpus.vocab_size < 100
    assert corpus.decode(corpus.data) == corpus.text
    assert corpus.decode(corpus.encode("To be, or not to be")) == "To be, or not to be"
    assert corpus.decode(mg.from_numpy(corpus.data[:5])) == corpus.text[:5]


def test_char_corpus_refuses_unknown_characters():
    with pytest.raises(mg.RangeError, match=r"\['~'\]"):
        datasets.char_corpus().encode("a~b")


def test_char_corpus_reads_any_text_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("# kept: only the shipped file has a header\nabba\n", encoding="utf-8")
    corpus = datasets.char_corpus(path)
    assert corpus.text.startswith("# kept")
    assert corpus.encode("ab").tolist() == [corpus.vocab.index("a"), corpus.vocab.index("b")]


# -- MNIST-1D -------------------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_mnist1d_is_generated_once_then_loaded_from_the_cache(cache):
    pytest.importorskip("mnist1d")
    state = np.random.get_state()[1].copy(), random.getstate()
    first = datasets.mnist1d(num_samples=500)
    np.testing.assert_array_equal(np.random.get_state()[1], state[0])
    assert random.getstate() == state[1], "make_dataset's global reseeding must be undone"
    files = list(cache.glob("*.npz"))
    assert len(files) == 1, f"expected one cached file, found {files}"
    X_train, y_train, X_test, y_test = first
    assert X_train.shape == (400, 40) and X_test.shape == (100, 40)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert set(np.unique(y_train)) <= set(range(10))
    mtime = files[0].stat().st_mtime_ns
    assert_all_equal(first, datasets.mnist1d(num_samples=500), "mnist1d")
    assert files[0].stat().st_mtime_ns == mtime, "the second call must read, not rewrite"


def test_mnist1d_matches_the_package_generator(cache):
    mnist1d = pytest.importorskip("mnist1d")
    args = mnist1d.get_dataset_args()
    args.num_samples, args.seed = 300, 7
    expected = mnist1d.data.make_dataset(args)
    X_train, y_train, X_test, y_test = datasets.mnist1d(num_samples=300, seed=7)
    np.testing.assert_allclose(X_train, expected["x"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(y_test, expected["y_test"])


def test_mnist1d_seeds_are_cached_separately(cache):
    pytest.importorskip("mnist1d")
    first = datasets.mnist1d(num_samples=200, seed=1)
    second = datasets.mnist1d(num_samples=200, seed=2)
    assert len(list(cache.glob("*.npz"))) == 2
    assert not np.array_equal(first.X_train, second.X_train)


def test_cache_dir_defaults_to_the_user_cache(monkeypatch):
    monkeypatch.delenv("MINIGRAD_CACHE", raising=False)
    assert datasets.cache_dir().parts[-2:] == (".cache", "minigrad")
