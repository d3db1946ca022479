"""The ``[[overlays]]`` of a reach config: each table validated at load, naming its key
(``overlays[i].key``).  Kinds: the built-in ``g2-band``, ``g2-excluded``, ``relic``, ``relic-lfv``,
``sidm``; any id of the constraint registry (:mod:`leptoportal.constraints.registry`) or ``file`` (a
user's limit CSV); ``experiment`` (another config's reach for this config's model,
:func:`leptoportal.reach.config.experiment_config`).  What each draws: :mod:`.overlays`."""

from __future__ import annotations


from ..errors import InputError
from .keys import PATTERNS, is_num, no_unknown, get_num, get_str

__all__ = ["OVERLAY_KINDS", "RELIC_LFV_PARAMS", "parse_overlays", "registry_model"]

OVERLAY_KINDS = ("g2-band", "g2-excluded", "relic", "relic-lfv", "sidm")


def _dm_mass_relation(ov: dict, path: str, model: dict) -> dict:
    """An overlay's m_chi relation: ``eps_R`` (NA64-mu paper Eq. 2.9) or ``mchi_ratio`` (m_chi = m_S/ratio,
    Eq. 2.8; default: the model's, else 3), not both."""
    if "mchi_ratio" in ov and "eps_R" in ov:
        raise InputError(f"{path}.eps_R", "give either mchi_ratio or eps_R, not both")
    if "eps_R" in ov:
        return {"eps_R": get_num(ov, "eps_R", path, lo=0.0, lo_open=True)}
    return {"mchi_ratio": get_num(ov, "mchi_ratio", path, default=model.get("mchi_ratio", 3.0), lo=0.0, lo_open=True)}


def parse_overlays(raw: dict, model: dict, load_experiment=None) -> tuple:
    """The config's ``[[overlays]]``, validated (kind by kind; see the module doc).  ``load_experiment(ref,
    raw_model)`` loads the config of a ``kind = "experiment"`` overlay (the loader passes
    :func:`leptoportal.reach.config.experiment_config`)."""
    v = raw.get("overlays", [])
    if not isinstance(v, list):
        raise InputError("overlays", "must be an array of tables ([[overlays]])")
    out = []
    allowed = {
        "g2-band": {"kind", "loop", "n_sigma", "determination", "label", "color", "hatch", "alpha"},
        "g2-excluded": {"kind", "loop", "n_sigma", "determination", "label", "color", "alpha"},
        "relic": {"kind", "model", "mchi_ratio", "eps_R", "g_chi", "label", "color", "linestyle"},
        "relic-lfv": {"kind", "params", "label", "color", "linestyle"},
        "sidm": {"kind", "g_chi", "mchi_ratio", "eps_R", "limit_cm2_g", "label", "color", "alpha"},
    }
    for i, ov in enumerate(v):
        path = f"overlays[{i}]"
        if not isinstance(ov, dict):
            raise InputError(path, "must be a table")
        kind = get_str(ov, "kind", path, required=True)
        if kind == "experiment":
            if load_experiment is None:
                raise InputError(f"{path}.kind", "an experiment overlay needs the config loader")
            out.append(_experiment_overlay(ov, path, raw.get("model", {}), load_experiment))
            continue
        if kind not in OVERLAY_KINDS:
            out.append(_registry_overlay(ov, kind, path, model))
            continue
        no_unknown(ov, allowed[kind], path)
        needs = {"relic-lfv": "lfv-scalar", "relic": "leptophilic", "sidm": "leptophilic"}.get(kind)
        if needs is not None and model["name"] not in (needs, "toy"):  # a toy model takes any overlay
            raise InputError(f"{path}.kind", f"the {kind!r} overlay is for model {needs!r}; the config's model is "
                             f"{model['name']!r}")
        o = {"kind": kind, "label": get_str(ov, "label", path, default="")}
        for k in ("color", "hatch", "linestyle"):
            if k in ov:
                o[k] = get_str(ov, k, path)
        if "alpha" in ov:
            o["alpha"] = get_num(ov, "alpha", path, lo=0.0, hi=1.0)
        if kind in ("g2-band", "g2-excluded"):
            default_loop = "lfv" if model["name"] == "lfv-scalar" else "diagonal"
            o["loop"] = get_str(ov, "loop", path, default=default_loop, choices=("diagonal", "lfv"))
            o["n_sigma"] = get_num(ov, "n_sigma", path, default=2.0 if kind == "g2-band" else 5.0, lo=0.0, lo_open=True)
            o["determination"] = get_str(ov, "determination", path, default=None)
            if o["determination"] is not None:
                from ..constraints.g2 import get_g2_determination

                try:
                    get_g2_determination(o["determination"])
                except InputError as exc:
                    raise InputError(f"{path}.determination", exc.message) from None
        elif kind == "relic":
            o["model"] = get_str(ov, "model", path, default=model.get("pattern", "muon-specific"), choices=PATTERNS)
            o.update(_dm_mass_relation(ov, path, model))
            o["g_chi"] = get_num(ov, "g_chi", path, default=model.get("g_chi", 1.0), lo=0.0, lo_open=True)
        elif kind == "relic-lfv":
            p = ov.get("params", {})
            if not isinstance(p, dict):
                raise InputError(f"{path}.params", "must be a table of keyword arguments")
            o["params"] = _relic_lfv_params(p, f"{path}.params")
        elif kind == "sidm":
            o["g_chi"] = get_num(ov, "g_chi", path, default=model.get("g_chi", 1.0), lo=0.0, lo_open=True)
            o.update(_dm_mass_relation(ov, path, model))
            o["limit_cm2_g"] = get_num(ov, "limit_cm2_g", path, default=1.0, lo=0.0, lo_open=True)
        out.append(o)
    return tuple(out)


