"""Exact 2->3 kinematics of l_i(p) N(P_i) -> l_f(p') N(P_f) phi(k) in the nucleus rest frame.

One particle ``a`` (energy E_a, angle theta to the beam) is "observed"; the other
outgoing light particle ``b`` is integrated over with the recoil.  For the
(x, theta_k) parametrisation of the e->mu paper a = phi, b = l_f; for (y, psi)
a = l_f, b = phi.  Following the e->mu paper (after Eq. 12) and Liu & Miller,
PRD 96 (2017) 016004, the frame has V = p - p_a along z and p_a in the xz plane;
q = P_i - P_f has polar angle theta_q and azimuth phi_q there.  Derivation in
docs/physics.md, "Kinematics".  Every quantity that suffers cancellation at
forward, high-energy kinematics is computed from a rearranged, subtraction-free
expression (the comment next to each one says which).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def one_minus_beta_beta_cos(E1, m1, E2, m2, theta):
    """1 - beta_1 beta_2 cos(theta) without cancellation.

    = (1 - beta1 beta2) + beta1 beta2 (1 - cos theta), with
    1 - beta1 beta2 = (eps1 + eps2 - eps1 eps2)/(1 + beta1 beta2), eps = m^2/E^2.
    """
    e1 = (m1 / E1) ** 2
    e2 = (m2 / E2) ** 2
    b1b2 = np.sqrt((1.0 - e1) * (1.0 - e2))
    omc = 2.0 * np.sin(0.5 * theta) ** 2
    return (e1 + e2 - e1 * e2) / (1.0 + b1b2) + b1b2 * omc


@dataclass
class Frame:
    """Stable kinematic quantities at fixed (E, E_a, theta) -- see module docstring."""

    E: np.ndarray
    Ea: np.ndarray
    pabs: np.ndarray  #: |p|
    aabs: np.ndarray  #: |p_a|
    V: np.ndarray  #: |p - p_a|
    w2: np.ndarray  #: (p - p_a)^2
    ut: np.ndarray  #: (p - p_a)^2 - m_b^2  (= u~ for a = phi)
    Eb0: np.ndarray  #: E - E_a
    bcoef: np.ndarray  #: 1 + Eb0/M
    Acoef: np.ndarray  #: bcoef^2 - V^2/M^2
    tmin: np.ndarray
    tmax: np.ndarray
    valid: np.ndarray  #: physical (tmin < tmax)
    ax: np.ndarray  #: p_a components in the V frame
    az: np.ndarray
    Ea_minus_az: np.ndarray  #: E_a - a_z, computed stably
    V_minus_Eb0: np.ndarray  #: V - (E - E_a), computed stably


def frame(E, m_i, Ea, m_a, m_b, theta, M):
    """Build the V-frame at fixed (E, E_a, theta); arrays broadcast."""
    E, Ea, theta = np.broadcast_arrays(np.asarray(E, float), np.asarray(Ea, float), np.asarray(theta, float))
    pabs = np.sqrt(np.maximum(E * E - m_i * m_i, 0.0))
    aabs = np.sqrt(np.maximum(Ea * Ea - m_a * m_a, 0.0))
    pa = E * Ea * one_minus_beta_beta_cos(E, m_i, Ea, m_a, theta)  # p.p_a, stable
    w2 = m_i * m_i + m_a * m_a - 2.0 * pa
    ut = w2 - m_b * m_b
    s_half = np.sin(0.5 * theta)
    V = np.sqrt((pabs - aabs) ** 2 + 4.0 * pabs * aabs * s_half**2)
    Eb0 = E - Ea
    bcoef = 1.0 + Eb0 / M
    Eb0_minus_V = w2 / (Eb0 + V)  # (E-Ea)^2 - V^2 = w2
    Acoef = (1.0 + Eb0_minus_V / M) * (bcoef + V / M)
    # roots of A t^2 - B t + u~^2 = 0 (cos theta_q = -1 at both): see docs/physics.md
    B = 2.0 * bcoef * ut + 4.0 * V * V
    disc_arg = 4.0 * V * V + 4.0 * bcoef * ut + ut * ut / (M * M)
    valid = (disc_arg > 0) & (B > 0) & (Eb0 > m_b) & (Ea > m_a) & (ut < 0)
    sq = 2.0 * V * np.sqrt(np.where(valid, disc_arg, 1.0))
    Bv = np.where(valid, B, 1.0)
    tmin = np.where(valid, 2.0 * ut * ut / (Bv + sq), 1.0)
    tmax = np.where(valid, (Bv + sq) / (2.0 * Acoef), 2.0)
    # the squared energy equation admits E_b < 0: cap t so that E_b = Eb0 - t/(2M) >= m_b
    tmax = np.minimum(tmax, 2.0 * M * np.maximum(Eb0 - m_b, 0.0))
    valid = valid & (tmax > tmin)
    Vs = np.where(V > 0, V, 1.0)
    cth = np.cos(theta)
    sth = np.sin(theta)
    ax = aabs * pabs * sth / Vs
    az = aabs * (pabs * cth - aabs) / Vs
    # 1 - cos(theta_aV) = (V - |p| cos(theta) + |a|)/V; stable form for forward emission
    fwd = pabs * cth - aabs
    omc_aV = np.where(
        fwd > 0,
        (pabs * sth) ** 2 / np.where(fwd > 0, Vs + fwd, 1.0) / Vs,
        (Vs - fwd) / Vs,
    )
    Ea_minus_az = m_a * m_a / (Ea + aabs) + aabs * omc_aV
    return Frame(E, Ea, pabs, aabs, V, w2, ut, Eb0, bcoef, Acoef, tmin, tmax, valid, ax, az,
                 Ea_minus_az, -Eb0_minus_V)


def lab_energy_range(E, m_i, m_a, m_b, M):
    """Exact range (E_a,min, E_a,max) of the lab energy of ``a`` in l_i N -> a b N (nucleus at rest).

    The endpoints of the three-body range are two-body endpoints with b and the recoil moving
    together, i.e. with the (b N) invariant mass at its minimum m_b + M: in the CM frame
    (s = m_i^2 + M^2 + 2 E M) a has E* = (s + m_a^2 - (m_b+M)^2)/(2 sqrt s) and momentum p*, and the
    boost (gamma = (E+M)/sqrt s, gamma beta = |p|/sqrt s) gives the upper end gamma E* + gamma beta p*.
    The lower end: for a CM momentum p <= p* (larger (b N) masses) the lab energy
    gamma sqrt(p^2 + m_a^2) - gamma beta p is convex in p with its minimum m_a (a at rest in the lab)
    at p = gamma beta m_a; so it is m_a when p* >= gamma beta m_a and gamma E* - gamma beta p*
    otherwise.  Threshold: s = (m_a + m_b + M)^2, where the range
    closes to one point.  Arrays broadcast over E."""
    E = np.asarray(E, float)
    s = m_i * m_i + M * M + 2.0 * E * M
    rs = np.sqrt(s)
    mY = m_b + M
    lam = np.maximum((s - (m_a + mY) ** 2) * (s - (mY - m_a) ** 2), 0.0)
    pstar = np.sqrt(lam) / (2.0 * rs)
    Estar = (s + m_a * m_a - mY * mY) / (2.0 * rs)
    gam = (E + M) / rs
    gb = np.sqrt(np.maximum(E * E - m_i * m_i, 0.0)) / rs
    lo = np.where(pstar >= gb * m_a, m_a, gam * Estar - gb * pstar)
    return lo, gam * Estar + gb * pstar


def threshold_energy(m_i, m_f, m_phi, M):
    """Exact beam-energy threshold of l_i N -> l_f N phi on a nucleus of mass M at rest:
    s = m_i^2 + M^2 + 2 E M = (m_f + m_phi + M)^2."""
    return ((m_f + m_phi + M) ** 2 - m_i * m_i - M * M) / (2.0 * M)


def q_polar(fr: Frame, t, M):
    """|q|, q_z and q_T (= |q| sin theta_q) in the V frame at momentum transfer t.

    cos theta_q = (u~ - t b)/(2 V |q|) (energy conservation), and
    sin^2 theta_q = A (t - tmin)(tmax - t)/(4 V^2 |q|^2) (no subtraction near the roots).
    """
    qabs = np.sqrt(t + t * t / (4.0 * M * M))
    qz = (fr.ut[..., None] - t * fr.bcoef[..., None]) / (2.0 * fr.V[..., None])
    qt2 = fr.Acoef[..., None] * (t - fr.tmin[..., None]) * (fr.tmax[..., None] - t) / (4.0 * fr.V[..., None] ** 2)
    qt = np.sqrt(np.maximum(qt2, 0.0))
    return qabs, qz, qt
