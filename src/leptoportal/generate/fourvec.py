"""Exact 2->3 final states l_i(p) N(P_i) -> a b N(P_f) from the engine's V-frame kinematics.

Given the observed particle a (energy E_a, polar angle theta, azimuth phi_a about the beam)
and the momentum transfer (t, phi_q), :func:`leptoportal.xsec.kinematics.frame` and
:func:`~leptoportal.xsec.kinematics.q_polar` give q = P_i - P_f in the frame where
V = p - p_a is the z' axis and p_a lies in the x'z' half-plane (docs/physics.md, Sec. 4).
This module rotates that frame into the lab (nucleus rest frame, beam along +z):

    e_z' = V / |V| = (-|a| sin(theta) rho + W z) / |V|,
    e_x' = (W rho + |a| sin(theta) z) / |V|,      e_y' = z x rho,

with rho = (cos phi_a, sin phi_a, 0) and W = |p| - |a| cos(theta), computed without
cancellation as (|p|^2 - |a|^2)/(|p| + |a|) + 2 |a| sin^2(theta/2).  (e_x' . p_a = |a||p|
sin(theta)/|V| >= 0, the engine's a_x.)  Then b = p - p_a + q (three-momentum
conservation), P_f = -q, and every energy is put on shell from its momentum:
E = sqrt(|p|^2 + m^2).  Energy conservation E_i + M = E_a + E_b + E_N is therefore a
genuine check of the kinematics (cos theta_q is fixed by it), see :func:`conservation`.
"""

from __future__ import annotations

import math

import numpy as np

from ..xsec.kinematics import frame, q_polar


def build_final_state(E, m_i, Ea, theta, phi_a, m_a, m_b, M, t, phi_q, fr=None, out=None):
    """Four-vectors (E, px, py, pz) of a, b and the recoil nucleus, shape (n, 4) each.

    All arguments broadcast to (n,).  ``fr``: the engine frame at (E, E_a, theta) if already
    built.  Returns (pa, pb, rec, valid) where ``valid`` is False where (E_a, theta, t) has no
    physical 2->3 completion (those rows are zeros).  The rotation is one compiled pass per event
    (:func:`_final_state_kernel`); :func:`build_final_state_numpy` is the same algebra in NumPy
    (the reference it is tested against).  ``out``: optional (pa, pb, rec) C-contiguous (n, 4)
    arrays to write into.
    """
    if _final_state_nb is None:  # pragma: no cover - numba is a declared dependency
        return build_final_state_numpy(E, m_i, Ea, theta, phi_a, m_a, m_b, M, t, phi_q, fr)
    E, Ea, theta, phi_a, t, phi_q = (np.ascontiguousarray(np.atleast_1d(np.asarray(v, float))) for v in
                                     np.broadcast_arrays(E, Ea, theta, phi_a, t, phi_q))
    if fr is None:
        fr = frame(E, m_i, Ea, m_a, m_b, theta, M)
    n = E.size
    if out is not None and all(a.shape == (n, 4) and a.flags.c_contiguous and a.dtype == float for a in out):
        pa, pb, rec = out
    else:
        pa, pb, rec = np.empty((n, 4)), np.empty((n, 4)), np.empty((n, 4))
    valid = np.empty(n, np.bool_)
    f = [np.ascontiguousarray(np.broadcast_to(v, (n,)), dtype=float) for v in
         (fr.pabs, fr.aabs, fr.V, fr.ut, fr.bcoef, fr.Acoef, fr.tmin, fr.tmax)]
    _final_state_nb(E, Ea, theta, phi_a, t, phi_q, *f, np.ascontiguousarray(np.broadcast_to(fr.valid, (n,))),
                    float(m_i), float(m_a), float(m_b), float(M), pa, pb, rec, valid)
    return pa, pb, rec, valid


