"""Event generation: exact unweighted (or weighted) events of l_i N -> l_f N phi.

:func:`sample_events` is the public entry point.
Algorithm (docs/generate.md):

1. The process is mapped onto the unit cube by a channel (:mod:`.channels`): WW/IWW in
   (x, theta_k) or (y, psi), ETL in (y, psi, t, phi_q).  The density is the engine's.
2. Energies are grouped in bins of ``1/bins_per_decade`` decades of ln E.  For each bin a
   piecewise-constant envelope (:mod:`.envelope`) is measured at the lowest, geometric-mean
   and highest energy of the events in the bin (all the same for a mono-energetic beam).
3. Each event is drawn by rejection at *its own* beam energy: proposal from the bin's
   envelope, acceptance h(u; E_j)/g.  So a spectrum of energies (a shower) is sampled in one
   call, exactly, event by event.
4. A proposal with h > g (an envelope violation) is counted; the cell is raised to 1.2 h and
   the (chunk, bin) is redrawn from its own seed, so the kept events come from a valid envelope.
5. Four-vectors: :mod:`.fourvec` (exact 2->3 kinematics, energy-momentum conservation checked
   to 1e-9 of the beam energy for every event, azimuths uniform).  Unweighted WW/IWW events: steps
   3-5 in one compiled kernel (``WWChannel.events``), which checks each event as it builds it.

Reproducibility: the events are split into chunks of ``chunk_size``; chunk c uses the c-th
child of ``rng``'s SeedSequence (``SeedSequence.spawn``), and inside it the energy bin b and
attempt a use the grandchild (b, a).  Envelopes are measured with a fixed seed.  The output is
thus a function of (rng seed, inputs, chunk_size) only -- the same serially, chunk by chunk
(:func:`generate_chunk`) or in parallel.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..domains import DOMAINS, check
from ..errors import InputError
from ..units import GEV2_TO_PB
from ..xsec import api
from ..xsec.etl import x_nodes
from ..xsec.kinematics import threshold_energy as kinematic_threshold
from ..xsec.tables import threshold_energy
from .channels import make_channel
from .envelope import build_envelope
from .fourvec import finish

#: events per chunk (fixed: results depend on it, not on the number of workers)
CHUNK_SIZE = 65536
#: energy bins per decade for per-event beam energies
BINS_PER_DECADE = 10
#: offset of the fixed energy-bin index (keeps seeds' spawn keys >= 0 down to 1e-1000 GeV)
BIN_OFFSET = 10_000
#: seed of the envelope probes (envelopes do not depend on the user's stream)
ENVELOPE_SEED = 20261121
#: tolerance of the per-event energy-momentum check, relative to the beam energy
CONSERVATION_TOL = 1e-9
MAX_REDRAWS = 8
#: fixed-seed proposals per envelope that raise cells coming within 10 % of the density (envelope.calibrate)
CALIBRATION = 100_000
#: the same for each fixed bin of a spectrum (many envelopes per call: cheaper, violations still redrawn)
CALIBRATION_SPECTRUM = 30_000
#: (adaptation rounds, random probes per cell) of the envelope of a spectrum bin (mono-energetic: 2, 4)
SPECTRUM_BUILD = (1, 2)
#: proposals per vectorised block (cache-sized arrays are several times faster than huge ones)
BLOCK = 65536


@dataclass
class EventBatch:
    """Generated events (NumPy arrays of length n; four-vectors (E, px, py, pz) in GeV, beam along +z).

    ``weight``: 1 for unweighted events; for ``weighted=True`` the cross-section weight in pb
    (mean over events = sigma at that beam energy).  ``sigma_pb``: the engine's total cross
    section of the sampled density (float for one beam energy, else per event).
    """

    beam_energy: np.ndarray
    x: np.ndarray
    y: np.ndarray
    theta_k: np.ndarray
    psi: np.ndarray
    weight: np.ndarray
    lep: np.ndarray
    phi: np.ndarray
    rec: np.ndarray | None
    sigma_pb: float | np.ndarray
    method: str
    frame: str = "x"
    t: np.ndarray | None = None
    phi_q: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def __len__(self):
        return int(self.x.size)


# ------------------------------------------------------------------------------ validation


def _check_inputs(model, energy, n_events, rng, target, method, beam, final, form_factor, frame):
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
        raise InputError("n_events", DOMAINS["events"].message(n_events))
    check(n_events, "events", "n_events")  # the cap bounds memory (~320 bytes per event at peak)
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng", f"must be a seeded numpy.random.Generator; got {type(rng).__name__}")
    proc = api.make_process(beam, final, target, method, form_factor, getattr(model, "vertex", "chiral"))
    m = np.asarray(model.mass, float)
    if m.ndim != 0:
        raise InputError("mass", f"event generation needs one scalar mass; got an array of shape {m.shape}")
    m = float(m)
    E = np.asarray(energy, float)
    if E.ndim == 0:
        E_all = np.full(int(n_events), float(E))
    elif E.shape == (int(n_events),):
        E_all = E.astype(float)
    else:
        raise InputError("energy", f"must be a float or an array of n_events = {n_events} energies; "
                                   f"got shape {E.shape}")
    uniq = np.array([float(E)]) if E.ndim == 0 else np.unique(E_all)  # (no 1e6-element sort for one energy)
    api._check_points(proc, uniq, m)
    e_th = float(threshold_energy(proc, m))
    if uniq[0] <= e_th * (1.0 + 1e-9):
        raise InputError("energy", f"E = {uniq[0]:g} GeV is at or below the {method.upper()} threshold "
                                   f"{e_th:.6g} GeV for m_phi = {m:g} GeV")
    if frame is not None and frame not in ("x", "y"):
        raise InputError("frame", f"must be 'x' or 'y'; got {frame!r}")
    if method == "etl" and frame == "x":
        raise InputError("frame", "ETL events are generated in the full 2->3 (y, psi, t, phi_q) frame; use frame='y' "
                                  "(x and theta_k are filled from the four-vectors)")
    return proc, m, E_all


# ------------------------------------------------------------------------------ seeds


def seed_sequence(rng: np.random.Generator) -> np.random.SeedSequence:
    ss = getattr(rng.bit_generator, "seed_seq", None)
    if isinstance(ss, np.random.SeedSequence):
        return ss
    return np.random.SeedSequence(int(rng.integers(0, 2**63)))  # pragma: no cover


def _child_rng(bitgen_type, ss: np.random.SeedSequence, *key):
    child = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + tuple(int(k) for k in key),
                                   pool_size=ss.pool_size)
    return np.random.Generator(bitgen_type(child))


# ------------------------------------------------------------------------------ cross sections


def _sigma_unit_pb(proc, model, energies, frame_name):
    """Engine total of the density being sampled, pb (coupling included)."""
    common = dict(target=proc.target, method=proc.method, beam=proc.beam, final=proc.final,
                  form_factor=proc.form_factor)
    E = np.atleast_1d(np.asarray(energies, float))
    if proc.method == "etl" or frame_name == "x":
        return np.atleast_1d(api.total_cross_section(model, E, **common)).astype(float)
    # WW/IWW (y, psi): integral of the engine's dsigma/dy (Eq. 27 over psi <= psi_max, or Eq. A4)
    m_f = proc.final.mass
    out = np.empty(E.size)
    for k, e in enumerate(E):
        ys, wy = x_nodes(m_f / e, 1.0 - float(model.mass) / e, 12)
        out[k] = float(np.sum(wy * np.ravel(api.dsigma_dy(model, e, ys, **common))))
    return out


def _sigma_per_event(proc, model, E_all, frame_name, bins):
    uniq = np.unique(E_all)
    if uniq.size <= 12:
        vals = _sigma_unit_pb(proc, model, uniq, frame_name)
        return vals[np.searchsorted(uniq, E_all)]
    # interpolate ln sigma in ln E through the bin edges and centres (PCHIP: monotone, no overshoot)
    from scipy.interpolate import PchipInterpolator

    nodes = set()
    for lo, hi in bins.values():
        nodes.update([lo, math.sqrt(lo * hi), hi])
    nodes = np.array(sorted(nodes))
    vals = _sigma_unit_pb(proc, model, nodes, frame_name)
    pos = vals > 0
    if not pos.all() and pos.any():
        # a node at the threshold (the lowest fixed bin's lower edge): sigma -> 0 there, so
        # interpolate ln sigma over the positive nodes and sigma linearly below the first of them
        first = int(np.argmax(pos))
        lowE = E_all < nodes[pos][0]
        out = np.empty(E_all.size)
        out[lowE] = np.interp(E_all[lowE], nodes[: first + 1], vals[: first + 1])
        nodes, vals = nodes[pos], vals[pos]
        hiE = ~lowE
        if nodes.size == 1:
            out[hiE] = vals[0]
        else:
            from scipy.interpolate import PchipInterpolator as _P

            out[hiE] = np.exp(_P(np.log(nodes), np.log(vals), extrapolate=True)(np.log(E_all[hiE])))
        return out
    if nodes.size == 1:
        return np.full(E_all.size, vals[0])
    if nodes.size == 2:
        return np.exp(np.interp(np.log(E_all), np.log(nodes), np.log(vals)))
    return np.exp(PchipInterpolator(np.log(nodes), np.log(vals))(np.log(E_all)))


# ------------------------------------------------------------------------------ drawing


class _Violation(Exception):
    def __init__(self, cells, ratios):
        self.cells, self.ratios = cells, ratios


def _draw_unweighted(channel, env, E, rng, stats):
    """Exact rejection sampling: one accepted u per event at its own energy E[j]."""
    n = E.size
    u_out = np.empty((n, env.dim))
    if getattr(channel, "fast", False) and hasattr(channel, "draw"):
        # compiled fused loop (WW/IWW): propose -> evaluate -> accept, event by event at its own energy
        nprop, vcells, vratios = channel.draw(env, E, rng, u_out)
        if vcells.size:
            raise _Violation(vcells, vratios)
        stats["proposed"] += nprop
        stats["accepted"] += n
        return u_out
    const = bool(np.all(E == E[0]))
    pending = np.arange(n)
    acc_est = 0.5
    filled = 0
    while const and filled < n:
        need = n - filled
        m = int(min(BLOCK, math.ceil(need / max(acc_est, 1e-3) * 1.05) + 64))
        u, idx, g, r = env.propose(m, rng, extra=1)
        h = channel.h(u, E[0])
        if np.any(h > g):
            bad = h > g
            raise _Violation(idx[bad], h[bad] / g[bad])
        acc = np.flatnonzero(r[:, 0] * g < h)
        acc_est = max(acc.size / m, 1e-3)
        take = acc[:need]
        # proposals after the last accepted one that is kept were never needed: not counted
        stats["proposed"] += int(take[-1]) + 1 if take.size == need else m
        u_out[filled:filled + take.size] = u[take]
        stats["accepted"] += take.size
        filled += take.size
    if const:
        return u_out
    # per-event energies: k candidates per pending event, the first accepted one is kept
    # (sequential trials at the event's own energy, so exact)
    while pending.size:
        k = max(1, int(round(0.5 / acc_est)))
        pending_all, pending = pending, pending[: max(1, BLOCK // k)]
        Ep = np.repeat(E[pending], k)
        u, idx, g = env.propose(Ep.size, rng)
        h = channel.h(u, Ep)
        r = rng.random(Ep.size)
        bad = h > g
        if bad.any():
            raise _Violation(idx[bad], h[bad] / g[bad])
        ok = (r * g < h).reshape(pending.size, k)
        stats["proposed"] += Ep.size
        acc_est = max(ok.mean(), 1e-3)
        got = ok.any(axis=1)
        first = np.argmax(ok, axis=1)
        sel = np.flatnonzero(got)
        u_out[pending[sel]] = u.reshape(pending.size, k, -1)[sel, first[sel]]
        stats["accepted"] += sel.size
        pending = np.concatenate([pending[~got], pending_all[pending.size:]])
    return u_out


def _draw_weighted(channel, env, E, rng, stats):
    """One proposal per event; weight h/q (q the normalised envelope).  Zero-density proposals are
    redrawn and the weights of the bin multiplied by the measured non-zero fraction (ratio estimator)."""
    n = E.size
    u_out = np.empty((n, env.dim))
    w_out = np.empty(n)
    pending = np.arange(n)
    while pending.size:
        u, idx, g = env.propose(pending.size, rng)
        h = channel.h(u, E[pending])
        stats["proposed"] += pending.size
        nz = h > 0
        stats["violations"] += int(np.count_nonzero(h > g))
        sel = pending[nz]
        u_out[sel] = u[nz]
        w_out[sel] = h[nz] / env.density(idx[nz])
        stats["accepted"] += sel.size
        pending = pending[~nz]
    return u_out, w_out


def energy_floor(proc, m) -> float:
    """Lowest energy the sampler evaluates cross sections at: just above both the method's threshold
    (:func:`leptoportal.xsec.tables.threshold_energy`) and the exact kinematic one with the nucleus
    recoil that the engine checks every energy against (:func:`leptoportal.xsec.kinematics.threshold_energy`;
    for WW/IWW, m_f + m lies below it by about (m_f + m)^2 / (2 M_N))."""
    m_i, m_f = proc.masses
    kin = float(kinematic_threshold(m_i, m_f, float(m), proc.target.nucleus_mass_gev))
    return max(float(threshold_energy(proc, m)), kin) * (1.0 + 1e-9)


def energy_bins(E_all, per_decade, e_floor=0.0):
    """Bin index per event and {bin: (E_lo, E_hi)}.

    A mono-energetic beam is one bin, index 0, (E, E).  Otherwise the bins are *fixed*,
    data-independent intervals of ``1/per_decade`` decade: bin k + BIN_OFFSET covers
    [10^(k/per_decade), 10^((k+1)/per_decade)), its lower edge raised to ``e_floor`` (just above the
    threshold) where that is higher.  So the envelope of a bin depends only on (process, vertex,
    mass, frame, bin) -- never on which other energies are in the sample -- and can be memoised
    across calls (:data:`ENVELOPE_CACHE`)."""
    if np.all(E_all == E_all[0]):
        return np.zeros(E_all.size, np.int64), {0: (float(E_all[0]), float(E_all[0]))}
    k = np.floor(np.log10(E_all) * per_decade).astype(np.int64)
    bins = {}
    for kk in np.unique(k):
        lo = 10.0 ** (kk / per_decade)
        hi = 10.0 ** ((kk + 1) / per_decade)
        bins[int(kk) + BIN_OFFSET] = (max(lo, float(e_floor)), hi)
    return k + BIN_OFFSET, bins


def _process_key(channel):
    p = channel.proc
    # (compiled or NumPy density: equal to ~1e-15, but an envelope is keyed by the code that measured it)
    return (p.beam.name, p.final.name, p.target.name, p.method, p.form_factor, channel.vertex, channel.m,
            channel.frame_name, tuple(channel.n_bins), bool(getattr(channel, "fast", False)))


#: memoised envelopes {(process key, bin, E_lo, E_hi, constants): GridEnvelope}, least recently used first.
#: The stored envelopes are read-only; a chunk that must raise cells works on a copy (generate_chunk).
ENVELOPE_CACHE: OrderedDict = OrderedDict()
ENVELOPE_CACHE_SIZE = 512


def clear_envelope_cache():
    """Forget every memoised envelope (results never depend on the cache: it only saves time)."""
    ENVELOPE_CACHE.clear()


def freeze_envelope(env):
    for a in (env.env, env.env_flat, env.cum, env.alias_prob, env.alias, env.cell_lo, env.cell_w, *env.edges):
        a.flags.writeable = False
    return env


class Envelopes:
    """Envelope per energy bin (max of h over the bin's lowest, middle, highest energy), measured
    on first use with a seed fixed by the bin and memoised across calls in :data:`ENVELOPE_CACHE`."""

    def __init__(self, channel, bins):
        self.channel, self.bins, self.cache = channel, bins, {}

    def __getitem__(self, b):
        if b not in self.cache:
            lo, hi = self.bins[b]
            key = (_process_key(self.channel), int(b), lo, hi, ENVELOPE_SEED, self._calibration(lo, hi),
                   SPECTRUM_BUILD)
            env = ENVELOPE_CACHE.get(key)
            if env is None:
                env = freeze_envelope(self._build(b, lo, hi))
                ENVELOPE_CACHE[key] = env
                while len(ENVELOPE_CACHE) > ENVELOPE_CACHE_SIZE:
                    ENVELOPE_CACHE.popitem(last=False)
            else:
                ENVELOPE_CACHE.move_to_end(key)
            self.cache[b] = env
        return self.cache[b]

    @staticmethod
    def _calibration(lo, hi):
        return CALIBRATION if lo == hi else CALIBRATION_SPECTRUM

    def _build(self, b, lo, hi):
        Es = sorted({lo, math.sqrt(lo * hi), hi})
        ch = self.channel

        if hasattr(ch, "h_max"):
            def h(u):
                return ch.h_max(u, Es)
        else:
            def h(u):
                return np.max([ch.h(u, e) for e in Es], axis=0)

        n_adapt, n_random = (2, 4) if lo == hi else SPECTRUM_BUILD
        env = build_envelope(h, ch.n_bins, np.random.default_rng(ENVELOPE_SEED + 7919 * b), n_adapt=n_adapt,
                             n_random=n_random, calibration=self._calibration(lo, hi))
        if env.total <= 0:
            raise InputError("energy", f"no phase space for m_phi = {ch.m:g} GeV at E = {lo:g}..{hi:g} GeV "
                                       f"with method {ch.proc.method}")
        return env


def _alloc(n):
    return (np.empty((n, 4)), np.empty((n, 4)), np.empty((n, 4))) + tuple(np.empty(n) for _ in range(7))


#: False: unweighted WW/IWW events from the separate compiled stages (WWChannel.draw, .complete, fourvec.finish)
#: instead of the fused kernel WWChannel.events (same law, other random stream; benchmarks/bench_generate.py)
FUSED = True


def _fused(channel, weighted):
    """Whether unweighted events of this channel come from the fused compiled kernel (WW/IWW fast path)."""
    return FUSED and (not weighted) and getattr(channel, "fast", False) and hasattr(channel, "events")


def generate_chunk(channel, envelopes, E, bin_idx, chunk_ss, bitgen_type, weighted, stats, out=None):
    """All events of one chunk: (lep, phi, rec, t, phi_q, weight, x, y, theta_k, psi), written into
    ``out`` (views of the full arrays) if given.  Deterministic in ``chunk_ss``."""
    n = E.size
    res = out if out is not None else _alloc(n)
    lep, phi, rec, t, phq, w = res[:6]
    fused = _fused(channel, weighted)
    worst = 0.0
    # one bin (always for a mono-energetic beam) is detected without sorting the chunk
    ubins = bin_idx[:1] if (bin_idx.size and np.all(bin_idx == bin_idx[0])) else np.unique(bin_idx)
    for b in ubins:
        # one bin in the chunk (always for a mono-energetic beam): slices, not fancy indexing
        sel = slice(None) if ubins.size == 1 else np.flatnonzero(bin_idx == b)
        n_sel = n if ubins.size == 1 else sel.size
        direct = ubins.size == 1
        base = envelopes[int(b)]
        env = base
        for attempt in range(MAX_REDRAWS + 1):
            rng = _child_rng(bitgen_type, chunk_ss, int(b) + 1, attempt)
            local = {"proposed": 0, "accepted": 0, "violations": 0, "incomplete": 0}
            try:
                Eb = E[sel]
                if fused:
                    # compiled: rejection + completion + four-vectors + conservation check, written in place
                    keys = ("lep", "phi", "rec", "t", "phi_q", "x", "y", "theta_k", "psi")
                    arrs = (lep, phi, rec, t, phq) + tuple(res[6:10])
                    if direct and all(a.flags.c_contiguous for a in arrs):
                        dest = dict(zip(keys, arrs))
                    else:
                        tmp = _alloc(n_sel)
                        dest = dict(zip(keys, tmp[:5] + tmp[6:]))
                    nprop, vcells, vratios, ninc, wst = channel.events(env, Eb, rng, dest)
                    if vcells.size:
                        raise _Violation(vcells, vratios)
                    local["proposed"] += nprop
                    local["accepted"] += n_sel
                    local["incomplete"] += ninc
                    worst = wst if (wst != wst or worst != worst) else max(worst, wst)
                    if dest["lep"] is not lep:
                        for key, a in zip(keys, arrs):
                            a[sel] = dest[key]
                    w[sel] = 1.0
                    break
                if weighted:
                    u, wb = _draw_weighted(channel, env, Eb, rng, local)
                    wb = wb * (n_sel / local["proposed"])
                else:
                    u = _draw_unweighted(channel, env, Eb, rng, local)
                    wb = np.ones(n_sel)
                # one bin: the four-vectors are written straight into the output (views)
                dest = dict(lep=lep, phi=phi, rec=rec) if direct else None
                out = channel.complete(u, Eb, rng, out=dest)
                # measure-zero slivers without a physical 2->3 completion: redraw those events
                for _ in range(100):
                    bad = np.flatnonzero(~out["valid"])
                    if bad.size == 0:
                        break
                    local["incomplete"] += bad.size
                    if weighted:
                        u2, w2 = _draw_weighted(channel, env, Eb[bad], rng, local)
                        wb[bad] = w2 * (n_sel / local["proposed"])
                    else:
                        u2 = _draw_unweighted(channel, env, Eb[bad], rng, local)
                    o2 = channel.complete(u2, Eb[bad], rng)
                    for key in out:
                        out[key][bad] = o2[key]
                else:  # pragma: no cover
                    raise RuntimeError("could not complete events kinematically")
                if not (direct and out["lep"] is lep and out["phi"] is phi and out["rec"] is rec):
                    lep[sel], phi[sel], rec[sel] = out["lep"], out["phi"], out["rec"]
                t[sel], phq[sel] = out["t"], out["phi_q"]
                w[sel] = wb
                break
            except _Violation as v:
                stats["violations"] += int(v.cells.size)
                stats["redraws"] += 1
                stats["max_violation_ratio"] = max(stats["max_violation_ratio"], float(v.ratios.max()))
                env = env.copy()
                flat = env.env.reshape(-1)
                np.maximum.at(flat, v.cells, flat[v.cells] * 1.2 * v.ratios)
                env.refresh()
        else:  # pragma: no cover
            raise RuntimeError(f"envelope violations persisted after {MAX_REDRAWS} redraws")
        for key in ("proposed", "accepted", "incomplete", "violations"):
            stats[key] += local[key]
        stats.setdefault("per_bin", {}).setdefault(int(b), [0, 0, env.total])
        stats["per_bin"][int(b)][0] += local["proposed"]
        stats["per_bin"][int(b)][1] += n_sel
    # every event: four-momentum conservation with on-shell energies (fourvec.conservation), max over the
    # chunk's events; the fused WW kernel checks each event as it builds it, the other paths in one
    # compiled pass (fourvec.finish, which also fills x, y, theta_k, psi from the four-vectors)
    if not fused:
        worst = finish(E, channel.m_i, channel.M, lep, phi, rec, res[6], res[7], res[8], res[9])
    if not worst <= CONSERVATION_TOL:
        raise RuntimeError(f"energy-momentum conservation violated: max relative imbalance {worst:.3g}")
    stats["max_imbalance"] = max(stats.get("max_imbalance", 0.0), worst)
    return res


def _new_stats():
    return {"proposed": 0, "accepted": 0, "violations": 0, "redraws": 0, "incomplete": 0,
            "max_violation_ratio": 0.0, "max_imbalance": 0.0}


def _merge_stats(stats, st):
    for k in ("proposed", "accepted", "violations", "redraws", "incomplete"):
        stats[k] += st[k]
    for k in ("max_violation_ratio", "max_imbalance"):
        stats[k] = max(stats[k], st[k])
    for b, (nprop, nacc, total) in st.get("per_bin", {}).items():
        cur = stats.setdefault("per_bin", {}).setdefault(b, [0, 0, total])
        cur[0] += nprop
        cur[1] += nacc


def _run_group(task):
    """Worker: a contiguous group of chunks (rebuilds the channel and the fixed-seed envelopes)."""
    proc, m, vertex, frame, bins, Es, bidxs, seeds, bitgen_type, weighted = task
    channel = make_channel(proc, m, vertex, frame)
    envelopes = Envelopes(channel, bins)
    st = _new_stats()
    parts = [generate_chunk(channel, envelopes, E, b, ss, bitgen_type, weighted, st)
             for E, b, ss in zip(Es, bidxs, seeds)]
    return parts, st


def sample_events(model, energy, n_events, rng, *, target="Pb", method="ww", beam="e-", final="mu-",
                  form_factor="elastic", weighted=False, frame=None, chunk_size=CHUNK_SIZE,
                  bins_per_decade=BINS_PER_DECADE, progress=None, workers=1) -> EventBatch:
    """Generate ``n_events`` events of l_i N -> l_f N phi from the engine's cross sections.

    ``energy``: beam energy in GeV, a float or an array of ``n_events`` per-event energies
    (each event is drawn exactly at its own energy).  ``method``: "etl" (exact 2->3,
    Eq. 12 of the e->mu paper, sampled in (y, psi, t, phi_q)), "ww" (Eq. 22 in (x, theta_k)
    or, with ``frame="y"``, Eq. 27 in (y, psi)), "iww" (Eqs. A1-A4).  ``weighted=True``
    returns weighted events (weight in pb, mean = sigma) without rejection.  ``progress``:
    optional callable receiving the number of events finished after each chunk (each group of
    chunks with ``workers`` > 1).  ``workers``: processes; the chunks are split into contiguous
    groups, and every chunk is drawn from its own spawned seed with identical envelopes, so the
    events are identical to the serial ones.
    """
    proc, m, E_all = _check_inputs(model, energy, n_events, rng, target, method, beam, final, form_factor, frame)
    if not (isinstance(chunk_size, (int, np.integer)) and chunk_size >= 1):
        raise InputError("chunk_size", f"must be an integer >= 1; got {chunk_size!r}")
    vertex = getattr(model, "vertex", "chiral")
    channel = make_channel(proc, m, vertex, frame)
    frame_name = channel.frame_name
    bin_idx, bins = energy_bins(E_all, bins_per_decade, energy_floor(proc, m))
    envelopes = Envelopes(channel, bins)
    c2 = float(model.coupling_for(proc.beam.flavour, proc.final.flavour)) ** 2
    n = int(n_events)
    n_chunks = -(-n // int(chunk_size))
    root = seed_sequence(rng)
    chunk_seeds = root.spawn(n_chunks)
    bitgen_type = type(rng.bit_generator)
    stats = _new_stats()
    full = _alloc(n)
    slices = [slice(c * chunk_size, min(n, (c + 1) * chunk_size)) for c in range(n_chunks)]
    if not (isinstance(workers, (int, np.integer)) and workers >= 1):
        raise InputError("workers", f"must be an integer >= 1; got {workers!r}")
    if workers == 1 or n_chunks == 1:
        for c, sl in enumerate(slices):
            generate_chunk(channel, envelopes, E_all[sl], bin_idx[sl], chunk_seeds[c], bitgen_type, weighted, stats,
                           out=tuple(a[sl] for a in full))
            if progress is not None:
                progress(sl.stop - sl.start)
    else:
        from concurrent.futures import ProcessPoolExecutor

        groups = [list(g) for g in np.array_split(np.arange(n_chunks), min(int(workers), n_chunks)) if len(g)]
        tasks = [(proc, m, vertex, frame, bins, [E_all[slices[c]] for c in g], [bin_idx[slices[c]] for c in g],
                  [chunk_seeds[c] for c in g], bitgen_type, weighted) for g in groups]
        with ProcessPoolExecutor(max_workers=len(groups)) as pool:
            for g, (parts, st) in zip(groups, pool.map(_run_group, tasks)):
                for c, part in zip(g, parts):
                    for a, v in zip(full, part):
                        a[slices[c]] = v
                _merge_stats(stats, st)
                if progress is not None:
                    progress(sum(slices[c].stop - slices[c].start for c in g))
    lep, phi, rec, t, phq, w, x, y, theta_k, psi = full
    M = proc.target.nucleus_mass_gev
    if weighted:
        w = w * c2 * GEV2_TO_PB
    if np.all(E_all == E_all[0]):
        sigma = float(_sigma_unit_pb(proc, model, E_all[:1], frame_name)[0])
    else:
        sigma = _sigma_per_event(proc, model, E_all, frame_name, bins)
    info = dict(beam=proc.beam.name, final=proc.final.name, target=proc.target.name, Z=proc.target.Z,
                A=proc.target.A, nucleus_mass_gev=M, mass_gev=m, coupling=float(model.coupling_for(
                    proc.beam.flavour, proc.final.flavour)), vertex=vertex, form_factor=form_factor,
                weighted=bool(weighted), frame=frame_name, n_proposed=stats["proposed"],
                n_accepted=stats["accepted"], acceptance=stats["accepted"] / max(stats["proposed"], 1),
                n_violations=stats["violations"], n_redraws=stats["redraws"],
                max_violation_ratio=stats["max_violation_ratio"], n_incomplete=stats["incomplete"],
                max_imbalance=stats["max_imbalance"], n_energy_bins=len(bins), chunk_size=int(chunk_size))
    if len(bins) == 1 and not weighted:
        nprop, nacc, total = stats["per_bin"][next(iter(bins))]
        p = nacc / nprop
        info["sigma_mc_pb"] = total * p * c2 * GEV2_TO_PB
        info["sigma_mc_err_pb"] = info["sigma_mc_pb"] * math.sqrt((1.0 - p) / max(nacc, 1))
    return EventBatch(
        beam_energy=E_all,
        x=x,
        y=y,
        theta_k=theta_k,
        psi=psi,
        weight=w,
        lep=lep,
        phi=phi,
        rec=rec,
        sigma_pb=sigma,
        method=proc.method,
        frame=frame_name,
        t=t,
        phi_q=phq,
        info=info,
    )
