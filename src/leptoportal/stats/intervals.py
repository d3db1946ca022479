r"""The coupling interval where an expected yield N(g) exceeds the events excluded at a CL.

f(t) = ln N(10^t) - ln N_req on t = log10 g over [coupling.min, coupling.max]:

1. f is evaluated on a grid of ``points_per_decade`` points per decade (one vectorised
   provider call);
2. the first upward crossing (f < 0 -> f >= 0) is refined with Brent's method
   (``scipy.optimize.brentq``, |dt| <= 1e-10): the lower edge of the excluded region,
   ``coupling_limit``;
3. the next downward crossing above it, refined the same way, is the upper edge
   ``coupling_upper_edge`` (e.g. the scalar decaying visibly before the detector at large
   coupling).  It is looked for whenever the grid shows one; a provider that declares
   ``upper_edge=False`` but shows one gets a warning in reach.json.

An excluded window narrower than the grid spacing (1/points_per_decade decades) can be
missed by step 1; raise ``coupling.points_per_decade`` for yields with sharp features.

Statuses: ``excluded`` (lower edge found), ``excluded-window`` (lower and upper edges),
``not-excluded`` (N < N_req over the whole range: no limit, coupling columns are nan),
``below-range`` (N >= N_req already at coupling.min: the limit lies below the range).

"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..errors import InputError

__all__ = ["LimitSearch", "find_limits"]


@dataclass(frozen=True)
class LimitSearch:
    """Result of :func:`find_limits`: edges (nan if absent), status, evaluations, warnings."""

    lower: float
    upper: float
    status: str
    n_evaluations: int
    warnings: tuple = ()


def find_limits(events, n_required: float, g_min: float, g_max: float, *, points_per_decade: int = 8,
                upper_edge: bool = False, xtol: float = 1e-10) -> LimitSearch:
    """Couplings where ``events(g)`` crosses ``n_required`` (module docstring, steps 1-3).

    ``events``: callable mapping a 1-d array of couplings to expected events (same shape).
    Returns the lower edge of the first excluded interval and its upper edge (nan when the
    yield stays above ``n_required`` up to ``g_max``).
    """
    if not (n_required > 0 and math.isfinite(n_required)):
        raise InputError("n_required", f"must be a finite number of events > 0; got {n_required!r}")
    if not (0 < g_min < g_max and math.isfinite(g_max)):
        raise InputError("coupling", f"need 0 < min < max < inf; got min={g_min!r}, max={g_max!r}")
    lo, hi = math.log10(g_min), math.log10(g_max)
    n = max(2, int(math.ceil((hi - lo) * points_per_decade)) + 1)
    t = np.linspace(lo, hi, n)
    count = [0]
    log_req = math.log(n_required)

    def evaluate(tt: np.ndarray) -> np.ndarray:
        g = 10.0 ** np.asarray(tt, float)
        val = np.asarray(events(g), float)
        count[0] += g.size
        if val.shape != g.shape:
            raise RuntimeError(f"yield provider returned shape {val.shape} for {g.shape} couplings")
        if not np.all(np.isfinite(val)) or np.any(val < 0):
            bad = g[~(np.isfinite(val) & (val >= 0))][0]
            raise RuntimeError(f"yield provider returned a negative or non-finite yield at g = {bad:.6g}")
        return np.log(np.maximum(val, 1e-300)) - log_req

    def f(x: float) -> float:
        return float(evaluate(np.array([x]))[0])

    fv = evaluate(t)
    above = fv >= 0.0
    notes = []
    if not above.any():
        return LimitSearch(math.nan, math.nan, "not-excluded", count[0])
    if above[0]:
        i = 0
        lower = math.nan
        status = "below-range"
        notes.append(f"yield >= N_req already at coupling.min = {g_min:.3g}: the limit lies below the scan range")
    else:
        i = int(np.argmax(above))
        lower = 10.0 ** optimize.brentq(f, t[i - 1], t[i], xtol=xtol, rtol=4 * np.finfo(float).eps)
        status = "excluded"
    rest = ~above[i:]
    upper = math.nan
    if rest.any():
        j = i + int(np.argmax(rest))
        upper = 10.0 ** optimize.brentq(f, t[j - 1], t[j], xtol=xtol, rtol=4 * np.finfo(float).eps)
        if status == "excluded":
            status = "excluded-window"
        if not upper_edge:
            notes.append(f"yield falls below N_req again above g = {upper:.4g} although the provider declared "
                         "a monotonic yield")
        if above[j:].any():
            notes.append("more than one excluded coupling interval: only the lowest is reported")
    return LimitSearch(lower, upper, status, count[0], tuple(notes))
