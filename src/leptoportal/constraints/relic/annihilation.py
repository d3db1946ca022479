"""Annihilation cross sections chi chi-bar -> S* -> f and chi chi-bar -> S S of the leptophilic model.

Formulas and their derivation: the package docstring of :mod:`leptoportal.constraints.relic`
and docs/relic.md (spin-averaged traces, Breit-Wigner propagator with Gamma_S(m_S); the
non-relativistic limit is Eq. (2.7) of arXiv:1807.03790).
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...models.leptophilic import LeptophilicScalar
from ...particles import M_E, M_MU, M_TAU
from ...units import C_CM_PER_S, GEV2_TO_CM2

# Astrophysical constants (M_Pl, s0, rho_c/h^2, c) live in leptoportal.units (PDG 2022); re-exported here.

#: observed cold-DM density used for the relic targets (Planck 2018: 0.120 +- 0.001)
OMEGA_DM_H2 = 0.12
#: lightest DM mass accepted (GeV): below ~1 MeV chi is still relativistic at BBN (see
#: and Sec. 4.4 of arXiv:1807.03790), and freeze-out would fall below our g_* extension.
M_CHI_MIN_GEV = 1.0e-3

LEPTONS = (("e", M_E), ("mu", M_MU), ("tau", M_TAU))
_GL_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def gl_rule(n: int):
    if n not in _GL_CACHE:
        _GL_CACHE[n] = np.polynomial.legendre.leggauss(n)
    return _GL_CACHE[n]


def sigma_v_cm3_s_to_gev2(sv):
    """Convert sigma v from cm^3/s to GeV^-2 (divide by (hbar c)^2 c)."""
    return np.asarray(sv, float) / (GEV2_TO_CM2 * C_CM_PER_S)


def sigma_v_gev2_to_cm3_s(sv):
    """Convert sigma v from GeV^-2 to cm^3/s."""
    return np.asarray(sv, float) * GEV2_TO_CM2 * C_CM_PER_S


# ---------------------------------------------------------------------------------------
# Cross sections
# ---------------------------------------------------------------------------------------
def check_model(model) -> LeptophilicScalar:
    if not isinstance(model, LeptophilicScalar):
        raise InputError("model", f"must be a leptoportal LeptophilicScalar; got {type(model).__name__}")
    if model.m_chi is None:
        raise InputError("model", "needs a dark-matter mass m_chi (construct it with m_chi, mchi_ratio or eps_R)")
    for name in ("m_S", "g_e", "g_mu", "g_tau", "g_chi", "m_chi"):
        if np.ndim(getattr(model, name)) != 0:
            raise InputError("model", f"relic calculations need scalar parameters; {name} is an array")
    return model


# Dirac matrices (Dirac representation) for the chi chi-bar -> S S trace
GAMMA0 = np.diag([1.0, 1.0, -1.0, -1.0]).astype(complex)
PAULI = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex),
        np.array([[1, 0], [0, -1]], complex)]
GAMMA_K = [np.block([[np.zeros((2, 2)), sk], [-sk, np.zeros((2, 2))]]) for sk in PAULI]


def _slash(p):
    """p-slash = gamma^0 p_0 - gamma^k p_k for four-vectors p of shape (..., 4); (..., 4, 4)."""
    return (p[..., 0, None, None] * GAMMA0 - p[..., 1, None, None] * GAMMA_K[0]
            - p[..., 2, None, None] * GAMMA_K[1] - p[..., 3, None, None] * GAMMA_K[2])


def _mdot(a, b):
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def ss_kinematics(s, cos_t, m, m_s):
    """CM four-vectors p1, p2 (chi, chi-bar along +-z) and k1, k2 (S S at angle theta)."""
    e = 0.5 * np.sqrt(s)
    p = np.sqrt(np.maximum(e * e - m * m, 0.0))
    k = np.sqrt(np.maximum(e * e - m_s * m_s, 0.0))
    sin_t = np.sqrt(1.0 - cos_t ** 2)
    z = np.zeros_like(e * cos_t)
    p1 = np.stack([e + z, z, z, p + z], -1)
    p2 = np.stack([e + z, z, z, -p + z], -1)
    k1 = np.stack([e + z, k * sin_t, z, k * cos_t], -1)
    k2 = np.stack([e + z, -k * sin_t, z, -k * cos_t], -1)
    return p1, p2, k1, k2


def ss_vertex(p1, k1, k2, m):
    """Gamma = (p1-k1-slash + m)/(t - m^2) + (p1-k2-slash + m)/(u - m^2): t- and u-channel chi."""
    eye = np.eye(4)
    q1, q2 = p1 - k1, p1 - k2
    return ((_slash(q1) + m * eye) / (_mdot(q1, q1) - m * m)[..., None, None]
            + (_slash(q2) + m * eye) / (_mdot(q2, q2) - m * m)[..., None, None])


def _trace4(a, b, c, d, m):
    """Tr[(a-slash - m)(b-slash + m)(c-slash + m)(d-slash + m)] from the trace theorems:
    4[(ab)(cd) - (ac)(bd) + (ad)(bc)] + 4 m^2 [(ab) + (ac) + (ad) - (bc) - (bd) - (cd)] - 4 m^4."""
    ab, ac, ad = _mdot(a, b), _mdot(a, c), _mdot(a, d)
    bc, bd, cd = _mdot(b, c), _mdot(b, d), _mdot(c, d)
    return 4.0 * (ab * cd - ac * bd + ad * bc) + 4.0 * m * m * (ab + ac + ad - bc - bd - cd) - 4.0 * m ** 4


def ss_matrix_element_squared(g_chi, m_chi, m_S, s, cos_t, *, method: str = "trace"):
    """Spin-summed |M|^2 of chi(p1) chi-bar(p2) -> S(k1) S(k2) for L = -g_chi S chi-bar chi.

    M = g_chi^2 v-bar(p2) Gamma u(p1), Gamma = (q1-slash + m)/(t - m^2) + (q2-slash + m)/(u - m^2),
    q1 = p1 - k1, q2 = p1 - k2 (t- and u-channel chi exchange; Eq. 2.1 has no S^3 term);
    sum |M|^2 = g_chi^4 Tr[(p2-slash - m) Gamma (p1-slash + m) Gamma] (Gamma-bar = Gamma).
    ``method="trace"``: trace theorems (:func:`_trace4`, fast); ``"matrix"``: explicit Dirac
    matrices (used to check the former; both checked against explicit spinors in the tests).
    """
    s, cos_t = np.broadcast_arrays(np.asarray(s, float), np.asarray(cos_t, float))
    p1, p2, k1, k2 = ss_kinematics(s, cos_t, m_chi, m_S)
    m = float(m_chi)
    if method == "matrix":
        gam = ss_vertex(p1, k1, k2, m)
        eye = np.eye(4)
        prod = (_slash(p2) - m * eye) @ gam @ (_slash(p1) + m * eye) @ gam
        return float(g_chi) ** 4 * np.real(np.trace(prod, axis1=-2, axis2=-1))
    q1, q2 = p1 - k1, p1 - k2
    c1 = 1.0 / (_mdot(q1, q1) - m * m)
    c2 = 1.0 / (_mdot(q2, q2) - m * m)
    tr = (c1 * c1 * _trace4(p2, q1, p1, q1, m) + c2 * c2 * _trace4(p2, q2, p1, q2, m)
          + c1 * c2 * (_trace4(p2, q1, p1, q2, m) + _trace4(p2, q2, p1, q1, m)))
    return float(g_chi) ** 4 * tr


def sigma_chichi_to_ss(g_chi, m_chi, m_S, s, n_cos: int = 32):
    """sigma(chi chi-bar -> S S) [GeV^-2]: (1/2 identical S)(1/4 spins) beta_S/(32 pi s beta_chi)
    int dcos sum|M|^2 (Gauss-Legendre in cos theta; the t/u poles lie outside [-1, 1] for real
    kinematics).  Zero below s = 4 max(m_chi, m_S)^2."""
    s = np.atleast_1d(np.asarray(s, float))
    out = np.zeros(s.shape)
    ok = s > 4.0 * max(m_chi, m_S) ** 2
    if not np.any(ok):
        return out
    xs, ws = gl_rule(n_cos)
    sk = s[ok][:, None]
    msq = ss_matrix_element_squared(g_chi, m_chi, m_S, sk, xs[None, :])
    b_chi = np.sqrt(1.0 - 4.0 * m_chi ** 2 / s[ok])
    b_s = np.sqrt(1.0 - 4.0 * m_S ** 2 / s[ok])
    out[ok] = 0.5 * 0.25 * b_s / (32.0 * np.pi * s[ok] * b_chi) * (msq @ ws)
    return out


def annihilation_cross_section(model: LeptophilicScalar, s, channel: str = "total"):
    """sigma(chi chi-bar -> f) [GeV^-2] at CM energy squared ``s`` [GeV^2].

    ``channel``: "e", "mu", "tau" (l+ l- through S*), "gamma" (gamma gamma through S* and
    the one-loop coupling g_gammagamma(p_S^2 = s), Eq. 2.4 of arXiv:1807.03790), "visible"
    (their sum), "SS" (chi chi-bar -> S S by t/u-channel chi exchange, :func:`sigma_chichi_to_ss`,
    open for s > 4 m_S^2) or "total" (visible + SS).

    s-channel: sigma = 4 pi Gamma_chi(sqrt s) Gamma_f(sqrt s) / (beta_chi^2 |s - m_S^2 + i m_S Gamma_S|^2),
    Gamma_X(sqrt s) = width of an S of mass sqrt(s) into X (Eq. 2.5 of the paper), Gamma_S
    the total width at m_S; derivation in docs/relic.md (equivalently, from the traces,
    sigma_ll = g_chi^2 g_l^2 s beta_chi beta_l^3 / (16 pi |D|^2)).  Zero below 4 m_chi^2.
    """
    model = check_model(model)
    s = np.asarray(s, float)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise InputError("s", "must be finite and > 0 GeV^2")
    valid = ("e", "mu", "tau", "gamma", "visible", "SS", "total")
    if channel not in valid:
        raise InputError("channel", f"unknown channel {channel!r}; valid: {', '.join(valid)}")
    m = float(model.m_chi)
    ms = float(model.m_S)
    above = s > 4.0 * m * m
    out = np.zeros(s.shape)
    if not np.any(above):
        return out[()]
    sa = s[above]
    if channel in ("SS", "total"):
        out[above] += sigma_chichi_to_ss(float(model.g_chi), m, ms, sa)
        if channel == "SS":
            return out[()]
    root = np.sqrt(sa)
    at_s = LeptophilicScalar(m_S=root, g_e=model.g_e, g_mu=model.g_mu, g_tau=model.g_tau,
                             g_chi=model.g_chi, m_chi=m)
    if channel in ("total", "visible"):
        gam_f = at_s.width_ll("e") + at_s.width_ll("mu") + at_s.width_ll("tau") + at_s.width_gammagamma()
    elif channel == "gamma":
        gam_f = at_s.width_gammagamma()
    else:
        gam_f = at_s.width_ll(channel)
    beta2 = 1.0 - 4.0 * m * m / sa
    gam_chi = float(model.g_chi) ** 2 * root / (8.0 * np.pi) * beta2 ** 1.5
    gam_tot = float(model.total_width())
    denom = (sa - ms * ms) ** 2 + (ms * gam_tot) ** 2
    out[above] += 4.0 * np.pi * gam_chi * np.asarray(gam_f, float) / (beta2 * denom)
    return out[()]
