"""The valid domain of every user input, defined once.

The command line (``type=`` of each numeric flag and the range shown in ``--help``), the Python
API (models, cross sections, event generation, yields) and the reach-config loader all read
this table, so a value is accepted or refused the same way everywhere, with a message that
names the parameter as the caller spelt it (``--energy`` on the command line, ``energy`` in
the API, ``exposures[0]`` in a config) and its valid range.

Where a bound comes from:

* couplings <= 4 pi: perturbativity, as the NA64-mu paper's Sec. 2.3 argument (alpha = g^2/4pi
  reaching 4 pi is where perturbation theory is lost);
* beam energy <= 1e4 GeV, scalar mass in [1e-4, 100] GeV: the range over which the cross-section
  engine is tested (finite, positive cross sections at every corner, every method);
  below a process's threshold the energy is refused by the process itself;
* caps that protect memory and time (documented in docs/guide.md "Limits"):
  events per run <= 1e7 (measured peak: ~160 bytes per event while sampling plus ~155 while
  writing Parquet, so ~3 GB at the cap; split larger samples by seed), number of masses <= 2000, showers <= 1e5 per table, shower
  energy <= 1e4 GeV (the cascade's particle count grows linearly with energy), exposures
  <= 1e20 particles on target (any planned lepton-beam experiment is below 1e17);
* seeds are integers in [0, 2^63 - 1] (numpy ``SeedSequence`` entropy; negative seeds are
  refused rather than silently folded).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["Domain", "DOMAINS", "check", "check_array", "arg", "help_range", "markdown_table", "EVENTS_MAX", "N_MASSES_MAX",
           "EXPOSURE_MAX", "COUPLING_MAX"]

COUPLING_MAX = 4.0 * math.pi
COUPLING_MIN = 1e-12  # sigma ~ g^2: below this the rates underflow any exposure (N < 1e-6 at 1e20)
G_CHI_MIN = 1e-6
EVENTS_MAX = 10_000_000
N_MASSES_MAX = 2000
EXPOSURE_MAX = 1e20
SEED_MAX = 2**63 - 1


def _fmt(v: float) -> str:
    if v == COUPLING_MAX:
        return "4pi"
    if v == math.pi:
        return "pi"
    if v == SEED_MAX:
        return "2^63-1"
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


@dataclass(frozen=True)
class Domain:
    """An interval of valid values: [lo, hi] (``lo_open``/``hi_open`` make an end open)."""

    what: str
    lo: float
    hi: float
    unit: str = ""
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def range_text(self) -> str:
        a = "(" if self.lo_open else "["
        b = ")" if self.hi_open else "]"
        unit = f" {self.unit}" if self.unit else ""
        return f"{a}{_fmt(self.lo)}, {_fmt(self.hi)}{b}{unit}"

    def _kind(self) -> str:
        return "an integer" if self.integer else "a number"

    def contains(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if self.lo_open and v <= self.lo or not self.lo_open and v < self.lo:
            return False
        if self.hi_open and v >= self.hi or not self.hi_open and v > self.hi:
            return False
        return True

    def message(self, value) -> str:
        return f"{self.what} must be {self._kind()} in {self.range_text()}; got {value!r}"

    def convert(self, value, name: str):
        """``value`` as float (or int) inside the domain, else :class:`InputError` naming ``name``."""
        if isinstance(value, bool) or value is None:
            raise InputError(name, self.message(value))
        if isinstance(value, str):
            value = value.strip()
            try:
                v = float(value)
            except ValueError:
                raise InputError(name, self.message(value)) from None
        elif isinstance(value, (int, np.integer)):
            v = int(value)
        else:
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise InputError(name, self.message(value)) from None
        if self.integer:
            if isinstance(v, float):
                if not math.isfinite(v) or not v.is_integer():
                    raise InputError(name, self.message(value))
                v = int(v)
            lo_ok = v > self.lo if self.lo_open else v >= self.lo
            hi_ok = v < self.hi if self.hi_open else v <= self.hi
            if not (lo_ok and hi_ok):
                raise InputError(name, self.message(value))
            return v
        if not self.contains(v):
            raise InputError(name, self.message(value))
        return v


#: one row per kind of user input
DOMAINS: dict[str, Domain] = {
    "energy": Domain("beam energy", 0.0, 1e4, "GeV", lo_open=True),
    "mass": Domain("scalar mass", 1e-4, 100.0, "GeV"),
    "coupling": Domain("coupling", COUPLING_MIN, COUPLING_MAX),
    "g_chi": Domain("dark-matter coupling", G_CHI_MIN, COUPLING_MAX),
    "exposure": Domain("exposure (particles on target)", 1.0, EXPOSURE_MAX),
    "events": Domain("number of events", 1, EVENTS_MAX, integer=True),
    "n_masses": Domain("number of masses", 1, N_MASSES_MAX, integer=True),
    "seed": Domain("seed", 0, SEED_MAX, integer=True),
    "showers": Domain("number of showers", 1, 100_000, integer=True),
    "workers": Domain("number of worker processes", 1, 256, integer=True),
    "decays": Domain("number of forced decays or trident events", 100, EVENTS_MAX, integer=True),
    "n_line": Domain("number of masses on a line", 2, N_MASSES_MAX, integer=True),
    "shower_energy": Domain("shower energy", 0.0, 1e4, "GeV", lo_open=True),
    "x": Domain("energy fraction x", 0.0, 1.0, lo_open=True, hi_open=True),
    "x_min": Domain("x cut", 0.0, 1.0, hi_open=True),
    "psi": Domain("angle", 0.0, math.pi, "rad"),
    "mchi_ratio": Domain("m_S/m_chi ratio R", 1e-2, 1e3),
    "eps_r": Domain("eps_R", 0.0, 10.0, lo_open=True),
    "length_cm": Domain("length", 0.0, 1e5, "cm", lo_open=True),
    "dedy": Domain("mean energy loss", 0.0, 1.0, "GeV/cm"),
    "fraction": Domain("fraction", 0.0, 1.0, lo_open=True),
    "cl": Domain("confidence level", 0.0, 1.0, lo_open=True, hi_open=True),
    "sigma_v": Domain("<sigma v>", 1e-35, 1e-18, "cm^3/s"),
    "m_chi_swave": Domain("dark-matter mass", 1e-3, 1e5, "GeV"),
    "any_mass": Domain("mass", 1e-4, 1e5, "GeV"),
    "order": Domain("quadrature-order multiplier", 1, 64, integer=True),
    "density_n": Domain("atom density", 0.0, 1e25, "cm^-3", lo_open=True),
    "Z": Domain("atomic number Z", 1, 100),
    "A": Domain("mass number A", 1, 300),
    "density": Domain("density", 0.0, 30.0, "g/cm^3", lo_open=True),
    "n_sigma": Domain("number of standard deviations", 0.0, 10.0, lo_open=True),
    "sidm_limit": Domain("bound on sigma_T/m_chi", 0.0, 1e4, "cm^2/g", lo_open=True),
    "sigma_v_pb": Domain("<sigma v>", 1e-6, 1e6, "pb"),
}


def check(value, kind: str, name: str):
    """``value`` validated against ``DOMAINS[kind]``; :class:`InputError` names ``name``."""
    return DOMAINS[kind].convert(value, name)


def check_array(values, kind: str, name: str) -> np.ndarray:
    """Every element of ``values`` in ``DOMAINS[kind]`` (float array, at least one element)."""
    d = DOMAINS[kind]
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, d.message(values)) from None
    if a.size == 0:
        raise InputError(name, f"{d.what}: give at least one value in {d.range_text()}")
    flat = a.ravel()
    ok = np.isfinite(flat) & (flat > d.lo if d.lo_open else flat >= d.lo) & (flat < d.hi if d.hi_open else flat <= d.hi)
    if not np.all(ok):
        bad = flat[~ok][0]
        raise InputError(name, d.message(float(bad)))
    return a


def arg(kind: str):
    """An argparse ``type=``: the flag's string converted and checked against ``DOMAINS[kind]``.

    argparse reports a failure as ``argument --flag: <what> must be ... in [lo, hi]; got 'v'``
    (one line, exit 2), before any work is done.  Integers may be written as ``1e6``."""
    d = DOMAINS[kind]

    def convert(text: str):
        try:
            return d.convert(text, "")
        except InputError:
            raise argparse.ArgumentTypeError(d.message(text)) from None

    convert.__name__ = d.what  # argparse names the type in some messages
    convert.domain = d  # what --help and the tests read
    return convert


def markdown_table() -> str:
    """The table of valid ranges as docs/guide.md shows it (a test keeps the two identical)."""
    rows = ["| kind | quantity | valid |", "|---|---|---|"]
    rows += [f"| `{k}` | {d.what} | {d.range_text()}{' (integer)' if d.integer else ''} |" for k, d in DOMAINS.items()]
    return "\n".join(rows) + "\n"


def help_range(kind: str) -> str:
    """The valid range as shown in ``--help``: ``valid [lo, hi] unit``."""
    return f"valid {DOMAINS[kind].range_text()}"
