"""Z -> gamma S (lepton loop) and Z -> tau+ tau- S (arXiv:1807.03790 Sec. 4.5, Table 1).

Z-lepton vertex: L > -(g/(2 c_W)) l-bar gamma^mu (g_V - g_A g5) l Z_mu with g_V = -1/2 + 2 sin^2 theta_eff,
g_A = -1/2 and (g/(2 c_W))^2 = sqrt 2 G_F M_Z^2 (inputs.G_Z_HALF_SQ; G_F scheme, tree level).

Z -> tau tau (normalisation):  sum|M_0|^2 = 4 c^2 [g_V^2 (M^2 + 2 m^2) + g_A^2 (M^2 - 4 m^2)],
Gamma = c^2 M beta/(12 pi) [g_V^2 (1 + 2 m^2/M^2) + g_A^2 beta^2].

Z(P) -> tau-(p1) tau+(p2) S(q), S off either tau:
    M = c g_tau eps_mu u-bar(p1) [(p1+q-slash + m) g^mu (g_V - g_A g5)/D1 + g^mu (g_V - g_A g5)(-p2-q-slash + m)/D2] v(p2),
    D1 = (p1+q)^2 - m^2,  D2 = (p2+q)^2 - m^2.
The V-A interference has one g5 and only three independent momenta after the polarisation sum
(-g + P P/M^2): it vanishes.  The axial part becomes g5-free by moving g5 to the right
(g^mu g5 (-k2-slash + m) = g^mu (k2-slash + m) g5, and g5 (p2-slash - m) g5 = -(p2-slash + m)), so

    sum|M|^2 = c^2 g_tau^2 [g_V^2 X_V + g_A^2 X_A],
    X_V = Tr[(p1+m) G_V (p2-m) G_V-bar],  G_V = (k1+m) eps/D1 + eps (-k2+m)/D2,
    X_A = Tr[(p1+m) G_A (p2+m) G_A-bar],  G_A = (k1+m) eps/D1 + eps (k2+m)/D2,   k_i = p_i + q,

summed with -g + P P / M^2.  The trace theorems give (derivation in docs/constraints.md):

    X_V = 8 + 4 (D1/D2 + D2/D1) + 8 (4m^2 - m_S^2)(1/D1 + 1/D2) + 4 (4m^2 - m_S^2)(M^2 + 2m^2)(1/D1^2 + 1/D2^2)
          + 8 (4 M^2 m^2 + 8 m^4 - 6 m^2 m_S^2 + m_S^4) / (D1 D2)
    X_A = 4 (D1/D2 + D2/D1)(1 - 2m^2/M^2) - 8 (D1 + D2)/M^2 - 8 (2m^2 - m_S^2)/M^2 - 8 (8m^2 - m_S^2)(1/D1 + 1/D2)
          + 4 (4m^2 - m_S^2)(M^2 - 4m^2)(1/D1^2 + 1/D2^2) + 8 (4 M^2 m^2 - 16 m^4 + 8 m^2 m_S^2 - m_S^4)/(D1 D2)

Gamma = (1/3) 1/(2M) int ds1 ds_r/(128 pi^3 M^2) sum|M|^2 (outer E_S, inner ln D1 / ln D2 halves).

Z -> gamma S: the lepton triangle with one on-shell photon and the Z as the "virtual photon" of virtuality
q^2 = M_Z^2: the paper's F_1/2(tau, rho) of Eq. (A.1) (leptoportal.models.leptophilic.loop_f12) with one
photon vertex e Q_l replaced by c g_V (only the vector coupling contributes, Furry/C):

    M = A (k.P g^{mu nu} - P^mu k^nu) eps*_gamma,mu eps_Z,nu,
    A = (e c g_V / (8 pi^2)) sum_l (g_l/m_l) F_1/2(4 m_l^2/m_S^2, M_Z^2/(4 m_l^2))     (e = sqrt(4 pi alpha(0))),
    Gamma(Z -> gamma S) = |A|^2 (M_Z^2 - m_S^2)^3 / (96 pi M_Z^3).

F_1/2(tau, rho) = 4 [I_1(tau, lambda) - I_2(tau, lambda)] with lambda = 1/rho = 4 m^2/M_Z^2 is the fermion
loop of the SM H -> Z gamma width (Djouadi, Phys. Rept. 457 (2008) 1 [hep-ph/0503172], in the
Higgs Hunter's Guide normalisation); :func:`zgamma_loop_djouadi` implements it as the independent check.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import InputError
from ...models.leptophilic import loop_f12
from ...particles import M_E, M_MU, M_TAU
from ...units import ALPHA
from .inputs import G_A_LEPTON, G_V_LEPTON, G_Z_HALF_SQ, GAMMA_Z, M_Z
from .phasespace import dalitz_range, log_nodes, q_nodes

ORDERS = (24, 24)
_MASS = {"e": M_E, "mu": M_MU, "tau": M_TAU}


# ------------------------------------------------------------------------------ Z -> l l (normalisation)
def amp2_z_ll(m: float, M: float = M_Z):
    """sum over Z polarisations and spins of |M(Z -> l+ l-)|^2 [GeV^2] (not averaged)."""
    return 4.0 * G_Z_HALF_SQ * (G_V_LEPTON ** 2 * (M * M + 2 * m * m) + G_A_LEPTON ** 2 * (M * M - 4 * m * m))


def width_z_ll(flavour: str = "tau"):
    """Tree-level Gamma(Z -> l+ l-) [GeV] from :func:`amp2_z_ll` and two-body phase space (1/3 Z spin average)."""
    m = _MASS[flavour]
    beta = math.sqrt(1.0 - 4.0 * m * m / M_Z ** 2)
    return amp2_z_ll(m) / 3.0 * (0.5 * M_Z * beta) / (8.0 * math.pi * M_Z ** 2)


def width_z_ll_closed(flavour: str = "tau"):
    """Closed form c^2 M_Z beta/(12 pi) [g_V^2 (1 + 2 m^2/M_Z^2) + g_A^2 beta^2] [GeV]."""
    m = _MASS[flavour]
    b2 = 1.0 - 4.0 * m * m / M_Z ** 2
    return (G_Z_HALF_SQ * M_Z * math.sqrt(b2) / (12.0 * math.pi)
            * (G_V_LEPTON ** 2 * (1.0 + 2.0 * m * m / M_Z ** 2) + G_A_LEPTON ** 2 * b2))


# ------------------------------------------------------------------------------ Z -> tau tau S
def z_ffs_traces(D1, D2, m, m_S, M=M_Z):
    """(X_V, X_A) of the module docstring (polarisation- and spin-summed traces, couplings stripped)."""
    D1 = np.asarray(D1, float)
    D2 = np.asarray(D2, float)
    m2, s2, M2 = m * m, m_S * m_S, M * M
    r = D1 / D2 + D2 / D1
    inv1 = 1.0 / D1 + 1.0 / D2
    inv2 = 1.0 / D1 ** 2 + 1.0 / D2 ** 2
    inv12 = 1.0 / (D1 * D2)
    xv = (8.0 + 4.0 * r + 8.0 * (4 * m2 - s2) * inv1 + 4.0 * (4 * m2 - s2) * (M2 + 2 * m2) * inv2
          + 8.0 * (4 * M2 * m2 + 8 * m2 * m2 - 6 * m2 * s2 + s2 * s2) * inv12)
    xa = (4.0 * r * (1.0 - 2.0 * m2 / M2) - 8.0 * (D1 + D2) / M2 - 8.0 * (2 * m2 - s2) / M2
          - 8.0 * (8 * m2 - s2) * inv1 + 4.0 * (4 * m2 - s2) * (M2 - 4 * m2) * inv2
          + 8.0 * (4 * M2 * m2 - 16 * m2 * m2 + 8 * m2 * s2 - s2 * s2) * inv12)
    return xv, xa


def amp2_z_ffs(D1, D2, m, m_S, g, M=M_Z):
    """sum over Z polarisations and spins of |M(Z -> f f-bar S)|^2 (not averaged), coupling g to f."""
    xv, xa = z_ffs_traces(D1, D2, m, m_S, M)
    return G_Z_HALF_SQ * g * g * (G_V_LEPTON ** 2 * xv + G_A_LEPTON ** 2 * xa)


def dwidth_dE_S_z_ffs(m_S: float, E_S, flavour: str = "tau", orders=ORDERS):
    """dGamma(Z -> l+ l- S)/dE_S at g_l = 1 [GeV/GeV] (Z rest frame)."""
    m, M = _MASS[flavour], M_Z
    E = np.atleast_1d(np.asarray(E_S, float))
    s_r = M * M + m_S * m_S - 2.0 * M * E
    d1_lo, d1_hi, d2_lo = dalitz_range(M, s_r, m_S, m, m)
    total = M * M + m_S * m_S - s_r                          # D1 + D2 = s1 + s2 - 2 m^2
    mid = 0.5 * (d1_lo + d1_hi)
    # lower half in ln D1, upper half in ln D2 (D2 = total - D1)
    a, wa = log_nodes(d1_lo, mid, orders[1])
    b, wb = log_nodes(d2_lo, total - mid, orders[1])
    fa = amp2_z_ffs(a, total[:, None] - a, m, m_S, 1.0)
    fb = amp2_z_ffs(total[:, None] - b, b, m, m_S, 1.0)
    inner = np.sum(wa * fa, axis=-1) + np.sum(wb * fb, axis=-1)
    # dGamma = (1/3) 1/(2M) ds1 ds_r/(128 pi^3 M^2) |M|^2, ds_r = 2 M dE
    return inner / (3.0 * 128.0 * math.pi ** 3 * M * M)


def width_z_ffs_unit(m_S: float, flavour: str = "tau", orders=ORDERS):
    """Gamma(Z -> l+ l- S) / g_l^2 [GeV] for one S mass (0 for m_S >= M_Z - 2 m_l)."""
    if not m_S > 0:
        raise InputError("m_S", f"must be > 0 GeV; got {m_S!r}")
    m, M = _MASS[flavour], M_Z
    if m_S >= M - 2 * m:
        return 0.0
    e_max = (M * M + m_S * m_S - 4 * m * m) / (2.0 * M)
    q_max = math.sqrt(max(e_max * e_max - m_S * m_S, 0.0))
    qn, qw = q_nodes(q_max, m_S, orders[0])
    E = np.sqrt(qn * qn + m_S * m_S)
    return float(np.sum(qw * qn / E * dwidth_dE_S_z_ffs(m_S, E, flavour, orders)))


# ------------------------------------------------------------------------------ Z -> gamma S
def _f_hhg(t):
    t = np.asarray(t, complex)
    b = np.sqrt(1.0 - t)
    lo = -0.25 * (np.log((1.0 + b) / (1.0 - b)) - 1j * np.pi) ** 2
    return np.where(t.real >= 1.0, np.arcsin(1.0 / np.sqrt(t)) ** 2, lo)


def _g_hhg(t):
    t = np.asarray(t, complex)
    b = np.sqrt(1.0 - t)
    lo = 0.5 * b * (np.log((1.0 + b) / (1.0 - b)) - 1j * np.pi)
    return np.where(t.real >= 1.0, np.sqrt(t - 1.0) * np.arcsin(1.0 / np.sqrt(t)), lo)


def zgamma_loop_djouadi(tau, lam):
    """I_1(tau, lambda) - I_2(tau, lambda) of the SM H -> Z gamma fermion loop (Djouadi Phys. Rept. 457 (2008) 1,
    hep-ph/0503172; Higgs Hunter's Guide): tau = 4 m^2/M_H^2, lambda = 4 m^2/M_Z^2, with

        I_1 = tau lambda/(2(tau-lambda)) + tau^2 lambda^2/(2(tau-lambda)^2) [f(tau) - f(lambda)]
              + tau^2 lambda/(tau-lambda)^2 [g(tau) - g(lambda)],
        I_2 = -tau lambda/(2(tau-lambda)) [f(tau) - f(lambda)],

    f(t) = arcsin^2(1/sqrt t), g(t) = sqrt(t-1) arcsin(1/sqrt t) for t >= 1 and their continuations
    -1/4 [ln((1+sqrt(1-t))/(1-sqrt(1-t))) - i pi]^2, sqrt(1-t)/2 [ln(...) - i pi] below.  Heavy-loop limit -1/3.
    (Round-off grows like tau/lambda for tau >> lambda: used for checks, not production.)
    """
    a = np.asarray(tau, float)
    b = np.asarray(lam, float)
    d = a - b
    df = _f_hhg(a) - _f_hhg(b)
    i1 = a * b / (2 * d) + a * a * b * b / (2 * d * d) * df + a * a * b / (d * d) * (_g_hhg(a) - _g_hhg(b))
    i2 = -a * b / (2 * d) * df
    return i1 - i2


def z_gamma_amplitude(model):
    """|A| [GeV^-1] of Z -> gamma S (module docstring): (e c |g_V| / (8 pi^2)) |sum_l (g_l/m_l) F_1/2|."""
    m_S = np.asarray(model.m_S, float)
    acc = 0.0 + 0.0j
    for fl, m in _MASS.items():
        g = np.asarray(model.coupling(fl), float)
        if not np.any(g > 0):
            continue
        acc = acc + g / m * loop_f12(4.0 * m * m / m_S ** 2, M_Z ** 2 / (4.0 * m * m))
    e = math.sqrt(4.0 * math.pi * ALPHA)
    return e * math.sqrt(G_Z_HALF_SQ) * abs(G_V_LEPTON) / (8.0 * math.pi ** 2) * np.abs(acc)


def width_z_gamma_s(model):
    """Gamma(Z -> gamma S) [GeV] for a LeptophilicScalar (vectorised; 0 for m_S >= M_Z)."""
    m_S = np.asarray(model.m_S, float)
    amp = z_gamma_amplitude(model)
    ps = np.clip(M_Z ** 2 - m_S ** 2, 0.0, None)
    return amp ** 2 * ps ** 3 / (96.0 * math.pi * M_Z ** 3)


def br_z_gamma_s(model):
    """BR(Z -> gamma S) = Gamma(Z -> gamma S) / Gamma_Z (PDG 2024 Gamma_Z), before BR(S -> chi chi-bar)."""
    return width_z_gamma_s(model) / GAMMA_Z
