"""NA64-mu missing-momentum projection for the leptophilic scalar (NA64-mu paper, Sec. 3.1).

Thin-target yield, Eq. (3.1) of the NA64-mu paper (arXiv:1807.03790)::

    N_chi = N_mu n_atom / <dE/dy>  int_{E_min}^{E_beam} dE  int_{x_min}^{x_max} dx  dsigma/dx(E)  BR(S -> chi chi-bar)

with E_min = E_beam - L_tg <dE/dy> (constant energy loss, thin target), x = E_S/E_mu,
x_max = 1 - m_mu/E (kinematic end point) and the paper's defaults: 150 GeV muons, L_tg =
20 cm of Pb, <dE/dy> = 12.7e-3 GeV/cm, n_atom = 3.3e22 cm^-3 (computed here from the
material, 3.30e22 for Pb), x_min = 1/3.  N_chi includes BR(S -> chi chi-bar), which depends
on g_mu through the visible widths and is evaluated exactly for every coupling.

dsigma/dx per method (``method``):

* ``"iww"`` -- Eq. (3.2) of the NA64-mu paper: the engine's IWW with the scalar vertex and
  the u~ integral taken to infinity (``theta_max = inf``); with m_i = m_f this *is* Eq. (3.2)
  with prefactor g^2 alpha^2/(12 pi) (footnote 7) -- tests/test_vertices.py checks it against
  Eq. (3.2) written out independently.  Flux: Eq. (3.3), t in [m_S^4/(4E^2), m_S^2 + m_mu^2].
* ``"ww"`` / ``"etl"`` -- the engine's WW (Eqs. 22-23 of the e->mu paper, theta_k <= 0.1) and
  exact tree level (Eq. 12, full angle) with the scalar vertex
  (:func:`leptoportal.xsec.amplitudes.vertex_factors`).

``form_factor``: "atomic-nuclear" (the G_2 the NA64-mu paper uses, its ref. [25] App. A;
default) or "elastic" (Eq. 6 of the e->mu paper).

The sensitivity (Sec. 3.2): "background free, 95 % CL" means N_chi >= 3; the reach in g_mu
at each m_S is the root of N_chi(g_mu) = N_required, found by the reach engine's root finder
(:func:`leptoportal.stats.intervals.find_limits`: N on a grid of 8 points per decade of g_mu, the
first upward crossing refined by brentq in log10 g_mu, |dt| <= 1e-10); N_chi grows
monotonically with g_mu (g^2 Gamma_chi/(Gamma_chi + B g^2) with B > 0), so that crossing is the
only one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..materials import get_material
from ..models.leptophilic import LeptophilicScalar
from ..units import PB_TO_CM2
from ..xsec import api, iww
from ..xsec.etl import x_nodes
from ..quadrature import gauss_legendre

#: the NA64-mu paper's projection inputs (Sec. 3.1)
DEFAULTS = {
    "energy_gev": 150.0,
    "target": "Pb",
    "target_length_cm": 20.0,
    "dedy_gev_per_cm": 12.7e-3,
    "x_min": 1.0 / 3.0,
    "method": "iww",
    "form_factor": "atomic-nuclear",
    "beam": "mu+",
}
PRESETS = ("muon-specific", "lepton-specific")


def _positive(name, value, upper=None):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a number; got {value!r}") from None
    if not math.isfinite(v) or v <= 0 or (upper is not None and v >= upper):
        rng = f"(0, {upper:g})" if upper is not None else "> 0"
        raise InputError(name, f"must be finite and {rng}; got {value!r}")
    return v


@dataclass(frozen=True)
class ThinTarget:
    """Validated inputs of Eq. (3.1) apart from the model and the exposure."""

    energy_gev: float = DEFAULTS["energy_gev"]
    target: str = DEFAULTS["target"]
    target_length_cm: float = DEFAULTS["target_length_cm"]
    dedy_gev_per_cm: float = DEFAULTS["dedy_gev_per_cm"]
    x_min: float = DEFAULTS["x_min"]
    method: str = DEFAULTS["method"]
    form_factor: str = DEFAULTS["form_factor"]
    beam: str = DEFAULTS["beam"]
    n_atoms_per_cm3: float | None = None

    def __post_init__(self):
        _positive("energy_gev", self.energy_gev)
        _positive("target_length_cm", self.target_length_cm)
        _positive("dedy_gev_per_cm", self.dedy_gev_per_cm)
        _positive("x_min", self.x_min, upper=1.0)
        if self.n_atoms_per_cm3 is not None:
            _positive("n_atoms_per_cm3", self.n_atoms_per_cm3)
        # validates beam/target/method/form factor once
        proc = api.make_process(self.beam, self.beam, self.target, self.method, self.form_factor, "scalar")
        if proc.beam.flavour != "mu":
            raise InputError("beam", f"NA64-mu projection needs a muon beam (mu+ or mu-); got {self.beam!r}")
        if self.e_min <= proc.beam.mass:
            raise InputError(
                "target_length_cm",
                f"the beam loses L*<dE/dy> = {self.target_length_cm * self.dedy_gev_per_cm:g} GeV, not less than "
                f"its energy {self.energy_gev:g} GeV: Eq. (3.1) is a thin-target formula",
            )

    @property
    def e_min(self) -> float:
        """E_min = E_beam - L_tg <dE/dy> (Eq. 3.1)."""
        return self.energy_gev - self.target_length_cm * self.dedy_gev_per_cm

    @property
    def n_atoms(self) -> float:
        """Atoms per cm^3 of the target (n_atom of Eq. 3.1)."""
        if self.n_atoms_per_cm3 is not None:
            return float(self.n_atoms_per_cm3)
        return get_material(self.target).atoms_per_cm3

    def process(self):
        return api.make_process(self.beam, self.beam, self.target, self.method, self.form_factor, "scalar")

    @classmethod
    def from_setup(cls, setup, *, dedy_gev_per_cm=None, x_min=DEFAULTS["x_min"], method=DEFAULTS["method"],
                   form_factor=DEFAULTS["form_factor"]) -> "ThinTarget":
        """Eq. (3.1)'s inputs from a setup: beam particle and energy from its ``[beam]``, target
        material and length from its ``[target]`` (:meth:`leptoportal.detector.setup.Setup.thin_target`).
        ``dedy_gev_per_cm`` None: the minimum-ionising muon loss of the target material
        (:func:`min_ionising_dedx`; for Pb 12.74e-3 GeV/cm, the paper's 12.7e-3)."""
        from ..detector.setup import load_setup

        setup = load_setup(setup)  # a name or path is loaded; a Setup is used as it is
        spec = setup.thin_target()
        if dedy_gev_per_cm is None:
            dedy_gev_per_cm = min_ionising_dedx(spec.material)
        return cls(energy_gev=float(setup.beam.energy_gev), target=spec.material, target_length_cm=spec.length_cm,
                   dedy_gev_per_cm=dedy_gev_per_cm, x_min=x_min, method=method, form_factor=form_factor,
                   beam=str(setup.beam.particle))

    def resolved(self) -> dict:
        """The inputs of Eq. (3.1) actually used (written to reach.json and the reach.csv header)."""
        return {"energy_gev": self.energy_gev, "beam": self.beam, "target": self.target,
                "target_length_cm": self.target_length_cm, "dedy_gev_per_cm": self.dedy_gev_per_cm,
                "e_min_gev": self.e_min, "n_atoms_per_cm3": self.n_atoms, "x_min": self.x_min,
                "method": str(self.method), "form_factor": self.form_factor}


def min_ionising_dedx(material: str) -> float:
    """Minimum of the muon's electronic stopping power in ``material`` [GeV/cm] (Bethe with the
    density effect, :func:`leptoportal.detector.muon_loss.electronic_dedx`; PDG gives 1.122 MeV
    cm^2/g for Pb, i.e. 12.7e-3 GeV/cm, the value the NA64-mu paper uses in Eq. 3.1)."""
    from ..detector.media import get_substance
    from ..detector.muon_loss import electronic_dedx

    try:
        sub = get_substance(material)
    except InputError:
        raise InputError("dedy_gev_per_cm", f"no stopping-power data for target {material!r}: give "
                         "dedy_gev_per_cm") from None
    E = np.geomspace(0.12, 1.0e3, 4000)
    return float(np.min(electronic_dedx(E, sub))) * float(sub.density)


def _dsigma_dx_unit(proc, E: float, m_S: float, x: np.ndarray, order: int) -> np.ndarray:
    """dsigma/dx per unit g_mu^2 [GeV^-2] of mu N -> mu N S (scalar vertex; ``proc`` from ThinTarget.process)."""
    m_mu = proc.beam.mass
    if proc.method == "iww":
        return iww.dsigma_dx(E, x, m_mu, m_mu, m_S, proc.chi_fn(), theta_max=np.inf, vertex="scalar")
    return api._evaluate(proc, "dsigma_dx", E, m_S, x, order)


def production_integral(m_S, thin_target: ThinTarget | None = None, *, n_energy: int = 6, order: int = 1) -> float:
    """int_{E_min}^{E_beam} dE int_{x_min}^{x_max} dx dsigma/dx per unit g_mu^2, in pb GeV.

    Gauss-Legendre in E (the window is narrow: 2.5 GeV of 150 by default) and the engine's
    graded x nodes between max(x_min, m_S/E) and 1 - m_mu/E.  Zero where the window is closed.
    """
    tt = thin_target or ThinTarget()
    m_S = _positive("m_S", m_S)
    proc = tt.process()
    m_mu = proc.beam.mass
    xg, wg = gauss_legendre(n_energy)
    lo, hi = tt.e_min, tt.energy_gev
    total = 0.0
    for xi, wi in zip(xg, wg):
        E = lo + (hi - lo) * xi  # gauss_legendre is on [0, 1]
        if E <= m_mu + m_S:
            continue
        xlo = max(tt.x_min, m_S / E)
        xhi = 1.0 - m_mu / E
        if xhi <= xlo:
            continue
        xs, wx = x_nodes(xlo, xhi, 8 * order)
        with np.errstate(all="ignore"):
            d = np.nan_to_num(_dsigma_dx_unit(proc, E, m_S, xs, order), nan=0.0, posinf=0.0, neginf=0.0)
        total += (hi - lo) * wi * float(np.sum(wx * d))
    return total * api.GEV2_TO_PB


def _check_model(model):
    if not isinstance(model, LeptophilicScalar):
        raise InputError("model", f"needs a LeptophilicScalar; got {type(model).__name__}")
    if np.ndim(model.m_S) or np.ndim(model.g_mu):
        raise InputError("model", "thin_target_yield takes a model with scalar m_S and g_mu (loop over arrays)")


def thin_target_yield(model, mot, *, energy_gev=DEFAULTS["energy_gev"], target=DEFAULTS["target"],
                      target_length_cm=DEFAULTS["target_length_cm"], dedy_gev_per_cm=DEFAULTS["dedy_gev_per_cm"],
                      x_min=DEFAULTS["x_min"], method=DEFAULTS["method"], form_factor=DEFAULTS["form_factor"],
                      beam=DEFAULTS["beam"], n_atoms_per_cm3=None, order: int = 1) -> float:
    """N_chi of Eq. (3.1) of the NA64-mu paper for ``mot`` muons on target, BR(S -> chi chi-bar) included."""
    _check_model(model)
    mot = _positive("mot", mot)
    tt = ThinTarget(energy_gev, target, target_length_cm, dedy_gev_per_cm, x_min, method, form_factor, beam,
                    n_atoms_per_cm3)
    return yield_from_integral(model, mot, tt, production_integral(model.m_S, tt, order=order))


def yield_from_integral(model, mot, tt: ThinTarget, integral_pb_gev: float):
    """N_chi of Eq. (3.1) from a precomputed :func:`production_integral` (it is coupling independent):
    MOT n_atom/<dE/dy> x integral x g_mu^2 x BR(S -> chi chi-bar)(g_mu).  ``model.g_mu`` may be an
    array (the BR is evaluated exactly at every coupling); returns a float or an array."""
    br = np.asarray(model.br_invisible(), float)
    g2 = np.asarray(model.g_mu, float) ** 2
    out = mot * tt.n_atoms / tt.dedy_gev_per_cm * integral_pb_gev * PB_TO_CM2 * g2 * br
    return float(out) if out.ndim == 0 else out


def reach_coupling(preset: str, m_S: float, mot: float, *, n_required: float = 3.0, thin_target: ThinTarget | None = None,
                   g_chi: float = 1.0, mchi_ratio: float | None = 3.0, eps_R: float | None = None,
                   g_range=(1e-8, 10.0), order: int = 1) -> float:
    """Smallest g_mu with N_chi(g_mu) >= n_required at mass m_S (nan if never reached in g_range).

    The cross-section integral is computed once per mass (it scales as g_mu^2); BR(S -> chi
    chi-bar)(g_mu) is re-evaluated at every trial coupling, so the root is exact, not the
    BR = 1 approximation.  n_required = 3 is the paper's background-free 95 % CL criterion.
    """
    tt = thin_target or ThinTarget()
    mot = _positive("mot", mot)
    n_required = _positive("n_required", n_required)
    integral = production_integral(m_S, tt, order=order)
    return _limit_from_integral(preset, m_S, mot, tt, integral, n_required, g_chi, mchi_ratio, eps_R, g_range)


def _limit_from_integral(preset, m_S, mot, tt, integral, n_required, g_chi, mchi_ratio, eps_R, g_range=(1e-8, 10.0)):
    """The reach engine's root finder on N_chi(g_mu) with the mass's production integral:
    the lower edge; g_range[0] when N_chi >= n_required already there; nan when never reached."""
    from ..stats.intervals import find_limits

    if integral <= 0:
        return float("nan")

    def events(g):
        model = LeptophilicScalar.from_preset(preset, m_S, np.asarray(g, float), g_chi=g_chi, mchi_ratio=mchi_ratio, eps_R=eps_R)
        return np.asarray(yield_from_integral(model, mot, tt, integral), float)

    res = find_limits(events, n_required, float(g_range[0]), float(g_range[1]))
    if res.status == "below-range":
        return float(g_range[0])
    return float(res.lower)
