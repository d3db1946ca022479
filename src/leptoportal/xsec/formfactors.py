"""Nuclear (and atomic) form factors G2(t) = F^2(t) of a spin-0 nucleus.

All functions take t = -q^2 >= 0 in GeV^2 and broadcast over arrays.
"""

from __future__ import annotations

import numpy as np

from ..particles import M_E
from ..units import M_PROTON_GEV, MU_PROTON


def screening_tsai(Z):
    """Atomic screening parameter a = 111 Z^(-1/3) / m_e  [GeV^-1] (e->mu paper, after Eq. 6)."""
    return 111.0 * np.asarray(Z, float) ** (-1.0 / 3.0) / M_E


def nuclear_d(A):
    """Nuclear size parameter d = 0.164 A^(-2/3) GeV^2.

    The e->mu paper (Eq. 6) prints the unit as GeV^-2; t/d must be dimensionless,
    so d is in GeV^2 (Bjorken, Essig, Schuster, Toro, PRD 80 (2009) 075018, Eq. A18).
    """
    return 0.164 * np.asarray(A, float) ** (-2.0 / 3.0)


def g2_elastic(t, Z, A):
    """Elastic atomic+nuclear form factor squared, Eq. (6) of the e->mu paper:

        F^2(t) = Z^2 (a^2 t / (1 + a^2 t))^2 (1 / (1 + t/d))^2.
    """
    t = np.asarray(t, float)
    ta = 1.0 / screening_tsai(Z) ** 2
    td = nuclear_d(A)
    return (Z * Z) * (t / (t + ta)) ** 2 * (td / (t + td)) ** 2


def g2_inelastic(t, Z):
    """Inelastic (atomic-electron / proton) term of G2 (Bjorken et al. 2009, Eq. A19):

        G2_inel = Z (a'^2 t/(1 + a'^2 t))^2 ((1 + t (mu_p^2 - 1)/(4 m_p^2)) / (1 + t/0.71 GeV^2)^4)^2,
        a' = 773 Z^(-2/3) / m_e.
    """
    t = np.asarray(t, float)
    ap2 = (773.0 * np.asarray(Z, float) ** (-2.0 / 3.0) / M_E) ** 2
    screening = (ap2 * t / (1.0 + ap2 * t)) ** 2
    d2 = (1.0 + t / 0.71) * (1.0 + t / 0.71)  # (dipole)^2, as a product: no pow()
    proton = ((1.0 + t * (MU_PROTON**2 - 1.0) / (4.0 * M_PROTON_GEV**2)) / (d2 * d2)) ** 2
    return Z * screening * proton


def g2_atomic_nuclear(t, Z, A):
    """Combined G2 = G2_el + G2_inel (Bjorken et al. 2009, App. A; NA64-mu paper ref. [25])."""
    return g2_elastic(t, Z, A) + g2_inelastic(t, Z)


FORM_FACTORS = {"elastic": g2_elastic, "atomic-nuclear": g2_atomic_nuclear}


def form_factor(name: str):
    from ..errors import InputError

    if name not in FORM_FACTORS:
        raise InputError("form_factor", f"unknown form factor {name!r}; valid: {', '.join(FORM_FACTORS)}")
    if name == "elastic":
        return lambda t, Z, A: g2_elastic(t, Z, A)
    return lambda t, Z, A: g2_atomic_nuclear(t, Z, A)