def build_final_state_numpy(E, m_i, Ea, theta, phi_a, m_a, m_b, M, t, phi_q, fr=None):
    """NumPy reference of :func:`build_final_state` (same algebra, array at a time)."""
    E, Ea, theta, phi_a, t, phi_q = (np.atleast_1d(np.asarray(v, float)) for v in
                                     np.broadcast_arrays(E, Ea, theta, phi_a, t, phi_q))
    if fr is None:
        fr = frame(E, m_i, Ea, m_a, m_b, theta, M)
    valid = fr.valid & (t >= fr.tmin) & (t <= fr.tmax)
    ts = np.where(valid, t, np.sqrt(np.where(fr.valid, fr.tmin * fr.tmax, 2.0)))
    qabs, qz, qt = (v[..., 0] for v in q_polar(fr, ts[..., None], M))
    P, A, V = fr.pabs, fr.aabs, np.where(fr.V > 0, fr.V, 1.0)
    sth, cth = np.sin(theta), np.cos(theta)
    s_half = np.sin(0.5 * theta)
    P2_minus_A2 = (E - Ea) * (E + Ea) - m_i * m_i + m_a * m_a
    W = P2_minus_A2 / np.where(P + A > 0, P + A, 1.0) + 2.0 * A * s_half * s_half
    qx_, qy_ = qt * np.cos(phi_q), qt * np.sin(phi_q)
    Asth = A * sth
    q_rho = (qx_ * W - qz * Asth) / V
    q_z = (qz * W + qx_ * Asth) / V
    cp, sp = np.cos(phi_a), np.sin(phi_a)
    q_x = q_rho * cp - qy_ * sp
    q_y = q_rho * sp + qy_ * cp
    n = E.size
    pa, pb, rec = np.empty((n, 4)), np.empty((n, 4)), np.empty((n, 4))
    pa[:, 1] = Asth * cp
    pa[:, 2] = Asth * sp
    pa[:, 3] = A * cth
    pa[:, 0] = np.sqrt(A * A + m_a * m_a)
    # b = p - a + q, with p_z - a_z = W
    pb[:, 1] = q_x - pa[:, 1]
    pb[:, 2] = q_y - pa[:, 2]
    pb[:, 3] = W + q_z
    pb[:, 0] = np.sqrt(pb[:, 1] ** 2 + pb[:, 2] ** 2 + pb[:, 3] ** 2 + m_b * m_b)
    rec[:, 1] = -q_x
    rec[:, 2] = -q_y
    rec[:, 3] = -q_z
    rec[:, 0] = np.sqrt(q_x * q_x + q_y * q_y + q_z * q_z + M * M)
    bad = ~valid
    if bad.any():
        pa[bad] = pb[bad] = rec[bad] = 0.0
    return pa, pb, rec, valid


def conservation(beam_energy, m_i, M, *final):
    """Relative four-momentum imbalance per event: max_mu |sum(final) - initial|_mu / E_beam.

    Initial state: beam (E, 0, 0, |p|) along +z and the nucleus (M, 0, 0, 0) at rest.
    """
    E = np.asarray(beam_energy, float)
    tot = final[0] + final[1]
    for f in final[2:]:
        tot += f
    tot[:, 0] -= E + M
    tot[:, 3] -= np.sqrt(E * E - m_i * m_i)
    return np.max(np.abs(tot), axis=1) / E


def angle_to_beam(p4):
    """Polar angle of a four-vector's momentum to +z (atan2(p_T, p_z): accurate at small angles)."""
    return np.arctan2(np.hypot(p4[:, 1], p4[:, 2]), p4[:, 3])


def fs_q(Ei, Eai, s_half, cp, sp, cq, sq, ti, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, m_i, m_a, M):
    """q = P_i - P_f of one physical point in the lab and W = |p| - |a| cos(theta): (W, q_x, q_y, q_z), q from
    :func:`leptoportal.xsec.kinematics.q_polar` (q_z' = (u~ - t b)/(2V), q_T^2 = A (t - t_min)(t_max - t)/(4 V^2))
    rotated by the basis of the module docstring."""
    Vi = Vraw if Vraw > 0 else 1.0
    qz = (ut - ti * bcoef) / (2.0 * Vi)
    qt2 = Acoef * (ti - tmin) * (tmax - ti) / (4.0 * Vi * Vi)
    qt = math.sqrt(qt2) if qt2 > 0.0 else 0.0
    # sin(theta) from s = sin(theta/2) (theta in [0, pi]): 2 s sqrt(1 - s^2) (a few ulp)
    sth = 2.0 * s_half * math.sqrt(1.0 - s_half * s_half)
    P2_minus_A2 = (Ei - Eai) * (Ei + Eai) - m_i * m_i + m_a * m_a
    PA = P + A if P + A > 0 else 1.0
    W = P2_minus_A2 / PA + 2.0 * A * s_half * s_half
    qx_ = qt * cq
    qy_ = qt * sq
    Asth = A * sth
    q_rho = (qx_ * W - qz * Asth) / Vi
    q_z = (qz * W + qx_ * Asth) / Vi
    q_x = q_rho * cp - qy_ * sp
    q_y = q_rho * sp + qy_ * cp
    return W, q_x, q_y, q_z


