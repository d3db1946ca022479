"""One mass point of a reach scan: its random stream, the provider's yield N(g, exposure) and the
limits found on it (:func:`run_point`, which a dask worker runs; :func:`make_point` and
:func:`point_rows` are its two halves, split so a serial scan can compute yields while the background
is estimated)."""

from __future__ import annotations

import math
import os
import time

import numpy as np

from ..stats.intervals import find_limits
from .table import NO_OBSERVATION, format_value

__all__ = ["mass_seeds", "make_point", "point_rows", "run_point"]


def mass_seeds(seed: int, n: int) -> list:
    """Per-mass streams: ``SeedSequence(seed).spawn(n)``, element i for mass index i."""
    return np.random.SeedSequence(seed).spawn(n)


def run_point(task: dict) -> dict:
    """Compute one mass point (all exposures); runs in the main process or on a dask worker.

    ``task``: a dict of :meth:`ScanPlan.tasks` (mass index and value, model, provider and its
    options, the setup -- loaded once with the config when the provider simulates it --, the
    mass's random stream, the N_req per exposure and the coupling grid).

    Besides the rows it returns its cost: ``seconds`` (wall), ``cpu_seconds`` (CPU of the whole
    process while it ran: on a dask worker this includes the worker's own threads -- event
    loop, heartbeats, monitors), ``thread_cpu_seconds`` (CPU of the computing thread alone),
    ``pid`` and the start/end times (``time.time()``) used for the scan's overhead accounting.
    """
    res = make_point(task)
    rows, notes = point_rows(task, res.pop("point"), task["required"])
    return {**res, "rows": rows, "warnings": notes}


def make_point(task: dict) -> dict:
    """The expensive part of a mass point: the provider's yield N(g, exposure) (``point``), with
    its cost; it does not need N_required (the background), so it can run while that is computed."""
    t_wall0 = time.time()
    t0 = time.perf_counter()
    c0 = time.process_time()
    th0 = time.thread_time()
    prov = task["provider"]
    point = prov.make(task["mass"], task["model"], task["options"], task["seed"], task["setup"])
    return {"index": task["index"], "point": point, "precision": dict(point.precision),
            "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "thread_cpu_seconds": time.thread_time() - th0, "pid": os.getpid(), "t_start": t_wall0,
            "t_end": time.time()}


def point_rows(task: dict, point, required: list) -> tuple[list, list]:
    """The rows of a mass point (one per exposure: the coupling where N(g) = N_required) and the
    root finder's warnings."""
    rows, notes = [], []
    for req in required:
        E = req.exposure

        def search(n_req):
            return find_limits(lambda g: point.events(g, E), n_req, task["g_min"], task["g_max"],
                               points_per_decade=task["points_per_decade"], upper_edge=point.upper_edge)

        res = search(req.n_required)
        n_eval = res.n_evaluations
        notes += [f"m = {task['mass']:.6g} GeV, exposure {E:.3g}: {w}" for w in res.warnings]
        if req.observed is None:
            obs = (math.nan, math.nan, NO_OBSERVATION)
        elif req.n_required_observed > 0:
            ro = search(req.n_required_observed)
            n_eval += ro.n_evaluations
            obs = (ro.lower, ro.upper, ro.status)
            notes += [f"m = {task['mass']:.6g} GeV, exposure {E:.3g}, observed: {w}" for w in ro.warnings]
        else:  # an empty classical (Neyman) interval: the count excludes even s = 0, so every coupling
            obs = (math.nan, math.nan, "below-range")
        info = ";".join(f"{k}={format_value(v)}" for k, v in sorted(point.info.items()))
        rows.append([task["index"], task["mass"], E, res.lower, res.upper, res.status, req.n_required,
                     *obs, req.n_required_observed, req.background, req.sigma_background, req.method, n_eval, info])
    if required and not np.any(np.asarray(point.events(np.array([task["g_max"]]), required[-1].exposure)) > 0):
        notes.append(f"m = {task['mass']:.6g} GeV: the yield is 0 at every coupling (no production: at or below "
                     "the threshold of the beam energy, or outside the provider's kinematic window)")
    return rows, notes
