"""Expressions rearranged for conditioning, against high-precision evaluations of the published forms.

* Photon flux, Eqs. (14)-(16) of the e->mu paper: the closed form (one log1p) is used only where it
  amplifies rounding by at most 3 ln2/(3 ln2 - 2) = 26.2; elsewhere a cancellation-free
  Gauss-Legendre form.  Checked: the amplification bound itself (scan), and both branches against
  an mpmath quadrature of Eq. (14).  The numeric flux forms t - t_min without cancellation.
* Eq. (27)'s bracket: the published three-term form cancels (by ~2|dm2|/t, 10^3-10^5 for light
  scalars); leptoportal evaluates the equal sum of positive terms.  Checked against the printed
  form in 40-digit arithmetic.
* The loop function's h(tau) = 1 + (1 - tau) arcsin^2(tau^-1/2) (NA64-mu paper, Eq. A.3): a series of
  positive terms above tau = 10.  Checked against mpmath.

Tolerances: tests/tolerances.py (ops x cond x EPS).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from leptoportal.models.leptophilic import loop_f12_onshell
from leptoportal.particles import M_E, M_MU
from leptoportal.xsec import ww
from leptoportal.xsec.amplitudes import VERTICES, vertex_factors
from leptoportal.xsec.flux import Z_CLOSED, chi_analytic, chi_numeric, elastic_flux_parts
from leptoportal.xsec.formfactors import g2_elastic
from tolerances import rounding

#: sup over z >= 1 of (first term)/(result) of the closed form: reached at z = 1, Delta/A -> infinity
COND_SUP = 3 * math.log(2) / (3 * math.log(2) - 2)


def _closed_form_cond(a, k):
    """(z, first term / result) of the closed form in units A = 1 (a = Delta/A, k = K/A), 40 digits."""
    with mp.workdps(40):
        a, k = mp.mpf(a), mp.mpf(k)
        D = 1 + k
        z = a * k / (D + a)
        t1 = (1 + D) / k**3 * mp.log1p(z)
        t2 = a * (2 * a + 1 + D) / (k**2 * (1 + a) * (D + a))
        return float(z), float(t1 / (t1 - t2))


def test_closed_form_flux_condition_bound():
    """Where the closed form is used (z >= Z_CLOSED = 1) its amplification of rounding is <= 26.2, the
    value 3 ln2/(3 ln2 - 2) it tends to on the edge z = 1 (k = 1 + 1/a', a -> infinity); below z = 1 it
    grows like 25/z^2 (which is why the quadrature takes over)."""
    assert Z_CLOSED == 1.0
    worst = 0.0
    for lk in np.linspace(-0.3, 8, 40):
        for la in np.linspace(-3, 12, 40):
            z, c = _closed_form_cond(10**la, 10**lk)
            if z >= Z_CLOSED:
                worst = max(worst, c)
    assert worst <= COND_SUP * (1 + 1e-9)
    assert _closed_form_cond(1e15, 1.0 + 1e-12)[1] == pytest.approx(COND_SUP, rel=1e-6)
    assert _closed_form_cond(1e3, 0.05)[1] > 1e3  # z ~ 0.05: the closed form would lose 3 digits


def _chi_mp(tmin, tmax, Z, A):
    ta, td, _ = elastic_flux_parts(Z, A)
    with mp.workdps(30):
        a, b = mp.mpf(tmin), mp.mpf(tmax)
        f = lambda t: (t - a) * mp.mpf(td) ** 2 / ((t + mp.mpf(ta)) ** 2 * (t + mp.mpf(td)) ** 2)  # noqa: E731
        pts = [a] + sorted(p for p in (mp.mpf(ta), mp.mpf(td)) if a < p < b) + [b]
        return float(Z * Z * mp.quad(f, pts))


@pytest.mark.parametrize("Z,A", [(82, 207.2), (29, 63.546), (6, 12.011)])
def test_chi_analytic_both_branches_against_mpmath(Z, A):
    """Eqs. (14)-(16) to rounding on windows from t_max/t_min - 1 = 1e-10 to 1e6, t_min from 1e-15 to 3
    GeV^2, and on both sides of the switch z = 1: the closed form (cond <= 26.2) and the quadrature
    branch (truncation < 1e-21 with 16 points); ~16 roundings."""
    ta, td, K = elastic_flux_parts(Z, A)
    rng = np.random.default_rng(Z)
    tmin = 10 ** rng.uniform(-15, 0.5, 60)
    tmax = tmin * (1 + 10 ** rng.uniform(-10, 6, 60))
    # and windows around the switch z = 1, where each branch is at its least accurate
    tau = np.full(6, 0.2 * td)
    zt = np.array([0.99, 0.999999, 1.0, 1.000001, 1.01, 0.5])
    a_, d_ = tau + ta, tau + td
    tmin = np.concatenate([tmin, tau])
    tmax = np.concatenate([tmax, tau + zt * a_ * d_ / (K - zt * a_)])
    A_, D_ = tmin + ta, tmin + td
    z = (tmax - tmin) * K / (A_ * (D_ + tmax - tmin))
    assert (z >= Z_CLOSED).sum() >= 10 and (z < Z_CLOSED).sum() >= 10
    got = chi_analytic(tmin, tmax, Z, A)
    ref = np.array([_chi_mp(a, b, Z, A) for a, b in zip(tmin, tmax)])
    assert np.all(got > 0)
    assert np.max(np.abs(got / ref - 1)) <= rounding(cond=COND_SUP, ops=16)


def test_chi_numeric_keeps_narrow_windows():
    """Eq. (14) by quadrature with t - t_min formed as (lo - t_min) + lo expm1(v): on windows
    t_max = t_min (1 + 1e-9 ... 1e-2) it equals the closed form to rounding (the flux there is
    ~Delta^2; forming t - t_min from e^(ln t) would lose ~t_min/Delta of it: 9 digits at 1e-9)."""
    Z, A = 82, 207.2
    tmin = np.repeat([1e-9, 1e-5, 1e-3, 0.1], 8)
    tmax = tmin * (1 + np.tile(np.geomspace(1e-9, 1e-2, 8), 4))
    num = chi_numeric(tmin, tmax, Z, A, g2_elastic)
    ana = chi_analytic(tmin, tmax, Z, A)
    # both are sums of positive terms (cond ~1), ~24 nodes of ~10 operations each
    assert np.max(np.abs(num / ana - 1)) <= rounding(ops=64)


def _bracket_printed_mp(E, y, psi, m_i, m_f, m_phi, vertex):
    """Eq. (27)'s bracket as printed (vertex dm2 outside, kinematic dmk inside), 40 digits."""
    norm, dmv = vertex_factors(vertex, m_phi, m_i, m_f)
    with mp.workdps(40):
        E, y, psi, mi, mf, m = (mp.mpf(float(v)) for v in (E, y, psi, m_i, m_f, m_phi))
        dmv = mp.mpf(float(dmv))
        dmk = m**2 - mi**2 - mf**2
        t = m**2 + y * E**2 * psi**2 + mf**2 * (1 - y) / y - mi**2 * (1 - y)
        terms = (1 / (2 * t**2), -dmv / t**3, dmv * (mf**2 + y * (mi**2 * y + dmk)) / (y * t**4))
        val = norm * sum(terms)
        return float(val), float(norm * sum(abs(x) for x in terms) / abs(val))


@pytest.mark.parametrize("vertex", VERTICES)
@pytest.mark.parametrize("m_i,m_f,m_phi", [(M_E, M_MU, 0.01), (M_E, M_MU, 1.0), (M_MU, M_E, 0.12),
                                           (M_MU, M_MU, 0.005), (M_MU, M_MU, 2.0)])
def test_bracket_of_eq27_equals_printed_form(vertex, m_i, m_f, m_phi):
    """ww.bracket_y (positive terms) equals the printed bracket of Eq. (27) evaluated exactly, also where
    the printed form amplifies rounding by 10^2-10^4 (y near its upper end 1 - m_phi/E, small psi: t ~
    m_phi^2 << |dm2|); ours is a sum of positive terms whose inputs t, t0 = t(psi = 0) carry only the
    conditioning of Eq. (25) itself (<= 10 for these masses): ~16 roundings."""
    rng = np.random.default_rng(7)
    n = 200
    E = 10 ** rng.uniform(1, 2.3, n)
    y = np.clip(m_f / E + (1 - m_phi / E - m_f / E) * rng.random(n), 1e-6, 1 - 1e-9)
    y[::2] = 1 - m_phi / E[::2] * (1 + 10 ** rng.uniform(0, 2, n // 2))  # near the upper end
    psi = 10 ** rng.uniform(-7, -0.6, n)
    t = ww.t_2to2_y(E, y, psi, m_i, m_f, m_phi)
    ok = t > 0
    assert ok.mean() > 0.9
    E, y, psi, t = E[ok], y[ok], psi[ok], t[ok]
    got = ww.bracket_y(y, t, ww.t_2to2_y(E, y, 0.0, m_i, m_f, m_phi), y * E * E * psi * psi, m_i, m_f, m_phi, vertex)
    ref, amp = np.array([_bracket_printed_mp(*a, m_i, m_f, m_phi, vertex) for a in zip(E, y, psi)]).T
    assert np.max(np.abs(got / ref - 1)) <= rounding(cond=10, ops=16)
    if abs(vertex_factors(vertex, m_phi, m_i, m_f)[1]) > 100 * m_phi**2:  # |dm2| >> t near the upper end
        assert amp.max() > 1e2  # the printed form would have lost 2-4 digits here


def test_loop_h_series_against_mpmath():
    """h(tau) = -F_1/2(tau, 0)/(2 tau) of Eq. (A.3) from tau = 1 to 1e9: the closed form below tau = 10
    amplifies rounding by ~3 tau <= 30 (4 roundings and calls); the positive series above it by ~1."""
    tau = np.concatenate([np.geomspace(1.0, 1e9, 400), [9.999999, 10.0, 10.000001, 970.5, 1e3]])
    got = -loop_f12_onshell(tau).real / (2.0 * tau)
    with mp.workdps(40):
        ref = np.array([float(1 + (1 - mp.mpf(t)) * mp.asin(1 / mp.sqrt(mp.mpf(t))) ** 2) for t in tau])
    assert np.max(np.abs(got / ref - 1)) <= rounding(cond=30, ops=4)
