"""Weizsaecker-Williams (WW) cross sections of l_i N -> l_f N phi (e->mu paper, Sec. II B).

(x, theta_k):  Eq. (22)  d^2 sigma/dx dcos(theta_k) = alpha^2 h^2/(2 pi) chi_WW E^2 x beta_k (1-x)/u~^2 |A22|^2_tmin
               with u~ of Eq. (18), |A22|^2 at t_min of Eq. (21), chi_WW of Eq. (14) with
               t_min = u~^2/(4 E^2 (1-x)^2), t_max = m_phi^2 + m_i^2, and
               beta_k = sqrt(1 - m_phi^2/(x^2 E^2)) (the printed "E_phi" in Eq. 22 is a typo).
               d sigma/dx: Eq. (23), theta_k in [0, theta_max], theta_max = 0.1 as published.
(y, psi):      Eq. (27) with t = m_phi^2 - t2 and t2 of Eq. (25); the flux lower bound is not
               printed for this case: we use the same construction as for (x, theta_k),
               t_min = t^2/(4 E^2 (1-y)^2) (the virtuality of the exchanged lepton over 2|V|),
               see docs/physics.md.  psi_max = 0.3 (the value the paper gives for Eq. A3).

Vertices: ``vertex`` = "chiral" (published), "scalar" or "pseudoscalar": norm x the
published forms with the *vertex* mass combination dm2 (the coefficient of the second
structure of Eq. 20) replaced as in :func:`leptoportal.xsec.amplitudes.vertex_factors`;
mass combinations of kinematic origin are unchanged.

Per unit coupling squared, GeV^-2.  ``chi_fn(tmin, tmax)`` supplies the flux
(analytic Eq. 15-16 for the elastic form factor, numeric Eq. 14 otherwise).
"""

from __future__ import annotations

import numpy as np

from ..units import ALPHA
from .amplitudes import vertex_factors, vertex_sign
from .etl import x_nodes
from ..quadrature import panel_nodes

THETA_MAX = 0.1
PSI_MAX = 0.3


def u_tilde(E, x, theta, m_i, m_f, m_phi):
    """Eq. (18): u~ ~ -x E^2 theta^2 - m_phi^2 (1-x)/x + m_i^2 (1-x) - m_f^2."""
    return -x * E * E * theta * theta - m_phi * m_phi * (1.0 - x) / x + m_i * m_i * (1.0 - x) - m_f * m_f


def amp22_tmin_x(x, u, m_i, m_f, m_phi, vertex="chiral"):
    """Eq. (21): |A_{2->2}|^2 at t_min in terms of x and u~ (dm2 = vertex combination)."""
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    return norm * (
        x * x / (2.0 * (1.0 - x))
        + dm2 * (u * x + m_phi**2 * (1.0 - x) + x * (m_f**2 + m_i**2 * (x - 1.0))) / (u * u)
    )


def d2sigma_dx_dcos(E, x, theta, m_i, m_f, m_phi, chi_fn, vertex="chiral"):
    """Eq. (22) per h^2 [GeV^-2]; zero where the approximate propagator u~ >= 0."""
    E, x, theta = np.broadcast_arrays(np.asarray(E, float), np.asarray(x, float), np.asarray(theta, float))
    u = u_tilde(E, x, theta, m_i, m_f, m_phi)
    ok = (u < 0) & (x * E > m_phi) & (x < 1)
    u = np.where(ok, u, -1.0)
    xs = np.where(ok, x, 0.5)
    tmin = u * u / (4.0 * E * E * (1.0 - xs) ** 2)
    chi = chi_fn(tmin, np.full_like(tmin, m_phi**2 + m_i**2))
    beta_k = np.sqrt(np.maximum(1.0 - m_phi**2 / (xs * xs * E * E), 0.0))
    val = ALPHA**2 / (2.0 * np.pi) * chi * E * E * xs * beta_k * (1.0 - xs) / (u * u) * amp22_tmin_x(xs, u, m_i, m_f, m_phi, vertex)
    return np.where(ok, val, 0.0)


def _angle_nodes(theta0, theta_max, n):
    lo = np.minimum(1e-4 * theta0, 1e-4 * theta_max)
    return panel_nodes(lo, np.full_like(lo, theta_max), n,
                       breaks=(0.1 * theta0, 0.5 * theta0, 2 * theta0, 10 * theta0), log=True)


def dsigma_dx(E, x, m_i, m_f, m_phi, chi_fn, theta_max=THETA_MAX, order=1, vertex="chiral"):
    """Eq. (23): d sigma/dx per h^2 [GeV^-2], cos(theta_k) over [cos theta_max, 1]."""
    E, x = np.broadcast_arrays(np.asarray(E, float), np.asarray(x, float))
    u0 = np.abs(u_tilde(E, x, 0.0, m_i, m_f, m_phi))
    th0 = np.sqrt(u0 / (np.maximum(x, 1e-300) * E * E))
    th, w = _angle_nodes(th0, theta_max, 8 * order)
    d2 = d2sigma_dx_dcos(E[..., None], x[..., None], th, m_i, m_f, m_phi, chi_fn, vertex)
    return np.sum(w * np.sin(th) * d2, axis=-1)


def sigma_total(E, m_i, m_f, m_phi, chi_fn, theta_max=THETA_MAX, order=1, vertex="chiral"):
    """WW total cross section per h^2 [GeV^-2] at one beam energy."""
    xs, wx = x_nodes(m_phi / E, 1.0 - m_f / E, 6 * order)
    return float(np.sum(wx * dsigma_dx(E, xs, m_i, m_f, m_phi, chi_fn, theta_max, order, vertex)))


