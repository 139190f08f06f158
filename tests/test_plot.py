"""minigrad.plot: every helper draws and writes a PNG; importing minigrad never loads matplotlib."""

import subprocess
import sys

import numpy as np
import pytest

from minigrad import plot
from minigrad.data import datasets

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    assert len(data) > 5_000, f"{path} is suspiciously small ({len(data)} bytes)"


def test_loss_curves_of_several_runs_written_to_a_new_directory(tmp_path):
    steps = np.arange(1, 201)
    runs = {"SGD": 1 / np.sqrt(steps), "Adam": (steps, np.exp(-steps / 40) + 0.01)}
    fig = plot.loss_curves(runs, log_y=True, smooth=0.9, title="Two optimizers")
    path = plot.savefig(fig, tmp_path / "new" / "dir" / "loss.png")
    assert_png(path)


def test_loss_curves_accepts_one_unlabelled_run(tmp_path):
    fig = plot.loss_curves([3.0, 2.0, 1.5, 1.4])
    assert fig.axes[0].get_legend() is None
    assert_png(plot.savefig(fig, tmp_path / "one.png"))


def test_heatmap_with_a_diverged_cell(tmp_path):
    values = np.array([[0.9, 0.5, np.nan], [0.7, 0.3, 0.2]])
    fig = plot.heatmap(values, x_labels=[1e-3, 1e-2, 1e-1], y_labels=[32, 128],
                       title="Final loss", xlabel="learning rate", ylabel="batch size")
    assert_png(plot.savefig(fig, tmp_path / "heat.png"))


def test_contour_with_paths_on_panels(tmp_path):
    fig, (left, right) = plot.subplots(1, 2)
    path = np.array([[-1.5, 2.0], [-1.0, 1.0], [0.0, 0.2], [0.8, 0.6], [1.0, 1.0]])
    plot.contour(datasets.rosenbrock, (-2, 2), (-1, 3), paths={"GD": path}, ax=left,
                 log_scale=True, minimum=(1, 1), title="Rosenbrock")
    quadratic = datasets.ill_conditioned_quadratic(condition_number=20)
    plot.contour(quadratic.value, (-3, 3), (-3, 3), ax=right, minimum=quadratic.minimizer,
                 title="Quadratic, κ = 20")
    assert_png(plot.savefig(fig, tmp_path / "contour.png"))


def test_decision_boundary_from_scores(tmp_path):
    X, y, _, _ = datasets.moons(num_samples=200)
    fig = plot.decision_boundary(lambda points: np.stack([points[:, 1], 0.25 - points[:, 1]], 1),
                                 X, y, title="A horizontal cut")
    assert_png(plot.savefig(fig, tmp_path / "boundary.png"))


def test_savefig_closes_the_figure_unless_asked_not_to(tmp_path):
    import matplotlib.pyplot as plt

    fig = plot.loss_curves([1.0, 0.5])
    plot.savefig(fig, tmp_path / "kept.png", close=False)
    assert plt.fignum_exists(fig.number)
    plot.savefig(fig, tmp_path / "closed.png")
    assert not plt.fignum_exists(fig.number)


def test_importing_minigrad_and_plot_does_not_import_matplotlib():
    code = ("import sys, minigrad, minigrad.plot, minigrad.data; "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
