"""Fig. 1 of the NA64-mu paper (SIDM, Born-validity and perturbativity limits on g_chi) and its Fig. 7
(the DM-electron cross section of the relic and g-2 couplings), PNG + CSV.
(Its Figs. 5-6, the reach, are drawn by :func:`leptoportal.plots.plot_reach` from a reach scan.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fileio import check_writable_dir, save_figure, write_csv
from .style import new_figure, style

__all__ = ["plot_dmdd", "plot_leptophilic_gchi"]



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
            ax.plot(ms, b, color="purple", ls=ls, lw=1.2,
                    label=rf"Born validity $\alpha_\chi = m_S/m_\chi$ ({'$m_S/3$' if name == 'ratio3' else 'resonance'})")
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


def plot_dmdd(outdir, data, limits=()):
    """Fig. 7 of the NA64-mu paper from ``data`` = :func:`leptoportal.constraints.darkmatter.dmdd_predictions`:
    one panel per DM mass relation, sigma_e-bar versus m_chi for the relic coupling (red) and the
    (g-2)_mu band (green); ``limits``: experimental curves as (label, m_chi [GeV], sigma_e [cm^2],
    source and licence) given by the user (none are shipped).  Writes ``dmdd.png``, ``dmdd.csv`` and,
    with limits, ``dmdd_limits.csv`` (the curves as drawn); returns the paths."""
    cols, meta = data["columns"], data["meta"]
    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    csv = write_csv(out / "dmdd.csv", cols, meta)
    names = [k[len("m_chi_gev_"):] for k in cols if k.startswith("m_chi_gev_")]
    with style():
        fig = new_figure((7 * len(names), 6))
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            mc = cols[f"m_chi_gev_{name}"] * 1e3
            lo, hi = cols[f"sigma_e_g2_low_cm2_{name}"], cols[f"sigma_e_g2_high_cm2_{name}"]
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.any():
                g2_label = r"$(g-2)_\mu$ favoured" + (f" ({meta['g2_label']})" if meta.get("g2_label") else "")
                ax.fill_between(mc[ok], lo[ok], hi[ok], color="#55b955", alpha=0.5, lw=0, label=g2_label)
            rel = cols[f"sigma_e_relic_cm2_{name}"]
            ax.plot(mc, rel, color="#d62728", lw=2, label=r"relic $\Omega h^2 = 0.12$")
            for label, m, sig, _ in limits:
                ax.plot(np.asarray(m, float) * 1e3, sig, lw=1.5, label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(r"$m_\chi$ [MeV]")
            ax.set_ylabel(r"$\bar\sigma_e$ [cm$^2$]")
            ratio = meta["relations"].split("; ")[i].split(": ", 1)[1]  # "m_chi = m_S/3" or "... (2 sqrt(1 + e))"
            if "sqrt" in ratio:
                eps = ratio.split("(1 + ")[1].rstrip("))")
                title = rf"$m_\chi = m_S/[2 (1 + \epsilon_R)^{{1/2}}]$, $\epsilon_R = {eps}$"
            else:
                title = rf"$m_\chi = m_S/{ratio.split('/')[-1]}$"
            ax.set_title(title + rf", $g_\chi = {meta['g_chi']}$, lepton-specific", fontsize=11)
            ax.legend(fontsize=9, loc="lower left")
        fig.subplots_adjust(bottom=0.13, left=0.1, right=0.98, top=0.92, wspace=0.32)
        png = save_figure(fig, out / "dmdd.png", dpi=100)
    files = [png, csv]
    if limits:  # the user's curves, as drawn
        cols_l = {"curve": np.concatenate([np.full(len(m), i, float) for i, (_, m, _, _) in enumerate(limits)]),
                  "m_chi_gev": np.concatenate([np.asarray(m, float) for _, m, _, _ in limits]),
                  "sigma_e_cm2": np.concatenate([np.asarray(sg, float) for _, _, sg, _ in limits])}
        meta_l = {f"curve {i}": f"{label} ({src})" for i, (label, _, _, src) in enumerate(limits)}
        files.append(write_csv(out / "dmdd_limits.csv", cols_l, {"figure": "dmdd.png: the user's curves", **meta_l}))
    return files
