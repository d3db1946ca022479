"""Tolerances of numerical comparisons, derived from the conditioning of what is compared.

Two floating-point routes to the same number (a NumPy expression and its compiled copy, a closed
form and a quadrature, ...) differ by rounding.  Each IEEE operation contributes at most EPS/2
relative; a transcendental function contributes about one ulp, and which ulp depends on the
library (NumPy's AVX-512 log, exp, sin, pow, log1p, arcsin differ from libm's in ~1-10 % of
arguments, by one ulp).  An expression then amplifies the relative error of its inputs by its
condition number (for a sum: sum |terms| / |sum|; for f(x): |d ln f / d ln x|).

A relative tolerance is therefore ``ops * cond * EPS``: ``ops`` bounds the number of roundings and
function calls whose errors can add up, ``cond`` the largest amplification on the way.  Each use
states both, next to the assertion.
"""

from __future__ import annotations

import numpy as np

#: one ulp at 1 (2.2e-16)
EPS = float(np.finfo(float).eps)


def rounding(cond: float = 1.0, ops: float = 16.0) -> float:
    """Relative tolerance for two routes with at most ``ops`` roundings / 1-ulp function errors each,
    amplified by at most ``cond``: ``ops * cond * EPS``."""
    return float(ops) * float(cond) * EPS
