"""Backgrounds of the e->mu (NA64e) and muon missing-momentum (NA64-mu) searches.

* :mod:`.dimuon`   gamma N -> mu+ mu- N in the ECAL shower (Bethe-Heitler, Geant4/[BKK02] model);
* :mod:`.hadrons`  pi-, K- decays in flight between the SRD and the ECAL;
* :mod:`.trident`  mu N -> mu N mu+ mu- for NA64-mu (equivalent-photon approximation);
* :mod:`.pipeline` Monte Carlo through shower, muon transport, response and selection.

``estimate(setup="na64e", eot=1.5e11, seed=1)`` returns a :class:`BackgroundResult` with the
rates per EOT of e->mu paper Sec. III C; ``estimate_na64mu`` the trident rate per MOT.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ...errors import InputError

__all__ = ["BackgroundResult", "MuonBackgroundResult", "estimate", "estimate_na64mu"]

#: numbers quoted by the e->mu paper (Sec. III C) and the NA64-mu paper (Sec. 3.2)
PAPER = {
    "dimuon_per_eot": 1.05e-4,
    "dimuon_after_cuts_eot_equivalent": 1.5e11,  # "removes all dimuon events"
    "decay_probability": {"pi-": 4.0e-4, "K-": 3.2e-3},
    "survival": {"pi-": 9.6e-5, "K-": 5.6e-5},
    "hadron_after_cuts_per_eot": 1.9e-11,
    "trident_per_mot": 1e-12,  # "<~"
}

MODEL_NOTE = (
    "Model uncertainty (not included in the statistical errors): dimuon cross section -- the "
    "[BKK02]/Geant4 parameterisation agrees with its own numerical integral to <1 %, but a Tsai-type "
    "evaluation with the monopole-dipole G2 form factor of xsec.formfactors is 1.3-2x larger at "
    "E_gamma = 5-100 GeV (nuclear form-factor tail; identical within 1 % in complete screening); "
    "shower photon track length (this project's cascade vs Rossi approximation A: ~1 %); "
    "hadrons -- the SRD-ECAL distance is not given by the paper (default inferred from its decay "
    "probabilities), pi/e = 1e-2 is the paper's upper bound, SRD suppression 2e-5 from the paper; "
    "detector geometry and response of the setup file are partly assumed (see its 'assumed:' notes)."
)


@dataclass
class BackgroundResult:
    """Background table for NA64e (e->mu paper Sec. III C).  Rates are per EOT."""

    setup: str
    eot: float
    seed: int
    dimuon_per_eot: float
    dimuon_per_eot_err: float
    dimuon_after_cuts_per_eot: float
    dimuon_after_cuts_per_eot_err: float
    dimuon_after_cuts_upper_limit_90: float | None
    dimuon_eot_equivalent: float
    dimuon_categories_per_eot: dict
    hadron_after_cuts_per_eot: float
    hadron_after_cuts_per_eot_err: float
    hadron_after_cuts_upper_limit_90: float | None
    hadron_survival: dict
    hadron_decay_probability: dict
    hadron_eot_equivalent: float
    total_after_cuts_per_eot: float
    total_after_cuts_per_eot_err: float
    details: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict, repr=False)
    model_note: str = MODEL_NOTE

    @property
    def dimuon_per_eot_stat_err(self) -> float:
        return self.dimuon_per_eot_err

    def table(self) -> list[dict]:
        """One row per source: rate per EOT, statistical error, 90 % CL upper limit if zero events."""
        return [
            {"source": "gamma -> mu+ mu- (before cuts)", "per_eot": self.dimuon_per_eot,
             "stat_err": self.dimuon_per_eot_err, "upper_limit_90": None, "paper": PAPER["dimuon_per_eot"]},
            {"source": "gamma -> mu+ mu- (after cuts)", "per_eot": self.dimuon_after_cuts_per_eot,
             "stat_err": self.dimuon_after_cuts_per_eot_err,
             "upper_limit_90": self.dimuon_after_cuts_upper_limit_90, "paper": 0.0},
            {"source": "pi/K -> mu nu X in flight (after cuts)", "per_eot": self.hadron_after_cuts_per_eot,
             "stat_err": self.hadron_after_cuts_per_eot_err,
             "upper_limit_90": self.hadron_after_cuts_upper_limit_90, "paper": PAPER["hadron_after_cuts_per_eot"]},
            {"source": "total (after cuts)", "per_eot": self.total_after_cuts_per_eot,
             "stat_err": self.total_after_cuts_per_eot_err, "upper_limit_90": None, "paper": None},
        ]

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in (
            "setup", "eot", "seed", "dimuon_per_eot", "dimuon_per_eot_err", "dimuon_after_cuts_per_eot",
            "dimuon_after_cuts_per_eot_err", "dimuon_after_cuts_upper_limit_90", "dimuon_eot_equivalent",
            "dimuon_categories_per_eot", "hadron_after_cuts_per_eot", "hadron_after_cuts_per_eot_err",
            "hadron_after_cuts_upper_limit_90", "hadron_eot_equivalent", "total_after_cuts_per_eot",
            "total_after_cuts_per_eot_err", "hadron_decay_probability")}
        d["hadron_survival"] = {k: {"value": v[0], "err": v[1]} for k, v in self.hadron_survival.items()}
        d["table"] = self.table()
        d["details"] = self.details
        d["paper"] = PAPER
        d["model_note"] = self.model_note
        return _finite(d)


def _finite(obj):
    """JSON-safe: numpy scalars to float, non-finite to None."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


