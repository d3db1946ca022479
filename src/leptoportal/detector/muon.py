"""Muon transport through a detector setup: energy-loss fluctuations, multiple scattering, range-out.

The mean loss and the tables it is sampled from are :mod:`.muon_loss` (Groom, Mokhov & Striganov,
At. Data Nucl. Data Tables 78 (2001) 183, hereafter GMS01).

Fluctuations (all with the passed-in numpy Generator):

* ionisation: collisions with energy transfer T < T_cut are summed into a Gaussian (mean =
  restricted loss, variance = Bohr variance xi*T_cut*(1 - beta^2/2)); close collisions
  T_cut < T < W_max are sampled explicitly (Poisson number, 1/T^2 spectrum).  With
  T_cut = xi/KAPPA_CUT this reproduces the Landau/Vavilov distribution (thin layers: Landau most
  probable value, PDG Eq. 34.12; thick layers: Gaussian) -- the classic GEANT3 "delta-ray
  sampling + continuous restricted loss" scheme, checked in tests against PDG Eq. 34.12;
* radiative: losses with v = eps/E < V_CUT are continuous (mean), harder ones are sampled
  (Poisson number per step, v from the tabulated dsigma/dv).  Secondary photons / pairs /
  hadrons are assumed to deposit their energy in the element where they are produced;
* multiple scattering: Highland formula (PDG RPP 2022 Eq. 34.15) with the correlated
  (y_plane, theta_plane) Gaussian sampling of PDG Eqs. 34.20-34.21, in steps.

Range-out: a muon whose kinetic energy reaches zero is stopped (its remaining kinetic energy is
deposited; decay or capture products are not followed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..particles import M_E, M_MU
from ..units import GEV_PER_TESLA_METER
from .media import Medium
from .muon_loss import E_GRID, K_BETHE, N_U, medium_tables, w_max

#: ionisation: T_cut = xi / KAPPA_CUT (explicit delta rays above T_cut)
KAPPA_CUT = 4.0


def highland_theta0(p, x_over_X0, beta=1.0, charge=1.0):
    """Highland/Lynch-Dahl width theta_0 [rad] (PDG RPP 2022 Eq. 34.15), p in GeV."""
    x = np.maximum(np.asarray(x_over_X0, float), 1e-12)
    return 0.0136 / (beta * p) * abs(charge) * np.sqrt(x) * (1.0 + 0.038 * np.log(x * charge * charge / beta ** 2))


# ----------------------------------------------------------------------------------------------
# stochastic step (medium-level tables)
# ----------------------------------------------------------------------------------------------
_LNE0 = math.log(E_GRID[0])
_DLNE = math.log(E_GRID[1]) - _LNE0


def grid_pos(E):
    f = (np.log(E) - _LNE0) / _DLNE
    f = np.clip(f, 0.0, E_GRID.size - 1.000001)
    j = f.astype(np.int64)
    return j, f - j


def _lerp(table, j, w):
    return table[j] * (1.0 - w) + table[j + 1] * w


def sample_ionisation(E, j, w, t_gcm2, tabs, rng):
    """Ionisation loss [GeV] over mass thickness t (vectorised), Landau/Vavilov by construction.

    Close collisions T > T_cut are sampled (Poisson number with mean xi (1/T_cut - 1/W_max),
    T from the 1/T^2 spectrum, thinned by (1 - beta^2 T/W_max), PDG RPP Eq. 34.9); distant ones are Gaussian with mean = (mean loss - mean of the
    sampled part) and the Bohr variance xi T_cut (1 - beta^2/2) (PDG RPP Sec. 34.2.7-34.2.9).
    """
    n = E.size
    gamma = E / M_MU
    bg2 = np.maximum(gamma * gamma - 1.0, 1e-12)
    beta2 = bg2 / (gamma * gamma)
    mean = _lerp(tabs["a"], j, w) * t_gcm2
    xi = 0.5 * K_BETHE * tabs["ZA"] * t_gcm2 / beta2  # PDG Eq. 34.12 xi [GeV]
    wm = w_max(E)
    tcut = np.maximum(xi / KAPPA_CUT, 1e-6)
    has_tail = wm > 2.0 * tcut  # else: all collisions are "soft" (Gaussian regime, kappa > KAPPA_CUT/2)
    tcut = np.where(has_tail, tcut, wm)
    lam = np.where(has_tail, xi * (1.0 / tcut - 1.0 / wm), 0.0)
    k = rng.poisson(lam)
    tot = int(k.sum())
    tail = np.zeros(n)
    if tot:
        idx = np.repeat(np.arange(n), k)
        u = rng.random(tot)
        T = tcut[idx] * wm[idx] / (wm[idx] - u * (wm[idx] - tcut[idx]))  # inverse CDF of 1/T^2
        # thinning to the spin-0 close-collision spectrum (1 - beta^2 T/W_max)/T^2 (PDG Eq. 34.9)
        keep = rng.random(tot) < 1.0 - beta2[idx] * T / wm[idx]
        tail = np.bincount(idx[keep], weights=T[keep], minlength=n)
    # mean of the sampled close-collision part: xi [ln(W_max/T_cut) - beta^2 (1 - T_cut/W_max)]
    tail_mean = np.where(has_tail, xi * (np.log(wm / tcut) - beta2 * (1.0 - tcut / wm)), 0.0)
    soft_mean = np.maximum(mean - tail_mean, 0.0)
    soft_sigma = np.sqrt(np.maximum(xi * tcut * (1.0 - 0.5 * beta2), 0.0))
    soft = soft_mean + soft_sigma * rng.standard_normal(n)
    return np.maximum(soft, 0.0) + tail


def _sample_radiative(E, j, w, t_gcm2, tabs, rng):
    """Radiative loss [GeV]: continuous part (v < V_CUT) plus sampled hard interactions."""
    loss = _lerp(tabs["b_soft"], j, w) * E * t_gcm2
    lam = _lerp(tabs["sigma_hard"], j, w) * t_gcm2
    k = rng.poisson(lam)
    hit = np.nonzero(k)[0]
    if hit.size:
        idx = np.repeat(hit, k[hit])
        jj = np.where(w[idx] < 0.5, j[idx], j[idx] + 1)  # nearest energy row
        u = rng.random(idx.size) * (N_U - 1)
        iu = np.minimum(u.astype(np.int64), N_U - 2)
        fu = u - iu
        inv = tabs["inv_lnv"]
        lv = inv[jj, iu] * (1.0 - fu) + inv[jj, iu + 1] * fu
        v = np.minimum(np.exp(lv), 1.0)
        loss = loss + np.bincount(idx, weights=v * E[idx], minlength=E.size)
    return loss


# ----------------------------------------------------------------------------------------------
# transport through a setup
# ----------------------------------------------------------------------------------------------
@dataclass
class MuonTrack:
    """Result of :func:`transport` for n muons (see docs/detector.md)."""

    deposit: np.ndarray  #: (n, n_elements) energy deposited per element [GeV]
    p4_exit: np.ndarray  #: (n, 4) four-momentum after the last element (zeros if stopped)
    stopped: np.ndarray  #: (n,) bool, ranged out
    in_acceptance: np.ndarray  #: (n,) bool, crossed all spectrometer elements inside their apertures
    p_measured: np.ndarray  #: (n,) GeV, measured momentum (nan if not measured)
    lost: np.ndarray  #: (n,) bool, left the detector laterally (outside an element's aperture)
    stop_element: np.ndarray  #: (n,) int index of the element where it stopped (-1 if not)
    p_spectrometer: np.ndarray  #: (n,) true momentum at the spectrometer entrance (nan if not reached)
    q_measured: np.ndarray | None = None  #: (n,) charge from the spectrometer bend (+-1; 0 if not measured)


MAX_STEP_CM = 70.0  # maximum step length in dense media (2 steps per NA64 HCAL module)
MAX_LOSS_FRACTION = 0.1  # maximum mean fractional kinetic-energy loss per step
RANGE_MARGIN = 0.8  # range-out shortcut: CSDA range < 0.8 x matter left in the element
AUTO_NUMBA_MIN = 50_000  # engine="auto": compiled kernel for batches at least this large


def _validate_inputs(p4, z_cm, n_elements_start, setup):
    p4 = np.asarray(p4, dtype=float)
    if p4.ndim != 2 or p4.shape[1] != 4:
        raise InputError("p4", f"must have shape (n, 4); got {p4.shape}")
    if not np.all(np.isfinite(p4)):
        raise InputError("p4", "must be finite")
    z = np.broadcast_to(np.asarray(z_cm, dtype=float), (p4.shape[0],)).copy()
    if not np.all(np.isfinite(z)):
        raise InputError("z_cm", "must be finite")
    if np.any(p4[:, 0] < M_MU * (1 - 1e-9)):
        raise InputError("p4", f"energies must be >= the muon mass {M_MU:.6f} GeV")
    return p4, z


def transport(setup, p4, z_cm, rng, *, charge=-1, x_cm=0.0, y_cm=0.0, max_step_cm=MAX_STEP_CM, engine="auto"):
    """Transport n muons through ``setup`` from longitudinal position ``z_cm`` (global, cm).

    ``engine``: "numpy" (vectorised over muons, the reference implementation), "numba" (the same
    algorithm compiled, one muon at a time; ~2.5x faster per muon, but the first use in a process
    costs a few seconds of Numba initialisation) or "auto" (numba for n >= AUTO_NUMBA_MIN muons,
    else numpy).  Both use the passed Generator; they consume it in a different order, so the two
    engines agree statistically, not event by event (each is reproducible for a given seed).

    p4: (n, 4) four-momenta (E, px, py, pz) in GeV, beam along +z; x_cm/y_cm: transverse start
    (scalar or (n,)).  Returns a :class:`MuonTrack`.  Deposits are 0 for elements upstream of the
    start.  The magnet (setup.spectrometer.magnet) applies a thin-lens kick
    Delta(px) = charge * 0.29979 * field_integral_tm [GeV] at its centre.
    """
    if isinstance(setup, str):
        from .setup import load_setup

        setup = load_setup(setup)
    if rng is None or not isinstance(rng, np.random.Generator):
        raise InputError("rng", "a numpy.random.Generator is required")
    if charge not in (-1, 1):
        raise InputError("charge", f"must be -1 or +1; got {charge}")
    p4, z = _validate_inputs(p4, z_cm, 0, setup)
    n = p4.shape[0]
    els = setup.elements
    ne = len(els)
    E = p4[:, 0].copy()
    p = np.sqrt(np.maximum(E * E - M_MU * M_MU, 0.0))
    if not (isinstance(max_step_cm, (int, float)) and math.isfinite(max_step_cm) and max_step_cm > 0):
        raise InputError("max_step_cm", f"must be a finite number > 0; got {max_step_cm!r}")
    x = np.broadcast_to(np.asarray(x_cm, float), (n,)).copy()
    y = np.broadcast_to(np.asarray(y_cm, float), (n,)).copy()
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("x_cm/y_cm", "must be finite")
    pz = p4[:, 3]
    # muons at rest or emitted at > ~87 degrees (pz <= 0.05 p) are not tracked: they range out in
    # the element where they start (kinetic energy deposited there) or, outside any element, are lost
    side = (pz <= 0.05 * p) | (p <= 0.0)
    pz_safe = np.where(side, 1.0, pz)
    tx = np.where(side, 0.0, p4[:, 1] / pz_safe)
    ty = np.where(side, 0.0, p4[:, 2] / pz_safe)
    alive = ~side
    stopped = np.zeros(n, bool)
    lost = np.zeros(n, bool)
    stop_el = np.full(n, -1)
    dep = np.zeros((n, ne))
    if np.any(side):
        zs = np.array([e.z_start_cm for e in els])
        ze = np.array([e.z_end_cm for e in els])
        inside_el = (z[:, None] >= zs[None, :]) & (z[:, None] < ze[None, :])
        has = side & inside_el.any(axis=1)
        ie_start = np.argmax(inside_el, axis=1)
        dep[has, ie_start[has]] = E[has] - M_MU
        stopped[has] = True
        stop_el[has] = ie_start[has]
        lost |= side & ~has
        E[side] = M_MU
        p[side] = 0.0
    spec = setup.spectrometer
    spec_idx = set(spec.element_indices) if spec is not None else set()
    in_acc = np.ones(n, bool) if spec_idx else np.zeros(n, bool)
    p_spec = np.full(n, np.nan)
    hits = {}  # tracker index -> (x measured) for hit-based reconstruction
    first_spec = min(spec_idx) if spec_idx else None
    if engine not in ("auto", "numpy", "numba"):
        raise InputError("engine", f"must be 'auto', 'numpy' or 'numba'; got {engine!r}")
    use_nb = engine == "numba" or (engine == "auto" and n >= AUTO_NUMBA_MIN)
    kern = _get_kernel() if use_nb else None
    if engine == "numba" and kern is None:  # pragma: no cover
        raise InputError("engine", "numba is not available")
    if kern is not None:
        arr = _setup_arrays(setup)
        emaxlen = np.where(arr["erho"] > 0.1, float(max_step_cm), arr["ez1"] - arr["ez0"])
        hitx = np.zeros((n, ne))
        in_acc = np.zeros(n, bool)
        kern(E, tx, ty, x, y, z, alive, int(charge), arr["ez0"], arr["ez1"], arr["ehx"], arr["ehy"], arr["ekind"],
             arr["ebl"], arr["emed"], arr["erho"], arr["eX0"], emaxlen, arr["espec"], arr["etrk"],
             int(arr["first_spec"]), arr["TA"], arr["TBS"], arr["TBT"], arr["TSH"], arr["TINV"], arr["TRG"],
             arr["TZA"], _LNE0, _DLNE, E_GRID.size, M_MU, M_E, K_BETHE, float(KAPPA_CUT), RANGE_MARGIN,
             MAX_LOSS_FRACTION, rng, dep, stopped, lost, stop_el, in_acc, p_spec, hitx)
        p = np.sqrt(np.maximum(E * E - M_MU * M_MU, 0.0))
        if spec is not None:
            for ie in spec.tracker_indices:
                el = els[ie]
                hits[ie] = (hitx[:, ie], np.full(n, 0.5 * (el.z_start_cm + el.z_end_cm)))
        alive = ~stopped & ~lost
        els_loop = ()
    else:
        els_loop = els
    for ie, el in enumerate(els_loop):
        z0, z1 = el.z_start_cm, el.z_start_cm + el.thickness_cm
        act = alive & (z < z1)
        is_spec = ie in spec_idx
        if is_spec:
            in_acc &= act  # must reach every spectrometer element
        if not np.any(act):
            continue
        # drift to the element front (straight line in the gap; gaps are treated as vacuum)
        dz = np.where(act, np.maximum(z0 - z, 0.0), 0.0)
        x += tx * dz
        y += ty * dz
        z = np.where(act, np.maximum(z, z0), z)
        inside = (np.abs(x) <= el.half_aperture_x_cm) & (np.abs(y) <= el.half_aperture_y_cm)
        out = act & ~inside
        if is_spec:
            in_acc &= ~out
        if ie == first_spec:
            p_spec = np.where(act & inside, p, p_spec)
        # outside the aperture: the muon misses the element (or hits the magnet yoke) and is
        # considered lost (no further deposits, not measured)
        lost |= out
        alive &= ~out
        act &= ~out
        idx = np.nonzero(act)[0]
        if idx.size == 0:
            continue
        if el.kind == "magnet":
            # thin-lens kick at the centre (field integral in T m, bending in x)
            zc = 0.5 * (z0 + z1)
            d1 = np.maximum(zc - z[idx], 0.0)
            x[idx] += tx[idx] * d1
            y[idx] += ty[idx] * d1
            kick = charge * GEV_PER_TESLA_METER * el.field_integral_tm / p[idx]
            tx[idx] += kick * np.sqrt(1.0 + tx[idx] ** 2 + ty[idx] ** 2)
            d2 = z1 - np.maximum(z[idx], zc)
            x[idx] += tx[idx] * d2
            y[idx] += ty[idx] * d2
            _traverse(el, ie, idx, E, p, tx, ty, x, y, z, dep, alive, stopped, stop_el, rng, charge,
                      max_step_cm, move=False)
            z[idx] = z1
        else:
            _traverse(el, ie, idx, E, p, tx, ty, x, y, z, dep, alive, stopped, stop_el, rng, charge,
                      max_step_cm, move=True)
        inside_exit = (np.abs(x) <= el.half_aperture_x_cm) & (np.abs(y) <= el.half_aperture_y_cm)
        out_exit = act & alive & ~inside_exit
        lost |= out_exit
        alive &= ~out_exit
        if is_spec:
            in_acc &= alive
            if el.kind == "tracker":
                hits[ie] = (x.copy(), np.full(n, 0.5 * (z0 + z1)))
    if kern is None:
        in_acc &= alive & ~lost & ~stopped
        if first_spec is not None:
            in_acc &= np.isfinite(p_spec)
    norm = np.sqrt(1.0 + tx * tx + ty * ty)
    p4_exit = np.zeros((n, 4))
    p4_exit[:, 0] = np.where(stopped, 0.0, E)
    p4_exit[:, 1] = np.where(stopped, 0.0, p * tx / norm)
    p4_exit[:, 2] = np.where(stopped, 0.0, p * ty / norm)
    p4_exit[:, 3] = np.where(stopped, 0.0, p / norm)
    p_meas = np.full(n, np.nan)
    q_meas = np.zeros(n)
    if spec is not None and np.any(in_acc):
        p_meas, q_meas = spec.measure_with_charge(p_spec, in_acc, hits, rng, charge)
    return MuonTrack(dep, p4_exit, stopped, in_acc, p_meas, lost, stop_el, p_spec, q_meas)


def _traverse(el, ie, idx, E, p, tx, ty, x, y, z, dep, alive, stopped, stop_el, rng, charge, max_step_cm,
              move=True):
    """Step the muons ``idx`` through element ``el`` (energy loss, straggling, scattering, range-out)."""
    med: Medium = el.medium
    tabs = medium_tables(med)
    z1 = el.z_start_cm + el.thickness_cm
    X0 = med.X0_cm
    rho = med.density
    # geometric step limit for dense media; gases (magnet gaps, trackers) in one step
    max_len = max_step_cm if rho > 0.1 else el.thickness_cm
    cur = idx
    first = True
    while cur.size:
        remaining = z1 - z[cur]
        Ecur = E[cur]
        T = Ecur - M_MU
        j, w = grid_pos(Ecur)
        if first:
            # range-out shortcut: a muon whose CSDA residual range is below RANGE_MARGIN x the matter
            # left in this element stops here (straggling can lengthen the range by a few % only;
            # radiative losses only shorten it): deposit its kinetic energy without stepping.
            # Checked once per element (at entry), so at most one decision per muon and element.
            slope0 = np.sqrt(1.0 + tx[cur] ** 2 + ty[cur] ** 2)
            short = _lerp(tabs["range"], j, w) < RANGE_MARGIN * remaining * slope0 * rho
            if np.any(short):
                s_idx = cur[short]
                dep[s_idx, ie] += T[short]
                E[s_idx] = M_MU
                p[s_idx] = 0.0
                alive[s_idx] = False
                stopped[s_idx] = True
                stop_el[s_idx] = ie
                z[s_idx] = z1
                keep = ~short
                cur, remaining, Ecur, T, j, w = cur[keep], remaining[keep], Ecur[keep], T[keep], j[keep], w[keep]
                if cur.size == 0:
                    break
            first = False
        dedx_cm = (_lerp(tabs["a"], j, w) + _lerp(tabs["b_tot"], j, w) * Ecur) * rho
        step = np.minimum(np.minimum(remaining, max_len), np.maximum(MAX_LOSS_FRACTION * T / dedx_cm, 0.05))
        slope = np.sqrt(1.0 + tx[cur] ** 2 + ty[cur] ** 2)
        path = step * slope
        t = path * rho
        loss = sample_ionisation(Ecur, j, w, t, tabs, rng) + _sample_radiative(Ecur, j, w, t, tabs, rng)
        # multiple scattering over this step (PDG Eqs. 34.15, 34.20-34.21), momentum at entry
        pc = p[cur]
        th0 = highland_theta0(pc, path / X0, pc / Ecur)
        g = rng.standard_normal((4, cur.size))
        if move:
            x[cur] += tx[cur] * step + step * th0 * (g[0] / math.sqrt(12.0) + g[1] / 2.0)
            y[cur] += ty[cur] * step + step * th0 * (g[2] / math.sqrt(12.0) + g[3] / 2.0)
        tx[cur] += th0 * g[1]
        ty[cur] += th0 * g[3]
        z[cur] += step
        stop = loss >= T
        loss = np.where(stop, T, loss)
        dep[cur, ie] += loss
        E[cur] = np.where(stop, M_MU, Ecur - loss)
        p[cur] = np.sqrt(np.maximum(E[cur] ** 2 - M_MU ** 2, 0.0))
        s_idx = cur[stop]
        alive[s_idx] = False
        stopped[s_idx] = True
        stop_el[s_idx] = ie
        cur = cur[~stop & (z[cur] < z1 - 1e-9)]


# ----------------------------------------------------------------------------------------------
# compiled engine (Numba): the same algorithm as transport(engine="numpy"), one muon at a time
# ----------------------------------------------------------------------------------------------
def _kernel_py(E, tx, ty, x, y, z, alive0, charge, ez0, ez1, ehx, ehy, ekind, ebl, emed, erho, eX0, emaxlen,
               espec, etrk, first_spec, TA, TBS, TBT, TSH, TINV, TRG, TZA, lne0, dlne, ngrid, mmu, me, kbethe,
               kappa, rmargin, mlf, rng, dep, stopped, lost, stop_el, in_acc, p_spec, hitx):
    n = E.shape[0]
    nel = ez0.shape[0]
    nu = TINV.shape[2]
    sq12 = math.sqrt(12.0)
    r = me / mmu
    for i in range(n):
        if not alive0[i]:
            continue
        Ei = E[i]
        pi = math.sqrt(max(Ei * Ei - mmu * mmu, 0.0))
        xi_, yi, zi, txi, tyi = x[i], y[i], z[i], tx[i], ty[i]
        alive = True
        acc = first_spec >= 0
        for ie in range(nel):
            if (not alive) or zi >= ez1[ie]:
                if espec[ie]:
                    acc = False
                continue
            dz = max(ez0[ie] - zi, 0.0)
            xi_ += txi * dz
            yi += tyi * dz
            zi = max(zi, ez0[ie])
            if abs(xi_) > ehx[ie] or abs(yi) > ehy[ie]:
                lost[i] = True
                alive = False
                if espec[ie]:
                    acc = False
                continue
            if ie == first_spec:
                p_spec[i] = pi
            zend = ez1[ie]
            move = True
            if ekind[ie] == 1:
                zc = 0.5 * (ez0[ie] + zend)
                d1 = max(zc - zi, 0.0)
                xi_ += txi * d1
                yi += tyi * d1
                kick = charge * GEV_PER_TESLA_METER * ebl[ie] / pi
                txi += kick * math.sqrt(1.0 + txi * txi + tyi * tyi)
                d2 = zend - max(zi, zc)
                xi_ += txi * d2
                yi += tyi * d2
                move = False
            m = emed[ie]
            rho = erho[ie]
            X0 = eX0[ie]
            maxlen = emaxlen[ie]
            first = True
            while alive and zi < zend - 1e-9:
                T = Ei - mmu
                f = (math.log(Ei) - lne0) / dlne
                if f < 0.0:
                    f = 0.0
                if f > ngrid - 1.000001:
                    f = ngrid - 1.000001
                j = int(f)
                w = f - j
                if first:
                    first = False
                    slope = math.sqrt(1.0 + txi * txi + tyi * tyi)
                    if TRG[m, j] * (1.0 - w) + TRG[m, j + 1] * w < rmargin * (zend - zi) * slope * rho:
                        dep[i, ie] += T
                        Ei = mmu
                        pi = 0.0
                        alive = False
                        stopped[i] = True
                        stop_el[i] = ie
                        zi = zend
                        break
                a = TA[m, j] * (1.0 - w) + TA[m, j + 1] * w
                bt = TBT[m, j] * (1.0 - w) + TBT[m, j + 1] * w
                dedx_cm = (a + bt * Ei) * rho
                step = min(zend - zi, maxlen, max(mlf * T / dedx_cm, 0.05))
                slope = math.sqrt(1.0 + txi * txi + tyi * tyi)
                path = step * slope
                t = path * rho
                # ionisation (see sample_ionisation)
                gamma = Ei / mmu
                bg2 = max(gamma * gamma - 1.0, 1e-12)
                beta2 = bg2 / (gamma * gamma)
                mean = a * t
                xi = 0.5 * kbethe * TZA[m] * t / beta2
                wm = 2.0 * me * bg2 / (1.0 + 2.0 * gamma * r + r * r)
                tcut = max(xi / kappa, 1e-6)
                tail = 0.0
                tail_mean = 0.0
                if wm > 2.0 * tcut:
                    k = rng.poisson(xi * (1.0 / tcut - 1.0 / wm))
                    for _ in range(k):
                        u = rng.random()
                        Tk = tcut * wm / (wm - u * (wm - tcut))
                        if rng.random() < 1.0 - beta2 * Tk / wm:
                            tail += Tk
                    tail_mean = xi * (math.log(wm / tcut) - beta2 * (1.0 - tcut / wm))
                else:
                    tcut = wm
                soft = max(mean - tail_mean, 0.0) + math.sqrt(max(xi * tcut * (1.0 - 0.5 * beta2), 0.0)) \
                    * rng.standard_normal()
                loss = max(soft, 0.0) + tail
                # radiative (see _sample_radiative)
                loss += (TBS[m, j] * (1.0 - w) + TBS[m, j + 1] * w) * Ei * t
                kh = rng.poisson((TSH[m, j] * (1.0 - w) + TSH[m, j + 1] * w) * t)
                jj = j if w < 0.5 else j + 1
                for _ in range(kh):
                    u = rng.random() * (nu - 1)
                    iu = min(int(u), nu - 2)
                    fu = u - iu
                    lv = TINV[m, jj, iu] * (1.0 - fu) + TINV[m, jj, iu + 1] * fu
                    loss += min(math.exp(lv), 1.0) * Ei
                # multiple scattering (Highland, PDG Eqs. 34.15, 34.20-34.21)
                xx = max(path / X0, 1e-12)
                th0 = 0.0136 / (pi * pi / Ei) * math.sqrt(xx) * (1.0 + 0.038 * math.log(xx))
                g0 = rng.standard_normal()
                g1 = rng.standard_normal()
                g2 = rng.standard_normal()
                g3 = rng.standard_normal()
                if move:
                    xi_ += txi * step + step * th0 * (g0 / sq12 + 0.5 * g1)
                    yi += tyi * step + step * th0 * (g2 / sq12 + 0.5 * g3)
                txi += th0 * g1
                tyi += th0 * g3
                zi += step
                if loss >= T:
                    dep[i, ie] += T
                    Ei = mmu
                    pi = 0.0
                    alive = False
                    stopped[i] = True
                    stop_el[i] = ie
                else:
                    dep[i, ie] += loss
                    Ei -= loss
                    pi = math.sqrt(max(Ei * Ei - mmu * mmu, 0.0))
            if ekind[ie] == 1:
                zi = zend
            if alive and (abs(xi_) > ehx[ie] or abs(yi) > ehy[ie]):
                lost[i] = True
                alive = False
            if espec[ie]:
                if not alive:
                    acc = False
                if etrk[ie]:
                    hitx[i, ie] = xi_
        E[i] = Ei
        x[i], y[i], z[i], tx[i], ty[i] = xi_, yi, zi, txi, tyi
        in_acc[i] = acc and alive and (not lost[i]) and (not stopped[i]) and p_spec[i] == p_spec[i]


_kernel_nb = None


def _get_kernel():
    """The compiled kernel (Numba imported here, not at module import: ~0.3 s saved for users
    of the numpy engine, the mean-loss functions and the response).  ``error_model="numpy"``:
    no Python zero-division checks (the kernel never divides by zero; ~9 % faster)."""
    global _kernel_nb
    if _kernel_nb is None:
        try:
            from numba import njit
        except Exception:  # pragma: no cover - numba is a declared dependency
            return None
        _kernel_nb = njit(cache=True, nogil=True, error_model="numpy")(_kernel_py)
    return _kernel_nb


_SETUP_ARRAYS: dict = {}


def _setup_arrays(setup):
    """Element and medium tables as dense arrays for the compiled kernel (cached per Setup object)."""
    hit = _SETUP_ARRAYS.get(id(setup))
    if hit is not None and hit[0] is setup:
        return hit[1]
    arrays = _build_setup_arrays(setup)
    if len(_SETUP_ARRAYS) > 32:
        _SETUP_ARRAYS.clear()
    _SETUP_ARRAYS[id(setup)] = (setup, arrays)
    return arrays


def _build_setup_arrays(setup):
    els = setup.elements
    meds = []
    emed = np.empty(len(els), np.int64)
    for i, e in enumerate(els):
        if e.medium not in meds:
            meds.append(e.medium)
        emed[i] = meds.index(e.medium)
    tabs = [medium_tables(m) for m in meds]
    spec = setup.spectrometer
    spec_idx = set(spec.element_indices) if spec is not None else set()
    trk_idx = set(spec.tracker_indices) if spec is not None else set()
    return dict(
        ez0=np.array([e.z_start_cm for e in els], float), ez1=np.array([e.z_end_cm for e in els], float),
        ehx=np.array([e.half_aperture_x_cm for e in els], float),
        ehy=np.array([e.half_aperture_y_cm for e in els], float),
        ekind=np.array([1 if e.kind == "magnet" else 0 for e in els], np.int64),
        ebl=np.array([e.field_integral_tm for e in els], float), emed=emed,
        erho=np.array([e.medium.density for e in els], float), eX0=np.array([e.medium.X0_cm for e in els], float),
        espec=np.array([i in spec_idx for i in range(len(els))], np.bool_),
        etrk=np.array([i in trk_idx for i in range(len(els))], np.bool_),
        first_spec=min(spec_idx) if spec_idx else -1,
        TA=np.stack([t["a"] for t in tabs]), TBS=np.stack([t["b_soft"] for t in tabs]),
        TBT=np.stack([t["b_tot"] for t in tabs]), TSH=np.stack([t["sigma_hard"] for t in tabs]),
        TINV=np.ascontiguousarray(np.stack([t["inv_lnv"] for t in tabs])), TRG=np.stack([t["range"] for t in tabs]),
        TZA=np.array([t["ZA"] for t in tabs], float),
    )
