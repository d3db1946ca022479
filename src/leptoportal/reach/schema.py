"""Every key of a reach config: type, unit, default and meaning, in one table.

The loader (:mod:`leptoportal.reach.config`) takes the keys each table allows from here, so a
key documented here is a key the loader reads, and one it does not know is refused.  From the
same table come the key reference of docs/reach.md (:func:`markdown_table`) and the JSON Schema
shipped for editors (``data/reach/reach-config.schema.json``, :func:`json_schema`; e.g. the
"Even Better TOML" editor extension reads it through a ``#:schema`` first line).  The schema is
the shape (keys, types, choices); the loader also checks ranges and the relations between keys.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Key", "TABLES", "ARRAY_TABLES", "OPEN_TABLES", "allowed", "json_schema", "markdown_table"]


@dataclass(frozen=True)
class Key:
    """One key: JSON type ("string", "number", "integer", "boolean", "array", "table"), unit, the
    default when it is absent (None: required or no default), allowed strings, meaning."""

    type: str
    unit: str = ""
    default: object = None
    choices: tuple = ()
    doc: str = ""
    items: str = ""  #: element type of an array
    single: bool = False  #: an array that may also be given as one bare element (``observed_events = 0``)


STAT = ("auto", "asymptotic", "poisson", "neyman", "toys", "background-free")

#: table name ("" = top level) -> key -> Key
TABLES: dict[str, dict[str, Key]] = {
    "": {
        "title": Key("string", default="the config's name", doc="free text for the plot and reach.json"),
        "source": Key("string", default="", doc="where the setup and numbers come from"),
        "setup": Key("string", default="na64e", doc="a shipped setup name, or a .toml path (relative to the "
                                                    "config's folder); loaded once"),
        "exposures": Key("array", "EOT or MOT", items="number", doc="one curve each (or `exposure = N`)"),
        "exposure": Key("number", "EOT or MOT", doc="a single exposure (instead of `exposures`)"),
        "exposure_unit": Key("string", default="EOT", choices=("EOT", "MOT"), doc="what the exposure counts"),
        "observed_events": Key("array", "events", items="integer", single=True,
                               doc="events observed, one count per exposure (a bare count with one exposure); "
                                   "the observed limit is then computed beside the expected one"),
        "cl": Key("number", default=0.9, doc="confidence level in (0, 1)"),
        "seed": Key("integer", default=1, doc="root of every random stream (SeedSequence(seed).spawn)"),
        "model": Key("table", doc="the model"),
        "statistics": Key("table", doc="how N_required is computed"),
        "background": Key("table", doc="the background model"),
        "masses": Key("table", "GeV", doc="the mass grid (or a plain list of masses)"),
        "coupling": Key("table", doc="the coupling search range"),
        "provider": Key("table", doc="the signal-yield provider and its options"),
        "overlays": Key("array", items="table", doc="constraints drawn with the reach"),
        "plot": Key("table", doc="figure settings"),
        "paper": Key("table", doc="a published number to compare with"),
    },
    "model": {
        "name": Key("string", default="lfv-scalar", choices=("lfv-scalar", "leptophilic", "toy"), doc="the model"),
        "pattern": Key("string", default="muon-specific", choices=("muon-specific", "lepton-specific"),
                       doc="leptophilic: coupling pattern of the NA64-mu paper's Eq. (2.3)"),
        "g_chi": Key("number", default=1.0, doc="leptophilic: dark-matter coupling"),
        "mchi_ratio": Key("number", default=3.0, doc="leptophilic: m_chi = m_S / ratio (Eq. 2.8)"),
        "eps_R": Key("number", doc="leptophilic: m_chi = m_S / (2 sqrt(1 + eps_R)) (Eq. 2.9), instead of mchi_ratio"),
    },
    "statistics": {
        "method": Key("string", default="auto", choices=STAT, doc="the statistical method (docs/reach.md)"),
        "rule": Key("string", default="exact", choices=("exact", "3events"),
                    doc="background-free: exact Poisson, or the NA64-mu paper's >= 3 events"),
        "prior": Key("string", default="gamma", choices=("gamma", "truncnorm"), doc="prior of the background"),
        "n_toys": Key("integer", default=40000, doc="toys: number of pseudo-experiments"),
    },
    "background": {
        "source": Key("string", default="none", choices=("none", "fixed", "na64e-estimate"),
                      doc="none, a fixed rate, or leptoportal's NA64e estimate"),
        "per_exposure": Key("number", "events per EOT/MOT", doc="fixed: the rate"),
        "sigma_rel": Key("number", default=0.0, doc="relative systematic uncertainty"),
        "reference": Key("string", default="", doc="fixed: where the rate comes from"),
        "eot": Key("number", "EOT", default=1.5e11, doc="na64e-estimate: EOT-equivalent simulated"),
        "seed": Key("integer", default=1, doc="na64e-estimate: seed"),
        "hadron_decays": Key("integer", doc="na64e-estimate: forced decays per channel"),
        "max_dimuon_events": Key("integer", doc="na64e-estimate: cap on the dimuon sample"),
        "n_showers": Key("integer", doc="na64e-estimate: showers of the track-length table"),
    },
    "masses": {
        "values": Key("array", "GeV", items="number", doc="the masses (instead of min, max, n)"),
        "min": Key("number", "GeV", doc="lowest mass"),
        "max": Key("number", "GeV", doc="highest mass"),
        "n": Key("integer", doc="number of masses"),
        "log": Key("boolean", default=True, doc="log spacing"),
        "quick_n": Key("integer", default=6, doc="masses kept by --quick"),
    },
    "coupling": {
        "min": Key("number", default=1e-7, doc="lowest coupling searched"),
        "max": Key("number", default=1.0, doc="highest coupling searched"),
        "points_per_decade": Key("integer", default=8, doc="grid of the root search"),
        "label": Key("string", default="$h$ or $g_\\mu$", doc="axis label (LaTeX allowed)"),
    },
    "plot": {
        "xlim": Key("array", "GeV", items="number", doc="[low, high] of the mass axis"),
        "ylim": Key("array", items="number", doc="[low, high] of the coupling axis"),
        "legend_loc": Key("string", default="best", doc="matplotlib legend location"),
        "curve_color": Key("string", default="#7b2d8e", doc="colour of the reach curves"),
        "curve_labels": Key("array", items="string", doc="one legend label per exposure"),
        "overlay_points": Key("integer", default=60, doc="masses per overlay"),
        "reproduces": Key("string", default="", doc="the published figure this one redraws (reach.json 'figure')"),
        "not_drawn": Key("array", items="string", doc="what the published figure shows that this one does not "
                                                      "draw, and why (reach.json 'figure', the overlay CSV header)"),
    },
    "paper": {
        "mass_gev": Key("number", "GeV", doc="mass of the published number"),
        "coupling": Key("number", doc="the published coupling"),
        "source": Key("string", doc="where it is printed"),
        "explanation": Key("string", default="", doc="why leptoportal's number differs"),
        "no_selection_label": Key("string", default="all produced, no selection", doc="label of the no-selection curve"),
    },
}
#: tables that are arrays of tables ([[overlays]]), with their common keys; each kind adds its own
ARRAY_TABLES = {"overlays": {
    "kind": Key("string", doc="g2-band, g2-excluded, relic, relic-lfv, sidm, a registry id (constraints list), file, "
                              "or experiment (another config's reach for this model: keys config, exposure)"),
    "label": Key("string", default="", doc="legend label"),
    "color": Key("string", doc="colour"),
    "hatch": Key("string", doc="hatch pattern"),
    "alpha": Key("number", doc="opacity"),
    "linestyle": Key("string", doc="line style"),
}}
#: tables whose further keys depend on a name (the provider's options, an overlay kind's options)
OPEN_TABLES = ("provider", "overlays")
REQUIRED = {"": ("masses", "provider"), "provider": ("name",), "overlays": ("kind",)}
TABLES["provider"] = {"name": Key("string", doc="a registered yield provider; its options follow (docs/reach.md)")}


def allowed(table: str) -> set:
    """The keys the loader accepts in ``table`` ("" = top level)."""
    return set(TABLES[table])


_JSON = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean", "array": "array",
         "table": "object"}


def _prop(k: Key) -> dict:
    desc = k.doc + (f" [{k.unit}]" if k.unit else "")
    if k.single:
        return {"description": desc, "oneOf": [{"type": _JSON[k.items]},
                                               {"type": "array", "items": {"type": _JSON[k.items]}}]}
    out = {"type": _JSON[k.type], "description": desc}
    if k.choices:
        out["enum"] = list(k.choices)
    if k.items:
        out["items"] = {"type": _JSON[k.items]}
    if k.default is not None and not (isinstance(k.default, str) and k.type != "string"):
        out["default"] = k.default
    return out


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of a reach config, from :data:`TABLES`."""
    def obj(table: str, keys: dict, open_: bool) -> dict:
        o = {"type": "object", "properties": {k: _prop(v) for k, v in keys.items()},
             "additionalProperties": open_}
        if REQUIRED.get(table):
            o["required"] = list(REQUIRED[table])
        return o

    root = obj("", TABLES[""], False)
    for name in TABLES:
        if name:
            root["properties"][name] = {**obj(name, TABLES[name], name in OPEN_TABLES),
                                        "description": TABLES[""][name].doc}
    root["properties"]["masses"] = {"description": TABLES[""]["masses"].doc, "oneOf": [
        {"type": "array", "items": {"type": "number"}}, obj("masses", TABLES["masses"], False)]}
    for name, keys in ARRAY_TABLES.items():
        root["properties"][name] = {"type": "array", "description": TABLES[""][name].doc,
                                    "items": obj(name, keys, name in OPEN_TABLES)}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://leptoportal/reach-config.schema.json",
            "title": "leptoportal reach config", **root}


def markdown_table() -> str:
    """The key reference of docs/reach.md."""
    lines = ["| key | type | unit | default | meaning |", "|---|---|---|---|---|"]
    for table, keys in list(TABLES.items()) + [(f"[[{n}]]", k) for n, k in ARRAY_TABLES.items()]:
        prefix = "" if not table else (table if table.startswith("[[") else f"[{table}]")
        for name, k in keys.items():
            typ = (f"{k.items} or " if k.single else "") + k.type + (f" of {k.items}" if k.items else "") + (f" ({' / '.join(k.choices)})" if k.choices else "")
            default = "" if k.default is None else f"`{k.default}`"
            lines.append(f"| `{prefix + ' ' if prefix else ''}{name}` | {typ} | {k.unit} | {default} | {k.doc} |")
    return "\n".join(lines) + "\n"
