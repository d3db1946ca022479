"""EM cascade Monte Carlo in the ECAL (active target): the steps of e-, e+ and photons.

The signal yield of the e->mu paper, Eq. (29), is ``N = N_EOT (rho N_A / A) sum_k sigma(E_k) dL_k``:
the production cross section summed over every step of every shower particle that can
radiate the scalar.  :func:`cascade` follows one-dimensional showers and adds every step to
the (species, energy, depth) bin of its mid-point, the *differential track length* of species
s in {e-, e+, gamma}; :mod:`.track_lengths` tabulates and caches it per medium and energy.

Method
------
Interactions and continuous losses come from :mod:`.em_physics` (bremsstrahlung and pair
production with Tsai's screening, Klein-Nishina Compton scattering, LPM suppression, collision
stopping power); emissions are sampled by rejection from those cross sections.

* Cut-offs: e+- below ``e_cut`` and photons below ``k_cut`` deposit their energy on the
  spot (total energy; positron annihilation photons are not followed).  Positron
  annihilation in flight is neglected (its cross section falls as ln(2 gamma)/gamma).
* Geometry: one dimension.  Every particle moves along +z, so track length equals depth
  advance.  This is adequate for track lengths of particles above ~0.1 GeV in Pb, where
  multiple-scattering angles are small (theta_0 ~ 21 MeV / E sqrt(t)); it overestimates
  the depth reached by the softest particles.  The medium is the homogeneous mixture of
  the sampling calorimeter (layer thickness 0.27 X0 << shower scales).

Random numbers come from a seeded ``numpy.random.Generator``; whole generations of
particles are processed as NumPy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..particles import lepton_mass
from .em_physics import PAIR_COULOMB_MIN_GEV, Rates, klein_nishina_cm2, lpm_brems_factor, lpm_pair_factor
from .media import ShowerMedium

SPECIES = ("e-", "e+", "gamma")
_SP = {s: i for i, s in enumerate(SPECIES)}
#: electron mass [GeV]
_M_E = lepton_mass("e")

# ----------------------------------------------------------------------------- samplers


#: rejection rounds before a proposal is kept (only reached where the density is ~0)
_MAX_REJECT = 200


def _sample_brems_y(rng, E, k_cut, rates):
    """y = k/E in [y_c, 1 - m_e/E] from dsigma/dy (:func:`brems_ydsigma_per_x0`).

    1/y proposal, accepted with probability y dsigma/dy / env (complete-screening bound).
    """
    n = E.size
    yc = k_cut / E
    ymax = 1.0 - _M_E / E  # the electron keeps at least its rest energy
    out = np.empty(n)
    todo = np.arange(n)
    for _ in range(_MAX_REJECT):
        if not todo.size:
            break
        y = yc[todo] * (ymax[todo] / yc[todo]) ** rng.random(todo.size)
        acc = rng.random(todo.size) * rates.env_brems <= rates.brk.brems(E[todo], y)
        out[todo[acc]] = y[acc]
        todo = todo[~acc]
    # where the density vanishes (within the interpolation of the rate table of a kinematic edge)
    # the proposal is kept (rare: events at the table's edges only)
    out[todo] = yc[todo] * (ymax[todo] / yc[todo]) ** rng.random(todo.size)
    return out


def _sample_pair_x(rng, k, rates):
    """x = E_+/k in [m_e/k, 1 - m_e/k] from dsigma/dx (:func:`pair_dsigma_per_x0`).

    Uniform proposal, accepted with probability dsigma/dx / bound(k) (tabulated per-k maximum).
    """
    n = k.size
    lo = _M_E / k
    coul = k >= PAIR_COULOMB_MIN_GEV
    i = np.clip(np.searchsorted(rates.lnE, np.log(k), side="right") - 1, 0, rates.lnE.size - 1)
    env = rates.pair_bound[i]
    out = np.empty(n)
    todo = np.arange(n)
    for _ in range(_MAX_REJECT):
        if not todo.size:
            break
        x = lo[todo] + (1 - 2 * lo[todo]) * rng.random(todo.size)
        acc = rng.random(todo.size) * env[todo] <= rates.brk.pair(k[todo], x, coul[todo])
        out[todo[acc]] = x[acc]
        todo = todo[~acc]
    out[todo] = lo[todo] + (1 - 2 * lo[todo]) * rng.random(todo.size)  # density ~ 0: keep the proposal
    return out


def _sample_compton_eps(rng, k):
    """eps = k'/k from Klein-Nishina: 1/eps proposal on [1/(1+2 kappa), 1], accept (1 + eps^2 - eps sin^2)/2."""
    n = k.size
    kap = k / _M_E
    e0 = 1.0 / (1 + 2 * kap)
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        eps = e0[todo] ** rng.random(todo.size)
        cos_t = 1 - (1 / eps - 1) / kap[todo]
        sin2 = np.clip(1 - cos_t * cos_t, 0, 1)
        acc = 2 * rng.random(todo.size) <= 1 + eps * eps - eps * sin2
        out[todo[acc]] = eps[acc]
        todo = todo[~acc]
    return out


