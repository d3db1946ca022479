"""Muon anomalous magnetic moment: new-physics contributions and the (g-2)_mu bands.

Contributions (one loop, by adaptive quadrature with scipy):

* diagonal scalar S mu-bar mu with coupling g_mu -- Eq. (2.6) of the NA64-mu leptophilic
  paper (Chen, Kozaczuk, Zhong, arXiv:1807.03790)::

      Delta a_mu = g^2/(8 pi^2) int_0^1 dz (1-z)^2 (1+z) / ((1-z)^2 + z (m_S/m_mu)^2)

* lepton-flavour-violating scalar, L = -h e-bar P_R mu phi + h.c. -- Eq. (3) of the
  NA64e e->mu paper (the electron runs in the loop, hence m_e)::

      Delta a_mu = h^2/(16 pi^2) (m_mu^2/m_phi^2) int_0^1 dx x^2 (1-x) /
                   [(1-x)(1 - x m_mu^2/m_phi^2) + x m_e^2/m_phi^2]

  valid for m_phi > m_mu - m_e (below, mu -> e phi is open and the integrand has a pole).

Both are exactly quadratic in the coupling, so every coupling-versus-mass curve below is
``sqrt(target / unit_contribution(m))`` with no root finding.

Bands use a determination of Delta a_mu from ``data/g2_inputs.toml`` (see
:func:`load_g2_inputs`); sigma = exp and theory errors in quadrature.  Section 4.1 of the
leptophilic paper: coupling range within n sigma (its green 2 sigma band) and the
region |a_NP - Delta a_mu^central| > 5 sigma (its grey exclusion).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy import integrate

from ..errors import InputError
from ..particles import M_E, M_MU

__all__ = [
    "G2Determination",
    "KINDS",
    "load_g2_inputs",
    "get_g2_determination",
    "delta_a_mu_scalar",
    "delta_a_mu_lfv",
    "delta_a_mu_scalar_heavy",
    "delta_a_mu_scalar_light",
    "delta_a_mu_lfv_heavy",
    "delta_a_mu",
    "coupling_central",
    "coupling_band",
    "coupling_excluded_above",
    "is_excluded",
]

#: contribution types understood by the band functions
KINDS = ("diagonal", "lfv")

_EPSREL = 1e-11


# ----------------------------------------------------------------------------------------
# Input validation
# ----------------------------------------------------------------------------------------
def _mass_array(name: str, m) -> np.ndarray:
    try:
        arr = np.asarray(m, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a real number or array in GeV; got {m!r}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(name, f"must be finite and > 0 GeV (valid range (0, inf)); got {m!r}")
    return arr


def _coupling_array(name: str, g) -> np.ndarray:
    try:
        arr = np.asarray(g, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a real number or array; got {g!r}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(name, f"must be finite and >= 0 (valid range [0, inf)); got {g!r}")
    return arr


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError("kind", f"unknown contribution {kind!r}; valid: {', '.join(KINDS)}")
    return kind


# ----------------------------------------------------------------------------------------
# Loop integrals (coupling = 1)
# ----------------------------------------------------------------------------------------
def _diag_integral(r: float) -> float:
    """int_0^1 dz (1-z)^2 (1+z) / ((1-z)^2 + z r^2), r = m_S / m_mu (Eq. 2.6)."""
    r2 = r * r

    def f(z):
        u = 1.0 - z
        return u * u * (1.0 + z) / (u * u + z * r2)

    # structure sits at z ~ 1/r^2 (heavy S) or 1 - z ~ r (light S): tell quad where
    pts = sorted({p for p in (1.0 / r2, 10.0 / r2, 1.0 - r, 1.0 - 0.1 * r) if 0.0 < p < 1.0})
    val, _ = integrate.quad(f, 0.0, 1.0, points=pts or None, epsabs=0.0, epsrel=_EPSREL, limit=400)
    return val


def _lfv_integral(m_phi: float) -> float:
    """int_0^1 dx x^2 (1-x) / [(1-x)(1 - a x) + b x], a = m_mu^2/m_phi^2, b = m_e^2/m_phi^2.

    Integrated in s = ln(1 - x): for heavy phi the integrand steps from 0 to ~1 within
    1 - x ~ b (~1e-10), which is smooth in s; the denominator written in u = 1 - x,
    u (1 - a + a u) + b (1 - u), has no cancellation.  Near threshold (m_phi -> m_mu - m_e)
    the peak of width ~sqrt(D_min / a) around the minimum of the denominator is flagged
    to the integrator.
    """
    a = (M_MU / m_phi) ** 2
    b = (M_E / m_phi) ** 2

    def g(s):
        u = math.exp(s)
        x = 1.0 - u
        return x * x * u * u / (u * (1.0 - a + a * u) + b * x)

    pts = set()
    x_min = (1.0 + a - b) / (2.0 * a)          # minimum of the (convex) denominator in x
    if 0.0 < x_min < 1.0:
        d_min = 1.0 - a * x_min * x_min        # D(x_min) = 1 - a x_min^2 (> 0 above threshold)
        width = math.sqrt(max(d_min, 0.0) / a)   # D ~ a [(x - x_min)^2 + width^2] near the minimum
        for k in (0.0, -1.0, 1.0, -10.0, 10.0, -100.0, 100.0):
            u = 1.0 - (x_min + k * width)
            if 0.0 < u < 1.0:
                pts.add(math.log(u))
    s_min = min(math.log(b) - 40.0, -60.0)     # below: integrand < u^2 / b, negligible
    val, _ = integrate.quad(g, s_min, 0.0, points=sorted(pts) or None, epsabs=0.0,
                            epsrel=_EPSREL, limit=400)
    return val


def _unit_contribution(m: np.ndarray, kind: str) -> np.ndarray:
    """Delta a_mu for unit coupling at each mass (one quadrature per distinct mass)."""
    flat = m.ravel()
    uniq, inv = np.unique(flat, return_inverse=True)
    if kind == "diagonal":
        vals = np.array([_diag_integral(x / M_MU) for x in uniq]) / (8.0 * np.pi ** 2)
    else:
        if np.any(uniq <= M_MU - M_E):
            raise InputError("m_phi", f"the e->mu Eq. (3) needs m_phi > m_mu - m_e = {M_MU - M_E:.6f} GeV "
                             "(below, mu -> e phi is open); valid range (m_mu - m_e, inf)")
        vals = np.array([(M_MU / x) ** 2 * _lfv_integral(x) for x in uniq]) / (16.0 * np.pi ** 2)
    return vals[inv].reshape(m.shape)


# ----------------------------------------------------------------------------------------
# Contributions
# ----------------------------------------------------------------------------------------
def delta_a_mu_scalar(m_S, g_mu):
    """Delta a_mu from a scalar with diagonal coupling g_mu S mu-bar mu, Eq. (2.6) of arXiv:1807.03790.

    Adaptive quadrature (relative accuracy ~1e-11).  ``m_S`` [GeV] > 0 and ``g_mu`` >= 0
    broadcast together.  Limits: 3 g^2/(16 pi^2) for m_S << m_mu
    (:func:`delta_a_mu_scalar_light`), g^2 m_mu^2/(4 pi^2 m_S^2) [ln(m_S/m_mu) - 7/12]
    for m_S >> m_mu (:func:`delta_a_mu_scalar_heavy`).
    """
    m = _mass_array("m_S", m_S)
    g = _coupling_array("g_mu", g_mu)
    return g ** 2 * _unit_contribution(m, "diagonal")


def delta_a_mu_lfv(m_phi, h):
    """Delta a_mu from the LFV scalar of L = -h e-bar P_R mu phi + h.c., Eq. (3) of the NA64e e->mu paper.

    Electron in the loop (m_e kept).  Requires m_phi > m_mu - m_e (InputError otherwise);
    the contribution grows without bound as m_phi -> (m_mu - m_e)+ where the loop goes
    on shell.  Heavy limit h^2 m_mu^2 / (48 pi^2 m_phi^2) (:func:`delta_a_mu_lfv_heavy`).
    """
    m = _mass_array("m_phi", m_phi)
    g = _coupling_array("h", h)
    return g ** 2 * _unit_contribution(m, "lfv")


def delta_a_mu(m, g, kind: str = "diagonal"):
    """Dispatch: ``kind='diagonal'`` -> :func:`delta_a_mu_scalar`, ``'lfv'`` -> :func:`delta_a_mu_lfv`."""
    return delta_a_mu_scalar(m, g) if _kind(kind) == "diagonal" else delta_a_mu_lfv(m, g)


def delta_a_mu_scalar_light(m_S, g_mu):
    """Light-scalar limit (m_S << m_mu) of Eq. (2.6): 3 g^2 / (16 pi^2).

    The first correction is -(2 pi / 3)(m_S/m_mu) relative (from the region z -> 1 of the
    integrand); ``m_S`` only sets the output shape.
    """
    m = _mass_array("m_S", m_S)
    g = _coupling_array("g_mu", g_mu)
    return 3.0 * g ** 2 / (16.0 * np.pi ** 2) * np.ones_like(m)


def delta_a_mu_scalar_heavy(m_S, g_mu):
    """Heavy-scalar limit (m_S >> m_mu) of Eq. (2.6): g^2 m_mu^2/(4 pi^2 m_S^2) [ln(m_S/m_mu) - 7/12].

    Equivalently g^2 m_mu^2/(8 pi^2 m_S^2) [ln(m_S^2/m_mu^2) - 7/6]; corrections are
    O((m_mu/m_S)^2 ln) relative (0.03% at 10 GeV).  An asymptotic form only: it turns
    negative below m_S = e^(7/12) m_mu; use :func:`delta_a_mu_scalar` for actual values.
    """
    m = _mass_array("m_S", m_S)
    g = _coupling_array("g_mu", g_mu)
    x = M_MU / m
    return g ** 2 * x ** 2 / (4.0 * np.pi ** 2) * (np.log(m / M_MU) - 7.0 / 12.0)


def delta_a_mu_lfv_heavy(m_phi, h):
    """Heavy-scalar limit (m_phi >> m_mu) of the e->mu paper's Eq. (3): h^2 m_mu^2 / (48 pi^2 m_phi^2).

    Next term: a factor (1 + (3/4) m_mu^2/m_phi^2); m_e enters only at O(m_e^2 ln m_e).
    """
    m = _mass_array("m_phi", m_phi)
    g = _coupling_array("h", h)
    return g ** 2 * (M_MU / m) ** 2 / (48.0 * np.pi ** 2)


# ----------------------------------------------------------------------------------------
# Delta a_mu determinations (data/g2_inputs.toml)
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class G2Determination:
    """A determination Delta a_mu = value +- exp_error +- theory_error (absolute numbers, not 1e-11)."""

    name: str
    value: float
    exp_error: float
    theory_error: float
    source: str = ""
    confidence: str = ""
    note: str = ""
    label: str = ""  #: readable name for legends and outputs ("BNL+FNAL 2023, WP2020 theory")

    @property
    def title(self) -> str:
        return self.label or self.name

    def consistent_with_zero(self, n_sigma: float) -> bool:
        """True when the n_sigma interval of Delta a_mu contains 0: no favoured band exists, only
        an upper exclusion edge (value + n_sigma sigma)."""
        return self.value - n_sigma * self.sigma <= 0.0

    def __post_init__(self):
        for field in ("value", "exp_error", "theory_error"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InputError(field, f"must be a finite number; got {v!r}")
        for field in ("exp_error", "theory_error"):
            if getattr(self, field) < 0:
                raise InputError(field, f"must be >= 0; got {getattr(self, field)!r}")
        if self.sigma <= 0:
            raise InputError("theory_error", "exp_error and theory_error cannot both be 0")

    @property
    def sigma(self) -> float:
        """Total uncertainty: experimental and theory errors added in quadrature."""
        return math.hypot(self.exp_error, self.theory_error)

    def scaled(self, exp_factor: float = 1.0, theory_factor: float = 1.0, name: str | None = None):
        """Same central value with the errors multiplied (e.g. 1/4, 1/2 for the paper's projection)."""
        return G2Determination(name or f"{self.name}_scaled", self.value, self.exp_error * exp_factor,
                               self.theory_error * theory_factor, self.source, self.confidence,
                               f"errors scaled by {exp_factor} (exp), {theory_factor} (theory)")


@lru_cache(maxsize=None)
def _load(path: str | None):
    if path is None:
        text = resources.files("leptoportal").joinpath("data", "g2_inputs.toml").read_bytes()
        data = tomllib.loads(text.decode("utf-8"))
    else:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    unit = float(data.get("unit", 1.0))
    out = {}
    for name, d in data.get("determination", {}).items():
        try:
            out[name] = G2Determination(name, float(d["value"]) * unit, float(d["exp_error"]) * unit,
                                        float(d["theory_error"]) * unit, d.get("source", ""),
                                        d.get("confidence", ""), d.get("note", ""), d.get("label", ""))
        except KeyError as exc:
            raise InputError("g2_inputs", f"determination {name!r} lacks field {exc.args[0]!r}") from None
    default = data.get("default")
    if default not in out:
        raise InputError("g2_inputs", f"default {default!r} is not one of {sorted(out)}")
    return out, default


def load_g2_inputs(path: str | None = None) -> dict[str, G2Determination]:
    """All Delta a_mu determinations of the shipped ``data/g2_inputs.toml`` (or of ``path``)."""
    return dict(_load(path)[0])


def get_g2_determination(which: str | G2Determination | None = None, path: str | None = None) -> G2Determination:
    """Resolve ``which``: None -> the file's default, a name, or a :class:`G2Determination` as is."""
    if isinstance(which, G2Determination):
        return which
    table, default = _load(path)
    name = default if which is None else which
    if name not in table:
        raise InputError("determination", f"unknown Delta a_mu determination {name!r}; valid: {', '.join(sorted(table))}")
    return table[name]


# ----------------------------------------------------------------------------------------
# Couplings from a determination
# ----------------------------------------------------------------------------------------
def coupling_central(m, determination=None, kind: str = "diagonal"):
    """Coupling giving the central Delta a_mu at mass ``m`` [GeV] (green-band centre line).

    ``kind`` = 'diagonal' (Eq. 2.6, g_mu) or 'lfv' (e->mu Eq. 3, h).  Needs a positive
    central value (a scalar loop only raises a_mu).
    """
    det = get_g2_determination(determination)
    if det.value <= 0:
        raise InputError("determination", f"{det.name}: central value {det.value:g} <= 0 cannot be "
                         "reached by a positive-definite scalar contribution")
    unit = _unit_contribution(_mass_array("m", m), _kind(kind))
    return np.sqrt(det.value / unit)


def coupling_band(m, n_sigma: float = 2.0, determination=None, kind: str = "diagonal"):
    """Coupling range (g_low, g_high) with |Delta a_mu(g) - central| <= n_sigma * sigma.

    g_low = 0 where the band reaches Delta a_mu <= 0 (central - n sigma <= 0).  Raises
    InputError if central + n sigma <= 0 (empty band for a positive contribution).
    """
    if isinstance(n_sigma, bool) or not isinstance(n_sigma, (int, float)) or not (n_sigma >= 0 and math.isfinite(n_sigma)):
        raise InputError("n_sigma", f"must be a finite number >= 0; got {n_sigma!r}")
    det = get_g2_determination(determination)
    hi = det.value + n_sigma * det.sigma
    lo = det.value - n_sigma * det.sigma
    if hi <= 0:
        raise InputError("n_sigma", f"{det.name}: central + n_sigma*sigma = {hi:g} <= 0, the band is empty")
    unit = _unit_contribution(_mass_array("m", m), _kind(kind))
    return np.sqrt(max(lo, 0.0) / unit), np.sqrt(hi / unit)


def coupling_excluded_above(m, n_sigma: float = 5.0, determination=None, kind: str = "diagonal"):
    """Coupling above which |a_NP - central| > n_sigma sigma (the paper's grey 5 sigma region, Sec. 4.1).

    If central - n_sigma sigma > 0, small couplings are excluded too; :func:`is_excluded`
    handles both sides.
    """
    return coupling_band(m, n_sigma, determination, kind)[1]


def is_excluded(m, g, n_sigma: float = 5.0, determination=None, kind: str = "diagonal"):
    """True where |Delta a_mu(m, g) - central| > n_sigma * sigma (Sec. 4.1 of arXiv:1807.03790)."""
    if isinstance(n_sigma, bool) or not isinstance(n_sigma, (int, float)) or not (n_sigma >= 0 and math.isfinite(n_sigma)):
        raise InputError("n_sigma", f"must be a finite number >= 0; got {n_sigma!r}")
    det = get_g2_determination(determination)
    a = delta_a_mu(m, g, kind)
    return np.abs(a - det.value) > n_sigma * det.sigma
