"""Tabulated total cross sections sigma(E, m_phi): build once, cache on disk, interpolate.

A :class:`SigmaTable` holds sigma_total(E, m_phi) per unit coupling squared of one
process (beam, final lepton, target, method, form factor) on a tensor grid and
interpolates it with a bicubic spline in logarithms.  The node values are the
engine's own totals (:func:`leptoportal.xsec.api.sigma_point`): ETL is Eq. (12)
of the e->mu paper integrated over x, cos(theta_k) and t; WW is Eqs. (22)-(23);
IWW is Eqs. (A1)-(A2).

Grid variable (why not ln E)
----------------------------
Below threshold sigma = 0, so ln(sigma) on an (ln E, ln m) grid would have
-inf nodes and a kink along the threshold line.  Instead the energy axis is

    tau = E - E_th(m)       (GeV),  nodes uniform in ln(tau),

and the mass axis is ln(m), nodes uniform.  Every node (tau > 0) is above
threshold, the grid is rectangular in (ln tau, ln m), and near threshold
ln(sigma) is close to linear in ln(tau) (sigma ~ tau^p, phase space), which a
cubic represents well.  The threshold is that of the method's kinematics:

* ETL (exact kinematics, finite nucleus mass M = A u):
  ``E_th = [(m_f + m + M)^2 - m_i^2 - M^2] / (2 M)`` -- the lowest E with
  s >= (m_f + m + M)^2 (nuclear recoil included; the engine is exactly 0 below).
* IWW (nucleus of infinite mass): ``E_th = m_f + m``.
* WW: ``E_th = max(m_f + m, [(m_f + m)^2 - m_i^2] / (2 sqrt(m^2 + m_i^2)))``; the
  second branch is where the WW flux window of Eqs. (14), (22) closes
  (t_min > t_max), see :func:`threshold_energy`.  For e -> mu it is the
  threshold for m below m_c ~ m_mu; the threshold line has a kink at m_c, so the
  table puts a mass node at m_c and fits separate splines on either side.

All are >= m_f + m, so sigma_pb is exactly 0 for E <= m_f + m (and below E_th).
The tau axis runs from ``tau_lo`` to ``tau_hi = E_hi - min_m E_th(m)`` (the
largest tau in the requested region).  If the threshold line crosses the
requested region, ``tau_lo = TAU_FLOOR_REL * E_lo``; there, for 0 < tau < tau_lo,
sigma is continued as the power law tau^p with p = d ln(sigma)/d ln(tau) at
tau_lo (p >= 1 enforced, so sigma -> 0 continuously at threshold).  Otherwise
``tau_lo = E_lo - max_m E_th(m)`` and no continuation is needed.  Nodes with
E < E_lo (small masses) are computed but lie outside the requested region; that
is the price of a rectangular grid in a threshold-following variable.

Method zeros: should the engine return exactly 0 at a node above E_th (e.g. the
WW quadrature missing a tiny window just above its flux edge), ln(sigma) is
undefined there, so grid cells touching such a node are interpolated bilinearly
in sigma itself (continuous, non-negative, never NaN; not held to the 0.1 %
target).  The spline is fitted to ln(sigma) with those nodes filled by linear
extrapolation in ln(tau) along the mass column.

Accuracy (measured against direct ``sigma_point`` calls at random log-uniform
points of the default range, where the engine is converged to 2e-4 between
order 1 and 2): ETL 40 x 60 max 2.8e-4, median 1.2e-6 (116 points; 30 x 40 gives
2e-4 on 74 points, 24 x 32 6e-4); WW 60 x 60 max ~5e-4 outside the band
E < 2.5 E_th(m) of its flux edge (m < m_c), where the engine's own order-1
quadrature is noisy at 1e-4..1e-2 (WW 40 x 60 reaches 9e-4 there, too close);
IWW 40 x 60 max 1.5e-4.  Within a few per cent of threshold the engine is not
converged to 1e-3 either, and neither is the table.  See :data:`DEFAULT_GRID`.

Cache: ``$LEPTOPORTAL_CACHE_DIR`` or ``platformdirs.user_cache_dir("leptoportal")``,
sub-directory ``sigma_tables``; one ``.npz`` per key.  The key is a SHA-256 of
every input that changes the numbers (beam, final, all target fields, method,
form factor, lepton masses, grid spec, quadrature order, grid-variable scheme),
the package version and a hash of the source files listed in :data:`SOURCES`
(:mod:`leptoportal.cache`).  Files are written atomically (temp file +
``os.replace``); unreadable or mismatching files are rebuilt.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..units import GEV2_TO_PB
from .. import cache as _cache
from .api import Method, Process, make_process, sigma_point

#: schema of the cached file and of the grid construction; bump on any change of meaning
SCHEMA = 2  # 2: vertex in the key
#: tau_lo = TAU_FLOOR_REL * E_lo when the threshold line crosses the requested region
TAU_FLOOR_REL = 1e-3
#: default (n_energy, n_mass) per method, each meeting 1e-3 relative error over the default
#: range (E 1-1000 GeV, m 1e-3-10 GeV) wherever the engine itself is converged to 2e-4.
#: ETL reaches ~1e-4 already at 40 x 60 (30 x 40 gives ~2e-4); WW needs 60 energy
#: nodes because its order-1 quadrature is noisy (1e-4..1e-2) near the flux edge.
DEFAULT_GRID = {Method.ETL: (40, 60), Method.WW: (60, 60), Method.IWW: (40, 60)}
#: relative slack when checking a query against the tabulated range
_RANGE_SLACK = 1e-12
_CACHE_SUBDIR = "sigma_tables"


# ----------------------------------------------------------------------------- thresholds


def threshold_energy(proc: Process, mass):
    """Beam energy [GeV] at and below which sigma = 0 for this process and method.

    * ETL: exact kinematics with the nucleus mass M, s >= (m_f + m + M)^2, i.e.
      E_th = [(m_f + m + M)^2 - m_i^2 - M^2] / (2M).
    * IWW: E_th = m_f + m (the approximation neglects the nuclear recoil).
    * WW: E_th = max(m_f + m, [(m_f + m)^2 - m_i^2] / (2 sqrt(m^2 + m_i^2))).  The
      second branch is where the WW flux window closes: Eq. (22) has
      t_min = u~^2/(4 E^2 (1-x)^2) and t_max = m^2 + m_i^2; min over theta_k, x of
      |u~|/(1-x) = m^2/x - m_i^2 + m_f^2/(1-x) is (m_f + m)^2 - m_i^2 at
      x = m/(m + m_f), so chi_WW (Eq. 14) > 0 iff 2 E sqrt(t_max) > (m_f + m)^2 - m_i^2.
      It matters for m_f > m_i (e -> mu) and m below ~m_f.

    Always >= m_f + m.  Broadcasts over ``mass``.
    """
    m = np.asarray(mass, float)
    m_i, m_f = proc.masses
    a = m_f + m
    if proc.method is Method.ETL:
        M = proc.target.nucleus_mass_gev
        # (a + M)^2 - m_i^2 - M^2 = a^2 + 2 a M - m_i^2, written without cancellation
        return a + (a * a - m_i * m_i) / (2.0 * M)
    if proc.method is Method.WW:
        return np.maximum(a, (a * a - m_i * m_i) / (2.0 * np.sqrt(m * m + m_i * m_i)))
    return a


def mass_breaks(proc: Process, m_lo: float, m_hi: float):
    """Masses in (m_lo, m_hi) where E_th(m) has a kink (WW: its two branches cross).

    The table puts a mass node there and fits separate splines on each side, so
    the kink of the threshold line is not smeared by a cubic.
    """
    if proc.method is not Method.WW:
        return []
    m_i, m_f = proc.masses

    def f(lm):
        m = math.exp(lm)
        a = m_f + m
        return (a * a - m_i * m_i) / (2.0 * math.sqrt(m * m + m_i * m_i)) - a

    from scipy.optimize import brentq

    lms = np.linspace(math.log(m_lo), math.log(m_hi), 401)
    fs = np.array([f(x) for x in lms])
    out = []
    for k in np.flatnonzero(np.sign(fs[:-1]) * np.sign(fs[1:]) < 0):
        out.append(math.exp(brentq(f, lms[k], lms[k + 1], xtol=1e-14, rtol=1e-14)))
    return out


# ----------------------------------------------------------------------------- cache key


#: the source files whose bytes determine the tabulated numbers (the modules sigma_point
#: imports, directly or not, that compute; tests/test_tables.py checks the list against the
#: import graph)
SOURCES = ("xsec/tables.py", "xsec/api.py", "xsec/amplitudes.py", "xsec/etl.py", "xsec/flux.py",
           "xsec/formfactors.py", "xsec/iww.py", "xsec/kinematics.py", "xsec/ww.py",
           "models/vertices.py", "quadrature.py", "units.py", "particles.py", "materials.py")


def source_hash() -> str:
    """:func:`leptoportal.cache.source_hash` of :data:`SOURCES`."""
    return _cache.source_hash(SOURCES)


def _package_version() -> str:
    from .._version import __version__

    return str(__version__)


def key_inputs(proc: Process, spec: dict) -> dict:
    """Everything that changes the tabulated numbers, as a JSON-able dict."""
    m_i, m_f = proc.masses
    return {
        "schema": SCHEMA,
        "beam": proc.beam.name,
        "final": proc.final.name,
        "m_i": repr(float(m_i)),
        "m_f": repr(float(m_f)),
        "target": {f.name: (repr(v) if isinstance(v, float) else v)
                   for f in dataclasses.fields(proc.target)
                   for v in [getattr(proc.target, f.name)]},
        "nucleus_mass_gev": repr(float(proc.target.nucleus_mass_gev)),
        "method": proc.method,
        "form_factor": proc.form_factor,
        "vertex": proc.vertex,
        "grid": {k: (repr(float(v)) if isinstance(v, float) else v) for k, v in spec.items()},
        "version": _package_version(),
        "source_sha256": source_hash(),
    }


def cache_key(proc: Process, spec: dict) -> str:
    """Hex SHA-256 of :func:`key_inputs` (:func:`leptoportal.cache.cache_key`)."""
    return _cache.cache_key(key_inputs(proc, spec))


def cache_dir() -> Path:
    """The folder of the sigma tables (:func:`leptoportal.cache.cache_dir`)."""
    return _cache.cache_dir(_CACHE_SUBDIR)


def _cache_file(proc: Process, key: str) -> Path:
    safe = "".join(c if c.isalnum() else "_" for c in proc.target.name)[:40]
    return cache_dir() / f"sigma_{proc.method}_{proc.beam.name}_{proc.final.name}_{safe}_{key[:24]}.npz"


def _load_cached(path: Path, key: str, shape):
    """Node values from ``path`` if it is a complete table for ``key``, else None (never raises)."""
    data = _cache.load_npz(path, key, ("values",))
    if data is None:
        return None
    values = np.asarray(data["values"], dtype=float)
    if values.shape != shape or np.any(values < 0):
        return None
    return values


# ----------------------------------------------------------------------------- building


def _sigma_chunk(proc: Process, points, order: int):
    """sigma per unit coupling^2 [GeV^-2] at a list of (E, m) points (runs in a worker)."""
    out = np.empty(len(points))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k, (E, m) in enumerate(points):
            out[k] = sigma_point(proc, float(E), float(m), order)
    return out


def _evaluate_nodes(proc: Process, E_nodes, m_nodes, order: int, workers: int):
    """Evaluate the engine at every node; identical numbers for any ``workers``."""
    pts = list(zip(E_nodes.ravel().tolist(), m_nodes.ravel().tolist()))
    if workers == 1 or len(pts) < 2:
        vals = _sigma_chunk(proc, pts, order)
    else:
        n_chunks = min(len(pts), 8 * workers)
        bounds = np.linspace(0, len(pts), n_chunks + 1).astype(int)
        chunks = [pts[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        with ProcessPoolExecutor(max_workers=workers) as ex:
            parts = list(ex.map(_sigma_chunk, [proc] * len(chunks), chunks, [order] * len(chunks)))
        vals = np.concatenate(parts)
    vals = vals.reshape(E_nodes.shape)
    bad = ~np.isfinite(vals) | (vals < 0)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        warnings.warn(
            f"sigma engine returned {vals.ravel()[i]!r} at E = {E_nodes.ravel()[i]:g} GeV, "
            f"m = {m_nodes.ravel()[i]:g} GeV ({int(bad.sum())} node(s)); set to 0",
            RuntimeWarning, stacklevel=3,
        )
        vals = np.where(bad, 0.0, vals)
    return vals


def grid_spec(proc: Process, energy_range, mass_range, n_energy, n_mass, order):
    """Validate the requested grid and return (spec dict, tau nodes, mass nodes)."""
    def _pair(value, name, unit):
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise InputError(name, f"must be a pair (low, high) in {unit}; got {value!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
            raise InputError(name, f"must satisfy 0 < low < high (finite, {unit}); got {value!r}")
        return lo, hi

    E_lo, E_hi = _pair(energy_range, "energy_range", "GeV")
    m_lo, m_hi = _pair(mass_range, "mass_range", "GeV")
    for name, n in (("n_energy", n_energy), ("n_mass", n_mass)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 4 <= n <= 2000:
            raise InputError(name, f"must be an integer in [4, 2000] (a cubic needs 4 nodes); got {n!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= 8:
        raise InputError("order", f"must be an integer in [1, 8]; got {order!r}")
    m_i, m_f = proc.masses
    if m_lo <= m_i - m_f:
        raise InputError(
            "mass_range",
            f"for {proc.beam.name} -> {proc.final.name} the scalar mass must exceed m_i - m_f = {m_i - m_f:.6g} GeV; "
            f"got low = {m_lo:g} GeV",
        )
    breaks = mass_breaks(proc, m_lo, m_hi)
    if breaks and n_mass < 4 * (len(breaks) + 1):
        raise InputError("n_mass", f"the threshold line has {len(breaks)} kink(s) in the mass range (split there); "
                                   f"need n_mass >= {4 * (len(breaks) + 1)}; got {n_mass}")
    # E_th(m) need not be monotonic (WW): bound it on a dense grid plus the ends and kinks
    probe = np.concatenate([np.geomspace(m_lo, m_hi, 2001), [m_lo, m_hi], breaks])
    th = threshold_energy(proc, probe)
    th_min, th_max = float(th.min()), float(th.max())
    if E_hi <= th_min:
        raise InputError(
            "energy_range",
            f"E_high = {E_hi:g} GeV is at or below threshold (>= {th_min:.6g} GeV for every mass in the range): "
            "no point of the table would be above threshold",
        )
    tau_hi = E_hi - th_min
    crosses = E_lo <= th_max
    tau_lo = TAU_FLOOR_REL * E_lo if crosses else E_lo - th_max
    tau_lo = min(tau_lo, 0.5 * tau_hi)
    spec = {
        "variable": "ln(E - E_th(m)) x ln(m)",
        "threshold": {Method.ETL: "exact (nuclear recoil)", Method.WW: "max(m_f + m, WW flux edge)",
                      Method.IWW: "m_f + m"}[proc.method],
        "energy_range": [E_lo, E_hi],
        "mass_range": [m_lo, m_hi],
        "n_energy": int(n_energy),
        "n_mass": int(n_mass),
        "tau_range": [tau_lo, tau_hi],
        "tau_floor_rel": TAU_FLOOR_REL,
        "mass_breaks": [float(b) for b in breaks],
        "order": int(order),
    }
    tau = np.exp(np.linspace(math.log(tau_lo), math.log(tau_hi), int(n_energy)))
    tau[0], tau[-1] = tau_lo, tau_hi
    masses = _mass_nodes(m_lo, m_hi, breaks, int(n_mass))
    return spec, tau, masses


def _mass_nodes(m_lo, m_hi, breaks, n):
    """n nodes uniform in ln(m) on each segment between breaks (>= 4 per segment, breaks are nodes)."""
    edges = np.log(np.array([m_lo, *breaks, m_hi], float))
    n_seg = len(edges) - 1
    lengths = np.diff(edges)
    # distinct nodes = sum(k_s) - (n_seg - 1) with k_s nodes on segment s
    extra = n + n_seg - 1 - 4 * n_seg
    share = lengths / lengths.sum() * extra
    k = 4 + np.floor(share).astype(int)
    for idx in np.argsort(-(share - np.floor(share)))[: extra - int(np.floor(share).sum())]:
        k[idx] += 1
    parts = [np.linspace(edges[s], edges[s + 1], k[s])[(1 if s else 0):] for s in range(n_seg)]
    nodes = np.exp(np.concatenate(parts))
    nodes[0], nodes[-1] = m_lo, m_hi
    return nodes


# ----------------------------------------------------------------------------- the table


class SigmaTable:
    """sigma_total(E, m_phi) of one process on a (ln tau, ln m) grid, tau = E - E_th(m).

    Attributes
    ----------
    process : Process
    tau : (n_energy,) nodes of tau = E - E_th(m) [GeV]
    masses : (n_mass,) mass nodes [GeV]
    energies : (n_energy, n_mass) beam energy of every node, tau[:, None] + E_th(masses) [GeV]
    values : (n_energy, n_mass) sigma per unit coupling^2 at the nodes [GeV^-2] (0 where the method is 0)
    energy_range, mass_range : the tabulated (queryable) ranges [GeV]
    metadata : dict (process, grid spec, cache key and its inputs, build time, cache file)
    """

    def __init__(self, process: Process, spec: dict, tau, masses, values, metadata=None):
        self.process = process
        self.spec = dict(spec)
        self.tau = np.asarray(tau, float)
        self.masses = np.asarray(masses, float)
        self.values = np.asarray(values, float)
        self.energy_range = tuple(spec["energy_range"])
        self.mass_range = tuple(spec["mass_range"])
        self.metadata = dict(metadata or {})
        for a in (self.tau, self.masses, self.values):
            a.setflags(write=False)
        self._lt = np.log(self.tau)
        self._lm = np.log(self.masses)
        pos = self.values > 0
        self._zero = ~pos
        # a cell (i, j) = [lt_i, lt_{i+1}] x [lm_j, lm_{j+1}] is "bad" if a corner is a zero node
        z = self._zero
        self._bad_cell = z[:-1, :-1] | z[1:, :-1] | z[:-1, 1:] | z[1:, 1:]
        # one spline per mass segment between kinks of the threshold line
        cuts = [0] + [int(np.argmin(np.abs(self._lm - math.log(b)))) for b in spec.get("mass_breaks", [])] + [len(self._lm) - 1]
        self._seg_bounds = np.array([self._lm[c] for c in cuts[1:-1]])
        filled = self._filled_log()
        from scipy.interpolate import RectBivariateSpline  # deferred: 0.6-1 s import, only tables need it

        self._segments = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            spl = RectBivariateSpline(self._lt, self._lm[a:b + 1], filled[:, a:b + 1], kx=3, ky=3, s=0)
            self._segments.append((a, b, spl))

    # -- construction helpers
    def _filled_log(self):
        """ln(values) with zero nodes filled by linear (ln tau) continuation along each mass column."""
        with np.errstate(divide="ignore"):
            lv = np.log(self.values)
        pos = self.values > 0
        if pos.all():
            return lv
        floor = (lv[pos].min() if pos.any() else 0.0) - 50.0
        out = lv.copy()
        for j in range(lv.shape[1]):
            ok = np.flatnonzero(pos[:, j])
            if ok.size == 0:
                out[:, j] = floor
                continue
            if ok.size == 1:
                out[~pos[:, j], j] = lv[ok[0], j] - 10.0
                continue
            x = self._lt[ok]
            y = lv[ok, j]
            xs = self._lt[~pos[:, j]]
            filled = np.interp(xs, x, y)
            lo_slope = (y[1] - y[0]) / (x[1] - x[0])
            hi_slope = (y[-1] - y[-2]) / (x[-1] - x[-2])
            filled = np.where(xs < x[0], y[0] + lo_slope * (xs - x[0]), filled)
            filled = np.where(xs > x[-1], y[-1] + hi_slope * (xs - x[-1]), filled)
            out[~pos[:, j], j] = np.maximum(filled, floor)
        return out

    @property
    def energies(self):
        return self.tau[:, None] + threshold_energy(self.process, self.masses)[None, :]

    def threshold(self, mass):
        """E_th(m) [GeV] used by this table (see :func:`threshold_energy`)."""
        return threshold_energy(self.process, mass)

    # -- evaluation
    def _check(self, E, m):
        lo, hi = self.energy_range
        if E.size and (np.any(~np.isfinite(E)) or np.any(E < lo * (1 - _RANGE_SLACK)) or np.any(E > hi * (1 + _RANGE_SLACK))):
            bad = E[~(np.isfinite(E) & (E >= lo * (1 - _RANGE_SLACK)) & (E <= hi * (1 + _RANGE_SLACK)))].ravel()[0]
            raise InputError("energy", f"E = {bad!r} GeV is outside the tabulated range [{lo:g}, {hi:g}] GeV "
                                       "(build a table with a wider energy_range)")
        lo, hi = self.mass_range
        if m.size and (np.any(~np.isfinite(m)) or np.any(m < lo * (1 - _RANGE_SLACK)) or np.any(m > hi * (1 + _RANGE_SLACK))):
            bad = m[~(np.isfinite(m) & (m >= lo * (1 - _RANGE_SLACK)) & (m <= hi * (1 + _RANGE_SLACK)))].ravel()[0]
            raise InputError("mass", f"m = {bad!r} GeV is outside the tabulated range [{lo:g}, {hi:g}] GeV "
                                     "(build a table with a wider mass_range)")

    def _bilinear_sigma(self, lt, lm, i, j):
        """Bilinear interpolation of sigma (not its log) in (ln tau, ln m) inside cell (i, j)."""
        u = (lt - self._lt[i]) / (self._lt[i + 1] - self._lt[i])
        v = (lm - self._lm[j]) / (self._lm[j + 1] - self._lm[j])
        u = np.clip(u, 0.0, 1.0)
        v = np.clip(v, 0.0, 1.0)
        V = self.values
        return ((1 - u) * (1 - v) * V[i, j] + u * (1 - v) * V[i + 1, j]
                + (1 - u) * v * V[i, j + 1] + u * v * V[i + 1, j + 1])

    def sigma_gev2(self, energy, mass):
        """Interpolated sigma_total per unit coupling^2 [GeV^-2]; broadcasts ``energy`` [GeV] x ``mass`` [GeV].

        Exactly 0 at and below threshold (E <= E_th(m) >= m_f + m).  InputError
        (parameter "energy" or "mass") outside the tabulated range.
        """
        E = np.asarray(energy, float)
        m = np.asarray(mass, float)
        if E.size == 0 or m.size == 0:
            return np.zeros(np.broadcast_shapes(E.shape, m.shape))
        self._check(E, m)
        E, m = np.broadcast_arrays(E, m)
        shape = E.shape
        E = E.ravel()
        m = np.clip(m.ravel(), self.masses[0], self.masses[-1])
        tau = E - threshold_energy(self.process, m)
        out = np.zeros(E.shape)
        above = tau > 0
        if not np.any(above):
            return out.reshape(shape)
        lt_lo, lt_hi = self._lt[0], self._lt[-1]
        lt = np.minimum(np.log(np.where(above, tau, 1.0)), lt_hi)
        lm = np.log(m)
        ltc = np.maximum(lt, lt_lo)  # clamped into the grid (below tau_lo: continued below)
        i = np.clip(np.searchsorted(self._lt, ltc, side="right") - 1, 0, len(self._lt) - 2)
        j = np.clip(np.searchsorted(self._lm, lm, side="right") - 1, 0, len(self._lm) - 2)
        below = lt < lt_lo
        seg = np.searchsorted(self._seg_bounds, lm, side="right")
        for s_idx, (a, b_, spl) in enumerate(self._segments):
            # keep the cell inside the segment (a query on a break belongs to the upper segment)
            j = np.where(seg == s_idx, np.clip(j, a, b_ - 1), j)
        bad = self._bad_cell[i, j]
        good = above & ~bad
        for s_idx, (a, b_, spl) in enumerate(self._segments):
            sel = good & (seg == s_idx)
            if not np.any(sel):
                continue
            ls = spl.ev(ltc[sel], lm[sel])
            b = below[sel]
            if np.any(b):  # power-law continuation to threshold, exponent >= 1
                slope = np.maximum(spl.ev(ltc[sel][b], lm[sel][b], dx=1), 1.0)
                ls[b] = ls[b] + slope * (lt[sel][b] - lt_lo)
            out[sel] = np.exp(ls)
        badp = above & bad
        if np.any(badp):
            s = self._bilinear_sigma(ltc[badp], lm[badp], i[badp], j[badp])
            b = below[badp]
            s[b] = s[b] * np.exp(lt[badp][b] - lt_lo)  # linear in tau to 0 at threshold
            out[badp] = s
        return out.reshape(shape)

    def sigma_pb(self, energy, mass, coupling=1.0):
        """sigma_total in pb at (energy [GeV], mass [GeV]) for ``coupling`` (broadcast over all three).

        sigma = coupling^2 * sigma_table(E, m) * GEV2_TO_PB, the table being the
        per-unit-coupling^2 total of the chosen method (ETL: e->mu paper Eq. 12
        integrated; WW: Eqs. 22-23; IWW: Eqs. A1-A2).  0 below threshold;
        InputError for a point outside the tabulated range or a non-finite coupling.
        """
        g = np.asarray(coupling, float)
        if not np.all(np.isfinite(g)):
            raise InputError("coupling", f"must be finite; got {coupling!r}")
        return self.sigma_gev2(energy, mass) * GEV2_TO_PB * g * g

    def __repr__(self):
        p = self.process
        return (f"SigmaTable({p.beam.name} {p.target.name} -> {p.final.name} phi, method={p.method!r}, "
                f"form_factor={p.form_factor!r}, E in {self.energy_range} GeV, m in {self.mass_range} GeV, "
                f"grid {len(self.tau)} x {len(self.masses)})")


def build_table(process: Process, energy_range=(1.0, 1000.0), mass_range=(1e-3, 10.0),
                n_energy=None, n_mass=None, order=1, workers=1, cache=True) -> SigmaTable:
    """Tabulate (or load from cache) sigma_total of an already-validated :class:`Process`.

    ``n_energy``/``n_mass`` = None take :data:`DEFAULT_GRID` of the method.
    """
    n_energy = DEFAULT_GRID[process.method][0] if n_energy is None else n_energy
    n_mass = DEFAULT_GRID[process.method][1] if n_mass is None else n_mass
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError("workers", f"must be an integer >= 1; got {workers!r}")
    spec, tau, masses = grid_spec(process, energy_range, mass_range, n_energy, n_mass, order)
    key = cache_key(process, spec)
    meta = {"cache_key": key, "key_inputs": key_inputs(process, spec), "cache_file": None,
            "from_cache": False, "build_seconds": None, "workers": int(workers)}
    path = None
    if cache:
        path = _cache_file(process, key)
        meta["cache_file"] = str(path)
        values = _load_cached(path, key, (len(tau), len(masses)))
        if values is not None:
            meta["from_cache"] = True
            return SigmaTable(process, spec, tau, masses, values, meta)
    E_nodes = tau[:, None] + threshold_energy(process, masses)[None, :]
    m_nodes = np.broadcast_to(masses[None, :], E_nodes.shape)
    t0 = time.perf_counter()
    values = _evaluate_nodes(process, E_nodes, m_nodes, int(order), int(workers))
    meta["build_seconds"] = time.perf_counter() - t0
    if cache:
        if not _cache.save_npz(path, key, values=values, tau=tau, masses=masses,
                               meta=np.array(json.dumps(meta["key_inputs"], sort_keys=True))):
            # an unwritable cache must not lose the computed table
            warnings.warn(f"could not write sigma table cache {path}", RuntimeWarning, stacklevel=2)
    return SigmaTable(process, spec, tau, masses, values, meta)


def sigma_table(beam="e-", final="mu-", target="Pb", method="etl", form_factor="elastic",
                energy_range=(1.0, 1000.0), mass_range=(1e-3, 10.0), n_energy=None,
                n_mass=None, workers=1, cache=True, order=1, vertex="chiral") -> SigmaTable:
    """Tabulated total cross section of l_i N -> l_f N phi per unit coupling^2, with interpolation.

    The node values are ``sigma_point`` totals (ETL: e->mu paper Eq. 12 integrated
    over x, cos(theta_k), t; WW: Eqs. 22-23; IWW: Eqs. A1-A2) on a grid uniform in
    ln(E - E_th(m)) and ln(m) (see the module docstring).  ``workers`` processes
    build it (1 = serial, in-process; results are identical); ``cache`` reads and
    writes the on-disk cache.  Returns a :class:`SigmaTable`; use
    ``table.sigma_pb(energy, mass, coupling)``.

    ``n_energy`` x ``n_mass`` nodes (None: the method's default, :data:`DEFAULT_GRID`:
    ETL 40 x 60, WW 60 x 60, IWW 40 x 60); ``order`` multiplies every quadrature
    order of the engine (as in :func:`~leptoportal.xsec.api.total_cross_section`).
    ``vertex``: "chiral" (e->mu paper), "scalar" or "pseudoscalar".
    """
    proc = make_process(beam, final, target, method, form_factor, vertex)
    return build_table(proc, energy_range, mass_range, n_energy, n_mass, order, workers, cache)
