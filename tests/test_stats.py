"""Tests of leptoportal.stats: every reference number is computed independently here
(textbook values, Poisson-CDF root finding, numerical integration, closed forms)."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from leptoportal.errors import InputError
from leptoportal.stats import (
    ASYMPTOTIC_MIN_AUX,
    ASYMPTOTIC_MIN_BACKGROUND,
    LimitResult,
    asymptotic_cls_limit,
    events_required_background_free,
    marginal_poisson_cdf,
    median_background_count,
    poisson_upper_limit,
    toys_cls_limit,
    upper_limit,
    upper_limits,
)
from tolerances import rounding

CLS = (0.9, 0.95)


# ----------------------------------------------------------------------------- helpers


def _root(f, hi=200.0):
    root_xtol = 1e-12  # solver setting of the reference root, not a comparison tolerance (those are >= 1e-9)
    return optimize.brentq(f, 0.0, hi, xtol=root_xtol)


def _cls_exact(n, b, cl):
    """Exact Poisson CLs limit by root finding on the Poisson CDF."""
    alpha = 1.0 - cl
    return _root(lambda s: stats.poisson.cdf(n, s + b) / stats.poisson.cdf(n, b) - alpha)


def _asimov_closed_form(b, cl):
    """Median asymptotic CLs limit, known b: 2 [s - b ln(1 + s/b)] = Phi^-1(1 - alpha/2)^2.

    Derivation (Cowan, Cranmer, Gross, Vitells 2011): for Asimov data n = b, s_hat = 0,
    q~_s = -2 ln[P(b | s + b) / P(b | b)] = 2 [s - b ln(1 + s/b)] =: q_A.  At the median,
    q_obs = q_A, so CL_{s+b} = 1 - Phi(sqrt q_A) and CL_b = Phi(sqrt q_A - sqrt q_obs) = 1/2;
    CLs = 2 [1 - Phi(sqrt q_A)] = alpha  <=>  sqrt q_A = Phi^-1(1 - alpha/2).
    """
    z = stats.norm.ppf(1.0 - 0.5 * (1.0 - cl))
    if b == 0:
        return 0.5 * z * z
    return _root(lambda s: 2.0 * (s - b * math.log1p(s / b)) - z * z, hi=50.0 * (1 + math.sqrt(b)))


def _asymptotic_observed_closed_form(n, b, cl):
    """Observed asymptotic CLs limit with q~_mu for one bin, known b (Cowan et al. 2011, Eq. 66-67)."""
    alpha = 1.0 - cl

    def q_tilde(s):
        lam = s + b
        if n >= lam:
            return 0.0
        best = max(n, b)  # s_hat clipped at zero
        return 2.0 * (lam - best + n * math.log(best / lam)) if n > 0 else 2.0 * (lam - best)

    def cls(s):
        q, qa = q_tilde(s), 2.0 * (s - b * math.log1p(s / b))
        if q <= qa:
            clsb = stats.norm.sf(math.sqrt(q))
            clb = stats.norm.cdf(math.sqrt(qa) - math.sqrt(q))
        else:
            clsb = stats.norm.sf((q + qa) / (2.0 * math.sqrt(qa)))
            clb = stats.norm.sf((q - qa) / (2.0 * math.sqrt(qa)))
        return clsb / clb - alpha

    return optimize.brentq(cls, 1e-6, 500.0, xtol=1e-10)


# ----------------------------------------------------------------------------- exact Poisson


@pytest.mark.parametrize("kind", ["cls", "neyman"])
def test_background_free_textbook_values(kind):
    # n = 0, b = 0: s_up = -ln(1 - CL)
    assert poisson_upper_limit(0, 0.0, cl=0.9, kind=kind) == pytest.approx(2.302585, abs=1e-5)
    assert poisson_upper_limit(0, 0.0, cl=0.95, kind=kind) == pytest.approx(2.995732, abs=1e-5)


def test_neyman_b0_pdg_table():
    # PDG Review of Particle Physics, Statistics chapter, table of Poisson upper limits (b = 0)
    table = {1: (3.89, 4.74), 2: (5.32, 6.30), 3: (6.68, 7.75)}
    for n, (u90, u95) in table.items():
        assert poisson_upper_limit(n, 0.0, cl=0.9, kind="neyman") == pytest.approx(u90, abs=0.006)
        assert poisson_upper_limit(n, 0.0, cl=0.95, kind="neyman") == pytest.approx(u95, abs=0.006)


@pytest.mark.parametrize("cl", CLS)
@pytest.mark.parametrize("n,b", [(1, 0.5), (2, 1.0), (5, 3.0)])
def test_neyman_with_background_root_found(cl, n, b):
    alpha = 1.0 - cl
    ref = max(0.0, _root(lambda s: stats.poisson.cdf(n, s) - alpha) - b)
    assert poisson_upper_limit(n, b, cl=cl, kind="neyman") == pytest.approx(ref, rel=1e-8)


def test_neyman_empty_interval_gives_zero():
    # P(0 | b=5) = 0.0067 < 0.1: even s = 0 is excluded at 90% CL (the CLs pathology fix)
    assert poisson_upper_limit(0, 5.0, cl=0.9, kind="neyman") == 0.0
    assert poisson_upper_limit(0, 5.0, cl=0.9, kind="cls") == pytest.approx(2.302585, abs=1e-5)


@pytest.mark.parametrize("cl", CLS)
@pytest.mark.parametrize("b", [0.0, 0.3, 1.0, 7.5, 40.0])
def test_cls_n0_independent_of_background(cl, b):
    ref = -math.log(1.0 - cl)
    assert poisson_upper_limit(0, b, cl=cl) == pytest.approx(ref, rel=1e-9)
    if b > 0:  # also with an uncertain background: exp(-s) factorises out of the average
        assert poisson_upper_limit(0, b, 0.5 * b, cl=cl) == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("cl", CLS)
@pytest.mark.parametrize("n,b", [(1, 1.0), (3, 2.5), (10, 8.0), (0, 3.0)])
def test_cls_with_background_root_found(cl, n, b):
    assert poisson_upper_limit(n, b, cl=cl) == pytest.approx(_cls_exact(n, b, cl), rel=1e-8)


def test_cls_n1_b1_values():
    # closed form for n=1: CLs(s) = exp(-s) (2 + s) / 2
    for cl in CLS:
        ref = _root(lambda s: math.exp(-s) * (2.0 + s) / 2.0 - (1.0 - cl))
        assert poisson_upper_limit(1, 1.0, cl=cl) == pytest.approx(ref, rel=1e-9)
    assert poisson_upper_limit(1, 1.0, cl=0.9) == pytest.approx(3.272, abs=1e-3)


def test_cls_gamma_marginalised_by_quadrature():
    n, b, sb, cl = 2, 3.0, 1.0, 0.9
    k, theta = (b / sb) ** 2, sb**2 / b

    def p(s):
        val, _ = integrate.quad(lambda x: stats.poisson.cdf(n, s + x) * stats.gamma.pdf(x, k, scale=theta), 0, 60)
        return val

    ref = _root(lambda s: p(s) / p(0.0) - (1.0 - cl), hi=30.0)
    assert poisson_upper_limit(n, b, sb, cl) == pytest.approx(ref, rel=1e-6)
    assert marginal_poisson_cdf(n, 1.5, b, sb) == pytest.approx(p(1.5), rel=1e-9)
    # the uncertainty weakens the limit
    assert poisson_upper_limit(n, b, sb, cl) > poisson_upper_limit(n, b, 0.0, cl)


def test_cls_truncnorm_marginalised_by_quadrature():
    n, b, sb, cl = 4, 2.0, 1.5, 0.95
    prior = stats.truncnorm(-b / sb, np.inf, loc=b, scale=sb)

    def p(s):
        val, _ = integrate.quad(lambda x: stats.poisson.cdf(n, s + x) * prior.pdf(x), 0, b + 12 * sb)
        return val

    ref = _root(lambda s: p(s) / p(0.0) - (1.0 - cl), hi=40.0)
    assert poisson_upper_limit(n, b, sb, cl, prior="truncnorm") == pytest.approx(ref, rel=1e-6)
    # b = 0 with an uncertainty needs the truncated Gaussian
    assert poisson_upper_limit(0, 0.0, 1.0, cl, prior="truncnorm") == pytest.approx(-math.log(0.05), rel=1e-9)


def test_marginal_cdf_reduces_to_poisson():
    s = np.array([0.0, 0.5, 3.0])
    # exp of a log-sum of 5 terms vs scipy's incomplete gamma: both ~1 ulp per call, cond ~ln(cdf) ~1
    np.testing.assert_allclose(marginal_poisson_cdf(4, s, 2.0), stats.poisson.cdf(4, s + 2.0), rtol=rounding(ops=32))
    np.testing.assert_allclose(marginal_poisson_cdf(4, s, 2.0, 1e-7), stats.poisson.cdf(4, s + 2.0), rtol=1e-6)


def test_median_background_count():
    for b in (0.0, 0.5, 1.0, 2.5, 10.0, 33.3):
        n = median_background_count(b)
        assert stats.poisson.cdf(n, b) >= 0.5
        assert n == 0 or stats.poisson.cdf(n - 1, b) < 0.5
    # gamma prior: negative binomial median, checked against a numerical average
    b, sb = 5.0, 3.0
    n = median_background_count(b, sb)
    cdf = lambda m: integrate.quad(lambda x: stats.poisson.cdf(m, x) * stats.gamma.pdf(x, (b / sb) ** 2, scale=sb**2 / b), 0, 80)[0]  # noqa: E731
    assert cdf(n) >= 0.5 > cdf(n - 1)
    assert median_background_count(2.0, 1.0, prior="truncnorm") in (1, 2)


def test_expected_poisson_limit_is_limit_at_median_count():
    res = upper_limit(2.5, cl=0.9, method="poisson")
    assert res.n_obs is None
    assert res.s_up == pytest.approx(_cls_exact(2, 2.5, 0.9), rel=1e-8)


# ----------------------------------------------------------------------------- asymptotic


@pytest.mark.parametrize("cl", CLS)
@pytest.mark.parametrize("b", [100.0, 10.0, 1.0])
def test_asymptotic_median_matches_cowan_closed_form(cl, b):
    assert asymptotic_cls_limit(b, 0.0, cl) == pytest.approx(_asimov_closed_form(b, cl), rel=2e-4)


def test_asymptotic_large_b_gaussian_limit():
    b = 1.0e4
    z = stats.norm.ppf(1 - 0.025)
    assert asymptotic_cls_limit(b, 0.0, 0.95) / (z * math.sqrt(b)) == pytest.approx(1.0 + z / (3 * math.sqrt(b)), rel=2e-3)


@pytest.mark.parametrize("n", [80, 100, 125])
def test_asymptotic_observed_matches_closed_form(n):
    b, cl = 100.0, 0.95
    assert asymptotic_cls_limit(b, 0.0, cl, n_obs=n) == pytest.approx(_asymptotic_observed_closed_form(n, b, cl), rel=5e-4)


def test_asymptotic_undershoots_at_small_background():
    # b -> 0: q~_A -> 2 s, so s_up -> Phi^-1(1 - alpha/2)^2 / 2 = 1.92 at 95% (exact: 2.996)
    z95, z90 = stats.norm.ppf(0.975), stats.norm.ppf(0.95)
    s0 = asymptotic_cls_limit(0.0, 0.0, 0.95)
    assert s0 == pytest.approx(0.5 * z95**2, rel=1e-3)
    assert s0 == pytest.approx(1.92, abs=0.01)
    assert asymptotic_cls_limit(1e-3, 0.0, 0.95) < 2.3
    assert asymptotic_cls_limit(0.0, 0.0, 0.9) == pytest.approx(0.5 * z90**2, rel=1e-3)
    assert upper_limit(0.0, cl=0.95, method="poisson").s_up == pytest.approx(2.996, abs=1e-3)
    assert s0 < 0.7 * upper_limit(0.0, cl=0.95, method="poisson").s_up


def test_asymptotic_with_uncertainty():
    b = 100.0
    s0 = asymptotic_cls_limit(b, 0.0, 0.95)
    s10 = asymptotic_cls_limit(b, 10.0, 0.95)
    assert s10 > s0
    # Gaussian approximation: s_up ~ z sqrt(b + sigma_b^2) (profiling a Gaussian-like constraint)
    z = stats.norm.ppf(0.975)
    assert s10 == pytest.approx(z * math.sqrt(b + 10.0**2), rel=0.06)
    # and close to the Gamma-marginalised exact CLs at this size
    assert s10 == pytest.approx(upper_limit(b, 10.0, 0.95, method="poisson").s_up, rel=0.05)


# ----------------------------------------------------------------------------- toys


@pytest.mark.parametrize("cl", CLS)
@pytest.mark.parametrize("b,n", [(0.0, None), (1.0, None), (3.0, 1), (3.0, 6)])
def test_toys_match_exact_poisson(cl, b, n):
    n_eff = median_background_count(b) if n is None else n
    ref = _cls_exact(n_eff, b, cl)
    assert toys_cls_limit(b, 0.0, cl, n_obs=n, rng=np.random.default_rng(11)) == pytest.approx(ref, rel=0.04)


def test_toys_with_gamma_uncertainty_match_marginal_exact():
    b, sb, cl = 10.0, 3.0, 0.9
    ref = upper_limit(b, sb, cl, method="poisson").s_up
    assert toys_cls_limit(b, sb, cl, rng=np.random.default_rng(5)) == pytest.approx(ref, rel=0.04)


def test_toys_vs_asymptotic_large_b():
    b = 100.0
    for cl in CLS:
        toy = toys_cls_limit(b, 0.0, cl, rng=np.random.default_rng(3))
        # intrinsic difference ~2.4% (discreteness, see limits.py) + ~1% Monte Carlo error
        assert toy == pytest.approx(asymptotic_cls_limit(b, 0.0, cl), rel=0.05)


def test_toys_reproducible_and_seeded():
    a = toys_cls_limit(2.0, 0.0, 0.9, rng=np.random.default_rng(1), n_toys=5000)
    b = toys_cls_limit(2.0, 0.0, 0.9, rng=np.random.default_rng(1), n_toys=5000)
    c = toys_cls_limit(2.0, 0.0, 0.9, rng=np.random.default_rng(2), n_toys=5000)
    assert a == b
    assert c == pytest.approx(a, rel=0.1)
    r = upper_limit(2.0, cl=0.9, method="toys", rng=7, n_toys=5000)
    assert r.method_used == "toys" and "5000 toys" in r.reason


# ----------------------------------------------------------------------------- front door


def test_auto_choice_and_reason():
    low = upper_limit(1.0, cl=0.9)
    assert low.method_used == "poisson"
    assert "unreliable" in low.reason and f"{ASYMPTOTIC_MIN_BACKGROUND:g}" in low.reason
    assert low.s_up == pytest.approx(upper_limit(1.0, cl=0.9, method="poisson").s_up)
    high = upper_limit(100.0, cl=0.9)
    assert high.method_used == "asymptotic" and "auto" in high.reason
    weak = upper_limit(100.0, 100.0 / math.sqrt(ASYMPTOTIC_MIN_AUX) * 1.5, cl=0.9)
    assert weak.method_used == "poisson" and "constraint" in weak.reason
    assert isinstance(high, LimitResult) and high.cl == 0.9 and high.n_obs is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        high.s_up = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("cl", CLS)
def test_auto_threshold_keeps_asymptotic_within_5_percent(cl):
    b = ASYMPTOTIC_MIN_BACKGROUND
    exact = upper_limit(b, cl=cl, method="poisson").s_up
    asym = upper_limit(b, cl=cl, method="asymptotic").s_up
    assert abs(asym / exact - 1.0) < 0.055
    # ... whereas at a few events the asymptotic limit is > 10% too low
    assert upper_limit(2.0, cl=cl, method="asymptotic").s_up < 0.9 * upper_limit(2.0, cl=cl, method="poisson").s_up


def test_observed_limit_through_front_door():
    r = upper_limit(3.0, cl=0.95, n_obs=1)
    assert r.n_obs == 1 and r.s_up == pytest.approx(_cls_exact(1, 3.0, 0.95), rel=1e-8)
    assert upper_limit(3.0, cl=0.95, n_obs=1, method="neyman").s_up == pytest.approx(
        max(0.0, 0.5 * stats.chi2.ppf(0.95, 4) - 3.0), rel=1e-9
    )


def test_events_required_background_free():
    assert events_required_background_free(0.9) == pytest.approx(2.302585, abs=1e-6)
    assert events_required_background_free(0.95) == pytest.approx(2.995732, abs=1e-6)
    assert events_required_background_free(0.95, rule="3events") == 3.0
    assert events_required_background_free() == pytest.approx(2.995732, abs=1e-6)
    with pytest.raises(InputError) as err:
        events_required_background_free(0.9, rule="3events")
    assert err.value.parameter == "cl"
    with pytest.raises(InputError):
        events_required_background_free(0.95, rule="three")


def test_vectorised_and_cached():
    bs = np.array([0.0, 1.0, 25.0, 25.0])
    out = upper_limits(bs, 0.0, 0.9)
    assert out.shape == (4,)
    for bi, si in zip(bs, out):
        assert si == upper_limit(bi, cl=0.9).s_up
    t = time.perf_counter()
    upper_limit(25.0, cl=0.9)
    assert time.perf_counter() - t < 0.01  # served from the cache


def test_asymptotic_speed():
    asymptotic_cls_limit(47.0, 4.0, 0.9)  # warm-up: pyhf import, model construction
    t = time.perf_counter()
    asymptotic_cls_limit(53.1, 5.2, 0.9)
    assert time.perf_counter() - t < 0.5


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs,param",
    [
        ({"b": 1.0, "cl": 0.0}, "cl"),
        ({"b": 1.0, "cl": 1.0}, "cl"),
        ({"b": 1.0, "cl": 1.5}, "cl"),
        ({"b": 1.0, "cl": float("nan")}, "cl"),
        ({"b": -1.0}, "b"),
        ({"b": float("inf")}, "b"),
        ({"b": "ten"}, "b"),
        ({"b": 1.0, "sigma_b": -0.1}, "sigma_b"),
        ({"b": 1.0, "n_obs": -1}, "n_obs"),
        ({"b": 1.0, "n_obs": 1.5}, "n_obs"),
        ({"b": 1.0, "n_obs": True}, "n_obs"),
        ({"b": 1.0, "method": "bayes"}, "method"),
        ({"b": 1.0, "prior": "flat"}, "prior"),
        ({"b": 0.0, "sigma_b": 1.0}, "sigma_b"),  # Gamma prior needs b > 0
        ({"b": 0.0, "sigma_b": 1.0, "method": "asymptotic"}, "sigma_b"),
        ({"b": 1.0, "method": "toys", "rng": "seed"}, "rng"),
    ],
)
def test_bad_input_names_parameter(kwargs, param):
    with pytest.raises(InputError) as err:
        upper_limit(**kwargs)
    assert err.value.parameter == param
    assert isinstance(err.value, ValueError)
    assert str(err.value).startswith(param + ":")


def test_bad_input_messages_give_range():
    with pytest.raises(InputError, match=r"\(0, 1\)"):
        upper_limit(1.0, cl=2.0)
    with pytest.raises(InputError, match=">= 0"):
        upper_limit(-2.0)
    with pytest.raises(InputError, match="non-negative integer"):
        poisson_upper_limit(-1, 1.0)
    with pytest.raises(InputError):
        poisson_upper_limit(1, 1.0, kind="bayes")
    with pytest.raises(InputError):
        toys_cls_limit(1.0, n_toys=10)
