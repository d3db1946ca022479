"""Electromagnetic interactions of e-, e+ and photons in a detector medium, per radiation length.

Cross sections and continuous losses used by the cascade Monte Carlo (:mod:`.shower`), all in
units of the radiation length X0 of the medium (t = depth / X0):

* Bremsstrahlung with intermediate screening: Bethe-Heitler with Tsai's Thomas-Fermi screening
  functions, Coulomb correction and atomic-electron term (Tsai, Rev. Mod. Phys. 46 (1974) 815,
  Eqs. 3.9, 3.38-3.41), photon energy k = y E (:func:`brems_ydsigma_per_x0`).  At high energy
  (and for soft photons at any E) it is the complete-screening form (Tsai Eq. 3.83; PDG RPP 2022
  Eq. 34.29)::

      X0 n dsigma/dy = (1/y) [ (4/3 + xi/9)(1 - y) + y^2 ],
      xi = (Z^2 + Z) / (Z^2 (L_rad - f) + Z L'_rad)      (mixture: per-mass sums)

  Photons with k < k_cut are not produced; their mean energy loss
  ``E int_0^{y_c} y dsigma/dy dy`` (y_c = k_cut / E) is added to the continuous loss.
* Pair production with intermediate screening (Tsai 1974 Eq. 3.16, same screening functions;
  :func:`pair_dsigma_per_x0`); its high-energy limit is the complete-screening form (Tsai
  Eq. 3.84 / PDG Eq. 34.31), electron energy x k::

      X0 n dsigma/dx = 1 - (4/3 + xi/9) x (1 - x)   (-> 7/9 - xi/54 per X0, PDG Eq. 34.32)

  The Coulomb correction f is applied for k >= 50 MeV only (as in Geant4's Bethe-Heitler
  model; near threshold the true Coulomb effect in high Z has the opposite sign).  The
  ultra-relativistic Born form vanishes below k ~ 1.6 MeV in Pb (true pair cross section there
  < 1 % of Compton).  Compared with NIST/XCOM for Pb: within ~5 % at 3-5 MeV, ~10 % high at
  10-20 MeV (docs/shower.md).  Total rates are integrated by Gauss-Legendre quadrature and
  tabulated per medium and cut (:class:`Rates`); emissions are sampled by rejection.
* Compton scattering: Klein-Nishina total and differential cross section per electron
  (Klein & Nishina 1929; Heitler, The Quantum Theory of Radiation, 3rd ed.), Z electrons per
  atom; photo-effect and Rayleigh are neglected (irrelevant above the cut-offs used, >= 1 MeV).
* LPM suppression (optional, ``lpm=True``): Migdal's formulas with Stanev et al.'s
  (PRD 25 (1982) 1291) fits of G(s), phi(s) as reviewed by Klein, Rev. Mod. Phys. 71
  (1999) 1501, Eqs. (14)-(17); E_LPM = 7.7 TeV/cm x X0[cm] (Klein Eq. 8).  Implemented
  as thinning of the Bethe-Heitler process: an emission (pair) sampled from the
  complete-screening spectrum is kept with probability S = dsigma_Migdal/dsigma_BH <= 1
  (exact for a Poisson process).  Migdal's xi(s) (1 <= xi <= 2, = 1 for s >= 1, i.e.
  wherever the suppression is weak) is set to 1: the strongly suppressed region is slightly
  under-suppressed (not quantified here; LPM is off by default).  Dielectric suppression is
  neglected (k < gamma hbar omega_p ~ 1e-4 E, below any cut used here).
* Ionisation: continuous, the mean collision stopping power of e- (Moller) and e+ (Bhabha),
  ICRU Report 37 / Berger-Seltzer as in PDG RPP Sec. 34.2.7, with the Sternheimer density effect
  of each host material (:func:`collision_dedx_gev_cm2_g`; I and the density-effect parameters of
  Sternheimer, Berger & Seltzer, At. Data Nucl. Data Tables 30 (1984) 261, from the substance table of
  :mod:`.media`).  It reproduces the PDG Rossi critical energies (loss per X0 at E_c = E_c) to
  < 1 %.  No explicit delta rays (Moller/Bhabha): all collision loss is continuous.  The cascade's
  ``ecrit_override`` gives a constant loss per X0 instead (Rossi's approximation B).
"""

