"""Setups as data (TOML loader/validator) and detector media."""

import re
from pathlib import Path

import numpy as np
import pytest

from leptoportal.detector import media
from leptoportal.detector.setup import load_setup
from leptoportal.errors import InputError

SHIPPED = Path(__file__).resolve().parents[1] / "src" / "leptoportal" / "data" / "experiments"


def test_na64e_layout_matches_paper():
    s = load_setup("na64e")
    assert s.beam.particle == "e-" and s.beam.energy_gev == 100.0  # e->mu paper Sec. III A
    names = [e.name for e in s.elements]
    assert names[:5] == ["ECAL", "VETO", "HCAL0", "HCAL1", "HCAL2"]
    assert s.ecal.name == "ECAL" and s.element_index("HCAL1") == 3
    # 40 X0 ECAL and 7.5 lambda_int HCAL modules (Sec. III A), from the layer structure
    assert s.ecal.thickness_X0 == pytest.approx(40.0, rel=0.03)
    for i in s.hcal_indices:
        assert s.elements[i].thickness_lambda == pytest.approx(7.5, rel=0.03)
    # MBPL + four Micromegas (Fig. 3)
    assert s.spectrometer.magnet == "MBPL" and len(s.spectrometer.trackers) == 4
    assert s.selection["e_miss_min_gev"] == 20.0  # cut (iii)
    z = [(e.z_start_cm, e.z_end_cm) for e in s.elements]
    assert all(b[0] >= a[1] for a, b in zip(z, z[1:]))


def test_na64mu_layout_matches_paper():
    s = load_setup("na64mu")
    assert s.beam.particle == "mu+" and s.beam.energy_gev == 150.0  # NA64-mu paper Sec. 3.2
    assert s.ecal.thickness_cm == 20.0
    assert len(s.hcal_indices) == 4 and len(s.veto_indices) == 2
    assert s.spectrometer.method == "parametrised"
    # sigma(p)/p = 3 % at 100 GeV
    assert s.spectrometer.sigma_p_slope_per_gev * 100.0 == pytest.approx(0.03)
    assert s.selection["p_out_max_gev"] == 100.0 and s.selection["calo_sum_max_gev"] == 12.0


def test_load_by_path_equals_by_name():
    a = load_setup("na64e")
    b = load_setup(str(SHIPPED / "na64e.toml"))
    assert [e.name for e in a.elements] == [e.name for e in b.elements]


def _broken(tmp_path, old, new, count=1):
    text = (SHIPPED / "na64e.toml").read_text()
    assert old in text, old
    p = tmp_path / "bad.toml"
    p.write_text(text.replace(old, new, count))
    return p


@pytest.mark.parametrize(
    "old,new,pattern",
    [
        ("thickness_cm = 139.2        # 48 x 2.9 cm", "# removed", r"HCAL0.*thickness_cm.*missing"),
        ("thickness_cm = 4.0 ", "thickness_cm = -4.0 ", r"VETO.*thickness_cm.*> 0"),
        ('medium = "polystyrene"', 'medium = "unobtainium"', r"VETO.*medium.*unknown"),
        ("z_start_cm = 205.0", "z_start_cm = 150.0", r"HCAL1.*z_start_cm.*overlaps"),
        ("energy_gev = 100.0", "energy_gev = 0.0", r"beam\.energy_gev.*> 0"),
        ('kind = "veto"', 'kind = "veto"\ncolour = "red"', r"VETO.*colour.*unknown key"),
        ('{ material = "Fe", thickness_cm = 2.5 }', '{ material = "Fe", thickness_cm = -2.5 }',
         r"hcal_fesc.*thickness_cm.*> 0"),
        ('{ material = "Fe", thickness_cm = 2.5 }', '{ material = "Xx", thickness_cm = 2.5 }',
         r"hcal_fesc.*material"),
        ("e_miss_min_gev = 20.0", 'e_miss_min_gev = "big"', r"selection\.e_miss_min_gev"),
    ],
)
def test_bad_setup_names_file_element_field(tmp_path, old, new, pattern):
    p = _broken(tmp_path, old, new)
    with pytest.raises(InputError) as exc:
        load_setup(p)
    msg = str(exc.value)
    assert str(p) in msg
    assert re.search(pattern, msg), msg
    assert "\n" not in msg


def test_unknown_setup_name():
    with pytest.raises(InputError, match="na64e"):
        load_setup("na65")


def test_media_bragg_additivity_vs_pdg():
    # PDG Atomic & Nuclear Properties tabulated values (independent of our Bragg sums)
    assert media.get_substance("polystyrene").X0_gcm2 == pytest.approx(43.79, rel=0.005)
    assert media.get_substance("air").X0_gcm2 == pytest.approx(36.62, rel=0.005)
    assert media.get_substance("polystyrene").lambda_int_gcm2 == pytest.approx(81.7, rel=0.01)


def test_medium_atom_density_lead():
    # NA64-mu paper Sec. 3.1: n_atom = 3.3e22 / cm^3 for lead
    pb = media.single("Pb")
    (el, n), = pb.atom_densities()
    assert el.Z == 82 and n == pytest.approx(3.3e22, rel=0.01)
    assert pb.X0_cm == pytest.approx(0.5612, rel=0.002)  # PDG: 0.5612 cm


def test_layered_medium_is_mass_weighted():
    m = media.layered("x", [("Pb", 0.15), ("polystyrene", 0.15, True)])
    rho = (11.35 + 1.06) / 2
    assert m.density == pytest.approx(rho)
    w_pb = 11.35 / (11.35 + 1.06)
    assert 1 / m.X0_gcm2 == pytest.approx(w_pb / 6.37 + (1 - w_pb) / 43.79, rel=1e-3)
    assert m.active_mass_fraction == pytest.approx(1 - w_pb)
    with pytest.raises(InputError):
        media.layered("y", [("Pb", 0.0)])
    assert np.isfinite(m.I_eV) and 68.7 < m.I_eV < 823.0
