"""The rare-decay bounds of arXiv:1807.03790 (Sec. 4.4-4.6, Table 1) as excluded g_mu per S mass.

Each bound compares an observable O(g_mu) = g_mu^2 U(m_S) [x BR(S -> chi chi-bar)(g_mu) where S must be
invisible] with a limit.  U is the width at g_mu = 1 for the preset's coupling pattern (all couplings scale
with g_mu).  g^2 BR_inv(g) = g^2 G_chi / (G_chi + g^2 K) is increasing in g, so the excluded set is a
half-line [g*, infinity): ``intervals`` returns [[g*, 4 pi]] (4 pi = the top of the coupling domain,
leptoportal.domains.COUPLING_MAX) or [] per mass, ``lower_edge`` returns g* or inf.  g* is found by brentq on
ln O(g) - ln(limit) in ln g.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ...domains import COUPLING_MAX
from ...errors import InputError
from ...models.leptophilic import LeptophilicScalar
from ...particles import M_E, M_MU, M_TAU
from . import widths
from .inputs import (
    BR_K_MUNUS_LIMIT,
    BR_TAU_MUNUNUS_LIMIT,
    BR_Z_GAMMAS_LIMIT,
    E_GAMMA_MIN_L3,
    GAMMA_Z_TAUTAUS_LIMIT,
    M_K,
    M_Z,
    MU_WIDTH_REL_LIMIT,
)

PRESETS = ("muon-specific", "lepton-specific")
_G_MIN = 1e-12


@dataclass(frozen=True)
class DecayBound:
    """One rare-decay bound.

    ``lower_edge(preset, m_S, *, g_chi=1.0, mchi_ratio=3.0, eps_R=None) -> ndarray``: smallest excluded g_mu per
    mass (inf where the decay is closed, outside ``mass_range_gev``, for a preset not in ``presets``, or where
    nothing up to g_mu = 4 pi is excluded).  ``intervals(...)`` (same arguments): per mass a list of
    [low, high] excluded g_mu intervals (here [] or [[g*, 4 pi]]).  ``observable(model)``: the quantity that
    is compared with ``limit`` (criterion: observable > limit is excluded).
    """

    id: str
    title: str
    process: str
    criterion: str
    source: str
    presets: tuple
    mass_range_gev: tuple
    lower_edge: Callable
    intervals: Callable
    observable: Callable
    limit: float
    invisible: bool


def _unit_model(preset, m, g_chi, mchi_ratio, eps_R, g=1.0):
    return LeptophilicScalar.from_preset(preset, m, g, g_chi=g_chi, mchi_ratio=mchi_ratio, eps_R=eps_R)


def _make(id_, title, process, criterion, source, presets, mass_range, width_fn, limit, invisible):
    def observable(model):
        val = np.asarray(width_fn(model), float)
        if invisible:
            val = val * np.asarray(model.br_invisible(), float)
        return val

    def _solve(preset, m, g_chi, mchi_ratio, eps_R):
        if not (mass_range[0] < m < mass_range[1]) or preset not in presets:
            return math.inf
        unit = float(width_fn(_unit_model(preset, m, g_chi, mchi_ratio, eps_R)))
        if not unit > 0:
            return math.inf

        def log_obs(x):
            g = math.exp(x)
            br = float(_unit_model(preset, m, g_chi, mchi_ratio, eps_R, g).br_invisible()) if invisible else 1.0
            if br <= 0:
                return -math.inf
            return 2.0 * x + math.log(unit) + math.log(br) - math.log(limit)

        hi = math.log(COUPLING_MAX)
        f_hi = log_obs(hi)
        if not f_hi >= 0:
            return math.inf
        lo = math.log(_G_MIN)
        if log_obs(lo) >= 0:
            return _G_MIN
        return math.exp(brentq(log_obs, lo, hi, xtol=1e-12, rtol=1e-10))

    def lower_edge(preset, m_S, *, g_chi=1.0, mchi_ratio=3.0, eps_R=None):
        if preset not in PRESETS:
            raise InputError("preset", f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
        m = np.atleast_1d(np.asarray(m_S, float))
        if not np.all(np.isfinite(m)) or np.any(m <= 0):
            raise InputError("m_S", f"must be finite and > 0 GeV; got {m_S!r}")
        out = np.array([_solve(preset, float(x), g_chi, mchi_ratio, eps_R) for x in m.ravel()])
        return out.reshape(m.shape)

    def intervals(preset, m_S, *, g_chi=1.0, mchi_ratio=3.0, eps_R=None):
        edge = lower_edge(preset, m_S, g_chi=g_chi, mchi_ratio=mchi_ratio, eps_R=eps_R)
        return [[[float(g), COUPLING_MAX]] if np.isfinite(g) else [] for g in edge.ravel()]

    return DecayBound(id_, title, process, criterion, source, tuple(presets), tuple(mass_range), lower_edge,
                      intervals, observable, float(limit), invisible)


_E949 = "E949, Phys. Rev. D 94 (2016) 032012, as quoted in arXiv:1807.03790 Sec. 4.4 / Table 1"
_PDG = "PDG 2024 (arXiv:1807.03790 Sec. 4.5-4.6 and Table 1 used PDG 2016)"

DECAY_BOUNDS = {
    b.id: b for b in (
        _make("k-mu-nu-s", "K+ -> mu+ nu S (E949)", "K+ -> mu+ nu_mu S(-> chi chi-bar)",
              f"BR(K -> mu nu S) BR(S -> chi chi) > {BR_K_MUNUS_LIMIT:.1e} (assumed flat in m_S)",
              _E949, PRESETS, (0.0, M_K - M_MU), widths.br_k_mu_nu_s, BR_K_MUNUS_LIMIT, True),
        _make("mu-decay", "mu -> e nu nu S (muon lifetime)", "mu- -> e- nu-bar_e nu_mu S",
              f"Gamma(mu -> e nu nu S) / Gamma_mu > 1.96 sigma(tau_mu)/tau_mu = {MU_WIDTH_REL_LIMIT:.2e} "
              "(any S decay; a consistency estimate since G_F is extracted from tau_mu)",
              _PDG + ", tau_mu = 2.1969811(22) us", PRESETS, (0.0, M_MU - M_E),
              widths.ratio_mu_decay_s, MU_WIDTH_REL_LIMIT, False),
        _make("tau-decay", "tau -> mu nu nu S (BR(tau -> mu nu nu))", "tau- -> mu- nu-bar_mu nu_tau S(-> chi chi-bar)",
              f"BR(tau -> mu nu nu S) BR(S -> chi chi) > 1.96 x 0.04 % = {BR_TAU_MUNUNUS_LIMIT:.2e}",
              _PDG + ", BR(tau -> mu nu nu) = 17.39(4) %", PRESETS, (0.0, M_TAU - M_MU),
              widths.br_tau_decay_s, BR_TAU_MUNUNUS_LIMIT, True),
        _make("z-gamma-s", "Z -> gamma S (L3)", "Z -> gamma S(-> chi chi-bar), lepton loop",
              f"BR(Z -> gamma S) BR(S -> chi chi) > {BR_Z_GAMMAS_LIMIT:.1e} for E_gamma > {E_GAMMA_MIN_L3:g} GeV",
              "L3, Phys. Lett. B 412 (1997) 201, as used in arXiv:1807.03790 Sec. 4.5", PRESETS,
              (0.0, math.sqrt(M_Z ** 2 - 2.0 * M_Z * E_GAMMA_MIN_L3)), widths.br_z_gamma_s, BR_Z_GAMMAS_LIMIT, True),
        _make("z-tau-tau-s", "Z -> tau tau S (Gamma(Z -> tau tau))", "Z -> tau+ tau- S(-> chi chi-bar)",
              f"Gamma(Z -> tau tau S) BR(S -> chi chi) > 1.96 x 0.22 MeV = {GAMMA_Z_TAUTAUS_LIMIT * 1e3:.3f} MeV "
              "(5.13e-3 of Gamma(Z -> tau tau))",
              _PDG + ", Gamma(Z -> tau tau) = 84.08(22) MeV", ("lepton-specific",), (0.0, M_Z - 2.0 * M_TAU),
              widths.width_z_tautau_s, GAMMA_Z_TAUTAUS_LIMIT, True),
    )
}