from __future__ import annotations

import math

import numpy as np

from ..particles import lepton_mass
from ..units import ALPHA, AVOGADRO, HBARC_GEV_CM
from .media import density_effect, radiation_logs

#: electron mass [GeV]
_M_E = lepton_mass("e")

# ----------------------------------------------------------------------------- cross sections (per X0)


def brems_hard_per_x0(E, k_cut, xi):
    """X0 n sigma_brems(k > k_cut) = int_{y_c}^1 phi(y) dy, phi of Tsai Eq. 3.83 (complete screening)."""
    E = np.asarray(E, float)
    yc = np.clip(k_cut / np.maximum(E, 1e-300), 1e-300, 1.0)
    a = 4.0 / 3.0 + xi / 9.0
    # no hard emission possible if k_cut > E - m_e (the electron keeps its rest energy); the
    # missing sliver y in (1 - m_e/E, 1) is neglected in the rate (relative size < m_e/E)
    ok = k_cut < E - _M_E
    return np.where(ok, a * (-np.log(yc)) - a * (1.0 - yc) + 0.5 * (1.0 - yc * yc), 0.0)


def brems_soft_loss_per_x0(E, k_cut, xi):
    """Mean energy radiated per X0 in photons k < k_cut: E int_0^{y_c} y phi(y) dy [GeV per X0]."""
    E = np.asarray(E, float)
    yc = np.minimum(k_cut / np.maximum(E, 1e-300), 1.0)
    a = 4.0 / 3.0 + xi / 9.0
    return E * (a * yc - 0.5 * a * yc * yc + yc ** 3 / 3.0)


def pair_per_x0(k, xi):
    """X0 n sigma_pair(k) = int psi(x) dx over m_e/k < x < 1 - m_e/k, psi = 1 - (4/3 + xi/9) x(1-x)."""
    k = np.asarray(k, float)
    a = np.minimum(_M_E / np.maximum(k, 1e-300), 0.5)
    c = 4.0 / 3.0 + xi / 9.0
    b = 1.0 - a

    def prim(x):
        return x - c * (x * x / 2.0 - x ** 3 / 3.0)

    return np.where(k > 2 * _M_E, prim(b) - prim(a), 0.0)


def klein_nishina_cm2(k):
    """Klein-Nishina total cross section per electron [cm^2] (Klein & Nishina 1929; Heitler's textbook)."""
    r_e = 2.8179403262e-13
    kap = np.asarray(k, float) / _M_E
    kap = np.maximum(kap, 1e-6)
    t1 = (1 + kap) / kap ** 2 * (2 * (1 + kap) / (1 + 2 * kap) - np.log(1 + 2 * kap) / kap)
    t2 = np.log(1 + 2 * kap) / (2 * kap) - (1 + 3 * kap) / (1 + 2 * kap) ** 2
    return 2 * math.pi * r_e * r_e * (t1 + t2)


# ----------------------------------------------------------------------------- screened cross sections


