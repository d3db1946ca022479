"""Compiled (Numba) pieces of the WW/IWW sampling channel, per point or per block of points.

The density itself (Eqs. 18-27 of the e->mu paper, the flux Eqs. 14-16, the 2->3 frame) is
:mod:`leptoportal.xsec.compiled`; this module adds what the event generator needs around it, and
:mod:`leptoportal.generate.kernels` holds the sampling loops that call it:

* the mapped channel density -- :func:`h_one` (scalar reference), :func:`h_block` (the same, written
  for SIMD), :func:`h_array`, :func:`h_max_array`: the density of Eq. (22) or (27) (IWW: constant
  flux, App. A) times the dcos measure times the Jacobian of the map of
  :meth:`leptoportal.generate.channels.WWChannel.to_vars` (energy fraction linear, angle through
  v = a^2/(a^2 + a_0^2));
* the recoil t of the WW completion -- :func:`sample_t_flux` (exact rejection from the Eq. 14
  integrand with a three-piece envelope), :func:`sample_t_flux_uniform` (proposal uniform in ln t
  under :func:`g2_bound`; any form factor);
* branch-free elementary functions, so that the loops calling them vectorise -- :func:`sincos_poly`,
  :func:`cos_sin_2pi`, :func:`polar_angle` (Abramowitz & Stegun 4.3.65-66, 4.4.42), :func:`exp_poly`,
  :func:`log_poly`.

Per-process constants are the vector ``P`` of :func:`leptoportal.xsec.compiled.params`.  Compiled with
``fastmath`` off (IEEE semantics, same as NumPy); tests/test_compiled.py checks every function here
against its NumPy reference.
"""

from __future__ import annotations

import decimal
import math

import numpy as np
from numba import njit

from ..xsec.compiled import (I_AMAX, I_DM2, I_FF, I_FX, I_IWW, I_MF, I_MI, I_MPHI, I_NORM, I_SG, I_TA, I_TD,
                             I_TMAX, I_Z, PREF, PROTON_K1, PROTON_K2, bracket_y, chi_elastic_closed, chi_elastic_gl,
                             chi_iww, chi_numeric, d2_x, d2_y, flux_vars, g2, t_2to2_y, u_tilde)
from ..xsec.flux import Z_CLOSED

_jit = njit(cache=True, nogil=True, error_model="numpy")
#: per-point helpers are inlined into the loops (a call with array arguments costs NRT reference counting)
_jit_inline = njit(cache=True, nogil=True, inline="always", error_model="numpy")


# ------------------------------------------------------------------------------ mapped channel density


@_jit_inline
def sin_over_series(a):
    """sin(a)/a by its Taylor series to a^12 (relative error < 1e-16 for the small angles where the
    callers use it; the measure sin(theta) / theta of the angle map)."""
    a2 = a * a
    return 1.0 - a2 / 6.0 * (1.0 - a2 / 20.0 * (1.0 - a2 / 42.0 * (1.0 - a2 / 72.0 * (
        1.0 - a2 / 110.0 * (1.0 - a2 / 156.0)))))


@_jit_inline
def angle_map(u, a0, a_max):
    """generate.channels._angle_map: v = a^2/(a^2 + a0^2) linear in u on [0, v_max]; returns
    (a, (dv/du)(da/dv) a)."""
    if a0 < 1e-300:
        a0 = 1e-300
    den = a_max * a_max + a0 * a0
    vmax = a_max * a_max / den
    v = u * vmax
    omv = (1.0 - u) + u * (a0 * a0 / den)
    a = min(a0 * math.sqrt(v / omv), a_max)
    return a, vmax * a0 * a0 / (2.0 * omv * omv)


