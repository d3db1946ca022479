"""Compiled (Numba) sampling loops of the WW/IWW channel: rejection, completion and the fused event kernel.

:class:`leptoportal.generate.channels.WWChannel` calls them; the per-point functions they inline
are :mod:`leptoportal.generate.compiled` (the mapped density h, the recoil t, branch-free elementary
functions) and :mod:`leptoportal.xsec.compiled` (the exact 2->3 frame), the four-vectors
:mod:`leptoportal.generate.fourvec`.

* :func:`ww_accept_kernel` -- one round of von Neumann rejection against the grid envelope
  (:mod:`leptoportal.generate.envelope`), one proposal per pending event at its own energy.
* :func:`ww_complete_kernel` -- the completion of accepted points: exact frame, t from the Eq. (14)
  integrand, azimuths uniform, four-vectors (the weighted mode and tests).
* :func:`ww_events_kernel` -- unweighted events in one pass: rejection, completion, four-vectors and
  the per-event conservation check (``sampler.FUSED = False`` runs the two kernels above instead).

Uniforms come in bulk blocks drawn by NumPy (then from ``rng`` itself); the per-process constants are
the vector ``P`` of :func:`leptoportal.xsec.compiled.params`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..xsec import compiled as xc
from . import compiled as gc
from .fourvec import final_state_trig, fs_a, fs_q

_jit = njit(cache=True, nogil=True, error_model="numpy")


@_jit
def ww_accept_kernel(r, pend, E, chiE, alias_prob, alias, cell_lo, cell_w, env_flat, P, gl_u, gl_w, u_out, acc,
                         viol_idx, viol_ratio, nviol0):
    """One round of von Neumann rejection: one proposal for each pending event pend[k], at the event's own
    energy, from the uniforms r[k] = (cell, u_0, u_1, accept): Walker alias draw of a cell of the envelope
    (Vose table), u uniform in it, h = the WW/IWW mapped density (vectorised
    :func:`leptoportal.generate.compiled.h_block`, equal to the engine's Eq. 22/27), accepted (acc[k]) if
    r[k, 3] g < h.  Events not accepted get a new proposal in the next round (sequential trials), so each
    accepted u_out[j] is exactly distributed as h(.; E[j]) wherever h <= g.  Proposals with h > g
    (envelope violations) are recorded (cell, h/g); the caller redraws.  Returns the violation count."""
    m = pend.shape[0]
    K = alias_prob.shape[0]
    B = gc.BLOCK
    W = np.empty((gc.N_WORK, B))
    u0, u1, Eb, cb, g, h = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
    idx = np.empty(B, np.int64)
    nviol = nviol0
    for s0 in range(0, m, B):
        k = min(B, m - s0)
        for i in range(k):
            sK = r[s0 + i, 0] * K
            col = min(int(sK), K - 1)
            c = col if sK - col < alias_prob[col] else alias[col]
            idx[i] = c
            u0[i] = cell_lo[c, 0] + cell_w[c, 0] * r[s0 + i, 1]
            u1[i] = cell_lo[c, 1] + cell_w[c, 1] * r[s0 + i, 2]
            g[i] = env_flat[c]
            j = pend[s0 + i]
            Eb[i] = E[j]
            cb[i] = chiE[j]
        gc.h_block(u0[:k], u1[:k], Eb[:k], cb[:k], P, gl_u, gl_w, h[:k], W)
        for i in range(k):
            if h[i] > g[i]:
                if nviol < viol_idx.shape[0]:
                    viol_idx[nviol] = idx[i]
                    viol_ratio[nviol] = h[i] / g[i]
                nviol += 1
            a = r[s0 + i, 3] * g[i] < h[i]
            acc[s0 + i] = a
            if a:
                j = pend[s0 + i]
                u_out[j, 0] = u0[i]
                u_out[j, 1] = u1[i]
    return nviol


@_jit
def ww_complete_kernel(rng, r, u, E, P, m_a, m_b, pa, pb, rec, t_out, phq_out, valid):
    """WWChannel.complete, compiled (the weighted mode and tests; unweighted events use the fused
    :func:`ww_events_kernel`): (E_a, angle) from u (the map of WWChannel.to_vars), the exact 2->3 frame
    (:func:`leptoportal.xsec.compiled.frame_sh` = kinematics.frame), t from the Eq. (14) integrand
    (:func:`leptoportal.generate.compiled.sample_t_flux`, exact rejection) on [t_min, min(t_max, m_phi^2 + m_i^2)]
    when that leaves a window (else the exact t_max), phi_a and phi_q uniform; four-vectors by
    fourvec.final_state_trig.  Uniforms: r[i] = (phi_a, phi_q), the t trials from ``rng``."""
    n = E.shape[0]
    m_i, m, M = P[xc.I_MI], P[xc.I_MPHI], P[xc.I_M]
    cap = m * m + m_i * m_i
    R0 = np.empty(0)  # (all t trials from rng)
    for i in range(n):
        Ei = E[i]
        z, a, _jac = gc.to_vars_one(u[i, 0], u[i, 1], Ei, P)  # the map of WWChannel.to_vars
        Ea = z * Ei
        sh = math.sin(0.5 * a)
        pha = 2.0 * math.pi * r[i, 0]
        phq = 2.0 * math.pi * r[i, 1]
        phq_out[i] = phq
        pabs, aabs, V, ut, bcoef, Acoef, tmin, tmax, fvalid = xc.frame_sh(Ei, m_i, Ea, m_a, m_b, sh, M)
        tmx = min(tmax, cap) if tmin < cap else tmax
        ok = fvalid and tmx > tmin
        t = gc.sample_t_flux(rng, R0, 0, tmin, tmx, P)[0] if ok else math.nan
        good = final_state_trig(Ei, Ea, sh, math.cos(pha), math.sin(pha), math.cos(phq), math.sin(phq),
                                 t if ok else 1.0, pabs, aabs, V, ut, bcoef, Acoef, tmin, tmax, fvalid,
                                 m_i, m_a, m_b, M, pa, pb, rec, i)
        valid[i] = good and ok
        t_out[i] = t


#: uniforms per event drawn in bulk for :func:`ww_events_kernel` (about the mean use at 100 GeV)
U_PER_EVENT = 10.0
#: events per block of :func:`ww_events_kernel` (its ~50 work arrays of this length stay in L2)
EV_BLOCK = 512
#: events per call of :func:`ww_events_kernel` (its bulk uniforms, 8 U_PER_EVENT EV_PIECE bytes, stay in cache)
EV_PIECE = 4096
#: rows of the per-block work array of :func:`ww_events_kernel`
_N_EV = 5


@_jit
def ww_events_kernel(rng, R, E, chiE, alias_prob, alias, cell_lo, cell_w, env_flat, P, gl_u, gl_w, m_a, m_b,
                         pa, pb, rec, t_out, phq_out, fa, anga, fb, angb, viol_idx, viol_ratio, counts):
    """Unweighted WW/IWW events, fused: rejection, completion, four-vectors and the conservation check in
    one compiled pass over blocks of :data:`EV_BLOCK` events (no intermediate arrays of the chunk size).

    Per block: (1) von Neumann rejection in rounds of one proposal per pending event at the event's own
    energy (Walker alias cell, u uniform in it, h by the vectorised :func:`leptoportal.generate.compiled.h_block`
    = the engine's Eq. 22/27, accepted if r g < h; sequential trials, so each accepted u is distributed as
    h(.; E_j) wherever h <= g); the map's energy fraction and angle are kept from the evaluation of h.
    (2) Completion of the accepted events (as :func:`ww_complete_kernel`): exact frame, t from the
    Eq. (14) integrand (:func:`leptoportal.generate.compiled.sample_t_flux`), azimuths uniform
    (:func:`leptoportal.generate.compiled.cos_sin_2pi`), four-vectors (fourvec.final_state_trig).  Events
    without a physical completion (invalid frame or empty t window) go back to (1) and are counted: the
    same law as redrawing them (conditioning on completability).  (3) Per event, while the four-vectors
    are in cache: the relative imbalance max_mu |sum p_f - p_i|_mu / E (fourvec._finish_kernel's formula;
    NaN propagates), the energy fractions and polar angles of a and b.

    Outputs: pa, pb, rec (n, 4); t, phi_q; fa, anga, fb, angb = energy fraction and polar angle of a and b.
    counts = [proposals, violations, incomplete, worst imbalance (NaN if any), uniforms used (beyond R: from rng)];
    on an envelope violation
    (h > g) the kernel stops (cells and h/g in viol_idx, viol_ratio) and the caller redraws."""
    n = E.shape[0]
    K = alias_prob.shape[0]
    B = EV_BLOCK
    m_i, M = P[xc.I_MI], P[xc.I_M]
    amax = P[xc.I_AMAX]
    poly = amax <= 0.5
    mm = P[xc.I_MPHI]
    cap = mm * mm + m_i * m_i
    W = np.empty((gc.N_WORK, B))
    u0, u1, Eb, cb, g, h, rr = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), \
        np.empty(B)
    idx = np.empty(B, np.int64)
    pend = np.empty(B, np.int64)  # local slots awaiting an accepted proposal
    todo = np.empty(B, np.int64)  # local slots to complete
    gj = np.empty(B, np.int64)  # completed events of the pass
    zs = np.empty(B)  # accepted energy fraction and angle per local slot
    angs = np.empty(B)
    F = np.empty((_N_EV, B))
    fE, fz, fang, ra, rq = F[0], F[1], F[2], F[3], F[4]
    f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, ft = (np.empty(B), np.empty(B), np.empty(B), np.empty(B),
                                                           np.empty(B), np.empty(B), np.empty(B), np.empty(B),
                                                           np.empty(B), np.empty(B), np.empty(B), np.empty(B),
                                                           np.empty(B))
    v0, v1, v2, v3, v4, v5, v6, v7 = (np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B),
                                      np.empty(B), np.empty(B))
    v8, v9, v10, v11, v_rel, v_angb = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
    tv, tr, wx, wX, wSE, wPC = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
    wSS, wTT, wQ, wML, wEX, wOK = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
    kb = np.empty(B, np.int64)
    elastic = P[xc.I_FF] == 0.0
    ta, td = P[xc.I_TA], P[xc.I_TD]
    nR = R.shape[0]
    ip = 0  # position in R (uniforms drawn in bulk; then rng.random())
    nprop = 0
    nviol = 0
    ninc = 0
    worst = 0.0
    isnan = False
    for b0 in range(0, n, B):
        k = min(B, n - b0)
        nt = k
        for i in range(k):
            todo[i] = i
        while nt > 0:
            # ---- (1) rejection for the slots in todo[:nt]
            npend = nt
            for i in range(nt):
                pend[i] = todo[i]
            while npend > 0:
                for i in range(npend):
                    # (the next uniforms written out here: an inlined helper taking the array R costs two atomic
                    # reference-count updates per call -- measured ~35 % of the kernel's time with one)
                    if ip + 4 <= nR:
                        r0, r1, r2, r3 = R[ip], R[ip + 1], R[ip + 2], R[ip + 3]
                    else:
                        r0 = R[ip] if ip < nR else rng.random()
                        r1 = R[ip + 1] if ip + 1 < nR else rng.random()
                        r2 = R[ip + 2] if ip + 2 < nR else rng.random()
                        r3 = R[ip + 3] if ip + 3 < nR else rng.random()
                    ip += 4
                    sK = r0 * K
                    col = min(int(sK), K - 1)
                    c = col if sK - col < alias_prob[col] else alias[col]
                    idx[i] = c
                    u0[i] = cell_lo[c, 0] + cell_w[c, 0] * r1
                    u1[i] = cell_lo[c, 1] + cell_w[c, 1] * r2
                    rr[i] = r3
                    g[i] = env_flat[c]
                    j = b0 + pend[i]
                    Eb[i] = E[j]
                    cb[i] = chiE[j]
                gc.h_block(u0[:npend], u1[:npend], Eb[:npend], cb[:npend], P, gl_u, gl_w, h[:npend], W)
                nprop += npend
                m2 = 0
                for i in range(npend):
                    if h[i] > g[i]:
                        if nviol < viol_idx.shape[0]:
                            viol_idx[nviol] = idx[i]
                            viol_ratio[nviol] = h[i] / g[i]
                        nviol += 1
                    if rr[i] * g[i] < h[i]:
                        zs[pend[i]] = W[4, i]  # h_block's energy fraction (x or y) and angle
                        angs[pend[i]] = W[1, i]
                    else:
                        pend[m2] = pend[i]
                        m2 += 1
                if nviol:
                    counts[0] = nprop
                    counts[1] = nviol
                    counts[2] = ninc
                    counts[3] = worst
                    counts[4] = ip
                    return
                npend = m2
            # ---- (2a) gather the accepted events contiguously, draw the azimuths' uniforms; then a loop the
            # compiler vectorises: the exact frame, the azimuth phi_a's cos and sin (no calls, selects only)
            for i in range(nt):
                sl = todo[i]
                fE[i] = E[b0 + sl]
                fz[i] = zs[sl]
                fang[i] = angs[sl]
                ra[i] = R[ip] if ip < nR else rng.random()
                rq[i] = R[ip + 1] if ip + 1 < nR else rng.random()
                ip += 2
            for i in range(nt):
                Ei = fE[i]
                a = fang[i]
                if poly:
                    sh, _c = gc.sincos_poly(0.5 * a)
                else:
                    sh = math.sin(0.5 * a)
                pabs, aabs, V, ut, bcoef, Acoef, tmin, tmax, fvalid = xc.frame_sh(Ei, m_i, fz[i] * Ei, m_a, m_b, sh,
                                                                                  M)
                f0[i] = pabs
                f1[i] = aabs
                f2[i] = V
                f3[i] = ut
                f4[i] = bcoef
                f5[i] = Acoef
                f6[i] = tmin
                f7[i] = tmax
                f8[i] = 1.0 if fvalid else 0.0
                f9[i] = sh
            for i in range(nt):
                cpa, spa = gc.cos_sin_2pi(ra[i])
                f10[i] = cpa
                f11[i] = spa
            # ---- (2b) per event: the window of t (events without a physical completion go back to (1)); the
            # kept events' frame values are compacted in place (ngood <= i)
            nbad = 0
            ngood = 0
            for i in range(nt):
                sl = todo[i]
                tmin, tmax = f6[i], f7[i]
                tmx = min(tmax, cap) if tmin < cap else tmax
                if not (f8[i] == 1.0 and tmx > tmin):
                    todo[nbad] = sl
                    nbad += 1
                    continue
                k = ngood
                gj[k] = b0 + sl
                fE[k], fz[k], fang[k], rq[k] = fE[i], fz[i], fang[i], rq[i]
                f0[k], f1[k], f2[k], f3[k], f4[k], f5[k] = f0[i], f1[i], f2[i], f3[i], f4[i], f5[i]
                f6[k], f7[k], f9[k], f10[k], f11[k] = tmin, tmax, f9[i], f10[i], f11[i]
                wx[k] = tmx
                ngood += 1
            # ---- t by exact rejection (compiled.sample_t_flux).  Elastic G2: the first trial of every
            # event vectorised (ln and exp by compiled.log_poly / exp_poly, the proposal and test by the
            # same t_setup / t_propose / t_accept), then further trials, where needed, one event at a time
            # (sequential trials of the same rejection: exact)
            if elastic:
                for i in range(ngood):
                    tv[i] = R[ip] if ip < nR else rng.random()
                    tr[i] = R[ip + 1] if ip + 1 < nR else rng.random()
                    ip += 2
                for i in range(ngood):
                    c = td if td < wx[i] else wx[i]
                    wX[i] = c / f6[i] if c > f6[i] else 1.0
                gc.log_poly(wX[:ngood], wSE[:ngood], kb)
                for i in range(ngood):
                    q, mlo, s0, m_ramp, m_plat, m_tail, t0, w = gc.t_setup(f6[i], wx[i], wSE[i], ta, td)
                    piece, s_, t_tail = gc.t_propose(tv[i], q, mlo, s0, m_ramp, m_plat, m_tail, t0, w)
                    wPC[i], wSS[i], wTT[i], wQ[i], wML[i] = piece, s_, t_tail, q, mlo
                gc.exp_poly(wSS[:ngood], wEX[:ngood], kb)
                for i in range(ngood):
                    t, ok = gc.t_accept(tr[i], wPC[i], wSS[i], wTT[i], wEX[i], f6[i], wx[i], wQ[i], wML[i], ta, td)
                    ft[i] = t
                    wOK[i] = 1.0 if ok else 0.0
                for i in range(ngood):
                    if wOK[i] == 0.0:
                        ft[i], ip = gc.sample_t_flux(rng, R, ip, f6[i], wx[i], P)
            else:
                for i in range(ngood):
                    ft[i], ip = gc.sample_t_flux(rng, R, ip, f6[i], wx[i], P)
            # ---- (2c) phi_q's cos and sin, the four-vectors (fourvec._final_state_vals), the relative imbalance
            # max_mu |sum p_f - p_i|_mu / E of every event (fourvec._finish_kernel's formula), the polar angle of
            # b.  Separate short loops: the select-only helpers (cos_sin_2pi, polar_angle) then vectorise; inside
            # one large loop the compiler turns their selects into unpredictable branches (measured 3-8x slower)
            for i in range(ngood):
                cq_, sq_ = gc.cos_sin_2pi(rq[i])
                v10[i] = cq_
                v11[i] = sq_
            # (fourvec._final_state_vals split into loops of few outputs each: with twelve output arrays the
            # compiler does not vectorise)
            for i in range(ngood):
                Ei = fE[i]
                Wz, q_x, q_y, q_z = fs_q(Ei, fz[i] * Ei, f9[i], f10[i], f11[i], v10[i], v11[i], ft[i], f0[i], f1[i],
                                         f2[i], f3[i], f4[i], f5[i], f6[i], f7[i], m_i, m_a, M)
                v4[i], v9[i], v10[i], v11[i] = Wz, q_x, q_y, q_z
            for i in range(ngood):
                aE, ax, ay, az = fs_a(f1[i], f9[i], f10[i], f11[i], m_a)
                v0[i], v1[i], v2[i], v3[i] = aE, ax, ay, az
            for i in range(ngood):
                bx, by, bz = v9[i] - v1[i], v10[i] - v2[i], v4[i] + v11[i]
                v4[i], v5[i], v6[i], v7[i] = math.sqrt(bx * bx + by * by + bz * bz + m_b * m_b), bx, by, bz
            for i in range(ngood):
                q_x, q_y, q_z = v9[i], v10[i], v11[i]
                v8[i], v9[i], v10[i], v11[i] = math.sqrt(q_x * q_x + q_y * q_y + q_z * q_z + M * M), -q_x, -q_y, -q_z
            for i in range(ngood):
                Ei = fE[i]
                d0 = abs(v0[i] + v4[i] + v8[i] - (Ei + M))
                d1 = abs(v1[i] + v5[i] + v9[i])
                d2 = abs(v2[i] + v6[i] + v10[i])
                d3 = abs(v3[i] + v7[i] + v11[i] - math.sqrt(Ei * Ei - m_i * m_i))
                m01 = d0 if d0 > d1 else d1
                m23 = d2 if d2 > d3 else d3
                rel = (m01 if m01 > m23 else m23) / Ei
                dsum = d0 + d1 + d2 + d3
                v_rel[i] = rel if dsum == dsum else math.nan  # NaN anywhere: reported as NaN
            for i in range(ngood):
                v_angb[i] = gc.polar_angle(math.sqrt(v5[i] * v5[i] + v6[i] * v6[i]), v7[i])
            # ---- (2d) store (rows of the (n, 4) outputs), the largest imbalance
            for i in range(ngood):
                j = gj[i]
                Ei = fE[i]
                pa[j, 0], pa[j, 1], pa[j, 2], pa[j, 3] = v0[i], v1[i], v2[i], v3[i]
                pb[j, 0], pb[j, 1], pb[j, 2], pb[j, 3] = v4[i], v5[i], v6[i], v7[i]
                rec[j, 0], rec[j, 1], rec[j, 2], rec[j, 3] = v8[i], v9[i], v10[i], v11[i]
                t_out[j] = ft[i]
                phq_out[j] = 2.0 * math.pi * rq[i]
                fa[j] = v0[i] / Ei
                fb[j] = v4[i] / Ei
                anga[j] = fang[i]  # the sampled angle (= the polar angle of a's momentum to ~1e-16)
                angb[j] = v_angb[i]
                rel = v_rel[i]
                if rel != rel:
                    isnan = True
                elif rel > worst:
                    worst = rel
            ninc += nbad
            nt = nbad
    counts[0] = nprop
    counts[1] = nviol
    counts[2] = ninc
    counts[3] = math.nan if isnan else worst
    counts[4] = ip


__all__ = ["ww_accept_kernel", "ww_complete_kernel", "ww_events_kernel", "U_PER_EVENT", "EV_BLOCK", "EV_PIECE"]
