"""The thermal average <sigma v>(x): the exact single integral of Gondolo & Gelmini,
Nucl. Phys. B 360 (1991) 145, Eq. 3.8, on Gauss-Legendre panels between thresholds and around the
s-channel resonance (see :mod:`leptoportal.constraints.relic`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import kve

from ...errors import InputError
from ...models.leptophilic import LeptophilicScalar
from .annihilation import LEPTONS, annihilation_cross_section, check_model, gl_rule


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
    xs, ws = gl_rule(n_gl)
    eps_list, w_list = [], []
    core_lo = core_edges[0] if core_edges is not None else None
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        if core_lo is not None and a == core_lo:
            e_r, gam = resonance
            # many sub-panels (broad core at large x): each spans <= 2/x, fewer nodes suffice
            xr, wr = gl_rule(n_res if core_edges.size <= 9 else max(12, n_res // 2))
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
    s, weights, starts = gg_plan(m, x, breakpoints, resonance, n_gl, n_res)
    sig = np.asarray(sigma_fn(s), float)
    return np.add.reduceat(weights * sig, starts)


def gg_plan(m: float, x, breakpoints, resonance, n_gl: int, n_res: int):
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


def model_breaks_and_resonance(model: LeptophilicScalar):
    m = float(model.m_chi)
    breaks = [mf * mf / (m * m) - 1.0 for _, mf in LEPTONS if mf > m]
    ms = float(model.m_S)
    if ms > m:
        breaks.append(ms * ms / (m * m) - 1.0)            # chi chi-bar -> S S threshold
    e_r = ms * ms / (4.0 * m * m) - 1.0
    gam = ms * float(model.total_width()) / (4.0 * m * m)
    resonance = (e_r, gam) if gam > 0 else None
    if resonance is None and e_r > 0:
        breaks.append(e_r)
    return breaks, resonance


def x_range(model: LeptophilicScalar, x_end: float, n_x: int) -> tuple[float, int]:
    """Integration end and tabulation size: near a resonance (0 < eps_R) annihilation goes on
    until the thermal eps ~ 1/x drops below eps_R, so x_end is raised to 100/eps_R (at most
    1e6); n_x grows with ln x_end to keep the ln x spacing."""
    m, ms = float(model.m_chi), float(model.m_S)
    e_r = ms * ms / (4.0 * m * m) - 1.0
    xe = max(x_end, min(100.0 / e_r, 1.0e6)) if e_r > 0 else x_end
    return xe, max(n_x, int(round(n_x * math.log(xe) / math.log(1000.0))))


def thermal_average_model(model: LeptophilicScalar, x, *, n_gl: int = 16, n_res: int = 24):
    """<sigma v>(x) [GeV^-2] of chi chi-bar -> l+ l-, gamma gamma, S S for a leptophilic ``model``."""
    model = check_model(model)
    breaks, resonance = model_breaks_and_resonance(model)
    return thermal_average(lambda s: annihilation_cross_section(model, s), float(model.m_chi), x,
                           breakpoints=breaks, resonance=resonance, n_gl=n_gl, n_res=n_res)
