"""The relic line figure (coupling giving Omega h^2 = 0.12 versus the mediator mass) and its CSV."""

from __future__ import annotations

from pathlib import Path

from ..fileio import save_figure, write_csv
from .style import new_figure

__all__ = ["plot_relic_line"]


def plot_relic_line(stem, masses, coupling, columns: dict, label: str, xlabel: str, ylabel: str, legend: str):
    """Write ``stem.csv`` (the ``columns`` under ``# relic line: label``; nan = unreachable or outside
    validity) and ``stem.png`` (``coupling`` versus ``masses``, log-log); returns both paths."""
    stem = Path(stem)
    csv = stem.parent / f"{stem.name}.csv"  # (not with_suffix: names like "eps0.1" hold dots)
    write_csv(csv, columns, {"relic line": label,
                             "nan": "unreachable or outside validity (leptoportal.constraints.relic)"}, fmt="{:.8g}")
    png = stem.parent / f"{stem.name}.png"
    fig = new_figure((6, 4.5))
    ax = fig.subplots()
    ax.loglog(masses, coupling, "r-", label=legend)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(label, fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, png, dpi=100)
    return csv, png
