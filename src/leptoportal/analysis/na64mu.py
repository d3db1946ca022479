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

Decays in flight (NA64-mu paper Fig. 2b): a scalar decaying visibly (S -> l l, gamma gamma)
beyond the end of the last calorimeter also leaves missing energy.  :func:`production_spectrum`
keeps the S energies E_S = x E_mu and weights of the double integral (coupling independent, once
per mass) and :func:`yield_from_spectrum` replaces BR(S -> chi chi-bar) by the kept fraction
BR_inv + BR_vis exp(-d/L(E_S)) node by node (:mod:`leptoportal.models.decay`), with d from the
setup (:func:`decay_distance_cm`: production at the thin target's centre).  This is what the
reach provider ``na64mu-thin-target`` uses; :func:`thin_target_yield`, :func:`yield_from_integral`
and :func:`reach_coupling` are Eq. (3.1) as printed (invisible decays only).

The sensitivity (Sec. 3.2): "background free, 95 % CL" means N_chi >= 3; the reach in g_mu
at each m_S is the root of N_chi(g_mu) = N_required, found by the reach engine's root finder
(:func:`leptoportal.stats.intervals.find_limits`: N on a grid of 8 points per decade of g_mu, the
first upward crossing refined by brentq in log10 g_mu, |dt| <= 1e-10).  With invisible decays
only, N_chi grows monotonically with g_mu (g^2 Gamma_chi/(Gamma_chi + B g^2) with B > 0, tending
to the plateau A Gamma_chi/B), so that crossing is the only one; the visible decays in flight add
g^2 BR_vis <exp(-d/L)>, which falls again once L < d: an excluded window with an upper edge where
it exceeds the plateau (small g_chi, or S -> chi chi-bar closed).
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
    #: distance from the production point (the target centre) to the end of the last calorimeter [cm]:
    #: S -> l l, gamma gamma beyond it still gives missing energy (decays in flight, NA64-mu paper
    #: Fig. 2b); None: Eq. (3.1) as printed, S -> chi chi-bar only
    decay_distance_cm: float | None = None

    def __post_init__(self):
        _positive("energy_gev", self.energy_gev)
        if self.decay_distance_cm is not None:
            _positive("decay_distance_cm", self.decay_distance_cm)
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
                   beam=str(setup.beam.particle), decay_distance_cm=decay_distance_cm(setup, spec.length_cm))

    def resolved(self) -> dict:
        """The inputs of Eq. (3.1) actually used (written to reach.json and the reach.csv header)."""
        return {"energy_gev": self.energy_gev, "beam": self.beam, "target": self.target,
                "target_length_cm": self.target_length_cm, "dedy_gev_per_cm": self.dedy_gev_per_cm,
                "e_min_gev": self.e_min, "n_atoms_per_cm3": self.n_atoms, "x_min": self.x_min,
                "method": str(self.method), "form_factor": self.form_factor,
                **({} if self.decay_distance_cm is None else {"decay_distance_cm": self.decay_distance_cm})}


def decay_distance_cm(setup, target_length_cm: float | None = None) -> float:
    """Distance [cm] from the thin target's centre to the downstream end of the setup's last
    calorimeter (:attr:`leptoportal.detector.setup.Setup.last_calorimeter`).

    The thin target of Eq. (3.1) has no position of its own: it is taken to start at the front face
    of the setup's active target (its first ecal/target element), ``target_length_cm`` long (default:
    the active target's thickness), and every S is taken to be made at its centre (the depth
    spread, +- L_tg/2 = 10 cm of 1484 cm for NA64-mu, is neglected).  na64mu: 1494.2 - 10 = 1484.2 cm."""
    from ..detector.setup import load_setup

    setup = load_setup(setup)
    act = setup.ecal
    length = float(act.thickness_cm) if target_length_cm is None else float(target_length_cm)
    d = float(setup.last_calorimeter.z_end_cm) - (float(act.z_start_cm) + 0.5 * length)
    if not d > 0:
        raise InputError("setup", f"setup {setup.name!r}: the last calorimeter ends at "
                         f"{setup.last_calorimeter.z_end_cm:g} cm, not downstream of the target centre")
    return d


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


def _quadrature_nodes(m_S: float, tt: ThinTarget, n_energy: int, order: int):
    """The nodes of Eq. (3.1)'s double integral: yields (E_mu, (E_beam - E_min) w_E, x nodes, x weights,
    dsigma/dx per g^2 [GeV^-2]) for every Gauss-Legendre energy with an open x window."""
    proc = tt.process()
    m_mu = proc.beam.mass
    xg, wg = gauss_legendre(n_energy)
    lo, hi = tt.e_min, tt.energy_gev
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
        yield E, (hi - lo) * wi, xs, wx, d


