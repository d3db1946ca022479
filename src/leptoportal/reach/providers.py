r"""Signal-yield providers of the reach scan, registered by name.

A provider turns one mass point into a function of the coupling: ``make(mass, model,
options, seed, setup) -> PointYield`` (``setup``: the :class:`~leptoportal.detector.setup.Setup`
loaded with the config when the provider declares ``needs_setup``, else the config's setup
name) does the (possibly expensive) per-mass work once
(e.g. a detector simulation with that mass's seed) and returns
``PointYield.events(g, exposure)``, the expected number of selected signal events for an
array of couplings ``g`` and an exposure in EOT/MOT.  The scan engine root-finds on that
function in log g without assuming any power of g (see :mod:`leptoportal.reach.engine`).

Registered providers
--------------------
``na64mu-thin-target``  NA64-mu paper (Chen, Kozaczuk, Zhong, arXiv:1807.03790) Eq. (3.1)
    with the decays in flight of its Fig. 2: the number of S -> chi chi-bar decays plus the visible
    decays beyond the end of the last calorimeter, g^2 sum_k w_k [BR_inv + BR_vis exp(-d/L(E_S,k))]
    over the tabulated S energy spectrum (d: thin-target centre to the end of the last calorimeter
    of the setup; widths exact at every g).  Beam particle and energy from the setup's ``[beam]``, target
    material and length from its ``[target]`` (:meth:`ThinTarget.from_setup
    <leptoportal.analysis.na64mu.ThinTarget.from_setup>`); options: dedy_gev_per_cm (default:
    minimum-ionising loss of the target), x_min, method, form_factor, order.  Model: ``leptophilic``.
``na64mu-simulation``  the NA64-mu detector chain for the leptophilic scalar
    (:func:`leptoportal.analysis.signal.simulate_signal_muon_beam`: production along the beam
    muon's track in the setup's active target, generator, muon transport, NA64-mu selection)
    once per mass at g_ref; N(g) = yield x efficiency x MOT x (g/g_ref)^2 x the kept fraction
    BR_inv + BR_vis exp(-d_i/L_i) averaged over the selected events (S energy and vertex of each).
    Model: ``leptophilic``.
``na64mu-mu-to-e``  mu N -> e N phi at NA64-mu (:func:`leptoportal.analysis.signal_mue.simulate_signal_mu_to_e`,
    the proposed selection: no outgoing track, E_miss >= 50 GeV) once per mass at h_ref;
    N(h) = yield x efficiency x MOT x (h/h_ref)^2.  Model: ``lfv-scalar``.
``na64e-simulation``  e->mu paper Eq. (29) with the selection efficiency:
    ``leptoportal.analysis.signal.simulate_signal`` once per mass at a reference coupling
    h_ref with the mass's seed; the yield is yield_per_eot x efficiency x EOT x (h/h_ref)^2,
    exact for the invisibly decaying phi (production cross section ∝ h^2, BR(invisible) = 1,
    efficiency independent of h).  Model: ``lfv-scalar``.

Analytic toy providers (closed-form answers; used by the tests and as documented examples)
------------------------------------------------------------------------------------------
``toy-power-law``     N = A E g^2 (m/m0)^-k                        -> g* = sqrt(N_req (m/m0)^k / (A E))
``toy-invisible-br``  N = A E g^2 (m/m0)^-k Gamma_inv/(Gamma_inv + B g^2)
                      (a width-dependent invisible BR)            -> g*^2 = N_req Gamma_inv / (a Gamma_inv - N_req B),
                      a = A E (m/m0)^-k; no exclusion when a Gamma_inv <= N_req B (the plateau a Gamma_inv/B)
``toy-decay-window``  N = A E g^2 exp(-C g^2 (m/m0)^p)  (a scalar decaying before the detector
                      at large coupling: the beam-dump upper edge) -> x = g^2 solves x e^{-c x} = N_req/(A E),
                      two branches of the Lambert W function (lower: W_0, upper edge: W_-1)
``toy-cpu``           ``toy-power-law`` times a Monte-Carlo "efficiency" estimated from ``events``
                      seeded random numbers per mass (CPU-bound stand-in for the simulation,
                      ``benchmarks/bench_reach.py --stand-in``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..domains import check
from ..errors import InputError

__all__ = ["PointYield", "YieldProvider", "register_provider", "get_provider", "provider_names", "seed_int"]


@dataclass
class PointYield:
    """Expected selected signal events at one mass, as a function of coupling and exposure.

    ``events(g, exposure)``: ``g`` a 1-d float array of couplings (> 0), ``exposure`` a float
    (EOT/MOT); returns an array of the same shape (>= 0, finite).
    ``upper_edge``: True when the yield is expected to fall again at large coupling (the
    engine then looks for a second crossing above the first).
    ``info``: per-mass numbers recorded in the output (efficiency, ...), floats only.
    """

    events: Callable[[np.ndarray, float], np.ndarray]
    upper_edge: bool = False
    info: dict = field(default_factory=dict)
    #: Monte-Carlo precision of this point (reach.json "mc_precision", not reach.csv), e.g.
    #: ``efficiency_rel_err`` and ``limit_rel_err``: for N ~ g^2 x efficiency the limit moves by
    #: half the efficiency's relative error (delta g / g = delta eff / (2 eff))
    precision: dict = field(default_factory=dict)


@dataclass(frozen=True)
class YieldProvider:
    """A named yield provider: ``make(mass, model, options, seed, setup) -> PointYield``.

    ``options``: option name -> (type, default) or (type, default, valid) with type one of float,
    int, str, bool; a default of ``None`` means "not passed on unless given"; ``valid`` is a
    kind of :data:`leptoportal.domains.DOMAINS` (numbers) or a tuple of allowed strings, checked
    when the config is loaded.  ``models``: model names it accepts.
    ``warm``: optional callable that imports what ``make`` needs; a dask worker runs it as soon
    as it starts, so the import cost overlaps the main process's background/statistics work.
    """

    name: str
    make: Callable
    description: str = ""
    options: dict = field(default_factory=dict)
    models: tuple = ()
    warm: Callable | None = None
    needs_setup: bool = False  #: simulates the config's ``setup`` (loaded once, when the config is parsed)
    #: ``resolve(options, setup) -> dict``: the inputs actually used (from the setup and the
    #: options), computed when the config loads (errors name the key) and written to the outputs
    resolve: Callable | None = None
    #: option names that are not options because the setup holds them: name -> where in the setup
    from_setup: dict = field(default_factory=dict)
    #: ``resolve`` also takes ``model=`` (the config's [model] table), to refuse a model the beam cannot produce
    resolve_takes_model: bool = False
    #: typical CPU seconds of one mass point with the default options on one core (``--workers auto``
    #: starts a local cluster only when the pending points add up to more than a cluster's start-up)
    cost_s: float = 0.0

    def validate(self, opts: dict, model: dict) -> dict:
        """Check ``[provider]`` options (unknown keys, types) and fill defaults."""
        if self.models and model["name"] not in self.models:
            raise InputError("model.name", f"provider {self.name!r} needs model {' or '.join(self.models)}; "
                             f"got {model['name']!r}")
        out = {}
        for k, v in opts.items():
            if k in self.from_setup:
                raise InputError(f"provider.{k}", f"comes from the setup ({self.from_setup[k]}): edit the setup "
                                 "(leptoportal configs copy gives an editable one) or, for the beam energy, "
                                 "use reach --energy")
            if k not in self.options:
                raise InputError(f"provider.{k}", f"unknown option for provider {self.name!r}; valid: "
                                 f"{', '.join(sorted(self.options)) or '(none)'}")
            typ = self.options[k][0]
            valid = self.options[k][2] if len(self.options[k]) > 2 else None
            ok = (isinstance(v, typ) and not isinstance(v, bool)) if typ is not bool else isinstance(v, bool)
            if typ is float and isinstance(v, int) and not isinstance(v, bool):
                ok, v = True, float(v)
            if typ is int and isinstance(v, float) and v.is_integer():  # 1e5 events
                ok, v = True, int(v)
            if not ok or (typ is float and not math.isfinite(v)):
                raise InputError(f"provider.{k}", f"must be of type {typ.__name__}; got {v!r}")
            if typ in (float, int) and not isinstance(valid, str) and v < 0:
                raise InputError(f"provider.{k}", f"must be >= 0; got {v!r}")
            if isinstance(valid, str):
                v = check(v, valid, f"provider.{k}")
            elif valid is not None and v not in valid:
                raise InputError(f"provider.{k}", f"must be one of {', '.join(map(str, valid))}; got {v!r}")
            out[k] = v
        for k, spec in self.options.items():
            if k not in out and spec[1] is not None:
                out[k] = spec[1]
        return out

_REGISTRY: dict[str, YieldProvider] = {}


def register_provider(provider: YieldProvider, *, replace: bool = False) -> YieldProvider:
    """Register ``provider`` under ``provider.name`` (custom providers must be picklable by
    reference -- defined at module level of an importable module -- to run on dask workers)."""
    if provider.name in _REGISTRY and not replace:
        raise InputError("provider.name", f"{provider.name!r} is already registered")
    _REGISTRY[provider.name] = provider
    return provider


def get_provider(name: str) -> YieldProvider:
    if name not in _REGISTRY:
        raise InputError("provider.name", f"unknown yield provider {name!r}; registered: {', '.join(provider_names())}")
    return _REGISTRY[name]


def provider_names() -> list[str]:
    return sorted(_REGISTRY)


def seed_int(seed: np.random.SeedSequence) -> int:
    """A 63-bit integer seed drawn from ``seed`` (for APIs that take an int seed)."""
    return int(seed.generate_state(1, np.uint64)[0] >> np.uint64(1))


# ----------------------------------------------------------------------------- toys
def _toy_scale(mass, o):
    return o["A"] * (mass / o["m0"]) ** (-o["k"])


def _make_power_law(mass, model, o, seed, setup):
    a = _toy_scale(mass, o)
    return PointYield(lambda g, E: a * E * np.asarray(g, float) ** 2, False, {"scale": a})


def _make_invisible_br(mass, model, o, seed, setup):
    a = _toy_scale(mass, o)
    gi, b = o["gamma_inv"], o["B"]

    def events(g, E):
        g2 = np.asarray(g, float) ** 2
        return a * E * g2 * gi / (gi + b * g2)

    return PointYield(events, False, {"scale": a})


def _make_decay_window(mass, model, o, seed, setup):
    a = _toy_scale(mass, o)
    c = o["C"] * (mass / o["m0"]) ** o["p"]

    def events(g, E):
        g2 = np.asarray(g, float) ** 2
        return a * E * g2 * np.exp(-c * g2)

    return PointYield(events, True, {"scale": a, "decay_c": c})


def _make_cpu(mass, model, o, seed, setup):
    """CPU-bound stand-in: MC 'efficiency' = fraction of points of a seeded sample inside a
    mass-dependent ellipse (deterministic for a given seed); work ~ events x repeat."""
    rng = np.random.default_rng(seed)
    n = int(o["events"])
    hits = 0
    total = 0
    r2 = 1.0 / (1.0 + mass)
    for _ in range(int(o["repeat"])):
        xy = rng.random((n, 2))
        hits += int(np.count_nonzero(xy[:, 0] ** 2 + 2.0 * xy[:, 1] ** 2 < r2))
        total += n
    eff = hits / total
    a = _toy_scale(mass, o) * eff
    return PointYield(lambda g, E: a * E * np.asarray(g, float) ** 2, False, {"efficiency": eff})


_TOY_OPTS = {"A": (float, 1.0), "k": (float, 2.0), "m0": (float, 1.0)}

register_provider(YieldProvider("toy-power-law", _make_power_law, "analytic N = A E g^2 (m/m0)^-k", dict(_TOY_OPTS)))
register_provider(YieldProvider("toy-invisible-br", _make_invisible_br,
                                "analytic N = A E g^2 (m/m0)^-k Gamma_inv/(Gamma_inv + B g^2)",
                                {**_TOY_OPTS, "gamma_inv": (float, 1.0), "B": (float, 1.0)}))
register_provider(YieldProvider("toy-decay-window", _make_decay_window,
                                "analytic N = A E g^2 exp(-C g^2 (m/m0)^p) (upper edge)",
                                {**_TOY_OPTS, "C": (float, 1.0), "p": (float, 0.0)}))
register_provider(YieldProvider("toy-cpu", _make_cpu, "CPU-bound Monte-Carlo stand-in (benchmarks)",
                                {**_TOY_OPTS, "events": (int, 100_000, "events"), "repeat": (int, 20, "events")}))


# ----------------------------------------------------------------------------- real providers
def _make_na64mu(mass, model, o, seed, setup):
    """Eq. (3.1) of arXiv:1807.03790 with the decays in flight of S (its Fig. 2): the coupling-independent
    S energy spectrum is tabulated once per mass (:func:`leptoportal.analysis.na64mu.production_spectrum`,
    the nodes of the production integral); N(g) then follows from
    :func:`~leptoportal.analysis.na64mu.yield_from_spectrum`: g^2 sum_k w_k [BR_inv + BR_vis exp(-d/L(E_S,k))]
    with the widths evaluated exactly at every g and d from the setup (thin-target centre to the end of
    the last calorimeter).  The yield may fall again at large g (visible decays inside): upper edge."""
    from ..analysis import na64mu
    from ..models.leptophilic import LeptophilicScalar

    opts = dict(o)
    order = opts.pop("order", 1)
    tt = na64mu.ThinTarget.from_setup(setup, **opts)
    spectrum = na64mu.production_spectrum(mass, tt, order=order)
    rel = {"eps_R": model["eps_R"], "mchi_ratio": None} if "eps_R" in model else {"mchi_ratio": model["mchi_ratio"]}

    def events(g, E):
        m = LeptophilicScalar.from_preset(model["pattern"], mass, np.asarray(g, float), g_chi=model["g_chi"], **rel)
        return np.asarray(na64mu.yield_from_spectrum(m, E, tt, spectrum), float)

    return PointYield(events, True, {"production_integral_pb_gev": spectrum.integral_pb_gev,
                                     "decay_distance_cm": float(tt.decay_distance_cm)})


def _make_mu_to_e(mass, model, o, seed, setup):
    """mu N -> e N phi at NA64-mu (the e->mu paper's future work, Sec. V): produced phi per MOT and
    the efficiency of the proposed selection once per mass at h_ref; N(h) = yield x efficiency x
    MOT x (h/h_ref)^2 (phi invisible: production ~ h^2, efficiency independent of h)."""
    from ..analysis.signal_mue import simulate_signal_mu_to_e

    h_ref = o["reference_coupling"]
    res = simulate_signal_mu_to_e(setup, mass, h_ref, events=o["events"], seed=seed_int(seed), method=o["method"])
    per_mot = _selected_per_exposure(res, mass, "simulate_signal_mu_to_e")

    def events(g, E):
        return per_mot * E * (np.asarray(g, float) / h_ref) ** 2

    return PointYield(events, False, {"efficiency": float(res.efficiency), "yield_per_mot_ref": float(res.yield_per_eot)},
                      _mc_precision(res))


def _resolve_mu_to_e(o, setup):
    from ..analysis.signal_mue import MUE_CUTS
    from ..detector.setup import load_setup

    import warnings

    from ..particles import M_MU
    from ..units import C_CM_PER_S

    st = load_setup(setup)
    if str(st.beam.particle) not in ("mu-", "mu+"):
        raise InputError("setup", f"mu -> e phi needs a muon beam; setup {st.name!r} has {st.beam.particle!r}")
    # muon decays in flight just upstream of the target give the same signature (an e+- showering in
    # the target, the neutrinos missing): gamma c tau_mu per metre, tau_mu = 2.1969811e-6 s (PDG)
    per_m = 100.0 / (float(st.beam.energy_gev) / M_MU * C_CM_PER_S * 2.1969811e-6)
    note = (f"backgrounds of mu -> e phi are not estimated: muon decays in flight upstream of the target "
            f"(mu -> e nu nu, {per_m:.2g} per MOT per metre at {float(st.beam.energy_gev):g} GeV) give the same "
            "signature unless the beam line identifies them; these limits assume no background (optimistic)")
    warnings.warn(note, UserWarning, stacklevel=2)
    return {"beam": str(st.beam.particle), "energy_gev": float(st.beam.energy_gev), "background_note": note,
            "final": "e-" if st.beam.particle == "mu-" else "e+", "selection": dict(MUE_CUTS), **dict(o)}


def _import_mue():
    from ..analysis import signal_mue  # noqa: F401  (warm-up: the import is the cost)


def _selected_per_exposure(res, mass, what: str) -> float:
    """Selected signal per EOT/MOT of a simulated point (yield x efficiency), checked finite."""
    per = float(res.yield_per_eot) * float(res.efficiency)
    if not (math.isfinite(per) and per >= 0.0):
        raise RuntimeError(f"{what} returned a non-finite yield at m = {mass:g} GeV")
    return per


def _mc_precision(res) -> dict:
    """Statistical precision of a simulated point: the efficiency's binomial error and the limit's
    (N ~ g^2 x efficiency, so delta g / g = delta eff / (2 eff))."""
    eff, err = float(res.efficiency), float(res.efficiency_error)
    rel = err / eff if eff > 0 else float("inf")
    return {"events": int(res.events), "efficiency_rel_err": rel, "limit_rel_err": 0.5 * rel}


def _make_na64e(mass, model, o, seed, setup):
    from ..analysis import signal

    h_ref = o["reference_coupling"]
    kw = {"events": o["events"], "seed": seed_int(seed), "method": o["method"]}
    if "beam" in o:
        kw["beam"] = o["beam"]
    res = signal.simulate_signal(setup=setup, mass=mass, coupling=h_ref, **kw)
    per_eot = _selected_per_exposure(res, mass, "simulate_signal")

    def events(g, E):
        return per_eot * E * (np.asarray(g, float) / h_ref) ** 2

    return PointYield(events, False, {"efficiency": float(res.efficiency), "yield_per_eot_ref": float(res.yield_per_eot)},
                      _mc_precision(res))


def _make_na64mu_simulation(mass, model, o, seed, setup):
    """The NA64-mu detector chain for the leptophilic scalar (mu N -> mu N S off the beam muon, the
    muon transported through the setup, the NA64-mu selection): produced S per MOT and the
    selection efficiency once per mass at a reference g_ref; N(g) = yield x efficiency x MOT x
    (g/g_ref)^2 x <BR_inv + BR_vis exp(-d_i/L_i)>_selected, the kept fraction of the decays in flight
    (NA64-mu paper Fig. 2) averaged over the selected events with their weights, S energies and
    distances d_i from their vertex to the end of the last calorimeter
    (:func:`leptoportal.analysis.signal.selected_scalars`).  Exact in g: production ~ g^2, kinematics
    and selection independent of g, the widths evaluated at every g."""
    from ..analysis import signal
    from ..models.decay import mean_kept_fraction, proper_distance_cm
    from ..models.leptophilic import LeptophilicScalar

    g_ref = o["reference_coupling"]
    res = signal.simulate_signal_muon_beam(setup, mass, g_ref, events=o["events"], seed=seed_int(seed),
                                           method=o["method"], preset=model["pattern"], form_factor=o["form_factor"])
    per_mot = _selected_per_exposure(res, mass, "simulate_signal_muon_beam")
    rel = {"eps_R": model["eps_R"], "mchi_ratio": None} if "eps_R" in model else {"mchi_ratio": model["mchi_ratio"]}
    sel = signal.selected_scalars(res, setup)
    if sel["weight"].size and float(np.sum(sel["weight"])) > 0:
        # once per mass; E_S >= m_S up to the generator's rounding (a few ulp), hence the clip
        u = proper_distance_cm(mass, np.maximum(sel["energy_gev"], mass), sel["distance_cm"])
        w = sel["weight"]
    else:  # nothing selected: per_mot is 0
        u = w = None

    def events(g, E):
        g = np.asarray(g, float)
        m = LeptophilicScalar.from_preset(model["pattern"], mass, g, g_chi=model["g_chi"], **rel)
        kept = m.br_invisible() if u is None else mean_kept_fraction(m.width_chichi(), m.width_visible(), u, w)
        return per_mot * E * (g / g_ref) ** 2 * np.asarray(kept, float)

    info = {"efficiency": float(res.efficiency), "yield_per_mot_ref": float(res.yield_per_eot)}
    if w is not None:  # the selected S's mean distance to the end of the last calorimeter
        info["decay_distance_cm_mean"] = float(np.average(sel["distance_cm"], weights=w))
    return PointYield(events, True, info, _mc_precision(res))


def _resolve_na64mu_simulation(o, setup):
    from ..analysis.signal import production_nuclei
    from ..detector.setup import load_setup

    st = load_setup(setup)
    if str(st.beam.particle) not in ("mu-", "mu+"):
        raise InputError("setup", f"the na64mu-simulation provider needs a muon beam; setup {st.name!r} has "
                                  f"{st.beam.particle!r}")
    ecal = st.ecal
    return {"beam": str(st.beam.particle), "energy_gev": float(st.beam.energy_gev), "active_target": ecal.name,
            "active_target_length_cm": float(ecal.thickness_cm),
            "nuclei": list(production_nuclei(ecal.shower_medium())), **_decay_volume(st), **dict(o)}


def _decay_volume(st) -> dict:
    """Where a visible decay in flight stops removing the event: the end of the last calorimeter."""
    last = st.last_calorimeter
    return {"last_calorimeter": last.name, "last_calorimeter_end_cm": float(last.z_end_cm)}


def _resolve_na64mu(o, setup):
    import warnings

    from ..analysis import na64mu
    from ..detector.setup import load_setup

    opts = dict(o)
    order = opts.pop("order", 1)
    tt = na64mu.ThinTarget.from_setup(setup, **opts)
    out = {**tt.resolved(), **_decay_volume(load_setup(setup)), "order": order}
    if opts.get("dedy_gev_per_cm") is not None:  # a stated <dE/dy>: say when it is not the target's
        try:
            mip = na64mu.min_ionising_dedx(tt.target)
        except InputError:
            mip = None
        if mip is not None and abs(tt.dedy_gev_per_cm / mip - 1.0) > 0.1:
            note = (f"provider.dedy_gev_per_cm = {tt.dedy_gev_per_cm:g} GeV/cm is not the minimum-ionising loss of "
                    f"the target {tt.target} ({mip:.4g} GeV/cm); it is used as given (omit it to use the target's)")
            out["dedy_note"] = note
            warnings.warn(note, UserWarning, stacklevel=2)
    return out


def _selection(o):
    from ..analysis.missing_energy import Selection

    return Selection(x_min=o.get("x_min", 0.0), recoil_max_gev=o.get("recoil_max_gev"),
                     missing_energy_min_gev=o.get("missing_energy_min_gev"), efficiency=o["efficiency"])


def _grid_kw(o):
    return {k: o[k] for k in ("method", "form_factor", "order", "n_showers") if k in o}


def _make_missing_energy(mass, model, o, seed, setup):
    """Production along the beam track, a thin foil or the shower (whichever the setup describes)
    into the signal region, once per mass per unit g_l^2 on quadrature nodes (S energy E_i, depth
    z_i, weight w_i; :func:`leptoportal.analysis.missing_energy.production_grid`);
    N(g) = exposure x efficiency x g_l(g)^2 x sum_i w_i x <BR_inv + BR_vis exp(-d_i/L_i)>, the kept
    fraction of the decays in flight (NA64-mu paper Fig. 2; :func:`leptoportal.models.decay.
    mean_kept_fraction`) with d_i the distance from the node's depth to the end of the setup's last
    calorimeter."""
    from ..analysis.missing_energy import beam_coupling, production_grid
    from ..detector.setup import load_setup
    from ..models.decay import mean_kept_fraction, proper_distance_cm
    from ..models.leptophilic import LeptophilicScalar

    st = load_setup(setup)
    grid = production_grid(st, mass, _selection(o), **_grid_kw(o))
    total, eff = grid.total(), float(o["efficiency"])
    rel = {"eps_R": model["eps_R"], "mchi_ratio": None} if "eps_R" in model else {"mchi_ratio": model["mchi_ratio"]}
    end = float(st.last_calorimeter.z_end_cm)
    keep = grid.weight > 0
    u = proper_distance_cm(mass, np.maximum(grid.e_s[keep], mass), np.maximum(end - grid.z_cm[keep], 0.0))
    w = grid.weight[keep]

    def events(g, E):
        g = np.asarray(g, float)
        m = LeptophilicScalar.from_preset(model["pattern"], mass, g, g_chi=model["g_chi"], **rel)
        gl = np.asarray(beam_coupling(m, grid.lepton), float)
        kept = mean_kept_fraction(m.width_chichi(), m.width_visible(), u, w) if w.size else m.br_invisible()
        return E * eff * total * gl ** 2 * np.asarray(kept, float)

    info = {"produced_per_beam_unit_coupling": total, "efficiency": eff, "last_calorimeter_end_cm": end}
    return PointYield(events, True, info)


def _resolve_missing_energy(o, setup, model=None):
    from ..analysis.missing_energy import production_mode
    from ..detector.setup import load_setup

    st = load_setup(setup)
    mode = production_mode(st)
    if mode != "beam-track" and (model or {}).get("pattern") == "muon-specific":
        raise InputError("model.pattern", f"the muon-specific scalar has g_e = 0: the {st.beam.particle} beam of "
                         f"setup {st.name!r} cannot produce it (use lepton-specific)")
    for k in ("efficiency", "efficiency_source"):
        if k not in o or (k == "efficiency_source" and not o[k].strip()):
            raise InputError(f"provider.{k}", "required: the efficiency of the cuts beyond the signal region and "
                             "where it comes from (a paper and section, or 'assumed: ...')")
    sel = _selection(o)  # validates the signal region
    out = {"beam": str(st.beam.particle), "energy_gev": float(st.beam.energy_gev), "production": mode,
           **sel.resolved(), **{k: v for k, v in o.items() if k not in sel.resolved()}}
    out["last_calorimeter"] = st.last_calorimeter.name
    out["last_calorimeter_end_cm"] = float(st.last_calorimeter.z_end_cm)
    if st.target is not None and mode != "shower":
        out.update(target=st.target.material, target_length_cm=float(st.target.length_cm))
    else:
        out.update(active_target=st.ecal.name, active_target_length_cm=float(st.ecal.thickness_cm))
    return out


def _import_missing_energy():
    from ..analysis import missing_energy  # noqa: F401  (warm-up: the import is the cost)


def _import_na64mu():
    from ..analysis import na64mu  # noqa: F401  (warm-up: the import is the cost)


def _import_signal():
    from ..analysis import signal  # noqa: F401  (warm-up: the import is the cost)


register_provider(YieldProvider(
    "na64mu-thin-target", _make_na64mu, "NA64-mu thin-target yield, Eq. (3.1) of arXiv:1807.03790",
    {"dedy_gev_per_cm": (float, None, "dedy"), "x_min": (float, None, "x_min"),
     "method": (str, None, ("iww", "ww", "etl")), "form_factor": (str, None, ("elastic", "atomic-nuclear")),
     "order": (int, None, "order")},
    models=("leptophilic",), warm=_import_na64mu, needs_setup=True, resolve=_resolve_na64mu,
    from_setup={"energy_gev": "[beam] energy_gev", "beam": "[beam] particle", "target": "[target] material",
                "target_length_cm": "[target] length_cm", "n_atoms_per_cm3": "[target] material"}))
register_provider(YieldProvider(
    "na64mu-simulation", _make_na64mu_simulation,
    "NA64-mu detector chain for the leptophilic scalar (yield per MOT x efficiency x BR_inv)",
    {"events": (int, 100_000, "events"), "method": (str, "ww", ("etl", "ww", "iww")),
     "reference_coupling": (float, 1e-4, "coupling"), "form_factor": (str, "atomic-nuclear", ("elastic", "atomic-nuclear"))},
    models=("leptophilic",), warm=_import_signal, needs_setup=True, resolve=_resolve_na64mu_simulation, cost_s=1.0))
register_provider(YieldProvider(
    "na64mu-mu-to-e", _make_mu_to_e,
    "NA64-mu mu N -> e N phi for the LFV scalar (yield per MOT x efficiency of the proposed selection)",
    {"events": (int, 100_000, "events"), "method": (str, "ww", ("etl", "ww", "iww")),
     "reference_coupling": (float, 1e-4, "coupling")},
    models=("lfv-scalar",), warm=_import_mue, needs_setup=True, resolve=_resolve_mu_to_e, cost_s=1.0))
register_provider(YieldProvider(
    "na64e-simulation", _make_na64e, "NA64e e->mu signal simulation (yield_per_eot x efficiency)",
    {"events": (int, 100_000, "events"), "method": (str, "ww", ("etl", "ww", "iww")),
     "reference_coupling": (float, 1e-4, "coupling"), "beam": (str, None, ("e-", "e+"))},
    models=("lfv-scalar",), warm=_import_signal, needs_setup=True, cost_s=1.3))
register_provider(YieldProvider(
    "missing-energy", _make_missing_energy,
    "leptophilic S from the beam track, a thin foil or the EM shower into a missing-energy/recoil signal "
    "region, times a stated efficiency (any beam and target)",
    {"efficiency": (float, None, "fraction"), "efficiency_source": (str, None, None),
     "x_min": (float, None, "x_min"), "recoil_max_gev": (float, None, "energy"),
     "missing_energy_min_gev": (float, None, "energy"), "method": (str, "ww", ("etl", "ww", "iww")),
     "form_factor": (str, "atomic-nuclear", ("elastic", "atomic-nuclear")), "order": (int, None, "order"),
     "n_showers": (int, None, "events")},
    models=("leptophilic",), warm=_import_missing_energy, needs_setup=True, resolve=_resolve_missing_energy,
    resolve_takes_model=True, cost_s=0.5))
