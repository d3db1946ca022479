r"""The registry of constraints: every probe of the scalar's parameter space as one object.

A :class:`Constraint` says what it is (``id``, ``title``), which models it applies to
(``models``: the NA64-mu paper's presets ``muon-specific`` and ``lepton-specific`` of Eq. (2.3),
and ``lfv``, the e->mu paper's scalar), how it is known (``kind``: ``computed`` from the model by
leptoportal, ``published data`` or ``projection`` from a numeric source, ``user file``), what it
means (``role``: ``excluded`` couplings, ``favoured`` couplings, a ``target`` line), where it comes
from (``source``: paper and equation or table), and where it is valid (``mass_range_gev``).  Its
:meth:`Constraint.intervals` returns, for a model and a mass grid, the coupling intervals of its
role at each mass: a list of ``[low, high]`` pairs in the model's lepton coupling (g_mu for the
presets, h for the LFV scalar); a one-sided bound's ``high`` is the top of the coupling domain
(4 pi, :data:`leptoportal.domains.COUPLING_MAX`); an empty list where nothing applies (outside the
validity range, a closed channel, no favoured region).  A ``target`` is a line: ``low == high``.

Registered here (``leptoportal constraints list``):

``g2-band``      favoured: couplings with |Delta a_mu(m, g) - Delta a_mu^exp| <= n_sigma sigma
                 (default 2): NA64-mu paper Eq. (2.6) (presets), e->mu paper Eq. (3) (lfv);
                 :func:`leptoportal.constraints.g2.coupling_band`.  Empty when the chosen Delta a_mu
                 determination is consistent with 0 at n_sigma (then only ``g2-excluded`` applies).
``g2-excluded``  excluded: couplings above the n_sigma (default 5) upper edge, the grey region of the
                 NA64-mu paper's Figs. 5-6; :func:`~leptoportal.constraints.g2.coupling_excluded_above`.
``relic``        target: the g_mu giving Omega h^2 = 0.12 by thermal freeze-out (NA64-mu paper
                 Sec. 2.2; :func:`leptoportal.constraints.relic.relic_coupling`).
``relic-lfv``    target: the e->mu paper's Eq. (2) annihilation-rate line h(m_phi)
                 (:func:`leptoportal.constraints.relic.lfv_annihilation_rate_line`).
``sidm``         excluded: every lepton coupling at m_S below the mass where sigma_T/m_chi of the
                 NA64-mu paper's Eq. (2.10) exceeds 1 cm^2/g (Sec. 2.3) at the model's g_chi and
                 m_chi(m_S) -- a bound on the dark sector that does not depend on g_mu.
``k-mu-nu-s``, ``mu-decay``, ``tau-decay``, ``z-gamma-s``, ``z-tau-tau-s``
                 excluded: the rare decays of the NA64-mu paper's Secs. 4.4-4.6 and Table 1, computed
                 from the model by :mod:`leptoportal.constraints.decays`.
``sn1987a``      excluded: the SN 1987A cooling window of the NA64-mu paper's Sec. 4.2 (Figs. 5-6), m_S <= 100
                 MeV: lower edge from the sourced production bounds (g_e ~ 1e-10, g_gammagamma ~ 6e-9 GeV^-1
                 through Eq. 2.4), upper edge from chi trapping (simplified; :mod:`leptoportal.constraints.supernova`).

``monophoton-babar``, ``monophoton-belle2``
                 excluded (kind ``user file``): e+e- -> gamma S(-> chi chi-bar) through g_gammagamma with F_1/2
                 at q^2 = s (NA64-mu paper Sec. 4.4, App. A), from the user's g_agammagamma(m) CSV (parameter
                 ``alp_file``; BaBar arXiv:1702.03327 / Belle II projection as recast by Dolan et al.,
                 arXiv:1709.00009), converted by :mod:`leptoportal.constraints.monophoton`.
``tera-z``       excluded (projection): Z -> gamma S(-> chi chi-bar) at 10^12 Z, N >= 3 events (background
                 free, assumed) or a given BR sensitivity (:func:`~leptoportal.constraints.monophoton.tera_z_lower_edge`).

``muonium``       excluded (lfv): Mu -> Mu-bar conversion, P < 8.3e-11 in 0.1 T (PSI MACS, Willmann et al.
                 PRL 82 (1999) 49); parameter ``phi_field`` = ``complex`` (default, the e->mu paper's
                 reading: no tree-level conversion, empty) or ``real`` (phi exchange with exact propagators:
                 :mod:`leptoportal.constraints.lfv`).
``mu-to-e-phi``  excluded (lfv): BR(mu -> e phi) above TWIST's limit (Bayes et al., PRD 91 (2015) 052020;
                 the abstract's numbers as a step function, or ``br_file``: a user's BR(m) CSV).
``reach-csv``    projection: the excluded couplings of another leptoportal run's reach.csv (``path``,
                 optional ``exposure``): :mod:`leptoportal.constraints.reachcsv`.

A user's own limit is an entry too: :func:`load_limit_file` reads a CSV whose header states its
source, CL, model and licence (format in docs/constraints.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..domains import COUPLING_MAX, COUPLING_MIN, DOMAINS, check, check_array
from ..errors import InputError
from ..fileio import read_headed_csv
from ..particles import M_E, M_MU

__all__ = ["KINDS", "MODELS", "ROLES", "Constraint", "ModelChoice", "constraints_for", "get_constraint",
           "load_limit_file", "register_constraint", "registered_ids"]

#: the models a constraint may apply to: the NA64-mu paper's presets (Eq. 2.3) and the e->mu scalar
MODELS = ("muon-specific", "lepton-specific", "lfv")
KINDS = ("computed", "published data", "projection", "user file")
ROLES = ("excluded", "favoured", "target")


@dataclass(frozen=True)
class ModelChoice:
    """The model a constraint is evaluated for: a preset name and its dark-sector parameters.

    ``mchi_ratio``: m_chi = m_S / R (NA64-mu paper Eq. 2.8 for R = 3); ``eps_R``: m_chi =
    m_S / (2 sqrt(1 + eps_R)) (Eq. 2.9), instead of the ratio; ``g_chi``: the dark coupling.  The
    LFV scalar (``lfv``) uses none of them.
    """

    name: str
    g_chi: float = 1.0
    mchi_ratio: float | None = 3.0
    eps_R: float | None = None

    def __post_init__(self):
        if self.name not in MODELS:
            raise InputError("model", f"must be one of {', '.join(MODELS)}; got {self.name!r}")
        check(self.g_chi, "g_chi", "g_chi")
        if self.eps_R is not None:
            check(self.eps_R, "eps_r", "eps_R")
            object.__setattr__(self, "mchi_ratio", None)
        elif self.mchi_ratio is None:
            raise InputError("mchi_ratio", "give mchi_ratio or eps_R")
        else:
            check(self.mchi_ratio, "mchi_ratio", "mchi_ratio")

    @property
    def coupling_name(self) -> str:
        return "h" if self.name == "lfv" else "g_mu"

    def relation(self) -> dict:
        """The DM mass relation as :meth:`LeptophilicScalar.from_preset` takes it."""
        return {"eps_R": self.eps_R, "mchi_ratio": None} if self.eps_R is not None else {"mchi_ratio": self.mchi_ratio}

    def to_dict(self) -> dict:
        d = {"name": self.name}
        if self.name != "lfv":
            d.update(g_chi=self.g_chi, **({"eps_R": self.eps_R} if self.eps_R is not None
                                          else {"mchi_ratio": self.mchi_ratio}))
        return d


@dataclass(frozen=True)
class Constraint:
    """One constraint (see the module docstring).  ``evaluate(model, masses, **params)`` returns
    one list of ``[low, high]`` intervals per mass (masses inside ``mass_range_gev``);
    ``params``: name -> (domain kind, tuple of choices, a validator ``f(value, name) -> value`` or None,
    default) of its parameters."""

    id: str
    title: str
    models: tuple
    kind: str
    role: str
    source: str
    mass_range_gev: tuple
    evaluate: Callable = field(repr=False)
    params: dict = field(default_factory=dict)
    notes: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InputError("kind", f"must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.role not in ROLES:
            raise InputError("role", f"must be one of {', '.join(ROLES)}; got {self.role!r}")
        bad = [m for m in self.models if m not in MODELS]
        if bad:
            raise InputError("models", f"unknown model(s) {bad}; valid: {', '.join(MODELS)}")

    def applies_to(self, model: str) -> bool:
        return model in self.models

    def resolve_params(self, params: dict) -> dict:
        out = {}
        for k, v in params.items():
            if k not in self.params:
                raise InputError(k, f"not a parameter of {self.id!r}; valid: {', '.join(sorted(self.params)) or '(none)'}")
            valid = self.params[k][0]
            if isinstance(valid, str):
                v = check(v, valid, k)
            elif isinstance(valid, tuple) and v not in valid:
                raise InputError(k, f"must be one of {', '.join(map(str, valid))}; got {v!r}")
            elif callable(valid):  # a validator (e.g. a file that must be readable): returns the value
                v = valid(v, k)
            out[k] = v
        for k, (_, default) in self.params.items():
            out.setdefault(k, default)
        return out

    def intervals(self, model: ModelChoice | str, masses, **params) -> list:
        """Per mass, the coupling intervals of this constraint's role (``[]`` outside
        ``mass_range_gev`` or where nothing applies).  Raises :class:`InputError` for a model
        the constraint does not apply to."""
        if isinstance(model, str):
            model = ModelChoice(model)
        if not self.applies_to(model.name):
            raise InputError("model", f"{self.id!r} applies to {', '.join(self.models)}; got {model.name!r}")
        m = np.atleast_1d(check_array(masses, "mass", "mass")).astype(float)
        p = self.resolve_params(params)
        lo, hi = self.mass_range_gev
        inside = (m >= lo) & (m <= hi)
        out = [[] for _ in m]
        if np.any(inside):
            got = self.evaluate(model, m[inside], **p)
            for i, iv in zip(np.flatnonzero(inside), got):
                out[i] = _clean(iv)
        return out

    def describe(self) -> dict:
        return {"id": self.id, "title": self.title, "models": list(self.models), "kind": self.kind,
                "role": self.role, "source": self.source, "mass_range_gev": list(self.mass_range_gev),
                "coupling_range": [COUPLING_MIN, COUPLING_MAX],
                "params": {k: v[1] for k, v in self.params.items()}, "notes": self.notes}


def _clean(intervals) -> list:
    """Intervals clipped to the coupling domain, empty or non-finite ones dropped."""
    out = []
    for a, b in intervals:
        a, b = float(a), float(b)
        if not (math.isfinite(a) and not math.isnan(b)):
            continue
        a, b = max(a, COUPLING_MIN), min(b, COUPLING_MAX)
        if a <= b:
            out.append([a, b])
    return out


_REGISTRY: dict[str, Constraint] = {}


def register_constraint(c: Constraint, *, replace: bool = False) -> Constraint:
    if c.id in _REGISTRY and not replace:
        raise InputError("id", f"{c.id!r} is already registered")
    _REGISTRY[c.id] = c
    return c


def get_constraint(cid: str) -> Constraint:
    if cid not in _REGISTRY:
        raise InputError("id", f"unknown constraint {cid!r}; registered: {', '.join(registered_ids())}")
    return _REGISTRY[cid]


def registered_ids() -> list[str]:
    return sorted(_REGISTRY)


def constraints_for(model: str | None = None) -> list[Constraint]:
    """The registered constraints (that apply to ``model``, if given), by id."""
    if model is not None and model not in MODELS:
        raise InputError("model", f"must be one of {', '.join(MODELS)}; got {model!r}")
    return [_REGISTRY[k] for k in registered_ids() if model is None or _REGISTRY[k].applies_to(model)]


# ----------------------------------------------------------------------------- (g-2)_mu
def _g2_kind(model: ModelChoice) -> str:
    return "lfv" if model.name == "lfv" else "diagonal"


def _g2_masses(model: ModelChoice, m):
    """Eq. (3) of the e->mu paper needs m_phi > m_mu - m_e (below it the muon decays to e phi)."""
    return m > (M_MU - M_E) if model.name == "lfv" else np.ones(m.shape, bool)


def _g2_band(model, m, n_sigma, determination):
    from . import g2

    det = g2.get_g2_determination(determination)
    ok = _g2_masses(model, m)
    if det.consistent_with_zero(n_sigma) or not ok.any():
        return [[] for _ in m]
    lo = np.full(m.shape, np.nan)
    hi = np.full(m.shape, np.nan)
    lo[ok], hi[ok] = g2.coupling_band(m[ok], n_sigma, det, kind=_g2_kind(model))
    return [[[a, b]] if ok_i else [] for a, b, ok_i in zip(lo, hi, ok)]


def _g2_excluded(model, m, n_sigma, determination):
    from . import g2

    det = g2.get_g2_determination(determination)
    ok = _g2_masses(model, m)
    edge = np.full(m.shape, np.nan)
    if ok.any():
        edge[ok] = g2.coupling_excluded_above(m[ok], n_sigma, det, kind=_g2_kind(model))
    return [[[e, COUPLING_MAX]] if ok_i else [] for e, ok_i in zip(edge, ok)]


register_constraint(Constraint(
    "g2-band", r"$(g-2)_\mu$ favoured band", MODELS, "computed", "favoured",
    "NA64-mu paper (arXiv:1807.03790) Eq. (2.6); e->mu paper (arXiv:2404.15931) Eq. (3); Delta a_mu from "
    "data/g2_inputs.toml", (1e-4, 100.0), _g2_band,
    {"n_sigma": ("n_sigma", 2.0), "determination": (None, None)},
    "empty when the chosen Delta a_mu is consistent with 0 at n_sigma"))
register_constraint(Constraint(
    "g2-excluded", r"$(g-2)_\mu$ excluded", MODELS, "computed", "excluded",
    "NA64-mu paper (arXiv:1807.03790) Eq. (2.6) and Figs. 5-6 (5 sigma); e->mu paper Eq. (3)",
    (1e-4, 100.0), _g2_excluded, {"n_sigma": ("n_sigma", 5.0), "determination": (None, None)}))


# ----------------------------------------------------------------------------- relic
def _relic(model, m):
    from .relic import relic_coupling

    g = np.atleast_1d(np.asarray(relic_coupling(model.name, m, g_chi=model.g_chi, **model.relation()), float))
    return [[[x, x]] if math.isfinite(x) else [] for x in g]


def _relic_lfv(model, m, g_dark, psi_mass_ratio, sigma_v_pb):
    from .relic import lfv_annihilation_rate_line

    h = np.atleast_1d(np.asarray(lfv_annihilation_rate_line(m, g_dark=g_dark, psi_mass_ratio=psi_mass_ratio,
                                                            sigma_v_pb=sigma_v_pb), float))
    return [[[x, x]] if math.isfinite(x) else [] for x in h]


register_constraint(Constraint(
    "relic", r"thermal relic $\Omega h^2 = 0.12$", ("muon-specific", "lepton-specific"), "computed", "target",
    "NA64-mu paper (arXiv:1807.03790) Sec. 2.2: freeze-out through chi chi-bar -> S* -> SM (docs/relic.md)",
    (2e-3, 100.0), _relic,
    notes="empty where no coupling up to 4 pi gives the observed density"))
register_constraint(Constraint(
    "relic-lfv", "relic estimate, e->mu paper Eq. (2)", ("lfv",), "computed", "target",
    "e->mu paper (arXiv:2404.15931) Eq. (2) annihilation-rate estimate (not a Boltzmann solution)",
    (1e-3, 100.0), _relic_lfv,
    {"g_dark": ("coupling", 0.1), "psi_mass_ratio": ("mchi_ratio", 3.0), "sigma_v_pb": ("sigma_v_pb", 10.0)}))


# ----------------------------------------------------------------------------- SIDM
def _sidm(model, m, limit_cm2_g):
    from .darkmatter import sidm_mass_boundary

    m_star = sidm_mass_boundary(model.g_chi, limit_cm2_g, model.mchi_ratio, model.eps_R)
    return [[[COUPLING_MIN, COUPLING_MAX]] if x < m_star else [] for x in m]


register_constraint(Constraint(
    "sidm", "self-interacting dark matter", ("muon-specific", "lepton-specific"), "computed", "excluded",
    "NA64-mu paper (arXiv:1807.03790) Eq. (2.10) with sigma_T/m_chi < 1 cm^2/g (Sec. 2.3)",
    (1e-4, 100.0), _sidm, {"limit_cm2_g": ("sidm_limit", 1.0)},
    "a bound on the dark sector (g_chi, m_chi/m_S): every lepton coupling below the boundary mass"))


# ----------------------------------------------------------------------------- rare decays
def _decay_evaluator(bound_id: str):
    def evaluate(model, m):
        from .decays import DECAY_BOUNDS

        return DECAY_BOUNDS[bound_id].intervals(model.name, m, g_chi=model.g_chi, **model.relation())

    return evaluate


def _register_decays():
    """The rare decays of the NA64-mu paper's Secs. 4.4-4.6 and Table 1, computed from the model
    (:mod:`leptoportal.constraints.decays`; derivations in docs/constraints.md)."""
    from .decays import DECAY_BOUNDS

    labels = {"k-mu-nu-s": r"$K^+ \to \mu^+ \nu S$ (E949)", "mu-decay": r"$\mu \to e \nu \bar\nu S$ ($\tau_\mu$)",
              "tau-decay": r"$\tau \to \mu \nu \bar\nu S$", "z-gamma-s": r"$Z \to \gamma S$ (L3)",
              "z-tau-tau-s": r"$Z \to \tau^+ \tau^- S$"}
    for b in DECAY_BOUNDS.values():
        register_constraint(Constraint(
            b.id, labels.get(b.id, b.title), tuple(b.presets), "computed", "excluded", f"{b.source}; criterion: {b.criterion}",
            (max(float(b.mass_range_gev[0]), 1e-4), float(b.mass_range_gev[1])), _decay_evaluator(b.id),
            notes=f"{b.process}; computed by leptoportal.constraints.decays (docs/constraints.md)"))


_register_decays()


# ----------------------------------------------------------------------------- mono-photon, Tera-Z
def _monophoton_evaluator(experiment: str):
    def evaluate(model, m, alp_file, cl, xsec_ratio):
        from .monophoton import load_alp_limit_file, monophoton_lower_edge

        if alp_file is None:
            raise InputError("alp_file", "this entry converts the user's g_agammagamma(m) limit: give the CSV "
                             "(alp_file=PATH; CLI: --input PATH; format in docs/constraints.md)")
        alp = load_alp_limit_file(alp_file)
        edge = monophoton_lower_edge(model.name, m, alp, experiment, cl=cl, xsec_ratio=xsec_ratio,
                                     g_chi=model.g_chi, **model.relation())
        return [[[g, COUPLING_MAX]] if math.isfinite(g) else [] for g in edge]

    return evaluate


def _tera_z(model, m, n_z, n_events, efficiency, br_limit):
    from .monophoton import tera_z_lower_edge

    edge = tera_z_lower_edge(model.name, m, n_z=n_z, n_events=n_events, efficiency=efficiency, br_limit=br_limit,
                             g_chi=model.g_chi, **model.relation())
    return [[[g, COUPLING_MAX]] if math.isfinite(g) else [] for g in edge]


_MONO_PARAMS = {"alp_file": (None, None), "cl": ("cl", 0.95), "xsec_ratio": (("derived", "paper"), "derived")}
_MONO_NOTES = ("g_gammagamma,lim = g_agammagamma sqrt(R) sqrt(z(cl)/z(file cl)) (the paper's 90 -> 95 % rule); "
               "R = sigma_ALP/sigma_S = 1 derived here (the paper's Sec. 4.4 uses 1.8: xsec_ratio='paper'); "
               "docs/constraints.md")
register_constraint(Constraint(
    "monophoton-babar", r"BaBar mono-photon ($e^+e^- \to \gamma S$)", ("muon-specific", "lepton-specific"),
    "user file", "excluded",
    "user's g_agammagamma(m) curve: BaBar single photon (arXiv:1702.03327) as an ALP limit (Dolan et al., "
    "arXiv:1709.00009); converted by NA64-mu paper (arXiv:1807.03790) Sec. 4.4, Eq. (2.4), Eq. (A.1) at "
    "q^2 = s = (10.4 GeV)^2", (1e-4, 10.4), _monophoton_evaluator("babar"), dict(_MONO_PARAMS), _MONO_NOTES))
register_constraint(Constraint(
    "monophoton-belle2", r"Belle II mono-photon ($e^+e^- \to \gamma S$)", ("muon-specific", "lepton-specific"),
    "user file", "excluded",
    "user's g_agammagamma(m) curve: Belle II single-photon projection (Dolan et al., arXiv:1709.00009); converted "
    "by NA64-mu paper (arXiv:1807.03790) Sec. 4.4, Eq. (2.4), Eq. (A.1) at q^2 = s = (10.58 GeV)^2",
    (1e-4, 10.58), _monophoton_evaluator("belle2"), dict(_MONO_PARAMS), _MONO_NOTES))
register_constraint(Constraint(
    "tera-z", r"Tera-$Z$ ($Z \to \gamma S$)", ("muon-specific", "lepton-specific"), "projection", "excluded",
    "NA64-mu paper (arXiv:1807.03790) Sec. 4.5 (10^12 Z); BR(Z -> gamma S) computed as for z-gamma-s; criterion "
    "N_Z eff BR(Z -> gamma S) BR(S -> chi chi) >= 3 (background free, eff = 1: assumed) unless br_limit is given",
    (1e-4, 100.0), _tera_z,
    {"n_z": ("exposure", 1e12), "n_events": ("events", 3), "efficiency": ("fraction", 1.0),
     "br_limit": ("fraction", None)},
    "optimistic: no background; the paper's curve (from Liu et al., arXiv:1712.07237, Fig. 9(C)) is background "
    "limited and not shipped (no numeric source)"))
# ----------------------------------------------------------------------------- SN 1987A
def _sn1987a(model, m):
    from .supernova import sn1987a_intervals

    return sn1987a_intervals(model.name, m, g_chi=model.g_chi, **model.relation())


register_constraint(Constraint(
    "sn1987a", "SN 1987A cooling", ("muon-specific", "lepton-specific"), "computed", "excluded",
    "NA64-mu paper (arXiv:1807.03790) Sec. 4.2: production g_e < 1e-10 (m_S < 20 MeV, Knapen-Lin-Zurek "
    "arXiv:1709.07882) and g_gammagamma < 6e-9 GeV^-1 (Dolan et al. arXiv:1709.00009) via Eq. (2.4); trapping "
    "(simplified): pi/2 deflection on electrons (Chang-Essig-McDermott arXiv:1803.00993; lepton-specific) or chi gamma "
    "mean free path < 1 km (muon-specific); analytic SN profile (Dent-Ferrer-Krauss arXiv:1201.2683), Y_e = 0.3 and "
    "L_bound = 3e52 erg/s assumed; upper edges below the paper's, by 10x (lepton-specific) and 4x (muon-specific) "
    "at 1 MeV, within 3x at 100 MeV (docs/validation.md)",
    (1e-3, 0.1), _sn1987a,
    notes="simplified trapping criteria and an assumed profile (docs/constraints.md 'SN 1987A'); the upper edges "
          "fall below the paper's at low m_S (docs/validation.md)"))
# ----------------------------------------------------------------------------- LFV scalar: muon physics
def _muonium(model, m, phi_field):
    from .lfv import muonium_lower_edge

    edge = muonium_lower_edge(m, phi_field)
    return [[[e, COUPLING_MAX]] if np.isfinite(e) else [] for e in edge]


def _br_file(value, name):
    from .lfv import load_br_limit_file

    if value is not None:
        load_br_limit_file(value, name)
    return value


def _mu_to_e_phi(model, m, br_file):
    from .lfv import br_limit_from_file, mu_to_e_phi_lower_edge

    edge = mu_to_e_phi_lower_edge(m, None if br_file is None else br_limit_from_file(br_file, m))
    return [[[e, COUPLING_MAX]] if np.isfinite(e) else [] for e in edge]


register_constraint(Constraint(
    "muonium", r"Mu $\to\bar{\rm Mu}$ (PSI MACS)", ("lfv",), "computed", "excluded",
    "P(Mu -> Mu-bar) < 8.3e-11 (90% CL) in 0.1 T: Willmann et al., PRL 82 (1999) 49 (PDG); phi exchange with "
    "exact propagators, Breit-Rabi states in 0.1 T (leptoportal.constraints.lfv; docs/constraints.md)",
    (1e-4, 100.0), _muonium, {"phi_field": (("complex", "real"), "complex")},
    "complex phi (default: it carries the lepton-flavour charge, the e->mu paper's 'dark and leptonic quantum "
    "numbers'): <phi phi> = 0, no tree-level conversion, nothing excluded; real phi: two insertions of "
    "h* mu-bar P_L e phi give (mu-bar P_L e)^2 / (m_phi^2 - q^2), q^2 = (m_mu +- m_e)^2"))
register_constraint(Constraint(
    "mu-to-e-phi", r"$\mu \to e \phi$ (TWIST)", ("lfv",), "computed", "excluded",
    "Gamma(mu -> e phi) from the e->mu paper's Eq. (1) (leptoportal.constraints.lfv) vs BR(mu+ -> e+ X0) from "
    "TWIST, Bayes et al., PRD 91 (2015) 052020, abstract: < 1e-5 for 13-80 MeV, < 5.8e-5 below 13 MeV (90% CL)",
    (1e-4, M_MU - M_E), _mu_to_e_phi, {"br_file": (_br_file, None)},
    "the abstract's numbers as a step function ('of order 1e-5' taken as 1e-5, assumed; below 13 MeV the "
    "weakest value 5.8e-5); the full curve is mass dependent (and depends on the decay asymmetry): supply your "
    "own via a user file (br_file: CSV with '# source/cl/licence' header lines, columns mass_gev,br_limit)"))


def _reach_path(value, name):
    from .reachcsv import load_reach_curve

    load_reach_curve(value)
    return value


def _reach_exposure(value, name):
    if value is not None:
        check(value, "exposure", name)
    return value


def _reach_csv(model, m, path, exposure):
    from .reachcsv import load_reach_curve

    curve = load_reach_curve(path, exposure)
    if curve.model != model.name:
        raise InputError("path", f"{path} is a reach of model {curve.model!r}; the constraint is evaluated for "
                                 f"{model.name!r} (a curve in another coupling)")
    return curve.intervals(m)


register_constraint(Constraint(
    "reach-csv", "reach of another leptoportal run", MODELS, "projection", "excluded",
    "the reach.csv of a 'leptoportal reach' run (computed by leptoportal; the file's header names its config)",
    (1e-4, 100.0), _reach_csv, {"path": (_reach_path, None), "exposure": (_reach_exposure, None)},
    "excluded couplings of one exposure (default: the largest); between the file's masses the edges are "
    "interpolated in (ln m, ln g), nothing outside them"))


# ----------------------------------------------------------------------------- a user's file
#: the '# key: value' lines a limit file may carry
_HEADER_KEYS = {"source", "cl", "model", "licence", "id", "title", "role"}


def load_limit_file(path) -> Constraint:
    """A user's limit as a registry entry (kind ``user file``).

    The CSV's ``#`` header must state ``source``, ``cl``, ``model`` (one of :data:`MODELS`) and
    ``licence``; optional ``id``, ``title``, ``role`` (default ``excluded``).  Columns:
    ``mass_gev,coupling`` (a one-sided lower edge: couplings above it are excluded) or
    ``mass_gev,coupling_low,coupling_high``; masses strictly increasing, couplings in the coupling
    domain.  Between file masses the edges are interpolated linearly in (ln m, ln g); outside the
    file's mass range nothing applies.
    """
    path, header, rows = read_headed_csv(path, "file", _HEADER_KEYS, ("source", "cl", "model", "licence"))
    where = str(path)
    model = header["model"]
    if model not in MODELS:
        raise InputError("file", f"{where}: model must be one of {', '.join(MODELS)}; got {model!r}")
    try:
        cl = check(float(header["cl"]), "cl", "cl")
    except ValueError:
        raise InputError("file", f"{where}: cl must be a number in (0, 1); got {header['cl']!r}") from None
    role = header.get("role", "excluded")
    if role not in ROLES:
        raise InputError("file", f"{where}: role must be one of {', '.join(ROLES)}; got {role!r}")
    if not rows:
        raise InputError("file", f"{where}: no data rows")
    cols = rows[0][1]
    if cols not in (["mass_gev", "coupling"], ["mass_gev", "coupling_low", "coupling_high"]):
        raise InputError("file", f"{where}: columns must be mass_gev,coupling or mass_gev,coupling_low,coupling_high;"
                         f" got {','.join(cols)}")
    data = []
    for n, cells in rows[1:]:
        try:
            vals = [float(c) for c in cells]
        except ValueError:
            raise InputError("file", f"{where}, line {n}: not numbers: {','.join(cells)}") from None
        if len(vals) != len(cols) or not all(math.isfinite(v) and v > 0 for v in vals):
            raise InputError("file", f"{where}, line {n}: needs {len(cols)} finite positive numbers")
        for v, kind, name in zip(vals, ("mass", "coupling", "coupling"), cols):
            if not DOMAINS[kind].contains(v):
                raise InputError("file", f"{where}, line {n}: {name} {DOMAINS[kind].message(v)}")
        if len(vals) == 3 and vals[1] > vals[2]:
            raise InputError("file", f"{where}, line {n}: coupling_low > coupling_high")
        data.append(vals)
    a = np.array(data, float)
    if a.shape[0] < 2 or np.any(np.diff(a[:, 0]) <= 0):
        raise InputError("file", f"{where}: needs >= 2 rows with strictly increasing mass_gev")
    m_file = a[:, 0]
    low = a[:, 1]
    high = a[:, 2] if a.shape[1] == 3 else np.full(len(a), COUPLING_MAX)

    def evaluate(model_choice, m):
        lm = np.log(m)
        lo = np.exp(np.interp(lm, np.log(m_file), np.log(low)))
        hi = np.exp(np.interp(lm, np.log(m_file), np.log(high)))
        return [[[x, y]] for x, y in zip(lo, hi)]

    cid = header.get("id") or f"file:{path.stem}"
    title = header.get("title") or path.stem
    return Constraint(cid, title, (model,), "user file", role,
                      f"{header['source']} ({cl:g} CL; licence: {header['licence']}; file {path.name})",
                      (float(m_file[0]), float(m_file[-1])), evaluate,
                      notes="edges interpolated linearly in (ln m, ln g) between the file's masses")