@_jit_inline
def to_vars_one(u0, u1, E, P):
    """(energy fraction, angle, Jacobian) of generate.channels.WWChannel.to_vars at one point."""
    m_i, m_f, m = P[I_MI], P[I_MF], P[I_MPHI]
    if P[I_FX] == 1.0:
        lo, hi = m / E, 1.0 - m_f / E
        z = lo + u0 * (hi - lo)
        a0 = math.sqrt(abs(u_tilde(E, z, 0.0, m_i, m_f, m)) / (z * E * E))
    else:
        lo, hi = m_f / E, 1.0 - m / E
        z = lo + u0 * (hi - lo)
        a0 = math.sqrt(abs(t_2to2_y(E, z, 0.0, m_i, m_f, m)) / (max(z, 1e-300) * E * E))
    ang, fac = angle_map(u1, a0, P[I_AMAX])
    return z, ang, fac * (hi - lo)


@_jit_inline
def h_one(u0, u1, E, P, chi_c, gl_u, gl_w):
    """WWChannel.h at one point: density (Eq. 22 or 27, IWW flux ``chi_c`` if P[iww]) x the dcos measure
    (sin(a)/a; 1 for IWW, whose measure is a da) x the map's Jacobian; 0 where not finite or <= 0."""
    z, ang, jac = to_vars_one(u0, u1, E, P)
    iw = P[I_IWW] == 1.0
    if P[I_FX] == 1.0:
        d2 = d2_x(E, z, ang, P, iw, chi_c, gl_u, gl_w)
    else:
        d2 = d2_y(E, z, ang, P, iw, chi_c, gl_u, gl_w)
    if iw:
        meas = 1.0
    else:
        meas = math.sin(ang) / ang if ang > 0 else 1.0
    out = d2 * meas * jac
    if out > 0 and out < math.inf:
        return out
    return 0.0


#: points per block of the vectorised density (work arrays stay in L1/L2)
BLOCK = 512
#: rows of the work array of :func:`h_block`
N_WORK = 11


