"""Target and absorber materials.

Built-in elements carry (Z, A, density, X0, lambda_int) from the PDG "Atomic and
Nuclear Properties of Materials" tables (pdg.lbl.gov/AtomicNuclearProperties,
2022 edition): X0 and lambda_int (nuclear interaction length) are quoted there in
g/cm^2 and converted here to cm with the listed density.  A user material needs
only (Z, A, density); X0 then follows from the Tsai/PDG closed form (PDG RPP
Eq. 34.26) and lambda_int from the PDG fit lambda_int ~ 35 A^(1/3) g/cm^2, both
flagged as estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .domains import check
from .errors import InputError
from .units import AMU_GEV


@dataclass(frozen=True)
class Material:
    """An element (or effective element) used as target or absorber."""

    name: str
    Z: float
    A: float  #: atomic mass [g/mol]
    density: float  #: [g/cm^3]
    X0_cm: float  #: radiation length [cm]
    lambda_int_cm: float  #: nuclear interaction length [cm]
    source: str = ""

    def __post_init__(self):
        for field in ("Z", "A", "density", "X0_cm", "lambda_int_cm"):
            value = getattr(self, field)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"target.{field}", f"must be a positive finite number; got {value!r}")
        if self.A < self.Z:
            raise InputError("target.A", f"atomic mass A={self.A} must be >= Z={self.Z}")

    @property
    def nucleus_mass_gev(self) -> float:
        """Nucleus mass M ~ A * u in GeV (binding and electron masses neglected)."""
        return self.A * AMU_GEV

    @property
    def atoms_per_cm3(self) -> float:
        from .units import AVOGADRO

        return self.density * AVOGADRO / self.A


def x0_gcm2(Z: float, A: float) -> float:
    """Radiation length in g/cm^2, PDG RPP Eq. (34.26) (Tsai's fit, Lrad, L'rad)."""
    alpha_z = Z / 137.035999084
    a2 = alpha_z * alpha_z
    f = a2 * (1.0 / (1.0 + a2) + 0.20206 - 0.0369 * a2 + 0.0083 * a2 * a2 - 0.002 * a2**3)
    if Z <= 4:
        lrad, lprad = {1: (5.31, 6.144), 2: (4.79, 5.621), 3: (4.74, 5.805), 4: (4.71, 5.924)}[int(round(Z))]
    else:
        lrad, lprad = math.log(184.15 * Z ** (-1.0 / 3.0)), math.log(1194.0 * Z ** (-2.0 / 3.0))
    return 716.408 * A / (Z * Z * (lrad - f) + Z * lprad)


def _el(name, Z, A, rho, x0_g, lam_g):
    return Material(name, Z, A, rho, x0_g / rho, lam_g / rho,
                    source="PDG Atomic and Nuclear Properties (2022)")


BUILTIN = {
    m.name: m
    for m in (
        _el("Pb", 82, 207.2, 11.35, 6.37, 199.6),
        _el("W", 74, 183.84, 19.30, 6.76, 191.9),
        _el("Fe", 26, 55.845, 7.874, 13.84, 132.1),
        _el("Cu", 29, 63.546, 8.960, 12.86, 137.3),
        _el("Al", 13, 26.9815385, 2.699, 24.01, 107.2),
        _el("C", 6, 12.0107, 2.210, 42.70, 85.8),
    )
}


def custom_material(Z: float, A: float, density: float, name: str | None = None) -> Material:
    """A user element from (Z, A [g/mol], density [g/cm^3]); X0 and lambda_int estimated."""
    Z = check(Z, "Z", "target.Z")
    A = check(A, "A", "target.A")
    density = check(density, "density", "target.density")
    if A < Z:
        raise InputError("target.A", f"atomic mass A = {A:g} must be >= Z = {Z:g}")
    x0 = x0_gcm2(Z, A)
    lam = 35.0 * A ** (1.0 / 3.0)
    return Material(name or f"Z{Z:g}A{A:g}", float(Z), float(A), float(density), x0 / density, lam / density,
                    source="user (Z, A, rho); X0 from PDG Eq. 34.26, lambda_int ~ 35 A^(1/3) g/cm^2 (estimates)")


def get_material(target) -> Material:
    """Resolve a target: a :class:`Material`, a built-in name, or ``"Z,A,rho"``."""
    if isinstance(target, Material):
        return target
    if isinstance(target, str):
        key = target.strip()
        for name, mat in BUILTIN.items():
            if key.lower() == name.lower():
                return mat
        parts = key.split(",")
        if len(parts) == 3:
            try:
                Z, A, rho = (float(p) for p in parts)
            except ValueError:
                pass
            else:
                return custom_material(Z, A, rho)
    raise InputError("target", f"unknown target {target!r}; valid: {', '.join(BUILTIN)} or three numbers "
                               "'Z,A,density' (density in g/cm^3)")
