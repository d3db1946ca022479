"""Exact tree-level (ETL) cross sections of l_i N -> l_f N phi.

    d^2 sigma / dx dcos(theta_k) = alpha^2 h^2/(4 pi) E_i |k|/(|p| V)
        int_{tmin}^{tmax} dt F^2(t)/t^2 int_0^{2 pi} dphi_q/(2 pi) |A_{2->3}|^2/(8 M^2)   (e->mu paper, Eq. 12)

with |A|^2 of Eq. (10) (spin-averaged; see amplitudes.py).  The phase-space
factor of Eq. (12) was re-derived (docs/physics.md, "Phase space"); it is exact
(no small-angle approximation) and is *not* cut at theta_max.

In the (x, theta_k) frame u~ does not depend on phi_q and s is linear in
cos(phi_q), so the phi_q average is done in closed form (averages of c^n/s and
c^n/s^2, n = 0, 1, 2, written without subtractions).  The (y, psi) frame
(ours: the paper did not do it) has both s and u~ depending on phi_q; there
phi_q is integrated numerically on panels graded towards phi_q = 0 and pi.

All functions return cross sections per unit coupling squared (h = 1) in GeV^-2.
``vertex`` ("chiral" | "scalar" | "pseudoscalar") selects the coupling structure; the
scalar and pseudoscalar |A|^2 are norm x Eq. (10) with the vertex mass combination of
:func:`leptoportal.xsec.amplitudes.vertex_factors`.
"""

from __future__ import annotations

import numpy as np

from ..units import ALPHA
from .formfactors import nuclear_d, screening_tsai
from .amplitudes import vertex_factors
from .kinematics import frame, lab_energy_range, q_polar
from ..quadrature import panel_nodes

#: default Gauss-Legendre points per panel (x, theta, t, phi_q); ``order`` multiplies them
BASE_ORDER = {"x": 8, "theta": 5, "t": 6, "phi": 8}


def _phi_averages(s0, s1):
    """<c^n/s>, <c^n/s^2> for s = s0 + s1 c, c = cos(phi) uniform in phi; n = 0, 1, 2.

    R = sqrt(s0^2 - s1^2).  Forms chosen to stay accurate as s1 -> 0.
    """
    R = np.sqrt((s0 - np.abs(s1)) * (s0 + np.abs(s1)))
    RR = R * (R + s0)
    I0 = 1.0 / R
    I1 = -s1 / RR
    I2 = s0 / RR
    R3 = R**3
    J0 = s0 / R3
    J1 = -s1 / R3
    J2 = (s1 * s1 + s0 * R) / (R3 * (R + s0))
    return I0, I1, I2, J0, J1, J2


def amp_avg_x(fr, t, M, m_phi, dm2):
    """phi_q-averaged |A_{2->3}|^2 in the (x, theta_k) frame (a = phi), shape of t."""
    qabs, qz, qt = q_polar(fr, t, M)
    E = fr.E[..., None]
    Ek = fr.Ea[..., None]
    kx = fr.ax[..., None]
    kz = fr.az[..., None]
    V = fr.V[..., None]
    u = fr.ut[..., None]
    kabs2 = fr.aabs[..., None] ** 2
    q0 = -t / (2.0 * M)
    pz = V + kz
    s0 = 2.0 * (E * q0 - pz * qz) - t
    s1 = -2.0 * kx * qt
    kq0 = Ek * q0 - kz * qz
    kq1 = -kx * qt
    q2 = qabs * qabs
    X0 = kabs2 * qt * qt + kx * kx * qz * qz
    X1 = -2.0 * kx * kz * qt * qz
    X2 = -kx * kx * qt * qt
    Eb0 = fr.Eb0[..., None]
    wx = Eb0 * kx
    wz = -Eb0 * fr.Ea_minus_az[..., None] - Ek * fr.V_minus_Eb0[..., None]
    wq0 = wz * qz
    wq1 = wx * qt
    N0 = -4.0 * M * wq0 + 2.0 * M * Ek * t - t * kq0
    N1 = -4.0 * M * wq1 - t * kq1
    K2 = (4.0 * M * M + t) * t
    Q0 = K2 * kq0 * kq0 - N0 * N0
    Q1 = 2.0 * (K2 * kq0 * kq1 - N0 * N1)
    Q2 = K2 * kq1 * kq1 - N1 * N1
    I0, I1, I2, J0, J1, J2 = _phi_averages(s0, s1)
    t12 = -8.0 * M * M / u * ((m_phi * m_phi * q2 + X0) * I0 + X1 * I1 + X2 * I2)
    t34 = 2.0 * dm2 / (u * u) * (Q0 * J0 + Q1 * J1 + Q2 * J2)
    return t12 + t34