@_jit
def h_block(u0, u1, E, chi_c, P, gl_u, gl_w, out, W):
    """:func:`h_one` for a block of points, written so that the compiler vectorises it (SIMD): pass 1
    (maps, u~ or t, t_min: divisions and square roots only), pass 2 (per point: the flux of Eq. 14,
    closed form or numeric, and sin(a)/a), pass 3 (Eqs. 21-22 or 27, the
    measure and the Jacobian).  Same operations in the same order as the engine (so the same
    numbers); branches are selects.  The dcos measure sin(a)/a (not part of the engine's Eqs.) is its
    Taylor series to a^12 for a_max <= 0.5 (relative truncation < a^14/15! < 5e-17).  u0, u1, E, chi_c
    (IWW flux per point; unused otherwise), out: 1-D, length n; W: work array (N_WORK, >= n).
    :func:`h_one` is the same per point (scalar reference)."""
    n = out.shape[0]
    m_i, m_f, m = P[I_MI], P[I_MF], P[I_MPHI]
    amax = P[I_AMAX]
    fx = P[I_FX] == 1.0
    iw = P[I_IWW] == 1.0
    ff = P[I_FF]
    ta, td, tmx, Z = P[I_TA], P[I_TD], P[I_TMAX], P[I_Z]
    norm, dm2 = P[I_NORM], P[I_DM2]
    mm, mi2, mf2 = m * m, m_i * m_i, m_f * m_f
    sg = P[I_SG]
    ang, jac, vv, xss, tmins, L, S, T0, P2, ZF = W[1], W[2], W[3], W[4], W[5], W[6], W[7], W[8], W[9], W[10]
    closed_ok = (not iw) and ff == 0.0  # the elastic closed form (Eq. 16) is possible
    # ---- pass 1: the map of WWChannel.to_vars, then u~ (Eq. 18) or t (Eq. 25), t_min of the flux
    for i in range(n):
        Ei = E[i]
        if fx:
            lo = m / Ei
            hi = 1.0 - m_f / Ei
        else:
            lo = m_f / Ei
            hi = 1.0 - m / Ei
        span = hi - lo
        z = lo + u0[i] * span
        if fx:  # theta_0^2 = |u~(theta = 0)|/(x E^2), Eq. (18)
            q = -(mm * (1.0 - z) / z) + mi2 * (1.0 - z) - mf2
            zz = z
        else:  # ww.psi0: y E^2 psi_0^2 = t(psi = 0)
            q = mm + mf2 * (1.0 - z) / z - mi2 * (1.0 - z)
            zz = z if z > 1e-300 else 1e-300
            T0[i] = q  # t0 of the bracket of Eq. (27)
        q = -q if q < 0.0 else q
        a0 = math.sqrt(q / (zz * Ei * Ei))
        a0 = 1e-300 if a0 < 1e-300 else a0
        den = amax * amax + a0 * a0
        vmax = amax * amax / den
        v = u1[i] * vmax
        omv = (1.0 - u1[i]) + u1[i] * (a0 * a0 / den)
        a = a0 * math.sqrt(v / omv)
        a = amax if a > amax else a
        jac[i] = vmax * a0 * a0 / (2.0 * omv * omv) * span
        ang[i] = a
        if fx:  # Eq. (18) and the validity of Eq. (22)
            uu = -z * Ei * Ei * a * a - mm * (1.0 - z) / z + mi2 * (1.0 - z) - mf2
            ok = (uu < 0) & (z * Ei > m) & (z < 1)
            uu = uu if ok else -1.0
        else:  # Eq. (25) and the validity of Eq. (27)
            pp = z * Ei * Ei * a * a
            P2[i] = pp
            uu = mm + pp + mf2 * (1.0 - z) / z - mi2 * (1.0 - z)
            ok = (uu > 0) & (z * Ei > m_f) & (z < 1)
            uu = uu if ok else 1.0
        xs = z if ok else 0.5
        vv[i] = uu if ok else math.nan  # NaN marks "outside the phase space of the density"
        xss[i] = xs
        tmin = uu * uu / (4.0 * Ei * Ei * ((1.0 - xs) * (1.0 - xs)))
        tmins[i] = tmin
        ZF[i] = flux_vars(tmin, tmx, ta, td)[0]  # z of the flux (closed form where >= Z_CLOSED)
    # sin(a)/a for a <= a_max <= 0.5 by its Taylor series to a^12 (truncation < a^14/15! < 5e-17 relative),
    # vectorised in pass 3; math.sin otherwise
    poly = amax <= 0.5
    # ---- pass 2: transcendental functions, per point
    for i in range(n):
        a = ang[i]
        if iw:
            S[i] = 1.0
            L[i] = chi_c[i]
        else:
            if not poly:
                S[i] = math.sin(a) / a if a > 0 else 1.0
            if vv[i] != vv[i]:
                L[i] = 0.0
            elif ff == 0.0:
                tmin = tmins[i]
                if not tmx > tmin:
                    L[i] = 0.0
                elif ZF[i] >= Z_CLOSED:
                    L[i] = math.log1p(ZF[i])  # the closed form is completed in pass 3 (vectorised)
                else:
                    _z, A, D, delta, Ddel, cc = flux_vars(tmin, tmx, ta, td)
                    L[i] = chi_elastic_gl(A, D, delta, Ddel, cc, Z, td)
            else:
                L[i] = chi_numeric(tmins[i], tmx, P, gl_u, gl_w)
    # ---- pass 3: Eq. (21)-(22) or (27) with the flux of pass 2, the measure and the Jacobian
    if fx:
        for i in range(n):
            Ei = E[i]
            xs = xss[i]
            ok = vv[i] == vv[i]
            uu = vv[i] if ok else -1.0
            tmin = tmins[i]
            _z, A, D, delta, Ddel, cc = flux_vars(tmin, tmx, ta, td)
            closed = closed_ok & ok & (tmx > tmin) & (ZF[i] >= Z_CLOSED)
            c = chi_elastic_closed(L[i], A, D, delta, Ddel, Z, ta, td) if closed else L[i]
            b2 = 1.0 - m**2 / (xs * xs * Ei * Ei)
            beta = math.sqrt(0.0 if b2 < 0.0 else b2)
            amp = norm * (xs * xs / (2.0 * (1.0 - xs))
                          + dm2 * (uu * xs + m**2 * (1.0 - xs) + xs * (m_f**2 + m_i**2 * (xs - 1.0))) / (uu * uu))
            val = PREF * c * Ei * Ei * xs * beta * (1.0 - xs) / (uu * uu) * amp
            val = val if ok else 0.0
            meas = sin_over_series(ang[i]) if (poly and not iw) else S[i]
            r = val * meas * jac[i]
            out[i] = r if (r > 0.0) & (r < math.inf) else 0.0
    else:
        for i in range(n):
            Ei = E[i]
            xs = xss[i]
            ok = vv[i] == vv[i]
            t = vv[i] if ok else 1.0
            tmin = tmins[i]
            _z, A, D, delta, Ddel, cc = flux_vars(tmin, tmx, ta, td)
            closed = closed_ok & ok & (tmx > tmin) & (ZF[i] >= Z_CLOSED)
            c = chi_elastic_closed(L[i], A, D, delta, Ddel, Z, ta, td) if closed else L[i]
            b2 = 1.0 - m_f**2 / (xs * xs * Ei * Ei)
            beta = math.sqrt(0.0 if b2 < 0.0 else b2)
            br = bracket_y(xs, t, T0[i], P2[i], m_i, m_f, norm, sg)
            omy = 1.0 - xs
            val = PREF * Ei * Ei * beta * c * (omy * omy * omy) * br
            val = val if ok else 0.0
            meas = sin_over_series(ang[i]) if (poly and not iw) else S[i]
            r = val * meas * jac[i]
            out[i] = r if (r > 0.0) & (r < math.inf) else 0.0


