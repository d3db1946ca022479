"""Reach-scan configuration: a TOML file (or a shipped name), validated once, up front.

Every problem is reported as one :class:`~leptoportal.errors.InputError` naming the
offending key as ``section.key`` (e.g. ``masses.n``, ``exposures``, ``overlays[2].kind``),
which the CLI prints as one line with exit code 2.  Every key with its type, unit and default:
:mod:`leptoportal.reach.schema` (the loader takes the allowed keys from there; docs/reach.md
and the shipped JSON Schema are generated from it).  In short (all sections but ``masses`` and
``provider`` optional)::

    title = "..."                  # free text for the plot and reach.json
    source = "..."                 # where the setup/numbers come from
    setup = "na64e"                # a shipped setup name, or a .toml path (relative to this config's folder); loaded once
    exposures = [1e11]             # EOT or MOT, one curve each (or `exposure = 1e11`)
    exposure_unit = "EOT"          # "EOT" | "MOT"
    observed_events = [0]          # events observed, one count per exposure (a bare count with one
                                   # exposure); omit for a projection (median expected limit only)
    cl = 0.9                       # confidence level in (0, 1)
    seed = 1                       # root of every random stream (SeedSequence(seed).spawn)

    [model]        name = "lfv-scalar" | "leptophilic"; leptophilic also: pattern
                   ("muon-specific" | "lepton-specific"), g_chi, mchi_ratio | eps_R
    [statistics]   method = "auto" | "asymptotic" | "poisson" | "neyman" | "toys"
                            | "background-free";  rule = "exact" | "3events" (background-free);
                   prior = "gamma" | "truncnorm"; n_toys  (the median expected limit always;
                   the observed one beside it when ``observed_events`` is given)
    [background]   source = "none" | "fixed" | "na64e-estimate";
                   fixed: per_exposure (events per EOT/MOT), sigma_rel;
                   na64e-estimate: eot, seed, sigma_rel (optional extra systematic),
                   hadron_decays, max_dimuon_events, n_showers (passed to backgrounds.estimate)
    [masses]       values = [...]  or  min, max, n, log (default true);  quick_n
    [coupling]     min, max, points_per_decade, label (axis label, LaTeX allowed)
    [provider]     name = a registered yield provider; its own options (see providers.py)
    [[overlays]]   kind = "g2-band" | "g2-excluded" | "relic" | "relic-lfv" | "sidm", + options
    [plot]         xlim, ylim, legend_loc, curve_color, curve_labels
    [paper]        a published number to compare with: mass_gev, coupling, source, explanation,
                   no_selection_label (reach.json "paper_comparison", the end-of-run summary, the plot)
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..domains import DOMAINS, N_MASSES_MAX, check
from ..errors import InputError
from .shipped import decode_toml_bytes, is_setup_path, shipped_configs
from .keys import (BACKGROUND_SOURCES, EXPOSURE_UNITS, MODEL_NAMES, PATTERNS, STAT_METHODS, is_num, no_unknown, get_num,
                   get_str, get_table)
from .overlay_config import parse_overlays
from .schema import allowed

__all__ = ["ReachConfig", "load_config", "parse_config", "experiment_config", "catalogue", "STAT_METHODS"]

_TOP_KEYS = allowed("")


@dataclass(frozen=True)
class ReachConfig:
    """A validated reach configuration (see the module docstring for the TOML schema)."""

    name: str
    title: str
    source: str
    setup: str
    exposures: tuple
    exposure_unit: str
    cl: float
    seed: int
    model: dict
    statistics: dict
    background: dict
    masses: tuple
    coupling: dict
    provider: dict
    overlays: tuple
    plot: dict
    paper: dict = field(default_factory=dict)
    #: events observed, one count per exposure (``observed_events``), or None: no observation (a
    #: projection); with it the scan computes the observed limit beside the median expected one
    observed_events: tuple | None = None
    raw: dict = field(repr=False, compare=False, default_factory=dict)
    #: the :class:`~leptoportal.detector.setup.Setup` loaded when the config was parsed (a provider
    #: that simulates the detector needs it), else None; the scan passes it down instead of the name
    loaded_setup: object = field(repr=False, compare=False, default=None)
    #: the values actually used: ``setup`` (its beam, name and a hash of every number it holds) and
    #: ``provider`` (the provider's own resolution, e.g. Eq. 3.1's energy, target, length)
    resolved: dict = field(default_factory=dict)
    #: what the command line changed (reach --energy / --exposure / --masses)
    overrides: dict = field(default_factory=dict)

    def setup_or_name(self):
        """The loaded setup if parsing loaded it, else the setup name (loaded by whoever needs it)."""
        return self.loaded_setup if self.loaded_setup is not None else self.setup

    def inputs(self) -> dict:
        """Everything that determines the scan's numbers (JSON-serialisable, canonical)."""
        # a loaded setup is keyed by its contents (resolved.setup.sha256), not by where its file lies
        setup = self.loaded_setup.name if self.loaded_setup is not None else self.setup
        return {
            "setup": setup, "exposures": list(self.exposures), "exposure_unit": self.exposure_unit,
            "cl": self.cl, "seed": self.seed, "model": self.model, "statistics": self.statistics,
            "background": self.background, "masses_gev": list(self.masses), "coupling": self.coupling,
            "provider": self.provider, "resolved": self.resolved, "overrides": self.overrides,
            # only when present: a projection's resume key is the one it had before observations existed
            **({"observed_events": list(self.observed_events)} if self.observed_events is not None else {}),
        }

    def inputs_hash(self) -> str:
        """SHA-256 of :meth:`inputs` (canonical JSON, floats via repr): the resume key."""
        text = json.dumps(self.inputs(), sort_keys=True, separators=(",", ":"), default=repr)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        d = self.inputs()
        d["setup_file"] = self.setup  # as the config names it (inputs() keys the setup by its contents)
        d.update({"name": self.name, "title": self.title, "source": self.source,
                  "overlays": list(self.overlays), "plot": self.plot, "paper": self.paper})
        m = self.raw.get("masses")
        if isinstance(m, dict) and "quick_n" in m:
            d["masses_quick_n"] = m["quick_n"]  # the grid of --quick
        return d

    def with_overrides(self, *, stat: str | None = None, quick: bool = False, seed: int | None = None,
                       energy: float | None = None, exposures=None, masses=None) -> "ReachConfig":
        """Copy with the CLI's --stat / --quick / --seed / --energy / --exposure / --masses applied
        (re-validated); --energy replaces the setup's beam energy, the others the config's keys;
        the last three are recorded in :attr:`overrides` (outputs and resume hash).  --energy and
        --exposure are refused for a config with ``observed_events`` (a count belongs to its run)."""
        raw = copy.deepcopy(self.raw)
        overrides = dict(self.overrides)
        setup_obj = self.loaded_setup
        if energy is not None:
            check(energy, "energy", "--energy")
            if setup_obj is None:
                raise InputError("--energy", f"provider {self.provider['name']!r} does not simulate the setup's beam")
            import dataclasses

            setup_obj = dataclasses.replace(setup_obj, beam=dataclasses.replace(setup_obj.beam,
                                                                                energy_gev=float(energy)))
            overrides["energy_gev"] = float(energy)
        for opt, value in (("--energy", energy), ("--exposure", exposures)):
            if value is not None and "observed_events" in raw:
                raise InputError(opt, "the config states observed_events: an observed count belongs to the run it was "
                                 "taken in (its beam energy and exposure); for a projection of another run remove "
                                 "observed_events from (a copy of) the config")
        if exposures is not None:
            raw["exposures"] = [float(x) for x in exposures]
            raw.pop("exposure", None)
            overrides["exposures"] = [float(x) for x in exposures]
            if isinstance(raw.get("plot"), dict):
                raw["plot"] = {k: v for k, v in raw["plot"].items() if k != "curve_labels"}
        if masses is not None:
            raw["masses"] = sorted({float(m) for m in masses})
            overrides["masses_gev"] = raw["masses"]
        if stat is not None:
            if stat not in STAT_METHODS:
                raise InputError("--stat", f"must be one of {', '.join(STAT_METHODS)}; got {stat!r}")
            st = raw.setdefault("statistics", {})
            if not isinstance(st, dict):
                raise InputError("statistics", "must be a table")
            st["method"] = stat
            if stat == "background-free":
                st.setdefault("rule", "exact")
            else:
                st.pop("rule", None)
        if seed is not None:
            raw["seed"] = seed
        cfg = _parse(raw, self.name, setup_obj, overrides)
        if quick:
            m = np.asarray(cfg.masses)
            mraw = cfg.raw.get("masses", {})
            n = int(mraw.get("quick_n", 6)) if isinstance(mraw, dict) else 6
            if len(m) > n:
                idx = np.unique(np.round(np.linspace(0, len(m) - 1, n)).astype(int))
                m = m[idx]
            object.__setattr__(cfg, "masses", tuple(float(x) for x in m))
            object.__setattr__(cfg, "plot", {**cfg.plot, "overlay_points": min(cfg.plot["overlay_points"], 12)})
        return cfg


