"""K+ -> mu+ nu_mu S with S radiated off the muon (arXiv:1807.03790 Sec. 4.4, Fig. 8b; E949 bound of Table 1).

The four-fermion interaction -(G_F/sqrt 2) V_us [s-bar gamma_a (1-g5) u][nu-bar gamma^a (1-g5) mu] + h.c. and
the kaon matrix element <0| s-bar gamma^a (1 - g5) u |K+(P)> = i f_K P^a (PDG convention, f_K ~ 156 MeV)
give for K+(P) -> mu+(p) nu(k)

    M_0 = (G_F/sqrt 2) V_us f_K u-bar(k) P-slash (1 - g5) v(p),
    sum|M_0|^2 = 2 G_F^2 |V_us|^2 f_K^2 m_mu^2 (m_K^2 - m_mu^2),
    Gamma_0 = G_F^2 |V_us|^2 f_K^2 m_K m_mu^2 (1 - m_mu^2/m_K^2)^2 / (8 pi).

With S(q) off the outgoing mu+ (vertex -i g_mu, propagator of the internal antimuon i(-p'-slash + m)/(p'^2 - m^2),
p' = p + q) and u-bar(k) k-slash = 0:

    M = (G_F/sqrt 2) V_us f_K g_mu u-bar(k) P-slash (1 - g5) (-p'-slash + m) v(p) / D,   D = p'^2 - m^2 = 2 p.q + m_S^2.

(1 - g5) X (1 + g5) keeps the odd part of X = (-p'-slash + m)(p-slash - m)(-p'-slash + m), which is V-slash with
V = (2 p.p' + 2 m^2) p' + (m^2 - p'^2) p, hence

    sum|M|^2 = (G_F^2 |V_us|^2 f_K^2 g_mu^2 / 2) (8 / D^2) [2 (k.P)(V.P) - m_K^2 (k.V)].

Gamma = 1/(2 m_K) int dPhi_3 sum|M|^2 over (E_S, s = (p + q)^2) (phasespace module).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import InputError
from ...particles import M_MU
from .inputs import F_K, G_F, HBAR_GEV_S, M_K, TAU_K, V_US
from .phasespace import Gram, dalitz_range, log_nodes, mdot, q_nodes, two_body_momentum

ORDERS = (24, 24)
_PREF = G_F ** 2 * V_US ** 2 * F_K ** 2


def width_k_total():
    """Total K+ width hbar / tau_K [GeV] (PDG 2024 mean life)."""
    return HBAR_GEV_S / TAU_K


def amp2_k_mu_nu(P, p, k):
    """sum|M_0|^2 of K+(P) -> mu+(p) nu(k) from explicit four-vectors: 8 (G_F V_us f_K)^2/2 [2(k.P)(p.P) - P^2 (k.p)]."""
    return 0.5 * _PREF * 8.0 * (2.0 * mdot(k, P) * mdot(p, P) - mdot(P, P) * mdot(k, p))


def k_mu_nu_s_kernel(P, p, q, m, m_S, dot):
    """(8 / D^2)[2 (k.P)(V.P) - P^2 (k.V)] with k = P - p - q (vectors + matching ``dot``, see fermi.fermi_terms)."""
    k = P - p - q
    pp = p + q
    d = dot(pp, pp) - m * m
    V = (2.0 * dot(p, pp) + 2.0 * m * m)[..., None] * pp + (m * m - dot(pp, pp))[..., None] * p
    return 8.0 * (2.0 * dot(k, P) * dot(V, P) - dot(P, P) * dot(k, V)) / d ** 2


def amp2_k_mu_nu_s(P, p, k, q, *, g_mu, m_S):
    """sum|M|^2 of K+(P) -> mu+(p) nu(k) S(q) from explicit four-vectors (P = p + k + q)."""
    del k  # fixed by momentum conservation; kept in the signature for the reader
    return 0.5 * _PREF * g_mu ** 2 * k_mu_nu_s_kernel(P, p, q, M_MU, m_S, mdot)


def width_k_mu_nu():
    """Tree-level Gamma(K+ -> mu+ nu) [GeV] from the same |M_0|^2 and constants: |p| sum|M_0|^2 / (8 pi m_K^2)."""
    pmag = float(two_body_momentum(M_K, M_MU, 0.0))
    P = np.array([M_K, 0.0, 0.0, 0.0])
    p = np.array([math.sqrt(pmag ** 2 + M_MU ** 2), 0.0, 0.0, pmag])
    k = np.array([pmag, 0.0, 0.0, -pmag])
    return float(pmag * amp2_k_mu_nu(P, p, k) / (8.0 * math.pi * M_K ** 2))


def width_k_mu_nu_closed():
    """Closed form G_F^2 |V_us|^2 f_K^2 m_K m_mu^2 (1 - m_mu^2/m_K^2)^2 / (8 pi) [GeV]."""
    return _PREF * M_K * M_MU ** 2 * (1.0 - M_MU ** 2 / M_K ** 2) ** 2 / (8.0 * math.pi)


def dwidth_dE_S_k(m_S: float, E_S, orders=ORDERS):
    """dGamma(K+ -> mu+ nu S)/dE_S at g_mu = 1 [GeV/GeV]."""
    M, m = M_K, M_MU
    E = np.atleast_1d(np.asarray(E_S, float))
    s_r = M * M + m_S * m_S - 2.0 * M * E
    d_lo, d_hi, _ = dalitz_range(M, s_r, m_S, m, 0.0)
    D, wD = log_nodes(d_lo, d_hi, orders[1])
    s1 = D + m * m
    sr = s_r[:, None]
    s_kq = M * M + m * m + m_S * m_S - sr - s1
    gram = np.zeros(s1.shape + (3, 3))
    gram[..., 0, 0], gram[..., 1, 1], gram[..., 2, 2] = M * M, m * m, m_S * m_S
    gram[..., 0, 1] = gram[..., 1, 0] = 0.5 * (M * M + m * m - s_kq)
    gram[..., 0, 2] = gram[..., 2, 0] = (M * E)[:, None]
    gram[..., 1, 2] = gram[..., 2, 1] = 0.5 * (s1 - m * m - m_S * m_S)
    g = Gram(gram)
    z = 0.0 * gram[..., 0]
    P, p, q = (v + z for v in np.eye(3))
    kern = 0.5 * _PREF * k_mu_nu_s_kernel(P, p, q, m, m_S, g.dot)
    # dGamma = 1/(2M) ds ds_r / (128 pi^3 M^2) |M|^2, ds_r = 2 M dE
    return np.sum(wD * kern, axis=-1) / (128.0 * math.pi ** 3 * M * M)


def width_k_mu_nu_s_unit(m_S: float, orders=ORDERS):
    """Gamma(K+ -> mu+ nu S) / g_mu^2 [GeV] for one S mass (0 for m_S >= m_K - m_mu)."""
    if not m_S > 0:
        raise InputError("m_S", f"must be > 0 GeV; got {m_S!r}")
    M, m = M_K, M_MU
    if m_S >= M - m:
        return 0.0
    e_max = (M * M + m_S * m_S - m * m) / (2.0 * M)
    q_max = math.sqrt(max(e_max * e_max - m_S * m_S, 0.0))
    qn, qw = q_nodes(q_max, m_S, orders[0])
    E = np.sqrt(qn * qn + m_S * m_S)
    return float(np.sum(qw * qn / E * dwidth_dE_S_k(m_S, E, orders)))
