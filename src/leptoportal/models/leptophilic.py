"""Leptophilic scalar mediator S coupled to charged leptons and Dirac dark matter chi.

Model of the NA64-mu leptophilic-DM paper (Chen, Kozaczuk, Zhong, arXiv:1807.03790,
"Exploring leptophilic dark matter with NA64-mu"), Eq. (2.1)::

    L  >  - g_chi S chi-bar chi  -  sum_{l = e, mu, tau} g_l S l-bar l

with S real.  The two benchmark coupling patterns of Eq. (2.3) are available as
:meth:`LeptophilicScalar.muon_specific` (g_e = g_tau = 0) and
:meth:`LeptophilicScalar.lepton_specific` (g_e : g_mu : g_tau = m_e : m_mu : m_tau);
the DM mass follows Eq. (2.8) (m_chi = m_S / 3) or Eq. (2.9) (near resonance,
m_chi = m_S / (2 sqrt(1 + eps_R))), see :func:`dm_mass`.

Decays (Eq. 2.5): S -> l+ l-, S -> chi chi-bar (tree level) and S -> gamma gamma
(one lepton loop, effective coupling g_gammagamma of Eq. 2.4 with the loop function
F_1/2 of Appendix A, Eqs. A.1-A.3; see :func:`loop_f12`).

Units: GeV for masses and widths, GeV^-1 for g_gammagamma.  Everything broadcasts
over NumPy arrays (typically a grid of m_S).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..particles import M_E, M_MU, M_TAU
from ..units import ALPHA

__all__ = [
    "LeptophilicScalar",
    "LEPTON_FLAVOURS",
    "dm_mass",
    "loop_f12",
    "loop_f12_onshell",
]

#: charged-lepton flavours coupling to S, in the order of Eq. (2.1)
LEPTON_FLAVOURS = ("e", "mu", "tau")
_LEPTON_MASS = {"e": M_E, "mu": M_MU, "tau": M_TAU}

# Above this tau the closed form 1 + (1 - tau) arcsin^2(tau^-1/2) loses ~log10(3 tau) digits to
# cancellation (its terms are ~1, the result ~2/(3 tau)); from here on we use its 1/tau series, whose
# terms are all positive (see _h_series_coefficients; truncation < 2e-19 relative at tau = 10).
_TAU_SERIES = 10.0
_H_SERIES_TERMS = 16


def _h_series_coefficients(n_terms: int) -> np.ndarray:
    """b_n of h(u) = 1 + (1 - 1/u) arcsin^2(sqrt u) = sum_{n>=1} b_n u^n, u = 1/tau.

    From arcsin^2 x = (1/2) sum_{n>=1} (2x)^(2n) / (n^2 C(2n, n)) (a standard series), i.e.
    arcsin^2(sqrt u) = sum a_n u^n with a_n = 2^(2n-1)/(n^2 C(2n, n)), a_1 = 1: h = sum (a_n - a_(n+1)) u^n.
    a_n decreases, so every b_n > 0 (b_1 = 2/3, b_2 = 7/45, b_3 = 4/63, ...).  Exact fractions, then float.
    """
    from fractions import Fraction

    def a(n):
        return Fraction(2 ** (2 * n - 1), n * n * math.comb(2 * n, n))

    return np.array([float(a(n) - a(n + 1)) for n in range(1, n_terms + 1)])


_H_SERIES = _h_series_coefficients(_H_SERIES_TERMS)
# Half-width (in rho*tau - 1) of the window around the removable 0/0 point rho*tau = 1
# of Eq. (A.1), bridged by quintic interpolation; the node spacing (eps tau)^(1/8) balances
# round-off (~eps tau / delta^2) against interpolation error (~delta^6).
_RT_DELTA = 1.0e-3
# Heavy-loop region |1/tau| <= _HEAVY and |rho| <= _HEAVY: double series of the
# Feynman-parameter integral (terms up to total order _HEAVY_ORDER, error < 1e-20).
_HEAVY = 1.0e-2
_HEAVY_ORDER = 10


def _heavy_coefficients(order: int) -> np.ndarray:
    """c[k, m] with F_1/2 = sum_{k,m} c[k, m] (1/tau)^k rho^m for small 1/tau and rho.

    From F = -4 int_simplex dx dy dz delta(1-x-y-z) (1 - 4 x y) / (1 - 4 x y / tau - 4 y z rho)
    (the Feynman-parameter form of the loop of Appendix A; it reproduces Eq. (A.1) where
    the denominator has no zero), expanding the denominator geometrically and using
    int x^a y^b z^c = a! b! c! / (a + b + c + 2)!.
    """
    f = math.factorial
    c = np.zeros((order + 1, order + 1))
    for n in range(order + 1):
        for k in range(n + 1):
            m = n - k
            term = (f(k) * f(n) * f(m) / f(2 * n + 2)
                    - 4.0 * f(k + 1) * f(n + 1) * f(m) / f(2 * n + 4))
            c[k, m] = -4.0 * 4.0 ** n * math.comb(n, k) * term
    return c


_HEAVY_C = _heavy_coefficients(_HEAVY_ORDER)


def _f12_heavy(tau: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Heavy-loop double series of F_1/2 (|1/tau|, |rho| <= 1e-2); real."""
    return np.polynomial.polynomial.polyval2d(1.0 / tau, rho, _HEAVY_C)