#: the source files whose bytes determine an NA64e background estimate (the modules estimate()
#: imports, directly or not, that compute; tests/test_layers.py checks the list against the
#: import graph)
SOURCES = ("analysis/backgrounds/__init__.py", "analysis/backgrounds/dimuon.py", "analysis/backgrounds/hadrons.py",
           "analysis/backgrounds/pipeline.py", "analysis/backgrounds/trident.py", "analysis/selection.py",
           "detector/em_physics.py", "detector/media.py", "detector/muon.py", "detector/muon_loss.py",
           "detector/response.py", "detector/setup.py", "detector/shower.py", "detector/track_lengths.py",
           "materials.py", "particles.py", "quadrature.py", "units.py", "xsec/formfactors.py")
#: result fields stored in a cached estimate besides the arrays (JSON)
_CACHED_FIELDS = ("dimuon_per_eot", "dimuon_per_eot_err", "dimuon_after_cuts_per_eot", "dimuon_after_cuts_per_eot_err",
                  "dimuon_after_cuts_upper_limit_90", "dimuon_eot_equivalent", "dimuon_categories_per_eot",
                  "hadron_after_cuts_per_eot", "hadron_after_cuts_per_eot_err", "hadron_after_cuts_upper_limit_90",
                  "hadron_survival", "hadron_decay_probability", "hadron_eot_equivalent", "total_after_cuts_per_eot",
                  "total_after_cuts_per_eot_err", "details")


def _cache_key(st, eot, seed, hadron_decays, hadron_config, n_showers, max_dimuon_events) -> str:
    """Everything that changes an estimate's numbers: the whole resolved setup, the sample sizes,
    the seed, the hadron model, the package version and :data:`SOURCES` (not ``workers``: the
    estimate is the same for any number of workers)."""
    from ... import cache
    from ..._version import __version__

    return cache.cache_key({"schema": 1, "setup": repr(st), "eot": repr(float(eot)), "seed": int(seed),
                            "hadron_decays": int(hadron_decays), "hadron_config": repr(hadron_config),
                            "n_showers": int(n_showers), "max_dimuon_events": max_dimuon_events,
                            "version": str(__version__), "source": cache.source_hash(SOURCES)})


def is_cached(setup="na64e", *, eot: float = 1.5e11, seed: int = 1, hadron_decays: int = 100_000,
              hadron_config=None, n_showers: int = 200, max_dimuon_events: int | None = None) -> bool:
    """Whether :func:`estimate` with these inputs would read its result from the disk cache (a
    complete, matching file), without estimating anything."""
    from ... import cache as _cache
    from ...detector.setup import load_setup
    from .hadrons import HadronConfig

    st = load_setup(setup)
    key = _cache_key(st, eot, seed, hadron_decays, hadron_config or HadronConfig(), n_showers, max_dimuon_events)
    path = _cache.cache_dir("background") / f"na64e_{st.name}_{key[:32]}.npz"
    return _cache.load_npz(path, key, ("fields",) + tuple(f"array_{k}" for k in _ARRAYS)) is not None


