"""The data of the e->mu paper's cross-section figures (Sec. II C): Fig. 1 top (d sigma/dx), Fig. 1
bottom (d sigma/dpsi), Fig. 2 (sigma versus beam energy) and Fig. 4 (sigma_IWW/sigma_ETL), from the
API of :mod:`leptoportal.xsec.api` (ETL Eq. 12, WW Eqs. 22-27, IWW Eqs. A1-A4).  Each function returns
a dict of arrays; :mod:`leptoportal.plots.xsec` draws them and writes their CSVs."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..models import LFVScalar
from . import api

__all__ = ["FIG1_DX_MASSES", "FIG1_DPSI_MASSES", "FIG2_MASSES", "FIG4_MASSES", "process_for",
           "fig1_dx_data", "fig1_dpsi_data", "fig2_data", "fig4_data", "paper_figures"]

FIG1_DX_MASSES = (0.11, 0.3, 0.7, 1.0)
FIG1_DPSI_MASSES = (0.15, 0.3, 0.7, 1.0)
FIG2_MASSES = (0.11, 1.0)
FIG4_MASSES = (0.11, 0.3, 0.5, 0.7, 1.0)


def process_for(target, beam, final, coupling):
    """Validate the process once, up front (raises InputError); returns the ETL process."""
    if not (isinstance(coupling, (int, float)) and np.isfinite(coupling) and coupling > 0):
        raise InputError("coupling", f"must be a finite number > 0 for plots (log axes); got {coupling!r}")
    return api.make_process(beam, final, target, "etl")


def energy_grid(quick: bool, n: int | None = None, lo: float = 10.0, hi: float = 1000.0) -> np.ndarray:
    """Log grid lo..hi GeV that always contains 100 GeV (the NA64 energy)."""
    n = n or (5 if quick else 21)
    return np.unique(np.concatenate([np.geomspace(lo, hi, n), [100.0]]))


def fig1_dx_data(masses=FIG1_DX_MASSES, energy: float = 100.0, target="Pb", beam="e-", final="mu-",
                 coupling: float = 1e-4, n_x: int = 120, quick: bool = False) -> dict:
    """d sigma/dx [pb] for ETL, WW, IWW at each mass; x from just above threshold (x > m_phi/E_i) to
    1 - 2 m_f/E_i, denser towards x -> 1; points where any method vanishes are dropped; ``curves``:
    (m, x, {method: d sigma/dx}, {ww, iww: (approx - ETL)/ETL})."""
    proc = process_for(target, beam, final, coupling)
    m_f = proc.final.mass
    n_x = 40 if quick else n_x
    curves = []
    for m in masses:
        x_lo = m / energy + 0.004
        x_hi = min(0.998, 1.0 - 2.0 * m_f / energy)
        x_knee = 0.9
        x = np.unique(np.concatenate([np.linspace(x_lo, x_knee, int(0.7 * n_x)),
                                      1.0 - np.geomspace(1.0 - x_knee, 1.0 - x_hi, n_x - int(0.7 * n_x))]))
        model = LFVScalar(mass=float(m), coupling=coupling)
        d = {meth: api.dsigma_dx(model, energy, x, target, meth, beam, final)[()] for meth in api.METHODS}
        ok = np.ones_like(x, bool)
        for v in d.values():
            ok &= np.isfinite(v) & (v > 0)
        x = x[ok]
        d = {k: v[ok] for k, v in d.items()}
        rel = {k: (d[k] - d["etl"]) / d["etl"] for k in ("ww", "iww")}
        curves.append((m, x, d, rel))
    return {"proc": proc, "energy": energy, "coupling": coupling, "masses": tuple(masses), "curves": curves}


def fig1_dpsi_data(masses=FIG1_DPSI_MASSES, energy: float = 100.0, target="Pb", beam="e-", final="mu-",
                   coupling: float = 1e-4, n_psi: int = 36, quick: bool = False) -> dict:
    """d sigma/dpsi [pb/rad] (ETL, WW, IWW) on psi = 1e-5..1 rad, and (approx - ETL)/ETL."""
    proc = process_for(target, beam, final, coupling)
    n_psi = 8 if quick else n_psi
    psi = np.geomspace(1e-5, 1.0, n_psi)
    model = LFVScalar(mass=np.asarray(masses, float), coupling=coupling)
    d = {meth: api.dsigma_dpsi(model, energy, psi, target, meth, beam, final) for meth in api.METHODS}
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = {k: np.where(d["etl"] > 0, (d[k] - d["etl"]) / d["etl"], np.nan) for k in ("ww", "iww")}
    return {"proc": proc, "energy": energy, "coupling": coupling, "masses": tuple(masses), "psi": psi, "d": d,
            "rel": rel}


def fig2_data(masses=FIG2_MASSES, energies=None, target="Pb", beam="e-", final="mu-", coupling: float = 1e-4,
              quick: bool = False) -> dict:
    """Total cross sections [pb] (ETL, WW, IWW) on a beam-energy grid, and (approx - ETL)/ETL."""
    proc = process_for(target, beam, final, coupling)
    E = energy_grid(quick) if energies is None else np.asarray(energies, float)
    model = LFVScalar(mass=np.asarray(masses, float)[None, :], coupling=coupling)
    s = {meth: api.total_cross_section(model, E[:, None], target, meth, beam, final) for meth in api.METHODS}
    rel = {k: (s[k] - s["etl"]) / s["etl"] for k in ("ww", "iww")}
    return {"proc": proc, "coupling": coupling, "masses": tuple(masses), "E": E, "s": s, "rel": rel}


def fig4_data(masses=FIG4_MASSES, energies=None, target="Pb", beam="e-", final="mu-", coupling: float = 1e-4,
              quick: bool = False) -> dict:
    """sigma_ETL, sigma_IWW [pb] and their ratio on a beam-energy grid (the paper's K-factor table)."""
    proc = process_for(target, beam, final, coupling)
    E = energy_grid(quick) if energies is None else np.asarray(energies, float)
    model = LFVScalar(mass=np.asarray(masses, float)[None, :], coupling=coupling)
    s_etl = api.total_cross_section(model, E[:, None], target, "etl", beam, final)
    s_iww = api.total_cross_section(model, E[:, None], target, "iww", beam, final)
    return {"proc": proc, "coupling": coupling, "masses": tuple(masses), "E": E, "s_etl": s_etl, "s_iww": s_iww,
            "ratio": s_iww / s_etl, "quick": quick}


def paper_figures(quick: bool = False, target="Pb", beam="e-", final="mu-", coupling: float = 1e-4) -> dict:
    """The data of Figs. 1 (top and bottom), 2 and 4, by figure name; validated before any work."""
    process_for(target, beam, final, coupling)
    kw = dict(target=target, beam=beam, final=final, coupling=coupling, quick=quick)
    return {"fig1_dsigma_dx": fig1_dx_data(**kw), "fig1_dsigma_dpsi": fig1_dpsi_data(**kw),
            "fig2_sigma_vs_energy": fig2_data(**kw), "fig4_iww_over_etl": fig4_data(**kw)}
