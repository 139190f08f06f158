"""Plots for the lessons, all with one look: a title, labelled axes, a legend, a light grid.

Each function draws into ``ax`` when given (to compose panels made by ``subplots``) or into a
new figure, and returns the figure; ``savefig(fig, path)`` writes it. matplotlib is imported
on the first call, never by ``import minigrad``, and renders off screen (Agg) when there is no
display, so lessons run the same on a laptop and on a server. The look lives in ``STYLE``,
applied to matplotlib's ``rcParams`` on first use.

    fig = plot.loss_curves({"SGD": sgd_losses, "Adam": adam_losses}, log_y=True)
    plot.savefig(fig, "results/optimizers.png")
"""

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

PANEL_SIZE = (5.5, 4.0)  # inches per panel
STYLE = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": True,  # a light box keeps the legend readable over contours
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "lines.linewidth": 1.8,
}


def _pyplot():
    """matplotlib.pyplot, choosing the off-screen Agg backend when no display is available."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not _has_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def _has_display() -> bool:
    if os.environ.get("MPLBACKEND"):
        return True  # the user chose a backend: respect it
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``(fig, axes)`` sized ``PANEL_SIZE`` per panel, as ``plt.subplots``."""
    plt = _pyplot()
    kwargs.setdefault("figsize", (PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows))
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, **kwargs)


def _axes(ax):
    return subplots()[1] if ax is None else ax


def _finish(ax, title: str, xlabel: str, ylabel: str):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[1]:  # labels starting with "_" are not listed
        ax.legend()
    return ax.figure


def _moving_average(values: np.ndarray, smooth: float) -> np.ndarray:
    """Exponential moving average with debiasing: s_t = (β s_{t-1} + (1-β) v_t) / (1 - β^t)."""
    averaged, running = np.empty(len(values)), 0.0
    for t, value in enumerate(values, start=1):
        running = smooth * running + (1 - smooth) * value
        averaged[t - 1] = running / (1 - smooth ** t)
    return averaged


def loss_curves(runs, ax=None, title: str = "Training loss", xlabel: str = "step",
                ylabel: str = "loss", log_y: bool = False, smooth: float = 0.0):
    """Several runs on one axis: ``runs`` maps a label to its values (or to ``(x, values)``);
    a single sequence is one unlabelled run.

    ``smooth`` in [0, 1) overlays an exponential moving average (the raw curve stays, faint),
    useful for noisy per-step mini-batch losses. ``log_y`` for losses spanning decades.
    """
    ax = _axes(ax)
    if not isinstance(runs, Mapping):
        runs = {"_run": runs}
    for label, run in runs.items():
        x, values = run if isinstance(run, tuple) else (None, run)
        values = np.asarray(values, dtype=np.float64)
        x = np.arange(1, len(values) + 1) if x is None else np.asarray(x)
        if smooth:
            line, = ax.plot(x, values, alpha=0.25, linewidth=1.0)
            ax.plot(x, _moving_average(values, smooth), color=line.get_color(), label=label)
        else:
            ax.plot(x, values, label=label)
    if log_y:
        ax.set_yscale("log")
    return _finish(ax, title, xlabel, ylabel)


def heatmap(values, x_labels: Sequence, y_labels: Sequence, ax=None, title: str = "",
            xlabel: str = "", ylabel: str = "", colorbar_label: str = "",
            annotate: bool = True, fmt: str = "{:.3g}", cmap: str = "viridis"):
    """A grid of numbers as colours, e.g. final loss over (learning rate × batch size):
    ``values[i, j]`` is drawn at row ``y_labels[i]``, column ``x_labels[j]``, its number
    written in the cell when ``annotate``. NaN cells (diverged runs) stay blank.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=np.float64)
    image = ax.imshow(values, cmap=cmap, aspect="auto", origin="lower")
    ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    ax.set_xticks(range(len(x_labels)), [str(label) for label in x_labels])
    ax.set_yticks(range(len(y_labels)), [str(label) for label in y_labels])
    if annotate:
        threshold = np.nanmean(values)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8,
                        color="white" if value < threshold else "black")
    figure = _finish(ax, title, xlabel, ylabel)
    ax.grid(False)  # grid lines would cross the cells
    return figure


def contour(f: Callable, xlim: tuple, ylim: tuple, paths: Mapping | None = None, ax=None,
            title: str = "", xlabel: str = "$x_1$", ylabel: str = "$x_2$", levels: int = 30,
            log_scale: bool = False, minimum=None, resolution: int = 200):
    """Level sets of a 2-D function, with optimization paths drawn over them.

    ``f`` maps points of shape ``(..., 2)`` to values of shape ``(...)`` (as
    ``data.datasets.rosenbrock`` or ``Quadratic.value``). ``paths`` maps a label to the
    iterates, an array of shape ``(steps, 2)``: each is drawn with a dot at its start and a
    cross at its end. ``log_scale`` spaces the levels geometrically above the minimum, for
    valleys like Rosenbrock's. ``minimum`` marks the known minimizer with a star.
    """
    ax = _axes(ax)
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    values = np.asarray(f(grid), dtype=np.float64)
    if log_scale:
        values = values - values.min()
        positive = values[values > 0]
        low = max(positive.min(), positive.max() * 1e-6)
        levels = np.geomspace(low, positive.max(), levels)
    ax.contour(xs, ys, values, levels=levels, cmap="viridis", linewidths=0.8)
    for label, path in (paths or {}).items():
        path = np.asarray(path, dtype=np.float64)
        line, = ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3, label=label)
        ax.plot(*path[0], "o", color=line.get_color())
        ax.plot(*path[-1], "X", color=line.get_color(), markersize=8)
    if minimum is not None:
        ax.plot(*np.asarray(minimum)[:2], "*", color="black", markersize=14, label="minimum")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return _finish(ax, title, xlabel, ylabel)


def decision_boundary(predict: Callable, X, y, ax=None, title: str = "",
                      xlabel: str = "$x_1$", ylabel: str = "$x_2$", resolution: int = 200,
                      margin: float = 0.5):
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    ``predict`` maps a float32 array of shape ``(m, 2)`` to class indices ``(m,)`` or to
    scores ``(m, classes)`` (the argmax is taken); a Tensor result is accepted.
    """
    ax = _axes(ax)
    X, y = np.asarray(X), np.asarray(y)
    xs = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    ys = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(np.float32)
    predicted = np.asarray(predict(grid))
    if predicted.ndim == 2:
        predicted = predicted.argmax(axis=1)
    num_classes = int(max(predicted.max(), y.max())) + 1
    colors = [f"C{k % 10}" for k in range(num_classes)]
    ax.contourf(xs, ys, predicted.reshape(resolution, resolution),
                levels=np.arange(num_classes + 1) - 0.5, colors=colors, alpha=0.25)
    for k in range(num_classes):
        members = X[y == k]
        ax.scatter(members[:, 0], members[:, 1], s=10, color=colors[k], label=f"class {k}")
    return _finish(ax, title, xlabel, ylabel)


def savefig(fig, path: str | os.PathLike, dpi: int = 120, close: bool = True) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix), creating missing directories;
    close it afterwards (``close=True``) so long lessons do not pile up open figures."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    if close:
        _pyplot().close(fig)
    return path