# ------------------------------------------------------------------------ parsing
def _parse_model(raw: dict) -> dict:
    d = get_table(raw, "model")
    name = get_str(d, "name", "model", default="lfv-scalar", choices=MODEL_NAMES)
    if name == "leptophilic":
        no_unknown(d, allowed("model"), "model")
        out = {"name": name, "pattern": get_str(d, "pattern", "model", default="muon-specific", choices=PATTERNS),
               "g_chi": get_num(d, "g_chi", "model", default=1.0, lo=0.0, lo_open=True)}
        if "mchi_ratio" in d and "eps_R" in d:
            raise InputError("model.eps_R", "give either model.mchi_ratio (m_chi = m_S/ratio, Eq. 2.8) or model.eps_R (Eq. 2.9), not both")
        if "eps_R" in d:
            out["eps_R"] = get_num(d, "eps_R", "model", lo=0.0, lo_open=True)
        else:
            out["mchi_ratio"] = get_num(d, "mchi_ratio", "model", default=3.0, lo=0.0, lo_open=True)
        return out
    no_unknown(d, {"name"}, "model")
    return {"name": name}


def _parse_statistics(raw: dict) -> dict:
    d = get_table(raw, "statistics")
    if "n_obs" in d:
        raise InputError("statistics.n_obs", "is replaced by the top-level key `observed_events` (one count per "
                         "exposure, beside `exposures`): the median expected limit is always computed, the observed "
                         "one beside it")
    no_unknown(d, allowed("statistics"), "statistics")
    method = get_str(d, "method", "statistics", default="auto", choices=STAT_METHODS)
    out = {"method": method}
    if method == "background-free":
        out["rule"] = get_str(d, "rule", "statistics", default="exact", choices=("exact", "3events"))
        for k in ("prior", "n_toys"):
            if k in d:
                raise InputError(f"statistics.{k}", "not used with method = 'background-free'")
    else:
        if "rule" in d:
            raise InputError("statistics.rule", "only used with method = 'background-free'")
        out["prior"] = get_str(d, "prior", "statistics", default="gamma", choices=("gamma", "truncnorm"))
        out["n_toys"] = get_num(d, "n_toys", "statistics", default=40_000, lo=100, integer=True)
    return out