def fs_a(A, s_half, cp, sp, m_a):
    """The observed particle a: (E_a, a_x, a_y, a_z) = (sqrt(A^2 + m_a^2), A sin(theta) cos(phi_a),
    A sin(theta) sin(phi_a), A cos(theta)), sin and cos of theta from s = sin(theta/2)."""
    sth = 2.0 * s_half * math.sqrt(1.0 - s_half * s_half)
    cth = 1.0 - 2.0 * s_half * s_half
    Asth = A * sth
    return math.sqrt(A * A + m_a * m_a), Asth * cp, Asth * sp, A * cth


def _final_state_vals(Ei, Eai, s_half, cp, sp, cq, sq, ti, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, m_i, m_a, m_b,
                      M):
    """Components of the final state of one physical point (a valid frame, t in [t_min, t_max]):
    (a_E, a_x, a_y, a_z, b_E, b_x, b_y, b_z, N_E, N_x, N_y, N_z), given s_half = sin(theta/2), (cos, sin) of
    phi_a and of phi_q: a from :func:`fs_a`, q and W from :func:`fs_q`, b = p - a + q (b_z = W + q_z),
    N = -q, energies on shell.  The algebra of :func:`build_final_state_numpy`."""
    W, q_x, q_y, q_z = fs_q(Ei, Eai, s_half, cp, sp, cq, sq, ti, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, m_i, m_a,
                             M)
    aE, ax, ay, az = fs_a(A, s_half, cp, sp, m_a)
    bx, by, bz = q_x - ax, q_y - ay, W + q_z
    return (aE, ax, ay, az, math.sqrt(bx * bx + by * by + bz * bz + m_b * m_b), bx, by, bz,
            math.sqrt(q_x * q_x + q_y * q_y + q_z * q_z + M * M), -q_x, -q_y, -q_z)


def final_state_trig(Ei, Eai, s_half, cp, sp, cq, sq, ti, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, fvalid, m_i, m_a,
                      m_b, M, pa, pb, rec, i):
    """One event (row ``i`` of pa, pb, rec) of :func:`build_final_state_numpy` (:func:`_final_state_vals`
    stored; zeros where the point is not physical).  Returns whether the point is physical."""
    ok = fvalid and ti >= tmin and ti <= tmax
    if not ok:
        for k in range(4):
            pa[i, k] = 0.0
            pb[i, k] = 0.0
            rec[i, k] = 0.0
        return False
    v = _final_state_vals(Ei, Eai, s_half, cp, sp, cq, sq, ti, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, m_i, m_a,
                          m_b, M)
    for k in range(4):
        pa[i, k] = v[k]
        pb[i, k] = v[4 + k]
        rec[i, k] = v[8 + k]
    return True


def _final_state_one(Ei, Eai, th, phia, ti, phiq, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, fvalid, m_i, m_a, m_b, M,
                     pa, pb, rec, i):
    """:func:`final_state_trig` at polar angle ``th`` and azimuths ``phia`` (of a), ``phiq`` (of q)."""
    return final_state_trig(Ei, Eai, math.sin(0.5 * th), math.cos(phia), math.sin(phia), math.cos(phiq),
                             math.sin(phiq), ti, P, A, Vraw, ut, bcoef, Acoef, tmin, tmax, fvalid, m_i, m_a, m_b, M,
                             pa, pb, rec, i)


