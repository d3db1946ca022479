"""Dark-sector constraints of the leptophilic-scalar model (arXiv:1807.03790, Secs. 2.3 and 4.3).

* DM self-interactions: momentum-transfer cross section per mass, Eq. (2.10), in cm^2/g,
  with the Born-regime validity conditions stated below it.
* Perturbativity: one-loop running of g_chi, Eq. (2.11), solved in closed form.
* Direct detection: reference DM-electron cross section sigma_e-bar, Eq. (4.1), in cm^2.

Inputs in GeV; arrays broadcast.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..particles import M_E
from ..units import AMU_GEV, AVOGADRO, GEV2_TO_CM2

__all__ = [
    "dmdd_predictions",
    "sidm_mass_boundary",
    "GEV_TO_GRAM",
    "SIDM_LIMIT_CM2_G",
    "BETA_COEFF",
    "sidm_sigma_t_over_m",
    "sidm_born_valid",
    "sidm_max_coupling",
    "log_perturbativity_scale",
    "perturbativity_scale",
    "is_perturbative",
    "born_edge_coupling",
    "perturbative_max_coupling",
    "gchi_constraints",
    "sigma_e_bar_cm2",
]

#: 1 GeV/c^2 in grams, derived from units.py: 1 u = 1/N_A g and 1 u = AMU_GEV GeV
#: (exact to the 1e-10 level of the CODATA molar-mass-constant deviation from 1 g/mol).
GEV_TO_GRAM = 1.0 / (AMU_GEV * AVOGADRO)
#: the paper's robust bound sigma_T / m_chi < 1 cm^2/g (Sec. 2.3)
SIDM_LIMIT_CM2_G = 1.0
#: one-loop beta-function coefficient b of dg/dln(mu) = b g^3, Eq. (2.11)
BETA_COEFF = 5.0 / (16.0 * math.pi ** 2)
# alpha_chi = g^2 / (4 pi) reaching 4 pi  <=>  g^2 = 16 pi^2
_G2_MAX = 16.0 * math.pi ** 2


def _arr(name, v, *, positive, what="GeV"):
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a real number or array; got {v!r}") from None
    if positive:
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise InputError(name, f"must be finite and > 0 {what} (valid range (0, inf)); got {v!r}")
    elif not np.all(np.isfinite(a)) or np.any(a < 0):
        raise InputError(name, f"must be finite and >= 0 (valid range [0, inf)); got {v!r}")
    return a


# ----------------------------------------------------------------------------------------
# Self-interacting DM (Sec. 2.3)
# ----------------------------------------------------------------------------------------
def sidm_sigma_t_over_m(g_chi, m_chi, m_S):
    """sigma_T / m_chi [cm^2/g] of Eq. (2.10): g_chi^4 m_chi / (4 pi m_S^4).

    Born-regime momentum-transfer cross section for m_chi < m_S/2 and v_rel ~ 1e-3; the
    natural-unit result in GeV^-3 is converted with (hbar c)^2 (GeV^-2 -> cm^2) and
    1 GeV = 1.78266e-24 g, giving the paper's coefficient 1.7e-5 cm^2/g for
    g_chi = m_chi/GeV = m_S/GeV = 1.  Check validity with :func:`sidm_born_valid`.
    """
    g = _arr("g_chi", g_chi, positive=False)
    mc = _arr("m_chi", m_chi, positive=True)
    ms = _arr("m_S", m_S, positive=True)
    per_gev3 = g ** 4 * mc / (4.0 * np.pi * ms ** 4)
    return per_gev3 * GEV2_TO_CM2 / GEV_TO_GRAM


def sidm_born_valid(g_chi, m_chi, m_S, v_rel=1.0e-3):
    """Born-regime conditions under Eq. (2.10): alpha_chi < m_S/m_chi and m_chi v_rel / m_S <= 1.

    (The paper writes alpha_chi << m_S/m_chi; the complement is the purple "resonant
    regime" of its Fig. 1, alpha_chi >~ m_S/m_chi.)  Returns a bool array.
    """
    g = _arr("g_chi", g_chi, positive=False)
    mc = _arr("m_chi", m_chi, positive=True)
    ms = _arr("m_S", m_S, positive=True)
    v = _arr("v_rel", v_rel, positive=True, what="(units of c)")
    if np.any(v >= 1):
        raise InputError("v_rel", f"relative velocity must be < 1 (units of c); got {v_rel!r}")
    alpha = g ** 2 / (4.0 * np.pi)
    return (alpha < ms / mc) & (mc * v / ms <= 1.0)


def sidm_max_coupling(m_chi, m_S, limit_cm2_g=SIDM_LIMIT_CM2_G):
    """Largest g_chi with sigma_T/m_chi (Eq. 2.10) below ``limit_cm2_g`` (default 1 cm^2/g, Sec. 2.3)."""
    lim = _arr("limit_cm2_g", limit_cm2_g, positive=True, what="cm^2/g")
    per_g4 = sidm_sigma_t_over_m(1.0, m_chi, m_S)
    return (lim / per_g4) ** 0.25


def sidm_mass_boundary(g_chi: float, limit_cm2_g: float = SIDM_LIMIT_CM2_G, mchi_ratio: float | None = 3.0,
                       eps_R: float | None = None) -> float:
    """m_S* [GeV] where sigma_T/m_chi (Eq. 2.10) equals ``limit_cm2_g`` at this g_chi and DM mass
    relation (m_chi = m_S/R, Eq. 2.8, or m_S/(2 sqrt(1 + eps_R)), Eq. 2.9); lighter mediators
    exceed the bound.  Found by Brent's method in ln m_S (no scaling assumed)."""
    from scipy import optimize

    from ..models.leptophilic import dm_mass

    def f(log_ms):
        ms = math.exp(log_ms)
        mc = float(dm_mass(ms, mchi_ratio=mchi_ratio if eps_R is None else 3.0, eps_R=eps_R))
        return math.log(float(sidm_sigma_t_over_m(g_chi, mc, ms))) - math.log(limit_cm2_g)

    a, b = math.log(1e-9), math.log(1e6)
    if f(a) < 0 or f(b) > 0:
        raise InputError("sidm", "sigma_T/m_chi does not cross the limit for m_S in [1e-9, 1e6] GeV")
    return math.exp(optimize.brentq(f, a, b, xtol=1e-12))


# ----------------------------------------------------------------------------------------
# Perturbativity (Eq. 2.11)
# ----------------------------------------------------------------------------------------
def log_perturbativity_scale(g_chi, mu0):
    """ln(mu_* / mu0): where the one-loop running of Eq. (2.11) gives alpha_chi = g^2/4pi = 4 pi.

    dg/dln(mu) = b g^3 with b = 5/(16 pi^2) integrates to 1/g^2(mu) = 1/g0^2 - 2 b ln(mu/mu0),
    so g^2 = 16 pi^2 at ln(mu_*/mu0) = (1/g0^2 - 1/(16 pi^2)) / (2 b) = 8 pi^2/(5 g0^2) - 1/10.
    Negative when g0 already exceeds 4 pi at mu0.  ``g_chi`` must be > 0 (finite result).
    """
    g = _arr("g_chi", g_chi, positive=True, what="")
    _arr("mu0", mu0, positive=True)
    return (1.0 / g ** 2 - 1.0 / _G2_MAX) / (2.0 * BETA_COEFF) + np.zeros(np.shape(mu0))


def perturbativity_scale(g_chi, mu0):
    """Scale mu_* [GeV] where alpha_chi runs to 4 pi (Eq. 2.11), starting from g_chi at ``mu0``.

    mu_* = mu0 exp(8 pi^2 / (5 g0^2) - 1/10).  For small couplings this exceeds the float
    range (g0 <~ 0.15 at mu0 = 1 GeV) and ``inf`` is returned -- meaning "never"; use
    :func:`log_perturbativity_scale` for a finite number.
    """
    lg = log_perturbativity_scale(g_chi, mu0)
    with np.errstate(over="ignore"):
        return np.asarray(mu0, float) * np.exp(lg)


def is_perturbative(g_chi, mu0, up_to=1.0e3):
    """True where alpha_chi stays below 4 pi up to ``up_to`` GeV (default 1 TeV, as in Fig. 1).

    ``mu0`` is the scale at which g_chi is given (the paper's Fig. 1 effectively uses m_S).
    """
    up = _arr("up_to", up_to, positive=True)
    return log_perturbativity_scale(g_chi, mu0) > np.log(up / np.asarray(mu0, float))


def born_edge_coupling(m_chi, m_S):
    """g_chi at the Born-validity edge alpha_chi = g^2/(4 pi) = m_S/m_chi (Sec. 2.3): above it the
    resonant regime, where Eq. (2.10) does not apply.  g = sqrt(4 pi m_S / m_chi)."""
    mc = _arr("m_chi", m_chi, positive=True)
    ms = _arr("m_S", m_S, positive=True)
    return np.sqrt(4 * np.pi * ms / mc)


def perturbative_max_coupling(m_S, up_to=1.0e3):
    """Largest g_chi (given at mu0 = m_S) for which alpha_chi stays below 4 pi up to ``up_to`` GeV:
    :func:`log_perturbativity_scale` inverted, ln(up_to/m_S) = 8 pi^2/(5 g^2) - 1/10, so
    g = sqrt(8 pi^2 / (5 (ln(up_to/m_S) + 1/10))) (one-loop Eq. 2.11)."""
    ms = _arr("m_S", m_S, positive=True)
    up = float(_arr("up_to", up_to, positive=True))
    return np.sqrt(8 * np.pi**2 / (5 * (np.log(up / ms) + 0.1)))


def gchi_constraints(masses=None, eps_R: float = 0.1, up_to_gev: float = 1.0e3):
    """The NA64-mu paper's Fig. 1 as data: ``{"columns", "meta", "up_to_gev"}`` versus m_S for m_chi = m_S/3 and
    m_chi = m_S/(2 sqrt(1+eps_R)): the largest g_chi with sigma_T/m_chi <= 1 cm^2/g (Eq. 2.10,
    :func:`sidm_max_coupling`), the Born-validity edge (:func:`born_edge_coupling`) and the
    perturbativity bound up to ``up_to_gev`` (:func:`perturbative_max_coupling`)."""
    from ..models.leptophilic import dm_mass

    ms = np.geomspace(1e-3, 10.0, 120) if masses is None else np.asarray(masses, float)
    cols = {"mass_gev": ms}
    rel = {"ratio3": dm_mass(ms, mchi_ratio=3.0), "resonance": dm_mass(ms, mchi_ratio=None, eps_R=eps_R)}
    for name, mc in rel.items():
        cols[f"g_chi_sidm_max_{name}"] = sidm_max_coupling(mc, ms)
        cols[f"g_chi_born_edge_{name}"] = born_edge_coupling(mc, ms)
    cols["g_chi_perturbative_max"] = perturbative_max_coupling(ms, up_to_gev)
    meta = {"figure": "NA64-mu paper Fig. 1", "sidm_limit_cm2_per_g": SIDM_LIMIT_CM2_G,
            "eps_R": eps_R, "perturbativity": f"alpha_chi < 4 pi up to {up_to_gev:g} GeV, one-loop Eq. (2.11) from m_S"}
    return {"columns": cols, "meta": meta, "up_to_gev": float(up_to_gev)}


# ----------------------------------------------------------------------------------------
# Direct detection (Sec. 4.3)
# ----------------------------------------------------------------------------------------
def sigma_e_bar_cm2(g_chi, g_e, m_chi, m_S):
    """Reference DM-electron cross section sigma_e-bar [cm^2], Eq. (4.1): mu_chi_e^2 g_chi^2 g_e^2 / (pi m_S^4).

    Non-relativistic, F_DM(q) = 1 (valid for m_S >> alpha m_e); mu_chi_e is the
    DM-electron reduced mass.
    """
    gc = _arr("g_chi", g_chi, positive=False)
    ge = _arr("g_e", g_e, positive=False)
    mc = _arr("m_chi", m_chi, positive=True)
    ms = _arr("m_S", m_S, positive=True)
    mu = mc * M_E / (mc + M_E)
    return mu ** 2 * gc ** 2 * ge ** 2 / (np.pi * ms ** 4) * GEV2_TO_CM2


def dmdd_predictions(masses=None, *, g_chi: float = 1.0, relations=(("ratio3", 3.0, None), ("resonance", None, 0.1)),
                     n_sigma: float = 2.0, determination=None) -> dict:
    """The NA64-mu paper's Fig. 7: sigma_e-bar (Eq. 4.1) of the lepton-specific model for the
    relic-saturating coupling and the (g-2)_mu-favoured band, per DM mass relation.

    Lepton-specific: g_e = g_mu m_e/m_mu (Eq. 2.3).  For each relation (name, R, eps_R)
    (m_chi = m_S/R, Eq. 2.8, or m_S/(2 sqrt(1 + eps_R)), Eq. 2.9) and each m_S of ``masses``
    [GeV] (default 60 log points 3 MeV-1 GeV): the relic g_mu
    (:func:`leptoportal.constraints.relic.relic_coupling`, nan where none up to 4 pi) and the
    n_sigma band of Eq. (2.6) (:func:`leptoportal.constraints.g2.coupling_band`), translated to
    sigma_e-bar at m_chi.  Returns ``{"columns": {name: array}, "meta": {key: text}}``.
    """
    from ..models.leptophilic import dm_mass
    from ..particles import M_MU
    from . import g2
    from .relic import relic_coupling

    ms = np.geomspace(3e-3, 1.0, 60) if masses is None else np.asarray(masses, float)
    det = g2.get_g2_determination(determination)
    cols = {"m_S_gev": ms}
    lo, hi = g2.coupling_band(ms, n_sigma, det, kind="diagonal")
    if det.consistent_with_zero(n_sigma):
        lo = np.full_like(ms, np.nan)
        hi = np.full_like(ms, np.nan)
    for name, ratio, eps in relations:
        mc = np.asarray(dm_mass(ms, mchi_ratio=ratio if eps is None else 3.0, eps_R=eps), float)
        g_rel = np.asarray(relic_coupling("lepton-specific", ms, g_chi=g_chi, mchi_ratio=ratio, eps_R=eps), float)
        to_e = M_E / M_MU

        def sig(g_mu):
            ok = np.isfinite(g_mu)
            out = np.full_like(ms, np.nan)
            out[ok] = sigma_e_bar_cm2(g_chi, g_mu[ok] * to_e, mc[ok], ms[ok])
            return out

        cols[f"m_chi_gev_{name}"] = mc
        cols[f"sigma_e_relic_cm2_{name}"] = sig(g_rel)
        cols[f"sigma_e_g2_low_cm2_{name}"] = sig(np.asarray(lo, float))
        cols[f"sigma_e_g2_high_cm2_{name}"] = sig(np.asarray(hi, float))
    meta = {"figure": "NA64-mu paper Fig. 7 (lepton-specific, g_e = g_mu m_e/m_mu)",
            "equation": "sigma_e-bar = mu_chi_e^2 g_chi^2 g_e^2 / (pi m_S^4), Eq. (4.1), F_DM = 1",
            "g_chi": f"{g_chi:g}",
            "relations": "; ".join(f"{n}: " + (f"m_chi = m_S/{r:g}" if e is None else f"m_chi = m_S/(2 sqrt(1 + {e:g}))")
                                   for n, r, e in relations),
            "g2_label": det.title,
            "g2": f"{n_sigma:g} sigma band of Eq. (2.6), Delta a_mu = {det.name} ({det.source})"
                  + (" -- consistent with 0: no band (nan)" if det.consistent_with_zero(n_sigma) else ""),
            "relic": "Omega h^2 = 0.12 by freeze-out (docs/relic.md)",
            "nan": "no relic coupling up to 4 pi, or no favoured band"}
    return {"columns": cols, "meta": meta}
