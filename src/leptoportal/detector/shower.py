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
* Bremsstrahlung, complete screening (Tsai, Rev. Mod. Phys. 46 (1974) 815, Eq. 3.83;
  PDG RPP 2022 Eq. 34.29), photon energy k = y E::

      X0 n dsigma/dy = (1/y) [ (4/3 + xi/9)(1 - y) + y^2 ],
      xi = (Z^2 + Z) / (Z^2 (L_rad - f) + Z L'_rad)      (mixture: per-mass sums)

  Photons with k < k_cut are not produced; their mean energy loss
  ``E int_0^{y_c} y phi(y) dy`` (y_c = k_cut / E) is added to the continuous loss.
* Pair production, complete screening (Tsai 1974 Eq. 3.84 / PDG Eq. 34.31 with the
  Bethe-Heitler (1/9) term, the crossing of the bremsstrahlung one), electron energy x k::

      X0 n dsigma/dx = 1 - (4/3 + xi/9) x (1 - x),      m_e/k <= x <= 1 - m_e/k

  (-> 7/9 - xi/54 per X0 at high energy, PDG Eq. 34.32).  Below ~50 MeV the complete
  screening form overestimates the pair cross section (incomplete screening); there
  Compton dominates in Pb anyway, and only track lengths below ~0.1 GeV are affected.
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
* Ionisation: continuous, constant per unit mass (the Rossi definition of the critical
  energy: the ionisation loss per X0 equals E_c; PDG RPP Sec. 34.4.4), epsilon =
  sum_j w_j E_c,j / X0,j.  No explicit delta rays (Moller/Bhabha); collision loss is all
  continuous.  Electron stopping power varies by ~10 % between 1 MeV and 1 GeV -- this is
  an approximation, recorded in docs/shower.md.
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
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..materials import BUILTIN
from ..particles import lepton_mass
from ..units import ALPHA, AVOGADRO

SPECIES = ("e-", "e+", "gamma")
_SP = {s: i for i, s in enumerate(SPECIES)}
#: schema of cached shower tables; bump when the meaning of the numbers changes
SCHEMA = 1
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
    ecrit_gev: float  #: critical energy (Rossi) of the pure host material, sets dE/dx = E_c/X0 per g/cm^2
    x0_gcm2: float  #: radiation length of the host material [g/cm^2] (with E_c: the ionisation loss)


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
        """Collision stopping power (constant) sum_j w_j E_c,j / X0,j  [GeV cm^2/g] (Rossi E_c definition)."""
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
                                repr(c.x0_gcm2)] for c in self.components]}


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
        Component("Pb", 82.0, pb.A, w_pb, *_PDG_ECRIT["Pb"]),
        Component("C", 6.0, a_c, w_sc * wc, ec_ps, x0_ps),
        Component("H", 1.0, a_h, w_sc * (1 - wc), ec_ps, x0_ps),
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
                out.append(Component(str(el.symbol), float(el.Z), float(el.A), float(w) * float(we), ec, x0h))
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
    return ShowerMedium(name, rho, (Component(name, Z, A, 1.0, float(ec), x0g),), L,
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


def _sample_brems_y(rng, E, k_cut, xi):
    """y in [y_c, 1 - m_e/E] from phi(y) = (1/y)[a(1-y) + y^2], a = 4/3 + xi/9: 1/y proposal, accept f/a."""
    n = E.size
    yc = k_cut / E
    ymax = 1.0 - _M_E / E  # the electron keeps at least its rest energy
    a = 4.0 / 3.0 + xi / 9.0
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        y = yc[todo] * (ymax[todo] / yc[todo]) ** rng.random(todo.size)
        acc = rng.random(todo.size) * a <= a * (1 - y) + y * y
        out[todo[acc]] = y[acc]
        todo = todo[~acc]
    return out


def _sample_pair_x(rng, k, xi):
    """x in [m_e/k, 1 - m_e/k] from psi(x) = 1 - c x(1-x) (<= 1): uniform proposal, accept psi."""
    n = k.size
    lo = _M_E / k
    c = 4.0 / 3.0 + xi / 9.0
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        x = lo[todo] + (1 - 2 * lo[todo]) * rng.random(todo.size)
        acc = rng.random(todo.size) <= 1 - c * x * (1 - x)
        out[todo[acc]] = x[acc]
        todo = todo[~acc]
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
            max_dt_x0: float = 0.1, max_de_frac: float = 0.03, score_fn=None, batch: int = 64) -> CascadeResult:
    """Run ``n_showers`` 1-D cascades of a ``primary`` ("e-", "e+", "gamma") of ``energy_gev`` in ``medium``.

    Every step of every charged particle and photon adds its length (in X0) to the
    (species, energy bin, depth bin) of its mid-point.  Steps end at an interaction, at
    the cut-off, at the back of the medium, and are limited to ``max_dt_x0`` and to a
    continuous energy loss of ``max_de_frac`` x E, so mid-point binning is accurate to a
    fraction of a bin.  ``ionisation=False`` and ``compton=False`` give Rossi's
    approximation A (validation); ``ecrit_override`` replaces the ionisation loss per X0.
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
    xi = medium.xi
    eps_ion = (medium.ecrit_gev if ecrit_override is None else float(ecrit_override)) if ionisation else 0.0
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
            sig[ch] = brems_hard_per_x0(E[ch], k_cut, xi)
            g = ~ch
            sig_pair = pair_per_x0(E[g], xi)
            sig_comp = klein_nishina_cm2(E[g]) * compton_factor if compton else np.zeros(sig_pair.size)
            sig[g] = sig_pair + sig_comp
            with np.errstate(divide="ignore"):
                s_int = np.where(sig > 0, rng.exponential(1.0, E.size) / np.where(sig > 0, sig, 1.0), np.inf)
            # --- continuous loss (charged)
            rate = np.zeros(E.size)
            rate[ch] = eps_ion + brems_soft_loss_per_x0(E[ch], k_cut, xi)
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
                y = _sample_brems_y(rng, E[idx], k_cut, xi)
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
                sp_p = pair_per_x0(kk, xi)
                sp_c = klein_nishina_cm2(kk) * compton_factor if compton else np.zeros(kk.size)
                is_pair = rng.random(idx.size) * (sp_p + sp_c) < sp_p
                ip = idx[is_pair]
                if ip.size:
                    x = _sample_pair_x(rng, E[ip], xi)
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


def _shower_cache_dir() -> Path:
    from ..xsec.tables import cache_dir

    return cache_dir().parent / "shower_tables"


def _source_hash() -> str:
    p = Path(__file__).resolve()
    pkg = p.parent.parent
    h = hashlib.sha256()
    for f in (p, pkg / "units.py", pkg / "materials.py", pkg / "particles.py"):
        h.update(f.read_bytes())
    return h.hexdigest()


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
                  "source": _source_hash()}
    key = hashlib.sha256(json.dumps(key_inputs, sort_keys=True).encode()).hexdigest()
    path = _shower_cache_dir() / f"shower_{beam}_{key[:32]}.npz"
    X0 = med.X0_cm
    meta = {"cache_file": str(path) if cache else None, "from_cache": False, "key": key, "key_inputs": key_inputs}
    if cache and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as d:
                if str(d["key"]) == key:
                    h = np.array(d["hist"])
                    edep = np.array(d["edep"])
                    leak = float(d["leak"])
                    meta["from_cache"] = True
                    meta["leak_gev"] = leak
                    return TrackLengthTable(SPECIES, e_edges, t_edges * X0, {s: h[i] for i, s in enumerate(SPECIES)},
                                            med, beam, float(E0), int(n_showers), meta, edep)
        except Exception:  # unreadable cache: rebuild
            pass
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    res = cascade(med, beam, float(E0), int(n_showers), rng, energy_edges=e_edges, depth_edges_x0=t_edges,
                  e_cut=e_cut, k_cut=k_cut, lpm=lpm)
    h = res.hist * X0  # X0 -> cm
    meta["leak_gev"] = res.leak_gev
    if cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, key=np.array(key), hist=h, edep=res.edep, leak=np.array(res.leak_gev))
            os.replace(tmp, path)
        except OSError:
            pass
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