def _parse_observed(raw: dict, exposures: tuple, stats_cfg: dict) -> tuple | None:
    """``observed_events``: the events a run observed, one count per exposure (a list as long as
    ``exposures``), or a bare count when there is exactly one exposure; None when absent.

    A count belongs to the data set it was taken with, i.e. to one exposure: a bare count with
    several exposures is ambiguous and refused.  ``rule = "3events"`` (background free, 95 % CL)
    is a rule for zero observed events only, so it accepts 0 and nothing else."""
    if "observed_events" not in raw:
        return None
    v = raw["observed_events"]
    n_exp = len(exposures)
    what = "a count of events (integer >= 0)"
    if isinstance(v, list):
        if len(v) != n_exp:
            raise InputError("observed_events", f"needs one count per exposure ({n_exp} exposure(s)); got {len(v)}: {v!r}")
        counts, names = v, [f"observed_events[{i}]" for i in range(n_exp)]
    elif n_exp != 1:
        raise InputError("observed_events", f"a bare count needs exactly one exposure; the config has {n_exp}: give "
                         f"a list with one count per exposure, e.g. [{', '.join(['0'] * n_exp)}]")
    else:
        counts, names = [v], ["observed_events"]
    out = []
    for x, name in zip(counts, names):
        if isinstance(x, bool) or not isinstance(x, int) or x < 0:
            raise InputError(name, f"must be {what}; got {x!r}")
        if stats_cfg.get("rule") == "3events" and x != 0:
            raise InputError(name, "the '3events' rule (>= 3 signal events, background free, 95% CL) is defined for 0 "
                             f"observed events only; got {x}: use statistics.rule = 'exact' or a Poisson method")
        out.append(int(x))
    return tuple(out)