def production_integral(m_S, thin_target: ThinTarget | None = None, *, n_energy: int = 6, order: int = 1) -> float:
    """int_{E_min}^{E_beam} dE int_{x_min}^{x_max} dx dsigma/dx per unit g_mu^2, in pb GeV.

    Gauss-Legendre in E (the window is narrow: 2.5 GeV of 150 by default) and the engine's
    graded x nodes between max(x_min, m_S/E) and 1 - m_mu/E.  Zero where the window is closed.
    """
    tt = thin_target or ThinTarget()
    m_S = _positive("m_S", m_S)
    total = 0.0
    for _, scale, _, wx, d in _quadrature_nodes(m_S, tt, n_energy, order):
        total += scale * float(np.sum(wx * d))
    return total * api.GEV2_TO_PB


@dataclass(frozen=True)
class ProductionSpectrum:
    """The S energy spectrum of Eq. (3.1) on its quadrature nodes, per unit g_mu^2 (coupling independent).

    ``energy_gev``: E_S = x E_mu at every (E_mu, x) node; ``weight_pb_gev``: its weight
    w_E w_x dsigma/dx [pb GeV], so that sum(weight g^2 f(E_S)) is int dE int dx dsigma/dx f(x E)
    for any per-scalar factor f (BR(S -> chi chi-bar) or the decays-in-flight kept fraction).
    ``integral_pb_gev``: :func:`production_integral` (the same nodes, summed in the same order)."""

    mass: float
    energy_gev: np.ndarray
    weight_pb_gev: np.ndarray
    integral_pb_gev: float


def production_spectrum(m_S, thin_target: ThinTarget | None = None, *, n_energy: int = 6,
                        order: int = 1) -> ProductionSpectrum:
    """:class:`ProductionSpectrum` of mu N -> mu N S in the thin target: the nodes and weights of
    :func:`production_integral` kept per node (6 energies x 80 x nodes at order 1)."""
    tt = thin_target or ThinTarget()
    m_S = _positive("m_S", m_S)
    es, ws = [], []
    total = 0.0
    for E, scale, xs, wx, d in _quadrature_nodes(m_S, tt, n_energy, order):
        total += scale * float(np.sum(wx * d))
        es.append(xs * E)
        ws.append(scale * wx * d * api.GEV2_TO_PB)
    energy = np.concatenate(es) if es else np.zeros(0)
    weight = np.concatenate(ws) if ws else np.zeros(0)
    energy = np.maximum(energy, m_S)  # x >= m_S/E by construction; guards the last ulp of x E
    return ProductionSpectrum(m_S, energy, weight, total * api.GEV2_TO_PB)


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


def yield_from_spectrum(model, mot, tt: ThinTarget, spectrum: ProductionSpectrum):
    """N of Eq. (3.1) with the decays in flight of S (NA64-mu paper Fig. 2: (a) S -> chi chi-bar
    anywhere, (b) S -> l l, gamma gamma beyond the end of the last calorimeter)::

        N = MOT n_atom/<dE/dy> g_mu^2 sum_k w_k [BR_inv + BR_vis exp(-d/L(E_S,k))]

    with L = (p_S/m_S) hbar c / Gamma_S (:mod:`leptoportal.models.decay`), d =
    ``tt.decay_distance_cm`` and the widths of Eq. (2.5) at every coupling of ``model.g_mu`` (an
    array is evaluated in one pass).  ``tt.decay_distance_cm`` None: the bracket is BR_inv (Eq. 3.1
    as printed, :func:`yield_from_integral`).  Returns a float or an array like ``model.g_mu``."""
    from ..models.decay import mean_kept_fraction, proper_distance_cm

    if tt.decay_distance_cm is None or spectrum.weight_pb_gev.size == 0 or not spectrum.integral_pb_gev > 0:
        return yield_from_integral(model, mot, tt, spectrum.integral_pb_gev)
    if not np.isclose(float(model.m_S), spectrum.mass, rtol=1e-12, atol=0.0):
        raise InputError("model", f"m_S = {model.m_S:g} GeV but the spectrum is for {spectrum.mass:g} GeV")
    u = proper_distance_cm(spectrum.mass, spectrum.energy_gev, tt.decay_distance_cm)
    kept = mean_kept_fraction(model.width_chichi(), model.width_visible(), u, spectrum.weight_pb_gev)
    g2 = np.asarray(model.g_mu, float) ** 2
    out = mot * tt.n_atoms / tt.dedy_gev_per_cm * spectrum.integral_pb_gev * PB_TO_CM2 * g2 * np.asarray(kept, float)
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
