"""Physical constants and unit conversions -- the only place they are defined.

Natural units inside leptoportal: energies and masses in GeV, lengths in GeV^-1,
cross sections in GeV^-2 until they leave the API (in pb).  Sources: CODATA 2018
via the PDG Review of Particle Physics (2022), "Physical constants" table.
"""

#: fine-structure constant alpha(0) (CODATA 2018)
ALPHA = 1.0 / 137.035999084
#: (hbar c)^2 = 0.3893793721 GeV^2 mbarn  ->  1 GeV^-2 = 3.893793721e8 pb
GEV2_TO_PB = 0.3893793721e9
#: 1 pb = 1e-36 cm^2
PB_TO_CM2 = 1.0e-36
#: 1 GeV^-2 in cm^2
GEV2_TO_CM2 = GEV2_TO_PB * PB_TO_CM2
#: hbar c in GeV cm
HBARC_GEV_CM = 1.973269804e-14
#: Avogadro constant [1/mol]
AVOGADRO = 6.02214076e23
#: atomic mass unit in GeV (CODATA 2018: 931.49410242 MeV)
AMU_GEV = 0.93149410242
#: proton mass in GeV
M_PROTON_GEV = 0.93827208816
#: proton magnetic moment in nuclear magnetons
MU_PROTON = 2.792847344
#: speed of light [cm/s] (exact, SI definition)
C_CM_PER_S = 2.99792458e10
#: Planck mass M_Pl = sqrt(hbar c / G_N) [GeV] (PDG 2022: 1.220890(14) x 10^19 GeV)
M_PLANCK_GEV = 1.220890e19
#: present entropy density s_0 / k_B [cm^-3] (PDG 2022: 2891.2 (T_0 / 2.7255 K)^3 cm^-3)
S0_CM3 = 2891.2
#: critical density rho_c / h^2 [GeV cm^-3] (PDG 2022: 1.05371(23) x 10^-5 h^2 GeV cm^-3)
RHO_CRIT_H2_GEV_CM3 = 1.05371e-5
#: momentum kick per unit field integral: p_T [GeV] = 0.299792458 x B dl [T m] (charge 1)
GEV_PER_TESLA_METER = 0.299792458