@_jit
def h_points(u, E, chi_c, P, gl_u, gl_w, out):
    """:func:`h_block` over any number of points u (n, 2) at energies E (n,) (chi_c: IWW flux per point)."""
    n = out.shape[0]
    W = np.empty((N_WORK, BLOCK))
    u0 = np.empty(BLOCK)
    u1 = np.empty(BLOCK)
    for s in range(0, n, BLOCK):
        e = min(s + BLOCK, n)
        k = e - s
        for i in range(k):
            u0[i] = u[s + i, 0]
            u1[i] = u[s + i, 1]
        h_block(u0[:k], u1[:k], E[s:e], chi_c[s:e], P, gl_u, gl_w, out[s:e], W)


@_jit
def iww_flux_points(E, P, gl_u, gl_w, out):
    """IWW flux per point (recomputed only where the energy changes); 0 for WW."""
    iw = P[I_IWW] == 1.0
    e_last = -1.0
    c = 0.0
    for i in range(E.shape[0]):
        if iw and E[i] != e_last:
            c = chi_iww(E[i], P, gl_u, gl_w)
            e_last = E[i]
        out[i] = c


@_jit
def h_array(u, E, P, gl_u, gl_w, out):
    """WWChannel.h: the mapped density at points u (n, 2), energies E (n,) (vectorised :func:`h_block`)."""
    c = np.empty(E.shape[0])
    iww_flux_points(E, P, gl_u, gl_w, c)
    h_points(u, E, c, P, gl_u, gl_w, out)


@_jit
def h_max_array(u, Es, P, gl_u, gl_w, out):
    """max over the energies Es of the mapped density (the envelope of an energy bin), per point."""
    n = out.shape[0]
    tmp = np.empty(n)
    Ek = np.empty(n)
    c = np.empty(n)
    for i in range(n):
        out[i] = 0.0
    for k in range(Es.shape[0]):
        Ek[:] = Es[k]
        iww_flux_points(Ek[:1], P, gl_u, gl_w, c[:1])
        c[:] = c[0]
        h_points(u, Ek, c, P, gl_u, gl_w, tmp)
        for i in range(n):
            if tmp[i] > out[i]:
                out[i] = tmp[i]