def _parse_background(raw: dict) -> dict:
    d = get_table(raw, "background")
    source = get_str(d, "source", "background", default="none", choices=BACKGROUND_SOURCES)
    if source == "none":
        no_unknown(d, {"source"}, "background")
        return {"source": "none"}
    if source == "fixed":
        no_unknown(d, {"source", "per_exposure", "sigma_rel", "reference"}, "background")
        return {"source": source, "per_exposure": get_num(d, "per_exposure", "background", required=True, lo=0.0),
                "sigma_rel": get_num(d, "sigma_rel", "background", default=0.0, lo=0.0),
                "reference": get_str(d, "reference", "background", default="")}
    no_unknown(d, allowed("background") - {"per_exposure", "reference"}, "background")
    out = {"source": source, "eot": get_num(d, "eot", "background", default=1.5e11, lo=0.0, lo_open=True),
           "seed": get_num(d, "seed", "background", default=1, lo=0, integer=True),
           "sigma_rel": get_num(d, "sigma_rel", "background", default=0.0, lo=0.0)}
    for k in ("hadron_decays", "max_dimuon_events", "n_showers"):  # passed on to backgrounds.estimate
        if k in d:
            out[k] = get_num(d, k, "background", lo=1, integer=True)
    return out


def _parse_masses(raw: dict) -> tuple:
    if "masses" not in raw:
        raise InputError("masses", "is required: a list of masses in GeV or a table {min, max, n, log}")
    v = raw["masses"]
    if isinstance(v, list):
        vals = v
        path = "masses"
    elif isinstance(v, dict):
        no_unknown(v, allowed("masses"), "masses")
        get_num(v, "quick_n", "masses", default=6, domain="n_masses")
        if "values" in v:
            for k in ("min", "max", "n", "log"):
                if k in v:
                    raise InputError(f"masses.{k}", "give either masses.values or masses.{min,max,n,log}, not both")
            vals = v["values"]
            path = "masses.values"
            if not isinstance(vals, list):
                raise InputError(path, f"must be a list of masses in GeV; got {vals!r}")
        else:
            lo = get_num(v, "min", "masses", required=True, domain="mass")
            hi = get_num(v, "max", "masses", required=True, domain="mass")
            n = get_num(v, "n", "masses", required=True, domain="n_masses")
            log = v.get("log", True)
            if not isinstance(log, bool):
                raise InputError("masses.log", f"must be true or false; got {log!r}")
            if hi < lo or (n > 1 and hi == lo):
                raise InputError("masses.max", f"must be > masses.min = {lo:g} GeV; got {hi:g}")
            vals = (np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)).tolist()
            path = "masses"
    else:
        raise InputError("masses", f"must be a list of masses in GeV or a table {{min, max, n, log}}; got {type(v).__name__}")
    if len(vals) == 0:
        raise InputError(path, "is empty: give at least one mass in GeV")
    if len(vals) > N_MASSES_MAX:
        raise InputError(path, f"{len(vals)} masses: at most {N_MASSES_MAX} per scan")
    for i, m in enumerate(vals):
        if isinstance(m, bool) or not isinstance(m, (int, float)):
            raise InputError(f"{path}[{i}]", DOMAINS["mass"].message(m))
        check(m, "mass", f"{path}[{i}]")
    arr = np.asarray(vals, float)
    if len(np.unique(arr)) != len(arr):
        raise InputError(path, "contains repeated masses")
    return tuple(float(x) for x in np.sort(arr))


