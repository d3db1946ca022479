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

import enum
import warnings
from dataclasses import dataclass

import numpy as np

from ..domains import check_array
from ..errors import InputError
from ..materials import Material, get_material
from ..particles import Lepton, parse_lepton
from ..units import GEV2_TO_PB
from . import etl, iww, ww
from .amplitudes import VERTICES
from .flux import chi_analytic, chi_numeric
from .formfactors import FORM_FACTORS, form_factor
from .kinematics import threshold_energy



class Method(enum.StrEnum):
    """How the production cross section of l_i N -> l_f N phi is computed (a str: ``Method.ETL == "etl"``).

    * ``ETL`` -- exact tree level: |A_{2->3}|^2 of the e->mu paper's Eq. (10) integrated over the
      full three-body phase space, Eq. (12) (:mod:`leptoportal.xsec.etl`); no small-angle or flux
      approximation.
    * ``WW`` -- Weizsaecker-Williams: the 2->2 amplitude at t_min, Eq. (21), times the photon flux
      chi of Eq. (14); d^2 sigma/dx dcos(theta_k) of Eq. (22), d sigma/dx of Eq. (23), (y, psi) of
      Eq. (27) (:mod:`leptoportal.xsec.ww`).  Valid where m_f^2 <= 3 (m_phi^2 + m_i^2)
      (:func:`ww_validity`).
    * ``IWW`` -- improved WW: the flux taken out of the angular integral with x- and
      angle-independent bounds, Eqs. (A1)-(A2) for d sigma/dx and (A3)-(A4) for d sigma/dy
      (:mod:`leptoportal.xsec.iww`).
    """

    ETL = "etl"
    WW = "ww"
    IWW = "iww"


#: the method names (CLI ``--method`` choices), in the order of :class:`Method`
METHODS = tuple(m.value for m in Method)

#: the function of each method for each quantity, per unit coupling^2 [GeV^-2]
QUANTITIES = {
    Method.ETL: {"sigma_total": etl.sigma_total, "dsigma_dx": etl.dsigma_dx, "dsigma_dy": etl.dsigma_dy,
                 "dsigma_dcos_psi": etl.dsigma_dcos_psi},
    Method.WW: {"sigma_total": ww.sigma_total, "dsigma_dx": ww.dsigma_dx, "dsigma_dy": ww.dsigma_dy,
                "dsigma_dcos_psi": ww.dsigma_dcos_psi},
    Method.IWW: {"sigma_total": iww.sigma_total, "dsigma_dx": iww.dsigma_dx, "dsigma_dy": iww.dsigma_dy,
                 "dsigma_dcos_psi": iww.dsigma_dcos_psi},
}
#: validated domain of the engine (hypothesis-tested)
ENERGY_RANGE_GEV = (1.0, 1000.0)
MASS_RANGE_GEV = (1e-3, 10.0)


@dataclass(frozen=True)
class Process:
    """A fully specified production process l_i N -> l_f N phi (validated)."""

    beam: Lepton
    final: Lepton
    target: Material
    method: Method
    form_factor: str = "elastic"
    vertex: str = "chiral"

    def __post_init__(self):
        object.__setattr__(self, "method", Method(self.method))  # a str names its Method

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
    method = Method(method)
    if form_factor not in FORM_FACTORS:
        raise InputError("form_factor", f"unknown form factor {form_factor!r}; valid: {', '.join(FORM_FACTORS)}")
    if vertex not in VERTICES:
        raise InputError("vertex", f"unknown vertex {vertex!r}; valid: {', '.join(VERTICES)}")
    return Process(b, f, get_material(target), method, form_factor, vertex)


def _vertex(model) -> str:
    return getattr(model, "vertex", "chiral")


def _check_points(proc: Process, energy, mass):
    E = check_array(energy, "energy", "energy")
    m = check_array(mass, "mass", "mass")
    m_i, m_f = proc.masses
    if np.any(m <= m_i - m_f):
        raise InputError(
            "mass",
            f"for {proc.beam.name} -> {proc.final.name} the scalar mass must exceed m_i - m_f = {m_i - m_f:.6g} GeV "
            "(below it the beam lepton decays, l_i -> l_f phi, and the production amplitude has a pole)",
        )
    Eb, mb = np.broadcast_arrays(E, m)
    thr = threshold_energy(m_i, m_f, mb, proc.target.nucleus_mass_gev)
    bad = Eb <= thr
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        raise InputError(
            "energy",
            f"E = {Eb.ravel()[i]:g} GeV is at or below threshold for m_phi = {mb.ravel()[i]:g} GeV on "
            f"{proc.target.name}: need E > {thr.ravel()[i]:.6g} GeV (s = (m_f + m_phi + M_N)^2, nuclear recoil "
            "included)",
        )
    return Eb, mb


def _coupling2(model, proc: Process) -> float:
    return model.coupling_for(proc.beam.flavour, proc.final.flavour) ** 2