def tsai_screening(gam, eps):
    """Tsai's Thomas-Fermi screening functions (phi1, phi2, psi1, psi2), Rev. Mod. Phys. 46 (1974) 815, Eqs. 3.38-3.41.

    ``gam = 100 m_e k / (E E' Z^(1/3))``, ``eps = 100 m_e k / (E E' Z^(2/3))`` (k photon, E, E'
    the two lepton energies).  Complete screening (gam = eps = 0): phi1 = 4 ln 184.15,
    psi1 = 4 ln 1194, phi1 - phi2 = psi1 - psi2 = 2/3.  For gam, eps >> 1 they reproduce the
    unscreened Bethe-Heitler logarithms (phi1/4 - ln Z/3 -> ln(2 E E'/(m_e k)) - 1/2).
    """
    gam = np.asarray(gam, float)
    eps = np.asarray(eps, float)
    phi1 = 20.863 - 2.0 * np.log1p((0.55846 * gam) ** 2) - 4.0 * (1.0 - 0.6 * np.exp(-0.9 * gam)
                                                                   - 0.4 * np.exp(-1.5 * gam))
    phi2 = phi1 - (2.0 / 3.0) / (1.0 + 6.5 * gam + 6.0 * gam * gam)
    psi1 = 28.340 - 2.0 * np.log1p((3.621 * eps) ** 2) - 4.0 * (1.0 - 0.7 * np.exp(-8.0 * eps)
                                                                 - 0.3 * np.exp(-29.2 * eps))
    psi2 = psi1 - (2.0 / 3.0) / (1.0 + 40.0 * eps + 400.0 * eps * eps)
    return phi1, phi2, psi1, psi2


def _component_brackets(c, r, coulomb=True):
    """Tsai's per-atom brackets for one element at r = m_e k/(E E'):  (A, B) with

    A = Z^2 (phi1/4 - ln Z/3 - f) + Z (psi1/4 - 2 ln Z/3),  B = the same with phi2, psi2
    (Tsai 1974 Eqs. 3.9 and 3.16 in Heitler's arrangement).  For Z <= 4 the Thomas-Fermi fits are
    shifted by a constant so that complete screening gives Tsai's L_rad, L'_rad of PDG Table 34.2
    (consistent with X0).  ``coulomb=False`` drops the Coulomb correction f.
    """
    Z = c.Z
    z13 = Z ** (1.0 / 3.0)
    phi1, phi2, psi1, psi2 = tsai_screening(100.0 * r / z13, 100.0 * r / (z13 * z13))
    lrad, lprad, f = radiation_logs(Z)
    lnz = math.log(Z)
    shift = Z * Z * (lrad - (20.863 / 4 - lnz / 3)) + Z * (lprad - (28.340 / 4 - 2 * lnz / 3))
    fz = np.where(coulomb, f, 0.0)
    A = Z * Z * (phi1 / 4 - lnz / 3 - fz) + Z * (psi1 / 4 - 2 * lnz / 3) + shift
    B = Z * Z * (phi2 / 4 - lnz / 3 - fz) + Z * (psi2 / 4 - 2 * lnz / 3) + shift
    return np.maximum(A, 0.0), np.maximum(B, 0.0)


def _norm_weights(medium):
    """(per-component weights w_j/A_j, 1 / sum_j (w_j/A_j) D_j), D = Z^2(L_rad - f) + Z L'_rad (so 1/X0 ~ sum w D/A)."""
    wa, den = [], 0.0
    for c in medium.components:
        lrad, lprad, f = radiation_logs(c.Z)
        wa.append(c.mass_fraction / c.A)
        den += c.mass_fraction / c.A * (c.Z * c.Z * (lrad - f) + c.Z * lprad)
    return wa, 1.0 / den


#: photon energy [GeV] below which the (high-energy, Davies-Bethe-Maximon) Coulomb correction f is not
#: applied to pair production, as in Geant4's Bethe-Heitler model (G4BetheHeitlerModel, 50 MeV): near
#: threshold the true Coulomb effect in high-Z atoms has the opposite sign (Overbo, Mork & Olsen,
#: Phys. Rev. A 8 (1973) 668), and f (0.33 for Pb) would then understate the cross section
PAIR_COULOMB_MIN_GEV = 0.05


