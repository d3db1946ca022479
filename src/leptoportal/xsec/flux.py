"""Equivalent-photon flux chi of the Weizsaecker-Williams approximation.

    chi = int_{tmin}^{tmax} dt (t - tmin)/t^2 G2(t)           (e->mu paper, Eq. 14)

``chi_analytic`` is the closed form of Eqs. (15)-(16) for the elastic form factor
of Eq. (6), arranged so that it never loses more than ~2 digits to cancellation;
``chi_numeric`` integrates Eq. (14) for any G2 (elastic or the atomic+nuclear G2 of
Bjorken et al. 2009, used by the NA64-mu paper Eq. 3.3).
"""

from __future__ import annotations

import numpy as np

from .formfactors import nuclear_d, screening_tsai
from ..quadrature import gauss_legendre


#: The closed form of Eqs. (15)-(16) is a difference of two terms; it is used where
#: z = Delta K / (A (D + Delta)) >= Z_CLOSED (notation of :func:`chi_analytic`), where that
#: difference amplifies rounding by at most 3 ln 2/(3 ln 2 - 2) = 26.2 (first term / result; the
#: supremum over z >= 1, reached at z = 1 as Delta/A -> infinity; scanned in
#: tests/test_conditioning.py).  Below it the flux is the Gauss-Legendre sum of the
#: cancellation-free integral of :func:`chi_analytic`, exact to rounding there: its double pole lies
#: at xi = -1/z <= -1, so the n-point rule converges like (3 + sqrt 8)^(-2n) times a slowly growing
#: factor; at the worst point, z = 1, 12 points leave 1.8e-16, 13 points 5.8e-18, 16 points 1.9e-22
#: (60-digit arithmetic).
Z_CLOSED = 1.0
#: points of the Gauss-Legendre rule of the z < Z_CLOSED branch
GL_FLUX_ORDER = 16


def elastic_flux_parts(Z, A):
    """(t_a = 1/a^2, d, K = d - t_a) of the form factor of Eq. (6): the scales of the flux."""
    ta = float(1.0 / screening_tsai(Z) ** 2)
    td = float(nuclear_d(A))
    return ta, td, td - ta


def chi_analytic(tmin, tmax, Z, A):
    """Elastic photon flux, Eq. (14) with the G2 of Eq. (6), in closed form (Eqs. 15-16), conditioned.

    With s = t - t_min, A = t_min + t_a, D = t_min + d, K = d - t_a and Delta = t_max - t_min,

        chi/Z^2 = d^2 int_0^Delta s ds / ((s + A)^2 (s + D)^2)
                = d^2 [ (A + D)/K^3 ln(1 + z) - Delta (2 Delta + A + D)/(K^2 (A + Delta)(D + Delta)) ],
        z = Delta K / (A (D + Delta)),

    which is Eq. (16)'s chi~(t_max) - chi~(t_min) with the two logarithms merged into one log1p.
    Both terms are positive and nearly cancel when Delta << A or K << A (t_min near t_max, or
    t_min >> d): the relative rounding error is amplified by (first term)/result ~ 25/z^2.  For
    z < :data:`Z_CLOSED` the same integral is evaluated after the substitution
    w = (s + A)/(s + D) (linear in xi on [w(0), w(Delta)]), which leaves only positive terms,

        chi/Z^2 = d^2 Delta^2/(D + Delta)^3 int_0^1 xi (D + Delta (1 - xi)) / (A + c xi)^2 dxi,
        c = Delta K/(D + Delta) = z A,

    by a :data:`GL_FLUX_ORDER`-point Gauss-Legendre rule.  Derivation in docs/physics.md, section 7.1.
    Broadcasts over all arguments; returns 0 where tmax <= tmin.
    """
    tmin, tmax = np.broadcast_arrays(np.asarray(tmin, float), np.asarray(tmax, float))
    ta, td, K = elastic_flux_parts(Z, A)
    good = tmax > tmin
    tau = np.where(good, tmin, 0.0)
    delta = np.where(good, tmax - tmin, 1.0)
    Aa = tau + ta
    Dd = tau + td
    Ddel = Dd + delta
    c = delta * K / Ddel
    z = c / Aa
    closed = z >= Z_CLOSED
    integral = np.empty(tau.shape)
    # closed form (Eq. 16, one log1p), where it is well conditioned
    zc = np.where(closed, z, 0.0)
    integral[...] = (Aa + Dd) / (K * K * K) * np.log1p(zc) - delta * (2.0 * delta + Aa + Dd) / (
        K * K * (Aa + delta) * Ddel)
    if not closed.all():
        q = ~closed
        aq, dq, delq, cq, ddq = Aa[q], Dd[q], delta[q], c[q], Ddel[q]
        xi, w = gauss_legendre(GL_FLUX_ORDER)
        acc = np.zeros(aq.shape)
        for j in range(GL_FLUX_ORDER):  # summed in node order, as the compiled kernel does
            den = aq + cq * xi[j]
            acc = acc + w[j] * xi[j] * (dq + delq * (1.0 - xi[j])) / (den * den)
        integral[q] = delq * delq / (ddq * ddq * ddq) * acc
    val = np.asarray(Z, float) ** 2 * (td * td) * integral
    return np.where(good, np.maximum(val, 0.0), 0.0)


def chi_numeric(tmin, tmax, Z, A, g2, order: int = 24):
    """Eq. (14) by composite Gauss-Legendre in ln t, panels split at t_a = 1/a^2, d and 10 d.

    ``g2(t, Z, A)`` is the squared form factor.  Broadcasts over tmin/tmax.  On a panel
    [lo, hi] the nodes are t = lo e^v, v = log1p((hi - lo)/lo) xi, and the factor t - t_min of
    Eq. (14) is formed as (lo - t_min) + lo expm1(v): non-negative terms only, so a window with
    t_max close to t_min keeps full precision (t = e^(ln t), or ln(hi/lo) with hi/lo rounded, would
    leave t - t_min with a relative error of ~eps t_min/(t - t_min)).  Nodes are summed in order (as
    the compiled copy does).
    """
    tmin, tmax = np.broadcast_arrays(np.asarray(tmin, float), np.asarray(tmax, float))
    good = tmax > tmin
    lo = np.where(good, tmin, 1.0)
    hi = np.where(good, tmax, 2.0)
    ta, td, _ = elastic_flux_parts(Z, A)
    edges = [lo] + [np.clip(b, lo, hi) for b in (ta, td, 10.0 * td)] + [hi]
    edges = np.sort(np.stack(edges, axis=-1), axis=-1)
    xi, w = gauss_legendre(order)
    val = np.zeros(lo.shape)
    for k in range(edges.shape[-1] - 1):
        a, b = edges[..., k], edges[..., k + 1]
        span = np.log1p((b - a) / a)  # ln(b/a) without rounding b/a first; 0 for an empty panel
        gap = a - lo
        for j in range(order):
            em = np.expm1(span * xi[j])
            t = a + a * em
            val = val + span * w[j] * ((gap + a * em) / t) * g2(t, Z, A)
    return np.where(good, val, 0.0)
