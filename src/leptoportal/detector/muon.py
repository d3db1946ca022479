"""Muon energy loss and transport through a detector setup.

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

Fluctuations (all with the passed-in numpy Generator):

* ionisation: collisions with energy transfer T < T_cut are summed into a Gaussian (mean =
  restricted loss, variance = Bohr variance xi*T_cut*(1 - beta^2/2)); close collisions
  T_cut < T < W_max are sampled explicitly (Poisson number, 1/T^2 spectrum).  With
  T_cut = xi/KAPPA_CUT this reproduces the Landau/Vavilov distribution (thin layers: Landau most
  probable value, PDG Eq. 34.12; thick layers: Gaussian) -- the classic GEANT3 "delta-ray
  sampling + continuous restricted loss" scheme, checked in tests against PDG Eq. 34.12;
* radiative: losses with v = eps/E < V_CUT are continuous (mean), harder ones are sampled
  (Poisson number per step, v from the tabulated dsigma/dv).  Secondary photons / pairs /
  hadrons are assumed to deposit their energy in the element where they are produced;
* multiple scattering: Highland formula (PDG RPP 2022 Eq. 34.15) with the correlated
  (y_plane, theta_plane) Gaussian sampling of PDG Eqs. 34.20-34.21, in steps.

Range-out: a muon whose kinetic energy reaches zero is stopped (its remaining kinetic energy is
deposited; decay or capture products are not followed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError
from ..particles import M_E, M_MU
from .. import cache as _cache
from ..units import ALPHA, AVOGADRO, GEV_PER_TESLA_METER
from .media import ELEMENTS, Medium, Substance

#: classical electron radius [cm] (CODATA 2018 via PDG)
R_E_CM = 2.8179403262e-13
#: K = 4 pi N_A r_e^2 m_e c^2 [GeV cm^2 / mol] (PDG RPP Table 34.1: 0.307075 MeV mol^-1 cm^2)
K_BETHE = 0.307075e-3
SQRT_E = math.sqrt(math.e)
#: radiative losses with v = eps/E above this are sampled stochastically
V_CUT = 0.02
#: ionisation: T_cut = xi / KAPPA_CUT (explicit delta rays above T_cut)
KAPPA_CUT = 4.0
#: energy grid for the per-substance tables [GeV, total muon energy]
_E_GRID = np.geomspace(M_MU + 1e-3, 2.0e3, 97)
_NV = 64  # v-grid nodes for hard radiative sampling

# Gauss-Legendre nodes on [0, 1]
_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W


# ----------------------------------------------------------------------------------------------
# electronic loss
# ----------------------------------------------------------------------------------------------
def density_effect(x, stern):
    """Sternheimer density correction delta(x), x = log10(beta gamma) (PDG RPP Eq. 34.7)."""
    C, x0, x1, a, k, d0 = stern
    x = np.asarray(x, dtype=float)
    two_ln10 = 2.0 * math.log(10.0)
    d = np.where(x >= x1, two_ln10 * x - C, two_ln10 * x - C + a * np.clip(x1 - x, 0.0, None) ** k)
    low = d0 * 10.0 ** (2.0 * (x - x0))
    return np.where(x < x0, low, d)


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


def coulomb_f(Z):
    """Coulomb correction function f(Z) of Davies, Bethe & Maximon (PDG RPP 2022 Eq. 34.27).

    f(Z) = a^2 [(1 + a^2)^-1 + 0.20206 - 0.0369 a^2 + 0.0083 a^4 - 0.002 a^6], a = alpha Z.
    """
    a2 = (ALPHA * Z) ** 2
    return a2 * (1.0 / (1.0 + a2) + 0.20206 - 0.0369 * a2 + 0.0083 * a2 * a2 - 0.002 * a2 ** 3)


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
#: the source files whose bytes determine the radiative tables (this module and what it imports
#: that computes; tests/test_tables.py checks the list against the import graph)
SOURCES = ("detector/muon.py", "detector/media.py", "detector/setup.py", "units.py", "materials.py",
           "particles.py")
_TABLE_NAMES = tuple(f"{k}_{part}" for k in _PROCS for part in ("tot", "soft")) + ("hard_sigma", "hard_cdf",
                                                                                     "hard_lnv")


def _table_key(symbol: str) -> str:
    """Cache key of an element's radiative tables: element data, table parameters, constants, sources."""
    el = ELEMENTS[symbol]
    inputs = {"version": _TABLE_VERSION, "element": repr(el), "v_cut": repr(V_CUT), "n_v": _NV,
              "e_grid": [repr(float(_E_GRID[0])), repr(float(_E_GRID[-1])), int(_E_GRID.size)],
              "constants": [repr(M_MU), repr(M_E), repr(ALPHA), repr(R_E_CM)],
              "source": _cache.source_hash(SOURCES)}
    return _cache.cache_key(inputs)


