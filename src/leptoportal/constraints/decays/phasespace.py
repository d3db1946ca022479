"""Phase-space integration shared by the decays (vectorised Gauss-Legendre; GeV units).

Three-body final states a + b + c from a parent of mass M at rest are integrated over the energy E_a of
particle a (the scalar S, with mass m_a) and the invariant s_ab = (p_a + p_b)^2:

    dPhi_3 = ds_ab ds_bc / (128 pi^3 M^2),   ds_bc = 2 M dE_a,   s_bc = M^2 + m_a^2 - 2 M E_a,

(PDG 2024 review "Kinematics", three-body decays).  Outer variable |q| = |p_a| on a linear panel [0, m_a],
logarithmic panels up to q_max / 2 (the soft 1/E_a enhancement) and a last panel q = q_max - (q_max/2) t^2
that absorbs the square-root end point.  The inner integral is in ln(s_ab - m_b^2) (and, for two emitters,
in ln(s_ac - m_c^2) on the upper half), which flattens the collinear 1/D and 1/D^2 peaks.

A Gram-matrix representation of four-vectors (coefficients on a basis and the matrix of the basis' scalar
products) lets the matrix elements be written once and evaluated either on explicit four-vectors (tests) or
directly on invariants (integrals), without building momenta in a frame.
"""

from __future__ import annotations

import math

import numpy as np

from ...quadrature import gauss_legendre, panel_nodes


def mdot(a, b):
    """Minkowski product (+,-,-,-) over the last axis."""
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


class Gram:
    """Scalar products of basis four-vectors; vectors are coefficient arrays (..., n_basis)."""

    def __init__(self, gram: np.ndarray):
        self.g = gram            # (..., n, n)

    def dot(self, u, v):
        return np.einsum("...i,...ij,...j->...", u, self.g, v)


def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def two_body_momentum(M, m1, m2):
    """|p| of a two-body decay M -> m1 m2 (0 below threshold)."""
    lam = kallen(np.asarray(M, float) ** 2, np.asarray(m1, float) ** 2, np.asarray(m2, float) ** 2)
    return np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * np.asarray(M, float))


def q_nodes(q_max: float, m_a: float, n: int):
    """Nodes/weights in |q| on [0, q_max]: linear [0, q_a], log panels to q_max/2, sqrt-mapped tail."""
    if q_max <= 0.0:
        return np.zeros(0), np.zeros(0)
    half = 0.5 * q_max
    q_a = min(m_a, half)
    u, w = gauss_legendre(n)
    xs, ws = [q_a * u], [q_a * w]
    if q_a < half:
        n_pan = max(1, math.ceil(math.log10(half / q_a)))
        x, wx = panel_nodes(q_a, half, n, breaks=[q_a * (half / q_a) ** (k / n_pan) for k in range(1, n_pan)],
                            log=True)
        xs.append(x), ws.append(wx)
    xs.append(q_max - half * u * u)             # t = u
    ws.append(q_max * u * w)
    return np.concatenate(xs), np.concatenate(ws)


def log_nodes(lo, hi, n: int, decades_per_panel: float = 2.0):
    """GL nodes in ln(x) on [lo, hi] (lo > 0; arrays of a common shape S): returns S + (P n,)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    ratio = np.where(hi > lo, hi / np.where(lo > 0, lo, 1.0), 1.0)
    n_pan = max(1, math.ceil(float(np.max(np.log10(ratio))) / decades_per_panel))
    breaks = [lo * ratio ** (k / n_pan) for k in range(1, n_pan)]
    return panel_nodes(lo, hi, n, breaks=breaks, log=True)


def dalitz_range(M, s_bc, m_a, m_b, m_c):
    """For fixed s_bc: (D_lo, D_hi, Dc_lo) with D = s_ab - m_b^2 on [D_lo, D_hi] and Dc_lo = min(s_ac - m_c^2).

    Written without the cancellation of E_a E_b - p_a p_b (rest frame of b + c).
    """
    rs = np.sqrt(s_bc)
    ea = (M * M - s_bc - m_a * m_a) / (2.0 * rs)
    eb = (s_bc + m_b * m_b - m_c * m_c) / (2.0 * rs)
    ec = (s_bc + m_c * m_c - m_b * m_b) / (2.0 * rs)
    pa = np.sqrt(np.clip(ea * ea - m_a * m_a, 0.0, None))
    pb = np.sqrt(np.clip(eb * eb - m_b * m_b, 0.0, None))
    # E_a E_b - p_a p_b = (m_a^2 E_b^2 + m_b^2 E_a^2 - m_a^2 m_b^2) / (E_a E_b + p_a p_b)
    lo_b = (m_a * m_a * eb * eb + m_b * m_b * ea * ea - m_a * m_a * m_b * m_b) / (ea * eb + pa * pb)
    lo_c = (m_a * m_a * ec * ec + m_c * m_c * ea * ea - m_a * m_a * m_c * m_c) / (ea * ec + pa * pb)
    d_lo = m_a * m_a + 2.0 * lo_b
    d_hi = m_a * m_a + 2.0 * (ea * eb + pa * pb)
    dc_lo = m_a * m_a + 2.0 * lo_c
    return d_lo, d_hi, dc_lo
