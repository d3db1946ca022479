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

import numpy as np

from ..xsec.kinematics import frame, q_polar


def build_final_state(E, m_i, Ea, theta, phi_a, m_a, m_b, M, t, phi_q, fr=None):
    """Four-vectors (E, px, py, pz) of a, b and the recoil nucleus, shape (n, 4) each.

    All arguments broadcast to (n,).  ``fr``: the engine frame at (E, E_a, theta) if already
    built.  Returns (pa, pb, rec, valid) where ``valid`` is False where (E_a, theta, t) has no
    physical 2->3 completion (those rows are zeros).
    """
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
