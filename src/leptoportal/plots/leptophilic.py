"""Fig. 1 of the NA64-mu paper (SIDM, Born-validity and perturbativity limits on g_chi), PNG + CSV.
(Its Figs. 5-6, the reach, are drawn by :func:`leptoportal.plots.plot_reach` from a reach scan.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import check_writable_dir, save_figure, write_csv
from .style import new_figure, style

__all__ = ["plot_leptophilic_gchi"]



def plot_leptophilic_gchi(outdir, data):
    """Fig. 1 of the NA64-mu paper from ``data`` = :func:`leptoportal.constraints.darkmatter.gchi_constraints`
    (columns, metadata, up_to_gev): the SIDM bound (orange above), the Born-validity edge (purple above) for
    m_chi = m_S/3 (dashed) and at resonance (solid), and the perturbativity bound (grey dash-dotted).
    Writes PNG + CSV; returns the paths."""
    cols, meta, up_to_gev = data["columns"], data["meta"], data["up_to_gev"]
    ms = cols["mass_gev"]
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    csv = write_csv(out / "leptophilic-gchi-constraints.csv", cols, meta)
    with style():
        fig = new_figure((8, 6.5))
        ax = fig.add_subplot(1, 1, 1)
        top = 30.0
        for name, ls in (("ratio3", "--"), ("resonance", "-")):
            s = cols[f"g_chi_sidm_max_{name}"]
            b = cols[f"g_chi_born_edge_{name}"]
            ax.fill_between(ms, np.minimum(s, top), top, color="orange", alpha=0.25, lw=0)
            ax.plot(ms, s, color="darkorange", ls=ls, label=rf"$\sigma_T/m_\chi = 1$ cm$^2$/g ({'$m_S/3$' if name == 'ratio3' else 'resonance'})")
            ax.fill_between(ms, np.minimum(b, top), top, color="purple", alpha=0.15, lw=0)
            ax.plot(ms, b, color="purple", ls=ls, lw=1.2)
        ax.plot(ms, cols["g_chi_perturbative_max"], color="0.4", ls="-.",
                label=rf"$\alpha_\chi \to 4\pi$ below {up_to_gev:g} GeV")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(ms.min(), ms.max())
        ax.set_ylim(1e-2, top)
        ax.set_xlabel(r"$m_S$ [GeV]")
        ax.set_ylabel(r"$g_\chi$")
        ax.legend(fontsize=10, loc="lower right")
        fig.subplots_adjust(bottom=0.13, left=0.13, right=0.96, top=0.95)
        png = save_figure(fig, out / "leptophilic-gchi-constraints.png", dpi=100)
    return [png, csv]
