"""Rare decays bounding a leptophilic scalar S (Chen, Kozaczuk, Zhong, JHEP 10 (2018) 154, arXiv:1807.03790,
Sec. 4.4-4.6 and Table 1), computed from the model's Lagrangian Eq. (2.1) -- no event generator.

* K+ -> mu+ nu S (:mod:`.kaon`), mu -> e nu nu S and tau -> mu nu nu S (:mod:`.fermi`),
  Z -> gamma S and Z -> tau tau S (:mod:`.zdecays`): spin-summed |M|^2 in closed form (derivations in
  docs/constraints.md), checked against explicit Dirac-matrix traces in tests/test_decays.py;
* model-level widths / branching ratios (:mod:`.widths`), vectorised over a LeptophilicScalar's m_S;
* :data:`DECAY_BOUNDS`: id -> :class:`DecayBound` with ``lower_edge`` / ``intervals`` in g_mu (:mod:`.bounds`).

Inputs (PDG 2024 unless stated, "assumed" where chosen here) are in :mod:`.inputs`.
"""

from .bounds import DECAY_BOUNDS, DecayBound
from .fermi import fermi_f, width_fermi, width_fermi_closed
from .kaon import width_k_mu_nu, width_k_mu_nu_closed
from .widths import (
                     br_k_mu_nu,
                     br_k_mu_nu_s,
                     br_tau_decay_s,
                     br_z_gamma_s,
                     ratio_mu_decay_s,
                     width_k_mu_nu_s,
                     width_mu_decay_s,
                     width_tau_decay_s,
                     width_z_gamma_s,
                     width_z_tautau_s,
)
from .zdecays import width_z_ll, width_z_ll_closed, zgamma_loop_djouadi

__all__ = [
    "DECAY_BOUNDS",
    "DecayBound",
    "br_k_mu_nu",
    "br_k_mu_nu_s",
    "br_tau_decay_s",
    "br_z_gamma_s",
    "fermi_f",
    "ratio_mu_decay_s",
    "width_fermi",
    "width_fermi_closed",
    "width_k_mu_nu",
    "width_k_mu_nu_closed",
    "width_k_mu_nu_s",
    "width_mu_decay_s",
    "width_tau_decay_s",
    "width_z_gamma_s",
    "width_z_ll",
    "width_z_ll_closed",
    "width_z_tautau_s",
    "zgamma_loop_djouadi",
]
