"""Thermal freeze-out of Dirac dark matter chi through the leptophilic scalar S.

Physics (derivations and validation numbers in ``docs/relic.md``), by module: annihilation
(cross sections), thermal (the thermal average), freezeout (the Boltzmann equation), targets (the
couplings that give the observed density):

* Boltzmann equation for the comoving yield Y = n_chi / s in x = m_chi / T
  (Gondolo & Gelmini, Nucl. Phys. B 360 (1991) 145, Eq. 3.8 and 3.12;
  Edsjo & Gondolo, PRD 56 (1997) 1879, Eq. 7)::

      dY/dx = - sqrt(pi/45) M_Pl g_*^(1/2)(T) m / x^2 <sigma v>(x) (Y^2 - Y_eq^2),

  with Maxwell-Boltzmann Y_eq = 45 g / (4 pi^4 g_s(T)) x^2 K_2(x) (g = 2 spin states).
  Solved for W = ln Y in ln x with the analytic Jacobian by ODEPACK's LSODA through
  ``scipy.integrate.ode`` (default; it runs its stiff BDF branch in the equilibrium phase,
  where the problem is stiffest); scipy ``solve_ivp`` BDF/Radau/LSODA are selectable and
  agree to < 1e-6 (tests), from
  x = 1 (Y = Y_eq) to x_end (default 1000).
  For a Dirac fermion without asymmetry n_chi = n_chi-bar and sigma = sigma(chi chi-bar -> X),
  so Omega_DM h^2 = 2 m Y_0 s_0 / (rho_c / h^2); for a Majorana fermion the factor is 1.
* Thermal average: the exact single integral of Gondolo & Gelmini (1991), Eq. 3.8, with
  eps = (s - 4 m^2) / (4 m^2)::

      <sigma v>(x) = 4 x / K_2(x)^2  int_0^inf d eps  sigma(s) eps sqrt(1 + eps) K_1(2 x sqrt(1 + eps)),

  on Gauss-Legendre panels in u = sqrt(eps - a) between breakpoints (thresholds, the
  s-channel resonance at eps_R = m_S^2/(4 m^2) - 1 +- (1, 30, 300) widths, and multiples of
  1/x), with the resonance core mapped by s - m_S^2 = m_S Gamma_S tan(theta).
* Cross sections chi chi-bar -> S* -> f (derived in docs/relic.md, spin-averaged,
  Breit-Wigner propagator with the model's total width Gamma_S(m_S))::

      sigma(s) = 4 pi Gamma_chi(sqrt s) Gamma_f(sqrt s) / (beta_chi^2 [(s - m_S^2)^2 + m_S^2 Gamma_S^2]),

  where Gamma_X(sqrt s) is the width of an S of mass sqrt(s) into X (the model's Eq. 2.5
  widths of arXiv:1807.03790 evaluated at m_S -> sqrt s; for gamma gamma this is the loop
  coupling g_gammagamma(p_S^2 = s) of Eq. 2.4).  For f = l+ l-:
  sigma = g_chi^2 g_l^2 s beta_chi beta_l^3 / (16 pi |D|^2): p-wave, and its
  non-relativistic limit is Eq. (2.7) of arXiv:1807.03790 (checked in the tests).
  chi chi-bar -> S S by t/u-channel chi exchange (Eq. 2.1 has no S^3 term) is included
  where open (s > 4 m_S^2): spin-summed trace with explicit Dirac matrices, Gauss-Legendre in
  cos theta (:func:`sigma_chichi_to_ss`).  It is p-wave, and for m_S -> 0 gives
  sigma v = 3 g_chi^4 v^2 / (128 pi m_chi^2).  For the paper's relations (m_S > m_chi) it is
  Boltzmann suppressed at freeze-out (eps > m_S^2/m_chi^2 - 1 >= 3); for m_chi > m_S it
  dominates and does not depend on g_mu (no relic target, as the paper says).
* Constant s-wave benchmark (Steigman, Dasgupta & Beacom, PRD 86 (2012) 023506):
  :func:`omega_h2_swave`.
* The e->mu paper's Eq. (2) "annihilation-rate estimate": :func:`lfv_annihilation_rate_line`.

Units: GeV inside; <sigma v> in GeV^-2 internally, cm^3/s at the API where named so.
"""

from __future__ import annotations

from __future__ import annotations

from ...units import C_CM_PER_S, M_PLANCK_GEV, RHO_CRIT_H2_GEV_CM3, S0_CM3
from .annihilation import (M_CHI_MIN_GEV, OMEGA_DM_H2, annihilation_cross_section, sigma_chichi_to_ss,
                           sigma_v_cm3_s_to_gev2, sigma_v_gev2_to_cm3_s, ss_kinematics, ss_matrix_element_squared,
                           ss_vertex)
from .freezeout import RelicResult, analytic_omega_h2, omega_h2, omega_h2_swave, solve_freeze_out
from .targets import lfv_annihilation_rate_line, relic_coupling
from .thermal import thermal_average, thermal_average_model

__all__ = [
    "M_PLANCK_GEV",
    "S0_CM3",
    "RHO_CRIT_H2_GEV_CM3",
    "C_CM_PER_S",
    "OMEGA_DM_H2",
    "M_CHI_MIN_GEV",
    "RelicResult",
    "sigma_v_cm3_s_to_gev2",
    "sigma_v_gev2_to_cm3_s",
    "annihilation_cross_section",
    "sigma_chichi_to_ss",
    "ss_matrix_element_squared",
    "thermal_average",
    "thermal_average_model",
    "solve_freeze_out",
    "omega_h2",
    "omega_h2_swave",
    "relic_coupling",
    "analytic_omega_h2",
    "lfv_annihilation_rate_line",
    "ss_kinematics",
    "ss_vertex",
]
