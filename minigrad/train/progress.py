"""The progress bar of ``fit``: tqdm on a terminal, nothing anywhere else.

The bar appears only when standard output is a terminal or a Jupyter notebook (so CI logs and
redirected lesson output stay clean) and only once a run has lasted ``DELAY`` seconds (so quick
runs print nothing). tqdm is imported when a bar is made, never by ``import minigrad``.
"""

import sys

DELAY = 1.0  # seconds a run lasts before its bar appears


def progress_bar(total: int | None, enabled: bool = True):
    """A tqdm bar over ``total`` steps writing to stdout, or a silent stand-in."""
    if not enabled or not (_stdout_is_terminal() or _stdout_is_notebook()):
        return SilentBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, file=sys.stdout, delay=DELAY, leave=False, unit="step",
                dynamic_ncols=True)


def _stdout_is_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def _stdout_is_notebook() -> bool:
    # A Jupyter kernel's stdout is no terminal, yet shows a bar well (tqdm.auto's widget).
    return type(sys.stdout).__module__.startswith("ipykernel")


class SilentBar:
    """The bar's interface, doing nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, values: dict) -> None:
        pass

    def close(self) -> None:
        pass