def estimate(setup="na64e", *, eot: float = 1.5e11, seed: int = 1, workers: int | None = None,
             hadron_decays: int = 100_000, hadron_config=None, n_showers: int = 200,
             max_dimuon_events: int | None = None, report=None, cache: bool = True) -> BackgroundResult:
    """NA64e backgrounds for ``eot`` EOT-equivalent (e->mu paper Sec. III C).

    Dimuons: forced conversions of the shower photons (see :mod:`.pipeline`); hadrons:
    ``hadron_decays`` forced decays per channel.  ``max_dimuon_events`` caps the dimuon sample
    (the reached EOT-equivalent is then reported, smaller than ``eot``).  ``report``: optional
    callable receiving a one-line message as each stage starts and ends (the CLI prints them).
    ``cache``: keep the estimate on disk (``leptoportal.cache.cache_dir("background")``), keyed by
    every input and the sources (:func:`_cache_key`); ``details["cache"]`` says whether this one
    was read from there.
    """
    say = report or (lambda msg: None)
    from ...detector.setup import load_setup
    from . import pipeline
    from .hadrons import HadronConfig

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("seed", f"must be an integer >= 0; got {seed!r}")
    if not (isinstance(eot, (int, float)) and math.isfinite(eot) and eot > 0):
        raise InputError("eot", f"must be a finite number > 0; got {eot!r}")
    if isinstance(hadron_decays, bool) or not isinstance(hadron_decays, (int, np.integer)) or hadron_decays < 100:
        raise InputError("hadron_decays", f"must be an integer >= 100; got {hadron_decays!r}")
    st = load_setup(setup)
    if st.spectrometer is None or not str(st.beam.particle).startswith("e"):
        raise InputError("setup", f"estimate() needs an electron-beam setup with a spectrometer (NA64e); got "
                                  f"{st.name!r} -- use estimate_na64mu() for the muon beam")
    hadron_config = hadron_config or HadronConfig()
    path = key = None
    if cache:
        from ... import cache as _cache

        key = _cache_key(st, eot, seed, hadron_decays, hadron_config, n_showers, max_dimuon_events)
        path = _cache.cache_dir("background") / f"na64e_{st.name}_{key[:32]}.npz"
        hit = _cache.load_npz(path, key, ("fields",) + tuple(f"array_{k}" for k in _ARRAYS))
        if hit is not None:
            say(f"background: read from the cache ({path})")
            fields = json.loads(str(hit["fields"]))
            fields["details"]["cache"] = {"from_cache": True, "file": str(path)}
            fields["hadron_survival"] = {k: tuple(v) for k, v in fields["hadron_survival"].items()}
            return BackgroundResult(st.name, float(eot), int(seed), **fields,
                                    arrays={k: np.asarray(hit[f"array_{k}"]) for k in _ARRAYS})
    t0 = time.perf_counter()
    say(f"background 1/2: dimuon conversions in the shower for {eot:.3g} EOT-equivalent ...")
    dm = pipeline.simulate_dimuons(st, eot=eot, seed=seed, workers=workers, n_showers=n_showers,
                                   max_events=max_dimuon_events)
    t1 = time.perf_counter()
    say(f"background 1/2: dimuons done in {t1 - t0:.0f} s; 2/2: {int(hadron_decays)} forced hadron decays per "
        "channel ...")
    hd = pipeline.simulate_hadrons(st, n_per_channel=int(hadron_decays), seed=seed, config=hadron_config)
    t2 = time.perf_counter()
    say(f"background 2/2: hadron decays done in {t2 - t1:.0f} s")
    total = dm.after_cuts_per_eot + hd.per_eot
    total_err = math.hypot(dm.after_cuts_err, hd.per_eot_err)
    details = {
        "dimuon": {"e_pass_gev": dm.e_pass_gev, "simulated_conversions": dm.n_simulated,
                   "transported_muons": dm.n_transported, "rate_simulated_stratum_per_eot": dm.rate_simulated_stratum,
                   "n_showers": dm.n_showers, "shower_stat_rel_err": dm.shower_rel_err,
                   "upper_limit_note": "90% CL Poisson upper limit 2.30/EOT-equivalent, given only when no "
                                       "simulated event survives"},
        "hadron": {"d_srd_cm": hd.d_srd_cm, "d_srd_source": hd.d_srd_source,
                   "pi_per_e": hd.config.pi_per_e, "k_per_pi": hd.config.k_per_pi,
                   "srd_suppression": hd.config.srd_suppression, "decays_per_channel": int(hadron_decays)},
        "timing_s": {"dimuon": t1 - t0, "hadron": t2 - t1},
    }
    arrays = {"dimuon_e_miss": dm.e_miss_nomiss, "dimuon_w": dm.w_nomiss,
              "hadron_e_miss": hd.e_miss_nomiss, "hadron_w": hd.w_nomiss}
    res = BackgroundResult(st.name, float(eot), int(seed), dm.dimuon_per_eot, dm.dimuon_per_eot * dm.shower_rel_err,
                           dm.after_cuts_per_eot, dm.after_cuts_err, dm.upper_limit_90, dm.eot_equivalent,
                           dm.categories_per_eot, hd.per_eot, hd.per_eot_err, hd.upper_limit_90, hd.survival,
                           hd.decay_probability, hd.eot_equivalent, total, total_err, details, arrays)
    if cache:
        from ... import cache as _cache

        fields = json.dumps({k: _plain(getattr(res, k)) for k in _CACHED_FIELDS})
        _cache.save_npz(path, key, fields=np.array(fields), **{f"array_{k}": np.asarray(arrays[k]) for k in _ARRAYS})
    return res