@lru_cache(maxsize=None)
def _element_tables(symbol: str):
    """Per element on _E_GRID: b_proc(E) [cm^2/g] split at V_CUT, hard sigma and v-CDF for sampling.

    Cached on disk (``leptoportal.cache.cache_dir("muon_tables")``), keyed by the element data,
    the table parameters and the sources (:data:`SOURCES`).
    """
    key = _table_key(symbol)
    path = _cache.cache_dir("muon_tables") / f"{symbol}_{key[:16]}.npz"
    z = _cache.load_npz(path, key, _TABLE_NAMES)
    if z is not None and all(z[f"{k}_tot"].shape == _E_GRID.shape for k in _PROCS):
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
    E = _E_GRID
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
    res = {k: (np.zeros_like(_E_GRID), np.zeros_like(_E_GRID)) for k in _PROCS}
    elems = []
    for e, w in sub.elements:
        t = _element_tables(e.symbol)
        for k in _PROCS:
            res[k] = (res[k][0] + w * t[k][0], res[k][1] + w * t[k][1])
        elems.append((w, t))
    a = electronic_dedx(_E_GRID, sub)
    return {"a": a, "b": res, "elements": tuple(elems)}


def _interp(E, table):
    return np.interp(np.log(E), np.log(_E_GRID), table)


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


def highland_theta0(p, x_over_X0, beta=1.0, charge=1.0):
    """Highland/Lynch-Dahl width theta_0 [rad] (PDG RPP 2022 Eq. 34.15), p in GeV."""
    x = np.maximum(np.asarray(x_over_X0, float), 1e-12)
    return 0.0136 / (beta * p) * abs(charge) * np.sqrt(x) * (1.0 + 0.038 * np.log(x * charge * charge / beta ** 2))


# ----------------------------------------------------------------------------------------------
# stochastic step (medium-level tables)
# ----------------------------------------------------------------------------------------------
_LNE0 = math.log(_E_GRID[0])
_DLNE = math.log(_E_GRID[1]) - _LNE0
_NU = 257  # u-grid of the tabulated inverse CDF for hard radiative losses


def grid_pos(E):
    f = (np.log(E) - _LNE0) / _DLNE
    f = np.clip(f, 0.0, _E_GRID.size - 1.000001)
    j = f.astype(np.int64)
    return j, f - j


def _lerp(table, j, w):
    return table[j] * (1.0 - w) + table[j + 1] * w


@lru_cache(maxsize=None)
def medium_tables(medium: Medium):
    """Tables on _E_GRID for a (layered) medium, mass-fraction weighted over layers and elements.

    a [GeV cm^2/g], b_soft [cm^2/g] (v < V_CUT), sigma_hard [per g/cm^2], inverse CDF of ln v
    for hard radiative interactions on a u-grid, <Z/A> and I for the ionisation straggling.
    """
    comps = medium.mass_fractions
    a = np.zeros_like(_E_GRID)
    b_soft = np.zeros_like(_E_GRID)
    b_tot = np.zeros_like(_E_GRID)
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
    u = np.linspace(0.0, 1.0, _NU)
    inv = np.empty((_E_GRID.size, _NU))
    for i in range(_E_GRID.size):
        c = np.maximum.accumulate(cdfn[i])
        inv[i] = np.interp(u, c, lvh[i])
    # CSDA residual range R(E) [g/cm^2] on the grid (trapezoid in E), used for the range-out shortcut
    inv_dedx = 1.0 / (a + b_tot * _E_GRID)
    rng_tab = np.concatenate([[1e-3 * inv_dedx[0]],
                              1e-3 * inv_dedx[0] + np.cumsum(0.5 * (inv_dedx[1:] + inv_dedx[:-1]) * np.diff(_E_GRID))])
    return {"a": a, "b_soft": b_soft, "b_tot": b_tot, "sigma_hard": sig, "inv_lnv": inv, "range": rng_tab,
            "ZA": medium.Z_over_A}


