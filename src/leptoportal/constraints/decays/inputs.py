"""Measured inputs of the rare-decay bounds (PDG 2024 Review of Particle Physics unless stated).

Every number carries its source.  Values marked *assumed* are choices of this module, not
measurements (see docs/constraints.md).  Units: GeV, seconds.
"""

from __future__ import annotations

import math

# --- constants ---------------------------------------------------------------------------
#: Fermi constant G_F [GeV^-2] (PDG 2024, "Physical constants" table: 1.1663788(6) x 10^-5 GeV^-2).
#: G_F is *extracted from the muon lifetime*, so the muon-decay bound is a consistency estimate.
G_F = 1.1663788e-5
#: hbar [GeV s] (PDG 2024 "Physical constants": 6.582119569 x 10^-25 GeV s, exact in SI 2019)
HBAR_GEV_S = 6.582119569e-25

# --- charged kaon ------------------------------------------------------------------------
#: K+- mass [GeV] (PDG 2024 K+- listing: 493.677(15) MeV)
M_K = 0.493677
#: K+- mean life [s] (PDG 2024 K+- listing: 1.2380(20) x 10^-8 s)
TAU_K = 1.2380e-8
#: K+ decay constant f_K [GeV] (PDG 2024 review "Leptonic decays of charged pseudoscalar mesons",
#: FLAG 2021 N_f = 2+1+1 average f_K+ = 155.7(3) MeV)
F_K = 0.1557
#: |V_us| (PDG 2024 review "CKM quark-mixing matrix": 0.2243(8))
V_US = 0.2243
#: measured BR(K+ -> mu+ nu) (PDG 2024 K+- listing: 63.56(11) %) -- reference for the normalisation check
BR_K_MUNU_MEASURED = 0.6356
#: E949 bound on BR(K+ -> mu+ nu + invisible) used here: 3 x 10^-6, *assumed* flat in m_S -- the upper end
#: of the "(2-3) x 10^-6, depending on the kinematics" quoted by the paper (arXiv:1807.03790 Sec. 4.4 and
#: Table 1, from E949, Phys. Rev. D 94 (2016) 032012; E949 gives 2.4 x 10^-6 at 90 % CL for the SM
#: K -> mu nu nu nu spectrum).  The mass dependence of the E949 acceptance is not modelled.
BR_K_MUNUS_LIMIT = 3.0e-6

# --- muon and tau ------------------------------------------------------------------------
#: muon mean life [s] and its uncertainty (PDG 2024 muon listing: 2.1969811(22) x 10^-6 s)
TAU_MU = 2.1969811e-6
TAU_MU_ERR = 0.0000022e-6
#: muon-decay bound: Gamma(mu -> e nu nu S) / Gamma_mu < 1.96 sigma(tau_mu) / tau_mu = 1.96 x 10^-6
#: (the paper's criterion, Sec. 4.6; its Table 1 quotes 2.0 x 10^-6)
MU_WIDTH_REL_LIMIT = 1.96 * TAU_MU_ERR / TAU_MU
#: tau mean life [s] (PDG 2024 tau listing: 290.3(5) x 10^-15 s)
TAU_TAU = 290.3e-15
#: BR(tau -> mu nu nu) = 17.39(4) % (PDG 2024 tau listing); bound 1.96 x 0.04 % = 7.84 x 10^-4
#: (the paper's criterion, Sec. 4.6; Table 1: 8 x 10^-4)
BR_TAU_MUNUNU = 0.1739
BR_TAU_MUNUNU_ERR = 0.0004
BR_TAU_MUNUNUS_LIMIT = 1.96 * BR_TAU_MUNUNU_ERR

# --- Z boson -----------------------------------------------------------------------------
#: Z mass [GeV] (PDG 2024 Z listing: 91.1880(20) GeV)
M_Z = 91.1880
#: Gamma(Z -> tau+ tau-) [GeV] (PDG 2024 Z listing: 84.08(22) MeV)
GAMMA_Z_TAUTAU = 0.08408
GAMMA_Z_TAUTAU_ERR = 0.00022
#: Z -> tau tau S bound: Gamma(Z -> tau tau S) BR(S -> chi chi) < 1.96 x 0.22 MeV (paper Sec. 4.5);
#: relative to Gamma(Z -> tau tau) this is 5.13 x 10^-3, Table 1's "5.1 x 10^-3"
GAMMA_Z_TAUTAUS_LIMIT = 1.96 * GAMMA_Z_TAUTAU_ERR
#: total Z width [GeV] (PDG 2024 Z listing: 2.4955(23) GeV)
GAMMA_Z = 2.4955
#: L3 bound BR(Z -> gamma + invisible) < 1.1 x 10^-6 for E_gamma > 30 GeV (Phys. Lett. B 412 (1997) 201,
#: as used in the paper, Sec. 4.5 and Table 1)
BR_Z_GAMMAS_LIMIT = 1.1e-6
E_GAMMA_MIN_L3 = 30.0
#: effective leptonic weak mixing angle sin^2 theta_eff^lept = 0.23155(4) (PDG 2024 review "Electroweak model
#: and constraints on new physics", SM-fit value); sets g_V = -1/2 + 2 sin^2 theta = -0.0369
SIN2_THETA_EFF = 0.23155
#: Z couplings to a charged lepton, L > -(g / (2 c_W)) l-bar gamma^mu (g_V - g_A gamma5) l Z_mu
G_V_LEPTON = -0.5 + 2.0 * SIN2_THETA_EFF
G_A_LEPTON = -0.5
#: (g / (2 c_W))^2 = sqrt(2) G_F M_Z^2 (G_F scheme for the Z-lepton vertex; tree level)
G_Z_HALF_SQ = math.sqrt(2.0) * G_F * M_Z ** 2
