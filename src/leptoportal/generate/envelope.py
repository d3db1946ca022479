"""Piecewise-constant envelopes on adaptive tensor grids of the unit cube, for exact unweighting.

The generator maps every process onto the unit cube ``[0, 1]^d`` (physics maps in
:mod:`leptoportal.generate.channels` remove the known peaks: the characteristic angle
theta_0, the form-factor scale of t, the 1/s collinear peak in phi_q).  The mapped density
h(u) = f(vars(u)) |d vars/du| is then bounded from above by a constant on each cell of a
tensor grid (non-uniform edges per dimension).  Sampling is classic rejection
(von Neumann 1951) with that piecewise-constant envelope g:

    pick a cell with probability  g_c V_c / sum(g V),  u uniform in the cell,
    accept with probability       h(u) / g_c.

The accepted u are distributed exactly as h / int h wherever h <= g_c.  The bound g_c is
*measured*: the maximum of h over every cell corner and cell centre, times a safety factor
fixed by independent random probes (the smallest factor that covers all of them, times
1.2, at least ``min_safety`` = 1.1).  A point with h > g_c found later (an "envelope violation")
is counted; :func:`leptoportal.generate.sampler.sample_events` then raises that cell and
redraws the whole chunk, so the kept sample is drawn from a valid envelope (see
docs/generate.md, "Exactness").

Edges are adapted VEGAS-style (Lepage, J. Comput. Phys. 27 (1978) 192): per dimension the
marginal of g_c V_c is equalised over the bins, damped with exponent 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _clean(h):
    h = np.asarray(h, float)
    return np.where(np.isfinite(h) & (h > 0), h, 0.0)


@dataclass
class GridEnvelope:
    """Cell grid with edges ``edges[k]`` (increasing, 0 .. 1) and envelope values ``env``."""

    edges: list
    env: np.ndarray  #: envelope value per cell, shape (n_1, ..., n_d)
    safety: float = 1.0
    probe_ratio_max: float = 0.0  #: max over random probes of h / (corner/centre max)
    n_evaluations: int = 0
    cum: np.ndarray = field(init=False, repr=False)
    total: float = field(init=False)

    def __post_init__(self):
        self.refresh()

    @property
    def shape(self):
        return self.env.shape

    @property
    def dim(self):
        return len(self.edges)

    def volumes(self):
        w = [np.diff(e) for e in self.edges]
        vol = w[0]
        for wk in w[1:]:
            vol = np.multiply.outer(vol, wk)
        return vol

    def refresh(self):
        """Recompute the cell-selection tables after ``env`` changed."""
        mass = (self.env * self.volumes()).ravel()
        self.cum = np.cumsum(mass)
        self.total = float(self.cum[-1]) if self.cum.size else 0.0
        self.alias_prob, self.alias = alias_table(mass)
        # per-cell lower corner and widths (flat index), so a proposal needs no unravel_index
        grids = np.meshgrid(*[e[:-1] for e in self.edges], indexing="ij")
        widths = np.meshgrid(*[np.diff(e) for e in self.edges], indexing="ij")
        self.cell_lo = np.stack([g.ravel() for g in grids], axis=1)
        self.cell_w = np.stack([w.ravel() for w in widths], axis=1)
        self.env_flat = self.env.reshape(-1)

    def copy(self):
        return GridEnvelope([e.copy() for e in self.edges], self.env.copy(), self.safety, self.probe_ratio_max,
                            self.n_evaluations)

    def propose(self, n, rng, extra=0):
        """``n`` points from the normalised envelope: (u (n, d), flat cell index (n,), g (n,)).

        With ``extra`` > 0 also returns ``extra`` more uniforms per point (n, extra), drawn in the
        same call (the acceptance test's)."""
        d = self.dim
        r = rng.random((d + 1 + extra, n))
        # Walker's alias method: O(1) per draw (Vose's construction in alias_table)
        if _propose_nb is not None:
            u = np.empty((n, d))
            idx = np.empty(n, np.int64)
            g = np.empty(n)
            _propose_nb(r, self.alias_prob, self.alias, self.cell_lo, self.cell_w, self.env_flat, u, idx, g)
        else:  # pragma: no cover - numba is a declared dependency
            K = self.alias.size
            s = r[0] * K
            col = np.minimum(s.astype(np.int64), K - 1)
            idx = np.where(s - col < np.take(self.alias_prob, col), col, np.take(self.alias, col))
            u = np.take(self.cell_lo, idx, axis=0)
            u += np.take(self.cell_w, idx, axis=0) * r[1:d + 1].T
            g = np.take(self.env_flat, idx)
        if extra:
            return u, idx, g, r[d + 1:].T
        return u, idx, g

    def density(self, idx):
        """Normalised proposal density q(u) = g_c / sum(g V) at flat cell indices ``idx``."""
        return self.env_flat[idx] / self.total


def alias_table(mass):
    """Walker/Vose alias table for sampling index i with probability mass[i]/sum(mass)."""
    mass = np.ascontiguousarray(mass, dtype=float)
    K = mass.size
    total = mass.sum()
    prob = np.zeros(K)
    alias = np.arange(K)
    if K == 0 or total <= 0:
        return prob, alias
    _vose(mass * (K / total), prob, alias)
    # a zero-mass cell must never be returned through its own column
    zero = mass <= 0
    prob[zero] = 0.0
    alias[zero & (alias == np.arange(K))] = int(np.argmax(mass))
    return prob, alias


def _vose_py(p, prob, alias):
    """Vose's construction (Vose, IEEE Trans. Softw. Eng. 17 (1991) 972) on p = K mass/sum(mass),
    in place; stacks of small (p < 1) and large columns, filled in index order."""
    K = p.size
    p = p.copy()
    small = np.empty(K, np.int64)
    large = np.empty(K, np.int64)
    ns = nl = 0
    for i in range(K):
        if p[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s_ = small[ns]
        l_ = large[nl - 1]
        prob[s_] = p[s_]
        alias[s_] = l_
        p[l_] = (p[l_] + p[s_]) - 1.0
        if p[l_] < 1.0:
            nl -= 1
            small[ns] = l_
            ns += 1
    for k in range(nl):  # leftovers are 1 up to rounding
        prob[large[k]] = 1.0
        alias[large[k]] = large[k]
    for k in range(ns):
        prob[small[k]] = 1.0
        alias[small[k]] = small[k]


def _propose_py(r, alias_prob, alias, cell_lo, cell_w, env_flat, u, idx, g):
    """Per point, the NumPy algebra of :meth:`GridEnvelope.propose` (same operations, same numbers):
    column c = min(int(K r_0), K - 1), cell = c if K r_0 - c < prob[c] else alias[c], u = lo + w r_{1..d}."""
    K = alias_prob.shape[0]
    d = cell_lo.shape[1]
    for i in range(u.shape[0]):
        s = r[0, i] * K
        col = min(int(s), K - 1)
        c = col if s - col < alias_prob[col] else alias[col]
        idx[i] = c
        for k in range(d):
            u[i, k] = cell_lo[c, k] + cell_w[c, k] * r[1 + k, i]
        g[i] = env_flat[c]


try:  # the loops are compiled (a 64^2-cell table in ~30 us instead of ~4 ms)
    from numba import njit as _njit

    _vose = _njit(cache=True, nogil=True)(_vose_py)
    _propose_nb = _njit(cache=True, nogil=True)(_propose_py)
except Exception:  # pragma: no cover - numba is a declared dependency
    _vose = _vose_py
    _propose_nb = None


def _cell_points(edges, where):
    """Points of every cell: ``where`` in {'corners', 'centres'}; returns (points (P, d), shape)."""
    if where == "corners":
        axes = edges
    else:
        axes = [0.5 * (e[1:] + e[:-1]) for e in edges]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=-1), grids[0].shape


def _corner_max(hc):
    """Per-cell maximum over the 2^d corners of a grid of corner values."""
    d = hc.ndim
    out = None
    for corner in range(2**d):
        sl = tuple(slice(1, None) if (corner >> k) & 1 else slice(None, -1) for k in range(d))
        v = hc[sl]
        out = v if out is None else np.maximum(out, v)
    return out


def _adapt_edges(edges, env, alpha=0.5, floor=1e-3):
    """One VEGAS-style rebinning: equalise the per-dimension marginal of env * volume."""
    vol_env = env
    w = [np.diff(e) for e in edges]
    for k in range(len(edges)):
        shape = [1] * len(edges)
        shape[k] = -1
        vol_env = vol_env * w[k].reshape(shape)
    new = []
    for k, e in enumerate(edges):
        axes = tuple(j for j in range(len(edges)) if j != k)
        m = vol_env.sum(axis=axes)
        m = m / max(m.sum(), 1e-300)
        imp = (np.maximum(m, floor / m.size)) ** alpha
        cum = np.concatenate([[0.0], np.cumsum(imp)])
        cum /= cum[-1]
        targets = np.linspace(0.0, 1.0, e.size)
        ne = np.interp(targets, cum, e)
        ne[0], ne[-1] = 0.0, 1.0
        new.append(ne)
    return new


def calibrate(env: GridEnvelope, h, rng, n, rounds=3, margin=1.5, watch=0.9):
    """Tighten-by-raising: draw ``n`` proposals from the envelope (fixed-seed ``rng``) and raise
    every cell where h/g > ``watch`` to ``margin`` * h; repeat.  Returns the number of cells raised.
    Deterministic; it removes most would-be violations before any user event is drawn."""
    raised = 0
    for _ in range(rounds):
        u, idx, g = env.propose(n, rng)
        hv = _clean(h(u))
        env.n_evaluations += n
        hot = hv > watch * g
        if not hot.any():
            break
        flat = env.env.reshape(-1)
        np.maximum.at(flat, idx[hot], margin * hv[hot])
        raised += int(np.unique(idx[hot]).size)
        env.refresh()
    return raised


def build_envelope(h, n_bins, rng, *, n_adapt=2, n_random=4, min_safety=1.1, initial_edges=None,
                   calibration=0):
    """Measure a piecewise-constant envelope of ``h`` (vectorised: u (P, d) -> (P,), >= 0).

    ``n_bins``: bins per dimension.  ``rng`` draws the random probes (the generator passes
    a fixed seed so the envelope does not depend on the user's stream).  ``calibration``: number
    of proposals of the :func:`calibrate` pass (0: none).  Returns a :class:`GridEnvelope`;
    ``env`` is all zero if h vanishes on every probe.
    """
    d = len(n_bins)
    edges = initial_edges or [np.linspace(0.0, 1.0, nb + 1) for nb in n_bins]
    n_eval = 0
    for it in range(n_adapt + 1):
        pts, shp = _cell_points(edges, "corners")
        hc = _clean(h(pts)).reshape(shp)
        cen, cshp = _cell_points(edges, "centres")
        hm = _clean(h(cen)).reshape(cshp)
        n_eval += pts.shape[0] + cen.shape[0]
        env = np.maximum(_corner_max(hc), hm)
        if it < n_adapt and env.max() > 0:
            edges = _adapt_edges(edges, env)
    # random probes: measure how far the corner/centre maximum can be exceeded inside a cell
    grid = GridEnvelope(edges, env)
    ncell = env.size
    idx = np.repeat(np.arange(ncell), n_random)
    multi = np.unravel_index(idx, env.shape)
    u = np.empty((idx.size, d))
    r = rng.random((idx.size, d))
    for k, e in enumerate(edges):
        u[:, k] = e[multi[k]] + (e[multi[k] + 1] - e[multi[k]]) * r[:, k]
    hr = _clean(h(u))
    n_eval += idx.size
    flat = env.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(flat[idx] > 0, hr / flat[idx], np.where(hr > 0, np.inf, 0.0))
    finite = ratio[np.isfinite(ratio)]
    rmax = float(finite.max()) if finite.size else 0.0
    # a cell whose corners and centre vanish but a probe does not: bound it by the probe
    env_r = np.zeros(ncell)
    np.maximum.at(env_r, idx, hr)
    safety = max(min_safety, 1.2 * rmax)  # 20 % above the worst probe, at least min_safety
    env = np.maximum(flat, env_r).reshape(grid.env.shape) * safety
    grid = GridEnvelope(edges, env, safety=safety, probe_ratio_max=rmax, n_evaluations=n_eval)
    if calibration:
        grid.calibrated_cells = calibrate(grid, h, rng, calibration)
    return grid