def sample_ionisation(E, j, w, t_gcm2, tabs, rng):
    """Ionisation loss [GeV] over mass thickness t (vectorised), Landau/Vavilov by construction.

    Close collisions T > T_cut are sampled (Poisson number with mean xi (1/T_cut - 1/W_max),
    T from the 1/T^2 spectrum, thinned by (1 - beta^2 T/W_max), PDG RPP Eq. 34.9); distant ones are Gaussian with mean = (mean loss - mean of the
    sampled part) and the Bohr variance xi T_cut (1 - beta^2/2) (PDG RPP Sec. 34.2.7-34.2.9).
    """
    n = E.size
    gamma = E / M_MU
    bg2 = np.maximum(gamma * gamma - 1.0, 1e-12)
    beta2 = bg2 / (gamma * gamma)
    mean = _lerp(tabs["a"], j, w) * t_gcm2
    xi = 0.5 * K_BETHE * tabs["ZA"] * t_gcm2 / beta2  # PDG Eq. 34.12 xi [GeV]
    wm = w_max(E)
    tcut = np.maximum(xi / KAPPA_CUT, 1e-6)
    has_tail = wm > 2.0 * tcut  # else: all collisions are "soft" (Gaussian regime, kappa > KAPPA_CUT/2)
    tcut = np.where(has_tail, tcut, wm)
    lam = np.where(has_tail, xi * (1.0 / tcut - 1.0 / wm), 0.0)
    k = rng.poisson(lam)
    tot = int(k.sum())
    tail = np.zeros(n)
    if tot:
        idx = np.repeat(np.arange(n), k)
        u = rng.random(tot)
        T = tcut[idx] * wm[idx] / (wm[idx] - u * (wm[idx] - tcut[idx]))  # inverse CDF of 1/T^2
        # thinning to the spin-0 close-collision spectrum (1 - beta^2 T/W_max)/T^2 (PDG Eq. 34.9)
        keep = rng.random(tot) < 1.0 - beta2[idx] * T / wm[idx]
        tail = np.bincount(idx[keep], weights=T[keep], minlength=n)
    # mean of the sampled close-collision part: xi [ln(W_max/T_cut) - beta^2 (1 - T_cut/W_max)]
    tail_mean = np.where(has_tail, xi * (np.log(wm / tcut) - beta2 * (1.0 - tcut / wm)), 0.0)
    soft_mean = np.maximum(mean - tail_mean, 0.0)
    soft_sigma = np.sqrt(np.maximum(xi * tcut * (1.0 - 0.5 * beta2), 0.0))
    soft = soft_mean + soft_sigma * rng.standard_normal(n)
    return np.maximum(soft, 0.0) + tail


def _sample_radiative(E, j, w, t_gcm2, tabs, rng):
    """Radiative loss [GeV]: continuous part (v < V_CUT) plus sampled hard interactions."""
    loss = _lerp(tabs["b_soft"], j, w) * E * t_gcm2
    lam = _lerp(tabs["sigma_hard"], j, w) * t_gcm2
    k = rng.poisson(lam)
    hit = np.nonzero(k)[0]
    if hit.size:
        idx = np.repeat(hit, k[hit])
        jj = np.where(w[idx] < 0.5, j[idx], j[idx] + 1)  # nearest energy row
        u = rng.random(idx.size) * (_NU - 1)
        iu = np.minimum(u.astype(np.int64), _NU - 2)
        fu = u - iu
        inv = tabs["inv_lnv"]
        lv = inv[jj, iu] * (1.0 - fu) + inv[jj, iu + 1] * fu
        v = np.minimum(np.exp(lv), 1.0)
        loss = loss + np.bincount(idx, weights=v * E[idx], minlength=E.size)
    return loss


# ----------------------------------------------------------------------------------------------
# transport through a setup
# ----------------------------------------------------------------------------------------------
@dataclass
class MuonTrack:
    """Result of :func:`transport` for n muons (see docs/detector.md)."""

    deposit: np.ndarray  #: (n, n_elements) energy deposited per element [GeV]
    p4_exit: np.ndarray  #: (n, 4) four-momentum after the last element (zeros if stopped)
    stopped: np.ndarray  #: (n,) bool, ranged out
    in_acceptance: np.ndarray  #: (n,) bool, crossed all spectrometer elements inside their apertures
    p_measured: np.ndarray  #: (n,) GeV, measured momentum (nan if not measured)
    lost: np.ndarray  #: (n,) bool, left the detector laterally (outside an element's aperture)
    stop_element: np.ndarray  #: (n,) int index of the element where it stopped (-1 if not)
    p_spectrometer: np.ndarray  #: (n,) true momentum at the spectrometer entrance (nan if not reached)
    q_measured: np.ndarray | None = None  #: (n,) charge from the spectrometer bend (+-1; 0 if not measured)


MAX_STEP_CM = 70.0  # maximum step length in dense media (2 steps per NA64 HCAL module)
MAX_LOSS_FRACTION = 0.1  # maximum mean fractional kinetic-energy loss per step
RANGE_MARGIN = 0.8  # range-out shortcut: CSDA range < 0.8 x matter left in the element
AUTO_NUMBA_MIN = 50_000  # engine="auto": compiled kernel for batches at least this large