def brems_ydsigma_per_x0(E, y, medium, screening=True):
    """y X0 n dsigma/dy of bremsstrahlung (k = y E) in ``medium``, intermediate screening.

    Tsai, Rev. Mod. Phys. 46 (1974) 815, Eq. 3.9 (Bethe-Heitler with the Thomas-Fermi screening
    functions, Coulomb correction f, atomic-electron term), in Heitler's arrangement::

        y X0 n dsigma/dy = sum_j (w_j/A_j) [(1 + (1-y)^2) A_j - (2/3)(1-y) B_j] / sum_j (w_j/A_j) D_j

    with A_j, B_j from :func:`_component_brackets` at r = m_e y / (E (1 - y)).  With
    ``screening=False`` (or E -> infinity) it is the complete-screening form (4/3 + xi/9)(1-y)
    + y^2 of Tsai Eq. 3.83 / PDG Eq. 34.29.  Zero for y >= 1 - m_e/E.
    """
    E = np.asarray(E, float)
    y = np.asarray(y, float)
    ymax = 1.0 - _M_E / np.maximum(E, 1e-300)
    ok = (y > 0) & (y < ymax)
    yy = np.where(ok, y, 0.5)
    r = np.where(screening, _M_E * yy / (np.maximum(E, 1e-300) * (1.0 - yy)), 0.0)
    wa, inv = _norm_weights(medium)
    tot = 0.0
    for c, w in zip(medium.components, wa):
        A, B = _component_brackets(c, r)
        tot = tot + w * ((1.0 + (1.0 - yy) ** 2) * A - (2.0 / 3.0) * (1.0 - yy) * B)
    return np.where(ok, np.maximum(tot * inv, 0.0), 0.0)


def pair_dsigma_per_x0(k, x, medium, screening=True):
    """X0 n dsigma/dx of pair production (x = E_+/k) in ``medium``, intermediate screening.

    Tsai 1974 Eq. 3.16 (the crossing of Eq. 3.9) in Heitler's arrangement::

        X0 n dsigma/dx = sum_j (w_j/A_j) [(x^2 + (1-x)^2) A_j + (2/3) x(1-x) B_j] / sum_j (w_j/A_j) D_j

    with A_j, B_j at r = m_e/(k x (1-x)); complete screening gives 1 - (4/3 + xi/9) x(1-x)
    (Tsai Eq. 3.84, PDG Eq. 34.31).  The Coulomb correction is applied for k >= 50 MeV only
    (:data:`PAIR_COULOMB_MIN_GEV`).  This is the ultra-relativistic Born result: within ~10 MeV
    of threshold it is approximate (see docs/shower.md for the comparison with XCOM).
    """
    k = np.asarray(k, float)
    x = np.asarray(x, float)
    lo = _M_E / np.maximum(k, 1e-300)
    ok = (x > lo) & (x < 1.0 - lo)
    xx = np.where(ok, x, 0.5)
    r = np.where(screening, _M_E / (np.maximum(k, 1e-300) * xx * (1.0 - xx)), 0.0)
    wa, inv = _norm_weights(medium)
    tot = 0.0
    coulomb = k >= PAIR_COULOMB_MIN_GEV
    for c, w in zip(medium.components, wa):
        A, B = _component_brackets(c, r, coulomb=coulomb)
        tot = tot + w * ((xx * xx + (1.0 - xx) ** 2) * A + (2.0 / 3.0) * xx * (1.0 - xx) * B)
    return np.where(ok, np.maximum(tot * inv, 0.0), 0.0)


def _envelopes(medium):
    """Upper bounds over all energies of y X0 n dsigma/dy (brems) and X0 n dsigma/dx (pair).

    Both forms are sums of terms that decrease with the screening variable, so complete
    screening bounds them; without f (pair below 50 MeV): brems <= sum w [(4/3) D0 + (Z^2+Z)/9],
    pair <= sum w D0, D0 = Z^2 L_rad + Z L'_rad, normalised like the cross sections.
    """
    wa, inv = _norm_weights(medium)
    b = p = 0.0
    for c, w in zip(medium.components, wa):
        lrad, lprad, f = radiation_logs(c.Z)
        d0 = c.Z * c.Z * lrad + c.Z * lprad
        b += w * (4.0 / 3.0 * d0 + (c.Z * c.Z + c.Z) / 9.0)
        p += w * d0
    return b * inv * (1 + 1e-9), p * inv * (1 + 1e-9)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(96)


