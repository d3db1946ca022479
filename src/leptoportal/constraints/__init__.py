"""Constraints on light leptophilic / LFV scalars: (g-2)_mu bands, SIDM, perturbativity, DMDD."""

from .darkmatter import (
    is_perturbative,
    log_perturbativity_scale,
    perturbativity_scale,
    sidm_born_valid,
    sidm_max_coupling,
    sidm_sigma_t_over_m,
    sigma_e_bar_cm2,
)
from .g2 import (
    G2Determination,
    coupling_band,
    coupling_central,
    coupling_excluded_above,
    delta_a_mu,
    delta_a_mu_lfv,
    delta_a_mu_lfv_heavy,
    delta_a_mu_scalar,
    delta_a_mu_scalar_heavy,
    delta_a_mu_scalar_light,
    get_g2_determination,
    is_excluded,
    load_g2_inputs,
)

__all__ = [
    "G2Determination",
    "coupling_band",
    "coupling_central",
    "coupling_excluded_above",
    "delta_a_mu",
    "delta_a_mu_lfv",
    "delta_a_mu_lfv_heavy",
    "delta_a_mu_scalar",
    "delta_a_mu_scalar_heavy",
    "delta_a_mu_scalar_light",
    "get_g2_determination",
    "is_excluded",
    "is_perturbative",
    "load_g2_inputs",
    "log_perturbativity_scale",
    "perturbativity_scale",
    "sidm_born_valid",
    "sidm_max_coupling",
    "sidm_sigma_t_over_m",
    "sigma_e_bar_cm2",
]