@_jit_inline
def g2_bound(tmin, tmax, P):
    """generate.channels.g2_bound_nucleus: G2_el <= Z^2 min(1, (t/t_a)^2, (d/t)^2) maximised over
    {t_min, t_max, t_a, d} clipped into [t_min, t_max]; + Z P_proton(t_min) (<= Z) for the inelastic term."""
    ta, td, Z = P[I_TA], P[I_TD], P[I_Z]
    best = 0.0
    for c in (tmin, tmax, min(max(ta, tmin), tmax), min(max(td, tmin), tmax)):
        b = min(min(1.0, (c / ta) ** 2), (td / c) ** 2)
        if b > best:
            best = b
    bound = Z * Z * best
    if P[I_FF] == 1.0:
        d2 = (1.0 + tmin / 0.71) * (1.0 + tmin / 0.71)
        Pp = ((1.0 + tmin * PROTON_K1 / PROTON_K2) / (d2 * d2)) ** 2
        bound = bound + Z * min(Pp, 1.0)
    return bound


# ------------------------------------------------------------------------------ recoil t of the WW completion


@_jit_inline
def sincos_poly(b):
    """(sin b, cos b) for |b| <= pi/4 by their Taylor series to b^17 / b^16 (Abramowitz & Stegun 4.3.65-66;
    truncation < |b|^19/19! < 2e-18 and |b|^18/18! < 2e-18): branch-free, so loops calling it vectorise
    (libm's sin/cos do not, and Numba has no SVML here)."""
    b2 = b * b
    s = b * (1.0 - b2 / 6.0 * (1.0 - b2 / 20.0 * (1.0 - b2 / 42.0 * (1.0 - b2 / 72.0 * (1.0 - b2 / 110.0 * (
        1.0 - b2 / 156.0 * (1.0 - b2 / 210.0 * (1.0 - b2 / 272.0))))))))
    c = 1.0 - b2 / 2.0 * (1.0 - b2 / 12.0 * (1.0 - b2 / 30.0 * (1.0 - b2 / 56.0 * (1.0 - b2 / 90.0 * (
        1.0 - b2 / 132.0 * (1.0 - b2 / 182.0 * (1.0 - b2 / 240.0)))))))
    return s, c


@_jit_inline
def cos_sin_2pi(r):
    """(cos, sin) of 2 pi r for r in [0, 1): quadrant q = round(4 r) (exact reduction f = 4 r - q, |f| <= 1/2),
    b = f pi/2, then :func:`sincos_poly` rotated by q pi/2 (selects, no branches).  Agrees with
    math.cos/sin(2 pi r) to ~1e-16 absolute."""
    r4 = 4.0 * r
    q = math.floor(r4 + 0.5)
    s, c = sincos_poly((r4 - q) * (0.5 * math.pi))
    qi = q - 4.0 * math.floor(q * 0.25)  # q mod 4 (q = 4 at r -> 1)
    co = c if qi == 0.0 else (-s if qi == 1.0 else (-c if qi == 2.0 else s))
    si = s if qi == 0.0 else (c if qi == 1.0 else (-s if qi == 2.0 else -c))
    return co, si


@_jit_inline
def polar_angle(pt, pz):
    """atan2(pt, pz) for pt >= 0 (a polar angle in [0, pi]), branch-free so that loops calling it vectorise:
    z = min/max of (pt, |pz|) in [0, 1]; z > tan(pi/8) is mapped to (z - 1)/(z + 1) (+ pi/4); the argument is
    halved once more, atan(w) = 2 atan(w/(1 + sqrt(1 + w^2))), to |w| <= tan(pi/16) < 0.2, where the series
    atan w = sum (-1)^k w^(2k+1)/(2k+1) to w^27 is exact to < 0.2^29/29 < 2e-22 (Abramowitz & Stegun
    4.4.42); then pi/2 - . if pt > |pz| and pi - . if pz < 0.  Agrees with math.atan2 to a few 1e-16."""
    ax = -pz if pz < 0.0 else pz
    swap = pt > ax
    num = ax if swap else pt
    den = pt if swap else ax
    den = den if den > 0.0 else 1.0
    z = num / den
    big = z > 0.41421356237309503
    w = (z - 1.0) / (z + 1.0) if big else z
    w = w / (1.0 + math.sqrt(1.0 + w * w))
    w2 = w * w
    ser = w * (1.0 - w2 * (1.0 / 3.0 - w2 * (1.0 / 5.0 - w2 * (1.0 / 7.0 - w2 * (1.0 / 9.0 - w2 * (
        1.0 / 11.0 - w2 * (1.0 / 13.0 - w2 * (1.0 / 15.0 - w2 * (1.0 / 17.0 - w2 * (1.0 / 19.0 - w2 * (
            1.0 / 21.0 - w2 * (1.0 / 23.0 - w2 * (1.0 / 25.0 - w2 / 27.0)))))))))))))
    r = 2.0 * ser + (0.25 * math.pi if big else 0.0)
    r = 0.5 * math.pi - r if swap else r
    return math.pi - r if pz < 0.0 else r


