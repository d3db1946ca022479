"""gamma N -> mu+ mu- N (Bethe-Heitler muon pairs) in the EM shower of the beam electron.

Physics model (the one of Geant4's ``G4GammaConversionToMuons``), from

  [BKK02] H. Burkhardt, S. R. Kelner, R. P. Kokoulin, "Monte Carlo generator for muon pair
          production", CERN-SL-2002-016 (AP), CLIC Note 511 (2002); also the Geant4 Physics
          Reference Manual, section "Gamma conversion into a muon pair" (Eqs. numbered there
          (17)-(18) in the 11.x edition);
  [KKP95] S. R. Kelner, R. P. Kokoulin, A. A. Petrukhin, Phys. Atom. Nucl. 60 (1997) 576 /
          MEPhI preprint 024-95: the muon-bremsstrahlung cross section the pair formula is
          crossed from.

* energy sharing, [BKK02] Sec. 2 = Geant4 PRM (11.x) Eqs. (17)-(18)::

      dsigma/dx_+ = 4 alpha Z^2 r_mu^2 (1 - 4/3 x_+ x_-) ln W,
      W = W_inf (1 + (D_n sqrt(e) - 2) delta/m_mu) / (1 + B Z^(-1/3) sqrt(e) delta/m_e),
      W_inf = B Z^(-1/3) m_mu / (D_n m_e),   delta = m_mu^2 / (2 E x_+ x_-),
      B = 183 (202.4 for H),  D_n = 1.54 A^0.27 (1.49 for H),

  r_mu = alpha/m_mu the classical muon radius.  The Thomas-Fermi screening (B Z^-1/3) is the
  *atomic* form factor, D_n the *nuclear* (finite size) form factor of [KKP95].  The allowed
  range is x_+- in [1/2 - sqrt(1/4 - m/E), 1/2 + sqrt(1/4 - m/E)] (where ln W > 0).
* asymptotic (complete screening, E -> inf): sigma_inf = 28/9 alpha Z^2 r_mu^2 ln W_inf
  (the integral of (1 - 4/3 x(1-x)) over [0, 1] is 7/9).
* total cross section: the parameterisation of [BKK02] Sec. 2 (as evaluated by Geant4's
  ``ComputeCrossSectionPerAtom``)::

      sigma = 28/9 alpha Z^2 r_mu^2 ln(1 + W_M C_f E_g),
      W_M = 1/(4 D_n sqrt(e) m_mu),   C_f = 1 + 0.04 ln(1 + E_c/E),  E_c = -18 + 4347/(B Z^-1/3) GeV,
      E_g = (1 - 4 m_mu/E)^t (W_sat^s + E^s)^(1/s),  t = 1.479 + 0.00799 D_n,  s = -0.88,
      W_sat = W_inf / W_M,

  which tends to sigma_inf (ln(1 + W_inf) ~ ln W_inf) and vanishes at E = 4 m_mu.  The true
  kinematic threshold is 2 m_mu (1 + m_mu/M_N); the approximate formula is used only above
  4 m_mu, as in Geant4 ([BKK02] Sec. 2: "approximate close to threshold ... of little
  practical importance").  Muons from E_gamma < 4 m_mu = 0.42 GeV have < 0.32 GeV and stop in
  the first cm of the calorimeter, so no selected background can come from there.
* angles: [BKK02] Sec. 3 auxiliary variables (t, psi, rho) as in the Geant4 implementation
  (current revision, C1 = (0.2 A^0.27 m/(2 E x_+ x_-))^2): t in (0, 1] with density
  (1 - 2 x_+x_- + 4 x_+x_- t(1-t)) / (1 + C1/t^2)^2, psi in [0, 2 pi) with density
  1 - 2 x_+x_- + 4 x_+x_- t(1-t)(1 + cos 2 psi), rho in [0, rho_max] with density
  rho^3/(rho^4 + C2), rho_max = 1.9 A^-0.27 (1/t - 1),
  C2 = 4 (x_+x_-)^-1/2 [(m/(2 E x_+x_- t))^2 + (m_e/(183 Z^-1/3 m))^2]^2; then
  u = sqrt(1/t - 1), theta_+- = (m/E)(u +- rho cos(psi)/2)/x_+-, and the azimuths
  phi_0 +- rho sin(psi)/(2u) (mu- on the opposite side).  The code here is an independent
  vectorised NumPy implementation of these formulae.

Units: GeV inside; cross sections leave in pb; lengths in cm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...materials import Material
from ...particles import M_E, M_MU
from ...units import ALPHA, AVOGADRO, GEV2_TO_PB, PB_TO_CM2
from ...quadrature import panel_nodes

SQRT_E = math.sqrt(math.e)
_POW_SAT = -0.88


def _check_za(Z, A):
    Z = float(Z)
    A = float(A)
    if not (math.isfinite(Z) and 1 <= Z <= 100):
        raise InputError("Z", f"must be in [1, 100]; got {Z}")
    if not (math.isfinite(A) and A >= Z):
        raise InputError("A", f"must be a finite atomic mass >= Z={Z}; got {A}")
    return Z, A


def _b_dn(Z, A):
    """(B, D_n) of [BKK02]: hydrogen is special."""
    if round(Z) == 1:
        return 202.4, 1.49
    return 183.0, 1.54 * A**0.27


def w_infinity(Z, A) -> float:
    """W_inf = B Z^(-1/3) m_mu / (D_n m_e)  ([BKK02] Sec. 2; PRM after Eq. 18)."""
    Z, A = _check_za(Z, A)
    B, dn = _b_dn(Z, A)
    return B * Z ** (-1.0 / 3.0) * M_MU / (dn * M_E)


def r_mu_sq_gev2() -> float:
    """Classical muon radius squared, r_mu^2 = (alpha/m_mu)^2 [GeV^-2]."""
    return (ALPHA / M_MU) ** 2


def sigma_asymptotic_pb(Z, A) -> float:
    """Complete-screening limit sigma_inf = 28/9 alpha Z^2 r_mu^2 ln W_inf [pb] ([BKK02] Sec. 2)."""
    Z, A = _check_za(Z, A)
    return 28.0 / 9.0 * ALPHA * Z * Z * r_mu_sq_gev2() * math.log(w_infinity(Z, A)) * GEV2_TO_PB


def x_range(energy):
    """(x_min, x_max) = 1/2 -+ sqrt(1/4 - m_mu/E); nan below E = 4 m_mu."""
    E = np.asarray(energy, float)
    with np.errstate(invalid="ignore"):
        s = np.sqrt(np.where(E > 4 * M_MU, 0.25 - M_MU / np.where(E > 0, E, np.inf), np.nan))
    return 0.5 - s, 0.5 + s


def _log_w(energy, x, Z, A):
    B, dn = _b_dn(Z, A)
    E = np.asarray(energy, float)
    x = np.asarray(x, float)
    xpm = x * (1.0 - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = M_MU**2 / (2.0 * E * xpm)
        W = w_infinity(Z, A) * (1.0 + (dn * SQRT_E - 2.0) * delta / M_MU) / (
            1.0 + B * Z ** (-1.0 / 3.0) * SQRT_E * delta / M_E)
        lw = np.log(W)
    return np.where(np.isfinite(lw) & (lw > 0), lw, 0.0)


def dsigma_dx_pb(energy, x, Z=82, A=207.2):
    """dsigma/dx_+ [pb] of gamma Z -> mu+ mu- Z ([BKK02]; PRM Eqs. 17-18); 0 outside the allowed range.

    ``energy`` (GeV) and ``x`` = E(mu+)/E_gamma broadcast.
    """
    Z, A = _check_za(Z, A)
    E = np.asarray(energy, float)
    x = np.asarray(x, float)
    if np.any(~np.isfinite(E)) or np.any(E < 0):
        raise InputError("energy", "photon energies must be finite and >= 0 GeV")
    lo, hi = x_range(E)
    inside = (x > lo) & (x < hi)
    val = 4.0 * ALPHA * Z * Z * r_mu_sq_gev2() * (1.0 - 4.0 / 3.0 * x * (1.0 - x)) * _log_w(E, x, Z, A)
    return np.where(inside, val, 0.0) * GEV2_TO_PB


def sigma_pb(energy, Z=82, A=207.2):
    """Total sigma(gamma Z -> mu+ mu- Z) [pb], parameterisation of [BKK02] Sec. 2 (see module docstring).

    Exactly 0 for E <= 4 m_mu (the model's threshold, see module docstring).
    """
    Z, A = _check_za(Z, A)
    E = np.asarray(energy, float)
    if np.any(~np.isfinite(E)) or np.any(E < 0):
        raise InputError("energy", "photon energies must be finite and >= 0 GeV")
    B, dn = _b_dn(Z, A)
    w_inf = w_infinity(Z, A)
    w_m = 1.0 / (4.0 * dn * SQRT_E * M_MU)  # GeV^-1
    w_sat = w_inf / w_m  # GeV
    pow_thr = 1.479 + 0.00799 * dn
    e_cor = -18.0 + 4347.0 / (B * Z ** (-1.0 / 3.0))  # GeV
    above = E > 4.0 * M_MU
    Es = np.where(above, E, 1.0)
    cf = 1.0 + 0.04 * np.log1p(e_cor / Es)
    eg = (1.0 - 4.0 * M_MU / Es) ** pow_thr * (w_sat**_POW_SAT + Es**_POW_SAT) ** (1.0 / _POW_SAT)
    sig = 28.0 / 9.0 * ALPHA * Z * Z * r_mu_sq_gev2() * np.log1p(w_m * cf * eg)
    return np.where(above, sig, 0.0) * GEV2_TO_PB


def sigma_integrated_pb(energy, Z=82, A=207.2, n: int = 48):
    """Second evaluation of sigma: Gauss-Legendre integral of :func:`dsigma_dx_pb` over x.

    The integrand is symmetric about x = 1/2 and steep near the ends, so the half range
    [x_min, 1/2] is integrated on panels uniform in ln(x) and doubled.
    """
    Z, A = _check_za(Z, A)
    return _x_half_integral(energy, n, lambda E, x: dsigma_dx_pb(E, x, Z, A))


def _x_half_integral(energy, n, integrand):
    """2 x the Gauss-Legendre integral of integrand(E, x) over x in [x_min(E), 1/2] (integrands symmetric
    about x = 1/2 and steep near the ends: panels uniform in ln x with breaks at 2, 8, 64 x_min,
    ``n // 4`` nodes per panel); 0 at or below the threshold E = 4 m_mu."""
    E = np.atleast_1d(np.asarray(energy, float))
    out = np.zeros(E.shape)
    ok = E > 4.0 * M_MU
    if np.any(ok):
        lo, _ = x_range(E[ok])
        nodes, w = panel_nodes(lo, np.full_like(lo, 0.5), n // 4 or 1, breaks=[lo * 2, lo * 8, lo * 64], log=True)
        out[ok] = 2.0 * np.sum(integrand(E[ok][:, None], nodes) * w, axis=-1)
    return out.reshape(np.shape(energy))


# ---------------------------------------------------------------- sampling ------------------
def sample_x(energy, rng: np.random.Generator, Z=82, A=207.2):
    """Draw x_+ = E(mu+)/E_gamma from dsigma/dx_+ by rejection (vectorised).

    Envelope: uniform x on [x_min, x_max] times the maximum (1 - 4/3 x x') ln W <= ln W(x=1/2).
    """
    Z, A = _check_za(Z, A)
    E = np.asarray(energy, float).ravel()
    if np.any(~(E > 4.0 * M_MU)):
        raise InputError("energy", f"photon energies must exceed 4 m_mu = {4 * M_MU:.4f} GeV")
    lo, hi = x_range(E)
    return _reject(
        E.size,
        lambda todo, u: lo[todo] + u * (hi[todo] - lo[todo]),
        lambda todo, x: (1.0 - 4.0 / 3.0 * x * (1.0 - x)) * _log_w(E[todo], x, Z, A),
        _log_w(E, 0.5, Z, A),
        rng,
    )


def _reject(n, propose, density, fmax, rng):
    """Vectorised von Neumann rejection for n independent 1-D densities.

    ``propose(todo, u)`` maps uniforms u (one per pending index in ``todo``) to proposals,
    ``density(todo, v)`` is the unnormalised density there, bounded by ``fmax[todo]``.  Each
    round draws the proposal uniforms first and then the acceptance uniforms, for the pending
    indices only, until every index has accepted once.
    """
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        v = propose(todo, rng.random(todo.size))
        acc = rng.random(todo.size) * fmax[todo] <= density(todo, v)
        out[todo[acc]] = v[acc]
        todo = todo[~acc]
    return out


def _t_density(xp, c1, t):
    den = 1.0 + c1 / (t * t)
    return (1.0 - 2.0 * xp + 4.0 * xp * t * (1.0 - t)) / (den * den)


def _sample_t(xpm, c1, rng):
    """t in (0, 1] with density (1 - 2 xpm + 4 xpm t(1-t)) / (1 + C1/t^2)^2 (rejection)."""
    fmax = (1.0 - xpm) / (1.0 + c1) ** 2  # both factors maximal at t=1/2 resp. t=1
    return _reject(xpm.size, lambda todo, u: 1.0 - u,  # (0, 1]
                   lambda todo, t: _t_density(xpm[todo], c1[todo], t), fmax, rng)


def _sample_psi(xpm, t, rng):
    fmax = 1.0 - 2.0 * xpm + 8.0 * xpm * t * (1.0 - t)

    def density(todo, psi):
        xp, tt = xpm[todo], t[todo]
        return 1.0 - 2.0 * xp + 4.0 * xp * tt * (1.0 - tt) * (1.0 + np.cos(2.0 * psi))

    return _reject(xpm.size, lambda todo, u: 2.0 * np.pi * u, density, fmax, rng)


def sample_angles(energy, x_plus, rng: np.random.Generator, Z=82, A=207.2):
    """(theta_+, theta_-, phi_half) of [BKK02] Sec. 3 for photons along +z (vectorised).

    theta_+- may come out negative (the muon on the other side of the azimuth); |theta| <= pi
    is enforced by resampling, as in [BKK02].
    """
    Z, A = _check_za(Z, A)
    E = np.asarray(energy, float).ravel()
    xp = np.asarray(x_plus, float).ravel()
    xm = 1.0 - xp
    xpm = xp * xm
    a27 = A**0.27
    ginv = M_MU / E
    c1 = (0.20 * a27 * ginv / (2.0 * xpm)) ** 2
    c2_term2 = M_E / (183.0 * Z ** (-1.0 / 3.0) * M_MU)
    th_p = np.empty_like(E)
    th_m = np.empty_like(E)
    ph = np.empty_like(E)
    todo = np.arange(E.size)
    while todo.size:
        g = ginv[todo]
        xq = xpm[todo]
        t = _sample_t(xq, c1[todo], rng)
        psi = _sample_psi(xq, t, rng)
        c2 = 4.0 / np.sqrt(xq) * ((g / (2.0 * xq * t)) ** 2 + c2_term2**2) ** 2
        rho_max = 1.9 / a27 * (1.0 / t - 1.0)
        beta = np.log1p(rho_max**4 / c2)
        rho = (c2 * np.expm1(beta * rng.random(todo.size))) ** 0.25
        u = np.sqrt(1.0 / t - 1.0)
        xi_half = 0.5 * rho * np.cos(psi)
        with np.errstate(divide="ignore", invalid="ignore"):
            phi_half = np.where(u > 0, 0.5 * rho / u * np.sin(psi), 0.0)
        tp = g * (u + xi_half) / xp[todo]
        tm = g * (u - xi_half) / xm[todo]
        ok = (np.abs(tp) <= np.pi) & (np.abs(tm) <= np.pi)
        idx = todo[ok]
        th_p[idx], th_m[idx], ph[idx] = tp[ok], tm[ok], phi_half[ok]
        todo = todo[~ok]
    return th_p, th_m, ph


def _rotate_to(direction, local):
    """Rotate vectors ``local`` (n,3) given in a frame whose z axis is ``direction`` (n,3)."""
    d = direction / np.linalg.norm(direction, axis=1, keepdims=True)
    # orthonormal basis (e1, e2, d)
    helper = np.where(np.abs(d[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    e1 = np.cross(helper, d)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(d, e1)
    return local[:, 0:1] * e1 + local[:, 1:2] * e2 + local[:, 2:3] * d


@dataclass
class MuonPairs:
    """Sampled pairs: four-vectors (E, px, py, pz) in GeV of the mu+ and mu-, and x_+."""

    p4_plus: np.ndarray
    p4_minus: np.ndarray
    x_plus: np.ndarray


def sample_pairs(energy, rng: np.random.Generator, Z=82, A=207.2, direction=None) -> MuonPairs:
    """Full final state of gamma Z -> mu+ mu- Z for photons of ``energy`` (GeV).

    The photon energy is shared as x_+ E, (1-x_+) E ([BKK02]: no energy to the nucleus);
    directions from :func:`sample_angles`; photon direction ``direction`` (n,3) or +z.
    """
    E = np.asarray(energy, float).ravel()
    xp = sample_x(E, rng, Z, A)
    th_p, th_m, ph = sample_angles(E, xp, rng, Z, A)
    phi0 = 2.0 * np.pi * rng.random(E.size)
    out = []
    for x, th, phi, sign in ((xp, th_p, phi0 + ph, 1.0), (1.0 - xp, th_m, phi0 - ph, -1.0)):
        e = np.maximum(x * E, M_MU)
        p = np.sqrt(np.maximum(e * e - M_MU * M_MU, 0.0))
        dirs = np.stack([sign * np.sin(th) * np.cos(phi), sign * np.sin(th) * np.sin(phi), np.cos(th)], axis=1)
        if direction is not None:
            dirs = _rotate_to(np.asarray(direction, float).reshape(-1, 3), dirs)
        out.append(np.column_stack([e, p[:, None] * dirs]))
    return MuonPairs(out[0], out[1], xp)


# ------------------------------------------------------------ rate estimates ----------------
def medium_components(medium):
    """[(Z, A, atoms per cm^3)] of a :class:`~leptoportal.detector.shower.ShowerMedium` (the
    track-length table's medium: one entry per component, n = rho w N_A / A) or of a pure element
    (:class:`~leptoportal.materials.Material`: one entry, its ``atoms_per_cm3``)."""
    if isinstance(medium, Material):
        return [(float(medium.Z), float(medium.A), float(medium.atoms_per_cm3))]
    rho = float(medium.density)
    return [(float(c.Z), float(c.A), rho * float(c.mass_fraction) * AVOGADRO / float(c.A)) for c in medium.components]


def macroscopic_sigma_per_cm(energy, medium):
    """n_atoms sigma(E) summed over the medium's elements [1/cm]."""
    E = np.asarray(energy, float)
    tot = np.zeros(E.shape)
    for Z, A, n in medium_components(medium):
        tot = tot + n * sigma_pb(E, Z, A) * PB_TO_CM2
    return tot


def rossi_photon_track_length(energy, e0, x0_cm):
    """Differential photon track length of an EM shower, Rossi's Approximation A [cm/GeV]:

        dL_gamma/dE = 0.572 X0 E0 / E^2

    (B. Rossi, High-Energy Particles (1952), Sec. 5.8, Table 5.8.1; used here only as an
    independent order-of-magnitude check of the simulated shower; Approximation A neglects
    ionisation loss and Compton scattering, so it overestimates the track length of photons
    near the critical energy, not in the >= 1 GeV region that matters for muon pairs).
    """
    E = np.asarray(energy, float)
    return np.where((E > 0) & (E <= e0), 0.572 * x0_cm * e0 / np.where(E > 0, E, 1.0) ** 2, 0.0)


def dimuon_rate_rossi(e0, medium, x0_cm, n: int = 400) -> float:
    """Pairs per primary from Approximation-A photon track lengths: int dL/dE n sigma(E) dE."""
    lo = 4.0 * M_MU
    if not e0 > lo:
        return 0.0
    nodes, w = panel_nodes(lo, e0, max(n // 8, 1), breaks=[0.5, 1, 2, 5, 10, 30], log=True)
    return float(np.sum(w * rossi_photon_track_length(nodes, e0, x0_cm) * macroscopic_sigma_per_cm(nodes, medium)))


# ------------------------------------------------------- independent form-factor model ------
def log_w_formfactor(energy, x, Z=82, A=207.2, n: int = 64):
    """Screening/nuclear logarithm from a form factor G2(t) instead of W (model cross-check).

    In the Weizsaecker-Williams / Tsai form of the Bethe-Heitler pair cross section the
    logarithm ln W of [BKK02] is replaced by

        L(delta) = 1/(2 Z^2) int_{delta^2}^{inf} dt (t - delta^2)/t^2 G2(t),

    (Tsai, Rev. Mod. Phys. 46 (1974) 815, Sec. III; Bjorken, Essig, Schuster, Toro, PRD 80
    (2009) 075018, Eq. A17 with t_min = delta^2), with G2 = elastic + inelastic atomic+nuclear
    form factor of :func:`leptoportal.xsec.formfactors.g2_atomic_nuclear`.  For a point
    unscreened nucleus and an upper limit m_mu^2 this gives the Bethe-Heitler ln(m/delta) - 1/2.
    """
    from ...xsec.formfactors import g2_atomic_nuclear

    E = np.asarray(energy, float)
    x = np.asarray(x, float)
    E, x = np.broadcast_arrays(E, x)
    delta = M_MU**2 / (2.0 * E * x * (1.0 - x))
    tmin = delta * delta
    tmax = np.full_like(tmin, 50.0)
    t, w = panel_nodes(tmin, tmax, max(n // 8, 2), breaks=[1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.1], log=True)
    f = (t - tmin[..., None]) / (t * t) * g2_atomic_nuclear(t, Z, A)
    return np.sum(f * w, axis=-1) / (2.0 * Z * Z)


def sigma_formfactor_pb(energy, Z=82, A=207.2, n: int = 48):
    """sigma(gamma Z -> mu mu Z) [pb] with :func:`log_w_formfactor` in place of ln W (cross-check).

    Same x integrand (1 - 4/3 x(1-x)) and same x range as :func:`sigma_integrated_pb`.
    """
    Z, A = _check_za(Z, A)

    def integrand(E, x):
        return 4.0 * ALPHA * Z * Z * r_mu_sq_gev2() * (1.0 - 4.0 / 3.0 * x * (1.0 - x)) * log_w_formfactor(E, x, Z, A)

    return _x_half_integral(energy, n, integrand) * GEV2_TO_PB