def _gl(a, b):
    """Gauss-Legendre nodes/weights on [a, b] (arrays a, b of shape (n,)) -> (n, 96) each."""
    a = np.asarray(a, float)[:, None]
    b = np.asarray(b, float)[:, None]
    return 0.5 * (b - a) * _GL_X[None, :] + 0.5 * (b + a), 0.5 * (b - a) * _GL_W[None, :]


def brems_hard_screened_per_x0(E, k_cut, medium, screening=True):
    """X0 n sigma_brems(k > k_cut) = int_{y_c}^{1 - m_e/E} dy dsigma/dy (96-point Gauss-Legendre in ln y)."""
    E = np.atleast_1d(np.asarray(E, float))
    ymax = 1.0 - _M_E / E
    yc = k_cut / E
    ok = yc < ymax
    lo, hi = np.log(np.where(ok, yc, 0.25)), np.log(np.where(ok, ymax, 0.5))
    u, w = _gl(lo, hi)
    val = brems_ydsigma_per_x0(E[:, None], np.exp(u), medium, screening)
    return np.where(ok, np.sum(val * w, axis=1), 0.0)


def brems_soft_screened_loss_per_x0(E, k_cut, medium, screening=True):
    """Mean energy radiated per X0 into photons k < k_cut: E int_0^{y_c} dy y dsigma/dy [GeV per X0]."""
    E = np.atleast_1d(np.asarray(E, float))
    yc = np.minimum(k_cut / E, 1.0 - _M_E / E)
    yc = np.maximum(yc, 0.0)
    u, w = _gl(np.zeros_like(E), yc)
    val = brems_ydsigma_per_x0(E[:, None], u, medium, screening)
    return E * np.sum(val * w, axis=1)


def pair_screened_per_x0(k, medium, screening=True):
    """X0 n sigma_pair(k) = int dx dsigma/dx over m_e/k < x < 1 - m_e/k (96-point Gauss-Legendre); 0 below 2 m_e."""
    k = np.atleast_1d(np.asarray(k, float))
    ok = k > 2 * _M_E * (1 + 1e-9)
    lo = np.where(ok, _M_E / k, 0.25)
    u, w = _gl(lo, 1.0 - lo)
    val = pair_dsigma_per_x0(k[:, None], u, medium, screening)
    return np.where(ok, np.sum(val * w, axis=1), 0.0)


# ----------------------------------------------------------------------------- collision stopping power


def _classical_radius_cm() -> float:
    return ALPHA * HBARC_GEV_CM / _M_E


def _collision_bracket(T, I_gev, positron, delta):
    """ICRU 37 / Berger-Seltzer bracket for e- (Moller) or e+ (Bhabha), tau = T/m_e (PDG RPP Sec. 34.2.7)."""
    tau = np.maximum(T / _M_E, 1e-6)
    gam = tau + 1.0
    beta2 = 1.0 - 1.0 / (gam * gam)
    if positron:
        tp2 = tau + 2.0
        F = 2 * math.log(2) - beta2 / 12.0 * (23 + 14 / tp2 + 10 / tp2 ** 2 + 4 / tp2 ** 3)
    else:
        F = 1 - beta2 + (tau * tau / 8.0 - (2 * tau + 1) * math.log(2)) / (tau + 1) ** 2
    lg = np.log(tau * tau * (tau + 2) / (2 * (I_gev / _M_E) ** 2))
    return (lg + F - delta) / beta2, beta2