def _experiment_overlay(ov: dict, path: str, raw_model: dict, load_experiment) -> dict:
    """``kind = "experiment"``: another experiment's expected reach (``config``: a shipped name or a
    .toml path beside this config; ``exposure``: one of its exposures, default the largest),
    computed by leptoportal for this config's model (``load_experiment``:
    :func:`leptoportal.reach.config.experiment_config`)."""
    no_unknown(ov, {"kind", "config", "exposure", "label", "color", "linestyle"}, path)
    ref = get_str(ov, "config", path, required=True)
    try:
        cousin = load_experiment(ref, raw_model)
    except InputError as exc:
        raise InputError(f"{path}.config", f"{ref}: {exc.parameter}: {exc.message}") from None
    exposure = max(cousin.exposures)
    if "exposure" in ov:
        exposure = get_num(ov, "exposure", path, domain="exposure")
        if exposure not in cousin.exposures:
            raise InputError(f"{path}.exposure", f"must be one of {ref}'s exposures "
                             f"({', '.join(f'{x:g}' for x in cousin.exposures)}); got {exposure:g}")
    o = {"kind": "experiment", "config": ref, "exposure": exposure, "label": get_str(ov, "label", path, default=""),
         "experiment_inputs_sha256": cousin.inputs_hash()}
    for k in ("color", "linestyle"):
        if k in ov:
            o[k] = get_str(ov, k, path)
    return o


def registry_model(model: dict):
    """The :class:`leptoportal.constraints.registry.ModelChoice` of a config's ``[model]``."""
    from ..constraints.registry import ModelChoice

    if model["name"] == "lfv-scalar":
        return ModelChoice("lfv")
    if model["name"] == "leptophilic":
        return ModelChoice(model["pattern"], g_chi=model["g_chi"], mchi_ratio=model.get("mchi_ratio"),
                           eps_R=model.get("eps_R"))
    raise InputError("model.name", f"constraint overlays need model leptophilic or lfv-scalar; got {model['name']!r}")


def _registry_overlay(ov: dict, kind: str, path: str, model: dict) -> dict:
    """An overlay drawn from the registry of constraints (``kind`` = an id of ``leptoportal
    constraints list``) or from a user's limit file (``kind = "file"``, ``path`` = the CSV,
    relative to the config's folder; its header states source, CL, model and licence)."""
    from ..constraints.registry import get_constraint, load_limit_file, registered_ids

    style_keys = {"kind", "label", "color", "hatch", "alpha", "linestyle"}
    if kind == "file":
        no_unknown(ov, style_keys | {"path"}, path)
        fpath = get_str(ov, "path", path, required=True)
        try:
            c = load_limit_file(fpath)
        except InputError as exc:
            raise InputError(f"{path}.path", exc.message) from None
        params = {}
    else:
        if kind not in registered_ids():
            raise InputError(f"{path}.kind", f"must be one of {', '.join(OVERLAY_KINDS)}, 'file' or a constraint id "
                             f"({', '.join(registered_ids())}); got {kind!r}")
        c = get_constraint(kind)
        no_unknown(ov, style_keys | set(c.params), path)
        params = {k: ov[k] for k in c.params if k in ov}
        try:
            c.resolve_params(params)
        except InputError as exc:
            raise InputError(f"{path}.{exc.parameter}", exc.message) from None
    mc = registry_model(model)
    if not c.applies_to(mc.name):
        raise InputError(f"{path}.kind", f"{c.id!r} applies to {', '.join(c.models)}; the config's model is {mc.name!r}")
    o = {"kind": kind, "constraint": c.id, "label": get_str(ov, "label", path, default=""), "params": params}
    if kind == "file":
        o["path"] = fpath
    for k in ("color", "hatch", "linestyle"):
        if k in ov:
            o[k] = get_str(ov, k, path)
    if "alpha" in ov:
        o["alpha"] = get_num(ov, "alpha", path, lo=0.0, hi=1.0)
    return o


#: keyword arguments of leptoportal.constraints.relic.lfv_annihilation_rate_line (a test keeps them in step)
RELIC_LFV_PARAMS = ("g_dark", "psi_mass_ratio", "sigma_v_pb")


def _relic_lfv_params(p: dict, path: str) -> dict:
    """Keyword arguments of the e->mu paper's Eq. (2) line: names from :data:`RELIC_LFV_PARAMS`
    (a misspelt name is an error), values finite numbers > 0."""
    out = {}
    for k, v in p.items():
        if k not in RELIC_LFV_PARAMS:
            raise InputError(f"{path}.{k}", f"unknown parameter; valid: {', '.join(RELIC_LFV_PARAMS)}")
        if not (is_num(v) and v > 0):
            raise InputError(f"{path}.{k}", f"must be a finite number > 0; got {v!r}")
        out[k] = float(v)
    return out
