"""Compiled (Numba) copies of the WW/IWW densities, the photon flux and the 2->3 frame, per point.

The NumPy engine (:mod:`.ww`, :mod:`.flux`, :mod:`.iww`, :mod:`.kinematics`) is the reference;
every function here is the same algebra, written per point in the same operation order, so
that the event generator can evaluate the density inside one compiled loop (no array
temporaries).  The two differ only in the last bits of transcendental functions (libm here, NumPy's
SIMD versions on AVX-512 machines), and every expression is well conditioned, so
tests/test_ww_numba.py checks them against the engine to 1.9e-13 relative (32 x 26.2 ulp: 26.2 is the
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

import decimal
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
_PROTON_K1 = MU_PROTON**2 - 1.0
_PROTON_K2 = 4.0 * M_PROTON_GEV**2
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
    proton = ((1.0 + t * _PROTON_K1 / _PROTON_K2) / (d2 * d2)) ** 2
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


@_jit_inline
def sin_over_series(a):
    """sin(a)/a by its Taylor series to a^12 (relative error < 1e-16 for the small angles where the
    callers use it; the measure sin(theta) / theta of the angle map)."""
    a2 = a * a
    return 1.0 - a2 / 6.0 * (1.0 - a2 / 20.0 * (1.0 - a2 / 42.0 * (1.0 - a2 / 72.0 * (
        1.0 - a2 / 110.0 * (1.0 - a2 / 156.0)))))


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


# ------------------------------------------------------------------------------ mapped channel density


@_jit_inline
def angle_map(u, a0, a_max):
    """generate.densities._angle_map: v = a^2/(a^2 + a0^2) linear in u on [0, v_max]; returns
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
    """(energy fraction, angle, Jacobian) of generate.densities.WWChannel.to_vars at one point."""
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


@_jit_inline
def g2_bound(tmin, tmax, P):
    """generate.densities.g2_bound_nucleus: G2_el <= Z^2 min(1, (t/t_a)^2, (d/t)^2) maximised over
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
        Pp = ((1.0 + tmin * _PROTON_K1 / _PROTON_K2) / (d2 * d2)) ** 2
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
    (1 - t_min/t_max) x :func:`g2_bound` (as generate.densities.sample_flux_t); any form factor."""
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


__all__ = ["params", "chi_flux", "d2sigma_dx_dcos", "d2sigma_dy_dcos", "h_array", "h_max_array", "frame_one",
           "g2_bound", "sample_t_flux", "sample_t_flux_uniform", "cos_sin_2pi", "polar_angle", "GL_U", "GL_W"]
