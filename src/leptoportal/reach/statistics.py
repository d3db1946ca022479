"""The statistics of a reach scan, once per exposure: the background model of the config and the
signal yield N_req it takes to exclude (median expected and, with ``observed_events``, observed);
docs/reach.md "Statistics".  :class:`BackgroundThread` runs the background estimate beside a
serial scan."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import ReachConfig

__all__ = ["STATS_TAG", "BackgroundThread", "RequiredSignal", "background_model", "observed_count", "required_signal"]

STATS_TAG = 0x5E1EC7  # entropy word separating the statistics stream from the mass streams


@dataclass(frozen=True)
class RequiredSignal:
    """Signal events excluded at the CL for one exposure, with the method used and why:
    ``n_required`` for the median expected limit and, when the run states its observed events
    (``observed``), ``n_required_observed`` for the observed limit (nan without an observation)."""

    exposure: float
    n_required: float
    background: float
    sigma_background: float
    method: str
    reason: str
    observed: int | None = None
    n_required_observed: float = math.nan
    reason_observed: str = ""


def background_model(cfg: ReachConfig, report=None) -> dict:
    """Background per unit exposure and its relative uncertainty, from the config.

    ``fixed``: the configured number.  ``na64e-estimate``:
    ``leptoportal.analysis.backgrounds.estimate(setup, eot=..., seed=...)``'s
    ``total_after_cuts_per_eot``, its statistical uncertainty ``total_after_cuts_per_eot_err``
    added in quadrature to ``sigma_rel`` (the setup as loaded with the config, else by name).
    Returns ``{per_exposure, sigma_rel, source, detail}``.
    """
    bg = cfg.background
    if bg["source"] == "none":
        return {"per_exposure": 0.0, "sigma_rel": 0.0, "source": "none", "detail": "background-free"}
    if bg["source"] == "fixed":
        return {"per_exposure": bg["per_exposure"], "sigma_rel": bg["sigma_rel"], "source": "fixed",
                "detail": bg.get("reference", "")}
    from ..analysis.backgrounds import estimate

    extra = {k: bg[k] for k in ("hadron_decays", "max_dimuon_events", "n_showers") if k in bg}
    if report is not None:
        extra["report"] = report
    res = estimate(setup=cfg.setup_or_name(), eot=bg["eot"], seed=bg["seed"], **extra)
    per = float(res.total_after_cuts_per_eot)
    if not (math.isfinite(per) and per >= 0):
        raise RuntimeError(f"background estimate returned {per!r} events per EOT")
    stat_rel = float(res.total_after_cuts_per_eot_err) / per if per > 0 else 0.0
    detail = {k: v for k, v in res.to_dict().items() if k not in ("table", "details")}
    return {"per_exposure": per, "sigma_rel": math.hypot(stat_rel, bg["sigma_rel"]), "source": "na64e-estimate",
            "detail": detail}


def observed_count(cfg: ReachConfig, exposure: float) -> int | None:
    """The events observed at ``exposure`` (``observed_events``), or None (no observation)."""
    if cfg.observed_events is None or exposure not in cfg.exposures:
        return None
    return cfg.observed_events[cfg.exposures.index(exposure)]


def required_signal(cfg: ReachConfig, exposure: float, bkg: dict) -> RequiredSignal:
    """N_req at ``exposure``: the CL upper limit on the signal yield (stats.limits) or the
    background-free rule (``events_required_background_free``) -- the median expected one and,
    when the config states the events observed there, the observed one with the same method,
    rule, CL, background and (toys) the same pseudo-experiments.

    Observed, background free (b = 0): the exact Poisson limit for n observed events,
    N = chi2_CL(2n + 2) / 2 (Read 2002; = -ln(1 - CL) for n = 0, the expected value); the
    '3events' rule is the NA64-mu paper's n = 0 rule and is only accepted with n = 0 (config)."""
    # imported here, not at module level: the engine imports this module and dask workers import the
    # engine's modules; they do not
    # need scipy.stats (0.4 s of CPU per worker process)
    from ..stats import events_required_background_free, poisson_upper_limit, upper_limit

    st = cfg.statistics
    n_obs = observed_count(cfg, exposure)
    if st["method"] == "background-free":
        n = events_required_background_free(cfg.cl, rule=st["rule"])
        why = ("NA64-mu paper rule: >= 3 signal events, background free, 95% CL" if st["rule"] == "3events"
               else f"background free, no event observed: N = -ln(1 - CL) = {n:.4g}")
        obs, why_obs = math.nan, ""
        if n_obs is not None:
            if st["rule"] == "3events":  # the config accepts only n_obs = 0 with this rule
                obs, why_obs = n, "0 events observed: the NA64-mu paper rule, >= 3 signal events, 95% CL"
            else:
                obs = poisson_upper_limit(n_obs, 0.0, 0.0, cfg.cl, kind="cls")
                why_obs = (f"background free, {n_obs} event(s) observed: exact Poisson limit "
                           f"N = chi2_CL(2n+2)/2 = {obs:.4g}")
        return RequiredSignal(exposure, n, 0.0, 0.0, f"background-free ({st['rule']})", why, n_obs, obs, why_obs)
    b = bkg["per_exposure"] * exposure
    sb = bkg["sigma_rel"] * b

    def limit(n):  # every call draws its toys from the same stream: expected and observed share them
        rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, STATS_TAG]))
        return upper_limit(b, sb, cfg.cl, method=st["method"], n_obs=n, rng=rng, prior=st["prior"],
                           n_toys=st["n_toys"])

    res = limit(None)
    obs, why_obs = math.nan, ""
    if n_obs is not None:
        ro = limit(n_obs)
        if ro.method_used != res.method_used:  # "auto" decides from b and sigma_b alone
            raise RuntimeError(f"observed limit used {ro.method_used}, expected {res.method_used}")
        obs, why_obs = ro.s_up, f"{n_obs} event(s) observed; " + ro.reason
        if obs == 0.0:
            why_obs += ("; the interval is empty (the count lies too far below the background): the data exclude "
                        "even s = 0, so status_observed is below-range at every mass")
    return RequiredSignal(exposure, res.s_up, b, sb, res.method_used, res.reason, n_obs, obs, why_obs)


class BackgroundThread:
    """The background estimate computed in a thread while a serial scan computes its mass points
    (the estimate's own Monte Carlo runs in worker processes, so the two overlap on the cores)."""

    def __init__(self, cfg, report):
        import threading

        self.result, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(cfg, report), daemon=True, name="background")
        self.thread.start()

    def _run(self, cfg, report):
        try:
            self.result = background_model(cfg, report)
        except BaseException as exc:  # re-raised in the scan's thread by get()
            self.error = exc

    def get(self) -> dict:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result
