r"""Upper limits on the signal yield ``s`` of a single-bin counting experiment.

Model: the observed count is ``N ~ Poisson(s + b')`` where the background mean ``b'``
is known up to an absolute uncertainty ``sigma_b`` around its estimate ``b``.  Every
function returns an upper limit on ``s`` (in events) at confidence level ``cl``.

Methods
-------
``"poisson"``  exact CLs (Read 2002, J. Phys. G 28, 2693):
    CLs(s) = P(N <= n | s + b) / P(N <= n | b) = 1 - cl.
    For n = 0 this is exp(-s) = 1 - cl for every b (2.303 at 90%, 2.996 at 95%).
``"neyman"``  exact classical (Neyman) one-sided upper limit:
    P(N <= n | s + b) = 1 - cl,  i.e. s_up = chi2_{cl}(2n + 2) / 2 - b for sigma_b = 0,
    clipped at 0 (the interval is empty when the data are too low for the background).
``"asymptotic"``  CLs with the profile-likelihood test statistic q~_mu evaluated with the
    asymptotic formulae of Cowan, Cranmer, Gross and Vitells, EPJC 71 (2011) 1554, through
    ``pyhf`` (``pyhf.infer.hypotest``, ``test_stat="qtilde"``).  The background uncertainty
    is a Poisson-constrained nuisance (``shapesys``, as in
    ``pyhf.simplemodels.uncorrelated_background``) with auxiliary count tau = (b/sigma_b)^2.
``"toys"``  CLs with q~_mu (background fixed at its nominal ``b`` inside the statistic)
    and Monte-Carlo pseudo-experiments from a seeded :class:`numpy.random.Generator`.

Background uncertainty in the "poisson", "neyman" and "toys" methods is treated in the
Bayesian-hybrid (Cousins-Highland 1992) way: the Poisson probabilities are averaged over
a prior for ``b'``.  The default prior is a **Gamma** distribution with mean ``b`` and
standard deviation ``sigma_b`` (shape k = (b/sigma_b)^2, rate b/sigma_b^2); it is the
posterior (with a 1/b' reference prior) of the same auxiliary Poisson measurement, of
count k, that the asymptotic method profiles,
so the methods treat the uncertainty alike, and it has no mass at b' < 0.  With it the
background count is negative-binomial and the average is an exact finite sum.
``prior="truncnorm"`` selects a Gaussian truncated at b' = 0 (renormalised), integrated
by Gauss-Legendre quadrature; it is the one to use for ``b = 0, sigma_b > 0``, which the
Gamma prior cannot describe.

Expected (projected) limits
---------------------------
With ``n_obs=None`` the functions return the *median expected* limit under the
background-only hypothesis.  The limit is a non-decreasing function of n, so its median
is the limit at the median background-only count, ``median_background_count`` (exact
methods) or the median of the background-only toys ("toys").  The asymptotic method
uses the Asimov data set n = b (auxiliary data at nominal), whose observed CLs equals the
median expected CLs of the asymptotic formulae.  For sigma_b = 0 the asymptotic median
limit has the closed form (Cowan et al. 2011, Asimov q~_mu of a one-bin Poisson model)

    2 [ s - b ln(1 + s/b) ] = [Phi^{-1}(1 - alpha/2)]^2 ,   alpha = 1 - cl,

so s_up -> Phi^{-1}(1 - alpha/2) sqrt(b) for b >> 1 and s_up -> [Phi^{-1}(1-alpha/2)]^2/2
(1.92 at 95%, 1.35 at 90%) for b -> 0: far below the exact 2.996 / 2.303.  This is why
``method="auto"`` does not use the asymptotic method at small b.

The ``"auto"`` rule
-------------------
Asymptotic CLs is used only when ``b >= ASYMPTOTIC_MIN_BACKGROUND`` (= 20 expected events)
and, for sigma_b > 0, the auxiliary count ``(b/sigma_b)^2 >= ASYMPTOTIC_MIN_AUX`` (= 10,
i.e. sigma_b/b <= 32%); otherwise the exact Poisson CLs (background marginalised over the
prior) is used, which is exact for this model and costs milliseconds.  Measured median
limits for sigma_b = 0 (asymptotic relative to exact Poisson CLs, 90% / 95% CL):

    b      2       5       10      20      50      100     1000
         -15/-13  -10/-9  -7/-7   -5/-5   -3/-3   -2/-2   -0.8/-0.7   (%)

The asymptotic limit is always the lower (less conservative) one: by a nearly constant
~0.45-0.55 events at large b (the exact CLs of a discrete count carries the half-event
continuity correction the asymptotic formulae lack) and by much more as b -> 0.  The
threshold 20 keeps the difference at or below 5%.

Performance: one asymptotic limit is a secant root-find over ~4-8 ``pyhf`` hypotests
(~0.05 s for sigma_b = 0, ~0.1-0.3 s with sigma_b > 0); :func:`upper_limit` caches the deterministic methods, keyed by every input, so a reach
scan (one background per mass point) pays this once per distinct background.  The exact
Poisson methods take well under 10 ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats

from ..errors import InputError

__all__ = [
    "ASYMPTOTIC_MIN_AUX",
    "ASYMPTOTIC_MIN_BACKGROUND",
    "LimitResult",
    "asymptotic_cls_limit",
    "events_required_background_free",
    "marginal_poisson_cdf",
    "median_background_count",
    "poisson_upper_limit",
    "toys_cls_limit",
    "upper_limit",
    "upper_limits",
]

#: ``method="auto"`` uses the asymptotic formulae only from this expected background on.
ASYMPTOTIC_MIN_BACKGROUND = 20.0
#: ... and, with sigma_b > 0, only when the auxiliary count (b/sigma_b)^2 reaches this.
ASYMPTOTIC_MIN_AUX = 10.0

METHODS = ("auto", "asymptotic", "poisson", "neyman", "toys")
PRIORS = ("gamma", "truncnorm")
RULES = ("exact", "3events")

_DEFAULT_SEED = 0
_N_TRUNCNORM_NODES = 96
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_N_TRUNCNORM_NODES)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LimitResult:
    """An upper limit on the signal yield.

    Attributes
    ----------
    s_up : upper limit on the signal mean, in events.
    method_used : "asymptotic", "poisson", "neyman" or "toys".
    reason : why this method (and, for "auto", why it was chosen) in one sentence.
    cl : confidence level, e.g. 0.9.
    n_obs : the observed count used, or ``None`` for the median expected limit.
    b, sigma_b : the background and its absolute uncertainty.
    """

    s_up: float
    method_used: str
    reason: str
    cl: float
    n_obs: int | None = None
    b: float = 0.0
    sigma_b: float = 0.0


# --------------------------------------------------------------------------- validation


def _check_cl(cl) -> float:
    try:
        val = float(cl)
    except (TypeError, ValueError):
        raise InputError("cl", f"must be a number in the open interval (0, 1); got {cl!r}") from None
    if not (0.0 < val < 1.0):
        raise InputError("cl", f"must be in the open interval (0, 1), e.g. 0.9 or 0.95; got {cl!r}")
    return val


def _check_nonneg(name: str, x, what: str) -> float:
    try:
        val = float(x)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a finite number >= 0 ({what}); got {x!r}") from None
    if not (math.isfinite(val) and val >= 0.0):
        raise InputError(name, f"must be a finite number >= 0 ({what}); got {x!r}")
    return val


def _check_b(b) -> float:
    return _check_nonneg("b", b, "expected background events")


def _check_sigma(sigma_b) -> float:
    return _check_nonneg("sigma_b", sigma_b, "absolute background uncertainty in events")


def _check_n(n_obs, allow_none: bool = True) -> int | None:
    if n_obs is None and allow_none:
        return None
    bad = isinstance(n_obs, bool)
    try:
        val = float(n_obs)
    except (TypeError, ValueError):
        bad = True
        val = float("nan")
    if bad or not math.isfinite(val) or val < 0 or val != math.floor(val):
        hint = " or None for the median expected limit" if allow_none else ""
        raise InputError("n_obs", f"must be a non-negative integer count (0, 1, 2, ...){hint}; got {n_obs!r}")
    return int(val)


def _check_prior(prior: str, b: float, sigma_b: float) -> str:
    if prior not in PRIORS:
        raise InputError("prior", f"must be one of {PRIORS}; got {prior!r}")
    if prior == "gamma" and b == 0.0 and sigma_b > 0.0:
        raise InputError(
            "sigma_b",
            "must be 0 when b == 0 with the Gamma background prior (a Gamma with mean 0 "
            "and width > 0 does not exist); use prior='truncnorm' or b > 0",
        )
    return prior


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise InputError("method", f"must be one of {METHODS}; got {method!r}")
    return method


def _as_generator(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng(_DEFAULT_SEED)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InputError("rng", f"must be a numpy.random.Generator, a non-negative int seed or None; got {rng!r}")


# --------------------------------------------------------------------------- Poisson pieces


def _log_pois_cdf_all(nmax: int, lam):
    """log P(N <= m | lam) for m = 0..nmax (axis 0), exact in log space; broadcasts over lam."""
    lam = np.asarray(lam, float)
    k = np.arange(nmax + 1, dtype=float).reshape((-1,) + (1,) * lam.ndim)
    log_terms = special.xlogy(k, lam) - special.gammaln(k + 1.0) - lam
    return np.logaddexp.accumulate(log_terms, axis=0)


def _log_pois_cdf(n: int, lam):
    """log P(N <= n | lam), broadcasting over lam."""
    lam = np.asarray(lam, float)
    if n > 200_000:  # O(n) sum gets slow; scipy is accurate there except in extreme tails
        return stats.poisson.logcdf(n, lam)
    return _log_pois_cdf_all(n, lam)[-1]


def _gamma_params(b: float, sigma_b: float):
    """Shape k and negative-binomial p of the Gamma(mean b, sd sigma_b) background prior."""
    k = (b / sigma_b) ** 2
    rate = b / sigma_b**2
    return k, rate / (1.0 + rate)


def _truncnorm_nodes(b: float, sigma_b: float):
    lo = max(0.0, b - 9.0 * sigma_b)
    hi = b + 9.0 * sigma_b
    x = 0.5 * (hi - lo) * _GL_X + 0.5 * (hi + lo)
    logw = np.log(0.5 * (hi - lo) * _GL_W) + stats.norm.logpdf(x, b, sigma_b)
    return x, logw - special.logsumexp(logw)


def _log_marginal_cdf(n: int, s, b: float, sigma_b: float, prior: str):
    """log P(N <= n | s) averaged over the background prior; broadcasts over s."""
    s = np.asarray(s, float)
    if sigma_b == 0.0:
        return _log_pois_cdf(n, s + b)
    if prior == "gamma":
        k, p = _gamma_params(b, sigma_b)
        if k > 1e12:  # prior narrower than double precision can resolve: no uncertainty
            return _log_pois_cdf(n, s + b)
        j = np.arange(n + 1)
        log_nb = stats.nbinom.logpmf(j, k, p).reshape((-1,) + (1,) * s.ndim)
        log_ps = _log_pois_cdf_all(n, s)[::-1]  # index j -> log P(N_s <= n - j)
        return special.logsumexp(log_nb + log_ps, axis=0)
    x, logw = _truncnorm_nodes(b, sigma_b)
    lam = s[..., None] + x
    return special.logsumexp(logw + _log_pois_cdf(n, lam), axis=-1)


def marginal_poisson_cdf(n, s, b, sigma_b=0.0, prior="gamma"):
    """P(N <= n) for N ~ Poisson(s + b'), b' from the background prior (Cousins-Highland).

    ``sigma_b = 0`` gives the plain Poisson CDF.  Broadcasts over ``s``.
    """
    n = _check_n(n, allow_none=False)
    b, sigma_b = _check_b(b), _check_sigma(sigma_b)
    prior = _check_prior(prior, b, sigma_b)
    s = np.asarray(s, float)
    if np.any(~np.isfinite(s) | (s < 0)):
        raise InputError("s", "must be finite signal means >= 0")
    return np.exp(_log_marginal_cdf(n, s, b, sigma_b, prior))


def median_background_count(b, sigma_b=0.0, prior="gamma") -> int:
    """Median of the background-only count: smallest n with P(N <= n | s=0) >= 1/2."""
    b, sigma_b = _check_b(b), _check_sigma(sigma_b)
    prior = _check_prior(prior, b, sigma_b)
    if sigma_b == 0.0:
        return int(stats.poisson.ppf(0.5, b)) if b > 0 else 0
    if prior == "gamma":
        k, p = _gamma_params(b, sigma_b)
        if k <= 1e12:
            return int(stats.nbinom.ppf(0.5, k, p))
        return int(stats.poisson.ppf(0.5, b))
    lo, hi = 0, int(math.ceil(b + 12.0 * sigma_b + 12.0 * math.sqrt(b + 1.0) + 12.0))
    if _log_marginal_cdf(lo, 0.0, b, sigma_b, prior) >= math.log(0.5):
        return 0
    while hi - lo > 1:  # invariant: cdf(lo) < 1/2 <= cdf(hi)
        mid = (lo + hi) // 2
        if _log_marginal_cdf(mid, 0.0, b, sigma_b, prior) >= math.log(0.5):
            hi = mid
        else:
            lo = mid
    return hi


def _bracket_root(f, lo: float, hi: float, max_doublings: int = 60):
    """Double ``hi`` until f(hi) <= 0 (f decreasing, f(lo) > 0)."""
    for _ in range(max_doublings):
        if f(hi) <= 0.0:
            return lo, hi
        lo, hi = hi, 2.0 * hi
    raise RuntimeError("could not bracket the upper limit")  # pragma: no cover


def poisson_upper_limit(n_obs, b=0.0, sigma_b=0.0, cl=0.9, kind="cls", prior="gamma") -> float:
    """Exact upper limit on s for ``n_obs`` observed events over background b +- sigma_b.

    ``kind="cls"``: CLs = P(N <= n | s) / P(N <= n | 0) = 1 - cl (Read 2002).
    ``kind="neyman"``: classical, P(N <= n | s) = 1 - cl; returns 0 when even s = 0 is
    excluded (P(N <= n | 0) < 1 - cl, an empty interval).  Probabilities are averaged over
    the background prior (Gamma by default) when sigma_b > 0.  With b = 0 both equal
    chi2_{cl}(2n+2)/2: 2.303 (n=0, 90%), 2.996 (n=0, 95%), 3.890 (n=1, 90%).
    """
    n = _check_n(n_obs, allow_none=False)
    b, sigma_b, cl = _check_b(b), _check_sigma(sigma_b), _check_cl(cl)
    prior = _check_prior(prior, b, sigma_b)
    if kind not in ("cls", "neyman"):
        raise InputError("kind", f"must be 'cls' or 'neyman'; got {kind!r}")
    log_alpha = math.log1p(-cl)
    s_b0 = 0.5 * stats.chi2.ppf(cl, 2 * n + 2)  # the b = 0 limit (both kinds)
    if kind == "neyman":
        if sigma_b == 0.0:
            return max(0.0, float(s_b0 - b))
        log_p0 = float(_log_marginal_cdf(n, 0.0, b, sigma_b, prior))
        if log_p0 <= log_alpha:
            return 0.0

        def f(s):
            return float(_log_marginal_cdf(n, s, b, sigma_b, prior)) - log_alpha

    else:
        if n == 0:  # CLs = exp(-s) exactly, for any background and prior
            return float(-log_alpha)
        log_p0 = float(_log_marginal_cdf(n, 0.0, b, sigma_b, prior))

        def f(s):
            return float(_log_marginal_cdf(n, s, b, sigma_b, prior)) - log_p0 - log_alpha

    lo, hi = _bracket_root(f, 0.0, max(s_b0, 1e-3))
    return float(optimize.brentq(f, lo, hi, xtol=1e-10, rtol=1e-12))


# --------------------------------------------------------------------------- asymptotic (pyhf)


def _z_cls(cl: float) -> float:
    """Phi^{-1}(1 - alpha/2): the Asimov significance at which the median CLs = alpha."""
    return float(stats.norm.isf(0.5 * (1.0 - cl)))


def _asimov_guess(b: float, sigma_b: float, cl: float) -> float:
    """Closed-form median CLs limit for sigma_b = 0 (module docstring), widened by sigma_b."""
    z2 = _z_cls(cl) ** 2
    if b == 0.0:
        s0 = 0.5 * z2
    else:
        s0 = optimize.brentq(lambda s: 2.0 * (s - b * math.log1p(s / b)) - z2, 0.0, 10.0 * (z2 + math.sqrt(z2 * b)))
    return s0 * math.sqrt(1.0 + sigma_b**2 / max(b, 1e-12)) if sigma_b > 0 else s0


@lru_cache(maxsize=256)
def _pyhf_model(b: float, sigma_b: float, s_nom: float):
    import pyhf

    if sigma_b > 0.0:
        return pyhf.simplemodels.uncorrelated_background(signal=[s_nom], bkg=[b], bkg_uncertainty=[sigma_b], validate=False)
    spec = {
        "channels": [
            {
                "name": "counting",
                "samples": [
                    {"name": "signal", "data": [s_nom], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
                    {"name": "background", "data": [b], "modifiers": []},
                ],
            }
        ]
    }
    return pyhf.Model(spec, poi_name="mu", validate=False)


def asymptotic_cls_limit(b, sigma_b=0.0, cl=0.9, n_obs=None) -> float:
    """CLs upper limit on s with q~_mu and the asymptotic formulae, computed by ``pyhf``.

    ``n_obs=None`` gives the median expected limit (Asimov data n = b, auxiliary data at
    nominal); otherwise the observed limit.  sigma_b > 0 adds a Poisson-constrained
    background nuisance (``shapesys``; auxiliary count (b/sigma_b)^2).  The limit is the
    root of CLs(s) = 1 - cl found by Brent's method on ``pyhf.infer.hypotest`` (the POI is
    s / s_nom with s_nom the closed-form guess, so it stays of order one).
    """
    import pyhf

    b, sigma_b, cl = _check_b(b), _check_sigma(sigma_b), _check_cl(cl)
    n = _check_n(n_obs)
    if b == 0.0 and sigma_b > 0.0:
        raise InputError("sigma_b", "must be 0 when b == 0 for the asymptotic method (no auxiliary measurement of a zero background)")
    alpha = 1.0 - cl
    s_nom = _asimov_guess(b, sigma_b, cl) + (max(0.0, n - b) if n is not None else 0.0)
    s_nom = float(f"{s_nom:.3g}")  # round so the model cache is hit for nearby inputs
    model = _pyhf_model(b, sigma_b, s_nom)
    data = [float(b) if n is None else float(n)] + list(model.config.auxdata)
    bounds = [tuple(x) for x in model.config.suggested_bounds()]
    bounds[model.config.poi_index] = (0.0, 1e3)
    init = list(model.config.suggested_init())

    memo: dict[float, float] = {}

    def cls_at(s: float) -> float:
        if s not in memo:
            memo[s] = float(
                pyhf.infer.hypotest(
                    s / s_nom, data, model, init_pars=init, par_bounds=bounds, test_stat="qtilde", calctype="asymptotics"
                )
            )
        return memo[s]

    z_target = stats.norm.isf(0.5 * alpha)

    def g(s):  # Phi^-1(1 - CLs/2) - Phi^-1(1 - alpha/2): ~linear in s (= sqrt(q_A) - z at the median)
        if s <= 0.0:  # CLs(0) = 1 exactly; pyhf would divide by sqrt(q_A) = 0
            return -z_target
        return stats.norm.isf(0.5 * max(cls_at(s), 1e-300)) - z_target

    # secant from the closed-form guess converges in ~4 hypotests; bracketed Brent as fallback
    try:
        sol = optimize.root_scalar(g, method="secant", x0=s_nom, x1=1.05 * s_nom, xtol=1e-5 * s_nom, maxiter=30)
        if sol.converged and sol.root > 0.0 and abs(cls_at(sol.root) - alpha) < 1e-4 * alpha:
            return float(sol.root)
    except (ValueError, ArithmeticError):  # pragma: no cover - fall through to the bracketed search
        pass

    def f(s):
        return cls_at(s) - alpha

    lo, hi = 0.5 * s_nom, 1.5 * s_nom
    while f(lo) <= 0.0:  # observed limits can lie well below the guess (n_obs << b)
        hi, lo = lo, 0.5 * lo
        if lo < 1e-9 * s_nom:
            return 0.0
    lo, hi = _bracket_root(f, lo, hi)
    return float(optimize.brentq(f, lo, hi, xtol=1e-5 * s_nom, rtol=1e-6))


# --------------------------------------------------------------------------- toys


def _qtilde(n, s: float, b: float):
    """q~_mu of a one-bin Poisson model with the background fixed at b (Cowan et al. Eq. 16).

    The signal estimate s_hat = n - b is clipped at 0 (q~) and q = 0 for s_hat > s.
    """
    n = np.asarray(n, float)
    lam = s + b
    m = np.maximum(n, b)  # best-fit mean with s_hat >= 0
    q = 2.0 * (lam - m + special.xlogy(n, m) - special.xlogy(n, lam))
    return np.where(n >= lam, 0.0, np.maximum(q, 0.0))


def _sample_prior(rng: np.random.Generator, b: float, sigma_b: float, prior: str, size: int):
    if sigma_b == 0.0:
        return np.full(size, b)
    if prior == "gamma":
        k = (b / sigma_b) ** 2
        return rng.gamma(k, sigma_b**2 / b, size)
    return stats.truncnorm.rvs(-b / sigma_b, np.inf, loc=b, scale=sigma_b, size=size, random_state=rng)


def toys_cls_limit(b, sigma_b=0.0, cl=0.9, n_obs=None, rng=None, n_toys=40_000, prior="gamma") -> float:
    """CLs upper limit on s from pseudo-experiments, test statistic q~_mu.

    Two toy ensembles of size ``n_toys``: background-only and signal+background, the
    background mean of each toy drawn from the prior (Bayesian-hybrid).  The signal count
    of a toy is the number of arrivals of one unit-rate Poisson process in [0, s], so the
    ensemble is coupled across s (CLs(s) is monotone and the root-find is clean).  The
    expected limit uses the median count of the background-only toys.  ``rng=None`` uses
    a fixed seed (reproducible); pass a Generator for independent replicas.  The Monte
    Carlo error on s_up is about 1% for the default ``n_toys``.
    """
    b, sigma_b, cl = _check_b(b), _check_sigma(sigma_b), _check_cl(cl)
    n = _check_n(n_obs)
    prior = _check_prior(prior, b, sigma_b)
    if isinstance(n_toys, bool) or not isinstance(n_toys, (int, np.integer)) or n_toys < 100:
        raise InputError("n_toys", f"must be an integer >= 100; got {n_toys!r}")
    gen = _as_generator(rng)
    alpha = 1.0 - cl

    n_b = gen.poisson(_sample_prior(gen, b, sigma_b, prior, n_toys))  # background-only toys
    n_sb_bkg = gen.poisson(_sample_prior(gen, b, sigma_b, prior, n_toys))  # bkg part of s+b toys
    if n is None:
        n = int(np.quantile(n_b, 0.5, method="inverted_cdf"))

    # unit-rate Poisson process per toy; extended on demand
    arrivals = np.cumsum(gen.standard_exponential((n_toys, 16), dtype=np.float32), axis=1)

    def ensure(t: float):
        nonlocal arrivals
        while arrivals[:, -1].min() <= t:
            extra = gen.standard_exponential((n_toys, max(16, arrivals.shape[1])), dtype=np.float32)
            arrivals = np.concatenate([arrivals, arrivals[:, -1:] + np.cumsum(extra, axis=1)], axis=1)

    def cls(s: float) -> float:
        ensure(s)
        n_sb = n_sb_bkg + np.count_nonzero(arrivals <= s, axis=1)
        q_obs = _qtilde(n, s, b)
        p_sb = np.count_nonzero(_qtilde(n_sb, s, b) >= q_obs) / n_toys
        p_b = max(np.count_nonzero(_qtilde(n_b, s, b) >= q_obs), 1) / n_toys
        return p_sb / p_b

    def f(s):
        return cls(s) - alpha

    hi0 = 0.5 * stats.chi2.ppf(cl, 2 * n + 2) + 3.0 * sigma_b
    lo, hi = _bracket_root(f, 0.0, hi0)
    return float(optimize.brentq(f, lo, hi, xtol=1e-4 * hi0, rtol=1e-6))


# --------------------------------------------------------------------------- front door


def _auto_choice(b: float, sigma_b: float) -> tuple[str, str]:
    if b < ASYMPTOTIC_MIN_BACKGROUND:
        return "poisson", (
            f"auto: b = {b:.4g} < {ASYMPTOTIC_MIN_BACKGROUND:g} expected events, where the asymptotic "
            "formulae are unreliable (too low as b -> 0); exact Poisson CLs used"
        )
    if sigma_b > 0.0 and (b / sigma_b) ** 2 < ASYMPTOTIC_MIN_AUX:
        return "poisson", (
            f"auto: background constraint too weak for asymptotics ((b/sigma_b)^2 = {(b / sigma_b) ** 2:.3g} "
            f"< {ASYMPTOTIC_MIN_AUX:g}); exact Poisson CLs with Gamma-marginalised background used"
        )
    return "asymptotic", (
        f"auto: b = {b:.4g} >= {ASYMPTOTIC_MIN_BACKGROUND:g} expected events"
        + ("" if sigma_b == 0 else f" and (b/sigma_b)^2 = {(b / sigma_b) ** 2:.3g} >= {ASYMPTOTIC_MIN_AUX:g}")
        + ": asymptotic CLs (q~_mu, pyhf) is within ~5% of exact there"
    )


_REASONS = {
    "asymptotic": "requested: CLs with q~_mu in the asymptotic approximation (pyhf)",
    "poisson": "requested: exact Poisson CLs",
    "neyman": "requested: exact classical (Neyman) Poisson upper limit",
    "toys": "requested: toy-based CLs with q~_mu",
}


@lru_cache(maxsize=8192)
def _cached_limit(b: float, sigma_b: float, cl: float, method: str, n: int | None, prior: str) -> float:
    if method == "asymptotic":
        return asymptotic_cls_limit(b, sigma_b, cl, n)
    n_eff = median_background_count(b, sigma_b, prior) if n is None else n
    return poisson_upper_limit(n_eff, b, sigma_b, cl, kind="cls" if method == "poisson" else "neyman", prior=prior)


def upper_limit(b, sigma_b=0.0, cl=0.9, method="auto", n_obs=None, rng=None, *, prior="gamma", n_toys=40_000) -> LimitResult:
    """Upper limit on the signal yield s (events) of a one-bin counting experiment.

    Parameters
    ----------
    b : expected background events (>= 0).
    sigma_b : absolute uncertainty on b (>= 0).
    cl : confidence level in (0, 1).
    method : "auto" | "asymptotic" | "poisson" (exact CLs) | "neyman" | "toys".
        "auto" takes "asymptotic" when b >= ASYMPTOTIC_MIN_BACKGROUND and (sigma_b = 0 or
        (b/sigma_b)^2 >= ASYMPTOTIC_MIN_AUX), else "poisson"; ``reason`` says which and why.
    n_obs : observed count; ``None`` gives the median expected (projected) limit.
    rng : Generator / seed for ``method="toys"`` (None: fixed seed 0).
    prior : background prior of the exact and toy methods, "gamma" (default) or "truncnorm".

    Deterministic methods are cached (keyed by every argument).
    """
    b, sigma_b, cl = _check_b(b), _check_sigma(sigma_b), _check_cl(cl)
    n = _check_n(n_obs)
    method = _check_method(method)
    if prior not in PRIORS:
        raise InputError("prior", f"must be one of {PRIORS}; got {prior!r}")
    if method == "auto":
        used, reason = _auto_choice(b, sigma_b)
    else:
        used, reason = method, _REASONS[method]
    if used != "asymptotic":
        _check_prior(prior, b, sigma_b)
        if sigma_b > 0:
            reason += f"; background marginalised with a {'Gamma' if prior == 'gamma' else 'truncated-Gaussian'} prior"
    if n is None:
        reason += "; median expected limit"
    if used == "toys":
        s_up = toys_cls_limit(b, sigma_b, cl, n, rng=rng, n_toys=n_toys, prior=prior)
        reason += f" ({n_toys} toys per hypothesis)"
    else:
        s_up = _cached_limit(b, sigma_b, cl, used, n, prior)
    return LimitResult(s_up=s_up, method_used=used, reason=reason, cl=cl, n_obs=n, b=b, sigma_b=sigma_b)


def upper_limits(b, sigma_b=0.0, cl=0.9, method="auto", n_obs=None, rng=None, *, prior="gamma", n_toys=40_000):
    """Vectorised :func:`upper_limit`: broadcasts ``b``, ``sigma_b`` (and ``n_obs`` if given)
    and returns an array of s_up.  Repeated inputs are served from the cache."""
    b_arr = np.asarray(b, float)
    sb_arr = np.asarray(sigma_b, float)
    if n_obs is None:
        b_arr, sb_arr = np.broadcast_arrays(b_arr, sb_arr)
        n_arr = np.full(b_arr.shape, None, dtype=object)
    else:
        b_arr, sb_arr, n_arr = np.broadcast_arrays(b_arr, sb_arr, np.asarray(n_obs, dtype=object))
    gen = _as_generator(rng) if method == "toys" else None
    out = np.empty(b_arr.shape)
    for idx in np.ndindex(b_arr.shape):
        out[idx] = upper_limit(
            b_arr[idx], sb_arr[idx], cl, method, n_arr[idx], gen, prior=prior, n_toys=n_toys
        ).s_up
    return out


def events_required_background_free(cl=0.95, rule="exact") -> float:
    """Signal events needed for an exclusion at ``cl`` with zero background and zero observed.

    ``rule="exact"``: the Poisson (= CLs = Neyman) limit for n = 0, b = 0, -ln(1 - cl):
    2.303 at 90% CL, 2.996 at 95% CL.  ``rule="3events"``: the literal "N >= 3 events,
    95% CL" rule of the NA64-mu paper (the exact 2.996 rounded up); only defined at cl = 0.95.
    """
    cl = _check_cl(cl)
    if rule not in RULES:
        raise InputError("rule", f"must be one of {RULES}; got {rule!r}")
    if rule == "3events":
        if not math.isclose(cl, 0.95, abs_tol=1e-12):
            raise InputError("cl", f"the '3events' rule is the 95% CL rule: cl must be 0.95 with rule='3events'; got {cl!r}")
        return 3.0
    return float(-math.log1p(-cl))