def _validate_inputs(p4, z_cm, n_elements_start, setup):
    p4 = np.asarray(p4, dtype=float)
    if p4.ndim != 2 or p4.shape[1] != 4:
        raise InputError("p4", f"must have shape (n, 4); got {p4.shape}")
    if not np.all(np.isfinite(p4)):
        raise InputError("p4", "must be finite")
    z = np.broadcast_to(np.asarray(z_cm, dtype=float), (p4.shape[0],)).copy()
    if not np.all(np.isfinite(z)):
        raise InputError("z_cm", "must be finite")
    if np.any(p4[:, 0] < M_MU * (1 - 1e-9)):
        raise InputError("p4", f"energies must be >= the muon mass {M_MU:.6f} GeV")
    return p4, z


def transport(setup, p4, z_cm, rng, *, charge=-1, x_cm=0.0, y_cm=0.0, max_step_cm=MAX_STEP_CM, engine="auto"):
    """Transport n muons through ``setup`` from longitudinal position ``z_cm`` (global, cm).

    ``engine``: "numpy" (vectorised over muons, the reference implementation), "numba" (the same
    algorithm compiled, one muon at a time; ~2.5x faster per muon, but the first use in a process
    costs a few seconds of Numba initialisation) or "auto" (numba for n >= AUTO_NUMBA_MIN muons,
    else numpy).  Both use the passed Generator; they consume it in a different order, so the two
    engines agree statistically, not event by event (each is reproducible for a given seed).

    p4: (n, 4) four-momenta (E, px, py, pz) in GeV, beam along +z; x_cm/y_cm: transverse start
    (scalar or (n,)).  Returns a :class:`MuonTrack`.  Deposits are 0 for elements upstream of the
    start.  The magnet (setup.spectrometer.magnet) applies a thin-lens kick
    Delta(px) = charge * 0.29979 * field_integral_tm [GeV] at its centre.
    """
    if isinstance(setup, str):
        from .setup import load_setup

        setup = load_setup(setup)
    if rng is None or not isinstance(rng, np.random.Generator):
        raise InputError("rng", "a numpy.random.Generator is required")
    if charge not in (-1, 1):
        raise InputError("charge", f"must be -1 or +1; got {charge}")
    p4, z = _validate_inputs(p4, z_cm, 0, setup)
    n = p4.shape[0]
    els = setup.elements
    ne = len(els)
    E = p4[:, 0].copy()
    p = np.sqrt(np.maximum(E * E - M_MU * M_MU, 0.0))
    if not (isinstance(max_step_cm, (int, float)) and math.isfinite(max_step_cm) and max_step_cm > 0):
        raise InputError("max_step_cm", f"must be a finite number > 0; got {max_step_cm!r}")
    x = np.broadcast_to(np.asarray(x_cm, float), (n,)).copy()
    y = np.broadcast_to(np.asarray(y_cm, float), (n,)).copy()
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("x_cm/y_cm", "must be finite")
    pz = p4[:, 3]
    # muons at rest or emitted at > ~87 degrees (pz <= 0.05 p) are not tracked: they range out in
    # the element where they start (kinetic energy deposited there) or, outside any element, are lost
    side = (pz <= 0.05 * p) | (p <= 0.0)
    pz_safe = np.where(side, 1.0, pz)
    tx = np.where(side, 0.0, p4[:, 1] / pz_safe)
    ty = np.where(side, 0.0, p4[:, 2] / pz_safe)
    alive = ~side
    stopped = np.zeros(n, bool)
    lost = np.zeros(n, bool)
    stop_el = np.full(n, -1)
    dep = np.zeros((n, ne))
    if np.any(side):
        zs = np.array([e.z_start_cm for e in els])
        ze = np.array([e.z_end_cm for e in els])
        inside_el = (z[:, None] >= zs[None, :]) & (z[:, None] < ze[None, :])
        has = side & inside_el.any(axis=1)
        ie_start = np.argmax(inside_el, axis=1)
        dep[has, ie_start[has]] = E[has] - M_MU
        stopped[has] = True
        stop_el[has] = ie_start[has]
        lost |= side & ~has
        E[side] = M_MU
        p[side] = 0.0
    spec = setup.spectrometer
    spec_idx = set(spec.element_indices) if spec is not None else set()
    in_acc = np.ones(n, bool) if spec_idx else np.zeros(n, bool)
    p_spec = np.full(n, np.nan)
    hits = {}  # tracker index -> (x measured) for hit-based reconstruction
    first_spec = min(spec_idx) if spec_idx else None
    if engine not in ("auto", "numpy", "numba"):
        raise InputError("engine", f"must be 'auto', 'numpy' or 'numba'; got {engine!r}")
    use_nb = engine == "numba" or (engine == "auto" and n >= AUTO_NUMBA_MIN)
    kern = _get_kernel() if use_nb else None
    if engine == "numba" and kern is None:  # pragma: no cover
        raise InputError("engine", "numba is not available")
    if kern is not None:
        arr = _setup_arrays(setup)
        emaxlen = np.where(arr["erho"] > 0.1, float(max_step_cm), arr["ez1"] - arr["ez0"])
        hitx = np.zeros((n, ne))
        in_acc = np.zeros(n, bool)
        kern(E, tx, ty, x, y, z, alive, int(charge), arr["ez0"], arr["ez1"], arr["ehx"], arr["ehy"], arr["ekind"],
             arr["ebl"], arr["emed"], arr["erho"], arr["eX0"], emaxlen, arr["espec"], arr["etrk"],
             int(arr["first_spec"]), arr["TA"], arr["TBS"], arr["TBT"], arr["TSH"], arr["TINV"], arr["TRG"],
             arr["TZA"], _LNE0, _DLNE, _E_GRID.size, M_MU, M_E, K_BETHE, float(KAPPA_CUT), RANGE_MARGIN,
             MAX_LOSS_FRACTION, rng, dep, stopped, lost, stop_el, in_acc, p_spec, hitx)
        p = np.sqrt(np.maximum(E * E - M_MU * M_MU, 0.0))
        if spec is not None:
            for ie in spec.tracker_indices:
                el = els[ie]
                hits[ie] = (hitx[:, ie], np.full(n, 0.5 * (el.z_start_cm + el.z_end_cm)))
        alive = ~stopped & ~lost
        els_loop = ()
    else:
        els_loop = els
    for ie, el in enumerate(els_loop):
        z0, z1 = el.z_start_cm, el.z_start_cm + el.thickness_cm
        act = alive & (z < z1)
        is_spec = ie in spec_idx
        if is_spec:
            in_acc &= act  # must reach every spectrometer element
        if not np.any(act):
            continue
        # drift to the element front (straight line in the gap; gaps are treated as vacuum)
        dz = np.where(act, np.maximum(z0 - z, 0.0), 0.0)
        x += tx * dz
        y += ty * dz
        z = np.where(act, np.maximum(z, z0), z)
        inside = (np.abs(x) <= el.half_aperture_x_cm) & (np.abs(y) <= el.half_aperture_y_cm)
        out = act & ~inside
        if is_spec:
            in_acc &= ~out
        if ie == first_spec:
            p_spec = np.where(act & inside, p, p_spec)
        # outside the aperture: the muon misses the element (or hits the magnet yoke) and is
        # considered lost (no further deposits, not measured)
        lost |= out
        alive &= ~out
        act &= ~out
        idx = np.nonzero(act)[0]
        if idx.size == 0:
            continue
        if el.kind == "magnet":
            # thin-lens kick at the centre (field integral in T m, bending in x)
            zc = 0.5 * (z0 + z1)
            d1 = np.maximum(zc - z[idx], 0.0)
            x[idx] += tx[idx] * d1
            y[idx] += ty[idx] * d1
            kick = charge * GEV_PER_TESLA_METER * el.field_integral_tm / p[idx]
            tx[idx] += kick * np.sqrt(1.0 + tx[idx] ** 2 + ty[idx] ** 2)
            d2 = z1 - np.maximum(z[idx], zc)
            x[idx] += tx[idx] * d2
            y[idx] += ty[idx] * d2
            _traverse(el, ie, idx, E, p, tx, ty, x, y, z, dep, alive, stopped, stop_el, rng, charge,
                      max_step_cm, move=False)
            z[idx] = z1
        else:
            _traverse(el, ie, idx, E, p, tx, ty, x, y, z, dep, alive, stopped, stop_el, rng, charge,
                      max_step_cm, move=True)
        inside_exit = (np.abs(x) <= el.half_aperture_x_cm) & (np.abs(y) <= el.half_aperture_y_cm)
        out_exit = act & alive & ~inside_exit
        lost |= out_exit
        alive &= ~out_exit
        if is_spec:
            in_acc &= alive
            if el.kind == "tracker":
                hits[ie] = (x.copy(), np.full(n, 0.5 * (z0 + z1)))
    if kern is None:
        in_acc &= alive & ~lost & ~stopped
        if first_spec is not None:
            in_acc &= np.isfinite(p_spec)
    norm = np.sqrt(1.0 + tx * tx + ty * ty)
    p4_exit = np.zeros((n, 4))
    p4_exit[:, 0] = np.where(stopped, 0.0, E)
    p4_exit[:, 1] = np.where(stopped, 0.0, p * tx / norm)
    p4_exit[:, 2] = np.where(stopped, 0.0, p * ty / norm)
    p4_exit[:, 3] = np.where(stopped, 0.0, p / norm)
    p_meas = np.full(n, np.nan)
    q_meas = np.zeros(n)
    if spec is not None and np.any(in_acc):
        p_meas, q_meas = spec.measure_with_charge(p_spec, in_acc, hits, rng, charge)
    return MuonTrack(dep, p4_exit, stopped, in_acc, p_meas, lost, stop_el, p_spec, q_meas)