# ------------------------------------------------------------------ (y, psi), Eqs. (24)-(27)


def t_2to2_y(E, y, psi, m_i, m_f, m_phi):
    """t = m_phi^2 - t2 with t2 of Eq. (25): t = m_phi^2 + y E^2 psi^2 + m_f^2 (1-y)/y - m_i^2 (1-y)."""
    return m_phi * m_phi + y * E * E * psi * psi + m_f * m_f * (1.0 - y) / y - m_i * m_i * (1.0 - y)


def bracket_y(y, t, t0, p2, m_i, m_f, m_phi, vertex="chiral"):
    """The curly bracket of Eq. (27), evaluated without cancellation.

    Printed: 1/(2t^2) - dm2/t^3 + dm2 [m_f^2 + y (m_i^2 y + dmk)]/(y t^4), linear in the vertex
    combination dm2 (the two outer dm2; the inner dmk = m_phi^2 - m_i^2 - m_f^2 is kinematic, see
    docs/physics.md section 11).  With t of Eq. (25) written t = t0 + p2, t0 = t(psi = 0),
    p2 = y E^2 psi^2, the numerator of the dm2 terms is m_f^2 + y (m_i^2 y + dmk) - y t = -y p2, so

        bracket = norm (t^2 - 2 dm2 p2)/(2 t^4) = norm (p2^2 + 2 p2 e + t0^2)/(2 t^4),
        e = t0 - dm2 = [(m_f + sigma m_i y)^2 + (1 - sigma^2) (m_i y)^2]/y  >= 0,

    sigma = :func:`leptoportal.xsec.amplitudes.vertex_sign`.  Every term is non-negative (the printed
    form amplifies rounding by ~2|dm2|/t, up to ~1e4 for light scalars); derivation in docs/physics.md
    section 11 ("Eq. (27) without cancellation").  ``t`` is Eq. (25) at the point, used for t^4.
    """
    norm, _ = vertex_factors(vertex, m_phi, m_i, m_f)
    sg = vertex_sign(vertex)
    my = m_i * y
    mfs = m_f + sg * my
    e = (mfs * mfs + (1.0 - sg * sg) * (my * my)) / y
    t2 = t * t
    return norm * (p2 * p2 + 2.0 * p2 * e + t0 * t0) / (2.0 * (t2 * t2))


def d2sigma_dy_dcos(E, y, psi, m_i, m_f, m_phi, chi_fn, iww_chi=None, vertex="chiral"):
    """Eq. (27) per h^2 [GeV^-2].  With ``iww_chi`` (array) the flux is that constant (IWW)."""
    E, y, psi = np.broadcast_arrays(np.asarray(E, float), np.asarray(y, float), np.asarray(psi, float))
    t = t_2to2_y(E, y, psi, m_i, m_f, m_phi)
    ok = (t > 0) & (y * E > m_f) & (y < 1)
    t = np.where(ok, t, 1.0)
    ys = np.where(ok, y, 0.5)
    omy = 1.0 - ys
    if iww_chi is None:
        chi = chi_fn(t * t / (4.0 * E * E * (omy * omy)), np.full_like(t, m_phi**2 + m_i**2))
    else:
        chi = iww_chi
    beta_f = np.sqrt(np.maximum(1.0 - m_f**2 / (ys * ys * E * E), 0.0))
    t0 = t_2to2_y(E, ys, 0.0, m_i, m_f, m_phi)
    p2 = ys * E * E * psi * psi
    br = bracket_y(ys, t, t0, p2, m_i, m_f, m_phi, vertex)
    val = ALPHA**2 / (2.0 * np.pi) * E * E * beta_f * chi * (omy * omy * omy) * br
    return np.where(ok, val, 0.0)


def psi0(E, y, m_i, m_f, m_phi):
    """Characteristic lepton angle: y E^2 psi0^2 = t(psi = 0)."""
    return np.sqrt(np.abs(t_2to2_y(E, y, 0.0, m_i, m_f, m_phi)) / (np.maximum(y, 1e-300) * E * E))


def dsigma_dy(E, y, m_i, m_f, m_phi, chi_fn, psi_max=PSI_MAX, order=1, vertex="chiral"):
    """WW d sigma/dy per h^2: Eq. (27) integrated over cos(psi) in [cos psi_max, 1]."""
    E, y = np.broadcast_arrays(np.asarray(E, float), np.asarray(y, float))
    ps, w = _angle_nodes(psi0(E, y, m_i, m_f, m_phi), psi_max, 8 * order)
    d2 = d2sigma_dy_dcos(E[..., None], y[..., None], ps, m_i, m_f, m_phi, chi_fn, vertex=vertex)
    return np.sum(w * np.sin(ps) * d2, axis=-1)


def dsigma_dcos_psi(E, psi, m_i, m_f, m_phi, chi_fn, order=1, iww_chi=None, vertex="chiral"):
    """WW (or IWW with ``iww_chi``) d sigma/dcos(psi) per h^2: Eq. (27) integrated over y."""
    E, psi = np.broadcast_arrays(np.asarray(E, float), np.asarray(psi, float))
    ys, wy = x_nodes(m_f / E, 1.0 - m_phi / E, 6 * order)
    chi = None if iww_chi is None else np.asarray(iww_chi)[..., None]
    d2 = d2sigma_dy_dcos(E[..., None], ys, psi[..., None], m_i, m_f, m_phi, chi_fn, iww_chi=chi, vertex=vertex)
    return np.sum(wy * d2, axis=-1)