@_jit_inline
def t_setup(tmin, tmx, se, ta, td):
    """Envelope of :func:`sample_t_flux` on [t_min, t_max] (elastic G2), given se = ln(min(d, t_max)/t_min)
    (0 if d <= t_min): (q, m_lo, s0, ramp mass, plateau mass, tail mass, t0, w).  Scalars only (no array
    arguments: no reference counting when inlined into a loop)."""
    q = 1.0 - tmin / tmx
    c = td if td < tmx else tmx
    mlo = (c / ta) * (c / ta)
    mlo = 1.0 if mlo > 1.0 else mlo
    ramp = se >= q
    m_ramp = 0.5 * mlo * q * q if ramp else 0.0
    s0 = q if ramp else 0.0
    m_plat = mlo * q * (se - s0)
    t0 = td if td > tmin else tmin
    r0 = t0 / tmx
    w = 1.0 - r0 * r0 if tmx > t0 else 0.0
    m_tail = 0.5 * q * (td / t0) * (td / t0) * w
    return q, mlo, s0, m_ramp, m_plat, m_tail, t0, w


@_jit_inline
def t_propose(v, q, mlo, s0, m_ramp, m_plat, m_tail, t0, w):
    """One proposal of :func:`sample_t_flux` from a uniform v: (piece 0 ramp / 1 plateau / 2 tail, s = ln(t/t_min)
    for pieces 0 and 1, t for piece 2).  Selects only."""
    vt = v * (m_ramp + m_plat + m_tail)
    in_ramp = vt < m_ramp
    in_plat = (not in_ramp) & (vt < m_ramp + m_plat)
    s_ramp = q * math.sqrt(vt / (m_ramp if m_ramp > 0.0 else 1.0))
    s_plat = s0 + (vt - m_ramp) / (mlo * q if mlo * q > 0.0 else 1.0)
    vv = (vt - m_ramp - m_plat) / (m_tail if m_tail > 0.0 else 1.0)
    vv = 1.0 if vv > 1.0 else vv
    vv = 0.0 if vv < 0.0 else vv
    t_tail = t0 / math.sqrt(1.0 - vv * w)
    piece = 0.0 if in_ramp else (1.0 if in_plat else 2.0)
    return piece, (s_ramp if in_ramp else s_plat), t_tail


@_jit_inline
def t_accept(r, piece, s, t_tail, exp_s, tmin, tmx, q, mlo, ta, td):
    """(t, accepted) of a proposal of :func:`t_propose` (exp_s = e^s), acceptance uniform r: r g < f."""
    t = t_tail if piece == 2.0 else tmin * exp_s
    t = tmx if t > tmx else t
    g = q * (td / t) * (td / t) if piece == 2.0 else (mlo * s if piece == 0.0 else mlo * q)
    f = (1.0 - tmin / t) * (t / (t + ta)) ** 2 * (td / (t + td)) ** 2
    return t, r * g < f


