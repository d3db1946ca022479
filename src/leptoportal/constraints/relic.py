"""Thermal freeze-out of Dirac dark matter chi through the leptophilic scalar S.

Physics (derivations and validation numbers in ``docs/relic.md``):

* Boltzmann equation for the comoving yield Y = n_chi / s in x = m_chi / T
  (Gondolo & Gelmini, Nucl. Phys. B 360 (1991) 145, Eq. 3.8 and 3.12;
  Edsjo & Gondolo, PRD 56 (1997) 1879, Eq. 7)::

      dY/dx = - sqrt(pi/45) M_Pl g_*^(1/2)(T) m / x^2 <sigma v>(x) (Y^2 - Y_eq^2),

  with Maxwell-Boltzmann Y_eq = 45 g / (4 pi^4 g_s(T)) x^2 K_2(x) (g = 2 spin states).
  Solved for W = ln Y in ln x with the analytic Jacobian by ODEPACK's LSODA through
  ``scipy.integrate.ode`` (default; it runs its stiff BDF branch in the equilibrium phase,
  where the problem is stiffest); scipy ``solve_ivp`` BDF/Radau/LSODA are selectable and
  agree to < 1e-6 (tests), from
  x = 1 (Y = Y_eq) to x_end (default 1000).
  For a Dirac fermion without asymmetry n_chi = n_chi-bar and sigma = sigma(chi chi-bar -> X),
  so Omega_DM h^2 = 2 m Y_0 s_0 / (rho_c / h^2); for a Majorana fermion the factor is 1.
* Thermal average: the exact single integral of Gondolo & Gelmini (1991), Eq. 3.8, with
  eps = (s - 4 m^2) / (4 m^2)::

      <sigma v>(x) = 4 x / K_2(x)^2  int_0^inf d eps  sigma(s) eps sqrt(1 + eps) K_1(2 x sqrt(1 + eps)),

  on Gauss-Legendre panels in u = sqrt(eps - a) between breakpoints (thresholds, the
  s-channel resonance at eps_R = m_S^2/(4 m^2) - 1 +- (1, 30, 300) widths, and multiples of
  1/x), with the resonance core mapped by s - m_S^2 = m_S Gamma_S tan(theta).
* Cross sections chi chi-bar -> S* -> f (derived in docs/relic.md, spin-averaged,
  Breit-Wigner propagator with the model's total width Gamma_S(m_S))::

      sigma(s) = 4 pi Gamma_chi(sqrt s) Gamma_f(sqrt s) / (beta_chi^2 [(s - m_S^2)^2 + m_S^2 Gamma_S^2]),

  where Gamma_X(sqrt s) is the width of an S of mass sqrt(s) into X (the model's Eq. 2.5
  widths of arXiv:1807.03790 evaluated at m_S -> sqrt s; for gamma gamma this is the loop
  coupling g_gammagamma(p_S^2 = s) of Eq. 2.4).  For f = l+ l-:
  sigma = g_chi^2 g_l^2 s beta_chi beta_l^3 / (16 pi |D|^2): p-wave, and its
  non-relativistic limit is Eq. (2.7) of arXiv:1807.03790 (checked in the tests).
  chi chi-bar -> S S by t/u-channel chi exchange (Eq. 2.1 has no S^3 term) is included
  where open (s > 4 m_S^2): spin-summed trace with explicit Dirac matrices, Gauss-Legendre in
  cos theta (:func:`sigma_chichi_to_ss`).  It is p-wave, and for m_S -> 0 gives
  sigma v = 3 g_chi^4 v^2 / (128 pi m_chi^2).  For the paper's relations (m_S > m_chi) it is
  Boltzmann suppressed at freeze-out (eps > m_S^2/m_chi^2 - 1 >= 3); for m_chi > m_S it
  dominates and does not depend on g_mu (no relic target, as the paper says).
* Constant s-wave benchmark (Steigman, Dasgupta & Beacom, PRD 86 (2012) 023506):
  :func:`omega_h2_swave`.
* The e->mu paper's Eq. (2) "annihilation-rate estimate": :func:`lfv_annihilation_rate_line`.

Units: GeV inside; <sigma v> in GeV^-2 internally, cm^3/s at the API where named so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import ode, solve_ivp
from scipy.interpolate import CubicSpline
from scipy.special import kve

from ..errors import InputError
from ..models.leptophilic import LeptophilicScalar
from ..particles import M_E, M_MU, M_TAU
from ..units import C_CM_PER_S, GEV2_TO_CM2, GEV2_TO_PB, M_PLANCK_GEV, RHO_CRIT_H2_GEV_CM3, S0_CM3
from .relic_dof import g_rho, g_s, sqrt_g_star

__all__ = [
    "M_PLANCK_GEV",
    "S0_CM3",
    "RHO_CRIT_H2_GEV_CM3",
    "C_CM_PER_S",
    "OMEGA_DM_H2",
    "M_CHI_MIN_GEV",
    "RelicResult",
    "sigma_v_cm3_s_to_gev2",
    "sigma_v_gev2_to_cm3_s",
    "annihilation_cross_section",
    "sigma_chichi_to_ss",
    "ss_matrix_element_squared",
    "thermal_average",
    "thermal_average_model",
    "solve_freeze_out",
    "omega_h2",
    "omega_h2_swave",
    "relic_coupling",
    "analytic_omega_h2",
    "lfv_annihilation_rate_line",
]

# Astrophysical constants (M_Pl, s0, rho_c/h^2, c) live in leptoportal.units (PDG 2022); re-exported here.

#: observed cold-DM density used for the relic targets (Planck 2018: 0.120 +- 0.001)
OMEGA_DM_H2 = 0.12
#: lightest DM mass accepted (GeV): below ~1 MeV chi is still relativistic at BBN (see
#: and Sec. 4.4 of arXiv:1807.03790), and freeze-out would fall below our g_* extension.
M_CHI_MIN_GEV = 1.0e-3

_LEPTONS = (("e", M_E), ("mu", M_MU), ("tau", M_TAU))
_GL_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}
#: equilibration rate 2 A Y_eq above which the quasi-static solution is used (see solve_freeze_out)
_R_QS = 1.0e5


def _gl(n: int):
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
def _check_model(model) -> LeptophilicScalar:
    if not isinstance(model, LeptophilicScalar):
        raise InputError("model", f"must be a leptoportal LeptophilicScalar; got {type(model).__name__}")
    if model.m_chi is None:
        raise InputError("model", "needs a dark-matter mass m_chi (construct it with m_chi, mchi_ratio or eps_R)")
    for name in ("m_S", "g_e", "g_mu", "g_tau", "g_chi", "m_chi"):
        if np.ndim(getattr(model, name)) != 0:
            raise InputError("model", f"relic calculations need scalar parameters; {name} is an array")
    return model


# Dirac matrices (Dirac representation) for the chi chi-bar -> S S trace
_G0 = np.diag([1.0, 1.0, -1.0, -1.0]).astype(complex)
_SIG = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex),
        np.array([[1, 0], [0, -1]], complex)]
_GK = [np.block([[np.zeros((2, 2)), sk], [-sk, np.zeros((2, 2))]]) for sk in _SIG]


def _slash(p):
    """p-slash = gamma^0 p_0 - gamma^k p_k for four-vectors p of shape (..., 4); (..., 4, 4)."""
    return (p[..., 0, None, None] * _G0 - p[..., 1, None, None] * _GK[0]
            - p[..., 2, None, None] * _GK[1] - p[..., 3, None, None] * _GK[2])


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
    xs, ws = _gl(n_cos)
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
    model = _check_model(model)
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


# ---------------------------------------------------------------------------------------
# Thermal average (Gondolo-Gelmini single integral)
# ---------------------------------------------------------------------------------------
def _nodes_for_x(x: float, breaks, resonance, n_gl: int, n_res: int):
    """Quadrature nodes (eps) and weights for the Gondolo-Gelmini integral at one x.

    Ordinary panels [a, b]: Gauss-Legendre in u = sqrt(eps - a) (removes sqrt edge behaviour:
    s-wave integrands at eps = 0, sigma(S S) ~ beta_S at its threshold), split at 0.5, 2, 6, 15 / x (thermal scale), at ``breaks``
    (thresholds) and at eps_R +- 300 gamma.  Resonance core eps_R +- min(30 gamma, 0.9 eps_R):
    panels in theta with eps = eps_R + gamma tan(theta) (flattens the Breit-Wigner), split so
    that each spans <= 2/x in eps (the Boltzmann factor e^{-x eps} stays smooth) and at
    gamma tan(theta_k) for equally spaced theta_k; ``n_res`` nodes per core panel (n_res/2,
    at least 12, when there are more than 8 sub-panels).  The integral is cut where
    exp(-2x(sqrt(1+eps) - 1)) = e^-50.
    """
    eps_hi = (1.0 + 25.0 / x) ** 2 - 1.0
    pts = {0.0}
    for c in (0.5, 2.0, 6.0, 15.0):
        pts.add(c / x)
    pts.update(float(b) for b in breaks if b > 0.0)
    core_edges = None
    if resonance is not None:
        e_r, gam = resonance
        if e_r > 0.0:
            wc = min(30.0 * gam, 0.9 * e_r)
            lo, hi = e_r - wc, e_r + wc
            if lo < (1.0 + 40.0 / x) ** 2 - 1.0:
                eps_hi = max(eps_hi, hi)
                th_max = math.atan(wc / gam)
                edges = {lo, hi, e_r}
                for th in np.linspace(0.0, th_max, 4)[1:-1]:
                    edges.update((e_r - gam * math.tan(th), e_r + gam * math.tan(th)))
                n_uni = min(int(math.ceil(2.0 * wc * x / 2.0)), 40)
                if n_uni > 1:
                    edges.update(np.linspace(lo, hi, n_uni + 1)[1:-1].tolist())
                core_edges = np.array(sorted(edges))
                pts = {p for p in pts if not (lo <= p <= hi)}
                pts.update((lo, hi))
                for v in (e_r - 300.0 * gam, e_r + 300.0 * gam):
                    if v > 0.0 and not (lo <= v <= hi):
                        pts.add(v)
        else:
            for k in (1.0, 10.0):
                pts.add(k * (gam - e_r))
    pts.add(eps_hi)
    edges = np.array(sorted(p for p in pts if p <= eps_hi))
    xs, ws = _gl(n_gl)
    eps_list, w_list = [], []
    core_lo = core_edges[0] if core_edges is not None else None
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        if core_lo is not None and a == core_lo:
            e_r, gam = resonance
            # many sub-panels (broad core at large x): each spans <= 2/x, fewer nodes suffice
            xr, wr = _gl(n_res if core_edges.size <= 9 else max(12, n_res // 2))
            for ca, cb in zip(core_edges[:-1], core_edges[1:]):
                th_a, th_b = math.atan((ca - e_r) / gam), math.atan((cb - e_r) / gam)
                th = 0.5 * (th_b - th_a) * xr + 0.5 * (th_b + th_a)
                eps_list.append(e_r + gam * np.tan(th))
                w_list.append(0.5 * (th_b - th_a) * wr * gam / np.cos(th) ** 2)
            continue
        # eps = a + u^2: regular for sqrt(eps - a) edges (s-wave at eps = 0, the S S threshold)
        ub = math.sqrt(b - a)
        uu = 0.5 * ub * (xs + 1.0)
        eps_list.append(a + uu * uu)
        w_list.append(0.5 * ub * ws * 2.0 * uu)
    return np.concatenate(eps_list), np.concatenate(w_list)


def thermal_average(sigma_fn, m: float, x, *, breakpoints=(), resonance=None, n_gl: int = 16, n_res: int = 24):
    """<sigma v_Mol>(x) [units of sigma] by the Gondolo-Gelmini integral (1991, Eq. 3.8).

    ``sigma_fn(s)``: vectorised total cross section at s [GeV^2] (zero below 4 m^2 allowed);
    ``m``: DM mass [GeV]; ``x = m/T`` (array); ``breakpoints``: eps values where sigma has
    kinks (thresholds); ``resonance = (eps_R, gamma_eps)`` with eps_R = m_S^2/(4m^2) - 1 and
    gamma_eps = m_S Gamma_S / (4 m^2) for a Breit-Wigner peak.  ``n_gl``/``n_res`` are the
    Gauss-Legendre orders per ordinary / resonance-core panel (convergence knob).

    Exponentially scaled Bessel functions keep the ratio K_1/K_2^2 finite at large x.
    """
    s, weights, starts = _gg_plan(m, x, breakpoints, resonance, n_gl, n_res)
    sig = np.asarray(sigma_fn(s), float)
    return np.add.reduceat(weights * sig, starts)


def _gg_plan(m: float, x, breakpoints, resonance, n_gl: int, n_res: int):
    """Quadrature plan of the Gondolo-Gelmini integral: nodes s, weights, segment starts.

    <sigma v>(x_k) = sum over segment k of weights * sigma(s); the weights contain
    4 x eps sqrt(1+eps) K_1(2x sqrt(1+eps)) / K_2(x)^2 and the Gauss-Legendre weights.
    """
    x = np.atleast_1d(np.asarray(x, float))
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise InputError("x", "x = m/T must be finite and > 0")
    all_eps, all_w, starts = [], [], []
    n = 0
    for xi in x:
        e, w = _nodes_for_x(float(xi), breakpoints, resonance, n_gl, n_res)
        starts.append(n)
        n += e.size
        all_eps.append(e)
        all_w.append(w)
    sizes = [a.size for a in all_eps]
    eps = np.concatenate(all_eps)
    w = np.concatenate(all_w)
    xx = np.repeat(x, sizes)
    root = np.sqrt(1.0 + eps)
    # K1(2x sqrt(1+eps)) / K2(x)^2 = kve(1, z)/kve(2, x)^2 * exp(-2x (sqrt(1+eps) - 1))
    k2 = np.repeat(kve(2, x), sizes)
    kin = kve(1, 2.0 * xx * root) / k2 ** 2 * np.exp(-2.0 * xx * eps / (root + 1.0))
    return 4.0 * m * m * (1.0 + eps), 4.0 * xx * w * eps * root * kin, np.asarray(starts)


def _model_breaks_and_resonance(model: LeptophilicScalar):
    m = float(model.m_chi)
    breaks = [mf * mf / (m * m) - 1.0 for _, mf in _LEPTONS if mf > m]
    ms = float(model.m_S)
    if ms > m:
        breaks.append(ms * ms / (m * m) - 1.0)            # chi chi-bar -> S S threshold
    e_r = ms * ms / (4.0 * m * m) - 1.0
    gam = ms * float(model.total_width()) / (4.0 * m * m)
    resonance = (e_r, gam) if gam > 0 else None
    if resonance is None and e_r > 0:
        breaks.append(e_r)
    return breaks, resonance


def _x_range(model: LeptophilicScalar, x_end: float, n_x: int) -> tuple[float, int]:
    """Integration end and tabulation size: near a resonance (0 < eps_R) annihilation goes on
    until the thermal eps ~ 1/x drops below eps_R, so x_end is raised to 100/eps_R (at most
    1e6); n_x grows with ln x_end to keep the ln x spacing."""
    m, ms = float(model.m_chi), float(model.m_S)
    e_r = ms * ms / (4.0 * m * m) - 1.0
    xe = max(x_end, min(100.0 / e_r, 1.0e6)) if e_r > 0 else x_end
    return xe, max(n_x, int(round(n_x * math.log(xe) / math.log(1000.0))))


def thermal_average_model(model: LeptophilicScalar, x, *, n_gl: int = 16, n_res: int = 24):
    """<sigma v>(x) [GeV^-2] of chi chi-bar -> l+ l-, gamma gamma, S S for a leptophilic ``model``."""
    model = _check_model(model)
    breaks, resonance = _model_breaks_and_resonance(model)
    return thermal_average(lambda s: annihilation_cross_section(model, s), float(model.m_chi), x,
                           breakpoints=breaks, resonance=resonance, n_gl=n_gl, n_res=n_res)


# ---------------------------------------------------------------------------------------
# Boltzmann equation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RelicResult:
    """Outcome of a freeze-out calculation.

    ``omega_h2``: Omega_DM h^2 (both chi and chi-bar for Dirac); ``x_freeze_out``: x at
    which Y - Y_eq = Y_eq (i.e. Y = 2 Y_eq); ``y0``: final yield of one species;
    ``x``, ``y``, ``y_eq``: the solution on the solver's output grid; ``nfev``: RHS calls.
    """

    omega_h2: float
    x_freeze_out: float
    y0: float
    m_chi: float
    majorana: bool
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    y_eq: np.ndarray = field(repr=False)
    nfev: int = 0


def _ln_yeq(m: float, x: np.ndarray, g_dof: float = 2.0) -> np.ndarray:
    """ln Y_eq = ln[45 g / (4 pi^4 g_s(T)) x^2 K_2(x)] (Maxwell-Boltzmann, Gondolo-Gelmini Eq. 3.7/3.10)."""
    x = np.asarray(x, float)
    return (np.log(45.0 * g_dof / (4.0 * np.pi ** 4)) - np.log(g_s(m / x)) + 2.0 * np.log(x)
            + np.log(kve(2, x)) - x)


def solve_freeze_out(m_chi: float, sigma_v, *, majorana: bool = False, x_start: float = 1.0,
                     x_end: float = 1000.0, rtol: float = 1e-8, atol: float = 1e-8,
                     method: str = "lsoda", n_eval: int = 200) -> RelicResult:
    """Integrate the Boltzmann equation for W = ln Y in ln x (stiff solver) and return Omega h^2.

    ``sigma_v(x)``: vectorised <sigma v> [GeV^-2] as a function of x = m/T (or a number for
    a constant s-wave).  dW/dlnx = -A(x) (e^W - e^(2 W_eq - W)),
    A = sqrt(pi/45) M_Pl g_*^(1/2)(m/x) m <sigma v> / x; analytic Jacobian
    -A (e^W + e^(2 W_eq - W)).  Start at ``x_start`` with Y = Y_eq; while the equilibration
    rate 2 A Y_eq exceeds 1e5 the quasi-static solution is used (see the code comment).
    ``method``: "lsoda" (default) or "vode" (ODEPACK via scipy.integrate.ode), or solve_ivp's
    "LSODA", "BDF", "Radau".  Omega h^2 = eta m Y(x_end) s_0 / (rho_c/h^2), eta = 2 for Dirac
    (chi + chi-bar), 1 for Majorana.  Raises InputError for m_chi < 1 MeV.
    """
    m = float(m_chi)
    if not math.isfinite(m) or m < M_CHI_MIN_GEV:
        raise InputError("m_chi", f"DM mass must be >= {M_CHI_MIN_GEV * 1e3:g} MeV (below, chi is relativistic "
                         f"at BBN and the freeze-out treatment fails); got {m_chi!r} GeV")
    if not (0 < x_start < x_end):
        raise InputError("x_end", f"need 0 < x_start < x_end; got {x_start}, {x_end}")
    if callable(sigma_v):
        sv_fn = sigma_v
    else:
        sv0 = float(sigma_v)
        if not math.isfinite(sv0) or sv0 <= 0:
            raise InputError("sigma_v", f"must be finite and > 0; got {sigma_v!r}")
        sv_fn = lambda x: np.full(np.shape(x), sv0)  # noqa: E731
    pref = math.sqrt(math.pi / 45.0) * M_PLANCK_GEV * m
    t0, t1 = math.log(x_start), math.log(x_end)
    # Coefficients tabulated once on a uniform ln x grid (vectorised g_*, <sigma v>, Y_eq) and
    # evaluated inside the RHS from the piecewise cubics of a C2 spline (cheap scalar Horner;
    # interpolation error << the ODE tolerance, checked by the convergence tests).
    n_tab = 601
    tau_g = np.linspace(t0, t1, n_tab)
    x_g = np.exp(tau_g)
    sv_g = np.asarray(sv_fn(x_g), float)
    if sv_g.shape != x_g.shape or not np.all(np.isfinite(sv_g)) or np.any(sv_g < 0):
        raise InputError("sigma_v", "<sigma v>(x) must return finite values >= 0 for every x")
    ln_a = np.log(np.maximum(pref * np.asarray(sqrt_g_star(m / x_g), float) * sv_g / x_g, 1e-300))
    weq_g = _ln_yeq(m, x_g)
    ca = CubicSpline(tau_g, ln_a).c.T.tolist()
    cw = CubicSpline(tau_g, weq_g).c.T.tolist()
    dt = (t1 - t0) / (n_tab - 1)

    def coeffs(tau):
        i = min(max(int((tau - t0) / dt), 0), n_tab - 2)
        h = tau - (t0 + i * dt)
        p, q = ca[i], cw[i]
        return (((p[0] * h + p[1]) * h + p[2]) * h + p[3], ((q[0] * h + q[1]) * h + q[2]) * h + q[3])

    # dW/dtau = -A e^W + A e^(2 W_eq - W) = -2 A Y_eq sinh(W - W_eq).  The sinh form avoids
    # the cancellation of two huge terms in the equilibrium phase (A Y_eq ~ 1e13 at x ~ 1),
    # which otherwise defeats the solver's error control; far from equilibrium the two
    # exponentials are used (capped at e^700 only against wild trial values).
    def rhs(tau, w):
        la, w_eq = coeffs(tau)
        d = w[0] - w_eq
        if -30.0 < d < 30.0:
            return [-2.0 * math.exp(min(la + w_eq, 700.0)) * math.sinh(d)]
        return [-math.exp(min(la + w[0], 700.0)) + math.exp(min(la + 2.0 * w_eq - w[0], 700.0))]

    def jac(tau, w):
        la, w_eq = coeffs(tau)
        d = w[0] - w_eq
        if -30.0 < d < 30.0:
            return [[-2.0 * math.exp(min(la + w_eq, 700.0)) * math.cosh(d)]]
        return [[-math.exp(min(la + w[0], 700.0)) - math.exp(min(la + 2.0 * w_eq - w[0], 700.0))]]

    # Deep in equilibrium (rate r = 2 A Y_eq up to ~1e13 at x = 1) the solution is the
    # quasi-static W = W_eq + delta, delta = -(dW_eq/dtau) / r (from dW/dtau = -r sinh(W - W_eq)),
    # with relative error O(delta^2) < 1e-10 while r > R_QS.  The stiff solver starts where r
    # first drops below R_QS (or at x_start): without this, LSODA/VODE exhaust their step
    # budget on the ~1e-13-wide transient at x ~ 1 for large couplings.
    spl_w = CubicSpline(tau_g, weq_g)
    rate = 2.0 * np.exp(np.minimum(ln_a + weq_g, 700.0))
    dweq = spl_w(tau_g, 1)
    below = np.nonzero(rate < _R_QS)[0]
    k_s = int(below[0]) if below.size else n_tab - 1
    t_s = float(tau_g[k_s])
    # at x_start itself (k_s = 0) the initial condition is Y = Y_eq, as usual
    w0 = float(weq_g[0]) if k_s == 0 else float(weq_g[k_s] - dweq[k_s] / rate[k_s])
    t_eval = np.linspace(t0, t1, n_eval)
    pre = t_eval <= t_s
    tau_ode = np.concatenate([[t_s], t_eval[~pre]])
    kk = min(k_s + 2, n_tab)
    if k_s == 0:
        ln_y_pre = np.full(int(pre.sum()), w0)
    else:
        ln_y_pre = np.interp(t_eval[pre], tau_g[:kk], weq_g[:kk] - dweq[:kk] / np.maximum(rate[:kk], 1e-300))
    nfev = 0
    if method in ("lsoda", "vode"):
        # ODEPACK through scipy.integrate.ode: one Fortran call per output point (low overhead)
        opts = dict(rtol=rtol, atol=atol, nsteps=200000, first_step=1e-12)
        if method == "vode":
            opts["method"] = "bdf"
        solver = ode(rhs, jac).set_integrator(method, **opts)
        solver.set_initial_value([w0], t_s)
        ln_y_ode = np.empty(tau_ode.size - 1)
        for k in range(1, tau_ode.size):
            ln_y_ode[k - 1] = solver.integrate(tau_ode[k])[0]
            if not solver.successful():  # pragma: no cover - failure is reported, never hidden
                raise RuntimeError(f"Boltzmann solver ({method}) failed at x = {math.exp(tau_ode[k]):.4g}")
    elif method in ("LSODA", "BDF", "Radau"):
        if tau_ode.size > 1:
            sol = solve_ivp(rhs, (t_s, t1), [w0], method=method, jac=jac, rtol=rtol, atol=atol,
                            t_eval=tau_ode[1:], first_step=1e-12)
            if not sol.success:  # pragma: no cover - solver failure is reported, never hidden
                raise RuntimeError(f"Boltzmann solver failed: {sol.message}")
            ln_y_ode, nfev = sol.y[0], int(sol.nfev)
        else:
            ln_y_ode = np.empty(0)
    else:
        raise InputError("method", f"unknown ODE method {method!r}; valid: lsoda, vode, LSODA, BDF, Radau")
    ln_y = np.concatenate([ln_y_pre, ln_y_ode])
    tau_out = t_eval
    x = np.exp(tau_out)
    ln_yeq = _ln_yeq(m, x)
    y = np.exp(ln_y)
    y_eq = np.exp(ln_yeq)
    y0 = float(y[-1])
    eta = 1.0 if majorana else 2.0
    omega = eta * m * y0 * S0_CM3 / RHO_CRIT_H2_GEV_CM3
    # freeze-out: first x where ln(Y/Y_eq) crosses ln 2 (linear interpolation in ln x)
    d = ln_y - ln_yeq - math.log(2.0)
    idx = np.nonzero(d >= 0)[0]
    if idx.size and idx[0] > 0:
        i = idx[0]
        f = d[i - 1] / (d[i - 1] - d[i])
        x_fo = float(np.exp(tau_out[i - 1] + f * (tau_out[i] - tau_out[i - 1])))
    else:
        x_fo = float("nan") if not idx.size else float(x[0])
    return RelicResult(omega_h2=float(omega), x_freeze_out=x_fo, y0=y0, m_chi=m, majorana=majorana,
                       x=x, y=y, y_eq=y_eq, nfev=nfev)


def omega_h2_swave(sigma_v_cm3_s: float, m_chi: float, *, majorana: bool = False, **kw) -> RelicResult:
    """Freeze-out with a constant s-wave <sigma v> given in cm^3/s (benchmark mode).

    Steigman, Dasgupta & Beacom (PRD 86 (2012) 023506) quote for a Majorana WIMP
    2.2e-26 cm^3/s above ~10 GeV; a Dirac fermion needs twice that for the same Omega.
    """
    sv = float(sigma_v_cm3_s)
    if not math.isfinite(sv) or sv <= 0:
        raise InputError("sigma_v", f"s-wave <sigma v> must be finite and > 0 cm^3/s; got {sigma_v_cm3_s!r}")
    return solve_freeze_out(m_chi, float(sigma_v_cm3_s_to_gev2(sv)), majorana=majorana, **kw)


def omega_h2(model: LeptophilicScalar, *, x_end: float = 1000.0, n_x: int = 64, n_gl: int = 16,
             n_res: int = 24, rtol: float = 1e-8, atol: float = 1e-8, method: str = "lsoda",
             details: bool = False):
    """Omega_chi h^2 (chi + chi-bar) of a leptophilic ``model`` (with m_chi) by freeze-out.

    <sigma v>(x) is computed on ``n_x`` log-spaced x in [1, x_end] and interpolated by a
    cubic spline in (ln x, ln <sigma v>); near a resonance x_end is raised to 100/eps_R
    (eps_R = m_S^2/(4 m_chi^2) - 1, capped at 1e6) and n_x scaled with ln x_end.  Returns a float, or the :class:`RelicResult`
    with ``details=True``.  Raises InputError for m_chi < 1 MeV.
    """
    model = _check_model(model)
    m = float(model.m_chi)
    if m < M_CHI_MIN_GEV:
        raise InputError("m_chi", f"DM mass must be >= {M_CHI_MIN_GEV * 1e3:g} MeV (BBN era below); got {m:g} GeV")
    x_end, n_x = _x_range(model, x_end, n_x)
    xg = np.logspace(0.0, math.log10(x_end), n_x)
    sv = thermal_average_model(model, xg, n_gl=n_gl, n_res=n_res)
    spl = CubicSpline(np.log(xg), np.log(np.maximum(sv, 1e-300)))
    res = solve_freeze_out(m, lambda x: np.exp(spl(np.log(x))), majorana=False, x_end=x_end,
                           rtol=rtol, atol=atol, method=method)
    return res if details else res.omega_h2


# ---------------------------------------------------------------------------------------
# Relic targets
# ---------------------------------------------------------------------------------------
_PRESETS = LeptophilicScalar.PRESETS



class _CouplingScan:
    """Omega h^2 versus g_mu at fixed masses, re-using one Gondolo-Gelmini plan.

    chi chi-bar -> S S does not depend on g_mu and is kept apart.  For the presets every
    visible width scales exactly as g_mu^2 (g_e, g_tau, g_gammagamma
    are proportional to g_mu), so sigma(s; g) = sigma(s; g_ref) (g/g_ref)^2 D_ref(s)/D(s; g)
    with D = (s - m_S^2)^2 + m_S^2 Gamma_S(g)^2: exact.  Only the node placement of the
    resonance panels uses Gamma_S(g_ref); the plan is rebuilt when Gamma_S(g) differs from it
    by more than 5 %.
    """

    def __init__(self, model, m_S, mchi_ratio, eps_R, g_chi, x_end, n_x, n_gl, n_res, ode_kw):
        self.args = (model, m_S, mchi_ratio, eps_R, g_chi)
        self.x_end, self.n_x, self.n_gl, self.n_res, self.ode_kw = x_end, n_x, n_gl, n_res, ode_kw
        self.plan_g = None

    def _model(self, g):
        model, m_S, mchi_ratio, eps_R, g_chi = self.args
        return LeptophilicScalar.from_preset(model, m_S, g, mchi_ratio=mchi_ratio, eps_R=eps_R, g_chi=g_chi)

    def _build(self, g):
        mod = self._model(g)
        self.m = float(mod.m_chi)
        self.ms2 = float(mod.m_S) ** 2
        self.x_stop, n_x = _x_range(mod, self.x_end, self.n_x)
        self.xg = np.logspace(0.0, math.log10(self.x_stop), n_x)
        breaks, resonance = _model_breaks_and_resonance(mod)
        s, w, starts = _gg_plan(self.m, self.xg, breaks, resonance, self.n_gl, self.n_res)
        self.s, self.w, self.starts = s, w, starts
        self.sig_ref = annihilation_cross_section(mod, s, "visible")
        self.sig_ss = annihilation_cross_section(mod, s, "SS")      # independent of g_mu
        self.gam_ref = float(mod.total_width())
        self.d_ref = (s - self.ms2) ** 2 + self.ms2 * self.gam_ref ** 2
        self.plan_g = g

    def omega(self, g):
        mod = self._model(g)
        gam = float(mod.total_width())
        if self.plan_g is None or abs(gam / self.gam_ref - 1.0) > 0.05:
            self._build(g)
        d = (self.s - self.ms2) ** 2 + self.ms2 * gam ** 2
        sig = self.sig_ref * (g / self.plan_g) ** 2 * self.d_ref / d + self.sig_ss
        sv = np.add.reduceat(self.w * sig, self.starts)
        spl = CubicSpline(np.log(self.xg), np.log(np.maximum(sv, 1e-300)))
        res = solve_freeze_out(self.m, lambda x: np.exp(spl(np.log(x))), x_end=self.x_stop, **self.ode_kw)
        return res.omega_h2


def _solve_coupling(scan: _CouplingScan, target, g_max, tol):
    """g_mu with Omega h^2 = target by a safeguarded secant in (ln g, ln Omega); nan if unreachable."""
    def f(lg):
        return math.log(scan.omega(math.exp(lg))) - lt

    lt = math.log(target)
    lg_max = math.log(g_max)
    lg_min = math.log(1e-12)
    a = math.log(min(1e-3, 0.5 * g_max))
    fa = f(a)
    # Omega ~ 1/g^2 away from the resonance-broadening regime: first step with slope -2
    b = min(a + fa / 2.0, lg_max)
    fb = f(b)
    for _ in range(40):
        if abs(fb) < tol:
            return math.exp(b)
        if b == lg_max and fb > 0 and fa > fb:
            return float("nan")                     # Omega(g_max) still above the target
        if fb == fa:
            break
        c = b - fb * (b - a) / (fb - fa)
        if not math.isfinite(c):
            break
        c = max(min(max(c, b - 5.0), b + 5.0, lg_max), lg_min)   # at most a factor e^5 per step
        if b == lg_min and c == lg_min and fb < 0:
            return float("nan")                     # underabundant even for g_mu -> 0 (S S channel)
        a, fa = b, fb
        b, fb = c, f(c)
    return float("nan")


def relic_coupling(model: str, m_S, *, mchi_ratio: float = 3.0, eps_R: float | None = None, g_chi: float = 1.0,
                   target: float = OMEGA_DM_H2, g_max: float = math.sqrt(4.0 * math.pi), tol: float = 1e-4,
                   x_end: float = 1000.0, n_x: int = 64, n_gl: int = 16, n_res: int = 24,
                   rtol: float = 1e-8, atol: float = 1e-8, method: str = "lsoda") -> np.ndarray:
    """Coupling g_mu giving Omega_chi h^2 = ``target`` (0.12) versus m_S, NA64-mu paper Sec. 2.2.

    ``model``: "muon-specific" or "lepton-specific" (Eq. 2.3 of arXiv:1807.03790);
    m_chi = m_S / ``mchi_ratio`` (Eq. 2.8) or, with ``eps_R``, m_chi = m_S/(2 sqrt(1+eps_R))
    (Eq. 2.9); g_chi = 1 as in the paper.  Returns an array like ``m_S`` with nan where no
    coupling in [1e-12, ``g_max``] (default sqrt(4 pi)) reaches the target (too weak, or,
    for m_chi > m_S, already underabundant through chi chi-bar -> S S), or where
    m_chi < 1 MeV (BBN era; the curve stops there).  ``tol``: accuracy in ln Omega.
    """
    if model not in _PRESETS:
        raise InputError("model", f"unknown relic model {model!r}; valid: {', '.join(_PRESETS)}")
    ms = np.atleast_1d(np.asarray(m_S, float))
    if ms.size == 0 or not np.all(np.isfinite(ms)) or np.any(ms <= 0):
        raise InputError("m_S", f"must be finite and > 0 GeV; got {m_S!r}")
    if eps_R is not None and (isinstance(eps_R, bool) or not math.isfinite(float(eps_R)) or float(eps_R) <= 0):
        raise InputError("eps_R", f"must be > 0 (valid range (0, inf)); got {eps_R!r}")
    if eps_R is None and (isinstance(mchi_ratio, bool) or not math.isfinite(float(mchi_ratio))
                          or float(mchi_ratio) <= 0.0):
        raise InputError("mchi_ratio", f"must be a finite number > 0 (m_chi = m_S/mchi_ratio); got {mchi_ratio!r}")
    if not (math.isfinite(g_max) and g_max > 0):
        raise InputError("g_max", f"must be finite and > 0; got {g_max!r}")
    if not (math.isfinite(target) and target > 0):
        raise InputError("target", f"must be finite and > 0; got {target!r}")
    out = np.full(ms.shape, np.nan)
    for i, mS in enumerate(ms):
        mchi = mS / (2.0 * math.sqrt(1.0 + eps_R)) if eps_R is not None else mS / mchi_ratio
        if mchi < M_CHI_MIN_GEV:
            continue
        scan = _CouplingScan(model, float(mS), mchi_ratio, eps_R, g_chi, x_end, n_x, n_gl, n_res,
                             dict(rtol=rtol, atol=atol, method=method))
        out[i] = _solve_coupling(scan, target, g_max, tol)
    return out.reshape(np.shape(m_S)) if np.ndim(m_S) else out


# ---------------------------------------------------------------------------------------
# Analytic approximation (for validation)
# ---------------------------------------------------------------------------------------
def analytic_omega_h2(m_chi: float, sigma0_gev2: float, n: int = 0, *, g_dof: float = 2.0,
                      majorana: bool = False) -> tuple[float, float]:
    """Standard analytic freeze-out (Kolb & Turner, "The Early Universe", Eqs. 5.43-5.45).

    <sigma v> = sigma0 x^-n (n = 0 s-wave, n = 1 p-wave: sigma0 = 6 b for sigma v = b v_rel^2)::

        x_f = ln c - (n + 1/2) ln ln c,   c = 0.038 (n+1) (g / sqrt(g_*)) M_Pl m sigma0,
        Y_inf = sqrt(45/pi) (n+1) x_f^(n+1) / ((g_*s / sqrt(g_*)) M_Pl m sigma0),

    Omega h^2 = eta m Y_inf s_0 / (rho_c/h^2) with the PDG s_0 and rho_c of this module
    (K&T's printed 1.07e9 GeV^-1 uses older values and is 3 % higher); eta = 2 (Dirac), 1
    (Majorana).  g_*, g_*s at T = m/x_f (iterated).  Returns (Omega h^2, x_f).
    """
    m = float(m_chi)
    x_f = 20.0
    for _ in range(50):
        gst = float(g_rho(m / x_f))
        c = 0.038 * (n + 1) * g_dof / math.sqrt(gst) * M_PLANCK_GEV * m * sigma0_gev2
        if c <= math.e:
            raise InputError("sigma0_gev2", "annihilation too weak for the freeze-out approximation (ln c <= 1)")
        x_new = math.log(c) - (n + 0.5) * math.log(math.log(c))
        if abs(x_new - x_f) < 1e-10:
            break
        x_f = x_new
    gst, gss = float(g_rho(m / x_f)), float(g_s(m / x_f))
    y_inf = math.sqrt(45.0 / math.pi) * (n + 1) * x_f ** (n + 1) / ((gss / math.sqrt(gst)) * M_PLANCK_GEV * m * sigma0_gev2)
    eta = 1.0 if majorana else 2.0
    return eta * m * y_inf * S0_CM3 / RHO_CRIT_H2_GEV_CM3, x_f


# ---------------------------------------------------------------------------------------
# e->mu paper, Eq. (2): annihilation-rate estimate
# ---------------------------------------------------------------------------------------
def lfv_annihilation_rate_line(m_phi, *, g_dark: float = 0.1, psi_mass_ratio: float = 3.0,
                               sigma_v_pb: float = 10.0) -> np.ndarray:
    """"Annihilation-rate estimate" line h(m_phi) of the e->mu paper, Eq. (2) (arXiv NA64 e->mu, ref. [20]).

    Eq. (2): h^2 g_{phi psi1 psi2}^2 m_1^2 / (4 pi [m_phi^2 - (m_1 + m_2)^2]^2) = O(10 pb),
    solved for h with the paper's Fig. 8 choices g_{phi psi1 psi2} = ``g_dark`` = 0.1 and
    m_1 = m_2 = ``psi_mass_ratio`` * m_phi (= 3 m_phi), and the right-hand side set to
    ``sigma_v_pb`` = 10 pb (converted with (hbar c)^2).  This is an order-of-magnitude
    estimate, *not* a Boltzmann solution.  Returns h (array like ``m_phi``).
    """
    mp = np.asarray(m_phi, float)
    if mp.size == 0 or not np.all(np.isfinite(mp)) or np.any(mp <= 0):
        raise InputError("m_phi", f"must be finite and > 0 GeV; got {m_phi!r}")
    for name, v in (("g_dark", g_dark), ("psi_mass_ratio", psi_mass_ratio), ("sigma_v_pb", sigma_v_pb)):
        if isinstance(v, bool) or not math.isfinite(float(v)) or float(v) <= 0:
            raise InputError(name, f"must be finite and > 0; got {v!r}")
    m1 = m2 = psi_mass_ratio * mp
    if np.any(np.isclose(mp ** 2, (m1 + m2) ** 2)):
        raise InputError("psi_mass_ratio", "m_phi = m_1 + m_2 makes Eq. (2) singular")
    rhs = sigma_v_pb / GEV2_TO_PB                    # GeV^-2
    h2 = rhs * 4.0 * np.pi * (mp ** 2 - (m1 + m2) ** 2) ** 2 / (g_dark ** 2 * m1 ** 2)
    return np.sqrt(h2)[()]
