"""Compiled (Numba) copies of the WW/IWW densities, the photon flux and the 2->3 frame, per point.

The NumPy engine (:mod:`.ww`, :mod:`.flux`, :mod:`.iww`, :mod:`.kinematics`) is the reference;
every function here is the same algebra, written per point in the same operation order, so
that the event generator can evaluate the density inside one compiled loop (no array
temporaries; the channel map, the recoil t and the sampling loops that call these functions are
:mod:`leptoportal.generate.compiled` and :mod:`leptoportal.generate.kernels`).  The two differ only
in the last bits of transcendental functions (libm here, NumPy's SIMD versions on AVX-512
machines), and every expression is well conditioned, so
tests/test_compiled.py checks them against the engine to 1.9e-13 relative (32 x 26.2 ulp: 26.2 is the
largest amplification of the flux's closed form, see :data:`leptoportal.xsec.flux.Z_CLOSED`).

Formulas (e->mu paper = Phys. Rev. D, "NA64e LFV scalar e -> mu", docs/physics.md):

* :func:`u_tilde` -- Eq. (18): u~ = -x E^2 theta^2 - m_phi^2 (1-x)/x + m_i^2 (1-x) - m_f^2.
* :func:`amp22_tmin_x` -- Eq. (21): |A_{2->2}|^2 at t_min in (x, u~), vertex combination dm2
  (:func:`leptoportal.xsec.amplitudes.vertex_factors`).
* :func:`d2_x` -- Eq. (22): d^2 sigma/dx dcos(theta_k) = alpha^2/(2 pi) chi E^2 x beta_k (1-x)/u~^2
  |A22|^2_tmin, t_min = u~^2/(4 E^2 (1-x)^2), t_max = m_phi^2 + m_i^2, beta_k = sqrt(1 - m_phi^2/(x E)^2).
* :func:`t_2to2_y`, :func:`bracket_y`, :func:`d2_y` -- Eqs. (25), (27) in (y, psi) (t = m_phi^2 - t2,
  flux bound t_min = t^2/(4 E^2 (1-y)^2) as in ww.py).
* :func:`chi_elastic` -- the elastic flux in closed form, Eqs. (15)-(16), conditioned as
  :func:`leptoportal.xsec.flux.chi_analytic` (closed form where z >= 1, Gauss-Legendre below).
* :func:`chi_numeric` -- Eq. (14), chi = int (t - t_min)/t^2 G2(t) dt, by the same composite
  24-point Gauss-Legendre rule in ln t (panels split at t_a = 1/a^2, d, 10 d; t - t_min formed
  without cancellation) as
  :func:`leptoportal.xsec.flux.chi_numeric`, with G2 = elastic Eq. (6) + inelastic (Bjorken,
  Essig, Schuster, Toro, PRD 80 (2009) 075018, Eq. A19).
* IWW (App. A): the constant flux chi_IWW = chi(t_min = m_phi^4/(4 E^2), t_max = m_phi^2 + m_i^2).
* :func:`frame_one` -- :func:`leptoportal.xsec.kinematics.frame` (exact 2->3 limits t_min, t_max of
  the V frame, subtraction-free forms; docs/physics.md "Kinematics").

Per-process constants travel in one float64 vector ``P`` (see :func:`params`), so the kernels
take few arguments:  P = [m_i, m_f, m_phi, norm, dm2_vertex, Z, t_a, d, a'^2, M, a_max,
frame_x, iww, ff_mode, t_max, sigma], ff_mode 0 = elastic (closed-form flux), 1 = atomic+nuclear
(numeric flux), t_max = m_phi^2 + m_i^2 (the WW flux bound), sigma the vertex sign
(:func:`leptoportal.xsec.amplitudes.vertex_sign`).  Compiled with ``fastmath`` off (IEEE semantics, same as NumPy).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..particles import M_E
from ..units import ALPHA, M_PROTON_GEV, MU_PROTON
from .amplitudes import vertex_factors, vertex_sign
from .flux import GL_FLUX_ORDER, Z_CLOSED, elastic_flux_parts
from ..quadrature import gauss_legendre
from .ww import PSI_MAX, THETA_MAX

#: alpha^2/(2 pi), the prefactor of Eqs. (22) and (27), computed as ww.py does
PREF = ALPHA**2 / (2.0 * np.pi)
#: (mu_p^2 - 1) and 4 m_p^2 of the proton factor of Eq. A19 (Bjorken et al.)
PROTON_K1 = MU_PROTON**2 - 1.0
PROTON_K2 = 4.0 * M_PROTON_GEV**2
#: nodes, weights of the 24-point Gauss-Legendre rule on [0, 1] (flux.chi_numeric's order)
GL_U, GL_W = (np.ascontiguousarray(a) for a in gauss_legendre(24))
#: nodes, weights of the rule of the z < Z_CLOSED branch of the elastic flux (flux.chi_analytic)
GLF_U, GLF_W = (np.ascontiguousarray(a) for a in gauss_legendre(GL_FLUX_ORDER))

# indices into P
I_MI, I_MF, I_MPHI, I_NORM, I_DM2, I_Z, I_TA, I_TD, I_AP2, I_M, I_AMAX, I_FX, I_IWW, I_FF, I_TMAX, I_SG = range(16)
FF_MODES = {"elastic": 0, "atomic-nuclear": 1}

_jit = njit(cache=True, nogil=True, error_model="numpy")
#: per-point helpers are inlined into the loops (a call with array arguments costs NRT reference counting)
_jit_inline = njit(cache=True, nogil=True, inline="always", error_model="numpy")


def params(m_i, m_f, m_phi, Z, A, form_factor="elastic", vertex="chiral", M=1.0, frame_x=True, iww=False,
           a_max=None):
    """The constants vector P of a process (t_a, d and a'^2 from the engine's own functions)."""
    norm, dm2 = vertex_factors(vertex, m_phi, m_i, m_f)
    ta, td, _ = elastic_flux_parts(Z, A)
    ap2 = float((773.0 * np.asarray(Z, float) ** (-2.0 / 3.0) / M_E) ** 2)
    if a_max is None:
        a_max = THETA_MAX if frame_x else PSI_MAX
    tmax = m_phi**2 + m_i**2  # the WW t_max of Eqs. (22) and (27)
    return np.array([m_i, m_f, m_phi, norm, dm2, float(Z), ta, td, ap2, M, a_max, 1.0 if frame_x else 0.0,
                     1.0 if iww else 0.0, float(FF_MODES[form_factor]), tmax, vertex_sign(vertex)], dtype=np.float64)


# ------------------------------------------------------------------------------ form factors, flux


@_jit_inline
def g2_elastic(t, Z, ta, td):
    """Eq. (6): G2_el = Z^2 (t/(t + t_a))^2 (d/(t + d))^2 (formfactors.g2_elastic)."""
    return (Z * Z) * (t / (t + ta)) ** 2 * (td / (t + td)) ** 2


@_jit_inline
def g2_inelastic(t, Z, ap2):
    """Bjorken et al. (2009) Eq. A19: Z (a'^2 t/(1 + a'^2 t))^2 ((1 + t (mu_p^2-1)/(4 m_p^2))/(1 + t/0.71)^4)^2."""
    screening = (ap2 * t / (1.0 + ap2 * t)) ** 2
    d2 = (1.0 + t / 0.71) * (1.0 + t / 0.71)
    proton = ((1.0 + t * PROTON_K1 / PROTON_K2) / (d2 * d2)) ** 2
    return Z * screening * proton


@_jit_inline
def g2(t, P):
    """G2 of the process' form factor: elastic (Eq. 6) or atomic+nuclear (Eq. 6 + Eq. A19)."""
    v = g2_elastic(t, P[I_Z], P[I_TA], P[I_TD])
    if P[I_FF] == 1.0:
        v = v + g2_inelastic(t, P[I_Z], P[I_AP2])
    return v


