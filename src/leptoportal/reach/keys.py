"""The reach-config loader's vocabulary and value checkers: every check raises one
:class:`~leptoportal.errors.InputError` naming the key as ``section.key`` (the CLI prints it as
one line with exit code 2).  Used by :mod:`.config` (the tables) and :mod:`.overlay_config`
(the ``[[overlays]]``)."""

from __future__ import annotations

import math

from ..domains import DOMAINS, check
from ..errors import InputError

__all__ = ["BACKGROUND_SOURCES", "EXPOSURE_UNITS", "MODEL_NAMES", "PATTERNS", "STAT_METHODS", "get_num", "get_str",
           "get_table", "is_num", "no_unknown"]

STAT_METHODS = ("auto", "asymptotic", "poisson", "neyman", "toys", "background-free")
EXPOSURE_UNITS = ("EOT", "MOT")
MODEL_NAMES = ("lfv-scalar", "leptophilic", "toy")
PATTERNS = ("muon-specific", "lepton-specific")
BACKGROUND_SOURCES = ("none", "fixed", "na64e-estimate")


def is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def get_num(d: dict, key: str, path: str, *, default=None, required=False, lo=None, hi=None,
         lo_open=False, hi_open=False, integer=False, domain=None):
    """A number of the config; ``domain`` (a kind of :data:`leptoportal.domains.DOMAINS`) gives its
    valid range instead of lo/hi."""
    name = f"{path}.{key}" if path else key
    if key not in d:
        if required:
            raise InputError(name, "is required")
        return default
    if domain is not None:
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (DOMAINS[domain].integer and isinstance(v, float)):
            raise InputError(name, DOMAINS[domain].message(v))
        return check(v, domain, name)
    v = d[key]
    kind = "an integer" if integer else "a finite number"
    if integer:
        ok = isinstance(v, int) and not isinstance(v, bool)
    else:
        ok = is_num(v)
    if not ok:
        raise InputError(name, f"must be {kind}{_range_text(lo, hi, lo_open, hi_open)}; got {v!r}")
    if (lo is not None and (v <= lo if lo_open else v < lo)) or (hi is not None and (v >= hi if hi_open else v > hi)):
        raise InputError(name, f"must be {kind}{_range_text(lo, hi, lo_open, hi_open)}; got {v!r}")
    return int(v) if integer else float(v)


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo is None and hi is None:
        return ""
    a = "(" if lo_open else "["
    b = ")" if hi_open else "]"
    return f" in {a}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{b}"


def get_str(d: dict, key: str, path: str, *, default=None, required=False, choices=None):
    name = f"{path}.{key}" if path else key
    if key not in d:
        if required:
            raise InputError(name, "is required" + (f"; one of {', '.join(choices)}" if choices else ""))
        return default
    v = d[key]
    if not isinstance(v, str):
        raise InputError(name, f"must be a string{f' (one of {chr(44).join(choices)})' if choices else ''}; got {v!r}")
    if choices is not None and v not in choices:
        raise InputError(name, f"must be one of {', '.join(choices)}; got {v!r}")
    return v


def get_table(d: dict, key: str, path: str = "") -> dict:
    name = f"{path}.{key}" if path else key
    v = d.get(key, {})
    if not isinstance(v, dict):
        raise InputError(name, f"must be a table ([{name}]); got {type(v).__name__}")
    return v


def no_unknown(d: dict, allowed, path: str) -> None:
    for k in d:
        if k not in allowed:
            name = f"{path}.{k}" if path else k
            raise InputError(name, f"unknown key; valid keys here: {', '.join(sorted(allowed))}")


# ------------------------------------------------------------------------ the config object