# ----------------------------------------------------------------------------- cascade


@dataclass
class CascadeResult:
    """Raw output of :func:`cascade` (per primary; depth in X0)."""

    hist: np.ndarray  #: (3, n_E, n_t) track length [X0 per primary] per species x energy bin x depth bin
    edep: np.ndarray  #: (n_t,) deposited energy [GeV per primary] per depth bin
    leak_gev: float  #: energy per primary leaving the back of the medium
    score: dict  #: species -> sum over steps of score_fn(E_mid) x dt [X0 units] per primary
    n_showers: int


def cascade(medium: ShowerMedium, primary: str, energy_gev: float, n_showers: int, rng: np.random.Generator, *,
            energy_edges, depth_edges_x0, e_cut: float = 0.01, k_cut: float | None = None, lpm: bool = False,
            compton: bool = True, ionisation: bool = True, ecrit_override: float | None = None,
            screening: bool = True, max_dt_x0: float = 0.1, max_de_frac: float = 0.03, score_fn=None,
            batch: int = 64) -> CascadeResult:
    """Run ``n_showers`` 1-D cascades of a ``primary`` ("e-", "e+", "gamma") of ``energy_gev`` in ``medium``.

    Every step of every charged particle and photon adds its length (in X0) to the
    (species, energy bin, depth bin) of its mid-point.  Steps end at an interaction, at
    the cut-off, at the back of the medium, and are limited to ``max_dt_x0`` and to a
    continuous energy loss of ``max_de_frac`` x E, so mid-point binning is accurate to a
    fraction of a bin.  ``ionisation=False``, ``compton=False``, ``screening=False`` (complete
    screening at all energies) give Rossi's approximation A (validation); ``ecrit_override``
    replaces the energy-dependent collision loss by a constant loss per X0 (approximation B).
    ``score_fn`` (dict species -> callable E -> weight) accumulates sum w(E_mid) dt
    step by step (Eq. 29 of the e->mu paper evaluated literally, for cross-checks).
    """
    if primary not in _SP:
        raise InputError("beam", f"shower primary must be one of {', '.join(SPECIES)}; got {primary!r}")
    if not (math.isfinite(energy_gev) and energy_gev > 0):
        raise InputError("energy", f"must be > 0 GeV; got {energy_gev!r}")
    k_cut = e_cut if k_cut is None else k_cut
    if not (0 < e_cut < energy_gev) or not (0 < k_cut < energy_gev) or e_cut < 2 * _M_E:
        raise InputError("e_cut", f"cut-offs must lie in [{2 * _M_E:.4g}, E0) GeV; got e_cut={e_cut}, k_cut={k_cut}")
    eE = np.asarray(energy_edges, float)
    tE = np.asarray(depth_edges_x0, float)
    nE, nT = eE.size - 1, tE.size - 1
    eps_const = None if (ionisation and ecrit_override is None) else (float(ecrit_override) if ionisation else 0.0)
    rates = Rates(medium, k_cut, float(energy_gev), screening)
    e_lpm = medium.e_lpm_gev
    t_end = float(tE[-1])
    ne_cm3 = medium.electrons_per_cm3
    compton_factor = ne_cm3 * medium.X0_cm  # per X0: n_e sigma_KN X0
    hist = np.zeros(3 * nE * nT)
    edep = np.zeros(nT)
    leak = 0.0
    score = {s: 0.0 for s in SPECIES}
    lnE0, dlnE = None, None
    log_uniform = np.allclose(np.diff(np.log(eE)), np.log(eE[1] / eE[0]), rtol=1e-9)
    if log_uniform:
        lnE0, dlnE = math.log(eE[0]), math.log(eE[1] / eE[0])

    def ebin(E):
        if log_uniform:
            return np.floor((np.log(E) - lnE0) / dlnE).astype(np.int64)
        return np.searchsorted(eE, E, side="right") - 1

    def tbin(t):
        return np.searchsorted(tE, t, side="right") - 1

    def deposit(t, e):
        if t.size:
            j = np.clip(tbin(t), 0, nT - 1)
            np.add.at(edep, j, e)

    remaining = n_showers
    while remaining > 0:
        nb = min(batch, remaining)
        remaining -= nb
        E = np.full(nb, float(energy_gev))
        t = np.zeros(nb)
        sp = np.full(nb, _SP[primary], dtype=np.int64)
        while E.size:
            ch = sp < 2
            # --- interaction rates per X0
            sig = np.empty(E.size)
            sig[ch] = rates("brems", E[ch])
            g = ~ch
            sig_pair = rates("pair", E[g])
            sig_comp = klein_nishina_cm2(E[g]) * compton_factor if compton else np.zeros(sig_pair.size)
            sig[g] = sig_pair + sig_comp
            with np.errstate(divide="ignore"):
                s_int = np.where(sig > 0, rng.exponential(1.0, E.size) / np.where(sig > 0, sig, 1.0), np.inf)
            # --- continuous loss (charged)
            rate = np.zeros(E.size)
            ion = rates.ionisation(E[ch], sp[ch] == 1) if eps_const is None else eps_const
            rate[ch] = ion + rates("soft", E[ch])
            with np.errstate(divide="ignore", invalid="ignore"):
                s_cut = np.where(ch & (rate > 0), (E - e_cut) / np.where(rate > 0, rate, 1.0), np.inf)
                s_lim = np.where(ch & (rate > 0), max_de_frac * E / np.where(rate > 0, rate, 1.0), np.inf)
            s_lim = np.minimum(s_lim, max_dt_x0)
            s_end = t_end - t
            step = np.minimum(np.minimum(s_int, s_cut), np.minimum(s_lim, s_end))
            step = np.maximum(step, 0.0)
            # --- score the step at its mid-point
            E_mid = E - 0.5 * rate * step
            t_mid = t + 0.5 * step
            i_e = ebin(E_mid)
            i_t = tbin(t_mid)
            ok = (i_e >= 0) & (i_e < nE) & (i_t >= 0) & (i_t < nT)
            flat = (sp[ok] * nE + i_e[ok]) * nT + i_t[ok]
            hist += np.bincount(flat, weights=step[ok], minlength=hist.size)
            if score_fn is not None:
                for s, fn in score_fn.items():
                    m = sp == _SP[s]
                    if np.any(m):
                        score[s] += float(np.sum(np.asarray(fn(E_mid[m]), float) * step[m]))
            if np.any(ch):
                deposit(t_mid[ch], rate[ch] * step[ch])
            E = E - rate * step
            t = t + step
            # --- fates
            exit_ = (s_end <= step) & (s_end < s_int)
            fall = ch & ~exit_ & (s_cut <= step) & (s_cut < s_int)
            inter = ~exit_ & ~fall & (s_int <= step)
            leak += float(np.sum(E[exit_]))
            # kinetic energy of e-; kinetic + 2 m_e (annihilation at rest) of e+  -> energy conserved
            deposit(t[fall], np.maximum(E[fall] + np.where(sp[fall] == 1, _M_E, -_M_E), 0.0))
            keep = ~(exit_ | fall)
            new_E, new_t, new_sp = [], [], []
            idx = np.flatnonzero(inter & ch)
            if idx.size:
                y = _sample_brems_y(rng, E[idx], k_cut, rates)
                if lpm:
                    acc = rng.random(idx.size) <= lpm_brems_factor(E[idx], y, e_lpm)
                    idx, y = idx[acc], y[acc]
                k = y * E[idx]
                E[idx] = E[idx] - k
                new_E.append(k)
                new_t.append(t[idx])
                new_sp.append(np.full(idx.size, 2, dtype=np.int64))
            idx = np.flatnonzero(inter & g)
            if idx.size:
                kk = E[idx]
                sp_p = rates("pair", kk)
                sp_c = klein_nishina_cm2(kk) * compton_factor if compton else np.zeros(kk.size)
                is_pair = rng.random(idx.size) * (sp_p + sp_c) < sp_p
                ip = idx[is_pair]
                if ip.size:
                    x = _sample_pair_x(rng, E[ip], rates)
                    acc = np.ones(ip.size, bool)
                    if lpm:
                        acc = rng.random(ip.size) <= lpm_pair_factor(E[ip], x, e_lpm)
                    ipa, xa = ip[acc], x[acc]
                    new_E += [xa * E[ipa], (1 - xa) * E[ipa]]
                    new_t += [t[ipa], t[ipa]]
                    new_sp += [np.zeros(ipa.size, np.int64), np.ones(ipa.size, np.int64)]
                    keep[ipa] = False
                ic = idx[~is_pair]
                if ic.size:
                    eps = _sample_compton_eps(rng, E[ic])
                    new_E.append(E[ic] * (1 - eps) + _M_E)
                    new_t.append(t[ic])
                    new_sp.append(np.zeros(ic.size, np.int64))
                    E[ic] = E[ic] * eps
            E, t, sp = E[keep], t[keep], sp[keep]
            if new_E:
                E = np.concatenate([E] + new_E)
                t = np.concatenate([t] + new_t)
                sp = np.concatenate([sp] + new_sp)
            # --- below the cut-offs: deposit on the spot
            low = np.where(sp < 2, E < e_cut, E < k_cut)
            if np.any(low):
                deposit(t[low], np.maximum(E[low] + np.where(sp[low] == 2, 0.0, np.where(sp[low] == 1, _M_E, -_M_E)),
                                           0.0))
                E, t, sp = E[~low], t[~low], sp[~low]
    n = float(n_showers)
    return CascadeResult(hist.reshape(3, nE, nT) / n, edep / n, leak / n, {s: v / n for s, v in score.items()},
                         n_showers)