@_jit_inline
def flux_vars(tmin, tmax, ta, td):
    """(z, A, D, Delta, D + Delta, c) of :func:`leptoportal.xsec.flux.chi_analytic` (same operations)."""
    K = td - ta
    delta = tmax - tmin
    A = tmin + ta
    D = tmin + td
    Ddel = D + delta
    c = delta * K / Ddel
    return c / A, A, D, delta, Ddel, c


@_jit_inline
def chi_elastic_closed(L, A, D, delta, Ddel, Z, ta, td):
    """The closed form of Eqs. (15)-(16) given L = log1p(z) (used where z >= Z_CLOSED): Z^2 d^2 [(A + D)/K^3 L
    - Delta (2 Delta + A + D)/(K^2 (A + Delta)(D + Delta))], clipped at 0 (flux.chi_analytic)."""
    K = td - ta
    integral = (A + D) / (K * K * K) * L - delta * (2.0 * delta + A + D) / (K * K * (A + delta) * Ddel)
    val = Z * Z * (td * td) * integral
    return val if val > 0.0 else 0.0


@_jit_inline
def chi_elastic_gl(A, D, delta, Ddel, c, Z, td):
    """The cancellation-free Gauss-Legendre form of the elastic flux (used where z < Z_CLOSED):
    Z^2 d^2 Delta^2/(D + Delta)^3 sum_j w_j xi_j (D + Delta (1 - xi_j))/(A + c xi_j)^2 (flux.chi_analytic)."""
    acc = 0.0
    for j in range(GL_FLUX_ORDER):
        den = A + c * GLF_U[j]
        acc = acc + GLF_W[j] * GLF_U[j] * (D + delta * (1.0 - GLF_U[j])) / (den * den)
    val = Z * Z * (td * td) * (delta * delta / (Ddel * Ddel * Ddel) * acc)
    return val if val > 0.0 else 0.0


