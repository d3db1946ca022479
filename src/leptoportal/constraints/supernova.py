r"""SN 1987A: the cooling window of the NA64-mu paper's Sec. 4.2 (Chen, Kozaczuk, Zhong, JHEP 10 (2018) 154,
arXiv:1807.03790; Figs. 5-6), computed from the model where the paper computes it.

The excluded region at each m_S <= 100 MeV (the paper's right edge) is one coupling interval
[g_low, g_high] in g_mu:

**Lower edge (production, sourced inputs; the paper's Sec. 4.2, first paragraph).**

* resonant production through mixing with the longitudinal plasmon for m_S < omega_p ~ 20 MeV:
  g_e < 1e-10 (:data:`G_E_RESONANT`, the paper's ref. [24]: Knapen, Lin, Zurek, "Light Dark Matter:
  Models and Constraints", PRD 96 (2017) 115021, arXiv:1709.07882; omega_p ~ 20 MeV as the paper
  states it for SN 1987A, ref. [42]: Hardy, Lasenby, JHEP 02 (2017) 033).  Needs g_e: lepton-specific
  only, g_mu = g_e m_mu/m_e (Eq. 2.3).
* continuum (Primakoff-like gamma N -> N S) for m_S <~ 100 MeV: g_gammagamma < 6e-9 GeV^-1
  (:data:`G_GAMMAGAMMA_CONTINUUM`, the paper's ref. [49]: Dolan, Ferber, Hearty, Kahlhoefer,
  Schmidt-Hoberg, JHEP 12 (2017) 094, arXiv:1709.00009; a pseudoscalar bound, used for the scalar
  "ignoring the difference in CP quantum numbers" as the paper does).  Translated into g_mu with
  leptoportal's own loop, Eq. (2.4) (:meth:`LeptophilicScalar.g_gammagamma`, p_S^2 = m_S^2, q^2 = 0 as
  the paper's footnote 10 states); g_gammagamma is linear in g_mu, so the edge is closed form.

  The lower edge is the smaller of the two where both apply.

**Upper edge (trapping of the chi from S -> chi chi-bar).**

* lepton-specific: the "pi/2-deflection criterion" of the paper's ref. [54] (Chang, Essig, McDermott,
  JHEP 09 (2018) 051, arXiv:1803.00993) with chi e -> chi e (t-channel S) in place of chi-nucleon
  scattering, Fermi-blocked, from the decoupling radius r_KD out to the gain radius R_gain = 100 km
  (the paper's Sec. 4.2, third paragraph).  **Simplified** (we implement the criterion as the NA64-mu
  paper describes it, not ref. [54]'s Eqs. (2.11)-(2.14), (C1)-(C3) line by line):

    - r_KD is the radius whose chi blackbody luminosity (chi and chi-bar, 4 states, Fermi-Dirac with
      mass m_chi at the local T) equals the energy-loss bound :data:`L_BOUND_ERG_S`
      (:func:`decoupling_radius_km`): chi trapped out to r_KD carry less than the bound;
    - the chi leave r_KD radially with one energy, the mean thermal energy at T(r_KD)
      (:func:`chi_mean_energy`), kept along the path;
    - the accumulated deflection is the expected sum of the lab deflection angles,
      Delta theta = int_{r_KD}^{R_gain} dr <d theta/dl>, with <d theta/dl> from
      :func:`electron_deflection_rate` (exact two-body kinematics, relativistic Fermi-Dirac electrons
      with the Pauli-blocking factor 1 - f(E_e') of the final electron);
    - the chi are trapped (the region is allowed) where Delta theta >= pi/2.  Delta theta is
      proportional to g_e^2 g_chi^2, so g_e* = sqrt((pi/2) / (g_chi^2 A)) with A the deflection at unit
      couplings (:func:`deflection_integral`), and g_mu* = g_e* m_mu/m_e.  The collisions are large-angle
      (1.3-1.6 rad on average), so summing mean squared angles instead moves g_mu* by <= 8 %.

* muon-specific: the paper's mean-free-path estimate (Sec. 4.2, fourth paragraph): chi gamma -> chi gamma
  through S exchange and the S gamma gamma coupling of Eq. (2.4), "neglecting plasma effects", trapped
  where (n_gamma sigma)^-1 <~ r_core ~ 1 km.  Here the rate is the thermal average over a black-body
  photon gas at the core temperature T_c for a chi of the mean thermal energy (:func:`photon_mean_free_path_km`);
  the mean free path is proportional to g_mu^-2, so the edge is closed form.

**Supernova profile (assumed).**  The analytic power-law profile of Dent, Ferrer, Krauss, "Constraints on
light hidden sector gauge bosons from supernova cooling", arXiv:1201.2683 (as quoted by Mahoney,
Leibovich, Zentner, arXiv:1706.08871, and used as the "analytic profile" of Chang, Essig, McDermott,
JHEP 01 (2017) 107, arXiv:1611.03864): rho = rho_c (R_c/r)^n, T = T_c (rho/rho_c)^(1/3) for r > R_c,
constant inside, with rho_c = 3e14 g/cm^3, T_c = 30 MeV, R_c = 10 km, n = 5.  The electron fraction
Y_e = 0.3 is **assumed** (the profile does not give one).  :class:`SNProfile` holds it.

The upper edges fall below the paper's quoted ~1e-4 (lepton-specific) and O(1e-3) (muon-specific) for
m_S <~ 30 MeV (factors up to 10 and 4 at 1 MeV; within 3 at 100 MeV): docs/validation.md, "SN 1987A".

Units: GeV inside; radii in km at this module's boundary; luminosities in erg/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from ..errors import InputError
from ..models.leptophilic import LeptophilicScalar, dm_mass
from ..particles import M_E, M_MU
from ..units import AVOGADRO, HBARC_GEV_CM

__all__ = [
    "DEFAULT_PROFILE",
    "DEFLECTION_TRAPPED",
    "G_E_RESONANT",
    "G_GAMMAGAMMA_CONTINUUM",
    "L_BOUND_ERG_S",
    "M_S_MAX_GEV",
    "OMEGA_P_GEV",
    "PRESETS",
    "R_CORE_KM",
    "R_GAIN_KM",
    "SOURCES",
    "SNProfile",
    "chi_luminosity_erg_s",
    "chi_mean_energy",
    "chi_photon_cross_section",
    "decoupling_radius_km",
    "deflection_integral",
    "electron_chemical_potential",
    "electron_deflection_rate",
    "electron_number_density",
    "photon_mean_free_path_km",
    "production_lower_edge",
    "sn1987a_intervals",
    "sn1987a_window",
    "trapping_upper_edge",
]

# ----------------------------------------------------------------------------- sourced inputs
#: resonant-production bound on g_e for m_S < omega_p: the NA64-mu paper's "g_e ~ 1e-10" (Sec. 4.2),
#: from its ref. [24], Knapen, Lin, Zurek, PRD 96 (2017) 115021, arXiv:1709.07882
G_E_RESONANT = 1.0e-10
#: plasma frequency of SN 1987A below which S is produced resonantly: "omega_p ~ 20 MeV" (NA64-mu paper
#: Sec. 4.2, after its ref. [42], Hardy, Lasenby, JHEP 02 (2017) 033, arXiv:1611.05852)
OMEGA_P_GEV = 0.020
#: continuum (Primakoff-like) bound on the photon coupling, "g_gammagamma ~ 6e-9 GeV^-1 for m_S <~ 100 MeV":
#: the NA64-mu paper's ref. [49], Dolan et al., JHEP 12 (2017) 094, arXiv:1709.00009 (pseudoscalar bound)
G_GAMMAGAMMA_CONTINUUM = 6.0e-9
#: the paper's right edge of the excluded region ("we cut the right edge off at 100 MeV")
M_S_MAX_GEV = 0.100
#: neutrino-gain radius, the end of the chi path in the pi/2-deflection criterion (NA64-mu paper Sec. 4.2,
#: "~100 km", after its ref. [54], Chang, Essig, McDermott, arXiv:1803.00993)
R_GAIN_KM = 100.0
#: the paper's mean-free-path scale for the muon-specific model: "r_core ~ 1 km"
R_CORE_KM = 1.0
#: energy-loss bound on the chi luminosity, **assumed**: the SN 1987A neutrino luminosity ~1 s after bounce,
#: L_nu ~ 3e52 erg/s, the value used with Raffelt's criterion (Raffelt, "Stars as laboratories for
#: fundamental physics", 1996; Chang, Essig, McDermott, arXiv:1611.03864); only fixes r_KD (r_KD ~ L^-3/14)
L_BOUND_ERG_S = 3.0e52
#: the pi/2 of the deflection criterion (NA64-mu paper Sec. 4.2, after arXiv:1803.00993)
DEFLECTION_TRAPPED = math.pi / 2.0
#: the presets this constraint applies to (NA64-mu paper Eq. 2.3)
PRESETS = ("muon-specific", "lepton-specific")

SOURCES = {
    "resonant": "g_e < 1e-10 for m_S < omega_p = 20 MeV: Knapen, Lin, Zurek, PRD 96 (2017) 115021 "
                "(arXiv:1709.07882), ref. [24] of arXiv:1807.03790",
    "continuum": "g_gammagamma < 6e-9 GeV^-1 for m_S < 100 MeV: Dolan et al., JHEP 12 (2017) 094 "
                 "(arXiv:1709.00009), ref. [49] of arXiv:1807.03790; translated through Eq. (2.4)",
    "trapping-lepton": "pi/2-deflection criterion of Chang, Essig, McDermott, JHEP 09 (2018) 051 (arXiv:1803.00993) "
                       "with chi e -> chi e, Fermi-blocked, r_KD -> R_gain = 100 km (simplified)",
    "trapping-muon": "mean free path of chi gamma -> chi gamma < r_core = 1 km, NA64-mu paper Sec. 4.2 (simplified)",
    "profile": "analytic profile of Dent, Ferrer, Krauss (arXiv:1201.2683): rho_c = 3e14 g/cm^3, T_c = 30 MeV, "
               "R_c = 10 km, n = 5; Y_e = 0.3 assumed",
}

#: 1 GeV in erg (e = 1.602176634e-19 C exactly, SI 2019)
_GEV_ERG = 1.602176634e-3
#: hbar in GeV s (PDG 2024 "Physical constants", exact in SI 2019)
_HBAR_GEV_S = 6.582119569e-25
#: 1 km in GeV^-1
_KM_GEV = 1.0e5 / HBARC_GEV_CM
#: 1 g/cm^3 of nucleons as a baryon number density in GeV^3: N_A/cm^3 with 1 cm = 1/HBARC_GEV_CM GeV^-1
_NB_PER_G_CM3 = AVOGADRO * HBARC_GEV_CM ** 3


# ----------------------------------------------------------------------------- the profile
@dataclass(frozen=True)
class SNProfile:
    """A proto-neutron-star profile: rho = rho_c (R_c/r)^n and T = T_c (rho/rho_c)^(1/3) outside R_c,
    constant inside (Dent, Ferrer, Krauss, arXiv:1201.2683; the defaults are theirs); electron fraction
    ``y_e`` (**assumed** 0.3 by default: the analytic profile has none)."""

    rho_c_g_cm3: float = 3.0e14
    t_c_gev: float = 0.030
    r_c_km: float = 10.0
    n: float = 5.0
    y_e: float = 0.3
    label: str = "analytic (Dent, Ferrer, Krauss arXiv:1201.2683; Y_e = 0.3 assumed)"

    def __post_init__(self):
        for k in ("rho_c_g_cm3", "t_c_gev", "r_c_km", "n"):
            v = getattr(self, k)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(k, f"must be a finite number > 0; got {v!r}")
        if not (isinstance(self.y_e, (int, float)) and 0.0 < self.y_e <= 1.0):
            raise InputError("y_e", f"must be in (0, 1]; got {self.y_e!r}")

    def density_g_cm3(self, r_km):
        r = np.asarray(r_km, float)
        return self.rho_c_g_cm3 * np.minimum(1.0, (self.r_c_km / r) ** self.n)

    def temperature(self, r_km):
        """T [GeV]."""
        return self.t_c_gev * (self.density_g_cm3(r_km) / self.rho_c_g_cm3) ** (1.0 / 3.0)

    def electron_density(self, r_km):
        """Net electron number density n_e = Y_e rho / m_u [GeV^3]."""
        return self.y_e * self.density_g_cm3(r_km) * _NB_PER_G_CM3


DEFAULT_PROFILE = SNProfile()


@lru_cache(maxsize=64)
def _gl(n: int):
    """Gauss-Legendre nodes and weights on [-1, 1] (numpy.polynomial.legendre.leggauss)."""
    return np.polynomial.legendre.leggauss(int(n))


def _positive(name, value):
    try:
        arr = np.asarray(value, float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a number; got {value!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(name, f"must be finite and > 0; got {value!r}")
    return arr


def _fermi(x):
    """1/(e^x + 1), accurate in both tails (scipy.special.expit(-x))."""
    return expit(-np.asarray(x, float))


# ----------------------------------------------------------------------------- electrons
def _momentum_panels(mu: float, t: float, n_per_panel: int = 16):
    """Gauss-Legendre nodes and weights in the electron momentum |p| on panels whose edges sit at the energies
    mu - 30T, -12T, -6T, -2T, mu, +2T, +6T, +12T (the Fermi surface, width ~T, and its exponential tails) and end
    40 T above max(mu, m_e)."""
    e_edges = [M_E, 0.5 * (M_E + max(mu, M_E)), mu - 30 * t, mu - 12 * t, mu - 6 * t, mu - 2 * t, mu, mu + 2 * t,
               mu + 6 * t, mu + 12 * t, max(mu, M_E) + 40 * t]
    top = e_edges[-1]
    p_edges = sorted({math.sqrt(max(e * e - M_E * M_E, 0.0)) for e in e_edges if M_E <= e <= top})
    x, w = _gl(n_per_panel)
    ps, ws = [], []
    for a, b in pairwise(p_edges):
        ps.append(0.5 * (b - a) * x + 0.5 * (b + a))
        ws.append(0.5 * (b - a) * w)
    return np.concatenate(ps), np.concatenate(ws)


def electron_number_density(mu, t):
    """Net electron density n_{e-} - n_{e+} = (1/pi^2) int p^2 [f(E - mu) - f(E + mu)] dp [GeV^3] of an ideal
    relativistic Fermi gas (2 spin states; E = sqrt(p^2 + m_e^2), mu includes the rest mass)."""
    mu = float(mu)
    t = float(_positive("T", t))
    p, w = _momentum_panels(mu, t, 24)
    e = np.sqrt(p * p + M_E * M_E)
    return float(np.sum(w * p * p * (_fermi((e - mu) / t) - _fermi((e + mu) / t))) / math.pi ** 2)


def electron_chemical_potential(n_e, t):
    """Electron chemical potential mu [GeV] (rest mass included) giving the net density ``n_e`` [GeV^3] at
    temperature ``t`` [GeV] (:func:`electron_number_density` solved with brentq).  Arrays of the same shape."""
    n_e = np.atleast_1d(_positive("n_e", n_e))
    t = np.broadcast_to(np.atleast_1d(_positive("T", t)), n_e.shape)
    out = np.empty(n_e.shape)
    for i, (n, tt) in enumerate(zip(n_e.ravel(), t.ravel())):
        p_f = (3.0 * math.pi ** 2 * n) ** (1.0 / 3.0)
        hi = math.sqrt(p_f * p_f + M_E * M_E) + 50.0 * tt
        # n(mu) increases monotonically from n(0) = 0
        out.flat[i] = brentq(lambda m, tt=tt, n=n: electron_number_density(m, tt) - n, 0.0, hi, xtol=1e-16, rtol=1e-13)
    return out


# ----------------------------------------------------------------------------- chi emission
def _chi_moments(m_chi: float, t: float):
    """(int p^2 f dp, int E p^2 f dp, int p^3 f dp) for a Fermi-Dirac gas of mass m_chi at temperature t, zero
    chemical potential [GeV^3, GeV^4, GeV^4]: 48-point Gauss-Legendre in the kinetic energy K on [0, 60 T]
    (e^-60 truncation) with K = 60 T y^2 (dp = E/p dE; the y^2 stretch makes the p ~ sqrt(K) end smooth)."""
    x, w = _gl(48)
    y = 0.5 * (x + 1.0)
    k_kin = 60.0 * t * y ** 2
    dk = 60.0 * t * 2.0 * y * 0.5 * w
    e = k_kin + m_chi
    p = np.sqrt(k_kin * (k_kin + 2.0 * m_chi))
    f = _fermi(e / t)
    jac = e / np.where(p > 0, p, 1.0)  # dp = E/p dE
    n2 = np.sum(dk * jac * p ** 2 * f)
    e2 = np.sum(dk * jac * e * p ** 2 * f)
    p3 = np.sum(dk * jac * p ** 3 * f)
    return n2, e2, p3


def chi_luminosity_erg_s(r_km, m_chi, profile: SNProfile = DEFAULT_PROFILE, g_dof: int = 4):
    """Blackbody luminosity of chi + chi-bar (``g_dof`` = 4 states) from the sphere of radius r:
    L = 4 pi r^2 g (1/(8 pi^2)) int p^3 f(E) dp (outward energy flux of a Fermi-Dirac gas, zero chemical
    potential, E = sqrt(p^2 + m_chi^2); massless: g (7/8)(pi^2/120) T^4 per unit area).  [erg/s]"""
    r = np.atleast_1d(_positive("r_km", r_km))
    m_chi = float(_positive("m_chi", m_chi))
    if isinstance(g_dof, bool) or not isinstance(g_dof, int) or g_dof < 1:
        raise InputError("g_dof", f"must be an integer >= 1; got {g_dof!r}")
    t = profile.temperature(r)
    p3 = np.array([_chi_moments(m_chi, tt)[2] for tt in t])
    lum = 4.0 * math.pi * (r * _KM_GEV) ** 2 * g_dof * p3 / (8.0 * math.pi ** 2)  # GeV^2 = GeV per GeV^-1 of time
    return lum * _GEV_ERG / _HBAR_GEV_S


def decoupling_radius_km(m_chi, profile: SNProfile = DEFAULT_PROFILE, l_bound_erg_s: float = L_BOUND_ERG_S):
    """r_KD [km]: outside the core, the radius whose chi blackbody luminosity equals ``l_bound_erg_s``
    (:func:`chi_luminosity_erg_s` falls as r^(2 - 4n/3) there).  R_c if even the core surface radiates less;
    R_gain if the chi sphere would lie beyond the gain radius (then trapping cannot close the window)."""
    m_chi = float(_positive("m_chi", m_chi))

    def g(lnr):
        return math.log(chi_luminosity_erg_s(math.exp(lnr), m_chi, profile)[0] / l_bound_erg_s)

    a, b = math.log(profile.r_c_km), math.log(R_GAIN_KM)
    if g(a) <= 0:
        return profile.r_c_km
    if g(b) >= 0:
        return R_GAIN_KM
    return math.exp(brentq(g, a, b, xtol=1e-10))


def chi_mean_energy(m_chi, t):
    """Mean energy <E> = int E p^2 f dp / int p^2 f dp of a Fermi-Dirac gas of mass m_chi at temperature t
    (zero chemical potential) [GeV]; 3.1514 T for m_chi = 0 (7 pi^4/(180 zeta(3)))."""
    n2, e2, _ = _chi_moments(float(_positive("m_chi", m_chi)), float(_positive("T", t)))
    return float(e2 / n2)


# ----------------------------------------------------------------------------- chi e -> chi e
def _boost(e, px, py, pz, bx, by, bz):
    """Boost (e, p) by velocity b (arrays broadcast)."""
    b2 = bx * bx + by * by + bz * bz
    gam = 1.0 / np.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    coef = np.where(b2 > 0, (gam - 1.0) * bp / np.where(b2 > 0, b2, 1.0), 0.0) + gam * e
    return gam * (e + bp), px + coef * bx, py + coef * by, pz + coef * bz


def electron_deflection_rate(e_chi, m_chi, m_s, t, mu_e, *, g_e=1.0, g_chi=1.0, blocking=True, order=1, moment=1):
    r"""Expected deflection angle per unit time, <d theta/dt> = sum over collisions of the lab-frame angle
    between the chi momentum before and after, for a chi of energy ``e_chi`` moving through relativistic
    electrons (Fermi-Dirac at ``t``, chemical potential ``mu_e`` incl. rest mass) [GeV = rad per GeV^-1].

    chi(p) e(k) -> chi(p') e(k') through t-channel S of the Lagrangian Eq. (2.1) of the NA64-mu paper:

        (1/2) sum_spins |M|^2 = 2 g_e^2 g_chi^2 (4 m_chi^2 - t)(4 m_e^2 - t) / (t - m_S^2)^2

    (traces Tr[(p'+m)(p+m)] = 2(4 m^2 - t) per line; chi spin averaged, electron spins summed), and

        <d theta/dt> = 1/(2E) int d^3k/((2 pi)^3 2E_k) f(E_k) int dPhi_2 (1 - f(E_k')) (1/2) sum|M|^2 theta_lab,

    dPhi_2 = |p*| dOmega*/(16 pi^2 sqrt(s)).  Integrated over the electron momentum (Gauss-Legendre panels
    around the Fermi surface), its angle to the chi, and the CM scattering angles (the polar one in
    z = ln(m_S^2 - t), which resolves both the forward peak |t| <~ m_S^2 and the flat |M|^2 at |t| >> m_S^2,
    with a square-root stretch at t = 0); final states by
    exact boosts.  ``blocking=False`` drops 1 - f (for checks).  ``order`` multiplies the node counts.
    Positrons are neglected (mu_e >> T in the profile).  ``moment`` = k weights each collision with theta^k:
    0 gives the collision rate, 1 the deflection rate, 2 the rate of growth of the mean squared angle.
    """
    e_chi, m_chi, m_s, t = (float(_positive(k, v)) for k, v in
                            (("e_chi", e_chi), ("m_chi", m_chi), ("m_S", m_s), ("T", t)))
    mu_e = float(mu_e)
    if not math.isfinite(mu_e):
        raise InputError("mu_e", f"must be finite; got {mu_e!r}")
    if e_chi <= m_chi:
        raise InputError("e_chi", f"must exceed m_chi = {m_chi:g} GeV; got {e_chi:g}")
    order = int(order)
    if moment not in (0, 1, 2):
        raise InputError("moment", f"must be 0, 1 or 2; got {moment!r}")
    p_chi = math.sqrt(e_chi * e_chi - m_chi * m_chi)
    # electron momentum: panels around the Fermi surface
    k_nodes, k_w = _momentum_panels(mu_e, t, 8 * order)
    xa, wa = _gl(12 * order)           # cos(alpha) of the electron to the chi direction
    xy, wy = _gl(16 * order)           # y in z = ln(m_S^2 - t) = z0 + (z1 - z0) y^2
    nphi = 10 * order                             # azimuth in the CM: periodic, trapezoid
    phi = 2.0 * math.pi * (np.arange(nphi) + 0.5) / nphi

    k = k_nodes[:, None, None, None]
    ca = xa[None, :, None, None]
    sa = np.sqrt(1.0 - ca * ca)
    ek = np.sqrt(k * k + M_E * M_E)
    # lab: chi along z, electron in the x-z plane
    etot = e_chi + ek
    px, pz = k * sa, p_chi + k * ca
    s = etot * etot - px * px - pz * pz
    rs = np.sqrt(s)
    pstar = np.sqrt(np.maximum((s - (m_chi + M_E) ** 2) * (s - (m_chi - M_E) ** 2), 0.0)) / (2.0 * rs)
    bx, bz = px / etot, pz / etot
    # initial chi direction in the CM (boost by -b)
    _, cx, cy, cz = _boost(e_chi, 0.0 * k, 0.0 * k, p_chi + 0.0 * k, -bx, 0.0 * bx, -bz)
    cn = np.sqrt(cx * cx + cy * cy + cz * cz)
    e1 = (cx / cn, cy / cn, cz / cn)
    # e2: perpendicular to e1 in the x-z plane; e3 = e1 x e2 = y
    e2 = (e1[2], 0.0 * cx, -e1[0])
    e3 = (0.0 * cx, 1.0 + 0.0 * cx, 0.0 * cx)
    # polar CM angle through z = ln(m_S^2 - t), t = -2 p*^2 (1 - cos theta*), with z = z0 + (z1 - z0) y^2
    # (the deflection grows like sqrt(-t) at t = 0); dcos theta* = (m_S^2 - t) dz / (2 p*^2)
    z0 = 2.0 * math.log(m_s)
    z1 = np.log(m_s ** 2 + 4.0 * pstar ** 2)
    y = 0.5 * (xy + 1.0)
    y = y[None, None, :, None]
    zv = z0 + (z1 - z0) * y * y
    dz = (z1 - z0) * 2.0 * y * 0.5 * wy[None, None, :, None]
    tt = m_s ** 2 - np.exp(zv)
    cth = np.clip(1.0 + tt / (2.0 * np.where(pstar > 0, pstar, 1.0) ** 2), -1.0, 1.0)
    sth = np.sqrt(1.0 - cth * cth)
    cph, sph = np.cos(phi)[None, None, None, :], np.sin(phi)[None, None, None, :]
    ux = cth * e1[0] + sth * (cph * e2[0] + sph * e3[0])
    uy = cth * e1[1] + sth * (cph * e2[1] + sph * e3[1])
    uz = cth * e1[2] + sth * (cph * e2[2] + sph * e3[2])
    estar = (s + m_chi ** 2 - M_E ** 2) / (2.0 * rs)
    ef, fx, fy, fz = _boost(estar, pstar * ux, pstar * uy, pstar * uz, bx, 0.0 * bx, bz)
    theta = np.arccos(np.clip(fz / np.sqrt(fx * fx + fy * fy + fz * fz), -1.0, 1.0))
    ek_final = etot - ef
    occupied = _fermi((ek - mu_e) / t)
    pauli = 1.0 - _fermi((ek_final - mu_e) / t) if blocking else 1.0
    amp = g_e ** 2 * g_chi ** 2 * (4.0 * m_chi ** 2 - tt) * (4.0 * M_E ** 2 - tt)
    # 2pi (electron azimuth) k^2 dk dcos / ((2 pi)^3 2 E_k) / (2E) * dOmega* p*/(16 pi^2 sqrt s)
    #   * [(m^2 - t) / (2 p*^2)] dz (dcos theta* -> dz) * 2 amp / (m^2 - t)^2
    pref = (k * k * occupied / (16.0 * math.pi ** 2 * ek * e_chi)) / (16.0 * math.pi ** 2 * rs * np.where(pstar > 0, pstar, 1.0))
    integrand = pref * amp / (m_s ** 2 - tt) * pauli * theta ** moment * dz
    total = np.sum(integrand.sum(axis=3) * (2.0 * math.pi / nphi) * k_w[:, None, None] * wa[None, :, None])
    return float(total)


def deflection_integral(m_s, m_chi, profile: SNProfile = DEFAULT_PROFILE, *, blocking=True, order=1,
                        n_radii: int = 12):
    r"""A = int_{r_KD}^{R_gain} dl <d theta/dl> at unit couplings (g_e = g_chi = 1) for the chi leaving r_KD with
    the mean thermal energy at T(r_KD); <d theta/dl> = <d theta/dt>/v_chi.  Returns (A, r_KD [km], E_chi [GeV]).
    Radii: Gauss-Legendre in ln r (``n_radii`` nodes); the electron chemical potential from the profile's n_e, T."""
    m_s, m_chi = float(_positive("m_S", m_s)), float(_positive("m_chi", m_chi))
    return _deflection_integral(m_s, m_chi, profile, bool(blocking), int(order), int(n_radii))


@lru_cache(maxsize=512)
def _deflection_integral(m_s, m_chi, profile, blocking, order, n_radii):
    r_kd = decoupling_radius_km(m_chi, profile)
    e_chi = chi_mean_energy(m_chi, float(profile.temperature(r_kd)))
    v = math.sqrt(1.0 - (m_chi / e_chi) ** 2)
    x, w = _gl(n_radii)
    a, b = math.log(r_kd), math.log(R_GAIN_KM)
    lnr = 0.5 * (b - a) * x + 0.5 * (b + a)
    r = np.exp(lnr)
    t = profile.temperature(r)
    mu = electron_chemical_potential(profile.electron_density(r), t)
    rate = np.array([electron_deflection_rate(e_chi, m_chi, m_s, ti, mi, blocking=blocking, order=order)
                     for ti, mi in zip(t, mu)])
    total = np.sum(0.5 * (b - a) * w * r * _KM_GEV * rate / v)
    return float(total), r_kd, e_chi


# ----------------------------------------------------------------------------- chi gamma -> chi gamma
def chi_photon_cross_section(s, m_chi, m_s, g_gg, g_chi=1.0):
    r"""sigma(chi gamma -> chi gamma) [GeV^-2] through t-channel S with L > -g_chi S chi-bar chi - (1/4) g_gg S F F
    (NA64-mu paper Eqs. 2.1, 2.4).  Photon tensor T^{mu nu} = k.k' g^{mu nu} - k'^mu k^nu (gauge invariant,
    sum_pol |eps eps'* T|^2 = T^{mu nu} T_{mu nu} = 2 (k.k')^2 = t^2/2), chi line 2 (4 m_chi^2 - t):

        (1/4) sum|M|^2 = g_chi^2 g_gg^2 (4 m_chi^2 - t) t^2 / (4 (t - m_S^2)^2),
        sigma = int_{-(s - m^2)^2/s}^0 dt (1/4) sum|M|^2 / (16 pi (s - m_chi^2)^2)

    (Gauss-Legendre in u = -t, 32 nodes: the integrand is a smooth rational function).  ``s`` broadcasts."""
    s = np.asarray(s, float)
    m_chi, m_s = float(m_chi), float(m_s)
    if np.any(s <= m_chi ** 2):
        raise InputError("s", f"must exceed m_chi^2 = {m_chi ** 2:g} GeV^2")
    x, w = _gl(32)
    umax = (s - m_chi ** 2) ** 2 / s
    u = 0.5 * umax[..., None] * (x + 1.0)
    f = (4.0 * m_chi ** 2 + u) * u * u / (4.0 * (u + m_s ** 2) ** 2)
    integral = 0.5 * umax * np.sum(w * f, axis=-1)
    return np.asarray(g_chi, float) ** 2 * np.asarray(g_gg, float) ** 2 * integral / (16.0 * math.pi * (s - m_chi ** 2) ** 2)


def photon_mean_free_path_km(e_chi, m_chi, m_s, g_gg, t, g_chi=1.0):
    r"""Mean free path [km] of a chi of energy ``e_chi`` in a black-body photon gas at temperature ``t``
    ("neglecting plasma effects", NA64-mu paper Sec. 4.2): lambda = v_chi / Gamma,

        Gamma = int d^3k/(2 pi)^3 2 f_BE(omega) sigma(s) (1 - v_chi cos theta),   s = m^2 + 2 omega (E - |p| cos theta)

    (the flux factor p.k/(E omega)); for sigma const and v -> 0 it is n_gamma sigma with n_gamma = 2 zeta(3) T^3/pi^2."""
    e_chi, m_chi, m_s, t = (float(_positive(k, v)) for k, v in (("e_chi", e_chi), ("m_chi", m_chi), ("m_S", m_s), ("T", t)))
    if e_chi <= m_chi:
        raise InputError("e_chi", f"must exceed m_chi = {m_chi:g} GeV; got {e_chi:g}")
    p = math.sqrt(e_chi ** 2 - m_chi ** 2)
    v = p / e_chi
    xo, wo = _gl(48)
    yo = 0.5 * (xo + 1.0)
    omega = 40.0 * t * yo ** 2                   # quadratic stretch near omega = 0
    domega = 40.0 * t * 2.0 * yo * 0.5 * wo
    xc, wc = _gl(24)
    om, c = omega[:, None], xc[None, :]
    s = m_chi ** 2 + 2.0 * om * (e_chi - p * c)
    sig = chi_photon_cross_section(s, m_chi, m_s, g_gg, g_chi)
    bose = 1.0 / np.expm1(om / t)
    gamma = np.sum(domega[:, None] * wc[None, :] * om ** 2 * bose * sig * (1.0 - v * c)) * 2.0 / (4.0 * math.pi ** 2)
    return float(v / gamma / _KM_GEV)


# ----------------------------------------------------------------------------- the window in g_mu
def _check_preset(preset):
    if preset not in PRESETS:
        raise InputError("model", f"SN 1987A applies to {', '.join(PRESETS)}; got {preset!r}")


def _masses(m_s):
    m = np.atleast_1d(_positive("m_S", m_s)).astype(float)
    return m


def production_lower_edge(preset, m_s):
    """Lower edge of the excluded region in g_mu [array over m_S]: the smaller of the resonant bound
    (lepton-specific, m_S < omega_p: g_mu = 1e-10 m_mu/m_e) and the continuum bound g_gammagamma(g_mu) =
    6e-9 GeV^-1 through Eq. (2.4) (leptoportal's loop at p_S^2 = m_S^2, q^2 = 0; g_gammagamma is linear in g_mu).
    inf above :data:`M_S_MAX_GEV`."""
    _check_preset(preset)
    m = _masses(m_s)
    unit = LeptophilicScalar.from_preset(preset, m, 1.0, g_chi=1.0, mchi_ratio=3.0)
    g_cont = G_GAMMAGAMMA_CONTINUUM / np.asarray(unit.g_gammagamma(), float)
    low = g_cont.copy()
    if preset == "lepton-specific":
        res = G_E_RESONANT * M_MU / M_E
        low = np.where(m < OMEGA_P_GEV, np.minimum(low, res), low)
    return np.where(m <= M_S_MAX_GEV, low, np.inf)


def trapping_upper_edge(preset, m_s, *, g_chi=1.0, mchi_ratio=3.0, eps_R=None, profile: SNProfile = DEFAULT_PROFILE,
                        order=1):
    """Upper edge of the excluded region in g_mu [array over m_S] (module docstring): lepton-specific from the
    pi/2-deflection criterion with electrons, muon-specific from lambda(chi gamma -> chi gamma) = r_core.
    m_chi from the DM mass relation (NA64-mu paper Eqs. 2.8-2.9).  nan above :data:`M_S_MAX_GEV`; inf where
    no coupling traps the chi (a user's profile whose chi sphere lies beyond R_gain)."""
    _check_preset(preset)
    m = _masses(m_s)
    g_chi = float(_positive("g_chi", g_chi))
    m_chi = np.atleast_1d(np.asarray(dm_mass(m, mchi_ratio=mchi_ratio, eps_R=eps_R), float))
    out = np.full(m.shape, np.nan)
    for i, (ms, mc) in enumerate(zip(m, m_chi)):
        if ms > M_S_MAX_GEV:
            continue
        if preset == "lepton-specific":
            a, _, _ = deflection_integral(ms, mc, profile, order=order)
            # a = 0: the chi sphere lies at or beyond R_gain, no coupling traps the chi before it
            out[i] = math.sqrt(DEFLECTION_TRAPPED / (g_chi ** 2 * a)) * M_MU / M_E if a > 0 else math.inf
        else:
            t_c = profile.t_c_gev
            g_gg1 = float(LeptophilicScalar.muon_specific(ms, 1.0, g_chi=g_chi, m_chi=mc).g_gammagamma())
            lam1 = photon_mean_free_path_km(chi_mean_energy(mc, t_c), mc, ms, g_gg1, t_c, g_chi)
            out[i] = math.sqrt(lam1 / R_CORE_KM)
    return out


def sn1987a_window(preset, m_s, **kw):
    """(lower, upper) edges in g_mu over m_S (:func:`production_lower_edge`, :func:`trapping_upper_edge`)."""
    return production_lower_edge(preset, m_s), trapping_upper_edge(preset, m_s, **kw)


def sn1987a_intervals(preset, m_s, **kw):
    """Per mass the excluded g_mu intervals: [[lower, upper]] where lower < upper and m_S <= 100 MeV, else []
    (upper = inf: no trapping edge; the registry clips it to the coupling domain)."""
    low, high = sn1987a_window(preset, m_s, **kw)
    return [[[float(a), float(b)]] if (math.isfinite(a) and not math.isnan(b) and a < b) else []
            for a, b in zip(low, high)]
