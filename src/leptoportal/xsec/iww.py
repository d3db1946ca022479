"""Improved WW (IWW) cross sections (e->mu paper, Appendix A).

The flux is taken out of the angular integral with x- and angle-independent
bounds t_min = m_phi^4/(4 E^2), t_max = m_phi^2 + m_i^2 (text before Eq. A1).

* d sigma/dx, Eq. (A1) with the closed-form u~ integral of Eq. (A2),
  u~_max = u~(theta = 0), u~_min = u~(theta_max), theta_max = 0.1.
* d sigma/dy, Eq. (A4): closed form of Eq. (A3) after cos(psi) -> t with
  dt = 2 y E^2 psi dpsi.  The limits of A4 are those of the 2->2 variable
  t = m_phi^2 - t2 at psi = 0 and psi_max = 0.3 (the paper's "t_min and t_max
  defined previously" would be the *flux* bounds, a different variable: see
  docs/physics.md).
* d sigma/dcos(psi): Eq. (27) with the IWW flux, integrated over y (the paper's
  closing remark of Appendix A).

``theta_max = numpy.inf`` in d sigma/dx integrates u~ to -infinity: for the scalar vertex
and m_i = m_f this is exactly Eq. (3.2) of the NA64-mu paper (prefactor 1/(12 pi)).
Vertices as in ww.py (:func:`leptoportal.xsec.amplitudes.vertex_factors`).

Per unit coupling squared, GeV^-2.
"""

from __future__ import annotations

import numpy as np

from ..units import ALPHA
from .amplitudes import vertex_factors
from .etl import x_nodes
from .ww import PSI_MAX, THETA_MAX, d2sigma_dy_dcos, t_2to2_y, u_tilde


def chi_iww(E, m_i, m_phi, chi_fn):
    """IWW flux: Eq. (14) with t_min = m_phi^4/(4E^2), t_max = m_phi^2 + m_i^2."""
    E = np.asarray(E, float)
    return chi_fn(m_phi**4 / (4.0 * E * E), np.full_like(E, m_phi**2 + m_i**2))


def _a2_antiderivative(u, x, m_i, m_f, m_phi, vertex="chiral"):
    """Eq. (A2) antiderivative of |A22|^2_tmin/u~^2 in u~ (0 at u~ = -inf)."""
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    C = m_phi**2 * (1.0 - x) + x * (m_f**2 + m_i**2 * (x - 1.0))
    with np.errstate(invalid="ignore", over="ignore"):
        val = norm * (x * x / (-2.0 * (1.0 - x) * u) + dm2 * x / (-2.0 * u * u) + dm2 * C / (-3.0 * u**3))
    return np.where(np.isinf(u), 0.0, val)


def dsigma_dx(E, x, m_i, m_f, m_phi, chi_fn, theta_max=THETA_MAX, vertex="chiral"):
    """Eq. (A1)-(A2): IWW d sigma/dx per h^2 [GeV^-2] (theta_max = inf: NA64-mu Eq. 3.2 form)."""
    E, x = np.broadcast_arrays(np.asarray(E, float), np.asarray(x, float))
    ok = (x * E > m_phi) & (x < 1)
    xs = np.where(ok, x, 0.5)
    umax = u_tilde(E, xs, 0.0, m_i, m_f, m_phi)
    if np.isinf(theta_max):
        umin = np.full_like(umax, -np.inf)
    else:
        umin = u_tilde(E, xs, theta_max, m_i, m_f, m_phi)
    ok = ok & (umax < 0)
    umax = np.where(ok, umax, -1.0)
    umin = np.where(ok, umin, -2.0)
    integral = _a2_antiderivative(umax, xs, m_i, m_f, m_phi, vertex) - _a2_antiderivative(umin, xs, m_i, m_f, m_phi,
                                                                                          vertex)
    beta_k = np.sqrt(np.maximum(1.0 - m_phi**2 / (xs * xs * E * E), 0.0))
    val = ALPHA**2 / (4.0 * np.pi) * beta_k * (1.0 - xs) * chi_iww(E, m_i, m_phi, chi_fn) * integral
    return np.where(ok, val, 0.0)


def sigma_total(E, m_i, m_f, m_phi, chi_fn, theta_max=THETA_MAX, order=1, vertex="chiral"):
    """IWW total cross section per h^2 [GeV^-2] at one beam energy."""
    xs, wx = x_nodes(m_phi / E, 1.0 - m_f / E, 6 * order)
    return float(np.sum(wx * dsigma_dx(E, xs, m_i, m_f, m_phi, chi_fn, theta_max, vertex)))


def _a4_antiderivative(t, y, m_i, m_f, m_phi, vertex="chiral"):
    """Eq. (A4) curly bracket: -1/(2t) + dm2/(2t^2) - dm2 [m_f^2 + y(m_i^2 y + dm2)]/(3 y t^3).

    Outer dm2: vertex combination; inner: kinematic (see ww.bracket_y)."""
    norm, dmv = vertex_factors(vertex, m_phi, m_i, m_f)
    dmk = m_phi**2 - m_i**2 - m_f**2
    return norm * (-1.0 / (2.0 * t) + dmv * (1.0 / (2.0 * t * t) - (m_f**2 + y * (m_i**2 * y + dmk)) / (3.0 * y * t**3)))


def dsigma_dy(E, y, m_i, m_f, m_phi, chi_fn, psi_max=PSI_MAX, vertex="chiral"):
    """Eq. (A4): IWW d sigma/dy per h^2 [GeV^-2]."""
    E, y = np.broadcast_arrays(np.asarray(E, float), np.asarray(y, float))
    ok = (y * E > m_f) & (y < 1)
    ys = np.where(ok, y, 0.5)
    t_lo = t_2to2_y(E, ys, 0.0, m_i, m_f, m_phi)
    t_hi = t_2to2_y(E, ys, psi_max, m_i, m_f, m_phi)
    ok = ok & (t_lo > 0)
    t_lo = np.where(ok, t_lo, 1.0)
    t_hi = np.where(ok, t_hi, 2.0)
    beta_f = np.sqrt(np.maximum(1.0 - m_f**2 / (ys * ys * E * E), 0.0))
    bracket = _a4_antiderivative(t_hi, ys, m_i, m_f, m_phi, vertex) - _a4_antiderivative(t_lo, ys, m_i, m_f, m_phi,
                                                                                        vertex)
    val = ALPHA**2 / (4.0 * np.pi) * beta_f * chi_iww(E, m_i, m_phi, chi_fn) * (1.0 - ys) ** 3 / ys * bracket
    return np.where(ok, val, 0.0)


def dsigma_dcos_psi(E, psi, m_i, m_f, m_phi, chi_fn, order=1, vertex="chiral"):
    """IWW d sigma/dcos(psi) per h^2: Eq. (27) with the IWW flux, integrated over y."""
    E, psi = np.broadcast_arrays(np.asarray(E, float), np.asarray(psi, float))
    ys, wy = x_nodes(m_f / E, 1.0 - m_phi / E, 6 * order)
    chi = chi_iww(E, m_i, m_phi, chi_fn)[..., None]
    d2 = d2sigma_dy_dcos(E[..., None], ys, psi[..., None], m_i, m_f, m_phi, None, iww_chi=chi, vertex=vertex)
    return np.sum(wy * d2, axis=-1)