# ----------------------------------------------------------------------------------------
# Loop function F_1/2 (Appendix A)
# ----------------------------------------------------------------------------------------
def _real_array(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a real number or array; got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise InputError(name, f"must be finite; got {value!r}")
    return arr


def _h_on(tau: np.ndarray) -> np.ndarray:
    """h(tau) = -F_1/2(tau, 0) / (2 tau) for tau >= 1: 1 + (1 - tau) arcsin^2(tau^-1/2).

    Above tau = :data:`_TAU_SERIES` = 10 uses the series h = (2/3) u + (7/45) u^2 + (4/63) u^3 + ...
    (u = 1/tau, :func:`_h_series_coefficients`, 16 positive terms), which avoids the cancellation
    1 - 1 + O(1/tau) of the closed form (that amplifies rounding by ~3 tau: <= 30 below tau = 10).
    """
    tau = np.asarray(tau, float)
    out = np.empty_like(tau)
    big = tau > _TAU_SERIES
    t = tau[~big]
    out[~big] = 1.0 + (1.0 - t) * np.arcsin(1.0 / np.sqrt(t)) ** 2
    u = 1.0 / tau[big]
    acc = np.zeros_like(u)
    for b in _H_SERIES[::-1]:  # Horner, highest power first
        acc = u * (b + acc)
    out[big] = acc
    return out


def loop_f12_onshell(tau) -> np.ndarray:
    """On-shell loop function F_1/2(tau, 0) of Eq. (A.3) (NA64-mu leptophilic paper).

    ``tau = 4 m_l^2 / m_S^2`` (> 0).  For tau >= 1::

        F = -2 tau [1 + (1 - tau) arcsin^2(tau^-1/2)]                     (real)

    and for tau < 1 (S above the l+ l- threshold)::

        F = -2 tau [1 - (1 - tau)/4 (-i pi + ln((1 + sqrt(1-tau)) / (1 - sqrt(1-tau))))^2]

    (complex; the sign of i pi corresponds to p_S^2 + i0).  Limits: F -> -4/3 for
    tau -> infinity (heavy lepton), F -> 0 like (tau/2) ln^2(tau) for tau -> 0.

    Returns a complex array with the broadcast shape of ``tau``.
    """
    tau = _real_array("tau", tau)
    if np.any(tau <= 0):
        raise InputError("tau", "tau = 4 m_l^2 / p_S^2 must be > 0 for the on-shell function")
    tau_b = np.atleast_1d(tau)
    out = np.empty(tau_b.shape, complex)
    hi = tau_b >= 1.0
    out[hi] = -2.0 * tau_b[hi] * _h_on(tau_b[hi])
    t = tau_b[~hi]
    beta = np.sqrt(1.0 - t)
    # ln((1+beta)/(1-beta)) = 2 ln(1+beta) - ln(tau): no cancellation for tau -> 0
    big_log = 2.0 * np.log1p(beta) - np.log(t)
    out[~hi] = -2.0 * t * (1.0 - 0.25 * (1.0 - t) * (big_log - 1j * np.pi) ** 2)
    return out.reshape(tau.shape)


def _f12_bracket(tau: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """F_1/2 of Eq. (A.1) for flat arrays tau != 0, rho, away from rho*tau = 1."""
    # --- rho part: s = sqrt(rho (rho - 1)),  L1 = ln(1 - 2 rho + 2 s), with q^2 + i0 -------
    s = np.empty(rho.shape, complex)
    l1 = np.empty(rho.shape, complex)
    neg = rho < 0
    mid = (rho >= 0) & (rho <= 1)
    pos = rho > 1
    a = -rho[neg]
    s[neg] = np.sqrt(a * (1.0 + a))
    l1[neg] = 2.0 * np.arcsinh(np.sqrt(a))                       # ln((sqrt(1+a)+sqrt(a))^2)
    r = rho[mid]
    s[mid] = 1j * np.sqrt(r * (1.0 - r))
    l1[mid] = 2j * np.arcsin(np.sqrt(r))                          # |argument| = 1
    r = rho[pos]
    s[pos] = np.sqrt(r * (r - 1.0))
    l1[pos] = -2.0 * np.arccosh(np.sqrt(r)) + 1j * np.pi          # argument < 0, q^2 + i0

    # --- tau part: c = sqrt(1 - tau),  L2 = ln(1 - 2/tau + 2 c/|tau|), with p_S^2 + i0 -----
    c = np.empty(tau.shape, complex)
    l2 = np.empty(tau.shape, complex)
    f_on = np.empty(tau.shape, complex)            # F(tau, 0) = 2 tau [-1 - (tau-1) L2^2 / 4]
    above = tau >= 1
    below = (tau > 0) & (tau < 1)
    spacelike = tau < 0
    t = tau[above]
    c[above] = 1j * np.sqrt(t - 1.0)
    l2[above] = 2j * np.arcsin(1.0 / np.sqrt(t))
    t = tau[below]
    beta = np.sqrt(1.0 - t)
    c[below] = beta
    l2[below] = -(2.0 * np.log1p(beta) - np.log(t)) + 1j * np.pi
    t = -tau[spacelike]
    c[spacelike] = np.sqrt(1.0 + t)
    l2[spacelike] = 2.0 * np.log1p(np.sqrt(1.0 + t)) - np.log(t)
    f_on[above | below] = loop_f12_onshell(tau[above | below])
    ts = tau[spacelike]
    f_on[spacelike] = 2.0 * ts * (-1.0 - 0.25 * (ts - 1.0) * l2[spacelike] ** 2)

    # --- Eq. (A.1), with the rho-independent part written as F(tau, 0) / (2 tau) ---------
    rt = rho * tau
    bracket = (f_on / (2.0 * tau) + rt + s * tau * l1 + 0.25 * (tau + rt - 1.0) * l1 ** 2
               - rho * np.abs(tau) * c * l2 - 0.25 * rt * l2 ** 2)
    return 2.0 * tau * bracket / (rt - 1.0) ** 2


def loop_f12(tau, rho=0.0) -> np.ndarray:
    """Loop function F_1/2(tau, rho) of Eq. (A.1) (NA64-mu leptophilic paper, Appendix A).

    ``tau = 4 m_l^2 / p_S^2`` and ``rho = q^2 / (4 m_l^2)`` (Eq. A.2): S with
    four-momentum squared p_S^2, one on-shell photon and one photon of virtuality q^2,
    metric (+,-,-,-).  Branches of the square roots and logarithms are those of
    p_S^2 + i0 and q^2 + i0 (Feynman prescription):

    * rho < 0:      ln(1 - 2 rho + 2 sqrt(rho(rho-1))) = 2 arcsinh(sqrt(-rho))      (real)
    * 0 <= rho <= 1: sqrt(rho(rho-1)) = i sqrt(rho(1-rho)), log = 2 i arcsin(sqrt(rho))
    * rho > 1:      log = -2 arccosh(sqrt(rho)) + i pi

    and likewise for tau; with these, A.1 at rho = 0 is exactly Eq. (A.3)
    (:func:`loop_f12_onshell`).  Negative tau (space-like p_S^2) is accepted and uses
    the formula as printed (with |tau|).

    Numerics: for a heavy loop (|tau| >= 100 and |rho| <= 1e-2) the printed form cancels
    badly (its terms are O(rho tau) while F - F(tau, 0) = O(rho)), so there the double
    series in 1/tau and rho of the equivalent Feynman-parameter integral is used (see
    :func:`_heavy_coefficients`).  The point rho * tau = 1 (q^2 = p_S^2) is a removable
    0/0 of the printed form; near it the value is a quintic interpolation in rho through
    six points spaced by delta = max(1e-3, (eps |tau|)^(1/8)) in rho tau.  Measured
    relative accuracy against 60-digit evaluations: <~1e-9 everywhere, ~1e-13 typically.

    Returns a complex array with the broadcast shape of ``tau`` and ``rho``.
    """
    tau = _real_array("tau", tau)
    rho = _real_array("rho", rho)
    if np.any(tau == 0):
        raise InputError("tau", "tau = 4 m_l^2 / p_S^2 must be non-zero (p_S^2 finite)")
    try:
        tau_b, rho_b = np.broadcast_arrays(tau, rho)
    except ValueError:
        raise InputError("rho", f"shape {rho.shape} does not broadcast with tau {tau.shape}") from None
    shape = tau_b.shape
    t = tau_b.ravel().astype(float)
    r = rho_b.ravel().astype(float)
    out = np.empty(t.shape, complex)
    onshell = r == 0
    if np.any(onshell & (t > 0)):
        sel = onshell & (t > 0)
        out[sel] = loop_f12_onshell(t[sel])
    rest = ~(onshell & (t > 0))
    heavy = rest & (np.abs(t) >= 1.0 / _HEAVY) & (np.abs(r) <= _HEAVY)
    if np.any(heavy):
        out[heavy] = _f12_heavy(t[heavy], r[heavy])
    rest &= ~heavy
    delta = np.maximum(_RT_DELTA, (2.2e-16 * np.maximum(np.abs(t), 1.0)) ** (1.0 / 8.0))
    near = rest & (np.abs(r * t - 1.0) < delta)
    far = rest & ~near
    if np.any(far):
        out[far] = _f12_bracket(t[far], r[far])
    if np.any(near):
        tn = t[near]
        x = r[near] * tn - 1.0                      # interpolate in x = rho tau - 1
        dn = delta[near]
        nodes = [k * dn for k in (-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)]
        vals = [_f12_bracket(tn, (1.0 + xk) / tn) for xk in nodes]
        acc = np.zeros(tn.shape, complex)
        for k, xk in enumerate(nodes):
            lk = np.ones_like(x)
            for j, xj in enumerate(nodes):
                if j != k:
                    lk = lk * (x - xj) / (xk - xj)
            acc += lk * vals[k]
        out[near] = acc
    return out.reshape(shape)


# ----------------------------------------------------------------------------------------
# Parameter helpers
# ----------------------------------------------------------------------------------------
def _param(name: str, value, *, positive: bool, allow_none: bool = False):
    """Validate a mass/coupling: float for scalars, read-only float array otherwise."""
    if value is None:
        if allow_none:
            return None
        raise InputError(name, "is required")
    if isinstance(value, bool):
        raise InputError(name, f"must be a number; got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a real number or array; got {value!r}") from None
    rng = "(0, inf)" if positive else "[0, inf)"
    if arr.size == 0:
        raise InputError(name, f"empty array; valid range {rng}")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, f"must be finite; valid range {rng}; got {value!r}")
    if positive and np.any(arr <= 0):
        raise InputError(name, f"must be > 0 GeV; valid range {rng}; got {value!r}")
    if not positive and np.any(arr < 0):
        raise InputError(name, f"must be >= 0; valid range {rng}; got {value!r}")
    if arr.ndim == 0:
        return float(arr)
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


def dm_mass(m_S, mchi_ratio: float | None = 3.0, eps_R: float | None = None):
    """Dark-matter mass for the paper's benchmark mass relations.

    * ``eps_R`` given: m_chi = m_S / (2 sqrt(1 + eps_R)), Eq. (2.9) (near the s-channel
      resonance; eps_R > 0 so that S -> chi chi-bar stays open; the paper uses 0.1).
    * otherwise: m_chi = m_S / ``mchi_ratio``, Eq. (2.8) for the default ratio 3.
    """
    m_S = _param("m_S", m_S, positive=True)
    if eps_R is not None:
        if isinstance(eps_R, bool) or not isinstance(eps_R, (int, float)) or not math.isfinite(eps_R) or eps_R <= 0:
            raise InputError("eps_R", f"must be a finite number > 0 (valid range (0, inf)); got {eps_R!r}")
        return np.asarray(m_S) / (2.0 * math.sqrt(1.0 + eps_R)) if np.ndim(m_S) else m_S / (2.0 * math.sqrt(1.0 + eps_R))
    if (mchi_ratio is None or isinstance(mchi_ratio, bool) or not isinstance(mchi_ratio, (int, float))
            or not math.isfinite(mchi_ratio) or mchi_ratio <= 0):
        raise InputError("mchi_ratio", f"must be a finite number > 0 (valid range (0, inf)); got {mchi_ratio!r}")
    return np.asarray(m_S) / mchi_ratio if np.ndim(m_S) else m_S / mchi_ratio


def _two_body_width(g, m_S, m_f):
    """Gamma(S -> f f-bar) = g^2 m_S / (8 pi) (1 - 4 m_f^2 / m_S^2)^(3/2), zero below threshold."""
    m_S = np.asarray(m_S, float)
    beta2 = np.clip(1.0 - 4.0 * np.asarray(m_f, float) ** 2 / m_S ** 2, 0.0, None)
    return np.asarray(g, float) ** 2 * m_S / (8.0 * np.pi) * beta2 ** 1.5


# ----------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeptophilicScalar:
    """Real scalar S coupled to e, mu, tau and Dirac DM chi, Eq. (2.1) of arXiv:1807.03790.

    Parameters (GeV; couplings dimensionless, all >= 0; arrays broadcast together):

    ``m_S``    scalar mass, > 0
    ``g_e``, ``g_mu``, ``g_tau``   Yukawa-like couplings to the charged leptons
    ``g_chi``  coupling to chi
    ``m_chi``  DM mass, > 0, or ``None`` for no dark sector.  m_chi >= m_S/2 is allowed
               (S then decays visibly); :attr:`invisible_open` tells which case applies.

    Scalar inputs are stored as floats, array inputs as read-only arrays.
    """

    m_S: float | np.ndarray
    g_e: float | np.ndarray = 0.0
    g_mu: float | np.ndarray = 0.0
    g_tau: float | np.ndarray = 0.0
    g_chi: float | np.ndarray = 0.0
    m_chi: float | np.ndarray | None = None

    def __post_init__(self):
        checked = {
            "m_S": _param("m_S", self.m_S, positive=True),
            "g_e": _param("g_e", self.g_e, positive=False),
            "g_mu": _param("g_mu", self.g_mu, positive=False),
            "g_tau": _param("g_tau", self.g_tau, positive=False),
            "g_chi": _param("g_chi", self.g_chi, positive=False),
            "m_chi": _param("m_chi", self.m_chi, positive=True, allow_none=True),
        }
        shapes = [np.shape(v) for v in checked.values() if v is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            desc = ", ".join(f"{k}{np.shape(v)}" for k, v in checked.items() if v is not None and np.ndim(v))
            raise InputError("m_S", f"array parameters must broadcast together; got {desc}") from None
        for k, v in checked.items():
            object.__setattr__(self, k, v)

    # ---------------------------------------------------------------- presets (Eq. 2.3)
    PRESETS = ("muon-specific", "lepton-specific")

    @classmethod
    def from_preset(cls, preset: str, m_S, g_mu, *, g_chi=1.0, m_chi=None, mchi_ratio=3.0, eps_R=None):
        """The NA64-mu paper's presets of Eq. (2.3) by name: "muon-specific" (:meth:`muon_specific`)
        or "lepton-specific" (:meth:`lepton_specific`); the DM mass relation as those take it."""
        if preset == "muon-specific":
            return cls.muon_specific(m_S, g_mu, g_chi=g_chi, m_chi=m_chi, mchi_ratio=mchi_ratio, eps_R=eps_R)
        if preset == "lepton-specific":
            return cls.lepton_specific(m_S, g_mu, g_chi=g_chi, m_chi=m_chi, mchi_ratio=mchi_ratio, eps_R=eps_R)
        raise InputError("model", f"unknown preset {preset!r}; valid: {', '.join(cls.PRESETS)}")

    @classmethod
    def muon_specific(cls, m_S, g_mu, g_chi=1.0, m_chi=None, mchi_ratio=3.0, eps_R=None):
        """Muon-specific scalar, Eq. (2.3): g_mu != 0, g_e = g_tau = 0.

        The DM mass is ``m_chi`` if given, else m_S / (2 sqrt(1 + eps_R)) (Eq. 2.9) if
        ``eps_R`` is given, else m_S / ``mchi_ratio`` (Eq. 2.8 for the default 3).
        The paper's benchmarks use g_chi = 1.
        """
        m_chi = cls._resolve_m_chi(m_S, m_chi, mchi_ratio, eps_R)
        return cls(m_S=m_S, g_e=0.0, g_mu=g_mu, g_tau=0.0, g_chi=g_chi, m_chi=m_chi)

    @classmethod
    def lepton_specific(cls, m_S, g_mu, g_chi=1.0, m_chi=None, mchi_ratio=3.0, eps_R=None):
        """Lepton-specific (MFV-like) scalar, Eq. (2.3): g_e : g_mu : g_tau = m_e : m_mu : m_tau.

        ``g_mu`` is given; g_e = g_mu m_e / m_mu and g_tau = g_mu m_tau / m_mu.  DM mass as
        in :meth:`muon_specific`.
        """
        g = _param("g_mu", g_mu, positive=False)
        m_chi = cls._resolve_m_chi(m_S, m_chi, mchi_ratio, eps_R)
        return cls(m_S=m_S, g_e=np.multiply(g, M_E / M_MU), g_mu=g,
                   g_tau=np.multiply(g, M_TAU / M_MU), g_chi=g_chi, m_chi=m_chi)

    @staticmethod
    def _resolve_m_chi(m_S, m_chi, mchi_ratio, eps_R):
        if m_chi is not None:
            if eps_R is not None:
                raise InputError("eps_R", "give either m_chi or eps_R, not both")
            return m_chi
        return dm_mass(m_S, mchi_ratio=mchi_ratio, eps_R=eps_R)

    # ---------------------------------------------------------------- production interface
    #: coupling structure g l-bar l S seen by the cross-section engine (leptoportal.xsec)
    vertex = "scalar"

    @property
    def mass(self):
        """m_S [GeV]: the name the cross-section engine uses for the produced scalar's mass."""
        return self.m_S

    def coupling_for(self, beam_flavour: str, final_flavour: str) -> float:
        """Vertex coupling for l_i -> l_f S: g_l for l_i = l_f (flavour diagonal), else 0."""
        if beam_flavour != final_flavour:
            return 0.0
        g = np.asarray(self.coupling(beam_flavour), float)
        if g.ndim:
            raise InputError(f"g_{beam_flavour}", "cross sections need a scalar coupling (arrays: loop over them)")
        return float(g)

    # ---------------------------------------------------------------- properties
    def coupling(self, flavour: str):
        """Coupling g_l of lepton ``flavour`` in {e, mu, tau}."""
        if flavour not in _LEPTON_MASS:
            raise InputError("flavour", f"unknown lepton flavour {flavour!r}; valid: e, mu, tau")
        return getattr(self, f"g_{flavour}")

    @property
    def invisible_open(self):
        """True where S -> chi chi-bar is kinematically open (m_chi < m_S / 2).

        A bool for scalar parameters, a bool array otherwise; False without a dark sector.
        """
        if self.m_chi is None:
            return False if np.ndim(self.m_S) == 0 else np.zeros(np.shape(self.m_S), bool)
        res = np.asarray(self.m_chi) < 0.5 * np.asarray(self.m_S)
        return bool(res) if res.ndim == 0 else res

    @property
    def alpha_chi(self):
        """Dark fine-structure constant alpha_chi = g_chi^2 / (4 pi) (Sec. 2.3)."""
        return np.asarray(self.g_chi) ** 2 / (4.0 * np.pi)

    # ---------------------------------------------------------------- widths (Eq. 2.5)
    def width_ll(self, flavour: str):
        """Gamma(S -> l+ l-) [GeV], first term of Eq. (2.5): g_l^2 m_S/(8 pi) beta_l^3 (0 below threshold)."""
        g = self.coupling(flavour)
        return _two_body_width(g, self.m_S, _LEPTON_MASS[flavour])

    def width_chichi(self):
        """Gamma(S -> chi chi-bar) [GeV], first term of Eq. (2.5) with i = chi (Dirac chi).

        Zero where m_chi >= m_S / 2 or without a dark sector.
        """
        if self.m_chi is None:
            return np.zeros(np.broadcast_shapes(np.shape(self.m_S), np.shape(self.g_chi)))[()]
        return _two_body_width(self.g_chi, self.m_S, self.m_chi)

    def _loop_sum(self, p_S2, q2=0.0):
        """sum_l (g_l / m_l) F_1/2(4 m_l^2 / p_S^2, q^2 / (4 m_l^2))  [GeV^-1], complex."""
        total = 0.0 + 0.0j
        for fl in LEPTON_FLAVOURS:
            g = np.asarray(self.coupling(fl), float)
            if not np.any(g > 0):
                continue
            m = _LEPTON_MASS[fl]
            total = total + g / m * loop_f12(4.0 * m * m / np.asarray(p_S2, float),
                                             np.asarray(q2, float) / (4.0 * m * m))
        return np.asarray(total, complex)

    def g_gammagamma(self, p_S2=None, q2=0.0):
        """Effective S-photon-photon coupling g_gammagamma [GeV^-1] of Eq. (2.4).

        L > -(1/4) g_gg S F F with g_gg = alpha/(2 pi) |sum_l (g_l/m_l) F_1/2(4 m_l^2/p_S^2,
        q^2/(4 m_l^2))|.  Defaults: p_S^2 = m_S^2 and q^2 = 0 (both photons on shell, the
        S -> gamma gamma configuration); q^2 = s gives the e+ e- -> S gamma form factor.
        """
        if p_S2 is None:
            p_S2 = np.asarray(self.m_S, float) ** 2
        p_S2 = _real_array("p_S2", p_S2)
        if np.any(p_S2 == 0):
            raise InputError("p_S2", "must be non-zero (GeV^2)")
        shape = np.broadcast_shapes(np.shape(self.m_S), np.shape(p_S2), np.shape(q2),
                                    np.shape(self.g_e), np.shape(self.g_mu), np.shape(self.g_tau))
        val = ALPHA / (2.0 * np.pi) * np.abs(self._loop_sum(p_S2, q2))
        return np.broadcast_to(val, shape).copy()[()]

    def width_gammagamma(self):
        """Gamma(S -> gamma gamma) [GeV], second term of Eq. (2.5).

        alpha^2 m_S^3 / (256 pi^3) |sum_l (g_l/m_l) F_1/2(4 m_l^2/m_S^2, 0)|^2
        (= g_gammagamma^2 m_S^3 / (64 pi)).
        """
        m_S = np.asarray(self.m_S, float)
        amp = self._loop_sum(m_S ** 2, 0.0)
        val = ALPHA ** 2 * m_S ** 3 / (256.0 * np.pi ** 3) * np.abs(amp) ** 2
        shape = np.broadcast_shapes(m_S.shape, np.shape(self.g_e), np.shape(self.g_mu), np.shape(self.g_tau))
        return np.broadcast_to(val, shape).copy()[()]

    def total_width(self):
        """Total width Gamma_S [GeV], Eq. (2.5): leptons + chi chi-bar + gamma gamma."""
        return (self.width_ll("e") + self.width_ll("mu") + self.width_ll("tau")
                + self.width_chichi() + self.width_gammagamma())

    def width_visible(self):
        """Gamma(S -> e e, mu mu, tau tau, gamma gamma) [GeV]: the visible part of Eq. (2.5), summed
        directly (not Gamma_S - Gamma_chi, which cancels when the visible width is tiny)."""
        return (self.width_ll("e") + self.width_ll("mu") + self.width_ll("tau")) + self.width_gammagamma()

    def br_invisible(self):
        """BR(S -> chi chi-bar) = Gamma_chi / Gamma_S (0 where Gamma_S = 0, i.e. no couplings)."""
        inv = np.asarray(self.width_chichi(), float)
        tot = np.asarray(self.total_width(), float)
        inv, tot = np.broadcast_arrays(inv, tot)
        out = np.zeros(tot.shape)
        np.divide(inv, tot, out=out, where=tot > 0)
        return out[()]

    def branching_ratios(self) -> dict:
        """All branching ratios: keys 'e', 'mu', 'tau', 'chi', 'gamma' (sum to 1 where Gamma_S > 0)."""
        parts = {fl: self.width_ll(fl) for fl in LEPTON_FLAVOURS}
        parts["chi"] = self.width_chichi()
        parts["gamma"] = self.width_gammagamma()
        tot = np.asarray(self.total_width(), float)
        out = {}
        for k, w in parts.items():
            w, t = np.broadcast_arrays(np.asarray(w, float), tot)
            r = np.zeros(t.shape)
            np.divide(w, t, out=r, where=t > 0)
            out[k] = r[()]
        return out