#: the arrays of a BackgroundResult (E_miss and weights of the events without the missing-energy cut)
_ARRAYS = ("dimuon_e_miss", "dimuon_w", "hadron_e_miss", "hadron_w")


def _plain(obj):
    """JSON-able copy (numpy scalars to Python numbers; tuples to lists)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


@dataclass
class MuonBackgroundResult:
    """NA64-mu trident background per MOT (NA64-mu paper Sec. 3.2)."""

    setup: str
    mot_equivalent: float  #: simulated tridents / inclusive rate (the MC is weighted, so approximate)
    trident_inclusive_per_mot: float
    trident_after_cuts_per_mot: float
    trident_after_cuts_per_mot_err: float
    trident_after_cuts_1vs2_per_mot: float
    misid_1vs2: float
    sigma_trident_pb: float
    notes: str
    model_note: str = ("EPA leading order; Q2_max = k m_mu^2 with k in [1, 16] changes sigma by -30/+35 %; the "
                       "fake-signal criteria (soft mu- lost, merged mu+ tracks) are simplified geometry, "
                       "the 1-vs-2 misidentification uses Poisson photostatistics only")

    def to_dict(self):
        return _finite({k: getattr(self, k) for k in self.__dataclass_fields__})


def estimate_na64mu(setup="na64mu", *, n_events: int = 200_000, seed: int = 1, use_1vs2: bool = False,
                    **kw) -> MuonBackgroundResult:
    """Muon-trident background of the NA64-mu missing-momentum search (per MOT).

    Beam energy, target and its length from the setup when it has a 'target' element, else the
    NA64-mu paper's 150 GeV on 20 cm Pb (Sec. 3.1).
    """
    from .trident import simulate_trident

    energy, target, length = 150.0, "Pb", 20.0
    name = str(setup)
    try:
        from ...detector.setup import load_setup

        st = load_setup(setup)
        name = st.name
        energy = float(st.beam.energy_gev)
        tgt = st.ecal
        comps = getattr(tgt.medium, "mass_fractions", None)
        if comps and len(comps) == 1 and hasattr(comps[0][0], "elements"):
            els = comps[0][0].elements
            if len(els) == 1:
                target = els[0][0].symbol if isinstance(els[0], tuple) else getattr(els[0], "symbol", target)
        length = float(tgt.thickness_cm)
    except Exception:  # noqa: BLE001 -- a setup without these fields: paper defaults
        pass
    r = simulate_trident(energy_gev=energy, target=target, length_cm=length, n_events=n_events, seed=seed, **kw)
    after = r.fake_per_mot_1vs2 if use_1vs2 else r.fake_per_mot
    mot_eq = r.n_events / r.inclusive_per_mot if r.inclusive_per_mot > 0 else 0.0
    return MuonBackgroundResult(name, mot_eq, r.inclusive_per_mot, r.fake_per_mot, r.fake_per_mot_err,
                                r.fake_per_mot_1vs2, r.misid_1vs2, r.sigma_pb,
                                r.notes + f"; reported after-cuts rate {'with' if use_1vs2 else 'without'} 1-vs-2"
                                + f" = {after:.3g}")