@_jit_inline
def sample_t_flux(rng, R, ip, tmin, tmx, P):
    """t from the Eq. (14) integrand (t - t_min)/t^2 G2(t) on [t_min, t_max], exact rejection.

    Elastic G2 (Eq. 6, per d ln t and Z^2: f = (1 - t_min/t) (t/(t+t_a))^2 (d/(t+d))^2): envelope
    g = m_lo min(s, q) for t <= min(d, t_max) and q (d/t)^2 above d, with s = ln(t/t_min),
    q = 1 - t_min/t_max and m_lo = min(1, (min(d, t_max)/t_a)^2).  It bounds f because
    1 - e^-s <= min(s, q) on [t_min, t_max], (t/(t+t_a))^2 <= min(1, (t/t_a)^2) (increasing) and
    (d/(t+d))^2 <= min(1, (d/t)^2).  Three pieces with closed-form inverse CDFs (:func:`t_setup`,
    :func:`t_propose`): the ramp (s = q sqrt(v), only when it fits below d), the plateau (uniform in
    ln t) and the tail (t = t_0 / sqrt(1 - v (1 - (t_0/t_max)^2)), t_0 = max(d, t_min): the inverse CDF
    of d ln t/t^2).  Uniforms: R[ip], R[ip + 1], ... (a block drawn in bulk by NumPy) while they last, then
    rng.random(); returns (t, ip).  Acceptance 0.69 averaged over the windows
    of accepted events at 100 GeV, m_phi = 0.3 (the uniform-in-ln t proposal of :func:`sample_t_flux_uniform`:
    0.48; benchmarks/bench_generate.py).  Atomic+nuclear G2:
    :func:`sample_t_flux_uniform`."""
    if P[I_FF] != 0.0:
        return sample_t_flux_uniform(rng, R, ip, tmin, tmx, P)
    ta, td = P[I_TA], P[I_TD]
    nR = R.shape[0]
    c = td if td < tmx else tmx
    se = math.log(c / tmin) if c > tmin else 0.0
    q, mlo, s0, m_ramp, m_plat, m_tail, t0, w = t_setup(tmin, tmx, se, ta, td)
    for _ in range(100_000_000):
        # (the next uniform written out here: an inlined helper taking the array R would cost two atomic
        # reference-count updates per call)
        v = R[ip] if ip < nR else rng.random()
        ip += 1
        r = R[ip] if ip < nR else rng.random()
        ip += 1
        piece, s, t_tail = t_propose(v, q, mlo, s0, m_ramp, m_plat, m_tail, t0, w)
        t, ok = t_accept(r, piece, s, t_tail, math.exp(s), tmin, tmx, q, mlo, ta, td)
        if ok:
            return t, ip
    raise RuntimeError("flux t sampling did not converge")


#: ln 2 split into a high part with 20 trailing zero bits of mantissa (so k LN2_HI is exact for |k| < 2^20) and
#: the rest, from the decimal expansion of ln 2 (for the argument reduction of :func:`exp_poly`)
_LN2_DEC = "0.693147180559945309417232121458176568"
LN2_HI = float(np.frombuffer((np.array([np.log(2.0)]).view(np.int64) & ~np.int64((1 << 20) - 1)).tobytes(),
                             np.float64)[0])
LN2_LO = float(decimal.Decimal(_LN2_DEC) - decimal.Decimal(LN2_HI))
_MANT = np.int64((1 << 52) - 1)
_EXP1 = np.int64(1023 << 52)


@_jit
def exp_poly(x, out, kbits):
    """out = e^x for 0 <= x <= 700, vectorised (no calls): x = k ln 2 + r, |r| <= ln2/2 (Cody-Waite reduction
    with :data:`LN2_HI`, :data:`LN2_LO`), e^r by its Taylor series to r^13 (truncation < 0.35^14/14! < 5e-18),
    times 2^k built from its exponent bits.  Agrees with math.exp to ~2e-16 relative.  kbits: int64 work
    array (same length)."""
    n = x.shape[0]
    if kbits.shape[0] < n or out.shape[0] < n:
        raise ValueError("exp_poly: work and output arrays must be at least as long as x")
    for i in range(n):
        xi = x[i]
        xi = 700.0 if xi > 700.0 else (0.0 if xi < 0.0 else xi)
        k = math.floor(xi * 1.4426950408889634 + 0.5)
        r = (xi - k * LN2_HI) - k * LN2_LO
        out[i] = 1.0 + r * (1.0 + r / 2.0 * (1.0 + r / 3.0 * (1.0 + r / 4.0 * (1.0 + r / 5.0 * (1.0 + r / 6.0 * (
            1.0 + r / 7.0 * (1.0 + r / 8.0 * (1.0 + r / 9.0 * (1.0 + r / 10.0 * (1.0 + r / 11.0 * (
                1.0 + r / 12.0 * (1.0 + r / 13.0))))))))))))
        kbits[i] = (np.int64(k) + 1023) << 52
    sc = kbits[:n].view(np.float64)
    for i in range(n):
        out[i] = out[i] * sc[i]


