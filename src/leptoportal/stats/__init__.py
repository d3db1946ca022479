"""Statistics layer: upper limits on a signal yield for a single-bin counting experiment.

Quick start::

    from leptoportal.stats import upper_limit, events_required_background_free
    res = upper_limit(b=0.5, sigma_b=0.2, cl=0.9)          # expected (median) limit
    res.s_up, res.method_used, res.reason
    upper_limit(b=0.5, cl=0.9, n_obs=0).s_up                # observed limit
    events_required_background_free(0.95)                   # 2.996 (= -ln 0.05)
    events_required_background_free(0.95, rule="3events")   # 3.0, the NA64-mu rule

See :mod:`leptoportal.stats.limits` for the methods and conventions, and
:mod:`leptoportal.stats.intervals` (``find_limits``) for the coupling where an expected yield
N(g) reaches the excluded number of events.
"""

from .intervals import LimitSearch, find_limits

#: the names of :mod:`.limits` (scipy.stats and pyhf: ~0.8 s to import), loaded on first use so that
#: importing the package -- e.g. for ``find_limits`` on a dask worker -- stays light
_LIMITS = ("ASYMPTOTIC_MIN_AUX", "ASYMPTOTIC_MIN_BACKGROUND", "LimitResult", "asymptotic_cls_limit",
           "events_required_background_free", "marginal_poisson_cdf", "median_background_count",
           "poisson_upper_limit", "toys_cls_limit", "upper_limit", "upper_limits")

__all__ = [*_LIMITS, "LimitSearch", "find_limits"]


def __getattr__(name):
    if name in _LIMITS:
        from . import limits

        return getattr(limits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
