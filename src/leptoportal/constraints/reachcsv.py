r"""A reach curve of another leptoportal run as a constraint: the projected excluded couplings of a
``reach.csv`` (written by ``leptoportal reach``; format in docs/reach.md, "Outputs").

The file is read by its column names (``mass_gev``, ``exposure``, ``coupling_limit``,
``coupling_upper_edge``, ``status``; any further columns are ignored) after its ``#`` header lines,
of which ``model`` (the run's ``[model]`` table as JSON) says which coupling the curve is in.  Every
data row ends with the CRC-32 of its text (column ``crc32``); a row whose checksum does not match is
refused, naming the line.  Rows of one exposure form the curve (``exposure``: which one; default the
largest in the file).  Per row: ``excluded`` -> [coupling_limit, 4 pi]; ``excluded-window`` ->
[coupling_limit, coupling_upper_edge]; ``not-excluded`` -> nothing; ``below-range`` (the limit lies
below the run's coupling range, so no edge is in the file) -> nothing, and the loader says so.
Between two file masses with an excluded interval at both the edges are interpolated linearly in
(ln m, ln g); next to a point without one, nothing applies; outside the file's masses, nothing.
"""

from __future__ import annotations

import csv
import json
import math
import zlib
from pathlib import Path

import numpy as np

from ..domains import COUPLING_MAX
from ..errors import InputError

__all__ = ["ReachCurve", "load_reach_curve", "registry_model_name"]

_NEEDED = ("mass_gev", "exposure", "coupling_limit", "coupling_upper_edge", "status")


def registry_model_name(model: dict) -> str:
    """The registry's model name for a reach run's ``[model]`` table: ``lfv-scalar`` -> ``lfv``,
    ``leptophilic`` -> its ``pattern`` (muon-specific / lepton-specific)."""
    name = model.get("name")
    if name == "lfv-scalar":
        return "lfv"
    if name == "leptophilic" and model.get("pattern"):
        return str(model["pattern"])
    raise InputError("path", f"the reach run's model {name!r} is not one the constraints registry knows "
                             "(lfv-scalar or leptophilic)")


class ReachCurve:
    """The excluded interval per mass of one exposure of a reach.csv (see the module docstring)."""

    def __init__(self, path, masses, low, high, exposure, model, config, notes):
        self.path, self.masses, self.low, self.high = path, masses, low, high
        self.exposure, self.model, self.config, self.notes = exposure, model, config, notes

    def intervals(self, m) -> list:
        m = np.atleast_1d(np.asarray(m, float))
        out = []
        lm, lf = np.log(m), np.log(self.masses)
        for x in lm:
            if x < lf[0] - 1e-12 or x > lf[-1] + 1e-12:
                out.append([])
                continue
            i = int(np.clip(np.searchsorted(lf, x) - 1, 0, len(lf) - 2)) if len(lf) > 1 else 0
            if len(lf) == 1 or abs(x - lf[i]) <= 1e-12:
                j = i
            elif abs(x - lf[i + 1]) <= 1e-12:
                j = i + 1
            else:
                j = None
            if j is not None:
                out.append([[self.low[j], self.high[j]]] if math.isfinite(self.low[j]) else [])
                continue
            if not (math.isfinite(self.low[i]) and math.isfinite(self.low[i + 1])):
                out.append([])
                continue
            w = (x - lf[i]) / (lf[i + 1] - lf[i])
            lo = math.exp((1 - w) * math.log(self.low[i]) + w * math.log(self.low[i + 1]))
            hi = math.exp((1 - w) * math.log(self.high[i]) + w * math.log(self.high[i + 1]))
            out.append([[lo, hi]])
        return out


def load_reach_curve(path, exposure=None) -> ReachCurve:
    """Read ``path`` (a leptoportal reach.csv) -> :class:`ReachCurve`; :class:`InputError` (key ``path``
    or ``exposure``) naming what is wrong."""
    if not isinstance(path, (str, Path)) or not str(path):
        raise InputError("path", f"must be the path of a reach.csv written by 'leptoportal reach'; got {path!r}")
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("path", f"cannot read {str(p)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    meta, header, rows = {}, None, []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if header is None:
            if line.startswith("#"):
                k, sep, v = line[1:].partition(":")
                if sep:
                    meta[k.strip()] = v.strip()
                continue
            header = next(csv.reader([line]))
            missing = [c for c in _NEEDED if c not in header]
            if missing or header[-1] != "crc32":
                raise InputError("path", f"{p}, line {n}: not a leptoportal reach.csv (columns {header}; needs "
                                         f"{', '.join(_NEEDED)} and a final crc32)")
            continue
        body, _, crc = line.rpartition(",")
        if crc != f"{zlib.crc32(body.encode('utf-8')):08x}":
            raise InputError("path", f"{p}, line {n}: checksum mismatch (a damaged or edited row)")
        cells = next(csv.reader([body]))
        if len(cells) != len(header) - 1:
            raise InputError("path", f"{p}, line {n}: {len(cells)} fields, expected {len(header) - 1}")
        rows.append((n, dict(zip(header[:-1], cells))))
    if header is None or not rows:
        raise InputError("path", f"{p}: no data rows (is the run finished?)")
    try:
        model = json.loads(meta.get("model", ""))
    except json.JSONDecodeError:
        raise InputError("path", f"{p}: the '# model:' header line is missing or not JSON") from None
    if not isinstance(model, dict):
        raise InputError("path", f"{p}: the '# model:' header line is not a table")
    reg_model = registry_model_name(model)
    data = []
    for n, r in rows:
        try:
            data.append((float(r["mass_gev"]), float(r["exposure"]), float(r["coupling_limit"]),
                         float(r["coupling_upper_edge"]), r["status"]))
        except ValueError:
            raise InputError("path", f"{p}, line {n}: unreadable number") from None
    exposures = sorted({d[1] for d in data})
    if exposure is None:
        exposure = exposures[-1]
    else:
        if isinstance(exposure, bool) or not isinstance(exposure, (int, float)):
            raise InputError("exposure", f"must be a number (one of {', '.join(f'{e:g}' for e in exposures)})")
        match = [e for e in exposures if math.isclose(e, float(exposure), rel_tol=1e-9)]
        if not match:
            raise InputError("exposure", f"{p} has exposures {', '.join(f'{e:g}' for e in exposures)}; got {exposure:g}")
        exposure = match[0]
    sel = sorted((d for d in data if d[1] == exposure), key=lambda d: d[0])
    masses = np.array([d[0] for d in sel])
    if np.any(np.diff(masses) <= 0) or np.any(masses <= 0):
        raise InputError("path", f"{p}: masses of exposure {exposure:g} are not distinct positive numbers")
    low = np.full(len(sel), np.nan)
    high = np.full(len(sel), np.nan)
    below = []
    for k, (m, _, lim, up, status) in enumerate(sel):
        if status in ("excluded", "excluded-window") and math.isfinite(lim) and lim > 0:
            low[k] = lim
            high[k] = up if (status == "excluded-window" and math.isfinite(up)) else COUPLING_MAX
        elif status == "below-range":
            below.append(m)
    notes = []
    if below:
        notes.append(f"{len(below)} mass point(s) are below the run's coupling range (no edge in the file): left out")
    return ReachCurve(str(p), masses, low, high, exposure, reg_model, meta.get("config", ""), notes)
