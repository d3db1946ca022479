"""Fig. 1 of the NA64-mu paper (SIDM, Born-validity and perturbativity limits on g_chi), PNG + CSV.
(Its Figs. 5-6, the reach, are drawn by :func:`leptoportal.plots.plot_reach` from a reach scan.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import check_writable_dir, save_figure, write_csv
from .style import new_figure, style

__all__ = ["plot_leptophilic_gchi"]



def plot_leptophilic_gchi(outdir, masses=None, eps_R: float = 0.1, up_to_gev: float = 1.0e3):
    """Fig. 1 of the NA64-mu paper: constraints on g_chi vs m_S from Eqs. (2.10)-(2.11).

    For m_chi = m_S/3 (dashed) and m_chi = m_S/(2 sqrt(1+eps_R)) (solid): the largest g_chi with
    sigma_T/m_chi <= 1 cm^2/g (Eq. 2.10; orange above), the Born-validity edge alpha_chi = m_S/m_chi
    (purple above: the resonant regime where Eq. 2.10 does not apply) and the g_chi above which
    alpha_chi runs to 4 pi below ``up_to_gev`` (one-loop Eq. 2.11, started at mu0 = m_S; grey
    dash-dotted).  Writes PNG + CSV; returns the paths.
    """
    from ..constraints import darkmatter
    from ..models.leptophilic import dm_mass

    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    ms = np.geomspace(1e-3, 10.0, 120) if masses is None else np.asarray(masses, float)
    cols = {"mass_gev": ms}
    rel = {"ratio3": dm_mass(ms, mchi_ratio=3.0), "resonance": dm_mass(ms, mchi_ratio=None, eps_R=eps_R)}
    for name, mc in rel.items():
        cols[f"g_chi_sidm_max_{name}"] = darkmatter.sidm_max_coupling(mc, ms)
        cols[f"g_chi_born_edge_{name}"] = np.sqrt(4 * np.pi * ms / mc)
    # ln(mu*/mu0) = 8 pi^2/(5 g^2) - 1/10 = ln(up_to/m_S)  ->  g^2 = 8 pi^2 / (5 (ln(up_to/m_S) + 1/10))
    cols["g_chi_perturbative_max"] = np.sqrt(8 * np.pi**2 / (5 * (np.log(up_to_gev / ms) + 0.1)))
    meta = {"figure": "NA64-mu paper Fig. 1", "sidm_limit_cm2_per_g": darkmatter.SIDM_LIMIT_CM2_G,
            "eps_R": eps_R, "perturbativity": f"alpha_chi < 4 pi up to {up_to_gev:g} GeV, one-loop Eq. (2.11) from m_S"}
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
