"""reach.csv: the scan's table, written point by point and read back (``--resume``, the CLI).

One row per mass point and exposure (:data:`COLUMNS`), after '#' header lines naming the
config, the model, the provider and the ``inputs_sha256`` that ``--resume`` checks.  Every row
ends with the CRC-32 of its text (:data:`CHECK_COLUMN`), so a row damaged by a kill or a disk
error is detected and its mass point recomputed.  Rows are appended, flushed and fsync'ed per
mass point (:class:`CsvSink`, an :class:`~leptoportal.fileio.AppendLog`); a finished scan is
rewritten sorted by mass.

The observed limit (``*_observed`` columns) is ``nan`` with ``status_observed`` =
``no-observation`` when the config states no observed events.  A table written before these
columns existed (:data:`LEGACY_COLUMNS`) is still read -- its rows get the no-observation values
-- so ``--resume`` continues it and rewrites it in the current format.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..fileio import AppendLog
from .config import ReachConfig

__all__ = ["COLUMNS", "CHECK_COLUMN", "LEGACY_COLUMNS", "NO_OBSERVATION", "STATUSES", "CsvSink", "format_value", "has_rows", "header_lines",
           "read_reach_csv", "resumable_rows", "row_list"]

COLUMNS = ("mass_index", "mass_gev", "exposure", "coupling_limit", "coupling_upper_edge", "status",
           "n_required", "coupling_limit_observed", "coupling_upper_edge_observed", "status_observed",
           "n_required_observed", "background_events", "sigma_background_events", "stat_method",
           "n_yield_evaluations", "info")
#: the columns of a table written before observed limits existed (read, and rewritten by --resume)
LEGACY_COLUMNS = tuple(c for c in COLUMNS if not c.endswith("_observed"))
CHECK_COLUMN = "crc32"
STATUSES = ("excluded", "excluded-window", "below-range", "not-excluded")
#: ``status_observed`` of a row without an observation (the config states no observed_events)
NO_OBSERVATION = "no-observation"
_TYPES = {"mass_index": int, "n_yield_evaluations": int, "status": str, "status_observed": str, "stat_method": str,
          "info": str}
_NO_OBS = {"coupling_limit_observed": float("nan"), "coupling_upper_edge_observed": float("nan"),
           "status_observed": NO_OBSERVATION, "n_required_observed": float("nan")}


def format_value(x) -> str:
    """A cell's text: strings as they are, integers in full, floats with 12 significant digits."""
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return format(float(x), ".12g")


def header_lines(cfg: ReachConfig, inputs_hash: str) -> list[str]:
    """The '#' lines and the column line of a reach.csv written for ``cfg``."""
    return [
        "# leptoportal reach scan (one row per mass point and exposure)\n",
        f"# inputs_sha256: {inputs_hash}\n",
        f"# config: {cfg.name}\n",
        f"# model: {json.dumps(cfg.model, sort_keys=True)}\n",
        f"# provider: {cfg.provider['name']}\n",
        f"# exposure_unit: {cfg.exposure_unit}; cl: {cfg.cl:g}; seed: {cfg.seed}\n",
        "# observed_events: " + (json.dumps(list(cfg.observed_events)) + " (one per exposure)"
                                if cfg.observed_events is not None else "none (expected limits only)") + "\n",
        *([f"# resolved: {json.dumps(cfg.resolved, sort_keys=True)}\n"] if cfg.resolved else []),
        *([f"# overrides: {json.dumps(cfg.overrides, sort_keys=True)}\n"] if cfg.overrides else []),
        "# units: mass_gev in GeV; exposure in the exposure_unit; coupling_limit/coupling_upper_edge (median expected) "
        "and coupling_limit_observed/coupling_upper_edge_observed dimensionless (nan = none, see status and "
        "status_observed; no-observation = no observed_events); n_required, n_required_observed, background_events, "
        "sigma_background_events in events; "
        "crc32 = CRC-32 of the row's text before it (a damaged row is detected and recomputed by --resume)\n",
        ",".join(COLUMNS) + f",{CHECK_COLUMN}\n",
    ]


def _row_line(row) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([format_value(v) for v in row])
    text = buf.getvalue()
    return f"{text},{zlib.crc32(text.encode('utf-8')):08x}\n"


class CsvSink:
    """Appends rows, flushes and fsyncs after every mass point (an :class:`~leptoportal.fileio.AppendLog`).

    The file is (re)written at construction with ``header`` and ``existing_rows`` (lists in
    :data:`COLUMNS` order)."""

    def __init__(self, path: Path, header: list[str], existing_rows: list[list]):
        self.path = path
        self.log = AppendLog(path, "".join(header), [_row_line(row) for row in existing_rows])

    def append(self, rows) -> None:
        self.log.append("".join(_row_line(r) for r in rows))

    def close(self) -> None:
        self.log.close()