def _traverse(el, ie, idx, E, p, tx, ty, x, y, z, dep, alive, stopped, stop_el, rng, charge, max_step_cm,
              move=True):
    """Step the muons ``idx`` through element ``el`` (energy loss, straggling, scattering, range-out)."""
    med: Medium = el.medium
    tabs = medium_tables(med)
    z1 = el.z_start_cm + el.thickness_cm
    X0 = med.X0_cm
    rho = med.density
    # geometric step limit for dense media; gases (magnet gaps, trackers) in one step
    max_len = max_step_cm if rho > 0.1 else el.thickness_cm
    cur = idx
    first = True
    while cur.size:
        remaining = z1 - z[cur]
        Ecur = E[cur]
        T = Ecur - M_MU
        j, w = grid_pos(Ecur)
        if first:
            # range-out shortcut: a muon whose CSDA residual range is below RANGE_MARGIN x the matter
            # left in this element stops here (straggling can lengthen the range by a few % only;
            # radiative losses only shorten it): deposit its kinetic energy without stepping.
            # Checked once per element (at entry), so at most one decision per muon and element.
            slope0 = np.sqrt(1.0 + tx[cur] ** 2 + ty[cur] ** 2)
            short = _lerp(tabs["range"], j, w) < RANGE_MARGIN * remaining * slope0 * rho
            if np.any(short):
                s_idx = cur[short]
                dep[s_idx, ie] += T[short]
                E[s_idx] = M_MU
                p[s_idx] = 0.0
                alive[s_idx] = False
                stopped[s_idx] = True
                stop_el[s_idx] = ie
                z[s_idx] = z1
                keep = ~short
                cur, remaining, Ecur, T, j, w = cur[keep], remaining[keep], Ecur[keep], T[keep], j[keep], w[keep]
                if cur.size == 0:
                    break
            first = False
        dedx_cm = (_lerp(tabs["a"], j, w) + _lerp(tabs["b_tot"], j, w) * Ecur) * rho
        step = np.minimum(np.minimum(remaining, max_len), np.maximum(MAX_LOSS_FRACTION * T / dedx_cm, 0.05))
        slope = np.sqrt(1.0 + tx[cur] ** 2 + ty[cur] ** 2)
        path = step * slope
        t = path * rho
        loss = sample_ionisation(Ecur, j, w, t, tabs, rng) + _sample_radiative(Ecur, j, w, t, tabs, rng)
        # multiple scattering over this step (PDG Eqs. 34.15, 34.20-34.21), momentum at entry
        pc = p[cur]
        th0 = highland_theta0(pc, path / X0, pc / Ecur)
        g = rng.standard_normal((4, cur.size))
        if move:
            x[cur] += tx[cur] * step + step * th0 * (g[0] / math.sqrt(12.0) + g[1] / 2.0)
            y[cur] += ty[cur] * step + step * th0 * (g[2] / math.sqrt(12.0) + g[3] / 2.0)
        tx[cur] += th0 * g[1]
        ty[cur] += th0 * g[3]
        z[cur] += step
        stop = loss >= T
        loss = np.where(stop, T, loss)
        dep[cur, ie] += loss
        E[cur] = np.where(stop, M_MU, Ecur - loss)
        p[cur] = np.sqrt(np.maximum(E[cur] ** 2 - M_MU ** 2, 0.0))
        s_idx = cur[stop]
        alive[s_idx] = False
        stopped[s_idx] = True
        stop_el[s_idx] = ie
        cur = cur[~stop & (z[cur] < z1 - 1e-9)]


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