def collision_dedx_gev_cm2_g(E, medium, positron=False):
    """Mean collision stopping power of e- or e+ of total energy E [GeV cm^2/g] in ``medium``.

    ICRU Report 37 (1984) / Berger & Seltzer (Rohrlich-Carlson with Moller or Bhabha), as in
    PDG RPP Sec. 34.2.7::

        -dE/dx = (K/2)(Z/A)(1/beta^2) [ln(tau^2 (tau+2) / (2 (I/m_e)^2)) + F(tau) - delta]

    K = 4 pi N_A r_e^2 m_e; Sternheimer density effect of the host material.  Mixtures add by
    mass (each sampling layer keeps its own I and delta, so the mass average is exact for the
    mean loss).  Components without Sternheimer parameters use I = 16 Z^0.9 eV, no density
    effect, normalised so that the host's loss per X0 at E = E_c equals E_c (Rossi's
    definition, PDG Sec. 34.4.4).  Delta rays are not split off (all loss continuous).
    """
    E = np.asarray(E, float)
    T = np.maximum(E - _M_E, 1e-9)
    K = 4 * math.pi * AVOGADRO * _classical_radius_cm() ** 2 * _M_E  # GeV cm^2 / mol
    bg = np.sqrt(np.maximum(E * E - _M_E * _M_E, 1e-30)) / _M_E
    out = 0.0
    for c in medium.components:
        if c.stopping is not None:
            I = c.stopping[0] * 1e-9
            br, _ = _collision_bracket(T, I, positron, density_effect(np.log10(bg), c.stopping[1:]))
            out = out + c.mass_fraction * 0.5 * K * c.Z / c.A * br
        else:
            I = (19.2 if c.Z < 1.5 else 16.0 * c.Z ** 0.9) * 1e-9
            br, _ = _collision_bracket(T, I, positron, 0.0)
            br_c, _ = _collision_bracket(np.asarray(c.ecrit_gev - _M_E), I, False, 0.0)
            # host loss at E_c: E_c / X0_host per g/cm^2 (Rossi); the shape in E from the formula
            out = out + c.mass_fraction * (c.ecrit_gev / c.x0_gcm2) * br / br_c
    return np.maximum(out, 0.0)


class Brackets:
    """Medium sums S_A(r) = sum_j (w_j/A_j) A_j(r) / sum_j (w_j/A_j) D_j (and S_B) tabulated in ln r (fast path).

    The screening variable of every element is a fixed multiple of r = m_e k / (E E'), so the
    per-element brackets of :func:`_component_brackets` (clipped at 0) sum to functions of r
    alone; tabulated on 100 points per decade of r in [1e-7, 1e3] and interpolated linearly
    in ln r (checked against the direct evaluation in tests/test_shower.py).
    """

    def __init__(self, medium, screening=True):
        self.lnr = np.linspace(math.log(1e-7), math.log(1e3), 1001)
        r = np.exp(self.lnr) if screening else np.zeros(self.lnr.size)
        wa, inv = _norm_weights(medium)
        self.tab = {}
        for coul in (True, False):
            sa = sb = 0.0
            for c, w in zip(medium.components, wa):
                A, B = _component_brackets(c, r, coulomb=coul)
                sa, sb = sa + w * A * inv, sb + w * B * inv
            self.tab[coul] = (sa, sb)

    def __call__(self, r, coulomb=True):
        lr = np.log(np.maximum(r, 1e-300))
        sa, sb = self.tab[coulomb]
        return np.interp(lr, self.lnr, sa), np.interp(lr, self.lnr, sb)

    def brems(self, E, y):
        """y X0 n dsigma/dy (same as :func:`brems_ydsigma_per_x0`, tabulated brackets)."""
        A, B = self(_M_E * y / (E * (1.0 - y)))
        return np.maximum((1.0 + (1.0 - y) ** 2) * A - (2.0 / 3.0) * (1.0 - y) * B, 0.0)

    def pair(self, k, x, coulomb):
        """X0 n dsigma/dx (same as :func:`pair_dsigma_per_x0`; ``coulomb`` must equal k >= 50 MeV)."""
        u = x * (1.0 - x)
        r = _M_E / (k * u)
        Ac, Bc = self(r, True)
        An, Bn = self(r, False)
        A, B = np.where(coulomb, Ac, An), np.where(coulomb, Bc, Bn)
        return np.maximum((1.0 - 2.0 * u) * A + (2.0 / 3.0) * u * B, 0.0)


