"""Figures of the NA64-mu paper: Figs. 5-6 (the (m_S, g_mu) reach with the (g-2)_mu bands, SIDM
region and the relic line) and Fig. 1 (SIDM, Born-validity and perturbativity limits on g_chi).
Each PNG has its CSV beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import check_writable_dir, save_figure, write_csv
from .style import new_figure, style

__all__ = ["plot_leptophilic_reach", "plot_leptophilic_gchi"]

LEPTOPHILIC_MASSES = np.geomspace(0.02, 10.0, 25)


def plot_leptophilic_reach(outdir, preset="muon-specific", masses=None, mots=(1e12, 1e13), mchi_ratio=3.0,
                           eps_R=None, g_chi: float = 1.0, g2_input=None, thin_target=None, methods=("iww", "etl"),
                           quick: bool = False):
    """NA64-mu 95 % CL (N_chi >= 3) reach in (m_S, g_mu): Figs. 5-6 of the NA64-mu paper, as far as leptoportal goes.

    Curves: the paper's IWW projection (Eq. 3.1 with Eq. 3.2) for each MOT (purple, solid for
    the first and dashed for the second exposure) and the same with the exact tree-level cross
    section (black).  Bands: (g-2)_mu 2 sigma favoured (green), 5 sigma excluded (grey), the
    "future" 2 sigma band (hatched, exp. error /4 and theory /2), the SIDM-excluded masses
    (sigma_T/m_chi > 1 cm^2/g, Eq. 2.10; orange) and, when the relic module is available, the
    thermal-relic line (red).  Writes PNG + CSV; returns the paths.
    """
    from ..analysis import na64mu
    from ..constraints import darkmatter, g2

    out = check_writable_dir(Path(outdir).expanduser(), "outdir")
    ms = np.asarray(LEPTOPHILIC_MASSES if masses is None else masses, float)
    if quick and masses is None:
        ms = np.geomspace(0.02, 10.0, 8)
    curves = na64mu.reach_curves(preset, ms, mots, methods, thin_target=thin_target, g_chi=g_chi,
                                 mchi_ratio=mchi_ratio, eps_R=eps_R)
    det = g2.get_g2_determination(g2_input)
    band_lo, band_hi = g2.coupling_band(ms, 2.0, det)
    excl = g2.coupling_excluded_above(ms, 5.0, det)
    fut = g2.get_g2_determination(det.name + "_future") if det.name + "_future" in g2.load_g2_inputs() else None
    m_chi = np.asarray(na64mu.make_model(preset, ms, 1e-3, g_chi=g_chi, mchi_ratio=mchi_ratio, eps_R=eps_R).m_chi)
    sidm = darkmatter.sidm_sigma_t_over_m(g_chi, m_chi, ms) > darkmatter.SIDM_LIMIT_CM2_G
    columns = {"mass_gev": ms}
    for (method, mot), vals in curves.items():
        columns[f"g_mu_reach_{method}_mot{mot:.0e}"] = vals
    band = not det.consistent_with_zero(2.0)  # no favoured band when the 2 sigma interval contains 0
    if band:
        columns.update({"g2_2sigma_low": band_lo, "g2_2sigma_high": band_hi})
    else:
        columns["g2_2sigma_excluded_above"] = band_hi
    columns.update({"g2_5sigma_excluded_above": excl, "sidm_excluded": sidm.astype(float)})
    if fut is not None:
        flo, fhi = g2.coupling_band(ms, 2.0, fut)
        columns.update({"g2_future_2sigma_low": flo, "g2_future_2sigma_high": fhi})
    relic_note = "not drawn (leptoportal.constraints.relic not available)"
    try:
        from ..constraints import relic
    except ImportError:
        relic = None
    if relic is not None and hasattr(relic, "relic_coupling"):
        columns["g_mu_relic"] = np.asarray(relic.relic_coupling(preset, ms, mchi_ratio=mchi_ratio, eps_R=eps_R,
                                                                g_chi=g_chi), float)
        relic_note = "drawn (leptoportal.constraints.relic.relic_coupling); nan = no g_mu <= sqrt(4 pi) reaches it"
        if not np.any(np.isfinite(columns["g_mu_relic"])):
            del columns["g_mu_relic"]
            relic_note = f"not drawn: no g_mu <= sqrt(4 pi) gives Omega h^2 = 0.12 at any mass with g_chi = {g_chi:g}"
            import warnings

            warnings.warn(f"relic line {relic_note}", stacklevel=2)
    relation = f"mchi=mS/{mchi_ratio:g}" if eps_R is None else f"resonance eps_R={eps_R:g}"
    stem = f"leptophilic-reach-{preset}-" + ("ratio" if eps_R is None else "resonance")
    tt = thin_target or na64mu.ThinTarget()
    meta = {"figure": "NA64-mu paper Figs. 5-6 (95% CL = 3 signal events, background free)",
            "model": preset, "relation": relation, "g_chi": g_chi, "g2_input": f"{det.name} ({det.title})"
            + ("" if band else "; Delta a_mu consistent with 0 at 2 sigma: no favoured band, its upper edge drawn as "
               "an exclusion"),
            "beam": f"{tt.beam} {tt.energy_gev:g} GeV on {tt.target_length_cm:g} cm {tt.target}",
            "x_min": tt.x_min, "form_factor": tt.form_factor, "relic_line": relic_note,
            "nan": "no sensitivity at that mass (N_chi < 3 for every g_mu <= 10)"}
    csv = write_csv(out / f"{stem}.csv", columns, meta)
    with style():
        fig = new_figure((9, 7))
        ax = fig.add_subplot(1, 1, 1)
        ax.fill_between(ms, excl, 1.0, color="0.75", label=rf"$(g-2)_\mu$ 5$\sigma$ excluded ({det.title})", lw=0)
        if band:
            ax.fill_between(ms, band_lo, band_hi, color="#2ca02c", alpha=0.5,
                            label=rf"$(g-2)_\mu$ 2$\sigma$ ({det.title})", lw=0)
        else:
            ax.fill_between(ms, band_hi, 1.0, color="0.6", alpha=0.5, lw=0,
                            label=r"$(g-2)_\mu$ excluded above 2$\sigma$ ($\Delta a_\mu$ consistent with 0)")
        if fut is not None:
            ax.fill_between(ms, columns["g2_future_2sigma_low"], columns["g2_future_2sigma_high"], facecolor="none",
                            edgecolor="#2ca02c", hatch="//", lw=0, label=r"$(g-2)_\mu$ future 2$\sigma$")
        if np.any(sidm):
            ax.fill_between(ms, 1e-7, 1.0, where=sidm, color="orange", alpha=0.35, lw=0,
                            label=r"SIDM $\sigma_T/m_\chi > 1$ cm$^2$/g")
        if "g_mu_relic" in columns:
            ax.plot(ms, columns["g_mu_relic"], color="red", lw=2, label=r"$\Omega_\chi h^2 = 0.12$")
        mot_styles = ["-", "--", ":", "-."]
        for (method, mot), vals in curves.items():
            ls = mot_styles[list(mots).index(mot) % 4]
            color = "#7b2cbf" if method == "iww" else "black"
            ax.plot(ms, vals, color=color, ls=ls, lw=2 if method == "iww" else 1.3,
                    label=f"NA64-$\\mu$ {method.upper()}, $10^{{{np.log10(mot):.0f}}}$ MOT")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(ms.min(), ms.max())
        ax.set_ylim(1e-6, 1.0)
        ax.set_xlabel(r"$m_S$ [GeV]")
        ax.set_ylabel(r"$g_\mu$")
        title = "muon-specific" if preset == "muon-specific" else "lepton-specific"
        ax.set_title(f"{title}, {relation.replace('mchi', 'm_chi').replace('mS', 'm_S')}, $g_\\chi = {g_chi:g}$",
                     fontsize=14)
        ax.legend(fontsize=10, loc="lower right")
        fig.subplots_adjust(bottom=0.13, left=0.13, right=0.96, top=0.93)
        png = save_figure(fig, out / f"{stem}.png", dpi=100)
    return [png, csv]


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
