"""Equivalent-photon flux chi of the Weizsaecker-Williams approximation.

    chi = int_{tmin}^{tmax} dt (t - tmin)/t^2 G2(t)           (e->mu paper, Eq. 14)

``chi_analytic`` is the closed form of Eqs. (15)-(16) for the elastic form factor
of Eq. (6); ``chi_numeric`` integrates Eq. (14) for any G2 (elastic or the
atomic+nuclear G2 of Bjorken et al. 2009, used by the NA64-mu paper Eq. 3.3).
"""

from __future__ import annotations

import numpy as np

from .formfactors import nuclear_d, screening_tsai
from .quadrature import panel_nodes


def _chi_tilde(t, tmin, ta, td):
    """Antiderivative of (t - tmin) td^2 / ((t + ta)^2 (t + td)^2), Eq. (16)."""
    dd = ta - td
    return td * td / dd**3 * (
        dd * (ta + tmin) / (t + ta) + dd * (td + tmin) / (t + td) + (ta + td + 2.0 * tmin) * np.log((t + td) / (t + ta))
    )


def chi_analytic(tmin, tmax, Z, A):
    """Elastic photon flux in closed form, Eqs. (15)-(16): chi = Z^2 [chi~(tmax) - chi~(tmin)].

    Broadcasts over all arguments; returns 0 where tmax <= tmin.
    """
    tmin = np.asarray(tmin, float)
    tmax = np.asarray(tmax, float)
    ta = 1.0 / screening_tsai(Z) ** 2
    td = nuclear_d(A)
    val = np.asarray(Z, float) ** 2 * (_chi_tilde(tmax, tmin, ta, td) - _chi_tilde(tmin, tmin, ta, td))
    return np.where(tmax > tmin, np.maximum(val, 0.0), 0.0)


def chi_numeric(tmin, tmax, Z, A, g2, order: int = 24):
    """Eq. (14) by composite Gauss-Legendre in ln t, panels split at t_a = 1/a^2 and d.

    ``g2(t, Z, A)`` is the squared form factor.  Broadcasts over tmin/tmax.
    """
    tmin = np.asarray(tmin, float)
    tmax = np.asarray(tmax, float)
    good = tmax > tmin
    lo = np.where(good, tmin, 1.0)
    hi = np.where(good, tmax, 2.0)
    ta = float(1.0 / screening_tsai(Z) ** 2)
    td = float(nuclear_d(A))
    t, w = panel_nodes(lo, hi, order, breaks=(ta, td, 10 * td), log=True)
    val = np.sum(w * (t - lo[..., None]) / t**2 * g2(t, Z, A), axis=-1)
    return np.where(good, val, 0.0)