def _final_state_kernel(E, Ea, theta, phi_a, t, phi_q, pabs, aabs, V, ut, bcoef, Acoef, tmin, tmax, fvalid,
                        m_i, m_a, m_b, M, pa, pb, rec, valid):
    """:func:`_final_state_one` for every event (one compiled pass)."""
    for i in range(E.shape[0]):
        valid[i] = _final_state_one(E[i], Ea[i], theta[i], phi_a[i], t[i], phi_q[i], pabs[i], aabs[i], V[i], ut[i],
                                    bcoef[i], Acoef[i], tmin[i], tmax[i], fvalid[i], m_i, m_a, m_b, M, pa, pb, rec, i)


def _finish_kernel(E, m_i, M, lep, phi, rec, x, y, theta_k, psi):
    """Per event: the imbalance of :func:`conservation` (returned: its maximum over events), the
    energy fractions x = E_phi/E, y = E_lep/E and the angles of :func:`angle_to_beam`."""
    worst = 0.0
    nan = False
    for i in range(E.shape[0]):
        Ei = E[i]
        d0 = abs(lep[i, 0] + phi[i, 0] + rec[i, 0] - (Ei + M))
        d1 = abs(lep[i, 1] + phi[i, 1] + rec[i, 1])
        d2 = abs(lep[i, 2] + phi[i, 2] + rec[i, 2])
        d3 = abs(lep[i, 3] + phi[i, 3] + rec[i, 3] - math.sqrt(Ei * Ei - m_i * m_i))
        r = max(max(d0, d1), max(d2, d3)) / Ei
        if r != r or (d0 + d1 + d2 + d3) != (d0 + d1 + d2 + d3):  # NaN anywhere (max() would drop it):
            # reported as NaN, which fails every "<= tol" check
            nan = True
        elif r > worst:
            worst = r
        x[i] = phi[i, 0] / Ei
        y[i] = lep[i, 0] / Ei
        # |p_T| = sqrt(px^2 + py^2) (hypot's overflow protection is not needed at GeV scales; ~1 ulp)
        theta_k[i] = math.atan2(math.sqrt(phi[i, 1] * phi[i, 1] + phi[i, 2] * phi[i, 2]), phi[i, 3])
        psi[i] = math.atan2(math.sqrt(lep[i, 1] * lep[i, 1] + lep[i, 2] * lep[i, 2]), lep[i, 3])
    return math.nan if nan else worst


try:  # one compiled pass per event instead of ~60 array temporaries
    from numba import njit as _njit

    # inlined into the loops (a call with array arguments would cost NRT reference counting per event)
    fs_q = _njit(cache=True, nogil=True, inline="always", error_model="numpy")(fs_q)
    fs_a = _njit(cache=True, nogil=True, inline="always", error_model="numpy")(fs_a)
    _final_state_vals = _njit(cache=True, nogil=True, inline="always", error_model="numpy")(_final_state_vals)
    final_state_trig = _njit(cache=True, nogil=True, inline="always", error_model="numpy")(final_state_trig)
    _final_state_one = _njit(cache=True, nogil=True, inline="always", error_model="numpy")(_final_state_one)
    _final_state_nb = _njit(cache=True, nogil=True)(_final_state_kernel)
    _finish_nb = _njit(cache=True, nogil=True, error_model="numpy")(_finish_kernel)
except Exception:  # pragma: no cover - numba is a declared dependency
    _final_state_nb = _finish_nb = None


def finish(E, m_i, M, lep, phi, rec, x, y, theta_k, psi):
    """Fill x, y, theta_k, psi (in place) from the four-vectors and return the largest relative
    four-momentum imbalance (as :func:`conservation`) over the events."""
    if _finish_nb is None:  # pragma: no cover
        imb = conservation(E, m_i, M, lep, phi, rec)
        np.divide(phi[:, 0], E, out=x)
        np.divide(lep[:, 0], E, out=y)
        theta_k[:] = angle_to_beam(phi)
        psi[:] = angle_to_beam(lep)
        return float(imb.max()) if imb.size else 0.0
    return float(_finish_nb(np.ascontiguousarray(E, dtype=float), float(m_i), float(M), lep, phi, rec, x, y,
                            theta_k, psi))