def _parse_coupling(raw: dict, model: dict) -> dict:
    d = get_table(raw, "coupling")
    no_unknown(d, allowed("coupling"), "coupling")
    lo = get_num(d, "min", "coupling", default=1e-7, domain="coupling")
    hi = get_num(d, "max", "coupling", default=1.0, domain="coupling")
    if hi <= lo:
        raise InputError("coupling.max", f"must be > coupling.min = {lo:g}; got {hi:g}")
    default_label = r"$g_\mu$" if model["name"] == "leptophilic" else r"$h$"
    return {"min": lo, "max": hi,
            "points_per_decade": get_num(d, "points_per_decade", "coupling", default=8, lo=2, hi=200, integer=True),
            "label": get_str(d, "label", "coupling", default=default_label)}


def _parse_setup(raw: dict, loaded=None) -> tuple:
    """(setup name or path, the loaded Setup or None).  When the provider simulates a detector the
    setup is loaded here, once (an unknown name fails here, naming ``setup``); ``loaded``: a Setup
    already loaded for this name (re-validation of the same config), used as it is."""
    from ..detector.setup import load_setup
    from .providers import get_provider

    name = get_str(raw, "setup", "", default="na64e")
    prov = raw.get("provider")
    if isinstance(prov, dict) and isinstance(prov.get("name"), str):
        try:
            needs = get_provider(prov["name"]).needs_setup
        except InputError:
            needs = False  # reported by _parse_provider
        if needs:
            return name, loaded if loaded is not None else load_setup(name)
    return name, None


def _parse_provider(raw: dict, model: dict) -> dict:
    from .providers import get_provider

    if "provider" not in raw:
        raise InputError("provider", "is required: a table with `name` = a registered yield provider")
    d = get_table(raw, "provider")
    name = get_str(d, "name", "provider", required=True)
    prov = get_provider(name)  # InputError naming provider.name if unknown
    opts = {k: v for k, v in d.items() if k != "name"}
    return {"name": name, **prov.validate(opts, model)}


def _parse_paper(raw: dict) -> dict:
    """The published number the scan is compared with (optional)."""
    if "paper" not in raw:
        return {}
    d = get_table(raw, "paper")
    no_unknown(d, allowed("paper"), "paper")
    return {"mass_gev": get_num(d, "mass_gev", "paper", required=True, domain="mass"),
            "coupling": get_num(d, "coupling", "paper", required=True, domain="coupling"),
            "source": get_str(d, "source", "paper", required=True),
            "explanation": get_str(d, "explanation", "paper", default=""),
            "no_selection_label": get_str(d, "no_selection_label", "paper", default="all produced, no selection")}


def _parse_plot(raw: dict) -> dict:
    d = get_table(raw, "plot")
    no_unknown(d, allowed("plot"), "plot")
    out = {}
    for k in ("xlim", "ylim"):
        if k in d:
            v = d[k]
            if not (isinstance(v, list) and len(v) == 2 and all(is_num(x) and x > 0 for x in v) and v[0] < v[1]):
                raise InputError(f"plot.{k}", f"must be [low, high] with 0 < low < high (log axis); got {v!r}")
            out[k] = [float(v[0]), float(v[1])]
    out["legend_loc"] = get_str(d, "legend_loc", "plot", default="best")
    out["curve_color"] = get_str(d, "curve_color", "plot", default="#7b2d8e")
    if "curve_labels" in d:
        v = d["curve_labels"]
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise InputError("plot.curve_labels", "must be a list of strings (one per exposure)")
        out["curve_labels"] = list(v)
    out["overlay_points"] = get_num(d, "overlay_points", "plot", default=60, lo=2, hi=2000, integer=True)
    out["reproduces"] = get_str(d, "reproduces", "plot", default="")
    if "not_drawn" in d:
        v = d["not_drawn"]
        if not (isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)):
            raise InputError("plot.not_drawn", "must be a list of non-empty strings ('what: why')")
        out["not_drawn"] = list(v)
    return out


