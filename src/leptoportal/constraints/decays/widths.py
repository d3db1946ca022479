"""Model-level widths and branching ratios of the rare decays (vectorised over a LeptophilicScalar's arrays).

Every width is a quadratic form in the couplings, so each is computed once per S mass at unit couplings
(cached) and scaled: Gamma = g_i^2 A + g_f^2 B + g_i g_f C (A, B, C: S off the initial lepton, off the final
lepton, interference).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...errors import InputError
from ...models.leptophilic import LeptophilicScalar
from . import fermi, kaon, zdecays
from .inputs import HBAR_GEV_S, TAU_MU, TAU_TAU


def _check_model(model) -> LeptophilicScalar:
    if not isinstance(model, LeptophilicScalar):
        raise InputError("model", f"expected a LeptophilicScalar; got {type(model).__name__}")
    return model


def _per_mass(func, m_S):
    """Apply a scalar function of m_S over an array of masses (computed once per distinct mass)."""
    m = np.asarray(m_S, float)
    flat = m.ravel()
    uniq, inv = np.unique(flat, return_inverse=True)
    vals = np.array([func(float(x)) for x in uniq])
    return vals[inv.ravel()].reshape(m.shape + vals.shape[1:])


@lru_cache(maxsize=4096)
def _k_unit(m_S: float) -> float:
    return kaon.width_k_mu_nu_s_unit(m_S)


@lru_cache(maxsize=4096)
def _fermi_unit(parent: str, daughter: str, m_S: float):
    a, b, c = fermi.width_fermi_s_terms(parent, daughter, m_S, 1.0, 1.0)
    return a, b, c


@lru_cache(maxsize=4096)
def _z_ffs_unit(m_S: float) -> float:
    return zdecays.width_z_ffs_unit(m_S, "tau")


# ----------------------------------------------------------------------------------- K -> mu nu S
def br_k_mu_nu():
    """Tree-level BR(K+ -> mu+ nu) = Gamma_0 tau_K / hbar from f_K, |V_us|, G_F, tau_K (PDG 2024): 0.623.

    The measured 63.56 % is 2.0 % higher: the tree level misses the electroweak radiative correction
    (short-distance S_EW = 1.0232, Marciano & Sirlin, PRL 71 (1993) 3629, times the long-distance part).
    """
    return kaon.width_k_mu_nu() / kaon.width_k_total()


def width_k_mu_nu_s(model):
    """Gamma(K+ -> mu+ nu_mu S) [GeV], S off the muon (arXiv:1807.03790 Sec. 4.4, Fig. 8b); tree level."""
    model = _check_model(model)
    return np.asarray(model.g_mu, float) ** 2 * _per_mass(_k_unit, model.m_S)


def br_k_mu_nu_s(model):
    """BR(K+ -> mu+ nu_mu S) = Gamma / Gamma_K (before BR(S -> chi chi-bar))."""
    return width_k_mu_nu_s(model) / kaon.width_k_total()


# ----------------------------------------------------------------------------------- mu, tau decays
def _fermi_width(model, parent, daughter, g_i, g_f):
    m = np.asarray(model.m_S, float)
    coeff = _per_mass(lambda x: np.array(_fermi_unit(parent, daughter, x)), m)
    a, b, c = coeff[..., 0], coeff[..., 1], coeff[..., 2]
    g_i = np.asarray(g_i, float)
    g_f = np.asarray(g_f, float)
    return g_i ** 2 * a + g_f ** 2 * b + g_i * g_f * c


def width_mu_decay_s(model):
    """Gamma(mu- -> e- nu-bar_e nu_mu S) [GeV] (arXiv:1807.03790 Sec. 4.6, Fig. 8c): S off the muon (g_mu) and
    off the electron (g_e, lepton-specific), with their interference; Fermi theory, tree level."""
    model = _check_model(model)
    return _fermi_width(model, "mu", "e", model.g_mu, model.g_e)


def ratio_mu_decay_s(model):
    """Gamma(mu -> e nu nu S) / Gamma_mu, Gamma_mu = hbar / tau_mu (PDG 2024)."""
    return width_mu_decay_s(model) / (HBAR_GEV_S / TAU_MU)


def width_tau_decay_s(model):
    """Gamma(tau- -> mu- nu-bar_mu nu_tau S) [GeV] (arXiv:1807.03790 Sec. 4.6, Figs. 8d-1, 8d-2): S off the muon
    (g_mu) and off the tau (g_tau, lepton-specific), with interference; Fermi theory, tree level."""
    model = _check_model(model)
    return _fermi_width(model, "tau", "mu", model.g_tau, model.g_mu)


def br_tau_decay_s(model):
    """BR(tau -> mu nu nu S) = Gamma / Gamma_tau, Gamma_tau = hbar / tau_tau (PDG 2024); before BR(S -> chi chi-bar)."""
    return width_tau_decay_s(model) / (HBAR_GEV_S / TAU_TAU)


# ----------------------------------------------------------------------------------- Z decays
def width_z_tautau_s(model):
    """Gamma(Z -> tau+ tau- S) [GeV], S off either tau (arXiv:1807.03790 Sec. 4.5); before BR(S -> chi chi-bar)."""
    model = _check_model(model)
    return np.asarray(model.g_tau, float) ** 2 * _per_mass(_z_ffs_unit, model.m_S)


def width_z_gamma_s(model):
    """Gamma(Z -> gamma S) [GeV] through the lepton loop (arXiv:1807.03790 Sec. 4.5, Eq. (A.1) with q^2 = M_Z^2)."""
    return zdecays.width_z_gamma_s(_check_model(model))


def br_z_gamma_s(model):
    """BR(Z -> gamma S) = Gamma(Z -> gamma S) / Gamma_Z (before BR(S -> chi chi-bar))."""
    return zdecays.br_z_gamma_s(_check_model(model))