def _t_integral(fr, M, Z, A, g2, amp_fn, n_t):
    """int dt G2(t)/t^2 <|A|^2>/(8 M^2) over [tmin, tmax] (zero where unphysical)."""
    ta = float(1.0 / screening_tsai(Z) ** 2)
    td = float(nuclear_d(A))
    lo = np.where(fr.valid, fr.tmin, 1.0)
    hi = np.where(fr.valid, fr.tmax, 2.0)
    # breaks: screening (t_a), nuclear size (d), near t_min, and t ~ k_T^2 where the recoil
    # supplies the transverse momentum of the observed particle (a peak for wide angles)
    kt2 = fr.ax**2
    t, w = panel_nodes(lo, hi, n_t, breaks=(1e-2 * ta, ta, td, 30.0 * td, 10.0 * lo, 1e3 * lo, 0.3 * kt2, 3.0 * kt2),
                       log=True)
    integrand = g2(t, Z, A) / (t * t) * amp_fn(t) / (8.0 * M * M)
    return np.where(fr.valid, np.sum(w * integrand, axis=-1), 0.0)


def d2sigma_dx_dcos(E, x, theta, m_i, m_f, m_phi, Z, A, M, g2, order=1, vertex="chiral"):
    """Eq. (12): d^2 sigma/(dx dcos theta_k) per h^2 [GeV^-2]; broadcasts over E, x, theta."""
    E, x, theta = np.broadcast_arrays(np.asarray(E, float), np.asarray(x, float), np.asarray(theta, float))
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    fr = frame(E, m_i, x * E, m_phi, m_f, theta, M)
    n_t = BASE_ORDER["t"] * order
    tint = _t_integral(fr, M, Z, A, g2, lambda t: amp_avg_x(fr, t, M, m_phi, dm2), n_t)
    Vs = np.where(fr.V > 0, fr.V, 1.0)
    return norm * ALPHA**2 / (4.0 * np.pi) * E * fr.aabs / (fr.pabs * Vs) * tint


def _theta_nodes(E, Ea, m_i, m_a, m_b, n):
    """log-graded theta nodes on [~0, pi] around the characteristic angle theta_0."""
    fr0 = frame(E, m_i, Ea, m_a, m_b, np.zeros_like(np.asarray(Ea, float)), 1e30)
    th0 = np.sqrt(np.abs(fr0.ut) / (E * Ea))
    th0 = np.clip(th0, 1e-12, 1.0)
    lo = np.minimum(1e-3 * th0, 1e-3)
    return panel_nodes(lo, np.full_like(lo, np.pi), n, breaks=(0.1 * th0, 0.5 * th0, 2 * th0, 10 * th0, 100 * th0), log=True)


def dsigma_dx(E, x, m_i, m_f, m_phi, Z, A, M, g2, order=1, vertex="chiral"):
    """d sigma/dx per h^2 [GeV^-2]: Eq. (12) integrated over the full cos(theta_k) range."""
    E, x = np.broadcast_arrays(np.asarray(E, float), np.asarray(x, float))
    # outside the exact range of E_phi/E (kinematics.lab_energy_range) the phase space is empty: exactly 0
    lo, hi = lab_energy_range(E, m_i, m_phi, m_f, M)
    inside, x = _inside(x, lo / E, hi / E)
    th, w = _theta_nodes(E, x * E, m_i, m_phi, m_f, BASE_ORDER["theta"] * order)
    d2 = d2sigma_dx_dcos(E[..., None], x[..., None], th, m_i, m_f, m_phi, Z, A, M, g2, order, vertex)
    return np.where(inside, np.sum(w * np.sin(th) * d2, axis=-1), 0.0)


def _inside(v, lo, hi):
    """(mask of lo < v < hi, v with the outside points moved to the middle of the range)."""
    inside = (v > lo) & (v < hi)
    return inside, np.where(inside, v, 0.5 * (lo + hi))