@_jit_inline
def chi_elastic(tmin, tmax, Z, ta, td):
    """Eqs. (15)-(16), conditioned as :func:`leptoportal.xsec.flux.chi_analytic` (same operations in the
    same order): the closed form with one log1p where z = Delta K/(A (D + Delta)) >= Z_CLOSED, else the
    cancellation-free Gauss-Legendre sum; 0 where t_max <= t_min."""
    if not tmax > tmin:
        return 0.0
    z, A, D, delta, Ddel, c = flux_vars(tmin, tmax, ta, td)
    if z >= Z_CLOSED:
        return chi_elastic_closed(math.log1p(z), A, D, delta, Ddel, Z, ta, td)
    return chi_elastic_gl(A, D, delta, Ddel, c, Z, td)


@_jit  # not inlined: only the atomic+nuclear form factor needs it (~1 us per call)
def chi_numeric(tmin, tmax, P, gl_u, gl_w):
    """Eq. (14) by composite Gauss-Legendre in ln t, panels at t_a, d, 10 d (flux.chi_numeric, same
    operations: nodes t = lo e^v, t - t_min = (lo - t_min) + lo expm1(v))."""
    if not tmax > tmin:
        return 0.0
    ta, td = P[I_TA], P[I_TD]
    # the panel edges: t_min, the three breaks clipped into [t_min, t_max] (sorted), t_max
    b1 = min(max(ta, tmin), tmax)
    b2 = min(max(td, tmin), tmax)
    b3 = min(max(10.0 * td, tmin), tmax)
    if b1 > b2:
        b1, b2 = b2, b1
    if b2 > b3:
        b2, b3 = b3, b2
    if b1 > b2:
        b1, b2 = b2, b1
    s = 0.0
    for k in range(4):
        if k == 0:
            lo_e, hi_e = tmin, b1
        elif k == 1:
            lo_e, hi_e = b1, b2
        elif k == 2:
            lo_e, hi_e = b2, b3
        else:
            lo_e, hi_e = b3, tmax
        span = math.log1p((hi_e - lo_e) / lo_e)
        gap = lo_e - tmin
        for j in range(gl_u.size):
            em = math.expm1(span * gl_u[j])
            t = lo_e + lo_e * em
            s = s + span * gl_w[j] * ((gap + lo_e * em) / t) * g2(t, P)
    return s


