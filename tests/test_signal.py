"""Tests of leptoportal.analysis.signal: yield per EOT (e->mu paper Eq. 29) and the NA64e chain.

Cross-section tables come from the normal on-disk cache (WW tables build in seconds).
Independent checks: the thin-target limit n sigma(E0) L (units, atom density), Eq. (29)
summed literally over the MC steps vs the binned table, the h^2 scaling, the Z^2 n share of
carbon, and physical properties of selected events (muon above the ~7.5 GeV needed to cross
the HCALs, E_miss > 20 GeV).
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from leptoportal.analysis import signal as sg
from leptoportal.detector import media
from leptoportal.detector import shower as sh
from leptoportal.detector import track_lengths as tl
from leptoportal.errors import InputError
from leptoportal.units import PB_TO_CM2

warnings.simplefilter("ignore", RuntimeWarning)


@pytest.fixture(scope="module")
def table():
    return tl.track_lengths(media.pb_sc_medium(), energy=100.0, n_showers=20, seed=7, cache=False)


def test_thin_target_limit():
    """0.02 X0 of Pb/Sc: yield -> n_Pb sigma(E0) L (primary electron only), to the few-% energy degradation."""
    med = media.pb_sc_medium(length_x0=0.02)
    tab = tl.track_lengths(med, energy=100.0, n_showers=400, seed=1, cache=False)
    yb = sg.signal_yield(tab, 0.3, 1e-4, method="ww", nuclei=("Pb",))
    sig_pb = sg.sigma_fn("e-", "Pb", "ww", 0.3, 1e-4)(np.array([100.0]))[0]
    ref = med.nuclei()["Pb"] * sig_pb * PB_TO_CM2 * med.length_cm
    assert 0.95 <= yb.species("e-") / ref <= 1.0


def test_eq29_literal_step_sum(table):
    """Eq. (29) summed step by step inside the cascade == signal_yield on the binned table (1 %)."""
    med = table.medium
    n_pb = med.nuclei()["Pb"]
    sig_e = sg.sigma_fn("e-", "Pb", "ww", 0.3, 1e-4)
    sig_p = sg.sigma_fn("e+", "Pb", "ww", 0.3, 1e-4)
    edges, tedges = table.energy_edges, table.depth_edges / med.X0_cm
    res = sh.cascade(med, "e-", 100.0, 10, np.random.default_rng(3), energy_edges=edges, depth_edges_x0=tedges,
                     e_cut=0.01, score_fn={"e-": lambda E: n_pb * sig_e(E) * PB_TO_CM2 * (E >= 1.0),
                                           "e+": lambda E: n_pb * sig_p(E) * PB_TO_CM2 * (E >= 1.0)})
    X0 = med.X0_cm
    tab = tl.TrackLengthTable(sh.SPECIES, edges, tedges * X0, {s: res.hist[i] * X0 for i, s in enumerate(sh.SPECIES)},
                              med, "e-", 100.0, 10)
    yb = sg.signal_yield(tab, 0.3, 1e-4, method="ww", nuclei=("Pb",))
    assert yb.species("e-") == pytest.approx(res.score["e-"] * X0, rel=0.01)
    assert yb.species("e+") == pytest.approx(res.score["e+"] * X0, rel=0.01)


def test_coupling_scaling_and_nuclei(table):
    y1 = sg.signal_yield(table, 0.3, 1e-4, method="ww")
    y2 = sg.signal_yield(table, 0.3, 3e-4, method="ww")
    assert y2.total == pytest.approx(9.0 * y1.total, rel=1e-10)
    c_share = (y1.by_species_nucleus[("e-", "C")] / y1.by_species_nucleus[("e-", "Pb")])
    # Z^2 n ratio: 36 x 2.45e22 / (6724 x 1.65e22) = 0.8 % (form factors change it by O(1))
    assert 0.002 < c_share < 0.03
    # positrons: shower e+ track above 1 GeV ~ e- secondaries; e+ yield a sizeable fraction of e-
    assert 0.1 < y1.species("e+") / y1.species("e-") < 1.0
    with pytest.raises(InputError):
        sg.signal_yield(table, 0.3, 1e-4, nuclei=("W",))
    with pytest.raises(InputError):
        sg.signal_yield(table, -0.3, 1e-4)


@pytest.fixture(scope="module")
def chain():
    return sg.simulate_signal("na64e", 0.3, 1e-4, events=1500, seed=3, method="ww")


def test_chain_physics(chain):
    r = chain
    a = r.arrays
    assert r.yield_per_eot == pytest.approx(r.yield_per_eot_electron + r.yield_per_eot_positron)
    assert r.selected_per_eot == pytest.approx(r.yield_per_eot * r.efficiency)
    assert 0.0 < r.efficiency < 0.2  # e->mu paper Fig. 5: a few per cent
    m = a["mask"]
    assert np.all(a["e_mu"][m] > 7.0)  # must cross 3 HCALs: ~7.5 GeV (paper), minus ECAL part
    assert np.all(a["e_miss"][m] > 20.0)
    # energy bookkeeping: true E_ECAL + E_mu + E_phi - muon ECAL deposit = E0 per event
    assert np.all(np.isfinite(a["e_miss"]))
    assert np.all((a["e_vertex"] >= 1.0) & (a["e_vertex"] <= 100.0))
    assert np.all((a["z_cm"] >= 0) & (a["z_cm"] <= 45.0))
    assert set(np.unique(a["species"])) <= {"e-", "e+"}
    json.dumps(r.to_json())


@pytest.mark.slow
def test_chain_reproducible(chain):
    r2 = sg.simulate_signal("na64e", 0.3, 1e-4, events=1500, seed=3, method="ww")
    np.testing.assert_array_equal(chain.arrays["e_miss"], r2.arrays["e_miss"])
    assert chain.efficiency == r2.efficiency


def test_chain_bad_input():
    with pytest.raises(InputError):
        sg.simulate_signal("na64e", 0.3, 1e-4, events=0)
    with pytest.raises(InputError):
        sg.simulate_signal("na64e", 0.3, 1e-4, method="xx")
    with pytest.raises(InputError):
        sg.simulate_signal("na64e", math.nan, 1e-4)


@pytest.mark.slow
def test_efficiency_falls_with_mass():
    """e->mu paper Fig. 5: the efficiency falls with m_phi (the muon carries less energy)."""
    lo = sg.simulate_signal("na64e", 0.15, 1e-4, events=4000, seed=5, method="ww")
    hi = sg.simulate_signal("na64e", 1.5, 1e-4, events=4000, seed=5, method="ww")
    assert hi.efficiency < lo.efficiency - 3 * math.hypot(lo.efficiency_error, hi.efficiency_error)


@pytest.mark.slow
def test_muon_beam_chain_thin_target():
    """NA64-mu (no shower): Pb part of the yield = n_Pb sigma(E0) L up to the ~0.3 GeV loss in 20 cm (1 %)."""
    from leptoportal.models.leptophilic import LeptophilicScalar
    from leptoportal.detector.setup import load_setup
    from leptoportal.xsec.api import total_cross_section

    r = sg.simulate_signal("na64mu", 0.1, 1e-3, events=500, seed=2, method="ww")
    st = load_setup("na64mu")
    med = st.ecal.shower_medium()
    sig = float(np.ravel(total_cross_section(LeptophilicScalar.from_preset("muon-specific", 0.1, 1e-3), 150.0, target="Pb",
                                             method="ww", beam="mu+", final="mu+",
                                             form_factor="atomic-nuclear"))[0])
    ref = med.nuclei()["Pb"] * sig * PB_TO_CM2 * st.ecal.thickness_cm
    assert r.yield_breakdown[("mu+", "Pb")] == pytest.approx(ref, rel=0.01)
    assert r.yield_per_eot_positron == 0.0
    assert 0.0 < r.efficiency < 1.0
    m = r.arrays["mask"]
    assert np.all(r.arrays["p_measured"][m] <= 100.0 * 1.05)  # p_out <= 100 GeV cut (measured momentum)


def test_cli_shower_and_bad_input(tmp_path, monkeypatch, capsys):
    from leptoportal.cli import main

    monkeypatch.setenv("LEPTOPORTAL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["simulate", "shower", "--setup", "na64e", "--showers", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["length_x0"] == pytest.approx(40.6, abs=0.1)
    assert out["track_length_cm"]["e-"] > 0
    assert main(["simulate", "signal", "--mass", "-1"]) == 2
    assert main(["simulate", "signal", "--mass", "0.3", "--events", "0"]) == 2
