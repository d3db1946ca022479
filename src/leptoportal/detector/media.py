"""Detector media: homogeneous substances, layered (sampling) media, and their EM-cascade view.

Three levels, one set of material data:

* :class:`Substance` -- a homogeneous material (an element, or a compound/mixture such as
  polystyrene scintillator or air) given by the mass fractions of its elements, its density,
  its mean excitation energy I and its Sternheimer density-effect parameters.
* :class:`Medium` -- what a detector element is made of: one substance, or a periodic stack of
  layers (e.g. the NA64 ECAL shashlik Pb/Sc, the HCAL Fe/Sc sandwich).  A layered medium is
  *not* a homogeneous mixture: energy loss is computed per layer substance (each with its own
  density effect) and combined by mass fraction, which is exact for the mean loss of a particle
  crossing many periods.
* :class:`ShowerMedium` -- the element-resolved view of a medium used by the EM cascade
  (:mod:`.shower`, :mod:`.em_physics`): elements with mass fractions, each with the Rossi
  critical energy and the stopping-power data (I, density effect) of its host substance, X0 from
  Tsai's formula (PDG RPP Eq. 34.26).  Built from a :class:`Medium` by
  :meth:`Medium.shower_medium`, from a :class:`leptoportal.materials.Material` by
  :meth:`ShowerMedium.from_material`, or as the NA64 shashlik by :func:`pb_sc_medium`.

The Sternheimer density-effect correction delta(x) (PDG RPP Eq. 34.7) is :func:`density_effect`,
used with the parameters below by the muon energy loss (:mod:`.muon_loss`) and the e+- collision
stopping power of the cascade (:mod:`.em_physics`).

Data sources (per element, see ``ELEMENTS``):

* Z, A, density, radiation length X0 and nuclear interaction length lambda_int: PDG "Atomic and
  Nuclear Properties of Materials" (pdg.lbl.gov/AtomicNuclearProperties, 2022).  For Pb, W, Fe,
  Cu, Al, C these are taken from :data:`leptoportal.materials.BUILTIN` (same source).
* Mean excitation energy I and the Sternheimer density-effect parameters (-C, x0, x1, a, k,
  delta0): R.M. Sternheimer, M.J. Berger, S.M. Seltzer, At. Data Nucl. Data Tables 30 (1984) 261,
  as reproduced in the PDG tables (the same values are used by Geant4's G4DensityEffectData).
* Compounds: mass fractions from the chemical formula; I and Sternheimer parameters from the
  same 1984 table; X0 and lambda_int from Bragg additivity 1/X0 = sum_j w_j / X0_j (PDG RPP
  Eq. 34.28) and the analogous rule for lambda_int.
* Rossi critical energies E_c of electrons (for :class:`ShowerMedium`): PDG Atomic and Nuclear
  Properties (2022); elements without a tabulated value use the PDG fit E_c = 610 MeV/(Z + 1.24)
  (PDG RPP Fig. 34.14, solids and liquids).

Every built-in substance has tabulated I and density-effect parameters.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError
from ..materials import BUILTIN, Material
from ..units import ALPHA, AVOGADRO


@dataclass(frozen=True)
class ElementData:
    """One chemical element with the data needed for muon transport (PDG 2022, Sternheimer 1984)."""

    symbol: str
    Z: int
    A: float  #: g/mol
    density: float  #: g/cm^3 of the elemental material (gas at 20 C, 1 atm for gases)
    I_eV: float  #: mean excitation energy
    X0_gcm2: float
    lambda_int_gcm2: float
    sternheimer: tuple  #: (-C, x0, x1, a, k, delta0)
    gas: bool = False


def _from_builtin(symbol, Z, I_eV, stern):
    m = BUILTIN[symbol]
    return ElementData(symbol, Z, m.A, m.density, I_eV, m.X0_cm * m.density, m.lambda_int_cm * m.density, stern)


#: Element table.  Sternheimer tuple = (-C, x0, x1, a, k, delta0) from Sternheimer, Berger & Seltzer
#: (1984); I, X0, lambda_int, densities from the PDG Atomic and Nuclear Properties tables (2022).
ELEMENTS: dict[str, ElementData] = {
    e.symbol: e
    for e in (
        ElementData("H", 1, 1.008, 8.376e-5, 19.2, 63.04, 52.0, (9.5835, 1.8639, 3.2718, 0.14092, 5.7273, 0.0), gas=True),
        _from_builtin("C", 6, 78.0, (2.9925, -0.0351, 2.4860, 0.20240, 3.0036, 0.10)),
        ElementData("N", 7, 14.007, 1.165e-3, 82.0, 37.99, 89.7, (10.5400, 1.7378, 4.1323, 0.15349, 3.2125, 0.0), gas=True),
        ElementData("O", 8, 15.999, 1.332e-3, 95.0, 34.24, 90.1, (10.7004, 1.7541, 4.3213, 0.11778, 3.2913, 0.0), gas=True),
        _from_builtin("Al", 13, 166.0, (4.2395, 0.1708, 3.0127, 0.08024, 3.6345, 0.12)),
        ElementData("Si", 14, 28.0855, 2.329, 173.0, 21.82, 108.4, (4.4351, 0.2014, 2.8715, 0.14921, 3.2546, 0.14)),
        ElementData("Ar", 18, 39.948, 1.662e-3, 188.0, 19.55, 119.7, (11.9480, 1.7635, 4.4855, 0.19714, 2.9618, 0.0), gas=True),
        _from_builtin("Fe", 26, 286.0, (4.2911, -0.0012, 3.1531, 0.14680, 2.9632, 0.12)),
        _from_builtin("Cu", 29, 322.0, (4.4190, -0.0254, 3.2792, 0.14339, 2.9044, 0.08)),
        _from_builtin("W", 74, 727.0, (5.4059, 0.2167, 3.4960, 0.15509, 2.8447, 0.14)),
        _from_builtin("Pb", 82, 823.0, (6.2018, 0.3776, 3.8073, 0.09359, 3.1608, 0.14)),
    )
}


@dataclass(frozen=True)
class Substance:
    """A homogeneous substance: elements by mass fraction, density, I and density-effect parameters."""

    name: str
    composition: tuple  #: ((symbol, mass_fraction), ...) summing to 1
    density: float  #: g/cm^3
    I_eV: float
    sternheimer: tuple  #: (-C, x0, x1, a, k, delta0)
    gas: bool = False
    source: str = ""

    @property
    def elements(self) -> tuple:
        return tuple((ELEMENTS[s], w) for s, w in self.composition)

    @property
    def Z_over_A(self) -> float:
        """<Z/A> = sum_j w_j Z_j / A_j (PDG RPP Eq. 34.5 for mixtures)."""
        return sum(w * e.Z / e.A for e, w in self.elements)

    @property
    def X0_gcm2(self) -> float:
        """Radiation length by Bragg additivity, 1/X0 = sum w_j/X0_j (PDG RPP Eq. 34.28)."""
        return 1.0 / sum(w / e.X0_gcm2 for e, w in self.elements)

    @property
    def lambda_int_gcm2(self) -> float:
        return 1.0 / sum(w / e.lambda_int_gcm2 for e, w in self.elements)

    @property
    def X0_cm(self) -> float:
        return self.X0_gcm2 / self.density

    @property
    def lambda_int_cm(self) -> float:
        return self.lambda_int_gcm2 / self.density

    @property
    def stopping(self) -> tuple:
        """(I [eV], -C, x0, x1, a, k, delta0): the stopping-power data of :class:`Component`."""
        return (self.I_eV, *self.sternheimer)


def density_effect(x, stern):
    """Sternheimer density correction delta(x), x = log10(beta gamma) (PDG RPP Eq. 34.7).

    ``stern`` = (-C, x0, x1, a, k, delta0) of Sternheimer, Berger & Seltzer, At. Data Nucl. Data
    Tables 30 (1984) 261 (the ``sternheimer`` tuples of :data:`ELEMENTS` and :data:`SUBSTANCES`).
    """
    C, x0, x1, a, k, d0 = stern
    x = np.asarray(x, dtype=float)
    two_ln10 = 2.0 * math.log(10.0)
    d = np.where(x >= x1, two_ln10 * x - C, two_ln10 * x - C + a * np.clip(x1 - x, 0.0, None) ** k)
    low = d0 * 10.0 ** (2.0 * (x - x0))
    return np.where(x < x0, low, d)


def _element_substance(sym: str) -> Substance:
    e = ELEMENTS[sym]
    return Substance(sym, ((sym, 1.0),), e.density, e.I_eV, e.sternheimer, e.gas,
                     source="element: PDG Atomic and Nuclear Properties (2022); Sternheimer et al. (1984)")


#: Built-in substances.  Compositions are mass fractions; I and Sternheimer parameters from
#: Sternheimer, Berger & Seltzer (1984) / PDG tables.
SUBSTANCES: dict[str, Substance] = {sym: _element_substance(sym) for sym in ELEMENTS}
SUBSTANCES.update({
    # polystyrene (C8H8)n, plastic scintillator base; rho = 1.060 g/cm3 (PDG)
    "polystyrene": Substance("polystyrene", (("C", 0.922582), ("H", 0.077418)), 1.060, 68.7,
                             (3.2999, 0.1647, 2.5031, 0.16454, 3.2224, 0.0),
                             source="PDG Atomic and Nuclear Properties: polystyrene; Sternheimer et al. (1984)"),
    # dry air near sea level (PDG): N 75.5267 %, O 23.1781 %, Ar 1.2827 %, C 0.0124 % by mass
    "air": Substance("air", (("N", 0.755267), ("O", 0.231781), ("Ar", 0.012827), ("C", 0.000124)), 1.20479e-3,
                     85.7, (10.5961, 1.7418, 4.2759, 0.10914, 3.3994, 0.0), gas=True,
                     source="PDG Atomic and Nuclear Properties: air (dry, 1 atm); Sternheimer et al. (1984)"),
    # Kapton polyimide C22H10N2O5, rho = 1.42 g/cm3 (PDG)
    "kapton": Substance("kapton", (("H", 0.026362), ("C", 0.691133), ("N", 0.073270), ("O", 0.209235)), 1.42,
                        79.6, (3.3497, 0.1509, 2.5631, 0.15972, 3.1921, 0.0),
                        source="PDG Atomic and Nuclear Properties: kapton; Sternheimer et al. (1984)"),
})
SUBSTANCES["scintillator"] = SUBSTANCES["polystyrene"]


def get_substance(name: str) -> Substance:
    """A built-in substance by (case-insensitive) name."""
    for key, sub in SUBSTANCES.items():
        if key.lower() == str(name).strip().lower():
            return sub
    valid = ", ".join(SUBSTANCES)
    raise InputError("material", f"unknown material {name!r}; valid: {valid}")


@dataclass(frozen=True)
class Layer:
    substance: Substance
    thickness_cm: float
    active: bool = False  #: sensitive layer (scintillator) of a sampling calorimeter


@dataclass(frozen=True)
class Medium:
    """A detector medium: one substance or a periodic stack of layers.

    Attributes used by other modules: ``density`` (average, g/cm^3), ``X0_cm``, ``lambda_int_cm``,
    ``Z``/``A`` (atom-number weighted means, so that ``density*N_A/A`` is the mean atom density),
    ``I_eV`` (Bragg-additive), ``layers`` and ``mass_fractions`` (per layer substance) and
    :meth:`atom_densities` (per element, atoms/cm^3 averaged over the volume) for rate sums such
    as Eq. (29) of the e->mu paper.
    """

    name: str
    layers: tuple  #: tuple[Layer]
    source: str = ""

    def __post_init__(self):
        if not self.layers:
            raise InputError("medium.layers", f"medium {self.name!r} needs at least one layer")
        for ly in self.layers:
            if not (math.isfinite(ly.thickness_cm) and ly.thickness_cm > 0):
                raise InputError("medium.layers.thickness_cm",
                                 f"medium {self.name!r}: layer thickness must be > 0; got {ly.thickness_cm}")

    # --- composition -------------------------------------------------------------------------
    @property
    def period_cm(self) -> float:
        return sum(ly.thickness_cm for ly in self.layers)

    @property
    def density(self) -> float:
        return sum(ly.substance.density * ly.thickness_cm for ly in self.layers) / self.period_cm

    @property
    def mass_fractions(self) -> tuple:
        """((substance, mass fraction), ...) over the layers (same substance may repeat)."""
        tot = sum(ly.substance.density * ly.thickness_cm for ly in self.layers)
        return tuple((ly.substance, ly.substance.density * ly.thickness_cm / tot) for ly in self.layers)

    @property
    def active_mass_fraction(self) -> float:
        return sum(w for (s, w), ly in zip(self.mass_fractions, self.layers) if ly.active)

    @property
    def X0_gcm2(self) -> float:
        """1/X0 = sum_i w_i/X0_i over layers (PDG RPP Eq. 34.28)."""
        return 1.0 / sum(w / s.X0_gcm2 for s, w in self.mass_fractions)

    @property
    def X0_cm(self) -> float:
        return self.X0_gcm2 / self.density

    @property
    def lambda_int_gcm2(self) -> float:
        return 1.0 / sum(w / s.lambda_int_gcm2 for s, w in self.mass_fractions)

    @property
    def lambda_int_cm(self) -> float:
        return self.lambda_int_gcm2 / self.density

    @property
    def Z_over_A(self) -> float:
        return sum(w * s.Z_over_A for s, w in self.mass_fractions)

    @property
    def I_eV(self) -> float:
        """Bragg additivity: ln I = sum w_j (Z/A)_j ln I_j / <Z/A> (PDG RPP Sec. 34.2.3)."""
        num = sum(w * s.Z_over_A * math.log(s.I_eV) for s, w in self.mass_fractions)
        return math.exp(num / self.Z_over_A)

    def atom_densities(self) -> tuple:
        """((ElementData, atoms per cm^3 averaged over the volume), ...), elements merged."""
        out: dict[str, float] = {}
        rho = self.density
        for s, w in self.mass_fractions:
            for e, we in s.elements:
                out[e.symbol] = out.get(e.symbol, 0.0) + rho * w * we * AVOGADRO / e.A
        return tuple((ELEMENTS[k], v) for k, v in out.items())

    @property
    def Z(self) -> float:
        ad = self.atom_densities()
        return sum(e.Z * n for e, n in ad) / sum(n for _, n in ad)

    @property
    def A(self) -> float:
        ad = self.atom_densities()
        return sum(e.A * n for e, n in ad) / sum(n for _, n in ad)

    def shower_medium(self, length_cm: float = 1.0) -> ShowerMedium:
        """The element-resolved view of this medium for the EM cascade, ``length_cm`` thick.

        Each element of each layer substance becomes a :class:`Component` with its mass fraction
        in the medium and the host substance's Rossi critical energy (PDG table, else the PDG
        fit per element combined by mass, dE/dx being additive) and stopping-power data.
        """
        out = []
        for sub, w in self.mass_fractions:
            key = "polystyrene" if sub.name.lower() in ("scintillator", "polystyrene") else sub.name
            if key in _PDG_ECRIT:
                ec, x0h = _PDG_ECRIT[key]
            else:  # PDG Fig. 34.14 fit per element, combined by mass (dE/dx additive)
                x0h = float(sub.X0_gcm2)
                ec = x0h * sum(we * (0.610 / (el.Z + 1.24)) / el.X0_gcm2 for el, we in sub.elements)
            for el, we in sub.elements:
                out.append(Component(str(el.symbol), float(el.Z), float(el.A), float(w) * float(we), ec, x0h,
                                     sub.stopping))
        return ShowerMedium(self.name, float(self.density), tuple(out), float(length_cm), source=self.source)


def single(name: str) -> Medium:
    """A homogeneous medium made of one built-in substance."""
    sub = get_substance(name)
    return Medium(sub.name, (Layer(sub, 1.0, False),), source=sub.source)


def layered(name: str, layers, source: str = "") -> Medium:
    """A periodic layered medium from ``[(substance_name, thickness_cm, active), ...]``."""
    lys = []
    for item in layers:
        sub_name, t = item[0], item[1]
        active = bool(item[2]) if len(item) > 2 else False
        lys.append(Layer(get_substance(sub_name), float(t), active))
    return Medium(name, tuple(lys), source=source)


@lru_cache(maxsize=None)
def builtin_medium(name: str) -> Medium:
    return single(name)


# ----------------------------------------------------------------------------- the EM-cascade view


def coulomb_f(Z):
    """Coulomb correction function f(Z) of Davies, Bethe & Maximon (PDG RPP 2022 Eq. 34.27).

    f(Z) = a^2 [(1 + a^2)^-1 + 0.20206 - 0.0369 a^2 + 0.0083 a^4 - 0.002 a^6], a = alpha Z.
    """
    a2 = (ALPHA * Z) ** 2
    return a2 * (1.0 / (1.0 + a2) + 0.20206 - 0.0369 * a2 + 0.0083 * a2 * a2 - 0.002 * a2 ** 3)


def radiation_logs(Z: float):
    """(L_rad, L'_rad, f(Z)) of Tsai, PDG RPP 2022 Table 34.2 (Z <= 4) and Eq. 34.26 otherwise."""
    f = coulomb_f(Z)
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
    #: stopping-power data of the host substance (I [eV], Cbar, x0, x1, a, k, delta0) (Sternheimer,
    #: Berger & Seltzer 1984; :attr:`Substance.stopping`); None (an element without tabulated data):
    #: I = 16 Z^0.9 eV, no density effect, normalised to the Rossi E_c (see
    #: :func:`leptoportal.detector.em_physics.collision_dedx_gev_cm2_g`)
    stopping: tuple | None = None


@dataclass(frozen=True)
class ShowerMedium:
    """What the cascade needs of a medium: X0, density, composition, ionisation loss.

    ``components`` are elements with mass fractions; ``nuclei()`` gives the atoms per
    cm^3 of each (for production rates).  ``X0_cm`` is computed from the composition
    with Tsai's formula (PDG Eq. 34.26 and the mixture rule 1/X0 = sum w_j/X0_j).  Built by
    :meth:`Medium.shower_medium`, :meth:`from_material` or :func:`pb_sc_medium`.
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
            lrad, lprad, f = radiation_logs(c.Z)
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
            lrad, lprad, f = radiation_logs(c.Z)
            num += c.mass_fraction / c.A * (c.Z * c.Z + c.Z)
            den += c.mass_fraction / c.A * (c.Z * c.Z * (lrad - f) + c.Z * lprad)
        return num / den

    @property
    def dedx_gev_cm2_g(self) -> float:
        """Rossi-equivalent constant loss sum_j w_j E_c,j / X0,j [GeV cm^2/g].

        Defines the mixture's E_c; the cascade uses
        :func:`leptoportal.detector.em_physics.collision_dedx_gev_cm2_g`.
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

    @classmethod
    def from_material(cls, mat: Material, length_cm: float = 1.0) -> ShowerMedium:
        """A pure element (:class:`leptoportal.materials.Material`) ``length_cm`` thick.

        X0 from the material; E_c from the PDG table if known, else the PDG fit
        E_c = 610 MeV/(Z + 1.24) (PDG RPP Fig. 34.14, solids); stopping-power data of the element
        from :data:`ELEMENTS` if tabulated (same Z), else None.
        """
        Z, A, rho = float(mat.Z), float(mat.A), float(mat.density)
        name = str(mat.name)
        x0g = float(mat.X0_cm) * rho
        ec = _PDG_ECRIT[name][0] if name in _PDG_ECRIT else 0.610 / (Z + 1.24)
        el = ELEMENTS.get(name)
        stopping = (el.I_eV, *el.sternheimer) if el is not None and el.Z == Z else None
        return cls(name, rho, (Component(name, Z, A, 1.0, float(ec), x0g, stopping),), float(length_cm),
                   source=str(mat.source))

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


def pb_sc_medium(pb_mm: float = 1.5, sc_mm: float = 1.5, length_x0: float = 40.0) -> ShowerMedium:
    """Lead/plastic-scintillator shashlik as a homogeneous mixture (NA64 ECAL: 1.5 mm Pb + 1.5 mm Sc layers).

    Layer numbers: NA64 ECAL (Gninenko et al., NA64 papers; 150 layers of 1.5 mm Pb and
    1.5 mm Sc give 40 X0).  Pb and polystyrene (C8H8) properties from the PDG tables; the
    polystyrene composition from the formula with A_C = 12.0107, A_H = 1.00794 (the layered medium
    of a setup file uses the PDG mass fractions of :data:`SUBSTANCES` instead).
    ``length_x0`` sets the thickness in radiation lengths of the mixture.
    """
    for name, v in (("pb_mm", pb_mm), ("sc_mm", sc_mm), ("length_x0", length_x0)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(name, f"must be a positive finite number; got {v!r}")
    pb = BUILTIN["Pb"]
    m_pb = pb_mm * pb.density
    m_sc = sc_mm * SUBSTANCES["polystyrene"].density
    w_pb = m_pb / (m_pb + m_sc)
    w_sc = 1.0 - w_pb
    a_c, a_h = 12.0107, 1.00794
    wc = 8 * a_c / (8 * a_c + 8 * a_h)
    ec_ps, x0_ps = _PDG_ECRIT["polystyrene"]
    comps = (
        Component("Pb", 82.0, pb.A, w_pb, *_PDG_ECRIT["Pb"], SUBSTANCES["Pb"].stopping),
        Component("C", 6.0, a_c, w_sc * wc, ec_ps, x0_ps, SUBSTANCES["polystyrene"].stopping),
        Component("H", 1.0, a_h, w_sc * (1 - wc), ec_ps, x0_ps, SUBSTANCES["polystyrene"].stopping),
    )
    rho = (m_pb + m_sc) / (pb_mm + sc_mm)
    med = ShowerMedium(f"Pb{pb_mm:g}/Sc{sc_mm:g}", rho, comps, 1.0,
                       source="homogeneous mixture of Pb and polystyrene layers; PDG material tables")
    return dataclasses.replace(med, length_cm=length_x0 * med.X0_cm)