@_jit_inline
def chi(tmin, tmax, P, gl_u, gl_w):
    """The flux of the process: closed form (elastic) or numeric (atomic+nuclear)."""
    if P[I_FF] == 0.0:
        return chi_elastic(tmin, tmax, P[I_Z], P[I_TA], P[I_TD])
    return chi_numeric(tmin, tmax, P, gl_u, gl_w)


@_jit_inline
def chi_ww(tmin, P, gl_u, gl_w):
    """The WW flux of Eqs. (22)/(27): Eq. (14) from t_min to t_max = m_phi^2 + m_i^2 (closed form or numeric)."""
    if P[I_FF] == 0.0:
        return chi_elastic(tmin, P[I_TMAX], P[I_Z], P[I_TA], P[I_TD])
    return chi_numeric(tmin, P[I_TMAX], P, gl_u, gl_w)


@_jit_inline
def chi_iww(E, P, gl_u, gl_w):
    """IWW flux (App. A): chi at t_min = m_phi^4/(4 E^2), t_max = m_phi^2 + m_i^2 (iww.chi_iww)."""
    m, mi = P[I_MPHI], P[I_MI]
    return chi(math.pow(m, 4.0) / (4.0 * E * E), m**2 + mi**2, P, gl_u, gl_w)


# ------------------------------------------------------------------------------ WW densities


@_jit_inline
def u_tilde(E, x, theta, m_i, m_f, m_phi):
    """Eq. (18): u~ = -x E^2 theta^2 - m_phi^2 (1-x)/x + m_i^2 (1-x) - m_f^2."""
    return -x * E * E * theta * theta - m_phi * m_phi * (1.0 - x) / x + m_i * m_i * (1.0 - x) - m_f * m_f


@_jit_inline
def amp22_tmin_x(x, u, m_i, m_f, m_phi, norm, dm2):
    """Eq. (21): |A_{2->2}|^2 at t_min, vertex (norm, dm2) of amplitudes.vertex_factors."""
    return norm * (
        x * x / (2.0 * (1.0 - x))
        + dm2 * (u * x + m_phi**2 * (1.0 - x) + x * (m_f**2 + m_i**2 * (x - 1.0))) / (u * u)
    )


@_jit_inline
def d2_x(E, x, theta, P, use_chi, chi_c, gl_u, gl_w):
    """Eq. (22) per h^2 [GeV^-2] (ww.d2sigma_dx_dcos); 0 where u~ >= 0, x E <= m_phi or x >= 1.
    ``use_chi``: take the flux ``chi_c`` (IWW) instead of Eq. (14) at t_min(u~)."""
    m_i, m_f, m_phi = P[I_MI], P[I_MF], P[I_MPHI]
    u = u_tilde(E, x, theta, m_i, m_f, m_phi)
    if not (u < 0 and x * E > m_phi and x < 1):
        return 0.0
    c = chi_c if use_chi else chi_ww(u * u / (4.0 * E * E * (1.0 - x) ** 2), P, gl_u, gl_w)
    beta_k = math.sqrt(max(1.0 - m_phi**2 / (x * x * E * E), 0.0))
    return PREF * c * E * E * x * beta_k * (1.0 - x) / (u * u) * amp22_tmin_x(x, u, m_i, m_f, m_phi, P[I_NORM],
                                                                              P[I_DM2])


