"""One plotting style for every figure: an explicit Agg canvas (no pyplot, no global backend
switch), a temporary mplhep ROOT-like style context, and number formatting for labels.
Figures are saved and their data written beside them through :mod:`leptoportal.fileio`."""

from __future__ import annotations

import numpy as np

__all__ = ["new_figure", "style", "sci"]


def new_figure(figsize):
    """A matplotlib Figure on its own Agg canvas (no pyplot, no global backend switch)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def style():
    """A plain HEP look (ROOT-like fonts and ticks), no experiment label, as a context manager."""
    import matplotlib.style
    import mplhep

    return matplotlib.style.context(mplhep.style.ROOT)


def sci(v: float) -> str:
    """LaTeX for a number: 1e-4 -> 10^{-4}, 2.5e-4 -> 2.5\\times 10^{-4}, 0.5 -> 0.5."""
    if v == 0:
        return "0"
    exp = int(np.floor(np.log10(abs(v))))
    if abs(exp) < 3:
        return f"{v:g}"
    mant = v / 10.0**exp
    return rf"10^{{{exp}}}" if np.isclose(mant, 1.0) else rf"{mant:.3g}\times 10^{{{exp}}}"
