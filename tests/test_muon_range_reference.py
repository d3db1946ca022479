"""Muon mean dE/dx and CSDA range in Fe and Pb against an independent code (PUMAS via mulder).

Reference: ``mulder`` (V. Niess, PyPI, LGPL), which compiles PUMAS physics tables
(Niess, Comput. Phys. Commun. 279 (2022) 108438) for a material defined by Z, A, I and density.
PUMAS is a separate implementation of the same class of physics as GMS01 (Bethe with the
Sternheimer density effect; bremsstrahlung, e+e- pair production and photonuclear losses);
``mode="continuous"`` returns the total (unrestricted) mean loss and the CSDA range.  Its tables
are printed with 4 significant digits (0.05 % quantisation).

The PDG/GMS01 per-energy tables (muE_iron_Fe.txt, muE_lead_Pb.txt) were not available offline,
see docs/validation_muon_range.md.  Energies are kinetic, T = 0.01-300 GeV; our functions take the
total energy E = T + m_mu.

Known, documented difference: in lead above ~30 GeV our pair-production loss includes the
Coulomb correction of the electron diagram (docs/detector.md), which PUMAS (and Geant4,
PROPOSAL) does not; full-physics Pb dE/dx is then 2.3-2.5 % (100 GeV) / 3.5-3.7 % (300 GeV) below
PUMAS (docs/validation_muon_range.md).
That point is tested with the Born-approximation pair term on both sides (same convention), and
separately the Coulomb-corrected version is tested against the PDG muon critical energy of Pb.
"""

from __future__ import annotations

import numpy as np
import pytest

import mulder  # required test dependency (`test` extra); deliberately no importorskip
import mulder.materials as mulder_materials

from leptoportal.detector import muon_loss
from leptoportal.detector.media import ELEMENTS, get_substance
from leptoportal.particles import M_MU

T_GEV = np.array([0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0])
TOL = 0.03
_MODELS = {
    # PUMAS/mulder defaults: Sandrock-Soedingrekso-Rhode 2019 brems and pair, Dutta et al. 2001 photonuclear
    "default": ("SSR19", "SSR19", "DRSS01"),
    # the GMS01-era formulas: Kelner-Kokoulin-Petrukhin brems, Kokoulin-Petrukhin pair (Born), Bezrukov-Bugaev
    "kkp": ("KKP95", "KKP68", "BBKS03"),
}


def _define_materials():
    for sym in ("Fe", "Pb"):
        e = ELEMENTS[sym]
        mulder_materials.Element.define(f"LP{sym}", Z=e.Z, A=e.A, I=e.I_eV * 1e-9)  # I in GeV
        mulder_materials.Material.define(f"LP_{sym}", density=e.density * 1e3,  # kg/m^3
                                         composition={f"LP{sym}": 1})


@pytest.fixture(scope="module")
def reference():
    """{(model, symbol): (dE/dx [GeV cm^2/g], CSDA range [g/cm^2])} at T_GEV from mulder."""
    _define_materials()
    out = {}
    for name, (brems, pair, photo) in _MODELS.items():
        phys = mulder.Physics()
        phys.bremsstrahlung, phys.pair_production, phys.photonuclear = brems, pair, photo
        for sym, cm in zip(("Fe", "Pb"), phys.compile("LP_Fe", "LP_Pb")):
            rho = ELEMENTS[sym].density
            dedx = np.asarray(cm.stopping_power(T_GEV, mode="continuous")) / (rho * 100.0)  # GeV/m -> GeV cm2/g
            rng = np.asarray(cm.range(T_GEV, mode="continuous")) * 100.0 * rho  # m -> g/cm2
            out[(name, sym)] = (dedx, rng)
    return out


def _ours(sym, coulomb=True):
    sub = get_substance(sym)
    E = T_GEV + M_MU
    return muon_loss.mean_dedx(E, sub, coulomb=coulomb), np.array([muon_loss.csda_range(e, sub) for e in E])


@pytest.mark.parametrize("model", list(_MODELS))
def test_iron_dedx_and_range(reference, model):
    dedx, rng = _ours("Fe")
    ref_dedx, ref_rng = reference[(model, "Fe")]
    np.testing.assert_array_less(np.abs(dedx / ref_dedx - 1.0), TOL)
    np.testing.assert_array_less(np.abs(rng / ref_rng - 1.0), TOL)


@pytest.mark.parametrize("model", list(_MODELS))
def test_lead_range_full_physics(reference, model):
    _, rng = _ours("Pb")
    np.testing.assert_array_less(np.abs(rng / reference[(model, "Pb")][1] - 1.0), TOL)


@pytest.mark.parametrize("model", list(_MODELS))
def test_lead_dedx_full_physics_up_to_100_gev(reference, model):
    dedx, _ = _ours("Pb")
    sel = T_GEV <= 100.0
    np.testing.assert_array_less(np.abs(dedx[sel] / reference[(model, "Pb")][0][sel] - 1.0), TOL)


@pytest.mark.parametrize("sym", ["Fe", "Pb"])
def test_born_pair_convention_matches_kkp(reference, sym):
    """Same convention on both sides (Born pair term): all energies, both metals, <= 3 %."""
    dedx, _ = _ours(sym, coulomb=False)
    np.testing.assert_array_less(np.abs(dedx / reference[("kkp", sym)][0] - 1.0), TOL)


def test_coulomb_corrected_lead_matches_pdg_critical_energy(reference):
    """Why Pb keeps the Coulomb correction: the PDG muon critical energy of Pb (141 GeV, GMS01).

    E_muc is where the radiative loss equals the electronic one, i.e. total = 2 a(E).  Ours
    (Coulomb-corrected) must be within 3 % of 141 GeV; the PUMAS/Born total crosses 2a(E)
    at a lower energy (more radiative loss), which is the documented difference.
    """
    pb = get_substance("Pb")
    e_muc = muon_loss.muon_critical_energy(pb)
    assert abs(e_muc / 141.0 - 1.0) < TOL
    # Born version of ours: total exceeds 2 a at the PDG E_muc by more than 3 % (3.6 %; corrected: 0.6 %)
    E = np.array([141.0])
    a, _ = muon_loss.mean_dedx(E, pb, split=True)
    born = muon_loss.mean_dedx(E, pb, coulomb=False)
    assert born[0] / (2.0 * a[0]) - 1.0 > TOL
