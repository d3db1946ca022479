"""mu- -> e- nu-bar_e nu_mu S and tau- -> mu- nu-bar_mu nu_tau S in Fermi theory (arXiv:1807.03790 Sec. 4.6).

Four-fermion interaction (V-A, charge-retention order, no Fierz needed)

    L = -(G_F / sqrt 2) [nu-bar_i gamma^a (1 - g5) l_i] [l-bar_f gamma_a (1 - g5) nu_f] + h.c.

and the scalar vertex -g_l S l-bar l of Eq. (2.1).  With l_i(P) -> nu_i(k1) l_f(p_f) nu-bar_f(k2) S(q) the two
diagrams (S off the initial lepton, S off the final lepton) are

    M = (G_F/sqrt 2) { g_i [u-bar(k1) g^a (1-g5) (P-slash - q-slash + M)/D_i u(P)] [u-bar(p_f) g_a (1-g5) v(k2)]
                     + g_f [u-bar(k1) g^a (1-g5) u(P)] [u-bar(p_f) (p_f-slash + q-slash + m)/D_f g_a (1-g5) v(k2)] },
    D_i = m_S^2 - 2 P.q,   D_f = m_S^2 + 2 p_f.q.

The chiral projectors keep only the odd part of the string between them, which is a single vector W in every
term (no epsilon tensors survive); each line becomes 2 Tr[k1 g^a W1 g^b (1-g5)] resp. 2 Tr[W2 g_a k2 g_b (1-g5)],
the contraction of the two traces is 256 (W1.k2)(W2.k1), and averaging over the initial spin (1/2) gives

    (1/2) sum_spins |M|^2 = 64 G_F^2 sum_t (W1_t . k2)(W2_t . k1),

    |S off l_i|^2:  W1 = g_i^2 [2 (a.P) a - a^2 P + M^2 (2a + P)] / D_i^2,  W2 = p_f,            a = P - q
    |S off l_f|^2:  W1 = P,  W2 = g_f^2 [2 (b.p_f) b - b^2 p_f + m^2 (2b + p_f)] / D_f^2,       b = p_f + q
    interference:   2 x  W1 = g_i M (2P - q) / D_i,  W2 = g_f m (2 p_f + q) / D_f.

Without S (W1 = P, W2 = p_f) this is the textbook spin-averaged 64 G_F^2 (P.k2)(p_f.k1).  The neutrino pair (Q = k1 + k2) is
integrated with int d^3k1/(2E1) d^3k2/(2E2) delta^4(Q - k1 - k2) k1^a k2^b = (pi/24)(Q^2 g^ab + 2 Q^a Q^b),
then Gamma = 1/(2M) int dQ^2/(2 pi) dPhi_3(P; p_f, q, Q) (1/(4 pi^2)) (pi/24) 64 G_F^2 sum_t [Q^2 W1.W2 +
2 (W1.Q)(W2.Q)], with nested Gauss-Legendre over E_S, Q and s = (p_f + q)^2.

G_F is the one extracted from the muon lifetime (inputs.G_F), so the muon-decay bound is a consistency estimate.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import InputError
from ...particles import M_E, M_MU, M_TAU
from ...quadrature import gauss_legendre
from .inputs import G_F
from .phasespace import Gram, dalitz_range, log_nodes, mdot, q_nodes, two_body_momentum

LEPTON_MASS = {"e": M_E, "mu": M_MU, "tau": M_TAU}
#: Gauss-Legendre orders (outer |q| per panel, pair mass Q, inner s); doubled in benchmarks/validate_decays.py
ORDERS = (24, 24, 24)
# (pi/24) / (4 pi^2) x 64 G_F^2: the neutrino-pair tensor integral with its 1/(2 pi)^2 and the |M|^2 prefactor
_NU_PAIR = 64.0 * G_F ** 2 * (math.pi / 24.0) / (4.0 * math.pi ** 2)


def fermi_f(x):
    """f(x) = 1 - 8x + 8x^3 - x^4 - 12 x^2 ln x of Gamma(l_i -> l_f nu nu) = G_F^2 M^5/(192 pi^3) f(m_f^2/M^2)."""
    x = np.asarray(x, float)
    return 1.0 - 8.0 * x + 8.0 * x ** 3 - x ** 4 - 12.0 * x * x * np.log(x)


def width_fermi_closed(parent: str, daughter: str):
    """Closed-form tree width Gamma(l_i -> l_f nu nu-bar) [GeV] = G_F^2 M^5/(192 pi^3) f(m^2/M^2)."""
    M, m = LEPTON_MASS[parent], LEPTON_MASS[daughter]
    return G_F ** 2 * M ** 5 / (192.0 * math.pi ** 3) * float(fermi_f(m * m / (M * M)))


def fermi_terms(P, pf, q, M, m, m_S, g_i, g_f, dot):
    """The (weight, W1, W2) terms of (1/2) sum|M|^2 = 64 G_F^2 sum_t weight (W1.k2)(W2.k1) (module docstring).

    Vectors are arrays (..., n) with last axis either Minkowski components (``dot`` = mdot) or Gram
    coefficients; ``dot`` is the matching scalar product.
    """
    out = []
    if g_i:
        a = P - q
        d_i = m_S * m_S - 2.0 * dot(P, q)
        ap, a2 = dot(a, P), dot(a, a)
        w1 = (2.0 * ap[..., None] * a - a2[..., None] * P + M * M * (2.0 * a + P)) * (g_i * g_i / d_i ** 2)[..., None]
        out.append((1.0, w1, pf))
    if g_f:
        b = pf + q
        d_f = dot(b, b) - m * m
        bp, b2 = dot(b, pf), dot(b, b)
        w2 = (2.0 * bp[..., None] * b - b2[..., None] * pf + m * m * (2.0 * b + pf)) * (g_f * g_f / d_f ** 2)[..., None]
        out.append((1.0, P, w2))
    if g_i and g_f:
        w1 = (2.0 * P - q) * (g_i * M / d_i)[..., None]
        w2 = (2.0 * pf + q) * (g_f * m / d_f)[..., None]
        out.append((2.0, w1, w2))
    return out


def amp2_fermi_s(P, pf, q, k1, k2, *, M, m, m_S, g_i, g_f):
    """(1/2) sum_spins |M|^2 (initial spin averaged) of l_i(P) -> nu_i(k1) l_f(pf) nu-bar_f(k2) S(q) from explicit
    four-vectors (..., 4)."""
    terms = fermi_terms(P, pf, q, M, m, m_S, g_i, g_f, mdot)
    return 64.0 * G_F ** 2 * sum(w * mdot(w1, k2) * mdot(w2, k1) for w, w1, w2 in terms)


def amp2_fermi(P, pf, k1, k2):
    """(1/2) sum_spins |M|^2 of l_i(P) -> nu_i(k1) l_f(pf) nu-bar_f(k2) without S: 64 G_F^2 (P.k2)(pf.k1)."""
    return 64.0 * G_F ** 2 * mdot(P, k2) * mdot(pf, k1)


def _pair_nodes(q_max, n):
    """Nodes in the nu nu-bar pair mass Q on [0, q_max] (arrays): Q = q_max (1 - t^2) (square-root end point)."""
    u, w = gauss_legendre(n)
    q_max = np.asarray(q_max, float)[..., None]
    return q_max * (1.0 - u * u), 2.0 * q_max * u * w


def width_fermi(parent: str, daughter: str, n: int = 48):
    """Gamma(l_i -> l_f nu nu-bar) [GeV] through the same pair-tensor integral and Q quadrature as the S width."""
    M, m = LEPTON_MASS[parent], LEPTON_MASS[daughter]
    Q, wQ = _pair_nodes(M - m, n)
    Q2 = Q * Q
    pdot = 0.5 * (M * M + m * m - Q2)
    gram = np.zeros(Q.shape + (2, 2))
    gram[..., 0, 0], gram[..., 1, 1] = M * M, m * m
    gram[..., 0, 1] = gram[..., 1, 0] = pdot
    g = Gram(gram)
    P, pf = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    Qv = P - pf
    kern = _NU_PAIR * (Q2 * g.dot(P, pf) + 2.0 * g.dot(P, Qv) * g.dot(pf, Qv))
    phi2 = two_body_momentum(M, m, Q) / (4.0 * math.pi * M)
    return float(np.sum(wQ * 2.0 * Q / (2.0 * math.pi) * phi2 * kern) / (2.0 * M))


def dwidth_dE_S(parent: str, daughter: str, m_S: float, E_S, g_i: float, g_f: float, orders=ORDERS):
    """dGamma/dE_S [GeV/GeV] of l_i -> l_f nu nu-bar S at S energies ``E_S`` (parent rest frame)."""
    return sum(_dwidth_dE_S_terms(parent, daughter, m_S, E_S, g_i, g_f, orders))


def _dwidth_dE_S_terms(parent, daughter, m_S, E_S, g_i, g_f, orders):
    """The terms of :func:`fermi_terms` (S off l_i, off l_f, interference; those with non-zero couplings)."""
    M, m = LEPTON_MASS[parent], LEPTON_MASS[daughter]
    E = np.atleast_1d(np.asarray(E_S, float))
    s_r = M * M + m_S * m_S - 2.0 * M * E                     # (p_f + Q)^2
    Q, wQ = _pair_nodes(np.sqrt(np.clip(s_r, 0, None)) - m, orders[1])      # (nE, nQ)
    s_r3 = s_r[:, None]
    d_lo, d_hi, _ = dalitz_range(M, s_r3, m_S, m, Q)
    D, wD = log_nodes(d_lo, d_hi, orders[2])                  # D = s - m^2, (nE, nQ, nS)
    s1 = D + m * m
    Q2 = (Q * Q)[..., None]
    sr = s_r3[..., None]
    s_qQ = M * M + m * m + m_S * m_S + Q2 - sr - s1           # (q + Q)^2
    gram = np.zeros(s1.shape + (3, 3))
    Pq = (M * E)[:, None, None] + 0.0 * s1
    Ppf = 0.5 * (M * M + m * m - s_qQ)
    pfq = 0.5 * (s1 - m * m - m_S * m_S)
    gram[..., 0, 0], gram[..., 1, 1], gram[..., 2, 2] = M * M, m * m, m_S * m_S
    gram[..., 0, 1] = gram[..., 1, 0] = Ppf
    gram[..., 0, 2] = gram[..., 2, 0] = Pq
    gram[..., 1, 2] = gram[..., 2, 1] = pfq
    g = Gram(gram)
    P, pf, q = np.eye(3)
    Qv = P - pf - q
    out = []
    for w, w1, w2 in fermi_terms(P + 0 * gram[..., 0], pf + 0 * gram[..., 0], q + 0 * gram[..., 0],
                                 M, m, m_S, g_i, g_f, g.dot):
        kern = w * (Q2 * g.dot(w1, w2) + 2.0 * g.dot(w1, Qv) * g.dot(w2, Qv))
        inner = np.sum(wD * kern, axis=-1) * _NU_PAIR / (128.0 * math.pi ** 3 * M * M)
        # dGamma = 1/(2M) dQ^2/(2pi) ds ds_r/(128 pi^3 M^2) ..., ds_r = 2 M dE, dQ^2 = 2 Q dQ
        out.append(np.sum(wQ * 2.0 * Q / (2.0 * math.pi) * inner, axis=-1))
    return out


def width_fermi_s(parent: str, daughter: str, m_S: float, g_i: float, g_f: float, orders=ORDERS):
    """Gamma(l_i -> l_f nu nu-bar S) [GeV] for one S mass, couplings g_i (to l_i) and g_f (to l_f).

    Zero for m_S >= M - m.  Nested Gauss-Legendre (|q|, Q, s); doubling the default orders changes the result
    by <= 1e-9 (benchmarks/validate_decays.py).
    """
    return sum(width_fermi_s_terms(parent, daughter, m_S, g_i, g_f, orders))


def width_fermi_s_terms(parent: str, daughter: str, m_S: float, g_i: float, g_f: float, orders=ORDERS):
    """The width split into its terms [S off l_i, S off l_f, interference] (only those with non-zero couplings)."""
    M, m = LEPTON_MASS[parent], LEPTON_MASS[daughter]
    if not m_S > 0:
        raise InputError("m_S", f"must be > 0 GeV; got {m_S!r}")
    n_terms = int(bool(g_i)) + int(bool(g_f)) + int(bool(g_i and g_f))
    if m_S >= M - m:
        return [0.0] * n_terms
    e_max = (M * M + m_S * m_S - m * m) / (2.0 * M)
    q_max = math.sqrt(max(e_max * e_max - m_S * m_S, 0.0))
    qn, qw = q_nodes(q_max, m_S, orders[0])
    E = np.sqrt(qn * qn + m_S * m_S)
    return [float(np.sum(qw * qn / E * t)) for t in _dwidth_dE_S_terms(parent, daughter, m_S, E, g_i, g_f, orders)]
