"""Fixed-order, vectorised Gauss-Legendre rules on (log-)mapped panels.

Every integral in the engine goes through these helpers so that "double every
quadrature order" is one knob (``order``) and the same rule is used for a whole
batch of (E, m, x, ...) points at once.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def gauss_legendre(n: int):
    """Nodes and weights of the n-point Gauss-Legendre rule on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(int(n))
    return 0.5 * (x + 1.0), 0.5 * w


def panel_nodes(lo, hi, n: int, breaks=(), log: bool = False):
    """Composite GL nodes on [lo, hi] split at ``breaks`` (clipped into the range).

    ``lo``, ``hi`` broadcast to a batch shape S; returns (nodes, weights) with
    shape S + (P*n,), P = len(breaks) + 1.  With ``log=True`` the rule is in
    ln(variable) and the weights include the Jacobian (weights sum to hi - lo).
    Zero-width panels (a break outside the range) get zero weight.
    """
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    lo, hi = np.broadcast_arrays(lo, hi)
    edges = [lo]
    for b in breaks:
        edges.append(np.clip(np.broadcast_to(np.asarray(b, float), lo.shape), lo, hi))
    edges.append(hi)
    edges = np.sort(np.stack(edges, axis=-1), axis=-1)
    if log:
        edges = np.log(edges)
    a, b = edges[..., :-1], edges[..., 1:]
    u, w = gauss_legendre(n)
    nodes = a[..., :, None] + (b - a)[..., :, None] * u
    weights = (b - a)[..., :, None] * w
    shape = lo.shape + (-1,)
    nodes = nodes.reshape(shape)
    weights = weights.reshape(shape)
    if log:
        nodes = np.exp(nodes)
        weights = weights * nodes
    return nodes, weights
