"""Relic targets: the coupling g that gives Omega h^2 = 0.12 for a preset of the leptophilic
model (arXiv:1807.03790, Sec. 2.2), and the e->mu paper's Eq. (2) annihilation-rate line.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline

from ...errors import InputError
from ...models.leptophilic import LeptophilicScalar
from ...units import GEV2_TO_PB
from .annihilation import M_CHI_MIN_GEV, OMEGA_DM_H2, annihilation_cross_section
from .freezeout import solve_freeze_out
from .thermal import gg_plan, model_breaks_and_resonance, x_range

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
        self.x_stop, n_x = x_range(mod, self.x_end, self.n_x)
        self.xg = np.logspace(0.0, math.log10(self.x_stop), n_x)
        breaks, resonance = model_breaks_and_resonance(mod)
        s, w, starts = gg_plan(self.m, self.xg, breaks, resonance, self.n_gl, self.n_res)
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
