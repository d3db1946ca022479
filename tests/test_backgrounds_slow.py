"""Slow validations of the background Monte Carlo through shower table, transport and selection."""

import math

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup_and_table():
    from leptoportal.detector.setup import load_setup
    from leptoportal.detector.track_lengths import track_lengths

    st = load_setup("na64e")
    return st, track_lengths(st, n_showers=200, seed=0)


def test_dimuon_rate_matches_rossi_and_paper(setup_and_table):
    from leptoportal.analysis.backgrounds import PAPER, dimuon
    from leptoportal.particles import M_MU

    st, tab = setup_and_table
    med = tab.medium
    rate = tab.integral("gamma", lambda E: dimuon.macroscopic_sigma_per_cm(E, med), e_min=4 * M_MU)
    # independent: Rossi approximation-A photon track length in the same medium
    rossi = dimuon.dimuon_rate_rossi(float(st.beam.energy_gev), med, med.X0_cm)
    assert rate == pytest.approx(rossi, rel=0.15)
    # paper: 1.05e-4 per EOT; we find ~1.5x (see docs/backgrounds.md)
    assert 0.5 < rate / PAPER["dimuon_per_eot"] < 2.0


def test_pass_threshold_is_conservative(setup_and_table):
    """No muon below E_pass is ever reconstructed, for muons started anywhere in the ECAL."""
    from leptoportal.analysis.backgrounds.pipeline import pass_threshold_gev
    from leptoportal.detector.muon import transport
    from leptoportal.particles import M_MU

    st, _ = setup_and_table
    e_pass = pass_threshold_gev(st)
    rng = np.random.default_rng(2)
    n = 1500
    E = np.exp(rng.uniform(math.log(0.5 * e_pass), math.log(e_pass), n))
    p = np.sqrt(E * E - M_MU**2)
    th = rng.uniform(0, 0.02, n)
    ph = rng.uniform(0, 2 * np.pi, n)
    p4 = np.column_stack([E, p * np.sin(th) * np.cos(ph), p * np.sin(th) * np.sin(ph), p * np.cos(th)])
    z = rng.uniform(st.ecal.z_start_cm, st.ecal.z_end_cm, n)
    for q in (-1, 1):
        tr = transport(st, p4, z, rng, charge=q)
        assert not np.any(tr.in_acceptance & np.isfinite(tr.p_measured))


def test_dimuon_mc_consistency(setup_and_table):
    from leptoportal.analysis.backgrounds.pipeline import simulate_dimuons

    st, tab = setup_and_table
    r = simulate_dimuons(st, eot=2e7, seed=3, workers=1, table=tab, shower_err=False)
    # categories (I, II, III, none) partition all conversions
    assert sum(r.categories_per_eot.values()) == pytest.approx(r.dimuon_per_eot, rel=1e-9)
    assert r.eot_equivalent == pytest.approx(r.n_simulated / r.rate_simulated_stratum)
    assert r.eot_equivalent >= 2e7 * 0.999
    # events with a reconstructed muon exist in all three categories of the paper (I)-(III)
    assert all(r.categories_per_eot[k] > 0 for k in ("I", "II", "III"))
    # cut (i) rejects category II by construction; no dimuon passes in 2e7 EOT (paper: none in 1.5e11)
    if r.after_cuts_per_eot == 0:
        assert r.upper_limit_90 == pytest.approx(2.302585 / r.eot_equivalent)
    # reproducible and independent of the number of workers
    r2 = simulate_dimuons(st, eot=2e7, seed=3, workers=2, table=tab, shower_err=False)
    assert r2.categories_per_eot == r.categories_per_eot


def test_hadron_mc_vs_paper(setup_and_table):
    from leptoportal.analysis.backgrounds import PAPER
    from leptoportal.analysis.backgrounds.pipeline import simulate_hadrons

    st, _ = setup_and_table
    h = simulate_hadrons(st, n_per_channel=4000, seed=2)
    assert h.decay_probability["pi-"] == pytest.approx(PAPER["decay_probability"]["pi-"], rel=0.15)
    assert h.decay_probability["K-"] == pytest.approx(PAPER["decay_probability"]["K-"], rel=0.15)
    # survival per hadron cannot exceed P_decay x BR
    assert 0 <= h.survival["pi-"][0] <= h.decay_probability["pi-"]
    assert 0 <= h.survival["K-"][0] <= h.decay_probability["K-"]
    assert h.eot_equivalent > 1.5e11