@_jit_inline
def t_2to2_y(E, y, psi, m_i, m_f, m_phi):
    """t = m_phi^2 - t2 with t2 of Eq. (25): m_phi^2 + y E^2 psi^2 + m_f^2 (1-y)/y - m_i^2 (1-y)."""
    return m_phi * m_phi + y * E * E * psi * psi + m_f * m_f * (1.0 - y) / y - m_i * m_i * (1.0 - y)


@_jit_inline
def bracket_y(y, t, t0, p2, m_i, m_f, norm, sg):
    """Curly bracket of Eq. (27) without cancellation (ww.bracket_y, same operations):
    norm (p2^2 + 2 p2 e + t0^2)/(2 t^4), e = [(m_f + sigma m_i y)^2 + (1 - sigma^2)(m_i y)^2]/y,
    t0 = t(psi = 0), p2 = y E^2 psi^2, sigma the vertex sign (P[I_SG])."""
    my = m_i * y
    mfs = m_f + sg * my
    e = (mfs * mfs + (1.0 - sg * sg) * (my * my)) / y
    t2 = t * t
    return norm * (p2 * p2 + 2.0 * p2 * e + t0 * t0) / (2.0 * (t2 * t2))


@_jit_inline
def d2_y(E, y, psi, P, use_chi, chi_c, gl_u, gl_w):
    """Eq. (27) per h^2 [GeV^-2] (ww.d2sigma_dy_dcos); ``use_chi``: constant (IWW) flux ``chi_c``."""
    m_i, m_f, m_phi = P[I_MI], P[I_MF], P[I_MPHI]
    t = t_2to2_y(E, y, psi, m_i, m_f, m_phi)
    if not (t > 0 and y * E > m_f and y < 1):
        return 0.0
    omy = 1.0 - y
    c = chi_c if use_chi else chi_ww(t * t / (4.0 * E * E * (omy * omy)), P, gl_u, gl_w)
    beta_f = math.sqrt(max(1.0 - m_f**2 / (y * y * E * E), 0.0))
    t0 = t_2to2_y(E, y, 0.0, m_i, m_f, m_phi)
    p2 = y * E * E * psi * psi
    br = bracket_y(y, t, t0, p2, m_i, m_f, P[I_NORM], P[I_SG])
    return PREF * E * E * beta_f * c * (omy * omy * omy) * br


# ------------------------------------------------------------------------------ array wrappers (tests, API)


@_jit
def _d2_x_array(E, x, theta, P, gl_u, gl_w, out):
    for i in range(out.size):
        out[i] = d2_x(E[i], x[i], theta[i], P, False, 0.0, gl_u, gl_w)


@_jit
def _d2_y_array(E, y, psi, P, use_chi, chi_c, gl_u, gl_w, out):
    for i in range(out.size):
        out[i] = d2_y(E[i], y[i], psi[i], P, use_chi, chi_c[i], gl_u, gl_w)


@_jit
def _chi_array(tmin, tmax, P, gl_u, gl_w, out):
    for i in range(out.size):
        out[i] = chi(tmin[i], tmax[i], P, gl_u, gl_w)


def _flat(*arrays):
    b = np.broadcast_arrays(*(np.asarray(a, float) for a in arrays))
    return b[0].shape, [np.ascontiguousarray(a).reshape(-1) for a in b]


def chi_flux(tmin, tmax, Z, A, form_factor="elastic"):
    """Compiled flux (Eqs. 14-16), as the engine's ``Process.chi_fn()`` for that form factor."""
    shape, (lo, hi) = _flat(tmin, tmax)
    out = np.empty(lo.size)
    _chi_array(lo, hi, params(0.0, 0.0, 0.0, Z, A, form_factor), GL_U, GL_W, out)
    return out.reshape(shape)


def d2sigma_dx_dcos(E, x, theta, m_i, m_f, m_phi, Z, A, form_factor="elastic", vertex="chiral"):
    """Compiled Eq. (22) per h^2 [GeV^-2]; equals ww.d2sigma_dx_dcos(..., chi_fn of the form factor, vertex)."""
    shape, (E, x, theta) = _flat(E, x, theta)
    out = np.empty(E.size)
    _d2_x_array(E, x, theta, params(m_i, m_f, m_phi, Z, A, form_factor, vertex), GL_U, GL_W, out)
    return out.reshape(shape)


