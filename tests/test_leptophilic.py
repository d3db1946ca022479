"""Leptophilic scalar model (arXiv:1807.03790, Sec. 2.1, Appendix A): loop function, widths, presets.

Each result is checked against something computed another way:
* F_1/2(tau, rho) of Eq. (A.1) against a direct 2-d quadrature of the Feynman-parameter
  form of the same triangle (space-like/below-threshold region), against the H -> Z gamma
  type representation I_1 - I_2 (time-like, complex region), and against a 60-digit
  mpmath evaluation of the printed formula;
* the on-shell limit rho -> 0 against Eq. (A.3), the heavy (-4/3 - 14/(45 tau)) and light
  (tau/2 (ln(4/tau) - i pi)^2) limits derived by hand;
* widths against their kinematic limits and the Eq. (2.4)/(2.5) normalisation.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from leptoportal.errors import InputError
from leptoportal.models import LeptophilicScalar, dm_mass, loop_f12, loop_f12_onshell
from leptoportal.particles import M_E, M_MU, M_TAU
from leptoportal.units import ALPHA
from tolerances import rounding


# ----------------------------------------------------------------------------------------
# Independent representations of the loop function
# ----------------------------------------------------------------------------------------
def feynman_parameter_f12(tau, rho):
    """F = -4 int_0^1 dx int_0^(1-x) dy (1 - 4xy) / (1 - 4xy/tau - 4 y (1-x-y) rho).

    Triangle with Feynman parameters (derived independently of Appendix A); real and
    regular for tau >= 1 (or tau < 0) and rho < 1.
    """
    def f(y, x):
        return (1.0 - 4.0 * x * y) / (1.0 - 4.0 * x * y / tau - 4.0 * y * (1.0 - x - y) * rho)

    val, _ = integrate.dblquad(f, 0.0, 1.0, 0.0, lambda x: 1.0 - x, epsabs=1e-13, epsrel=1e-12)
    return -4.0 * val


def _f_djouadi(t):
    t = complex(t)
    if t.real >= 1:
        return np.arcsin(1 / np.sqrt(t)) ** 2
    b = np.sqrt(1 - t)
    return -0.25 * (np.log((1 + b) / (1 - b)) - 1j * np.pi) ** 2


def _g_djouadi(t):
    t = complex(t)
    if t.real >= 1:
        return np.sqrt(t - 1) * np.arcsin(1 / np.sqrt(t))
    b = np.sqrt(1 - t)
    return 0.5 * b * (np.log((1 + b) / (1 - b)) - 1j * np.pi)


def zgamma_type_f12(tau, rho):
    """4 [I_1(tau, lambda) - I_2(tau, lambda)] with lambda = 1/rho > 0 (time-like q^2).

    The standard fermion-loop functions of H -> Z gamma (one photon off shell with
    q^2 = 4 m^2 / lambda), written from the textbook form; -iπ convention of p^2 + i0.
    """
    lam = 1.0 / rho
    f_t, f_l = _f_djouadi(tau), _f_djouadi(lam)
    g_t, g_l = _g_djouadi(tau), _g_djouadi(lam)
    d = tau - lam
    i1 = tau * lam / (2 * d) + tau ** 2 * lam ** 2 / (2 * d ** 2) * (f_t - f_l) + tau ** 2 * lam / d ** 2 * (g_t - g_l)
    i2 = -tau * lam / (2 * d) * (f_t - f_l)
    return 4 * (i1 - i2)


def mp_a1(tau, rho, dps=60):
    """Eq. (A.1) exactly as printed, principal branches, at ``dps`` digits."""
    with mp.workdps(dps):
        t, r = mp.mpf(tau), mp.mpf(rho)
        s = mp.sqrt(r * (r - 1))
        l1 = mp.log(1 - 2 * r + 2 * s)
        c = mp.sqrt(1 - t)
        l2 = mp.log(1 - 2 / t + 2 * c / abs(t))
        val = 2 * t / (r * t - 1) ** 2 * (r * t - 1 + s * t * l1 + (t + r * t - 1) / 4 * l1 ** 2
                                          - r * abs(t) * c * l2 - (t + r * t - 1) / 4 * l2 ** 2)
        return complex(val)


# ----------------------------------------------------------------------------------------
# F_1/2
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("tau", [1e-6, 0.05, 0.3, 0.9, 0.999, 1.0, 1.001, 1.5, 4.0, 20.0, 1e3, 1e6])
def test_a1_at_rho_zero_equals_a3(tau):
    """Eq. (A.1) at rho = 0 (evaluated through the general path) is Eq. (A.3)."""
    on = loop_f12_onshell(tau)
    # tiny but non-zero rho goes through the general A.1 code path
    off = loop_f12(tau, 1e-300)
    # A.3's closed form amplifies rounding by ~3 tau <= 30 (it switches to a positive series above tau = 10;
    # tests/test_conditioning.py), the general path's double series by ~1: ~16 roundings and 1-ulp calls
    assert abs(off - on) <= rounding(cond=30, ops=16) * abs(on)
    assert loop_f12(tau, 0.0) == on


@pytest.mark.parametrize("tau", [0.05, 0.3, 0.9, 1.5, 4.0, 20.0, 300.0])
def test_a1_tends_to_a3_as_rho_to_zero(tau):
    """|F(tau, rho) - F(tau, 0)| -> 0 linearly in rho, from both signs, 1e-6 ... 1e-2."""
    f0 = loop_f12_onshell(tau)
    for sign in (+1.0, -1.0):
        rhos = sign * np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2])
        diffs = loop_f12(tau, rhos) - f0
        slopes = diffs / rhos
        # linear approach: the difference quotient converges (analytic at rho = 0)
        assert abs(slopes[0] - slopes[1]) < 1e-3 * abs(slopes[1]) + 1e-6
        assert np.all(np.abs(diffs) < 20.0 * np.abs(rhos))
        assert abs(diffs[0]) < 1e-4 * abs(f0)


@pytest.mark.parametrize("tau,rho", [
    (1.5, -3.0), (1.5, 0.3), (1.5, 0.66), (2.0, 0.9), (4.0, -0.5), (4.0, 0.2), (4.0, 0.25),
    (4.0, 0.2501), (20.0, 0.2), (20.0, -1e-3), (-0.5, -0.3), (-3.0, 0.0), (-3.0, -2.0), (-0.2, 0.5),
])
def test_a1_matches_feynman_parameter_integral(tau, rho):
    """Real region (tau >= 1 or < 0, rho < 1), including the removable point rho tau = 1."""
    ref = feynman_parameter_f12(tau, rho)
    val = loop_f12(tau, rho)
    assert abs(val.imag) < 1e-12
    assert val.real == pytest.approx(ref, rel=5e-10)


@pytest.mark.parametrize("tau,rho", [
    (0.3, 0.1), (0.3, 0.5), (0.3, 2.0), (0.9, 0.1), (0.9, 0.5), (0.9, 2.0),
    (0.5, 1.5), (0.3, 3.4), (0.05, 7.0), (4.0, 1.5), (1.5, 40.0), (0.01, 0.3),
])
def test_a1_matches_zgamma_representation_complex_region(tau, rho):
    """Time-like region with imaginary parts (tau < 1 and/or rho > 1): branch choices."""
    ref = zgamma_type_f12(tau, rho)
    val = loop_f12(tau, rho)
    assert abs(val - ref) <= 1e-9 * abs(ref)


@pytest.mark.parametrize("tau,rho", [
    (0.3, 2.0), (0.5, 2.001), (0.5, 1.9998), (0.05, 20.02), (4.0, 0.25025), (30.0, 0.999e-3 / 0.03),
    (99.0, 1e-3), (150.0, 0.02), (1e3, -0.011), (1e4, 1.0001e-4), (1e7, 1e-4), (1e8, -1e-9),
    (-2.0, -3.0), (-1e3, -1e-3), (2.0, 1e3), (0.2, -50.0),
])
def test_a1_matches_high_precision_printed_formula(tau, rho):
    """Against Eq. (A.1) at 60 digits: covers the heavy-loop series and the rho tau ~ 1 window."""
    ref = mp_a1(tau, rho)
    val = loop_f12(tau, rho)
    assert abs(val - ref) <= 1e-9 * abs(ref)


def test_heavy_fermion_limit():
    """F_1/2 -> -4/3 as tau -> infinity, approached as -4/3 - 14/(45 tau)."""
    taus = np.array([1e2, 1e3, 1e4, 1e6, 1e10])
    f = loop_f12_onshell(taus)
    assert np.all(f.imag == 0)
    assert abs(f[-1] + 4.0 / 3.0) < 1e-10
    corr = (f.real + 4.0 / 3.0) * taus
    assert corr[1:] == pytest.approx(-14.0 / 45.0, rel=5e-3)
    # same limit through the general (off-shell) function with a small virtuality
    assert loop_f12(1e8, 1e-9).real == pytest.approx(-4.0 / 3.0, rel=1e-7)


def test_light_fermion_limit():
    """F_1/2 -> 0 like (tau/2) (ln(4/tau) - i pi)^2 ~ tau ln^2(tau)/2 as tau -> 0."""
    for tau in (1e-4, 1e-8, 1e-12):
        f = complex(loop_f12_onshell(tau))
        lead = 0.5 * tau * (math.log(4.0 / tau) - 1j * math.pi) ** 2
        assert abs(f - (lead - 2.0 * tau)) < 10.0 * tau * tau * math.log(tau) ** 2 + 1e-300
        assert abs(f) / (tau * math.log(tau) ** 2) == pytest.approx(0.5, rel=0.5)
    assert abs(loop_f12_onshell(1e-12)) < 1e-9


def test_onshell_real_above_threshold_complex_below():
    taus = np.array([0.2, 0.7, 1.0, 1.3, 5.0])
    f = loop_f12_onshell(taus)
    assert np.all(f[taus >= 1].imag == 0)
    assert np.all(f[taus < 1].imag < 0)
    # continuity across tau = 1 (value -2 at threshold)
    assert loop_f12_onshell(1.0 + 1e-12).real == pytest.approx(-2.0, abs=1e-5)
    assert complex(loop_f12_onshell(1.0 - 1e-12)) == pytest.approx(-2.0, abs=1e-5)


def test_loop_function_vectorised_and_errors():
    taus = np.geomspace(1e-3, 1e3, 7)
    rhos = np.array([-1.0, 0.0, 0.1, 2.0])[:, None]
    grid = loop_f12(taus, rhos)
    assert grid.shape == (4, 7)
    assert grid[2, 3] == loop_f12(taus[3], 0.1)
    with pytest.raises(InputError, match="tau"):
        loop_f12(0.0, 0.1)
    with pytest.raises(InputError, match="tau"):
        loop_f12_onshell(-1.0)
    with pytest.raises(InputError, match="rho"):
        loop_f12(1.0, np.nan)


# ----------------------------------------------------------------------------------------
# Model construction and presets
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("field,value", [
    ("m_S", -1.0), ("m_S", 0.0), ("g_e", -1e-3), ("g_mu", -1.0), ("g_tau", np.nan),
    ("g_chi", -0.1), ("m_chi", -0.1), ("m_chi", 0.0), ("m_S", np.inf),
])
def test_validation_names_field_and_range(field, value):
    kwargs = dict(m_S=1.0, g_e=0.0, g_mu=1e-3, g_tau=0.0, g_chi=1.0, m_chi=0.1)
    kwargs[field] = value
    with pytest.raises(InputError) as exc:
        LeptophilicScalar(**kwargs)
    assert exc.value.parameter == field
    assert "valid range" in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_invisible_open_flag():
    assert LeptophilicScalar(1.0, g_mu=1e-3, g_chi=1.0, m_chi=0.3).invisible_open is True
    heavy = LeptophilicScalar(1.0, g_mu=1e-3, g_chi=1.0, m_chi=0.6)   # allowed, visible decays
    assert heavy.invisible_open is False
    assert heavy.width_chichi() == 0.0
    assert heavy.br_invisible() == 0.0
    arr = LeptophilicScalar(np.array([0.5, 1.0, 2.0]), g_mu=1e-3, g_chi=1.0, m_chi=0.4)
    assert arr.invisible_open.tolist() == [False, True, True]
    assert LeptophilicScalar(1.0, g_mu=1e-3).invisible_open is False


def test_presets_eq_2_3_and_mass_relations():
    ms = np.array([0.05, 0.5, 5.0])
    mu = LeptophilicScalar.muon_specific(ms, 2e-3)
    assert mu.g_e == 0 and mu.g_tau == 0 and mu.g_mu == 2e-3 and mu.g_chi == 1.0
    np.testing.assert_allclose(mu.m_chi, ms / 3.0)                       # Eq. (2.8)
    lep = LeptophilicScalar.lepton_specific(ms, 2e-3, eps_R=0.1)
    assert lep.g_e / lep.g_mu == pytest.approx(M_E / M_MU)
    assert lep.g_tau / lep.g_mu == pytest.approx(M_TAU / M_MU)
    np.testing.assert_allclose(lep.m_chi, ms / (2.0 * math.sqrt(1.1)))   # Eq. (2.9)
    # Eq. (2.9) approximate form m_S/2 (1 - eps_R/2) for small eps_R
    assert dm_mass(1.0, eps_R=1e-4) == pytest.approx(0.5 * (1 - 0.5e-4), rel=1e-8)
    assert np.all(lep.invisible_open)
    assert LeptophilicScalar.muon_specific(1.0, 1e-3, m_chi=0.2).m_chi == 0.2
    assert LeptophilicScalar.muon_specific(1.0, 1e-3, mchi_ratio=4).m_chi == 0.25
    for bad in (0.0, -0.1, float("nan")):
        with pytest.raises(InputError, match="eps_R"):
            LeptophilicScalar.muon_specific(1.0, 1e-3, eps_R=bad)
    with pytest.raises(InputError, match="eps_R"):
        LeptophilicScalar.muon_specific(1.0, 1e-3, m_chi=0.2, eps_R=0.1)
    with pytest.raises(InputError, match="mchi_ratio"):
        LeptophilicScalar.lepton_specific(1.0, 1e-3, mchi_ratio=0)
    with pytest.raises(InputError, match="g_mu"):
        LeptophilicScalar.lepton_specific(1.0, -1e-3)


def test_incompatible_array_shapes():
    with pytest.raises(InputError, match="broadcast"):
        LeptophilicScalar(np.ones(3), g_mu=np.ones(4) * 1e-3)


# ----------------------------------------------------------------------------------------
# Widths
# ----------------------------------------------------------------------------------------
def test_two_body_widths_thresholds_and_limits():
    g = 1e-3
    below = LeptophilicScalar(2 * M_MU * 0.999, g_mu=g)
    assert below.width_ll("mu") == 0.0
    # far above threshold: g^2 m_S / (8 pi) (beta -> 1)
    far = LeptophilicScalar(1e3, g_mu=g)
    assert far.width_ll("mu") == pytest.approx(g * g * 1e3 / (8 * math.pi), rel=1e-7)
    # just above threshold the width vanishes like beta^3
    eps = 1e-6
    m = 2 * M_MU * (1 + eps)
    beta = math.sqrt(1 - 4 * M_MU ** 2 / m ** 2)
    near = LeptophilicScalar(m, g_mu=g).width_ll("mu")
    assert near == pytest.approx(g * g * m / (8 * math.pi) * beta ** 3, rel=1e-9)
    assert near / (g * g * m / (8 * math.pi)) < 1e-8
    # chi is a Dirac fermion with the same formula (Eq. 2.5, i = chi)
    s = LeptophilicScalar(1.0, g_chi=0.5, m_chi=0.3)
    # beta^3 = (1 - 4 m^2/M^2)^1.5: cond 1.5 x 0.36/0.64 < 1, and ~8 further roundings each way
    assert s.width_chichi() == pytest.approx(0.25 / (8 * math.pi) * (1 - 0.36) ** 1.5, rel=rounding(2, 16))
    with pytest.raises(InputError, match="flavour"):
        s.width_ll("nu")


def test_diphoton_width_normalisation_and_heavy_loop():
    """Eq. (2.5) second term = g_gg^2 m_S^3 / (64 pi) with g_gg of Eq. (2.4); heavy-loop limit."""
    s = LeptophilicScalar.lepton_specific(np.array([1e-3, 0.05, 0.3, 3.0]), 1e-3)
    # the same product in another order (one pow): a few roundings, no cancellation
    np.testing.assert_allclose(s.width_gammagamma(), s.g_gammagamma() ** 2 * s.m_S ** 3 / (64 * math.pi),
                               rtol=rounding(ops=16))
    # m_S = 1 MeV << 2 m_mu: muon loop is heavy, F -> -4/3; g_gg = alpha/(2 pi) (g/m_mu)(4/3)
    mu = LeptophilicScalar(1e-3, g_mu=1e-3)
    expect = ALPHA / (2 * math.pi) * 1e-3 / M_MU * 4.0 / 3.0
    assert mu.g_gammagamma() == pytest.approx(expect, rel=1e-5)
    # the SM-Higgs-like formula alpha^2 m^3/(256 pi^3) |(g/m) 4/3|^2
    assert mu.width_gammagamma() == pytest.approx(ALPHA ** 2 * 1e-9 / (256 * math.pi ** 3) * (1e-3 / M_MU * 4 / 3) ** 2, rel=1e-5)
    # off-shell photon suppresses the loop for rho >> 1 (Appendix A, Fig. 9)
    assert mu.g_gammagamma(q2=10.58 ** 2) < 0.1 * mu.g_gammagamma()


def test_branching_ratios_sum_and_total_width():
    ms = np.geomspace(0.02, 10.0, 25)
    for model in (LeptophilicScalar.muon_specific(ms, 1e-2), LeptophilicScalar.lepton_specific(ms, 1e-3, eps_R=0.1)):
        brs = model.branching_ratios()
        total = sum(brs.values())
        np.testing.assert_allclose(total, 1.0, rtol=rounding(ops=16))  # a sum of positive ratios: cond 1
        np.testing.assert_allclose(brs["chi"], model.br_invisible())
        assert np.all(model.br_invisible() > 0.9)           # g_chi >> g_l: mostly invisible
    zero = LeptophilicScalar(1.0)
    assert zero.total_width() == 0.0 and zero.br_invisible() == 0.0


def test_vectorised_equals_scalar_loop():
    ms = np.array([0.01, 0.2, 0.7, 4.0])
    vec = LeptophilicScalar.lepton_specific(ms, 3e-3)
    for i, m in enumerate(ms):
        one = LeptophilicScalar.lepton_specific(m, 3e-3)
        # the same formulas on an array (NumPy's SIMD log/sqrt/pow) and on scalars: ~20 calls that may
        # each differ by an ulp, amplified by at most ~3 (a sum of positive widths, a loop function)
        assert vec.total_width()[i] == pytest.approx(one.total_width(), rel=rounding(cond=3, ops=20))
        assert vec.g_gammagamma()[i] == pytest.approx(one.g_gammagamma(), rel=rounding(cond=3, ops=20))


# ----------------------------------------------------------------------------------------
# Property tests
# ----------------------------------------------------------------------------------------
masses = st.floats(1e-3, 10.0)
couplings = st.floats(1e-8, 1.0)


@settings(max_examples=60, deadline=None)
@given(m_S=masses, g=couplings, g_chi=couplings, ratio=st.floats(1.0, 10.0), lepton=st.booleans())
def test_widths_positive_and_finite(m_S, g, g_chi, ratio, lepton):
    preset = LeptophilicScalar.lepton_specific if lepton else LeptophilicScalar.muon_specific
    s = preset(m_S, g, g_chi=g_chi, mchi_ratio=ratio)
    widths = [s.width_ll(f) for f in ("e", "mu", "tau")] + [s.width_chichi(), s.width_gammagamma()]
    assert all(np.isfinite(w) and w >= 0 for w in widths)
    assert s.width_gammagamma() > 0
    tot = s.total_width()
    assert np.isfinite(tot) and tot > 0
    br = s.br_invisible()
    assert 0.0 <= br <= 1.0
    assert (br > 0) == (ratio > 2.0)
    ggg = s.g_gammagamma()
    assert np.isfinite(ggg) and ggg > 0


@settings(max_examples=80, deadline=None)
@given(tau=st.floats(1e-8, 1e8), rho=st.floats(-1e3, 1e3))
def test_loop_function_finite(tau, rho):
    f = complex(loop_f12(tau, rho))
    assert math.isfinite(f.real) and math.isfinite(f.imag)
    assert abs(f) < 1e4