def x_nodes(xlo, xhi, n, scale_hi=None):
    """Composite GL nodes on [xlo, xhi], graded geometrically towards both ends.

    ``scale_hi`` (relative to the span) adds breaks down to that distance from
    xhi: for a light outgoing lepton and a heavy scalar, d sigma/dx varies on
    the scale 1 - x ~ m_f^2/m_phi^2 (where m_phi^2 (1-x)/x ~ m_f^2 in u~).
    """
    xlo = np.asarray(xlo, float)
    xhi = np.asarray(xhi, float)
    span = xhi - xlo
    fr = [1e-4, 1e-3, 1e-2, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999]
    if scale_hi is not None and scale_hi < 1e-4:
        k = 5.0
        while 10.0 ** (-k) > 0.1 * scale_hi and k < 14:
            fr.append(1.0 - 10.0 ** (-k))
            k += 1.0
        fr.append(1.0 - 0.1 * scale_hi)
    breaks = [xlo + f * span for f in fr]
    return panel_nodes(xlo, xhi, n, breaks=breaks)


def _x_scale_hi(m_f, m_phi, span):
    return (m_f / m_phi) ** 2 / max(span, 1e-300)


def sigma_total(E, m_i, m_f, m_phi, Z, A, M, g2, order=1, vertex="chiral"):
    """Total ETL cross section per h^2 [GeV^-2] at one beam energy E (scalar)."""
    lo, hi = lab_energy_range(E, m_i, m_phi, m_f, M)  # exact (with the nuclear recoil)
    xlo, xhi = float(lo) / E, float(hi) / E
    xs, wx = x_nodes(xlo, xhi, BASE_ORDER["x"] * order // 2 + 2, _x_scale_hi(m_f, m_phi, xhi - xlo))
    return float(np.sum(wx * dsigma_dx(E, xs, m_i, m_f, m_phi, Z, A, M, g2, order, vertex)))


# ----------------------------------------------------------------------------- (y, psi)


def _amp_y(fr, t, cphi, M, m_phi, dm2):
    """|A_{2->3}|^2 in the (y, psi) frame (a = l_f) at t [...,T] and cos(phi_q) [...,T,P]."""
    qabs, qz, qt = q_polar(fr, t, M)
    qabs, qz, qt, t = (v[..., None] for v in (qabs, qz, qt, t))
    E = fr.E[..., None, None]
    Ep = fr.Ea[..., None, None]
    px = fr.ax[..., None, None]  # p'_x = p_x
    ppz = fr.az[..., None, None]
    V = fr.V[..., None, None]
    q0 = -t / (2.0 * M)
    qx = qt * cphi
    Ek = fr.Eb0[..., None, None] - t / (2.0 * M)
    s = 2.0 * (E * q0 - px * qx - (V + ppz) * qz) - t
    u = -2.0 * (Ep * q0 - px * qx - ppz * qz) - t
    kq = Ek * q0 - (V * qz + qabs * qabs)
    kxq2 = V * V * qt * qt
    # w.q = q_z [E'(V - Eb0) + Eb0 (E' - p'_z) + t/(2M)(V + p'_z)] + E |q|^2 - E_k p'_x q_x
    bracket = Ep * fr.V_minus_Eb0[..., None, None] + fr.Eb0[..., None, None] * fr.Ea_minus_az[..., None, None] + t / (
        2.0 * M
    ) * (V + ppz)
    wq = qz * bracket + E * qabs * qabs - Ek * px * qx
    N = -4.0 * M * wq + 2.0 * M * Ek * t - t * kq
    su = s * u
    return -8.0 * M * M * (m_phi * m_phi * qabs * qabs + kxq2) / su + 2.0 * dm2 * (
        kq * kq * (4.0 * M * M + t) * t - N * N
    ) / (su * su)


def _phi_nodes_two_sided(w0, wpi, n):
    """GL nodes for phi in [0, pi], graded geometrically towards both ends (widths w0, wpi)."""
    w0 = np.clip(w0, 1e-9, 0.5)
    wpi = np.clip(wpi, 1e-9, 0.5)
    lo = np.zeros_like(w0)
    hi = np.full_like(w0, np.pi)
    brk = (0.25 * w0, w0, 4 * w0, 16 * w0, np.pi / 2, np.pi - 16 * wpi, np.pi - 4 * wpi, np.pi - wpi,
           np.pi - 0.25 * wpi)
    return panel_nodes(lo, hi, n, breaks=brk)


def d2sigma_dy_dcos(E, y, psi, m_i, m_f, m_phi, Z, A, M, g2, order=1, vertex="chiral"):
    """ETL d^2 sigma/(dy dcos psi) per h^2 [GeV^-2], y = E_f/E_i, psi = lepton angle (ours).

    Same phase-space derivation as Eq. (12) with the roles of phi and l_f swapped:
    alpha^2/(4 pi) E |p'|/(|p| V') int dt F^2/t^2 <|A|^2>_phi/(8 M^2).
    """
    E, y, psi = np.broadcast_arrays(np.asarray(E, float), np.asarray(y, float), np.asarray(psi, float))
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    fr = frame(E, m_i, y * E, m_f, m_phi, psi, M)
    n_phi = BASE_ORDER["phi"] * order

    def amp(t):
        qabs, qz, qt = q_polar(fr, t, M)
        px = fr.ax[..., None]
        E_ = fr.E[..., None]
        q0 = -t / (2 * M)
        s0 = 2.0 * (E_ * q0 - (fr.V[..., None] + fr.az[..., None]) * qz) - t
        s1 = np.abs(2.0 * px * qt)
        u0 = -2.0 * (fr.Ea[..., None] * q0 - fr.az[..., None] * qz) - t
        # s is smallest at phi = 0, |u| at phi = pi: angular widths of the two peaks
        w0 = np.sqrt(2.0 * np.maximum(s0 - s1, 1e-300) / np.maximum(s1, 1e-300))
        wpi = np.sqrt(2.0 * np.maximum(-u0 - s1, 1e-300) / np.maximum(s1, 1e-300))
        ph, wph = _phi_nodes_two_sided(w0, wpi, n_phi)
        vals = _amp_y(fr, t, np.cos(ph), M, m_phi, dm2)
        return np.sum(wph * vals, axis=-1) / np.pi

    tint = _t_integral(fr, M, Z, A, g2, amp, BASE_ORDER["t"] * order)
    Vs = np.where(fr.V > 0, fr.V, 1.0)
    return norm * ALPHA**2 / (4.0 * np.pi) * E * fr.aabs / (fr.pabs * Vs) * tint


def dsigma_dy(E, y, m_i, m_f, m_phi, Z, A, M, g2, order=1, vertex="chiral"):
    """ETL d sigma/dy per h^2 [GeV^-2] (lepton energy fraction; full angular range)."""
    E, y = np.broadcast_arrays(np.asarray(E, float), np.asarray(y, float))
    # outside the exact range of E_f/E the phase space is empty: exactly 0
    lo, hi = lab_energy_range(E, m_i, m_f, m_phi, M)
    inside, y = _inside(y, lo / E, hi / E)
    th, w = _theta_nodes(E, y * E, m_i, m_f, m_phi, BASE_ORDER["theta"] * order)
    d2 = d2sigma_dy_dcos(E[..., None], y[..., None], th, m_i, m_f, m_phi, Z, A, M, g2, order, vertex)
    return np.where(inside, np.sum(w * np.sin(th) * d2, axis=-1), 0.0)


def dsigma_dcos_psi(E, psi, m_i, m_f, m_phi, Z, A, M, g2, order=1, vertex="chiral"):
    """ETL d sigma/dcos(psi) per h^2 [GeV^-2]: d^2 sigma/(dy dcos psi) integrated over y."""
    E, psi = np.broadcast_arrays(np.asarray(E, float), np.asarray(psi, float))
    lo, hi = lab_energy_range(E, m_i, m_f, m_phi, M)  # exact (with the nuclear recoil)
    ylo, yhi = lo / E, hi / E
    ys, wy = x_nodes(ylo, yhi, BASE_ORDER["x"] * order // 2 + 2)
    d2 = d2sigma_dy_dcos(E[..., None], ys, psi[..., None], m_i, m_f, m_phi, Z, A, M, g2, order, vertex)
    return np.sum(wy * d2, axis=-1)
