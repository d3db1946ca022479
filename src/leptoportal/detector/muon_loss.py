"""Muon energy loss: mean loss a(E) + b(E) E, radiative cross sections and their cached tables.

Mean energy loss  <-dE/dx> = a(E) + b(E) E  (Groom, Mokhov & Striganov, At. Data Nucl. Data
Tables 78 (2001) 183, hereafter GMS01, Eq. 1):

* a(E), electronic loss: Bethe equation with the Sternheimer density effect (PDG RPP 2022
  Eq. 34.5 with Eq. 34.7), the spin-1/2 term (1/8)(W_max/E)^2 of GMS01 Eq. 2, and the
  bremsstrahlung-from-atomic-electrons correction of GMS01 Eq. 13 (Kelner, Kokoulin, Petrukhin).
  Shell and Barkas corrections are neglected (they matter below ~10 MeV kinetic energy only).
* b(E) = (N_A/A) sum_proc int v dsigma/dv dv, computed here by quadrature from the cross sections
  used in GMS01 Sec. 4 (and in Geant4's muon models):
  - bremsstrahlung: Kelner, Kokoulin & Petrukhin, Phys. At. Nucl. 60 (1997) 576 / Petrukhin &
    Shestakov, Can. J. Phys. 46 (1968) S377, nuclear (with finite nuclear size) and atomic-
    electron terms;
  - e+e- pair production: Kokoulin & Petrukhin, Proc. 12th ICRC (Hobart 1971) 6, A2436, the
    double-differential formula with Phi_e, Phi_mu (and the Z(Z+zeta) electron-target term),
    plus the Coulomb correction Z^2 L_e -> Z^2 (L_e - f(Z)) of the electron diagram (Bethe &
    Maximon 1954, PDG RPP Eq. 34.27; cf. Ivanov, Kuraev, Schiller & Serbo, PLB 442 (1998) 453);
  - photonuclear: Bezrukov & Bugaev, Sov. J. Nucl. Phys. 33 (1981) 635, with
    sigma_gamma N(eps) = 114.3 + 1.647 ln^2(0.0213 eps/GeV) microbarn (Caldwell et al. 1979 fit).

The radiative tables (per element on :data:`E_GRID`, cached on disk, keyed by :data:`SOURCES`)
and the per-medium tables of :func:`medium_tables` feed the stochastic transport of :mod:`.muon`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import cache as _cache
from ..particles import M_E, M_MU
from ..units import ALPHA, AVOGADRO
from .media import ELEMENTS, Medium, Substance, coulomb_f, density_effect

#: classical electron radius [cm] (CODATA 2018 via PDG)
R_E_CM = 2.8179403262e-13
#: K = 4 pi N_A r_e^2 m_e c^2 [GeV cm^2 / mol] (PDG RPP Table 34.1: 0.307075 MeV mol^-1 cm^2)
K_BETHE = 0.307075e-3
SQRT_E = math.sqrt(math.e)
#: radiative losses with v = eps/E above this are sampled stochastically
V_CUT = 0.02
#: energy grid for the per-substance tables [GeV, total muon energy]
E_GRID = np.geomspace(M_MU + 1e-3, 2.0e3, 97)
_NV = 64  # v-grid nodes for hard radiative sampling
#: u-grid of the tabulated inverse CDF for hard radiative losses
N_U = 257


# ----------------------------------------------------------------------------------------------
# electronic loss
# ----------------------------------------------------------------------------------------------
def w_max(E, mass=M_MU):
    """Maximum energy transfer to a free electron, PDG RPP Eq. 34.4 [GeV]."""
    E = np.asarray(E, dtype=float)
    gamma = E / mass
    bg2 = np.maximum(gamma * gamma - 1.0, 0.0)
    r = M_E / mass
    return 2.0 * M_E * bg2 / (1.0 + 2.0 * gamma * r + r * r)


def electronic_dedx(E, substance: Substance, *, radiative_correction=True):
    """a(E): electronic stopping power of a muon of total energy E [GeV cm^2/g].

    PDG RPP 2022 Eq. 34.5 (Bethe, density effect Eq. 34.7) + spin-1/2 term (1/8)(W_max/E)^2
    (GMS01 Eq. 2) + bremsstrahlung on atomic electrons (GMS01 Eq. 13).
    """
    E = np.asarray(E, dtype=float)
    gamma = E / M_MU
    bg2 = np.maximum(gamma * gamma - 1.0, 1e-12)
    beta2 = bg2 / (gamma * gamma)
    wm = w_max(E)
    I = substance.I_eV * 1e-9
    x = 0.5 * np.log10(bg2)
    delta = density_effect(x, substance.sternheimer)
    bracket = (0.5 * np.log(2.0 * M_E * bg2 * wm / (I * I)) - beta2 - 0.5 * delta
               + 0.125 * (wm / E) ** 2)
    a = K_BETHE * substance.Z_over_A / beta2 * bracket
    if radiative_correction:
        lw = np.log(1.0 + 2.0 * wm / M_E)
        corr = (K_BETHE / (4.0 * math.pi)) * substance.Z_over_A * ALPHA * (
            np.log(2.0 * E / M_MU) - lw / 3.0) * lw * lw
        a = a + np.where(E > 1.0, np.maximum(corr, 0.0), 0.0)
    return np.maximum(a, 0.0)


# ----------------------------------------------------------------------------------------------
# radiative cross sections, per atom, d sigma / d v  [cm^2]
# ----------------------------------------------------------------------------------------------
def brems_dsigma_dv(E, v, Z, A):
    """Muon bremsstrahlung d sigma/dv per atom [cm^2] (Kelner-Kokoulin-Petrukhin; GMS01 Eqs. 16-18).

    dsigma/dv = (16/3) alpha (r_e m_e/m_mu)^2 (1/v) Z [Z Phi_n(delta) + Phi_e(delta)] (1 - v + 3v^2/4)
    with delta = m_mu^2 v / (2E(1-v)), Phi_n including the finite nuclear size (D_n = 1.54 A^0.27),
    Phi_e the atomic-electron term.  v_max = 1 - (3/4) sqrt(e) (m_mu/E) Z^(1/3).
    """
    E = np.asarray(E, dtype=float)
    v = np.asarray(v, dtype=float)
    mu, me = M_MU, M_E
    delta = mu * mu * v / (2.0 * E * (1.0 - v))
    z13 = Z ** (-1.0 / 3.0)
    B, Bp = 183.0, 1429.0
    Dn = 1.54 * A ** 0.27
    Dnp = Dn ** (1.0 - 1.0 / Z)
    phin = np.log(B * z13 * (mu + delta * (Dnp * SQRT_E - 2.0)) / (Dnp * (me + delta * SQRT_E * B * z13)))
    phin = np.maximum(phin, 0.0)
    # atomic electrons: B' = 1429 (GMS01 Eq. 18; Kelner et al. 1995)
    phie = np.log(Bp * z13 * z13 * mu / ((1.0 + delta * mu / (me * me * SQRT_E)) * (me + delta * SQRT_E * Bp * z13 * z13)))
    phie = np.maximum(phie, 0.0)
    vmax_n = 1.0 - 0.75 * SQRT_E * (mu / E) * Z ** (1.0 / 3.0)
    vmax_e = 1.0 / (1.0 + 0.5 * mu * mu / (me * E))  # kinematic limit on atomic electrons
    phin = np.where(v < vmax_n, phin, 0.0)
    phie = np.where(v < vmax_e, phie, 0.0)
    pref = (16.0 / 3.0) * ALPHA * (R_E_CM * me / mu) ** 2
    return pref / v * Z * (Z * phin + phie) * (1.0 - v + 0.75 * v * v)


def _pair_zeta(E, Z):
    """Electron-target correction zeta (Kelner-Kokoulin-Petrukhin) used in Z(Z + zeta)."""
    g1, g2 = 1.95e-5, 5.30e-5
    eps = E / M_MU
    num = 0.073 * np.log(eps / (1.0 + g1 * Z ** (2.0 / 3.0) * eps)) - 0.26
    den = 0.058 * np.log(eps / (1.0 + g2 * Z ** (1.0 / 3.0) * eps)) - 0.14
    return np.where(num > 0.0, num / den, 0.0)


def pair_dsigma_dv(E, v, Z, A, n_rho=16, coulomb=True):
    """Direct e+e- pair production d sigma/dv per atom [cm^2] (Kokoulin-Petrukhin 1971; GMS01 Eq. 19 ff).

    d^2 sigma/(dv d rho) = (4/(3 pi)) Z (Z + zeta) (alpha r_e)^2 (1 - v)/v [Phi_e + (m_e/m_mu)^2 Phi_mu],
    rho in [0, rho_max] the pair energy asymmetry, integrated here by Gauss-Legendre in
    t = ln(1 - rho) mapping (the integrand is peaked at rho -> rho_max).
    Limits: 4 m_e <= v E <= E - (3/4) sqrt(e) m_mu Z^(1/3).

    Coulomb correction (``coulomb=True``): the Kokoulin-Petrukhin formula is a Born-approximation
    result.  For the electron diagram (Phi_e: the produced e+- scatter on the nucleus, i.e.
    photoproduction of the pair by the muon's virtual photon) the higher orders in Z alpha reduce
    the screening logarithm L_e by the Davies-Bethe-Maximon f(Z), exactly as for real-photon pair
    production (Bethe & Maximon, Phys. Rev. 93 (1954) 768; PDG RPP Eq. 34.27-34.30):
    Z^2 L_e -> Z^2 (L_e - f(Z)); the atomic-electron part Z zeta is left in Born approximation.
    The muon diagram Phi_mu (muon scattering on the nucleus) keeps no Coulomb correction: there
    the momentum transfers reach the nuclear size, which suppresses it (as for muon
    bremsstrahlung).  Size: b_pair -10 % in Pb, -1 % in Fe, in line with the all-order result of
    Ivanov, Kuraev, Schiller & Serbo, Phys. Lett. B 442 (1998) 453 (energy-loss corrections in Pb
    from -65 % at low pair energy to -10 % at high pair energy).
    """
    E = np.asarray(E, dtype=float)[..., None]
    v = np.asarray(v, dtype=float)[..., None]
    me, mu = M_E, M_MU
    z13 = Z ** (1.0 / 3.0)
    B = 183.0
    eps = v * E
    valid = (eps > 4.0 * me) & (eps < E - 0.75 * SQRT_E * mu * z13)
    rho_max = np.where(valid, (1.0 - 6.0 * mu * mu / (E * E * (1.0 - v)))
                       * np.sqrt(np.clip(1.0 - 4.0 * me / np.maximum(eps, 1e-30), 0.0, 1.0)), 0.0)
    rho_max = np.clip(rho_max, 0.0, 1.0)
    # Gauss-Legendre over rho in [0, rho_max] with substitution rho = rho_max (1 - (1-s)^2)
    # (dense near rho_max)
    s, ws = np.polynomial.legendre.leggauss(n_rho)
    s = 0.5 * (s + 1.0)
    ws = 0.5 * ws
    rho = rho_max * (1.0 - (1.0 - s) ** 2)
    jac = rho_max * 2.0 * (1.0 - s)
    r2 = rho * rho
    beta = v * v / (2.0 * (1.0 - v))
    xi = (mu * v / (2.0 * me)) ** 2 * (1.0 - r2) / (1.0 - v)
    xi = np.maximum(xi, 1e-300)
    Ye = (5.0 - r2 + 4.0 * beta * (1.0 + r2)) / (
        2.0 * (1.0 + 3.0 * beta) * np.log(3.0 + 1.0 / xi) - r2 - 2.0 * beta * (2.0 - r2))
    Ym = (4.0 + r2 + 3.0 * beta * (1.0 + r2)) / (
        (1.0 + r2) * (1.5 + 2.0 * beta) * np.log(3.0 + xi) + 1.0 - 1.5 * r2)
    denom = E * v * (1.0 - r2)
    denom = np.maximum(denom, 1e-300)
    Le = (np.log(B / z13 * np.sqrt((1.0 + xi) * (1.0 + Ye))
                 / (1.0 + 2.0 * me * SQRT_E * B / z13 * (1.0 + xi) * (1.0 + Ye) / denom))
          - 0.5 * np.log(1.0 + (1.5 * me * z13 / mu) ** 2 * (1.0 + xi) * (1.0 + Ye)))
    Lm = (np.log((mu / me) * B / z13 * np.sqrt((1.0 + 1.0 / xi) * (1.0 + Ym))
                 / (1.0 + 2.0 * me * SQRT_E * B / z13 * (1.0 + xi) * (1.0 + Ym) / denom))
          - np.log(1.5 * z13 * np.sqrt((1.0 + 1.0 / xi) * (1.0 + Ym))))
    zeta = _pair_zeta(E[..., 0], Z)
    if coulomb:
        # Z (Z + zeta) (L_e - f Z/(Z + zeta)) = Z (Z + zeta) L_e - Z^2 f(Z)
        Le = Le - coulomb_f(Z) * Z / (Z + zeta[..., None])
    lxi = np.log1p(1.0 / xi)
    phie = (((2.0 + r2) * (1.0 + beta) + xi * (3.0 + r2)) * lxi
            + (1.0 - r2 - beta) / (1.0 + xi) - (3.0 + r2)) * Le
    phim = (((1.0 + r2) * (1.0 + 1.5 * beta) - (1.0 / xi) * (1.0 + 2.0 * beta) * (1.0 - r2)) * np.log1p(xi)
            + xi * (1.0 - r2 - beta) / (1.0 + xi) + (1.0 + 2.0 * beta) * (1.0 - r2)) * Lm
    f = np.maximum(phie, 0.0) + (me / mu) ** 2 * np.maximum(phim, 0.0)
    integral = np.sum(ws * jac * f, axis=-1)
    pref = 4.0 / (3.0 * math.pi) * Z * (Z + zeta) * (ALPHA * R_E_CM) ** 2
    out = pref * (1.0 - v[..., 0]) / v[..., 0] * integral
    return np.where(valid[..., 0], np.maximum(out, 0.0), 0.0)


def photonuclear_dsigma_dv(E, v, Z, A):
    """Photonuclear d sigma/dv per atom [cm^2] (Bezrukov & Bugaev 1981; GMS01 Eq. 25).

    dsigma/dv = (alpha/2pi) A sigma_gN(eps) v {0.75 G(x)[kappa ln(1+m1^2/t) - kappa m1^2/(m1^2+t)
      - 2 m_mu^2/t] + 0.25 [kappa ln(1+m2^2/t) - 2 m_mu^2/t]
      + m_mu^2/(2t) [0.75 G(x) m1^2/(m1^2+t) + 0.25 (m2^2/t) ln(1+t/m2^2)]},
    t = m_mu^2 v^2/(1-v), kappa = 1 - 2/v + 2/v^2, m1^2 = 0.54 GeV^2, m2^2 = 1.80 GeV^2,
    G(x) = 3/x^3 (x^2/2 - 1 + e^-x (1+x)), x = 0.00282 A^(1/3) sigma_gN[mub] (nuclear shadowing),
    sigma_gN = 114.3 + 1.647 ln^2(0.0213 eps[GeV]) mub.  Photon energies eps = vE > 0.2 GeV.
    """
    E = np.asarray(E, dtype=float)
    v = np.asarray(v, dtype=float)
    eps = v * E
    sig_mub = 114.3 + 1.647 * np.log(0.0213 * np.maximum(eps, 1e-6)) ** 2
    sig = sig_mub * 1e-30  # cm^2
    x = 0.00282 * A ** (1.0 / 3.0) * sig_mub
    G = 3.0 / x ** 3 * (0.5 * x * x - 1.0 + np.exp(-x) * (1.0 + x)) if Z > 1 else np.ones_like(x)
    mu2 = M_MU * M_MU
    m1, m2 = 0.54, 1.80
    t = mu2 * v * v / (1.0 - v)
    kap = 1.0 - 2.0 / v + 2.0 / (v * v)
    brace = (0.75 * G * (kap * np.log1p(m1 / t) - kap * m1 / (m1 + t) - 2.0 * mu2 / t)
             + 0.25 * (kap * np.log1p(m2 / t) - 2.0 * mu2 / t)
             + mu2 / (2.0 * t) * (0.75 * G * m1 / (m1 + t) + 0.25 * m2 / t * np.log1p(t / m2)))
    out = ALPHA / (2.0 * math.pi) * A * sig * v * brace
    ok = (eps > 0.2) & (v < 1.0 - M_MU / E)
    return np.where(ok, np.maximum(out, 0.0), 0.0)


_PROCS = {"brems": brems_dsigma_dv, "pair": pair_dsigma_dv, "photonuclear": photonuclear_dsigma_dv}


def _v_nodes(E, n=_NV):
    """v nodes in [v_lo, v_hi] per energy (shape (nE, n)), uniform in logit(v) = ln(v/(1-v)).

    Dense both at small v (pair production, photonuclear) and near the kinematic end point
    v -> 1 (bremsstrahlung).
    """
    E = np.atleast_1d(E)
    v_lo = np.minimum(4.0 * M_E / E, 1e-4)
    v_hi = 1.0 - M_MU / E
    lo = np.log(v_lo / (1.0 - v_lo))
    hi = np.log(v_hi / (1.0 - v_hi))
    t = np.linspace(0.0, 1.0, n)
    g = lo[:, None] + t[None, :] * (hi - lo)[:, None]
    return 1.0 / (1.0 + np.exp(-g))


_TABLE_VERSION = "muon-tables-v2"  # v2: Coulomb correction in pair production
#: the source files whose bytes determine the radiative tables (this module and every module it
#: imports that computes; tests/test_layers.py checks the list against the import graph)
SOURCES = ("detector/muon_loss.py", "detector/media.py", "units.py", "materials.py", "particles.py")
_TABLE_NAMES = tuple(f"{k}_{part}" for k in _PROCS for part in ("tot", "soft")) + ("hard_sigma", "hard_cdf",
                                                                                     "hard_lnv")


def _table_key(symbol: str) -> str:
    """Cache key of an element's radiative tables: element data, table parameters, constants, sources."""
    el = ELEMENTS[symbol]
    inputs = {"version": _TABLE_VERSION, "element": repr(el), "v_cut": repr(V_CUT), "n_v": _NV,
              "e_grid": [repr(float(E_GRID[0])), repr(float(E_GRID[-1])), int(E_GRID.size)],
              "constants": [repr(M_MU), repr(M_E), repr(ALPHA), repr(R_E_CM)],
              "source": _cache.source_hash(SOURCES)}
    return _cache.cache_key(inputs)


@lru_cache(maxsize=None)
def _element_tables(symbol: str):
    """Per element on E_GRID: b_proc(E) [cm^2/g] split at V_CUT, hard sigma and v-CDF for sampling.

    Cached on disk (``leptoportal.cache.cache_dir("muon_tables")``), keyed by the element data,
    the table parameters and the sources (:data:`SOURCES`).
    """
    key = _table_key(symbol)
    path = _cache.cache_dir("muon_tables") / f"{symbol}_{key[:16]}.npz"
    z = _cache.load_npz(path, key, _TABLE_NAMES)
    if z is not None and all(z[f"{k}_tot"].shape == E_GRID.shape for k in _PROCS):
        out = {k: (z[f"{k}_tot"], z[f"{k}_soft"]) for k in _PROCS}
        out.update(hard_sigma=z["hard_sigma"], hard_cdf=z["hard_cdf"], hard_lnv=z["hard_lnv"])
        return out
    out = _compute_element_tables(symbol)
    arrs = {f"{k}_tot": out[k][0] for k in _PROCS} | {f"{k}_soft": out[k][1] for k in _PROCS}
    arrs.update(hard_sigma=out["hard_sigma"], hard_cdf=out["hard_cdf"], hard_lnv=out["hard_lnv"])
    _cache.save_npz(path, key, **arrs)
    return out


def _compute_element_tables(symbol: str):
    el = ELEMENTS[symbol]
    E = E_GRID
    n_per_g = AVOGADRO / el.A
    # quadrature in ln v on [v_lo, v_hi] with many nodes (smooth integrands)
    vv = _v_nodes(E, 160)
    gv = np.log(vv / (1.0 - vv))  # logit(v): dv = v (1 - v) dg
    out = {}
    hard_pdf = np.zeros((E.size, _NV))
    vh = np.empty((E.size, _NV))
    for i in range(E.size):
        vhi = max(1.0 - M_MU / E[i], V_CUT * 1.0001)
        g = np.linspace(math.log(V_CUT / (1.0 - V_CUT)), math.log(vhi / (1.0 - vhi)), _NV)
        vh[i] = 1.0 / (1.0 + np.exp(-g))
    for name, fn in _PROCS.items():
        ds = fn(E[:, None], vv, el.Z, el.A)  # (nE, 400)
        integrand = vv * ds * vv * (1.0 - vv)  # v dsigma/dv dv = v^2 (1-v) dsigma/dv dg
        soft = np.where(vv < V_CUT, integrand, 0.0)
        b_tot = n_per_g * np.trapezoid(integrand, gv, axis=1)
        b_soft = n_per_g * np.trapezoid(soft, gv, axis=1)
        out[name] = (b_tot, b_soft)
        dsh = fn(E[:, None], vh, el.Z, el.A)
        hard_pdf += n_per_g * dsh * vh  # dsigma/dlnv per gram
    # hard cross section per g/cm^2 and inverse CDF in ln v
    lvh = np.log(vh)
    cdf = np.concatenate([np.zeros((E.size, 1)),
                          np.cumsum(0.5 * (hard_pdf[:, 1:] + hard_pdf[:, :-1]) * np.diff(lvh, axis=1), axis=1)],
                         axis=1)
    sig_hard = cdf[:, -1].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf = np.where(sig_hard[:, None] > 0, cdf / sig_hard[:, None], 0.0)
    out["hard_sigma"] = sig_hard  # cm^2/g
    out["hard_cdf"] = cdf
    out["hard_lnv"] = lvh
    return out


@lru_cache(maxsize=None)
def substance_tables(sub: Substance):
    """Mass-fraction-weighted element tables for a substance (cm^2/g)."""
    res = {k: (np.zeros_like(E_GRID), np.zeros_like(E_GRID)) for k in _PROCS}
    elems = []
    for e, w in sub.elements:
        t = _element_tables(e.symbol)
        for k in _PROCS:
            res[k] = (res[k][0] + w * t[k][0], res[k][1] + w * t[k][1])
        elems.append((w, t))
    a = electronic_dedx(E_GRID, sub)
    return {"a": a, "b": res, "elements": tuple(elems)}


def _interp(E, table):
    return np.interp(np.log(E), np.log(E_GRID), table)


def b_coefficients(E, substance: Substance) -> dict:
    """b_brems, b_pair, b_photonuclear (and total) in cm^2/g at muon total energy E [GeV]."""
    t = substance_tables(substance)
    out = {k: _interp(np.asarray(E, float), t["b"][k][0]) for k in _PROCS}
    out["total"] = sum(out.values())
    return out


def b_direct(E, substance: Substance, *, coulomb=True, n_v=400) -> dict:
    """b_brems, b_pair, b_photonuclear (and total) [cm^2/g] by direct quadrature, without tables.

    Same integrals as the cached tables (b = (N_A/A) int v dsigma/dv dv, logit-spaced v nodes,
    trapezoid rule), evaluated at the requested energies.  ``coulomb=False`` drops the Coulomb
    correction of the electron diagram of pair production, i.e. gives the pure Born-approximation
    Kokoulin-Petrukhin formula used by Geant4, PROPOSAL and PUMAS ("KKP68"): a convention switch
    for comparisons with those codes (see docs/validation_muon_range.md), not a tuning knob.
    """
    E = np.atleast_1d(np.asarray(E, dtype=float))
    vv = _v_nodes(E, n_v)
    gv = np.log(vv / (1.0 - vv))
    out = {k: np.zeros_like(E) for k in _PROCS}
    for e, w in substance.elements:
        n_per_g = AVOGADRO / e.A
        for name, fn in _PROCS.items():
            kw = {"coulomb": coulomb} if name == "pair" else {}
            ds = fn(E[:, None], vv, e.Z, e.A, **kw)
            out[name] = out[name] + w * n_per_g * np.trapezoid(vv * ds * vv * (1.0 - vv), gv, axis=1)
    out["total"] = sum(out[k] for k in _PROCS)
    return out


def mean_dedx(E, medium, *, split=False, coulomb=True):
    """<-dE/dx> = a(E) + b(E) E in GeV cm^2/g for a Substance or (layered) Medium.

    E is the total muon energy [GeV].  For a layered medium the per-layer losses are combined
    with their mass fractions.  With ``split=True`` returns (a, bE).  b(E) comes from the cached
    tables (log-energy interpolation); ``coulomb=False`` instead evaluates b by direct quadrature
    with the Born-approximation pair cross section (:func:`b_direct`), for code comparisons.
    """
    E = np.asarray(E, dtype=float)
    comps = medium.mass_fractions if isinstance(medium, Medium) else ((medium, 1.0),)
    a = np.zeros_like(E)
    rad = np.zeros_like(E)
    for sub, w in comps:
        a = a + w * electronic_dedx(E, sub)
        if coulomb:
            b = b_coefficients(E, sub)["total"]
        else:
            b = b_direct(E, sub, coulomb=False)["total"].reshape(E.shape)
        rad = rad + w * b * E
    return (a, rad) if split else a + rad


def csda_range(E, medium, *, e_stop=None, n=2000):
    """CSDA range [g/cm^2] of a muon of total energy E [GeV] (GMS01 Eq. 3; PDG RPP Eq. 34.13).

    R = int_{E_lo}^{E} dE / <-dE/dx>(E) (trapezoid rule on a log grid of ``n`` points), with
    E_lo = m_mu + 1 MeV (kinetic cut-off T_lo = 1 MeV) unless ``e_stop`` is given (then the
    range down to that total energy, without the tail).  Below T_lo the Bethe formula without
    shell/Barkas corrections is not reliable; the residual range is approximated as
    T_lo / (2 S(T_lo)), exact if S ~ 1/T (the non-relativistic Bethe slope; the log term makes
    it a slight overestimate).  The tail is 0.016 (Fe) / 0.025 (Pb) g/cm^2, i.e. <= 1.7 % of the range
    at T = 10 MeV (the first GMS01 table entry; there we agree with PUMAS to 0.4 %) and
    negligible above T = 100 MeV.
    """
    E = float(E)
    e_lo = M_MU + 1e-3 if e_stop is None else float(e_stop)
    if E <= e_lo:
        return 0.0
    grid = np.geomspace(e_lo, E, n)
    inv = 1.0 / mean_dedx(grid, medium)
    R = np.trapezoid(inv, grid)
    if e_stop is None:
        R += 1e-3 / mean_dedx(np.array([e_lo]), medium)[0] * 0.5
    return float(R)


def muon_critical_energy(substance) -> float:
    """E_mu_c [GeV, total energy] where a(E) = b(E) E (GMS01 Sec. 5; PDG table 'muon critical energy')."""
    from scipy.optimize import brentq

    def f(lnE):
        a, r = mean_dedx(np.array([math.exp(lnE)]), substance, split=True)
        return a[0] - r[0]

    return math.exp(brentq(f, math.log(5.0), math.log(1.9e3)))


@lru_cache(maxsize=None)
def medium_tables(medium: Medium):
    """Tables on E_GRID for a (layered) medium, mass-fraction weighted over layers and elements.

    a [GeV cm^2/g], b_soft [cm^2/g] (v < V_CUT), sigma_hard [per g/cm^2], inverse CDF of ln v
    for hard radiative interactions on a u-grid, <Z/A> and I for the ionisation straggling.
    """
    comps = medium.mass_fractions
    a = np.zeros_like(E_GRID)
    b_soft = np.zeros_like(E_GRID)
    b_tot = np.zeros_like(E_GRID)
    # hard pdf on a common ln v grid per energy
    lvh = None
    pdf = None
    for sub, w in comps:
        st = substance_tables(sub)
        a += w * st["a"]
        for k in _PROCS:
            b_tot += w * st["b"][k][0]
            b_soft += w * st["b"][k][1]
        for we, et in st["elements"]:
            if lvh is None:
                lvh = et["hard_lnv"]
                pdf = np.zeros_like(lvh)
            # element tables share the same lnv grid (depends on E only)
            cdf_abs = et["hard_cdf"] * et["hard_sigma"][:, None]
            pdf = pdf + w * we * np.gradient(cdf_abs, axis=1)
    cdf = np.cumsum(np.clip(pdf, 0.0, None), axis=1)
    cdf -= cdf[:, :1]
    sig = cdf[:, -1].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        cdfn = np.where(sig[:, None] > 0, cdf / sig[:, None], np.linspace(0, 1, cdf.shape[1])[None, :])
    u = np.linspace(0.0, 1.0, N_U)
    inv = np.empty((E_GRID.size, N_U))
    for i in range(E_GRID.size):
        c = np.maximum.accumulate(cdfn[i])
        inv[i] = np.interp(u, c, lvh[i])
    # CSDA residual range R(E) [g/cm^2] on the grid (trapezoid in E), used for the range-out shortcut
    inv_dedx = 1.0 / (a + b_tot * E_GRID)
    rng_tab = np.concatenate([[1e-3 * inv_dedx[0]],
                              1e-3 * inv_dedx[0] + np.cumsum(0.5 * (inv_dedx[1:] + inv_dedx[:-1]) * np.diff(E_GRID))])
    return {"a": a, "b_soft": b_soft, "b_tot": b_tot, "sigma_hard": sig, "inv_lnv": inv, "range": rng_tab,
            "ZA": medium.Z_over_A}


def csda_min_energy(setup, z_start_cm, last_element, *, e_exit=None, n_per_element=100) -> float:
    """Minimum muon energy [GeV] to reach the end of element ``last_element`` (name or index) from
    ``z_start_cm`` in the continuous-slowing-down approximation (mean loss a + bE, no straggling),
    by integrating dE/dz = rho <-dE/dx>(E) upstream from the exit with E = m_mu (+ ``e_exit``).

    Independent of the Monte Carlo transport (deterministic ODE, midpoint rule with small steps);
    used to check it and for the "minimum energy to cross the HCALs" (e->mu paper Sec. III B).
    """
    last = setup.element_index(last_element) if isinstance(last_element, str) else int(last_element)
    E = M_MU + (1e-4 if e_exit is None else float(e_exit))
    for el in reversed(setup.elements[: last + 1]):
        z0 = max(el.z_start_cm, z_start_cm)
        L = el.z_end_cm - z0
        if L <= 0:
            continue
        rho = el.medium.density
        h = L / n_per_element
        for _ in range(n_per_element):
            k1 = mean_dedx(np.array([E]), el.medium)[0] * rho
            Em = E + 0.5 * h * k1
            E = E + h * mean_dedx(np.array([Em]), el.medium)[0] * rho
    return float(E)