class Rates:
    """Tabulated interaction rates and continuous losses per X0 for one medium and cut (linear in ln E)."""

    def __init__(self, medium, k_cut, e_max, screening=True, per_decade=40):
        lo, hi = math.log(1e-3), math.log(max(e_max, 1e-2) * 1.01)
        n = max(8, int(math.ceil((hi - lo) / math.log(10) * per_decade)))
        self.lnE = np.linspace(lo, hi, n + 1)
        E = np.exp(self.lnE)
        x0 = medium.x0_gcm2
        self.brems = brems_hard_screened_per_x0(E, k_cut, medium, screening)
        self.soft = brems_soft_screened_loss_per_x0(E, k_cut, medium, screening)
        self.pair = pair_screened_per_x0(E, medium, screening)
        self.ion = (collision_dedx_gev_cm2_g(E, medium, False) * x0, collision_dedx_gev_cm2_g(E, medium, True) * x0)
        self.env_brems, self.env_pair = _envelopes(medium)
        self.brk = Brackets(medium, screening)
        # per-k bound of the pair density: at fixed x it grows with k (the brackets fall with r ~ 1/k),
        # so the maximum over x at the next grid point (no Coulomb correction: larger) bounds it
        u = 0.25 * np.linspace(1e-4, 1.0, 400) ** 0.5
        xg = 0.5 * (1.0 - np.sqrt(1.0 - 4.0 * u))
        dens = self.brk.pair(E[:, None], xg[None, :], False)
        lo = _M_E / E
        dens = np.where(xg[None, :] > lo[:, None], dens, 0.0)
        mx = np.max(dens, axis=1) * 1.02
        self.pair_bound = np.minimum(np.append(mx[1:], mx[-1]), self.env_pair)

    def __call__(self, name, E):
        return np.interp(np.log(np.maximum(E, 1e-300)), self.lnE, getattr(self, name))

    def ionisation(self, E, positron):
        lnE = np.log(np.maximum(E, 1e-300))
        return np.where(positron, np.interp(lnE, self.lnE, self.ion[1]), np.interp(lnE, self.lnE, self.ion[0]))


#: above this s, Migdal's phi(s), G(s) are set to 1 (no suppression)
_S_MAX = 2.0


def _migdal_G_phi(s):
    """Stanev et al. (1982) fits of Migdal's phi(s), G(s) (Klein RMP 71 (1999), Eqs. 15-16)."""
    s = np.asarray(s, float)
    sc = np.minimum(s, _S_MAX)  # the fits hold for s <~ 2, where phi, G are within 1e-3 of 1 already
    phi = 1.0 - np.exp(-6 * sc * (1 + (3 - math.pi) * sc) + sc ** 3 / (0.623 + 0.796 * sc + 0.658 * sc * sc))
    psi = 1.0 - np.exp(-4 * sc - 8 * sc * sc / (1 + 3.936 * sc + 4.97 * sc * sc - 0.05 * sc ** 3 + 7.5 * sc ** 4))
    G = 3 * psi - 2 * phi
    big = s >= _S_MAX
    return np.where(big, 1.0, np.clip(G, 0.0, 1.0)), np.where(big, 1.0, np.clip(phi, 0.0, 1.0))


def lpm_brems_factor(E, y, e_lpm):
    """S = dsigma_Migdal/dsigma_BH for bremsstrahlung (Klein Eq. 14 with xi(s) = 1), 0 < S <= 1."""
    k = y * E
    s = np.sqrt(e_lpm * k / (8.0 * E * np.maximum(E - k, 1e-300)))
    G, phi = _migdal_G_phi(s)
    num = y * y * G + 2 * (1 + (1 - y) ** 2) * phi
    den = y * y + 2 * (1 + (1 - y) ** 2)
    return np.clip(num / den, 0.0, 1.0)


def lpm_pair_factor(k, x, e_lpm):
    """S = dsigma_Migdal/dsigma_BH for pair production (Klein Eq. 17 with xi(s) = 1)."""
    E = x * k
    s = np.sqrt(e_lpm * k / (8.0 * np.maximum(E * (k - E), 1e-300)))
    G, phi = _migdal_G_phi(s)
    q = x * x + (1 - x) ** 2
    return np.clip((G + 2 * q * phi) / (1 + 2 * q), 0.0, 1.0)