def read_reach_csv(path, damaged: list | None = None) -> tuple[dict, list[dict]]:
    """Read a reach.csv: (metadata from '#' lines, list of row dicts with typed values).

    Every data row carries the CRC-32 of its text; a row that is not valid UTF-8, holds a NUL
    byte, has the wrong number of fields, a bad checksum or a value that does not parse is
    *damaged*.  With ``damaged`` (a list) each damaged row is reported there as "line N: why"
    and left out (``--resume`` recomputes its mass point); without it the first damaged row
    raises :class:`InputError` naming the line.  An unterminated last line (a write cut by a
    kill) counts as damaged too.
    """
    path = Path(path)
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    last_cut = lines[-1] != b""
    meta, rows = {}, []
    header, columns = None, COLUMNS

    def bad(n, why):
        msg = f"line {n}: {why}"
        if damaged is None:
            raise InputError(str(path), f"{msg}; rerun with --resume to recompute it, or --force")
        damaged.append(msg)

    for n, b in enumerate(lines, start=1):
        if not b:
            continue
        if n == len(lines) and last_cut:
            bad(n, "unterminated (the write was cut)")
            continue
        try:
            ln = b.decode("utf-8")
        except UnicodeDecodeError:
            bad(n, "not valid UTF-8")
            continue
        if "\x00" in ln:
            bad(n, "contains a NUL byte")
            continue
        if header is None:
            if ln.startswith("#"):
                if ":" in ln:
                    k, v = ln[1:].split(":", 1)
                    meta[k.strip()] = v.strip()
                continue
            header = next(csv.reader([ln]))
            if tuple(header) == (*LEGACY_COLUMNS, CHECK_COLUMN):
                columns = LEGACY_COLUMNS
                meta["format"] = "legacy (no observed-limit columns)"
            elif tuple(header) == (*COLUMNS, CHECK_COLUMN):
                columns = COLUMNS
            else:
                raise InputError(str(path), f"line {n}: columns {header}, expected {[*COLUMNS, CHECK_COLUMN]} "
                                            "(a table from another version, or damaged: use --force)")
            continue
        text, _, crc = ln.rpartition(",")
        if crc != f"{zlib.crc32(text.encode('utf-8')):08x}":
            bad(n, "checksum mismatch")
            continue
        r = next(csv.reader([text]))
        if len(r) != len(columns):
            bad(n, f"{len(r)} fields, expected {len(columns)}")
            continue
        try:
            row = {**_NO_OBS, **{c: _TYPES.get(c, float)(v) for c, v in zip(columns, r)}}
        except ValueError as exc:
            bad(n, f"unreadable value ({exc})")
            continue
        if row["status"] not in STATUSES:
            bad(n, f"unknown status {row['status']!r}")
            continue
        if row["status_observed"] not in (*STATUSES, NO_OBSERVATION):
            bad(n, f"unknown status_observed {row['status_observed']!r}")
            continue
        rows.append({c: row[c] for c in COLUMNS})
    return meta, rows


def row_list(d: dict) -> list:
    """A row dict of :func:`read_reach_csv` as a list in :data:`COLUMNS` order."""
    return [d[c] for c in COLUMNS]


def has_rows(csv_path: Path) -> bool:
    """True if ``csv_path`` holds at least one data row (a header-only table is no result)."""
    try:
        lines = [ln for ln in csv_path.read_bytes().split(b"\n") if ln and not ln.startswith(b"#")]
    except OSError:
        return False
    return len(lines) > 1


def _flat(d, prefix=""):
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out.update(_flat(v, key))
        else:
            out[key] = v
    return out


def _what_differs(csv_path: Path, meta: dict, cfg: ReachConfig) -> str:
    """'differs in: key (old -> new), ...' from the previous run's reach.json (or the reach.csv
    header's resolved/overrides lines); '' when neither says."""
    old = None
    try:
        old = json.loads((csv_path.parent / "reach.json").read_text(encoding="utf-8")).get("config")
    except (OSError, ValueError):
        pass
    if not isinstance(old, dict):
        try:
            old = {"resolved": json.loads(meta.get("resolved", "{}")), "overrides": json.loads(meta.get("overrides", "{}"))}
        except ValueError:
            return ""
    new = json.loads(json.dumps(cfg.inputs(), default=repr))
    always = ("resolved", "overrides", "observed_events")  # compared even when the old record lacks them
    a = _flat({k: old.get(k) for k in new if k in old or k in always})
    b = _flat({k: new[k] for k in new if k in old or k in always})
    diff = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    if not diff:
        return ""
    shown = ", ".join(f"{k} ({a.get(k, 'none')!s:.40} -> {b.get(k, 'none')!s:.40})" for k in diff[:4])
    return f"differs in: {shown}{', ...' if len(diff) > 4 else ''}"


def resumable_rows(csv_path: Path, cfg: ReachConfig, inputs_hash: str, warn) -> dict[int, list]:
    """The finished mass points of a partial reach.csv: {mass index: its rows (lists, in the
    config's exposure order)}.

    Damaged rows are reported through ``warn(message)`` and left out; a point with a missing
    exposure or a mass that is not the config's is left out (recomputed).  A table written for
    other inputs (``inputs_sha256``) raises :class:`InputError` naming ``--resume``.
    """
    damaged: list[str] = []
    meta, rows = read_reach_csv(csv_path, damaged)
    for d in damaged:
        warn(f"{csv_path.name} {d}: its mass point is recomputed")
    old = meta.get("inputs_sha256")
    if old != inputs_hash:
        what = _what_differs(csv_path, meta, cfg)
        why = what or f"inputs_sha256 {old} != {inputs_hash}"
        raise InputError("--resume", f"{csv_path} was written for different inputs ({why}); use the same "
                         "config/options or --force to start over")
    groups: dict[int, list] = {}
    for r in rows:
        groups.setdefault(r["mass_index"], []).append(r)
    done: dict[int, list] = {}
    n_exp = len(cfg.exposures)
    for i, grp in groups.items():
        exps = sorted({r["exposure"] for r in grp})
        if (0 <= i < len(cfg.masses) and len(grp) == n_exp and exps == sorted(cfg.exposures)
                and all(r["mass_gev"] == float(format_value(cfg.masses[i])) for r in grp)):
            done[i] = [row_list(r) for r in sorted(grp, key=lambda r: cfg.exposures.index(r["exposure"]))]
    return done
