"""EM cascade Monte Carlo in the ECAL (active target): differential track lengths of e-, e+, gamma.

Purpose
-------
The signal yield of the e->mu paper, Eq. (29), is ``N = N_EOT (rho N_A / A) sum_k sigma(E_k) dL_k``:
the production cross section summed over every step of every shower particle that can
radiate the scalar.  This module produces the step sum in binned form, the
*differential track length* ``L_s(E, z)`` (cm per primary, per energy x depth bin) of
species s in {e-, e+, gamma}, from a one-dimensional cascade Monte Carlo, caches it on
disk, and samples production vertices (E, z) from ``L_s(E, z) x w(E)``.

Physics (all in units of the radiation length X0 of the medium; t = depth / X0)
------------------------------------------------------------------------------
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
  tabulated per medium and cut (:class:`_Rates`); emissions are sampled by rejection.
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
  of each host material (Pb, polystyrene; :func:`collision_dedx_gev_cm2_g`).  It reproduces the
  PDG Rossi critical energies (loss per X0 at E_c = E_c) to < 1 %.  No explicit delta rays
  (Moller/Bhabha): all collision loss is continuous.  ``ecrit_override`` gives a constant loss
  per X0 (Rossi's approximation B).
* Cut-offs: e+- below ``e_cut`` and photons below ``k_cut`` deposit their energy on the
  spot (total energy; positron annihilation photons are not followed).  Positron
  annihilation in flight is neglected (its cross section falls as ln(2 gamma)/gamma).
* Geometry: one dimension.  Every particle moves along +z, so track length equals depth
  advance.  This is adequate for track lengths of particles above ~0.1 GeV in Pb, where
  multiple-scattering angles are small (theta_0 ~ 21 MeV / E sqrt(t)); it overestimates
  the depth reached by the softest particles.  The medium is the homogeneous mixture of
  the sampling calorimeter (layer thickness 0.27 X0 << shower scales).

Random numbers come from a seeded ``numpy.random.Generator``; whole generations of
particles are processed as NumPy arrays.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .. import cache as _cache
from ..errors import InputError
from ..materials import BUILTIN
from ..particles import lepton_mass
from ..units import ALPHA, AVOGADRO, HBARC_GEV_CM

SPECIES = ("e-", "e+", "gamma")
_SP = {s: i for i, s in enumerate(SPECIES)}
#: schema of cached shower tables; bump when the meaning of the numbers changes
SCHEMA = 2
#: electron mass [GeV]
_M_E = lepton_mass("e")

# ----------------------------------------------------------------------------- media


def _rad_logs(Z: float):
    """(L_rad, L'_rad, f(Z)) of Tsai, PDG RPP 2022 Table 34.2 (Z <= 4) and Eq. 34.26 otherwise."""
    az2 = (Z * ALPHA) ** 2
    f = az2 * (1.0 / (1.0 + az2) + 0.20206 - 0.0369 * az2 + 0.0083 * az2 * az2 - 0.002 * az2 ** 3)
    table = {1: (5.31, 6.144), 2: (4.79, 5.621), 3: (4.74, 5.805), 4: (4.71, 5.924)}
    zi = int(round(Z))
    if zi in table and abs(Z - zi) < 1e-9:
        lrad, lprad = table[zi]
    else:
        lrad, lprad = math.log(184.15 * Z ** (-1.0 / 3.0)), math.log(1194.0 * Z ** (-2.0 / 3.0))
    return lrad, lprad, f


@dataclass(frozen=True)
class Component:
    """One element of a (mixed) medium: Z, A [g/mol], mass fraction, Rossi E_c [GeV] of its host material."""

    name: str
    Z: float
    A: float
    mass_fraction: float
    ecrit_gev: float  #: critical energy (Rossi) of the pure host material [GeV]
    x0_gcm2: float  #: radiation length of the host material [g/cm^2]
    #: Sternheimer density-effect parameters of the host material (I [eV], Cbar, x0, x1, a, k, delta0),
    #: None: I = 16 Z^0.9 eV, no density effect, normalised to the Rossi E_c (see collision_dedx)
    stopping: tuple | None = None


@dataclass(frozen=True)
class ShowerMedium:
    """What the cascade needs of a medium: X0, density, composition, ionisation loss.

    ``components`` are elements with mass fractions; ``nuclei()`` gives the atoms per
    cm^3 of each (for production rates).  ``X0_cm`` is computed from the composition
    with Tsai's formula (PDG Eq. 34.26 and the mixture rule 1/X0 = sum w_j/X0_j).
    """

    name: str
    density: float  #: g/cm^3 (average over the sampling structure)
    components: tuple
    length_cm: float  #: thickness of the medium along the beam [cm]
    source: str = ""

    @property
    def x0_gcm2(self) -> float:
        inv = 0.0
        for c in self.components:
            lrad, lprad, f = _rad_logs(c.Z)
            inv += c.mass_fraction * (c.Z * c.Z * (lrad - f) + c.Z * lprad) / (716.408 * c.A)
        return 1.0 / inv

    @property
    def X0_cm(self) -> float:
        return self.x0_gcm2 / self.density

    @property
    def xi(self) -> float:
        """(Z^2+Z)/(Z^2(L_rad-f)+Z L'_rad) per unit mass of the mixture (the Tsai 1/9-term weight)."""
        num = den = 0.0
        for c in self.components:
            lrad, lprad, f = _rad_logs(c.Z)
            num += c.mass_fraction / c.A * (c.Z * c.Z + c.Z)
            den += c.mass_fraction / c.A * (c.Z * c.Z * (lrad - f) + c.Z * lprad)
        return num / den

    @property
    def dedx_gev_cm2_g(self) -> float:
        """Rossi-equivalent constant loss sum_j w_j E_c,j / X0,j [GeV cm^2/g].

        Defines the mixture's E_c; the cascade uses :func:`collision_dedx_gev_cm2_g`.
        """
        return sum(c.mass_fraction * c.ecrit_gev / c.x0_gcm2 for c in self.components)

    @property
    def ecrit_gev(self) -> float:
        """Critical energy of the mixture (Rossi): ionisation loss per X0 [GeV]."""
        return self.dedx_gev_cm2_g * self.x0_gcm2

    @property
    def electrons_per_cm3(self) -> float:
        return self.density * AVOGADRO * sum(c.mass_fraction * c.Z / c.A for c in self.components)

    @property
    def e_lpm_gev(self) -> float:
        """E_LPM = 7.7 TeV/cm x X0 [cm] (Klein, Rev. Mod. Phys. 71 (1999) 1501, Eq. 8)."""
        return 7.7e3 * self.X0_cm

    @property
    def length_x0(self) -> float:
        return self.length_cm / self.X0_cm

    def nuclei(self):
        """{element name: atoms per cm^3} of the mixture."""
        out = {}
        for c in self.components:
            out[c.name] = out.get(c.name, 0.0) + self.density * c.mass_fraction * AVOGADRO / c.A
        return out

    def key(self) -> dict:
        return {"name": self.name, "density": repr(self.density), "length_cm": repr(self.length_cm),
                "components": [[c.name, repr(c.Z), repr(c.A), repr(c.mass_fraction), repr(c.ecrit_gev),
                                repr(c.x0_gcm2), repr(c.stopping)] for c in self.components]}


#: Rossi critical energies for electrons [GeV] and X0 [g/cm^2], PDG Atomic and Nuclear Properties (2022)
_PDG_ECRIT = {
    "Pb": (7.43e-3, 6.37),
    "W": (7.97e-3, 6.76),
    "Fe": (21.68e-3, 13.84),
    "Cu": (19.42e-3, 12.86),
    "Al": (42.70e-3, 24.01),
    "C": (81.74e-3, 42.70),
    # polystyrene scintillator (C8H8): E_c = 93.11 MeV, X0 = 43.79 g/cm^2, rho = 1.060 g/cm^3
    "polystyrene": (93.11e-3, 43.79),
}
_POLYSTYRENE_RHO = 1.060

#: Sternheimer density-effect parameters (I [eV], Cbar, x0, x1, a, k, delta0) of the host materials:
#: Sternheimer, Berger & Seltzer, At. Data Nucl. Data Tables 30 (1984) 261, as listed in the PDG
#: Atomic and Nuclear Properties tables (Pb; polystyrene).
_STERNHEIMER = {
    "Pb": (823.0, 6.2018, 0.3776, 3.8073, 0.09359, 3.1608, 0.14),
    "polystyrene": (68.7, 3.2999, 0.1647, 2.5031, 0.16454, 3.2224, 0.0),
}


def pb_sc_medium(pb_mm: float = 1.5, sc_mm: float = 1.5, length_x0: float = 40.0) -> ShowerMedium:
    """Lead/plastic-scintillator shashlik as a homogeneous mixture (NA64 ECAL: 1.5 mm Pb + 1.5 mm Sc layers).

    Layer numbers: NA64 ECAL (Gninenko et al., NA64 papers; 150 layers of 1.5 mm Pb and
    1.5 mm Sc give 40 X0).  Pb and polystyrene (C8H8) properties from the PDG tables.
    ``length_x0`` sets the thickness in radiation lengths of the mixture.
    """
    for name, v in (("pb_mm", pb_mm), ("sc_mm", sc_mm), ("length_x0", length_x0)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(name, f"must be a positive finite number; got {v!r}")
    pb = BUILTIN["Pb"]
    m_pb = pb_mm * pb.density
    m_sc = sc_mm * _POLYSTYRENE_RHO
    w_pb = m_pb / (m_pb + m_sc)
    w_sc = 1.0 - w_pb
    a_c, a_h = 12.0107, 1.00794
    wc = 8 * a_c / (8 * a_c + 8 * a_h)
    ec_ps, x0_ps = _PDG_ECRIT["polystyrene"]
    comps = (
        Component("Pb", 82.0, pb.A, w_pb, *_PDG_ECRIT["Pb"], _STERNHEIMER["Pb"]),
        Component("C", 6.0, a_c, w_sc * wc, ec_ps, x0_ps, _STERNHEIMER["polystyrene"]),
        Component("H", 1.0, a_h, w_sc * (1 - wc), ec_ps, x0_ps, _STERNHEIMER["polystyrene"]),
    )
    rho = (m_pb + m_sc) / (pb_mm + sc_mm)
    med = ShowerMedium(f"Pb{pb_mm:g}/Sc{sc_mm:g}", rho, comps, 1.0,
                       source="homogeneous mixture of Pb and polystyrene layers; PDG material tables")
    return dataclasses.replace(med, length_cm=length_x0 * med.X0_cm)


def medium_from(obj, length_cm: float | None = None) -> ShowerMedium:
    """A :class:`ShowerMedium` from a setup element / medium object (thin, duck-typed dependence).

    Accepts a ShowerMedium; a :class:`leptoportal.materials.Material` (pure element,
    E_c from the PDG table if known, else the PDG fit E_c = 610 MeV/(Z + 1.24) for
    solids); or any object with ``components``/``fractions`` or ``Z``, ``A``, ``density``
    (and optionally ``X0_cm``, ``ecrit_gev``/``critical_energy_gev``, ``thickness_cm``).
    A setup Element (with ``.medium`` and ``.thickness_cm``) is unwrapped.
    """
    if isinstance(obj, ShowerMedium):
        return obj if length_cm is None else dataclasses.replace(obj, length_cm=float(length_cm))
    if hasattr(obj, "medium") and hasattr(obj, "thickness_cm"):
        return medium_from(obj.medium, float(obj.thickness_cm) if length_cm is None else length_cm)
    if isinstance(obj, str) and obj.lower() in ("pb/sc", "pbsc", "shashlik"):
        med = pb_sc_medium()
        return med if length_cm is None else dataclasses.replace(med, length_cm=float(length_cm))
    to_shower = getattr(obj, "to_shower_medium", None)
    if callable(to_shower):
        med = to_shower()
        return med if length_cm is None else dataclasses.replace(med, length_cm=float(length_cm))
    if hasattr(obj, "mass_fractions") and hasattr(obj, "layers"):
        # leptoportal.detector.media.Medium: layers of substances, each a set of elements
        out = []
        for sub, w in obj.mass_fractions:
            key = str(getattr(sub, "name", ""))
            key = "polystyrene" if key.lower() in ("scintillator", "polystyrene") else key
            if key in _PDG_ECRIT:
                ec, x0h = _PDG_ECRIT[key]
            else:  # PDG Fig. 34.14 fit per element, combined by mass (dE/dx additive)
                x0h = float(sub.X0_gcm2)
                ec = x0h * sum(we * (0.610 / (el.Z + 1.24)) / el.X0_gcm2 for el, we in sub.elements)
            for el, we in sub.elements:
                out.append(Component(str(el.symbol), float(el.Z), float(el.A), float(w) * float(we), ec, x0h,
                                     _STERNHEIMER.get(key)))
        L = float(length_cm if length_cm is not None else 1.0)
        return ShowerMedium(str(getattr(obj, "name", "medium")), float(obj.density), tuple(out), L,
                            source=str(getattr(obj, "source", "")))
    comps = getattr(obj, "components", None)
    if comps:
        # sequence of (Material-like, mass_fraction) pairs or objects with .material/.fraction
        out = []
        for item in comps:
            mat, w = (item if isinstance(item, tuple) else (getattr(item, "material"), getattr(item, "fraction")))
            sub = medium_from(mat, 1.0)
            for c in sub.components:
                out.append(dataclasses.replace(c, mass_fraction=c.mass_fraction * float(w)))
        rho = float(getattr(obj, "density"))
        L = float(length_cm if length_cm is not None else getattr(obj, "thickness_cm", 1.0))
        return ShowerMedium(str(getattr(obj, "name", "mixture")), rho, tuple(out), L, source="from setup medium")
    try:
        Z, A, rho = float(obj.Z), float(obj.A), float(obj.density)
    except AttributeError:
        raise InputError("medium", f"cannot build a shower medium from {obj!r}: need Z, A, density "
                                   "(or components with mass fractions)") from None
    name = str(getattr(obj, "name", f"Z{Z:g}"))
    ec = getattr(obj, "ecrit_gev", None) or getattr(obj, "critical_energy_gev", None)
    x0g = None
    if hasattr(obj, "X0_cm"):
        x0g = float(obj.X0_cm) * rho
    if name in _PDG_ECRIT:
        ec = ec or _PDG_ECRIT[name][0]
        x0g = x0g or _PDG_ECRIT[name][1]
    if ec is None:
        ec = 0.610 / (Z + 1.24)  # PDG RPP Fig. 34.14 fit (solids and liquids)
    if x0g is None:
        lrad, lprad, f = _rad_logs(Z)
        x0g = 716.408 * A / (Z * Z * (lrad - f) + Z * lprad)
    L = float(length_cm if length_cm is not None else getattr(obj, "thickness_cm", 1.0))
    return ShowerMedium(name, rho, (Component(name, Z, A, 1.0, float(ec), x0g, _STERNHEIMER.get(name)),), L,
                        source=str(getattr(obj, "source", "")))


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
    lrad, lprad, f = _rad_logs(Z)
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
        lrad, lprad, f = _rad_logs(c.Z)
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
        lrad, lprad, f = _rad_logs(c.Z)
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


def _delta_sternheimer(X, p):
    """Density-effect correction delta(X = log10(beta gamma)) (Sternheimer, Berger & Seltzer 1984; PDG Eq. 34.7)."""
    _, cbar, x0, x1, a, kk, d0 = p
    X = np.asarray(X, float)
    mid = 2 * math.log(10) * X - cbar + a * np.clip(x1 - X, 0.0, None) ** kk
    return np.where(X >= x0, np.where(X >= x1, 2 * math.log(10) * X - cbar, mid), d0 * 10.0 ** (2 * (X - x0)))


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
            br, _ = _collision_bracket(T, I, positron, _delta_sternheimer(np.log10(bg), c.stopping))
            out = out + c.mass_fraction * 0.5 * K * c.Z / c.A * br
        else:
            I = (19.2 if c.Z < 1.5 else 16.0 * c.Z ** 0.9) * 1e-9
            br, _ = _collision_bracket(T, I, positron, 0.0)
            br_c, _ = _collision_bracket(np.asarray(c.ecrit_gev - _M_E), I, False, 0.0)
            # host loss at E_c: E_c / X0_host per g/cm^2 (Rossi); the shape in E from the formula
            out = out + c.mass_fraction * (c.ecrit_gev / c.x0_gcm2) * br / br_c
    return np.maximum(out, 0.0)


class _Brackets:
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


class _Rates:
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
        self.brk = _Brackets(medium, screening)
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


# ----------------------------------------------------------------------------- samplers


#: rejection rounds before a proposal is kept (only reached where the density is ~0)
_MAX_REJECT = 200


def _sample_brems_y(rng, E, k_cut, rates):
    """y = k/E in [y_c, 1 - m_e/E] from dsigma/dy (:func:`brems_ydsigma_per_x0`).

    1/y proposal, accepted with probability y dsigma/dy / env (complete-screening bound).
    """
    n = E.size
    yc = k_cut / E
    ymax = 1.0 - _M_E / E  # the electron keeps at least its rest energy
    out = np.empty(n)
    todo = np.arange(n)
    for _ in range(_MAX_REJECT):
        if not todo.size:
            break
        y = yc[todo] * (ymax[todo] / yc[todo]) ** rng.random(todo.size)
        acc = rng.random(todo.size) * rates.env_brems <= rates.brk.brems(E[todo], y)
        out[todo[acc]] = y[acc]
        todo = todo[~acc]
    # where the density vanishes (within the interpolation of the rate table of a kinematic edge)
    # the proposal is kept (rare: events at the table's edges only)
    out[todo] = yc[todo] * (ymax[todo] / yc[todo]) ** rng.random(todo.size)
    return out


def _sample_pair_x(rng, k, rates):
    """x = E_+/k in [m_e/k, 1 - m_e/k] from dsigma/dx (:func:`pair_dsigma_per_x0`).

    Uniform proposal, accepted with probability dsigma/dx / bound(k) (tabulated per-k maximum).
    """
    n = k.size
    lo = _M_E / k
    coul = k >= PAIR_COULOMB_MIN_GEV
    i = np.clip(np.searchsorted(rates.lnE, np.log(k), side="right") - 1, 0, rates.lnE.size - 1)
    env = rates.pair_bound[i]
    out = np.empty(n)
    todo = np.arange(n)
    for _ in range(_MAX_REJECT):
        if not todo.size:
            break
        x = lo[todo] + (1 - 2 * lo[todo]) * rng.random(todo.size)
        acc = rng.random(todo.size) * env[todo] <= rates.brk.pair(k[todo], x, coul[todo])
        out[todo[acc]] = x[acc]
        todo = todo[~acc]
    out[todo] = lo[todo] + (1 - 2 * lo[todo]) * rng.random(todo.size)  # density ~ 0: keep the proposal
    return out


def _sample_compton_eps(rng, k):
    """eps = k'/k from Klein-Nishina: 1/eps proposal on [1/(1+2 kappa), 1], accept (1 + eps^2 - eps sin^2)/2."""
    n = k.size
    kap = k / _M_E
    e0 = 1.0 / (1 + 2 * kap)
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        eps = e0[todo] ** rng.random(todo.size)
        cos_t = 1 - (1 / eps - 1) / kap[todo]
        sin2 = np.clip(1 - cos_t * cos_t, 0, 1)
        acc = 2 * rng.random(todo.size) <= 1 + eps * eps - eps * sin2
        out[todo[acc]] = eps[acc]
        todo = todo[~acc]
    return out


# ----------------------------------------------------------------------------- cascade


@dataclass
class CascadeResult:
    """Raw output of :func:`cascade` (per primary; depth in X0)."""

    hist: np.ndarray  #: (3, n_E, n_t) track length [X0 per primary] per species x energy bin x depth bin
    edep: np.ndarray  #: (n_t,) deposited energy [GeV per primary] per depth bin
    leak_gev: float  #: energy per primary leaving the back of the medium
    score: dict  #: species -> sum over steps of score_fn(E_mid) x dt [X0 units] per primary
    n_showers: int


def cascade(medium: ShowerMedium, primary: str, energy_gev: float, n_showers: int, rng: np.random.Generator, *,
            energy_edges, depth_edges_x0, e_cut: float = 0.01, k_cut: float | None = None, lpm: bool = False,
            compton: bool = True, ionisation: bool = True, ecrit_override: float | None = None,
            screening: bool = True, max_dt_x0: float = 0.1, max_de_frac: float = 0.03, score_fn=None,
            batch: int = 64) -> CascadeResult:
    """Run ``n_showers`` 1-D cascades of a ``primary`` ("e-", "e+", "gamma") of ``energy_gev`` in ``medium``.

    Every step of every charged particle and photon adds its length (in X0) to the
    (species, energy bin, depth bin) of its mid-point.  Steps end at an interaction, at
    the cut-off, at the back of the medium, and are limited to ``max_dt_x0`` and to a
    continuous energy loss of ``max_de_frac`` x E, so mid-point binning is accurate to a
    fraction of a bin.  ``ionisation=False``, ``compton=False``, ``screening=False`` (complete
    screening at all energies) give Rossi's approximation A (validation); ``ecrit_override``
    replaces the energy-dependent collision loss by a constant loss per X0 (approximation B).
    ``score_fn`` (dict species -> callable E -> weight) accumulates sum w(E_mid) dt
    step by step (Eq. 29 of the e->mu paper evaluated literally, for cross-checks).
    """
    if primary not in _SP:
        raise InputError("beam", f"shower primary must be one of {', '.join(SPECIES)}; got {primary!r}")
    if not (math.isfinite(energy_gev) and energy_gev > 0):
        raise InputError("energy", f"must be > 0 GeV; got {energy_gev!r}")
    k_cut = e_cut if k_cut is None else k_cut
    if not (0 < e_cut < energy_gev) or not (0 < k_cut < energy_gev) or e_cut < 2 * _M_E:
        raise InputError("e_cut", f"cut-offs must lie in [{2 * _M_E:.4g}, E0) GeV; got e_cut={e_cut}, k_cut={k_cut}")
    eE = np.asarray(energy_edges, float)
    tE = np.asarray(depth_edges_x0, float)
    nE, nT = eE.size - 1, tE.size - 1
    eps_const = None if (ionisation and ecrit_override is None) else (float(ecrit_override) if ionisation else 0.0)
    rates = _Rates(medium, k_cut, float(energy_gev), screening)
    e_lpm = medium.e_lpm_gev
    t_end = float(tE[-1])
    ne_cm3 = medium.electrons_per_cm3
    compton_factor = ne_cm3 * medium.X0_cm  # per X0: n_e sigma_KN X0
    hist = np.zeros(3 * nE * nT)
    edep = np.zeros(nT)
    leak = 0.0
    score = {s: 0.0 for s in SPECIES}
    lnE0, dlnE = None, None
    log_uniform = np.allclose(np.diff(np.log(eE)), np.log(eE[1] / eE[0]), rtol=1e-9)
    if log_uniform:
        lnE0, dlnE = math.log(eE[0]), math.log(eE[1] / eE[0])

    def ebin(E):
        if log_uniform:
            return np.floor((np.log(E) - lnE0) / dlnE).astype(np.int64)
        return np.searchsorted(eE, E, side="right") - 1

    def tbin(t):
        return np.searchsorted(tE, t, side="right") - 1

    def deposit(t, e):
        if t.size:
            j = np.clip(tbin(t), 0, nT - 1)
            np.add.at(edep, j, e)

    remaining = n_showers
    while remaining > 0:
        nb = min(batch, remaining)
        remaining -= nb
        E = np.full(nb, float(energy_gev))
        t = np.zeros(nb)
        sp = np.full(nb, _SP[primary], dtype=np.int64)
        while E.size:
            ch = sp < 2
            # --- interaction rates per X0
            sig = np.empty(E.size)
            sig[ch] = rates("brems", E[ch])
            g = ~ch
            sig_pair = rates("pair", E[g])
            sig_comp = klein_nishina_cm2(E[g]) * compton_factor if compton else np.zeros(sig_pair.size)
            sig[g] = sig_pair + sig_comp
            with np.errstate(divide="ignore"):
                s_int = np.where(sig > 0, rng.exponential(1.0, E.size) / np.where(sig > 0, sig, 1.0), np.inf)
            # --- continuous loss (charged)
            rate = np.zeros(E.size)
            ion = rates.ionisation(E[ch], sp[ch] == 1) if eps_const is None else eps_const
            rate[ch] = ion + rates("soft", E[ch])
            with np.errstate(divide="ignore", invalid="ignore"):
                s_cut = np.where(ch & (rate > 0), (E - e_cut) / np.where(rate > 0, rate, 1.0), np.inf)
                s_lim = np.where(ch & (rate > 0), max_de_frac * E / np.where(rate > 0, rate, 1.0), np.inf)
            s_lim = np.minimum(s_lim, max_dt_x0)
            s_end = t_end - t
            step = np.minimum(np.minimum(s_int, s_cut), np.minimum(s_lim, s_end))
            step = np.maximum(step, 0.0)
            # --- score the step at its mid-point
            E_mid = E - 0.5 * rate * step
            t_mid = t + 0.5 * step
            i_e = ebin(E_mid)
            i_t = tbin(t_mid)
            ok = (i_e >= 0) & (i_e < nE) & (i_t >= 0) & (i_t < nT)
            flat = (sp[ok] * nE + i_e[ok]) * nT + i_t[ok]
            hist += np.bincount(flat, weights=step[ok], minlength=hist.size)
            if score_fn is not None:
                for s, fn in score_fn.items():
                    m = sp == _SP[s]
                    if np.any(m):
                        score[s] += float(np.sum(np.asarray(fn(E_mid[m]), float) * step[m]))
            if np.any(ch):
                deposit(t_mid[ch], rate[ch] * step[ch])
            E = E - rate * step
            t = t + step
            # --- fates
            exit_ = (s_end <= step) & (s_end < s_int)
            fall = ch & ~exit_ & (s_cut <= step) & (s_cut < s_int)
            inter = ~exit_ & ~fall & (s_int <= step)
            leak += float(np.sum(E[exit_]))
            # kinetic energy of e-; kinetic + 2 m_e (annihilation at rest) of e+  -> energy conserved
            deposit(t[fall], np.maximum(E[fall] + np.where(sp[fall] == 1, _M_E, -_M_E), 0.0))
            keep = ~(exit_ | fall)
            new_E, new_t, new_sp = [], [], []
            idx = np.flatnonzero(inter & ch)
            if idx.size:
                y = _sample_brems_y(rng, E[idx], k_cut, rates)
                if lpm:
                    acc = rng.random(idx.size) <= lpm_brems_factor(E[idx], y, e_lpm)
                    idx, y = idx[acc], y[acc]
                k = y * E[idx]
                E[idx] = E[idx] - k
                new_E.append(k)
                new_t.append(t[idx])
                new_sp.append(np.full(idx.size, 2, dtype=np.int64))
            idx = np.flatnonzero(inter & g)
            if idx.size:
                kk = E[idx]
                sp_p = rates("pair", kk)
                sp_c = klein_nishina_cm2(kk) * compton_factor if compton else np.zeros(kk.size)
                is_pair = rng.random(idx.size) * (sp_p + sp_c) < sp_p
                ip = idx[is_pair]
                if ip.size:
                    x = _sample_pair_x(rng, E[ip], rates)
                    acc = np.ones(ip.size, bool)
                    if lpm:
                        acc = rng.random(ip.size) <= lpm_pair_factor(E[ip], x, e_lpm)
                    ipa, xa = ip[acc], x[acc]
                    new_E += [xa * E[ipa], (1 - xa) * E[ipa]]
                    new_t += [t[ipa], t[ipa]]
                    new_sp += [np.zeros(ipa.size, np.int64), np.ones(ipa.size, np.int64)]
                    keep[ipa] = False
                ic = idx[~is_pair]
                if ic.size:
                    eps = _sample_compton_eps(rng, E[ic])
                    new_E.append(E[ic] * (1 - eps) + _M_E)
                    new_t.append(t[ic])
                    new_sp.append(np.zeros(ic.size, np.int64))
                    E[ic] = E[ic] * eps
            E, t, sp = E[keep], t[keep], sp[keep]
            if new_E:
                E = np.concatenate([E] + new_E)
                t = np.concatenate([t] + new_t)
                sp = np.concatenate([sp] + new_sp)
            # --- below the cut-offs: deposit on the spot
            low = np.where(sp < 2, E < e_cut, E < k_cut)
            if np.any(low):
                deposit(t[low], np.maximum(E[low] + np.where(sp[low] == 2, 0.0, np.where(sp[low] == 1, _M_E, -_M_E)),
                                           0.0))
                E, t, sp = E[~low], t[~low], sp[~low]
    n = float(n_showers)
    return CascadeResult(hist.reshape(3, nE, nT) / n, edep / n, leak / n, {s: v / n for s, v in score.items()},
                         n_showers)


# ----------------------------------------------------------------------------- track-length table


@dataclass
class TrackLengthTable:
    """Differential track length of a shower: ``hist[species]`` [cm per primary] per (energy, depth) bin.

    ``energy_edges`` [GeV] (log-uniform), ``depth_edges`` [cm from the front of the
    medium].  Within an energy bin the track length is taken uniform in ln E (for
    :meth:`dl_de` and :meth:`sample`); within a depth bin, uniform in z.
    """

    species: tuple
    energy_edges: np.ndarray
    depth_edges: np.ndarray
    hist: dict
    medium: ShowerMedium
    primary: str
    energy_gev: float
    n_showers: int
    meta: dict = dataclasses.field(default_factory=dict)
    edep: np.ndarray | None = None  #: deposited energy per depth bin [GeV per primary]

    def _sp(self, species):
        if species not in self.hist:
            raise InputError("species", f"must be one of {', '.join(self.species)}; got {species!r}")
        return self.hist[species]

    def total_cm(self, species, e_min: float = 0.0) -> float:
        """Track length [cm per primary] of ``species`` above ``e_min`` (uniform-in-ln E within the bin)."""
        h = self._sp(species).sum(axis=1)
        lo, hi = self.energy_edges[:-1], self.energy_edges[1:]
        frac = np.clip(np.log(hi / np.maximum(np.maximum(lo, e_min), 1e-300)) / np.log(hi / lo), 0.0, 1.0)
        return float(np.sum(h * frac))

    def dl_de(self, species, E):
        """dL/dE [cm/GeV per primary] at E (piecewise, uniform in ln E within a bin: (L_bin / ln(hi/lo)) / E)."""
        h = self._sp(species).sum(axis=1)
        E = np.asarray(E, float)
        edges = self.energy_edges
        i = np.searchsorted(edges, E, side="right") - 1
        inside = (i >= 0) & (i < h.size)
        ic = np.clip(i, 0, h.size - 1)
        dens = h[ic] / np.log(edges[ic + 1] / edges[ic]) / np.where(E > 0, E, 1.0)
        return np.where(inside, dens, 0.0)

    def _subgrid(self, e_min, e_max, n_sub=8):
        edges = self.energy_edges
        lo = np.log(edges[:-1])[:, None]
        w = np.log(edges[1:] / edges[:-1])[:, None]
        u = (np.arange(n_sub) + 0.5) / n_sub
        lnE = lo + w * u[None, :]  # (nE, n_sub) mid-points of sub-bins in ln E
        E = np.exp(lnE)
        inside = (E >= e_min) & (E <= e_max)
        return E, inside, w / n_sub

    def integral(self, species, weight_fn=None, *, e_min=0.0, e_max=np.inf, n_sub=8) -> float:
        """int dE dL/dE w(E) [cm x w per primary]: mid-point rule with ``n_sub`` sub-bins per bin in ln E."""
        h = self._sp(species).sum(axis=1)
        E, inside, dl = self._subgrid(e_min, e_max, n_sub)
        w = np.ones_like(E) if weight_fn is None else np.asarray(weight_fn(E.ravel()), float).reshape(E.shape)
        dens = h[:, None] / (dl * n_sub)  # dL/dlnE in the bin
        return float(np.sum(np.where(inside, dens * dl * w, 0.0)))

    def sample(self, species, n, rng, *, e_min=0.0, e_max=np.inf, weight_fn=None, n_sub=8):
        """Draw ``n`` vertices (E [GeV], z [cm]) from L(E, z) x w(E); returns (E, z_cm, integral).

        ``integral`` = sum over bins of L x w (cm x w per primary), the normalisation of
        the drawn density (for w = sigma x n_atoms it is the yield per primary).  The
        energy within a bin is drawn on ``n_sub`` sub-bins (mid-point weights), log-
        uniform within a sub-bin; depth uniform within its bin.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError("n", f"must be an integer >= 0; got {n!r}")
        H = self._sp(species)  # (nE, nT)
        E, inside, dl = self._subgrid(e_min, e_max, n_sub)
        w = np.ones_like(E) if weight_fn is None else np.asarray(weight_fn(E.ravel()), float).reshape(E.shape)
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise InputError("weight_fn", "must return finite values >= 0")
        wsub = np.where(inside, w * (1.0 / n_sub), 0.0)  # (nE, n_sub), fraction of the bin's track length
        cell = H[:, None, :] * wsub[:, :, None]  # (nE, n_sub, nT)
        total = float(cell.sum())
        if n == 0 or total <= 0:
            return np.empty(0), np.empty(0), total
        cdf = np.cumsum(cell.ravel())
        pick = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        pick = np.minimum(pick, cdf.size - 1)
        iE, rem = np.divmod(pick, cell.shape[1] * cell.shape[2])
        iS, iT = np.divmod(rem, cell.shape[2])
        lo = np.log(self.energy_edges[iE]) + dl[iE, 0] * iS
        Ev = np.exp(lo + dl[iE, 0] * rng.random(n))
        Ev = np.clip(Ev, max(e_min, 0.0), e_max)
        z = self.depth_edges[iT] + (self.depth_edges[iT + 1] - self.depth_edges[iT]) * rng.random(n)
        return Ev, z, total


#: the source files whose bytes determine a track-length table (this module and what it imports
#: that computes; tests/test_tables.py checks the list against the import graph)
SOURCES = ("detector/shower.py", "detector/media.py", "detector/setup.py", "units.py", "materials.py",
           "particles.py")


def _setup_medium_and_energy(setup, beam_energy):
    """(ShowerMedium of the ECAL, beam energy) from a setup name/object, a medium, or None (default Pb/Sc)."""
    if setup is None:
        med = pb_sc_medium()
        E = 100.0 if beam_energy is None else beam_energy
        return med, E
    if isinstance(setup, ShowerMedium):
        return setup, (100.0 if beam_energy is None else beam_energy)
    if isinstance(setup, str):
        from .setup import load_setup  # part A's loader

        setup = load_setup(setup)
    ecal = setup.ecal
    med = medium_from(ecal)
    E = beam_energy
    if E is None:
        E = float(setup.beam.energy_gev)
    return med, E


def track_lengths(setup=None, *, beam: str = "e-", energy: float | None = None, n_showers: int = 200,
                  seed: int = 0, cache: bool = True, e_cut: float = 0.01, k_cut: float | None = None,
                  lpm: bool = False, bins_per_decade: int = 25, depth_bin_x0: float = 0.25,
                  e_min_table: float | None = None) -> TrackLengthTable:
    """Track-length table of the shower started by ``beam`` (e-, e+, gamma) in the ECAL of ``setup``.

    ``setup``: a setup name/object (its ``ecal`` element gives medium and thickness), a
    :class:`ShowerMedium`, or None (NA64-like 40 X0 Pb/Sc shashlik, 100 GeV).  ``energy``
    defaults to the setup's beam energy.  The table is cached on disk, keyed by every input
    (medium, energy, beam, n_showers, seed, cuts, LPM, binning, sources of this module).
    """
    med, E0 = _setup_medium_and_energy(setup, energy)
    if beam not in _SP:
        raise InputError("beam", f"must be one of {', '.join(SPECIES)}; got {beam!r}")
    if not (isinstance(E0, (int, float, np.floating)) and math.isfinite(E0) and E0 > 0):
        raise InputError("energy", f"beam energy must be > 0 GeV; got {E0!r}")
    if isinstance(n_showers, bool) or not isinstance(n_showers, (int, np.integer)) or n_showers < 1:
        raise InputError("n_showers", f"must be an integer >= 1; got {n_showers!r}")
    k_cut = e_cut if k_cut is None else k_cut
    e_lo = e_cut if e_min_table is None else e_min_table
    n_dec = math.log10(E0 / e_lo)
    nE = max(1, int(math.ceil(n_dec * bins_per_decade)))
    e_edges = e_lo * (E0 / e_lo) ** (np.arange(nE + 1) / nE)
    e_edges[-1] = E0 * (1 + 1e-12)
    L = med.length_x0
    nT = max(1, int(math.ceil(L / depth_bin_x0 - 1e-9)))
    t_edges = np.linspace(0.0, L, nT + 1)
    key_inputs = {"schema": SCHEMA, "medium": med.key(), "beam": beam, "energy": repr(float(E0)),
                  "n_showers": int(n_showers), "seed": int(seed), "e_cut": repr(float(e_cut)),
                  "k_cut": repr(float(k_cut)), "lpm": bool(lpm), "bins_per_decade": int(bins_per_decade),
                  "depth_bin_x0": repr(float(depth_bin_x0)), "e_min_table": repr(float(e_lo)),
                  "source": _cache.source_hash(SOURCES)}
    key = _cache.cache_key(key_inputs)
    path = _cache.cache_dir("shower_tables") / f"shower_{beam}_{key[:32]}.npz"
    X0 = med.X0_cm
    meta = {"cache_file": str(path) if cache else None, "from_cache": False, "key": key, "key_inputs": key_inputs}
    d = _cache.load_npz(path, key, ("hist", "edep", "leak")) if cache else None
    if d is not None and d["hist"].shape == (len(SPECIES), nE, nT):
        leak = float(d["leak"])
        meta["from_cache"] = True
        meta["leak_gev"] = leak
        h = d["hist"]
        return TrackLengthTable(SPECIES, e_edges, t_edges * X0, {s: h[i] for i, s in enumerate(SPECIES)},
                                med, beam, float(E0), int(n_showers), meta, d["edep"])
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    res = cascade(med, beam, float(E0), int(n_showers), rng, energy_edges=e_edges, depth_edges_x0=t_edges,
                  e_cut=e_cut, k_cut=k_cut, lpm=lpm)
    h = res.hist * X0  # X0 -> cm
    meta["leak_gev"] = res.leak_gev
    if cache:
        _cache.save_npz(path, key, hist=h, edep=res.edep, leak=np.array(res.leak_gev))
    return TrackLengthTable(SPECIES, e_edges, t_edges * X0, {s: h[i] for i, s in enumerate(SPECIES)}, med, beam,
                            float(E0), int(n_showers), meta, res.edep)


# ----------------------------------------------------------------------------- analytic references


def approx_a_track_length_coefficients(xi: float = 0.0):
    """Rossi approximation A: depth-integrated track lengths pi(E) = c_e E0/E^2, gamma(E) = c_g E0/E^2 (E << E0).

    Derivation (Rossi & Greisen, Rev. Mod. Phys. 13 (1941) 240; Rossi, High-Energy
    Particles (1952) Sec. 5): integrating the cascade equations over depth, their Mellin
    transforms obey A(s) Pi - B(s) Gamma = 1, -C(s) Pi + sigma0 Gamma = 0 (electron
    primary), with, for the spectra above,
    A(s) = int phi(v)[1 - (1-v)^s] dv, B(s) = 2 int psi(u) u^s du, C(s) = int phi(v) v^s dv,
    sigma0 = int psi(u) du.  D(s) = A sigma0 - B C vanishes at s = 1 (energy conservation),
    and the pole there gives pi(E) ~ sigma0/D'(1) E0/E^2, gamma(E) ~ C(1)/D'(1) E0/E^2.
    For xi = 0 (Rossi's cross sections without the 1/9 term) this gives the classic
    0.437 and 0.572.  Returns (c_e, c_g) for e+ plus e- together, and photons.
    """
    from scipy.integrate import quad

    a = 4.0 / 3.0 + xi / 9.0
    c = a

    def phi_v(v):  # v * phi(v) (finite at v -> 0)
        return a * (1 - v) + v * v

    def psi(u):
        return 1 - c * u * (1 - u)

    sigma0 = quad(psi, 0, 1)[0]
    # A'(1) = -int phi(v) (1-v) ln(1-v) dv ; B'(1) = 2 int psi u ln u ; C(1) = int v phi ; C'(1) = int v phi ln v
    dA = quad(lambda v: -phi_v(v) / v * (1 - v) * math.log1p(-v) if v > 0 else 0.0, 0, 1, limit=200)[0]
    B1 = 2 * quad(lambda u: psi(u) * u, 0, 1)[0]
    dB = 2 * quad(lambda u: psi(u) * u * math.log(u) if u > 0 else 0.0, 0, 1, limit=200)[0]
    C1 = quad(phi_v, 0, 1)[0]
    dC = quad(lambda v: phi_v(v) * math.log(v) if v > 0 else 0.0, 0, 1, limit=200)[0]
    dD = dA * sigma0 - dB * C1 - B1 * dC
    return sigma0 / dD, C1 / dD