def _evaluate(proc: Process, quantity: str, E: float, m: float, var=None, order: int = 1):
    """``quantity`` (a key of :data:`QUANTITIES`: sigma_total, dsigma_dx, dsigma_dy,
    dsigma_dcos_psi) of the process's method at one point; per unit coupling^2, GeV^-2."""
    m_i, m_f = proc.masses
    fn = QUANTITIES[proc.method][quantity]
    args = (E,) if var is None else (E, var)
    if proc.method is Method.ETL:
        t = proc.target
        return fn(*args, m_i, m_f, m, t.Z, t.A, t.nucleus_mass_gev, proc.g2(), order, vertex=proc.vertex)
    # the closed-form IWW single differentials (A1-A2, A4) have no quadrature order
    closed_form = proc.method is Method.IWW and quantity in ("dsigma_dx", "dsigma_dy")
    return fn(*args, m_i, m_f, m, proc.chi_fn(), vertex=proc.vertex, **({} if closed_form else {"order": order}))


class ApproximationWarning(UserWarning):
    """A result outside the validity of the method that produced it (the message says why)."""


def _check_order(order) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= 64:
        raise InputError("order", f"quadrature-order multiplier must be an integer in [1, 64]; got {order!r}")
    return int(order)


#: m_f^2 / (m_phi^2 + m_i^2) above which :func:`ww_validity` warns (WW/ETL <= 0.92-0.97 there)
WW_RHO_WARN = 3.0


def ww_validity(proc: Process, energy, mass) -> str | None:
    """Why WW may not apply at these points, or None.

    The WW flux of Eq. (14) integrates t from t_min = u~^2/(4 E^2 (1-x)^2) (Eq. 21) up to the
    paper's t_max = m_phi^2 + m_i^2.  For l_i -> l_f with rho = m_f^2/(m_phi^2 + m_i^2) > 1
    (e -> mu with m_phi below m_mu) the exchanged lepton's virtuality, ~ m_f^2, lies above t_max:
    the flux window narrows and WW falls below the exact (ETL) cross section.  Measured WW/ETL
    (e- -> mu- on Pb, docs/physics.md): 0.97-0.92 at rho = 3 (m_phi = 60 MeV, 1000-10 GeV), 0.45 at
    100 GeV and 5 MeV, 0.15 at 100 GeV and 1 MeV, and exactly 0 where min_x t_min >= t_max (below
    5.06 GeV at 1 MeV and 2.81 GeV at 2 MeV on Pb: the WW threshold of xsec.tables.threshold_energy).
    Warns above rho = WW_RHO_WARN; returns the message for the first such point."""
    if proc.method != "ww":
        return None
    m_i, m_f = proc.masses
    E, m = np.broadcast_arrays(np.asarray(energy, float), np.asarray(mass, float))
    for Ei, mi in zip(E.ravel(), m.ravel()):
        tmax = mi * mi + m_i * m_i
        if m_f * m_f <= WW_RHO_WARN * tmax:
            continue
        x = np.linspace(mi / Ei, 1.0 - m_f / Ei, 4001)[1:-1]
        u = -mi * mi * (1.0 - x) / x + m_i * m_i * (1.0 - x) - m_f * m_f
        r = float(np.min(u * u / (4.0 * Ei * Ei * (1.0 - x) ** 2)) / tmax)
        what = ("is empty here: the WW cross section is 0, the process is not" if r >= 1.0
                else f"is narrow (min t_min/t_max = {r:.2g}): WW underestimates the exact cross section")
        return (f"WW at E = {Ei:g} GeV, m_phi = {mi:g} GeV: the WW flux of Eq. (14) integrates t from t_min up to "
                f"t_max = m_phi^2 + m_i^2, below the exchanged lepton's m_f^2 (ratio {m_f * m_f / tmax:.3g} > "
                f"{WW_RHO_WARN:g}); the window {what}; use method 'etl'")
    return None


def sigma_point(proc: Process, E: float, m: float, order: int = 1) -> float:
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
    order = _check_order(order)
    with np.errstate(all="ignore"):
        E, m = _check_points(proc, energy, model.mass)
        out = np.empty(E.shape)
        for idx in np.ndindex(E.shape):
            out[idx] = sigma_point(proc, float(E[idx]), float(m[idx]), order)
    _check_result(out, E, m, "sigma")
    msg = ww_validity(proc, E, m)
    if msg:
        warnings.warn(msg, ApproximationWarning, stacklevel=2)
    zero = out == 0
    if np.any(zero) and not msg:
        i = np.flatnonzero(zero.ravel())[0]
        warnings.warn(f"sigma = 0 at E = {E.ravel()[i]:g} GeV, m_phi = {m.ravel()[i]:g} GeV: the point is within "
                      "the quadrature's resolution of threshold", ApproximationWarning, stacklevel=2)
    return out * GEV2_TO_PB * _coupling2(model, proc)


def _check_result(out, E, m, what):
    """A non-finite cross section for valid input is a defect: raise, never return it or hide it."""
    bad = ~np.isfinite(out)
    if np.any(bad):
        i = np.unravel_index(np.flatnonzero(bad)[0], out.shape)
        j = i[:E.ndim]
        raise ArithmeticError(f"non-finite {what} at E = {float(E[j]):g} GeV, m_phi = {float(m[j]):g} GeV "
                              "(please report: this input is inside the validated domain)")


def _diff(model, energy, var, name, target, method, beam, final, form_factor, order, quantity):
    proc = make_process(beam, final, target, method, form_factor, _vertex(model))
    order = _check_order(order)
    try:
        v = np.asarray(var, float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be numbers; got {var!r}") from None
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
    _check_result(out, E, m, f"d sigma/d{name}")
    msg = ww_validity(proc, E, m)
    if msg:
        warnings.warn(msg, ApproximationWarning, stacklevel=3)
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