# ----------------------------------------------------------------------------------------------
# compiled engine (Numba): the same algorithm as transport(engine="numpy"), one muon at a time
# ----------------------------------------------------------------------------------------------
def _kernel_py(E, tx, ty, x, y, z, alive0, charge, ez0, ez1, ehx, ehy, ekind, ebl, emed, erho, eX0, emaxlen,
               espec, etrk, first_spec, TA, TBS, TBT, TSH, TINV, TRG, TZA, lne0, dlne, ngrid, mmu, me, kbethe,
               kappa, rmargin, mlf, rng, dep, stopped, lost, stop_el, in_acc, p_spec, hitx):
    n = E.shape[0]
    nel = ez0.shape[0]
    nu = TINV.shape[2]
    sq12 = math.sqrt(12.0)
    r = me / mmu
    for i in range(n):
        if not alive0[i]:
            continue
        Ei = E[i]
        pi = math.sqrt(max(Ei * Ei - mmu * mmu, 0.0))
        xi_, yi, zi, txi, tyi = x[i], y[i], z[i], tx[i], ty[i]
        alive = True
        acc = first_spec >= 0
        for ie in range(nel):
            if (not alive) or zi >= ez1[ie]:
                if espec[ie]:
                    acc = False
                continue
            dz = max(ez0[ie] - zi, 0.0)
            xi_ += txi * dz
            yi += tyi * dz
            zi = max(zi, ez0[ie])
            if abs(xi_) > ehx[ie] or abs(yi) > ehy[ie]:
                lost[i] = True
                alive = False
                if espec[ie]:
                    acc = False
                continue
            if ie == first_spec:
                p_spec[i] = pi
            zend = ez1[ie]
            move = True
            if ekind[ie] == 1:
                zc = 0.5 * (ez0[ie] + zend)
                d1 = max(zc - zi, 0.0)
                xi_ += txi * d1
                yi += tyi * d1
                kick = charge * GEV_PER_TESLA_METER * ebl[ie] / pi
                txi += kick * math.sqrt(1.0 + txi * txi + tyi * tyi)
                d2 = zend - max(zi, zc)
                xi_ += txi * d2
                yi += tyi * d2
                move = False
            m = emed[ie]
            rho = erho[ie]
            X0 = eX0[ie]
            maxlen = emaxlen[ie]
            first = True
            while alive and zi < zend - 1e-9:
                T = Ei - mmu
                f = (math.log(Ei) - lne0) / dlne
                if f < 0.0:
                    f = 0.0
                if f > ngrid - 1.000001:
                    f = ngrid - 1.000001
                j = int(f)
                w = f - j
                if first:
                    first = False
                    slope = math.sqrt(1.0 + txi * txi + tyi * tyi)
                    if TRG[m, j] * (1.0 - w) + TRG[m, j + 1] * w < rmargin * (zend - zi) * slope * rho:
                        dep[i, ie] += T
                        Ei = mmu
                        pi = 0.0
                        alive = False
                        stopped[i] = True
                        stop_el[i] = ie
                        zi = zend
                        break
                a = TA[m, j] * (1.0 - w) + TA[m, j + 1] * w
                bt = TBT[m, j] * (1.0 - w) + TBT[m, j + 1] * w
                dedx_cm = (a + bt * Ei) * rho
                step = min(zend - zi, maxlen, max(mlf * T / dedx_cm, 0.05))
                slope = math.sqrt(1.0 + txi * txi + tyi * tyi)
                path = step * slope
                t = path * rho
                # ionisation (see sample_ionisation)
                gamma = Ei / mmu
                bg2 = max(gamma * gamma - 1.0, 1e-12)
                beta2 = bg2 / (gamma * gamma)
                mean = a * t
                xi = 0.5 * kbethe * TZA[m] * t / beta2
                wm = 2.0 * me * bg2 / (1.0 + 2.0 * gamma * r + r * r)
                tcut = max(xi / kappa, 1e-6)
                tail = 0.0
                tail_mean = 0.0
                if wm > 2.0 * tcut:
                    k = rng.poisson(xi * (1.0 / tcut - 1.0 / wm))
                    for _ in range(k):
                        u = rng.random()
                        Tk = tcut * wm / (wm - u * (wm - tcut))
                        if rng.random() < 1.0 - beta2 * Tk / wm:
                            tail += Tk
                    tail_mean = xi * (math.log(wm / tcut) - beta2 * (1.0 - tcut / wm))
                else:
                    tcut = wm
                soft = max(mean - tail_mean, 0.0) + math.sqrt(max(xi * tcut * (1.0 - 0.5 * beta2), 0.0)) \
                    * rng.standard_normal()
                loss = max(soft, 0.0) + tail
                # radiative (see _sample_radiative)
                loss += (TBS[m, j] * (1.0 - w) + TBS[m, j + 1] * w) * Ei * t
                kh = rng.poisson((TSH[m, j] * (1.0 - w) + TSH[m, j + 1] * w) * t)
                jj = j if w < 0.5 else j + 1
                for _ in range(kh):
                    u = rng.random() * (nu - 1)
                    iu = min(int(u), nu - 2)
                    fu = u - iu
                    lv = TINV[m, jj, iu] * (1.0 - fu) + TINV[m, jj, iu + 1] * fu
                    loss += min(math.exp(lv), 1.0) * Ei
                # multiple scattering (Highland, PDG Eqs. 34.15, 34.20-34.21)
                xx = max(path / X0, 1e-12)
                th0 = 0.0136 / (pi * pi / Ei) * math.sqrt(xx) * (1.0 + 0.038 * math.log(xx))
                g0 = rng.standard_normal()
                g1 = rng.standard_normal()
                g2 = rng.standard_normal()
                g3 = rng.standard_normal()
                if move:
                    xi_ += txi * step + step * th0 * (g0 / sq12 + 0.5 * g1)
                    yi += tyi * step + step * th0 * (g2 / sq12 + 0.5 * g3)
                txi += th0 * g1
                tyi += th0 * g3
                zi += step
                if loss >= T:
                    dep[i, ie] += T
                    Ei = mmu
                    pi = 0.0
                    alive = False
                    stopped[i] = True
                    stop_el[i] = ie
                else:
                    dep[i, ie] += loss
                    Ei -= loss
                    pi = math.sqrt(max(Ei * Ei - mmu * mmu, 0.0))
            if ekind[ie] == 1:
                zi = zend
            if alive and (abs(xi_) > ehx[ie] or abs(yi) > ehy[ie]):
                lost[i] = True
                alive = False
            if espec[ie]:
                if not alive:
                    acc = False
                if etrk[ie]:
                    hitx[i, ie] = xi_
        E[i] = Ei
        x[i], y[i], z[i], tx[i], ty[i] = xi_, yi, zi, txi, tyi
        in_acc[i] = acc and alive and (not lost[i]) and (not stopped[i]) and p_spec[i] == p_spec[i]


