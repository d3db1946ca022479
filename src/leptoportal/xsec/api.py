"""Public cross-section API: NumPy in, pb out.

Every function takes a model (e.g. :class:`leptoportal.LFVScalar`, whose ``mass``
may be an array, or :class:`leptoportal.models.leptophilic.LeptophilicScalar`; the
coupling structure comes from ``model.vertex``: "chiral", "scalar" or "pseudoscalar"), the beam energy (array), a target (name, ``"Z,A,rho"`` or a
:class:`~leptoportal.materials.Material`), a method ("etl", "ww", "iww"), the
beam and final leptons, and returns cross sections in pb, broadcast over
energy x mass (and the differential variable as the last axis).

Validation happens once, up front, so a bad point never costs a computed one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..materials import Material, get_material
from ..particles import Lepton, parse_lepton
from ..units import GEV2_TO_PB
from . import etl, iww, ww
from .amplitudes import VERTICES
from .flux import chi_analytic, chi_numeric
from .formfactors import FORM_FACTORS, form_factor

METHODS = ("etl", "ww", "iww")
#: validated domain of the engine (hypothesis-tested)
ENERGY_RANGE_GEV = (1.0, 1000.0)
MASS_RANGE_GEV = (1e-3, 10.0)


@dataclass(frozen=True)
class Process:
    """A fully specified production process l_i N -> l_f N phi (validated)."""

    beam: Lepton
    final: Lepton
    target: Material
    method: str
    form_factor: str = "elastic"
    vertex: str = "chiral"

    @property
    def masses(self):
        return self.beam.mass, self.final.mass

    def g2(self):
        return form_factor(self.form_factor)

    def chi_fn(self):
        Z, A = self.target.Z, self.target.A
        if self.form_factor == "elastic":
            return lambda tmin, tmax: chi_analytic(tmin, tmax, Z, A)
        g2 = self.g2()
        return lambda tmin, tmax: chi_numeric(tmin, tmax, Z, A, g2)


def make_process(beam="e-", final="mu-", target="Pb", method="etl", form_factor="elastic",
                 vertex="chiral") -> Process:
    b = parse_lepton(beam, "beam")
    f = parse_lepton(final, "final")
    if b.charge != f.charge:
        raise InputError("final", f"{b.name} -> {f.name} violates charge; the final lepton must have the beam's charge")
    if method not in METHODS:
        raise InputError("method", f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    if form_factor not in FORM_FACTORS:
        raise InputError("form_factor", f"unknown form factor {form_factor!r}; valid: {', '.join(FORM_FACTORS)}")
    if vertex not in VERTICES:
        raise InputError("vertex", f"unknown vertex {vertex!r}; valid: {', '.join(VERTICES)}")
    return Process(b, f, get_material(target), method, form_factor, vertex)


def _vertex(model) -> str:
    return getattr(model, "vertex", "chiral")


def _check_points(proc: Process, energy, mass):
    E = np.asarray(energy, float)
    m = np.asarray(mass, float)
    if E.size == 0 or not np.all(np.isfinite(E)) or np.any(E <= 0):
        raise InputError("energy", f"beam energy must be finite and > 0 GeV; got {E.ravel().tolist()}")
    if not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise InputError("mass", f"scalar mass must be finite and > 0 GeV; got {m.ravel().tolist()}")
    m_i, m_f = proc.masses
    if np.any(m <= m_i - m_f):
        raise InputError(
            "mass",
            f"for {proc.beam.name} -> {proc.final.name} the scalar mass must exceed m_i - m_f = {m_i - m_f:.6g} GeV "
            "(below it the beam lepton decays, l_i -> l_f phi, and the production amplitude has a pole)",
        )
    Eb, mb = np.broadcast_arrays(E, m)
    bad = Eb <= m_f + mb
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        raise InputError(
            "energy",
            f"E = {Eb.ravel()[i]:g} GeV is at or below threshold for m_phi = {mb.ravel()[i]:g} GeV: "
            f"need E > m_f + m_phi = {m_f + mb.ravel()[i]:.6g} GeV",
        )
    return Eb, mb


def _coupling2(model, proc: Process) -> float:
    return model.coupling_for(proc.beam.flavour, proc.final.flavour) ** 2


def _evaluate(proc: Process, quantity: str, E: float, m: float, var=None, order: int = 1):
    """One dispatch for every method: ``quantity`` names a function that etl, ww and iww all
    provide (sigma_total, dsigma_dx, dsigma_dy, dsigma_dcos_psi); per unit coupling^2, GeV^-2."""
    m_i, m_f = proc.masses
    fn = getattr({"etl": etl, "ww": ww, "iww": iww}[proc.method], quantity)
    args = (E,) if var is None else (E, var)
    if proc.method == "etl":
        t = proc.target
        return fn(*args, m_i, m_f, m, t.Z, t.A, t.nucleus_mass_gev, proc.g2(), order, vertex=proc.vertex)
    # the closed-form IWW single differentials (A1-A2, A4) have no quadrature order
    closed_form = proc.method == "iww" and quantity in ("dsigma_dx", "dsigma_dy")
    return fn(*args, m_i, m_f, m, proc.chi_fn(), vertex=proc.vertex, **({} if closed_form else {"order": order}))


def _sigma_point(proc: Process, E: float, m: float, order: int = 1) -> float:
    """Total cross section per unit coupling^2, GeV^-2."""
    return _evaluate(proc, "sigma_total", E, m, None, order)


def total_cross_section(model, energy, target="Pb", method="etl", beam="e-", final="mu-",
                        form_factor="elastic", order: int = 1):
    """sigma(l_i N -> l_f N phi) in pb, broadcast over ``energy`` [GeV] and ``model.mass``.

    ETL: Eq. (12) of the e->mu paper integrated over x, the full cos(theta_k)
    range and t.  WW: Eqs. (22)-(23).  IWW: Eqs. (A1)-(A2).  ``order``
    multiplies every quadrature order (1 is converged to < 1e-4, see tests).
    """
    proc = make_process(beam, final, target, method, form_factor, _vertex(model))
    with np.errstate(all="ignore"):
        E, m = _check_points(proc, energy, model.mass)
        out = np.empty(E.shape)
        for idx in np.ndindex(E.shape):
            out[idx] = _sigma_point(proc, float(E[idx]), float(m[idx]), order)
    return out * GEV2_TO_PB * _coupling2(model, proc)


def _diff(model, energy, var, name, target, method, beam, final, form_factor, order, quantity):
    proc = make_process(beam, final, target, method, form_factor, _vertex(model))
    v = np.asarray(var, float)
    with np.errstate(all="ignore"):
        E, m = _check_points(proc, energy, model.mass)
        if name in ("x", "y"):
            if v.size == 0 or not np.all(np.isfinite(v)) or np.any((v <= 0) | (v >= 1)):
                raise InputError(name, f"must lie in the open interval (0, 1); got {var!r}")
        else:
            if v.size == 0 or not np.all(np.isfinite(v)) or np.any((v < 0) | (v > np.pi)):
                raise InputError(name, f"must lie in [0, pi] rad; got {var!r}")
        out = np.empty(E.shape + v.shape)
        for idx in np.ndindex(E.shape):
            out[idx] = _evaluate(proc, quantity, float(E[idx]), float(m[idx]), v, order)
    out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
    return out * GEV2_TO_PB * _coupling2(model, proc)


def dsigma_dx(model, energy, x, target="Pb", method="etl", beam="e-", final="mu-", form_factor="elastic",
              order: int = 1):
    """d sigma/dx in pb, x = E_phi/E_i; shape broadcast(energy, mass) + shape(x).

    ETL: Eq. (12) over the full angle; WW: Eq. (23) (theta_k <= 0.1); IWW: Eq. (A1)-(A2).
    """
    return _diff(model, energy, x, "x", target, method, beam, final, form_factor, order, "dsigma_dx")


def dsigma_dy(model, energy, y, target="Pb", method="etl", beam="e-", final="mu-", form_factor="elastic",
              order: int = 1):
    """d sigma/dy in pb, y = E_f/E_i (outgoing lepton); ETL ours, WW Eq. (27) over psi, IWW Eq. (A4)."""
    return _diff(model, energy, y, "y", target, method, beam, final, form_factor, order, "dsigma_dy")


def dsigma_dcos_psi(model, energy, psi, target="Pb", method="etl", beam="e-", final="mu-",
                    form_factor="elastic", order: int = 1):
    """d sigma/dcos(psi) in pb (psi: outgoing-lepton angle, rad); Eq. (27) integrated over y."""
    return _diff(model, energy, psi, "psi", target, method, beam, final, form_factor, order, "dsigma_dcos_psi")


def dsigma_dpsi(model, energy, psi, target="Pb", method="etl", beam="e-", final="mu-",
                form_factor="elastic", order: int = 1):
    """d sigma/dpsi in pb/rad = sin(psi) d sigma/dcos(psi) (the quantity of the paper's Fig. 1, bottom)."""
    d = dsigma_dcos_psi(model, energy, psi, target, method, beam, final, form_factor, order)
    return d * np.sin(np.asarray(psi, float))