def d2sigma_dy_dcos(E, y, psi, m_i, m_f, m_phi, Z, A, form_factor="elastic", vertex="chiral", iww_chi=None):
    """Compiled Eq. (27) per h^2 [GeV^-2]; equals ww.d2sigma_dy_dcos (``iww_chi``: constant flux, IWW)."""
    shape, (E, y, psi, c) = _flat(E, y, psi, 0.0 if iww_chi is None else iww_chi)
    out = np.empty(E.size)
    _d2_y_array(E, y, psi, params(m_i, m_f, m_phi, Z, A, form_factor, vertex), iww_chi is not None, c, GL_U, GL_W,
                out)
    return out.reshape(shape)



# ------------------------------------------------------------------------------ kinematics


@_jit_inline
def frame_sh(E, m_i, Ea, m_a, m_b, s_half, M):
    """kinematics.frame at one point, given s_half = sin(theta/2): (|p|, |p_a|, V, u~, b, A, t_min, t_max, valid).
    Squares as products and branches as selects, so that loops calling it vectorise."""
    r1 = m_i / E
    r2 = m_a / Ea
    e1 = r1 * r1
    e2 = r2 * r2
    b1b2 = math.sqrt((1.0 - e1) * (1.0 - e2))
    sh2 = s_half * s_half
    omc = 2.0 * sh2
    ombbc = (e1 + e2 - e1 * e2) / (1.0 + b1b2) + b1b2 * omc
    p2 = E * E - m_i * m_i
    a2 = Ea * Ea - m_a * m_a
    pabs = math.sqrt(p2 if p2 > 0.0 else 0.0)
    aabs = math.sqrt(a2 if a2 > 0.0 else 0.0)
    pa = E * Ea * ombbc
    w2 = m_i * m_i + m_a * m_a - 2.0 * pa
    ut = w2 - m_b * m_b
    dpa = pabs - aabs
    V = math.sqrt(dpa * dpa + 4.0 * pabs * aabs * sh2)
    Eb0 = E - Ea
    bcoef = 1.0 + Eb0 / M
    Eb0_minus_V = w2 / (Eb0 + V)
    Acoef = (1.0 + Eb0_minus_V / M) * (bcoef + V / M)
    B = 2.0 * bcoef * ut + 4.0 * V * V
    disc_arg = 4.0 * V * V + 4.0 * bcoef * ut + ut * ut / (M * M)
    valid = (disc_arg > 0) & (B > 0) & (Eb0 > m_b) & (Ea > m_a) & (ut < 0)
    sq = 2.0 * V * math.sqrt(disc_arg if valid else 1.0)
    Bv = B if valid else 1.0
    tmin = 2.0 * ut * ut / (Bv + sq)
    tmin = tmin if valid else 1.0
    tmax = (Bv + sq) / (2.0 * Acoef)
    tmax = tmax if valid else 2.0
    eb = Eb0 - m_b
    cap = 2.0 * M * (eb if eb > 0.0 else 0.0)
    tmax = cap if cap < tmax else tmax
    valid = valid & (tmax > tmin)
    return pabs, aabs, V, ut, bcoef, Acoef, tmin, tmax, valid


@_jit_inline
def frame_one(E, m_i, Ea, m_a, m_b, theta, M):
    """kinematics.frame at one point: (|p|, |p_a|, V, u~, b, A, t_min, t_max, valid)."""
    return frame_sh(E, m_i, Ea, m_a, m_b, math.sin(0.5 * theta), M)


__all__ = ["params", "chi_flux", "d2sigma_dx_dcos", "d2sigma_dy_dcos", "frame_one", "frame_sh", "GL_U", "GL_W"]