_kernel_nb = None


def _get_kernel():
    """The compiled kernel (Numba imported here, not at module import: ~0.3 s saved for users
    of the numpy engine, the mean-loss functions and the response).  ``error_model="numpy"``:
    no Python zero-division checks (the kernel never divides by zero; ~9 % faster)."""
    global _kernel_nb
    if _kernel_nb is None:
        try:
            from numba import njit
        except Exception:  # pragma: no cover - numba is a declared dependency
            return None
        _kernel_nb = njit(cache=True, nogil=True, error_model="numpy")(_kernel_py)
    return _kernel_nb


_SETUP_ARRAYS: dict = {}


def _setup_arrays(setup):
    """Element and medium tables as dense arrays for the compiled kernel (cached per Setup object)."""
    hit = _SETUP_ARRAYS.get(id(setup))
    if hit is not None and hit[0] is setup:
        return hit[1]
    arrays = _build_setup_arrays(setup)
    if len(_SETUP_ARRAYS) > 32:
        _SETUP_ARRAYS.clear()
    _SETUP_ARRAYS[id(setup)] = (setup, arrays)
    return arrays


def _build_setup_arrays(setup):
    els = setup.elements
    meds = []
    emed = np.empty(len(els), np.int64)
    for i, e in enumerate(els):
        if e.medium not in meds:
            meds.append(e.medium)
        emed[i] = meds.index(e.medium)
    tabs = [medium_tables(m) for m in meds]
    spec = setup.spectrometer
    spec_idx = set(spec.element_indices) if spec is not None else set()
    trk_idx = set(spec.tracker_indices) if spec is not None else set()
    return dict(
        ez0=np.array([e.z_start_cm for e in els], float), ez1=np.array([e.z_end_cm for e in els], float),
        ehx=np.array([e.half_aperture_x_cm for e in els], float),
        ehy=np.array([e.half_aperture_y_cm for e in els], float),
        ekind=np.array([1 if e.kind == "magnet" else 0 for e in els], np.int64),
        ebl=np.array([e.field_integral_tm for e in els], float), emed=emed,
        erho=np.array([e.medium.density for e in els], float), eX0=np.array([e.medium.X0_cm for e in els], float),
        espec=np.array([i in spec_idx for i in range(len(els))], np.bool_),
        etrk=np.array([i in trk_idx for i in range(len(els))], np.bool_),
        first_spec=min(spec_idx) if spec_idx else -1,
        TA=np.stack([t["a"] for t in tabs]), TBS=np.stack([t["b_soft"] for t in tabs]),
        TBT=np.stack([t["b_tot"] for t in tabs]), TSH=np.stack([t["sigma_hard"] for t in tabs]),
        TINV=np.ascontiguousarray(np.stack([t["inv_lnv"] for t in tabs])), TRG=np.stack([t["range"] for t in tabs]),
        TZA=np.array([t["ZA"] for t in tabs], float),
    )
