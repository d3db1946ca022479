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
