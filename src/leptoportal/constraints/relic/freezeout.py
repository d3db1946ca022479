"""Freeze-out: the Boltzmann equation for Y = n/s (Gondolo & Gelmini 1991, Eq. 3.12; Edsjo &
Gondolo, PRD 56 (1997) 1879, Eq. 7) solved in ln x, Omega h^2 of a model or of a constant s-wave
<sigma v> (Steigman, Dasgupta & Beacom, PRD 86 (2012) 023506), and the analytic approximation used
to validate it (Kolb & Turner, The Early Universe, Ch. 5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import ode, solve_ivp
from scipy.interpolate import CubicSpline
from scipy.special import kve

from ...errors import InputError
from ...models.leptophilic import LeptophilicScalar
from ...units import M_PLANCK_GEV, RHO_CRIT_H2_GEV_CM3, S0_CM3
from ..relic_dof import g_rho, g_s, sqrt_g_star
from .annihilation import M_CHI_MIN_GEV, check_model, sigma_v_cm3_s_to_gev2
from .thermal import thermal_average_model, x_range

#: equilibration rate 2 A Y_eq above which the quasi-static solution is used (see solve_freeze_out)
_R_QS = 1.0e5

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
    model = check_model(model)
    m = float(model.m_chi)
    if m < M_CHI_MIN_GEV:
        raise InputError("m_chi", f"DM mass must be >= {M_CHI_MIN_GEV * 1e3:g} MeV (BBN era below); got {m:g} GeV")
    x_end, n_x = x_range(model, x_end, n_x)
    xg = np.logspace(0.0, math.log10(x_end), n_x)
    sv = thermal_average_model(model, xg, n_gl=n_gl, n_res=n_res)
    spl = CubicSpline(np.log(xg), np.log(np.maximum(sv, 1e-300)))
    res = solve_freeze_out(m, lambda x: np.exp(spl(np.log(x))), majorana=False, x_end=x_end,
                           rtol=rtol, atol=atol, method=method)
    return res if details else res.omega_h2


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
