"""Selection (e->mu paper Eq. 28, cuts (i)-(iii); NA64-mu paper Sec. 3.2) and detector response."""

import math

import numpy as np
import pytest

from leptoportal.analysis.selection import na64e_selection, na64mu_selection
from leptoportal.detector import muon, response
from leptoportal.detector.setup import load_setup
from leptoportal.errors import InputError
from leptoportal.particles import M_MU


@pytest.fixture(scope="module")
def s_e():
    return load_setup("na64e")


def test_e_miss_eq28_by_hand(s_e):
    e_ecal = np.array([10.0, 10.0, 70.0, 10.0])
    hcal = np.array([[2.5, 2.4, 2.6], [2.5, 2.4, 2.6], [2.5, 2.4, 2.6], [5.0, 2.4, 2.6]])
    p = np.array([30.0, np.nan, 10.0, 30.0])
    r = na64e_selection(e_ecal, hcal, p, s_e)
    e_mu = math.sqrt(30.0 ** 2 + M_MU ** 2)
    assert r["e_miss"][0] == pytest.approx(100.0 - 10.0 - 7.5 - e_mu)
    assert r["e_miss"][1] == pytest.approx(100.0 - 10.0 - 7.5)  # no track: E_mu = 0
    assert list(r["cut_i"]) == [True, False, True, True]
    assert list(r["cut_ii"]) == [True, True, True, False]  # 5 GeV = two MIPs in HCAL0
    assert list(r["cut_iii"]) == [True, True, False, True]  # E_miss = 7.5 - ... < 20
    assert list(r["mask"]) == [True, False, False, False]


def test_overrides_and_per_event_beam_energy(s_e):
    e_ecal = np.array([10.0])
    hcal = np.array([[2.5, 2.5, 2.5]])
    p = np.array([30.0])
    assert na64e_selection(e_ecal, hcal, p, s_e, e_miss_min_gev=60.0)["mask"][0] == False  # noqa: E712
    assert na64e_selection(e_ecal, hcal, p, s_e, hcal_mip_window_gev=[2.6, 4.0])["mask"][0] == False  # noqa: E712
    r = na64e_selection(e_ecal, hcal, p, s_e, e_beam=np.array([50.0]))
    assert r["e_miss"][0] == pytest.approx(50.0 - 10.0 - 7.5 - math.hypot(30.0, M_MU))
    veto = np.array([2.0])
    assert na64e_selection(e_ecal, hcal, p, s_e, veto=veto)["mask"][0] == False  # noqa: E712
    assert na64e_selection(e_ecal, hcal, p, s_e, n_tracks=np.array([2]))["mask"][0] == False  # noqa: E712


def test_selection_bad_input(s_e):
    with pytest.raises(InputError, match="unknown cut"):
        na64e_selection(np.zeros(1), np.zeros((1, 3)), np.ones(1), s_e, e_mis_min_gev=3)
    with pytest.raises(InputError, match="hcal_deposits"):
        na64e_selection(np.zeros(2), np.zeros((3, 3)), np.ones(2), s_e)
    with pytest.raises(InputError, match="e_miss_min_gev"):
        na64e_selection(np.zeros(1), np.zeros((1, 3)), np.ones(1), s_e, e_miss_min_gev=float("nan"))


def test_na64mu_selection():
    s = load_setup("na64mu")
    p_out = np.array([80.0, 120.0, 80.0, np.nan, 80.0])
    e_ecal = np.array([1.0, 1.0, 5.0, 1.0, 1.0])
    hcal = np.array([[2.5] * 4, [2.5] * 4, [2.5] * 4, [2.5] * 4, [2.5] * 4])
    veto = np.array([[1.0, 1.0]] * 4 + [[3.0, 1.0]])
    r = na64mu_selection(150.0, p_out, e_ecal, hcal, s, veto=veto)
    assert list(r["cut_track"]) == [True, False, True, False, True]
    assert list(r["cut_calo"]) == [True, True, False, True, True]  # 5 + 10 > 12 GeV
    assert list(r["mask"]) == [True, False, False, False, False]
    assert r["p_miss"][0] == pytest.approx(70.0)


def test_hcal_mip_calibration_and_photostatistics(s_e):
    """A deposit equal to the reference mean ionisation loss reads the quoted 2.5 GeV (Sec. III A);
    the spread equals the Poisson photostatistics of 175 p.e. per MIP (NA64-mu paper Sec. 3.2)."""
    rng = np.random.default_rng(1)
    h = s_e.hcal_indices
    ref = np.array([response.mip_reference_loss(s_e, i) for i in h])
    dep = np.tile(ref, (50000, 1))
    out = response.hcal_response(dep, s_e, rng)
    assert out.mean(0) == pytest.approx([2.5] * 3, rel=0.005)
    assert out.std(0) == pytest.approx([2.5 / math.sqrt(175.0)] * 3, rel=0.05)
    # the reference loss is the Bethe mean loss of a 10 GeV muon in 120 cm Fe + 19.2 cm Sc
    assert ref[0] == pytest.approx((120 * 7.874 * 1.97e-3 + 19.2 * 1.06 * 2.43e-3), rel=0.03)


def test_ecal_resolution_formula(s_e):
    assert response.ecal_resolution(100.0, s_e) == pytest.approx(100.0 * math.hypot(0.1 / 10.0, 0.02))
    rng = np.random.default_rng(2)
    x = response.ecal_smear(np.full(40000, 50.0), s_e, rng)
    assert x.std() == pytest.approx(50.0 * math.hypot(0.1 / math.sqrt(50.0), 0.02), rel=0.03)


def test_muon_chain_through_selection(s_e):
    """End-to-end: a 40 GeV muon from the ECAL front with E_ECAL = 10 GeV passes all cuts in the
    majority of cases; a 5 GeV muon (stops in the HCALs) never does."""
    rng = np.random.default_rng(3)
    n = 3000
    for E0, expect_min, expect_max in ((40.0, 0.6, 1.0), (5.0, 0.0, 0.0)):
        p = math.sqrt(E0 ** 2 - M_MU ** 2)
        tr = muon.transport(s_e, np.tile([E0, 0, 0, p], (n, 1)), 1.0, rng)
        h = response.hcal_response(tr.deposit[:, list(s_e.hcal_indices)], s_e, rng)
        veto = response.veto_response(tr.deposit[:, s_e.veto_indices[0]], s_e, rng)
        r = na64e_selection(np.full(n, 10.0), h, tr.p_measured, s_e, veto=veto)
        assert expect_min <= r["mask"].mean() <= expect_max