@_jit
def log_poly(x, out, bits):
    """out = ln x for normal x > 0, vectorised: x = 2^e m with m in [sqrt(1/2), sqrt(2)) from the bits,
    ln m = 2 atanh(z), z = (m - 1)/(m + 1), |z| <= 0.172, series to z^21 (truncation < 0.172^23/23 < 4e-20),
    + e ln 2 (:data:`LN2_HI` + :data:`LN2_LO`).  Agrees with math.log to ~2e-16 relative.  bits: int64 work
    array (same length)."""
    n = x.shape[0]
    if bits.shape[0] < n or out.shape[0] < n:
        raise ValueError("log_poly: work and output arrays must be at least as long as x")
    xb = x[:n].view(np.int64)
    for i in range(n):
        bits[i] = (xb[i] & _MANT) | _EXP1
    m_ = bits[:n].view(np.float64)
    for i in range(n):
        e = np.float64((xb[i] >> 52) - 1023)
        m = m_[i]
        hi = m > 1.4142135623730951
        m = 0.5 * m if hi else m
        e = e + 1.0 if hi else e
        z = (m - 1.0) / (m + 1.0)
        z2 = z * z
        lm = 2.0 * z * (1.0 + z2 * (1.0 / 3.0 + z2 * (1.0 / 5.0 + z2 * (1.0 / 7.0 + z2 * (1.0 / 9.0 + z2 * (
            1.0 / 11.0 + z2 * (1.0 / 13.0 + z2 * (1.0 / 15.0 + z2 * (1.0 / 17.0 + z2 * (1.0 / 19.0 + z2 / 21.0))))))))))
        out[i] = e * LN2_HI + (lm + e * LN2_LO)


@_jit_inline
def sample_t_flux_uniform(rng, R, ip, tmin, tmx, P):
    """t from (t - t_min)/t^2 G2(t) by rejection, proposal uniform in ln t under the constant
    (1 - t_min/t_max) x :func:`g2_bound` (as generate.channels.sample_flux_t); any form factor."""
    bound = (1.0 - tmin / tmx) * g2_bound(tmin, tmx, P)
    lo = math.log(tmin)
    span = math.log(tmx) - lo
    nR = R.shape[0]
    for _ in range(100_000_000):
        r1 = R[ip] if ip < nR else rng.random()
        ip += 1
        r2 = R[ip] if ip < nR else rng.random()
        ip += 1
        tt = math.exp(lo + span * r1)
        if r2 * bound < (1.0 - tmin / tt) * g2(tt, P):
            return tt, ip
    raise RuntimeError("flux t sampling did not converge")


@_jit
def sample_t_flux_array(rng, tmin, tmx, P, out):
    """:func:`sample_t_flux` for arrays of windows (tests)."""
    R = np.empty(0)
    for i in range(out.shape[0]):
        out[i], _ = sample_t_flux(rng, R, 0, tmin[i], tmx[i], P)


@_jit
def sample_t_flux_uniform_array(rng, tmin, tmx, P, out):
    """:func:`sample_t_flux_uniform` for arrays of windows (tests, benchmark)."""
    R = np.empty(0)
    for i in range(out.shape[0]):
        out[i], _ = sample_t_flux_uniform(rng, R, 0, tmin[i], tmx[i], P)


__all__ = ["h_one", "h_block", "h_points", "h_array", "h_max_array", "iww_flux_points", "to_vars_one", "BLOCK",
           "N_WORK", "g2_bound", "sample_t_flux", "sample_t_flux_uniform", "t_setup", "t_propose", "t_accept",
           "sincos_poly", "cos_sin_2pi", "polar_angle", "exp_poly", "log_poly"]
