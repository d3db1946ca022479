"""Effective degrees of freedom of the Standard-Model plasma, g_rho(T), g_s(T), g_*^(1/2)(T).

* T >= 1 MeV: the lattice-QCD based tabulation of Borsanyi et al., Nature 539 (2016) 69
  (arXiv:1606.07494, Supplementary Information), shipped as
  ``data/relic/gstar_borsanyi2016.toml`` (reference and transcription route in its header).
  As recommended there, g_rho and g_s are interpolated with cubic splines in log10 T.
* T < 1 MeV: free-gas thermodynamics (Kolb & Turner, "The Early Universe", Ch. 3):
  photons (2), e+- with the exact Fermi-Dirac integrals at finite m_e/T, and three
  neutrino flavours that decoupled instantaneously at T_d = 1 MeV, whose temperature
  follows from comoving entropy conservation of the e+- gamma plasma,
  (T_nu/T)^3 = g_s^{e gamma}(T) / g_s^{e gamma}(T_d)  (-> 4/11 for T << m_e, up to the
  finite-m_e/T_d correction).  The free gas at T = 1 MeV gives g_rho = 10.68 vs the table's
  10.71 (0.3 %): the two pieces are joined by one spline through both node sets.
* Above 10^5.45 MeV = 282 GeV the last table row is held constant (only the equilibrium
  phase x < 3.5 of a TeV WIMP sees this; it does not affect the relic abundance).

g_*^(1/2) is the combination entering the Boltzmann equation in x = m/T
(Gondolo & Gelmini, Nucl. Phys. B 360 (1991) 145, Eq. 3.12; Edsjo & Gondolo, PRD 56
(1997) 1879, Eq. 7)::

    g_*^(1/2) = g_s / sqrt(g_rho) * (1 + (1/3) d ln g_s / d ln T).

Temperatures in GeV.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.interpolate import CubicSpline

from ..errors import InputError
from ..particles import M_E

__all__ = ["g_rho", "g_s", "sqrt_g_star", "gstar_table", "free_gas_dof", "electron_gas", "T_TABLE_MIN_GEV", "T_TABLE_MAX_GEV"]

_DATA = ("data", "relic", "gstar_borsanyi2016.toml")
#: neutrino decoupling temperature assumed below the table [GeV] (= lowest table temperature)
T_NU_DEC_GEV = 1.0e-3
#: lowest temperature of the extended tabulation [GeV] (0.1 keV); held constant below
T_EXT_MIN_GEV = 1.0e-7


@lru_cache(maxsize=1)
def gstar_table() -> dict:
    """The shipped tabulation: dict with ``T_gev``, ``g_rho``, ``g_s`` arrays and ``reference``."""
    raw = resources.files("leptoportal").joinpath(*_DATA).read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    logt = np.asarray(data["log10_T_MeV"], float)
    grho = np.asarray(data["g_rho"], float)
    ratio = np.asarray(data["g_rho_over_g_s"], float)
    return {"T_gev": 10.0 ** logt * 1e-3, "g_rho": grho, "g_s": grho / ratio,
            "reference": data["reference"], "transcribed_from": data["transcribed_from"]}


T_TABLE_MIN_GEV = 1.0e-3
T_TABLE_MAX_GEV = 10.0 ** 5.45 * 1e-3

# Gauss-Legendre nodes on y = p/T in [0, 60] (integrand ~ y^3 e^-y), 4 panels x 40 nodes.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)
_Y_EDGES = np.array([0.0, 5.0, 15.0, 30.0, 60.0])
_Y = np.concatenate([0.5 * (b - a) * _GL_X + 0.5 * (b + a) for a, b in zip(_Y_EDGES[:-1], _Y_EDGES[1:])])
_WY = np.concatenate([0.5 * (b - a) * _GL_W for a, b in zip(_Y_EDGES[:-1], _Y_EDGES[1:])])


def electron_gas(T):
    """(g_rho, g_s) contributions of e+- (4 internal states) at temperature T [GeV].

    rho/T^4 = (4 / 2 pi^2) int y^2 E/(e^E + 1) dy, P/T^4 = (4 / 2 pi^2) int y^4/(3E)/(e^E + 1) dy
    (E = sqrt(y^2 + z^2), z = m_e/T); g_rho = rho/T^4 * 30/pi^2, g_s = (rho + P)/T^4 * 45/(2 pi^2).
    Massless limits: 7/8 * 4 = 3.5 for both.
    """
    z = M_E / np.asarray(T, float)[..., None]
    e = np.sqrt(_Y ** 2 + z ** 2)
    occ = np.exp(-e) / (1.0 + np.exp(-e))
    rho = 4.0 / (2 * math.pi ** 2) * np.sum(_WY * _Y ** 2 * e * occ, axis=-1)
    p = 4.0 / (2 * math.pi ** 2) * np.sum(_WY * _Y ** 4 / (3.0 * e) * occ, axis=-1)
    return rho * 30.0 / math.pi ** 2, (rho + p) * 45.0 / (2 * math.pi ** 2)


def free_gas_dof(T):
    """(g_rho, g_s) of photons + e+- + decoupled neutrinos at T <= 1 MeV (free gas, see module doc)."""
    T = np.asarray(T, float)
    gr_e, gs_e = electron_gas(T)
    _, gs_e_dec = electron_gas(np.array(T_NU_DEC_GEV))
    r3 = (2.0 + gs_e) / (2.0 + gs_e_dec)          # (T_nu / T)^3
    g_nu = 7.0 / 8.0 * 6.0
    return 2.0 + gr_e + g_nu * r3 ** (4.0 / 3.0), 2.0 + gs_e + g_nu * r3


@lru_cache(maxsize=1)
def _splines():
    tab = gstar_table()
    t_low = 10.0 ** np.arange(math.log10(T_EXT_MIN_GEV), math.log10(T_TABLE_MIN_GEV) - 0.05, 0.1)
    gr_low, gs_low = free_gas_dof(t_low)
    lt = np.log10(np.concatenate([t_low, tab["T_gev"]]))
    gr = np.concatenate([gr_low, tab["g_rho"]])
    gs = np.concatenate([gs_low, tab["g_s"]])
    return lt, CubicSpline(lt, gr), CubicSpline(lt, gs)


def _log10_t(T) -> np.ndarray:
    T = np.asarray(T, float)
    if not np.all(np.isfinite(T)) or np.any(T <= 0):
        raise InputError("T", f"temperature must be finite and > 0 GeV; got {T!r}")
    lt, _, _ = _splines()
    return np.clip(np.log10(T), lt[0], lt[-1])


def g_rho(T):
    """Energy-density degrees of freedom g_rho(T) (T in GeV; rho = pi^2/30 g_rho T^4)."""
    _, sr, _ = _splines()
    return sr(_log10_t(T))[()]


def g_s(T):
    """Entropy degrees of freedom g_s(T) = h_eff (T in GeV; s = 2 pi^2/45 g_s T^3)."""
    _, _, ss = _splines()
    return ss(_log10_t(T))[()]


def sqrt_g_star(T):
    """g_*^(1/2)(T) = g_s/sqrt(g_rho) (1 + (1/3) d ln g_s/d ln T) (Gondolo-Gelmini 1991, Eq. 3.12).

    The derivative is that of the spline (zero where T is outside the tabulated range and
    the values are held constant).
    """
    lt_all, sr, ss = _splines()
    T = np.asarray(T, float)
    lt = _log10_t(T)
    inside = (np.log10(T) > lt_all[0]) & (np.log10(T) < lt_all[-1])
    gs = ss(lt)
    dlngs_dlnt = np.where(inside, ss(lt, 1) / (gs * math.log(10.0)), 0.0)
    return (gs / np.sqrt(sr(lt)) * (1.0 + dlngs_dlnt / 3.0))[()]