def parse_config(raw: dict, *, name: str = "config") -> ReachConfig:
    """Validate a config dictionary (as read from TOML); raises InputError naming the key."""
    return _parse(raw, name, None)


def _parse(raw: dict, name: str, loaded_setup, overrides=None) -> ReachConfig:
    """:func:`parse_config`; ``loaded_setup``: the Setup of a config parsed before from the same
    ``setup`` entry (:meth:`ReachConfig.with_overrides`), reused instead of loading it again."""
    if not isinstance(raw, dict):
        raise InputError("config", "must be a TOML table")
    if "beam" in raw and "elements" in raw and "setup" not in raw:
        raise InputError("config", f"{name!r} is a setup file (an experiment's beam and detector), not a reach config: "
                         "a reach config names it with setup = \"PATH\" (leptoportal configs copy NAME DIR writes both)")
    no_unknown(raw, _TOP_KEYS, "")
    model = _parse_model(raw)
    if "exposures" in raw and "exposure" in raw:
        raise InputError("exposure", "give either `exposure` or `exposures`, not both")
    if "exposures" in raw:
        ex = raw["exposures"]
        if not isinstance(ex, list):
            raise InputError("exposures", f"must be a list of EOT/MOT numbers > 0; got {ex!r}")
        if len(ex) == 0:
            raise InputError("exposures", "is empty: give at least one EOT/MOT number > 0")
        for i, x in enumerate(ex):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise InputError(f"exposures[{i}]", DOMAINS["exposure"].message(x))
            check(x, "exposure", f"exposures[{i}]")
        exposures = tuple(float(x) for x in ex)
    elif "exposure" in raw:
        exposures = (get_num(raw, "exposure", "", domain="exposure"),)
    else:
        raise InputError("exposures", "is required: a list of EOT/MOT numbers > 0")
    if len(set(exposures)) != len(exposures):
        raise InputError("exposures", "contains repeated values")
    stats_cfg = _parse_statistics(raw)
    cl = get_num(raw, "cl", "", default=0.9, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    if stats_cfg.get("rule") == "3events" and not math.isclose(cl, 0.95):
        raise InputError("cl", f"the '3events' rule is a 95% CL rule: cl must be 0.95; got {cl:g}")
    title = get_str(raw, "title", "", default=name)
    source = get_str(raw, "source", "", default="")
    setup, setup_obj = _parse_setup(raw, loaded_setup)
    cfg = ReachConfig(
        name=name,
        title=title,
        source=source,
        setup=setup,
        exposures=exposures,
        exposure_unit=get_str(raw, "exposure_unit", "", default="EOT", choices=EXPOSURE_UNITS),
        cl=cl,
        seed=get_num(raw, "seed", "", default=1, domain="seed"),
        model=model,
        statistics=stats_cfg,
        background=_parse_background(raw),
        masses=_parse_masses(raw),
        coupling=_parse_coupling(raw, model),
        provider=_parse_provider(raw, model),
        overlays=parse_overlays(raw, model, experiment_config),
        plot=_parse_plot(raw),
        paper=_parse_paper(raw),
        observed_events=_parse_observed(raw, exposures, stats_cfg),
        raw=copy.deepcopy(raw),
        loaded_setup=setup_obj,
        overrides=dict(overrides or {}),
    )
    object.__setattr__(cfg, "resolved", _resolve(cfg))
    if cfg.statistics["method"] == "background-free" and cfg.background["source"] != "none":
        raise InputError("background.source", "must be 'none' (or omitted) with statistics.method = 'background-free'")
    if "curve_labels" in cfg.plot and len(cfg.plot["curve_labels"]) != len(cfg.exposures):
        raise InputError("plot.curve_labels", f"needs one label per exposure ({len(cfg.exposures)})")
    return cfg


def _resolve(cfg: ReachConfig) -> dict:
    """The values actually used, from the loaded setup and the provider (errors name the key)."""
    from .providers import get_provider

    out = {}
    st = cfg.loaded_setup
    if st is not None:
        import dataclasses

        out["setup"] = {"name": st.name, "beam": {"particle": st.beam.particle, "energy_gev": st.beam.energy_gev},
                        # every number of the setup, not where its file lies
                        "sha256": hashlib.sha256(repr(dataclasses.replace(st, path="")).encode("utf-8")).hexdigest()}
    prov = get_provider(cfg.provider["name"])
    if prov.resolve is not None:
        opts = {k: v for k, v in cfg.provider.items() if k != "name"}
        try:
            out["provider"] = prov.resolve(opts, st, **({"model": cfg.model} if prov.resolve_takes_model else {}))
        except InputError as exc:
            key = exc.parameter
            if key in prov.options:
                where = f"provider.{key}"
            elif key in prov.from_setup:
                where = f"setup {prov.from_setup[key]}"
            else:
                where = "setup.target" if key == "target" else key
            raise InputError(where, exc.message) from None
    return out


def load_config(name_or_path) -> ReachConfig:
    """Read and validate a config: a path to a ``.toml`` file or a shipped name (``na64e-lfv``)."""
    text = None
    p = Path(str(name_or_path)).expanduser()
    if p.suffix == ".toml" or p.exists():
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError("config", f"cannot read {str(p)!r}: {exc.strerror or exc}") from None
        text = decode_toml_bytes(data, str(p))
        name = p.stem
    else:
        name = str(name_or_path)
        if name not in shipped_configs():
            raise InputError("config", f"{name!r} is neither a .toml file nor a shipped config; shipped: "
                             f"{', '.join(shipped_configs())}")
        text = resources.files("leptoportal").joinpath("data", "reach", f"{name}.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("config", f"{name}: invalid TOML: {exc}") from None
    if text is not None and (p.suffix == ".toml" or p.exists()):
        setup = raw.get("setup")
        if isinstance(setup, str) and is_setup_path(setup) and not Path(setup).expanduser().is_absolute():
            raw["setup"] = str(p.parent / setup)  # a setup file is found beside the config that names it
        for ov in raw.get("overlays", []) if isinstance(raw.get("overlays"), list) else []:
            for key in ("path", "alp_file", "config"):  # a limit file, an ALP curve, another experiment
                f = ov.get(key) if isinstance(ov, dict) else None
                if key == "config" and isinstance(f, str) and not is_setup_path(f):
                    continue  # a shipped config's name
                if isinstance(f, str) and not Path(f).expanduser().is_absolute():
                    ov[key] = str(p.parent / f)  # so is a limit file
    return parse_config(raw, name=name)


def experiment_config(ref: str, raw_model: dict) -> "ReachConfig":
    """Another experiment's config (a shipped name or a .toml path) with the figure's ``[model]`` in
    place of its own and without its overlays: the experiment (setup, provider, exposures,
    statistics, masses) evaluated for the model of the figure it is drawn in."""
    cousin = load_config(ref)
    raw = copy.deepcopy(cousin.raw)
    raw["model"] = copy.deepcopy(raw_model)
    raw.pop("overlays", None)
    return parse_config(raw, name=cousin.name)


def catalogue() -> list[dict]:
    """One record per shipped config: name, title, source, setup, model, provider, exposures and
    their unit, masses (min, max, n), CL -- read through the loader, so every entry is valid."""
    out = []
    for name in shipped_configs():
        cfg = load_config(name)
        raw_m = cfg.raw.get("masses", {})
        out.append({
            "name": name, "title": cfg.title, "source": cfg.source, "setup": cfg.setup,
            "model": cfg.model.get("name"), "provider": cfg.provider.get("name"),
            "exposures": list(cfg.exposures), "exposure_unit": cfg.exposure_unit, "cl": cfg.cl,
            "masses_gev": {"min": float(min(cfg.masses)), "max": float(max(cfg.masses)), "n": len(cfg.masses),
                           "quick_n": raw_m.get("quick_n") if isinstance(raw_m, dict) else None},
        })
    return out
