"""Constraints: (g-2)_mu contributions and bands, SIDM, perturbativity, DM-electron scattering.

Independent checks: closed-form partial-fraction integrals of the (rational) g-2 loop
integrands, hand-derived light/heavy asymptotics, the printed 1.7e-5 cm^2/g coefficient
with a unit conversion done from PDG constants, scipy solve_ivp for the running coupling,
and the paper's quoted boundary values.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from leptoportal.constraints import darkmatter as dm
from leptoportal.constraints import g2
from leptoportal.errors import InputError
from leptoportal.particles import M_E, M_MU
from tolerances import rounding


# ----------------------------------------------------------------------------------------
# Closed form of int_0^1 P(x)/Q(x) dx for quadratic Q without zeros on [0, 1]
# ----------------------------------------------------------------------------------------
def rational_integral(p, q, dps=50):
    """Exact int_0^1 P/Q (coefficients highest power first, Q quadratic), by partial fractions.

    Evaluated in mpmath at ``dps`` digits: for heavy scalars the polynomial and logarithmic
    pieces cancel to O(ln r / r^2), which double precision cannot resolve.
    """
    with mp.workdps(dps):
        p = [mp.mpf(c) for c in p]
        q2, q1, q0 = (mp.mpf(c) for c in q)
        # polynomial division P = S Q + R (P cubic -> S linear, R linear)
        s1 = p[0] / q2
        s0 = (p[1] - s1 * q1) / q2
        r1 = p[2] - s1 * q0 - s0 * q1
        r0 = p[3] - s0 * q0
        total = s1 / 2 + s0
        sq = mp.sqrt(mp.mpc(q1 * q1 - 4 * q2 * q0))
        x1 = (-q1 + sq) / (2 * q2)
        x2 = (-q1 - sq) / (2 * q2)
        for xa, xb in ((x1, x2), (x2, x1)):
            coef = (r1 * xa + r0) / (q2 * (xa - xb))
            # int_0^1 dx/(x - xa) = ln((1 - xa)/(-xa)) continued along [0, 1]; for complex xa
            # the principal logs never cross their cut, for real xa outside [0, 1] the ratio > 0
            if abs(mp.im(xa)) < mp.mpf(10) ** (-dps + 5):
                seg = mp.log(abs((1 - mp.re(xa)) / mp.re(xa)))
            else:
                seg = mp.log(1 - xa) - mp.log(-xa)
            total += coef * seg
        return float(mp.re(total))


def closed_form_diagonal(m_s, g=1.0):
    """Eq. (2.6) with x = 1 - z: g^2/(8 pi^2) int x^2 (2 - x) / (x^2 - r^2 x + r^2)."""
    r2 = (m_s / M_MU) ** 2
    return g * g / (8 * math.pi ** 2) * rational_integral([-1.0, 2.0, 0.0, 0.0], [1.0, -r2, r2])


def closed_form_lfv(m_phi, h=1.0):
    """e->mu Eq. (3): h^2/(16 pi^2) a int (x^2 - x^3) / (a x^2 - (1 + a - b) x + 1)."""
    a = (M_MU / m_phi) ** 2
    b = (M_E / m_phi) ** 2
    return h * h / (16 * math.pi ** 2) * a * rational_integral([-1.0, 1.0, 0.0, 0.0], [a, -(1 + a - b), 1.0])


# ----------------------------------------------------------------------------------------
# Delta a_mu: quadrature vs closed form and limits
# ----------------------------------------------------------------------------------------
DIAG_MASSES = [1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 1.0, 3.0, 10.0, 100.0]


@pytest.mark.parametrize("m", DIAG_MASSES)
def test_diagonal_quadrature_vs_closed_form(m):
    assert g2.delta_a_mu_scalar(m, 1.0) == pytest.approx(closed_form_diagonal(m), rel=1e-9)


@pytest.mark.parametrize("m", [0.1053, 0.106, 0.11, 0.2, 0.5, 1.0, 3.0, 10.0, 100.0])
def test_lfv_quadrature_vs_closed_form(m):
    if abs(m - 2 * M_MU) < 1e-9:
        pytest.skip("double root")
    assert g2.delta_a_mu_lfv(m, 1.0) == pytest.approx(closed_form_lfv(m), rel=1e-9)


def test_light_scalar_limit():
    """m_S << m_mu: 3 g^2/(16 pi^2) (1 - (2 pi/3) r + O(r^2 ln r)), r = m_S/m_mu."""
    g = 0.7
    assert g2.delta_a_mu_scalar_light(1e-3, g) == pytest.approx(3 * g * g / (16 * math.pi ** 2))
    for m in (1e-6, 1e-5, 1e-4, 1e-3):
        r = m / M_MU
        ratio = g2.delta_a_mu_scalar(m, g) / g2.delta_a_mu_scalar_light(m, g)
        assert abs(ratio - (1 - 2 * math.pi / 3 * r)) < 3 * r * r * abs(math.log(r))


def test_heavy_scalar_limit():
    """m_S >> m_mu: g^2 m_mu^2/(4 pi^2 m_S^2)[ln(m_S/m_mu) - 7/12] (not 1/(8 pi^2): that is half)."""
    g = 0.3
    for m in (3.0, 10.0, 30.0, 100.0, 1000.0):
        x = (M_MU / m) ** 2
        ratio = g2.delta_a_mu_scalar(m, g) / g2.delta_a_mu_scalar_heavy(m, g)
        assert abs(ratio - 1) < x * math.log(1 / x)
    m = 100.0
    half = g * g * M_MU ** 2 / (8 * math.pi ** 2 * m ** 2) * (math.log(m / M_MU) - 7 / 12)
    assert g2.delta_a_mu_scalar(m, g) / half == pytest.approx(2.0, rel=1e-4)


def test_lfv_heavy_limit_and_threshold():
    for m in (3.0, 10.0, 100.0):
        a = (M_MU / m) ** 2
        ratio = g2.delta_a_mu_lfv(m, 1.0) / g2.delta_a_mu_lfv_heavy(m, 1.0)
        b = (M_E / m) ** 2
        assert ratio == pytest.approx(1 + 0.75 * a, abs=5 * a * a + 10 * b * abs(math.log(b)))
    # grows like 1/sqrt(distance) towards m_mu - m_e, stays finite above it
    thr = M_MU - M_E
    v1 = g2.delta_a_mu_lfv(thr * (1 + 1e-6), 1.0)
    v2 = g2.delta_a_mu_lfv(thr * (1 + 1e-8), 1.0)
    assert np.isfinite(v2) and v2 / v1 == pytest.approx(10.0, rel=0.05)
    with pytest.raises(InputError, match="m_phi"):
        g2.delta_a_mu_lfv(0.1, 1.0)


def test_lfv_needs_electron_mass():
    """The m_e term matters only near threshold; far above it is an O(b ln b) effect."""
    m = 0.11
    a = (M_MU / m) ** 2
    no_me = 1 / (16 * math.pi ** 2) * a * rational_integral([-1.0, 1.0, 0.0, 0.0], [a, -(1 + a), 1.0])
    assert abs(g2.delta_a_mu_lfv(m, 1.0) / no_me - 1) > 1e-3


def test_quadratic_in_coupling_and_vectorised():
    ms = np.array([0.01, 0.3, 5.0])
    gs = np.array([1e-4, 1e-3, 1e-2])[:, None]
    grid = g2.delta_a_mu_scalar(ms, gs)
    assert grid.shape == (3, 3)
    np.testing.assert_allclose(grid[2] / grid[0], 1e4, rtol=rounding(ops=8))  # g^2 x the same integral
    np.testing.assert_allclose(grid[1], [g2.delta_a_mu_scalar(m, 1e-3) for m in ms], rtol=rounding(ops=8))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_mass_validation(bad):
    with pytest.raises(InputError, match="m_S"):
        g2.delta_a_mu_scalar(bad, 1e-3)
    with pytest.raises(InputError, match="g_mu"):
        g2.delta_a_mu_scalar(1.0, -1e-3)


# ----------------------------------------------------------------------------------------
# Data file and bands
# ----------------------------------------------------------------------------------------
def test_g2_inputs_file():
    raw = tomllib.loads(resources.files("leptoportal").joinpath("data", "g2_inputs.toml").read_text())
    assert raw["unit"] == 1e-11
    dets = g2.load_g2_inputs()
    assert set(raw["determination"]) == set(dets)
    for d in dets.values():
        assert d.source and d.confidence and d.sigma > 0
    default = g2.get_g2_determination()
    assert default.name == raw["default"] == "fnal2023_wp2020"
    assert all(d.label for d in dets.values())  # readable names for legends
    assert default.value / default.sigma == pytest.approx(5.2, abs=0.05)  # 249(22)(43)e-11
    paper = dets["pdg2016_na64mu2018"]
    assert paper.value == pytest.approx(268e-11)
    assert paper.sigma == pytest.approx(math.hypot(63, 43) * 1e-11)       # 76.3e-11, 3.5 sigma
    assert paper.value / paper.sigma == pytest.approx(3.5, abs=0.05)
    fut = dets["pdg2016_na64mu2018_future"]
    assert fut.exp_error == pytest.approx(63e-11 / 4) and fut.theory_error == pytest.approx(43e-11 / 2)
    scaled = paper.scaled(0.25, 0.5)
    assert scaled.sigma == pytest.approx(fut.sigma)
    with pytest.raises(InputError, match="determination"):
        g2.get_g2_determination("nope")


@pytest.mark.parametrize("kind", ["diagonal", "lfv"])
def test_band_edges_reproduce_targets(kind):
    ms = np.array([0.2, 0.5, 2.0])
    det = g2.get_g2_determination()
    central = g2.coupling_central(ms, kind=kind)
    # g = sqrt(target/unit), then g^2 unit: a sqrt and a square round-trip (cond 1), a few roundings
    np.testing.assert_allclose(g2.delta_a_mu(ms, central, kind), det.value, rtol=rounding(ops=16))
    lo, hi = g2.coupling_band(ms, 2.0, kind=kind)
    np.testing.assert_allclose(g2.delta_a_mu(ms, lo, kind), det.value - 2 * det.sigma, rtol=rounding(ops=16))
    np.testing.assert_allclose(g2.delta_a_mu(ms, hi, kind), det.value + 2 * det.sigma, rtol=rounding(ops=16))
    assert np.all(lo < central) and np.all(central < hi)
    ex = g2.coupling_excluded_above(ms, kind=kind)
    assert np.all(g2.is_excluded(ms, ex * 1.001, kind=kind))
    assert not np.any(g2.is_excluded(ms, ex * 0.999, kind=kind))
    # the default (BNL+FNAL 2023, WP2020) is 249(48)e-11, 5.2 sigma from 0: the SM point is excluded at 5 sigma
    assert np.all(g2.is_excluded(ms, 0.0, kind=kind))
    assert not np.any(g2.is_excluded(ms, 0.0, determination="pdg2016_na64mu2018", kind=kind))  # 268 - 5 x 76 < 0


def test_band_includes_zero_for_2025_inputs():
    lo, hi = g2.coupling_band([0.1, 1.0], 2.0, determination="fnal2025_wp2025")
    assert np.all(lo == 0.0) and np.all(hi > 0)
    with pytest.raises(InputError, match="n_sigma"):
        g2.coupling_band(1.0, 2.0, determination=g2.G2Determination("neg", -10e-11, 1e-11, 1e-11))
    # small couplings excluded when central - n sigma > 0
    strong = g2.G2Determination("strong", 300e-11, 10e-11, 10e-11)
    assert bool(g2.is_excluded(1.0, 0.0, 5.0, strong))


def test_paper_quoted_exclusion_values():
    """Sec. 4.1: 5 sigma excluded for g_mu >~ 1e-3 at O(10) MeV and >~ few e-2 at 10 GeV."""
    ex = g2.coupling_excluded_above([0.01, 10.0])
    assert 5e-4 < ex[0] < 2e-3
    assert 1e-2 < ex[1] < 6e-2


# ----------------------------------------------------------------------------------------
# SIDM (Eq. 2.10)
# ----------------------------------------------------------------------------------------
def test_sidm_printed_coefficient():
    val = dm.sidm_sigma_t_over_m(1.0, 1.0, 1.0)
    # independent conversion with PDG constants: hbar c = 0.1973269804 GeV fm, 1 GeV/c^2 = 1.78266192e-24 g
    gev_m2_cm2 = (0.1973269804e-13) ** 2
    expect = 1 / (4 * math.pi) * gev_m2_cm2 / 1.78266192e-24
    assert val == pytest.approx(expect, rel=1e-8)
    assert round(val, 6) == pytest.approx(1.7e-5, abs=0.05e-5)     # printed: 1.7e-5 cm^2/g
    # scaling (g^4 m_chi / m_S^4)
    assert dm.sidm_sigma_t_over_m(0.5, 2.0, 0.1) == pytest.approx(val * 0.5 ** 4 * 2.0 / 0.1 ** 4)


def test_sidm_paper_statements():
    """Sec. 2.3: g_chi = 1 (0.1) disfavoured (sigma/m > 1 cm^2/g) below m_S ~ 20 MeV (1 MeV)."""
    assert dm.sidm_max_coupling(0.02 / 3, 0.02) == pytest.approx(1.0, rel=0.15)
    assert dm.sidm_max_coupling(0.001 / 3, 0.001) == pytest.approx(0.1, rel=0.15)
    g = dm.sidm_max_coupling(0.01, 0.05)
    assert dm.sidm_sigma_t_over_m(g, 0.01, 0.05) == pytest.approx(1.0)


def test_sidm_born_flag():
    # alpha_chi = 1/(4 pi) ~ 0.08 vs m_S/m_chi = 3: Born regime
    assert dm.sidm_born_valid(1.0, 0.1, 0.3)
    # alpha_chi > m_S/m_chi -> outside Born
    assert not dm.sidm_born_valid(10.0, 1.0, 3.0)
    # m_chi v / m_S > 1 -> outside
    assert not dm.sidm_born_valid(0.1, 10.0, 1e-3, v_rel=1e-3 * 2)
    flags = dm.sidm_born_valid(np.array([0.1, 5.0, 20.0]), 1.0, 3.0)
    assert flags.tolist() == [True, True, False]
    with pytest.raises(InputError, match="v_rel"):
        dm.sidm_born_valid(1.0, 1.0, 1.0, v_rel=2.0)


# ----------------------------------------------------------------------------------------
# Perturbativity (Eq. 2.11)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("g0", [0.5, 1.0, 2.0, 5.0])
def test_perturbativity_scale_vs_solve_ivp(g0):
    b = 5 / (16 * math.pi ** 2)

    def rhs(t, y):
        return [b * y[0] ** 3]

    def hit(t, y):
        return y[0] ** 2 / (4 * math.pi) - 4 * math.pi      # alpha_chi = 4 pi

    hit.terminal = True
    # (integrator settings, not a comparison: the asserted agreement below is 1e-7)
    # solver accuracy settings of the independent reference integration (not a comparison tolerance)
    ode_rtol, ode_atol = 1e-12, 1e-14
    sol = solve_ivp(rhs, (0.0, 1e4), [g0], events=hit, rtol=ode_rtol, atol=ode_atol, method="DOP853")
    t_star = sol.t_events[0][0]
    assert dm.log_perturbativity_scale(g0, 1.0) == pytest.approx(t_star, rel=1e-7)
    assert dm.perturbativity_scale(g0, 0.1) == pytest.approx(0.1 * math.exp(t_star), rel=1e-6)


def test_perturbativity_flags():
    # g_chi = 1 at the GeV scale stays perturbative to 1 TeV (ln mu*/mu0 = 8 pi^2/5 - 0.1 ~ 15.7)
    assert dm.log_perturbativity_scale(1.0, 1.0) == pytest.approx(8 * math.pi ** 2 / 5 - 0.1)
    assert dm.is_perturbative(1.0, 1.0)
    assert not dm.is_perturbative(3.0, 1.0)
    assert dm.log_perturbativity_scale(4 * math.pi, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert dm.perturbativity_scale(1e-3, 1.0) == np.inf                   # documented overflow
    with pytest.raises(InputError, match="g_chi"):
        dm.log_perturbativity_scale(0.0, 1.0)


# ----------------------------------------------------------------------------------------
# DM-electron cross section (Eq. 4.1)
# ----------------------------------------------------------------------------------------
def test_sigma_e_bar():
    # equals the dark-photon form 16 pi alpha eps^2 alpha_D mu^2 / m^4 with eps = g_e/e, alpha_D = g_chi^2/4pi
    gc, ge, mc, ms = 1.0, 1e-6, 0.05, 0.15
    alpha = 1 / 137.035999084
    eps = ge / math.sqrt(4 * math.pi * alpha)
    mu = mc * M_E / (mc + M_E)
    dark_photon_form = 16 * math.pi * alpha * eps ** 2 * (gc ** 2 / (4 * math.pi)) * mu ** 2 / ms ** 4
    assert dm.sigma_e_bar_cm2(gc, ge, mc, ms) == pytest.approx(dark_photon_form * 0.3893793721e-27, rel=1e-10)
    # heavy DM: mu -> m_e
    heavy = dm.sigma_e_bar_cm2(1.0, 1e-6, 1e3, 0.1)
    assert heavy == pytest.approx(M_E ** 2 * 1e-12 / (math.pi * 1e-4) * 0.3893793721e-27, rel=1e-5)


# ----------------------------------------------------------------------------------------
# Property tests
# ----------------------------------------------------------------------------------------
masses = st.floats(1e-3, 10.0)
couplings = st.floats(1e-8, 1.0)


@settings(max_examples=40, deadline=None)
@given(m=masses, g=couplings)
def test_g2_positive_finite(m, g):
    a = g2.delta_a_mu_scalar(m, g)
    assert np.isfinite(a) and a > 0
    assert a <= g2.delta_a_mu_scalar_light(m, g) * (1 + 1e-12)        # monotone decreasing in m_S
    if m > (M_MU - M_E) * 1.001:
        b = g2.delta_a_mu_lfv(m, g)
        assert np.isfinite(b) and b > 0
    lo, hi = g2.coupling_band(m, 2.0)
    assert 0 <= lo < hi and np.isfinite(hi)


@settings(max_examples=60, deadline=None)
@given(m_s=masses, g=couplings, ratio=st.floats(2.01, 10.0), g_e=couplings)
def test_darkmatter_positive_finite(m_s, g, ratio, g_e):
    mc = m_s / ratio
    s = dm.sidm_sigma_t_over_m(g, mc, m_s)
    assert np.isfinite(s) and s > 0
    lg = dm.log_perturbativity_scale(g, m_s)
    assert np.isfinite(lg) and lg > 0
    se = dm.sigma_e_bar_cm2(g, g_e, mc, m_s)
    assert np.isfinite(se) and se > 0
    assert bool(dm.sidm_born_valid(g, mc, m_s))       # g <= 1 and ratio > 2: always Born


def test_fig1_bounds_invert_the_running_and_the_born_condition():
    """perturbative_max_coupling is the root of log_perturbativity_scale(g, m_S) = ln(up_to/m_S) (Eq. 2.11);
    born_edge_coupling is alpha_chi = m_S/m_chi exactly (Sec. 2.3)."""
    ms = np.array([0.01, 0.3, 5.0])
    g = dm.perturbative_max_coupling(ms, 1.0e3)
    # ln(mu*/mu0) = 8 pi^2/(5 g^2) - 1/10 at g computed from it: two divisions, a sqrt and a square
    np.testing.assert_allclose(dm.log_perturbativity_scale(g, ms), np.log(1.0e3 / ms), rtol=rounding(cond=10, ops=16))
    mc = ms / 3.0
    gb = dm.born_edge_coupling(mc, ms)
    np.testing.assert_allclose(gb**2 / (4 * np.pi), ms / mc, rtol=rounding(ops=8))
