"""What the user reads: the mu- charge of cut (i) measured from the bend, both efficiency
definitions, the cut flow, the paper comparison of a reach scan, one (g-2) default with readable
names, and a Delta a_mu consistent with 0 drawn as an exclusion."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leptoportal.analysis import signal as sg
from leptoportal.constraints import g2
from leptoportal.detector.muon import transport
from leptoportal.detector.setup import load_setup
from leptoportal.reach import parse_config, providers, run_scan

from tolerances import rounding

#: ratios of sums of ~3000 positive weights (cond 1): pairwise summation rounds ~log2(3000) = 12 times
#: per sum, two sums and a division per side
SUMS = rounding(cond=1.0, ops=32)


def test_spectrometer_charge_is_the_sign_of_the_bend():
    """mu- and mu+ of 50 GeV from the ECAL: the charge reconstructed from the tracker hits around
    the MBPL equals the true charge (the kick q 0.3 int B dl / p = 21 mrad >> the 0.3 mrad
    resolution of 100 um over 50 cm)."""
    st = load_setup("na64e")
    n = 400
    p4 = np.zeros((n, 4))
    p4[:, 0] = 50.0
    p4[:, 3] = math.sqrt(50.0**2 - 0.10566**2)
    for q in (-1, 1):
        tr = transport(st, p4, np.full(n, 40.0), np.random.default_rng(5), charge=q, engine="numpy")
        meas = np.isfinite(tr.p_measured)
        assert meas.mean() > 0.9
        assert np.all(tr.q_measured[meas] == q) and np.all(tr.q_measured[~meas] == 0)


@pytest.fixture(scope="module")
def chain():
    return sg.simulate_signal("na64e", 0.11, 1e-4, events=3000, seed=4, method="ww")


def test_cut_i_asks_for_a_mu_minus_and_both_efficiencies(chain):
    a = chain.arrays
    mask = a["mask"]
    assert mask.any()
    assert np.all(a["species"][mask] == "e-")  # e+ -> mu+ production never passes the mu- requirement
    w = a["weight"]
    is_e = a["species"] == "e-"
    assert chain.efficiency == pytest.approx(np.sum(w * mask) / np.sum(w), rel=SUMS)
    assert chain.efficiency_electron == pytest.approx(np.sum(w[is_e] * mask[is_e]) / np.sum(w[is_e]), rel=SUMS)
    assert chain.efficiency < chain.efficiency_electron  # the e+ share of production is lost entirely
    d = chain.to_json()
    assert set(d["efficiency_definitions"]) == {"efficiency", "efficiency_electron"}
    assert d["selected_per_eot"] == pytest.approx(d["yield_per_eot"] * d["efficiency"], rel=rounding(ops=2))  # one product
    assert any("7.5 GeV" in n and "5.5 GeV" in n for n in d["notes"])
    assert "MBPL" in d["assumed"] and "assumed" in d["assumed"]["MBPL"]


def test_cutflow_is_monotonic_and_ends_at_the_efficiency(chain):
    cf = chain.to_json()["cutflow"]
    names = list(cf)
    assert names[0] == "produced" and names[-1].startswith("mu- charge")
    assert [n for n in names if n.startswith("crosses HCAL")] == ["crosses HCAL0", "crosses HCAL1", "crosses HCAL2"]
    for col in ("all", "electron"):
        v = [cf[n][col] for n in names]
        assert v[0] == 1.0 and all(b <= a for a, b in zip(v, v[1:]))
    assert cf[names[-1]]["all"] == pytest.approx(chain.efficiency, rel=SUMS)
    assert cf[names[-1]]["electron"] == pytest.approx(chain.efficiency_electron, rel=SUMS)


# ------------------------------------------------------------------------ reach: paper comparison
def _make_ref(mass, model, o, seed, setup):
    """N = y_ref E (g/h_ref)^2 eps with a produced yield y_ref and a selection efficiency eps."""
    y_ref, eps, h_ref = 1e-12 * mass**-1, 0.05, o["reference_coupling"]
    return providers.PointYield(lambda g, E: y_ref * eps * E * (np.asarray(g, float) / h_ref) ** 2, False,
                                {"efficiency": eps, "yield_per_eot_ref": y_ref})


providers.register_provider(providers.YieldProvider(
    "test-reference-yield", _make_ref, "test: produced yield at a reference coupling",
    {"reference_coupling": (float, 1e-4, "coupling")}), replace=True)


def test_paper_comparison_and_no_selection_curve(tmp_path, capsys):
    raw = {"title": "t", "setup": "none", "exposures": [1e11], "cl": 0.9, "seed": 1, "model": {"name": "toy"},
           "statistics": {"method": "background-free"}, "masses": [0.1, 0.2, 0.4],
           "coupling": {"min": 1e-7, "max": 1.0}, "provider": {"name": "test-reference-yield"},
           "overlays": [{"kind": "g2-band", "loop": "lfv", "n_sigma": 2.0, "determination": "fnal2025_wp2025"}],
           "paper": {"mass_gev": 0.2, "coupling": 1e-4, "source": "a paper", "explanation": "why"}}
    cfg = parse_config(raw)
    res = run_scan(cfg, tmp_path, progress=False, quiet=True)
    n_req = res.required[0].n_required
    assert n_req == pytest.approx(-math.log(0.1), rel=1e-9)  # background-free 90 % CL
    pc = res.paper_comparison
    # closed forms: selected h = h_ref sqrt(N/(y eps E)), no selection h = h_ref sqrt(N/(y E)), y = 1e-12/m
    y = 1e-12 / 0.2
    assert pc["ours"] == pytest.approx(1e-4 * math.sqrt(n_req / (y * 0.05 * 1e11)), rel=1e-6)
    assert pc["no_selection"] == pytest.approx(1e-4 * math.sqrt(n_req / (y * 1e11)), rel=1e-6)
    assert pc["ours_over_paper"] == pytest.approx(pc["ours"] / 1e-4)
    info = json.loads((tmp_path / "reach.json").read_text())
    assert info["paper_comparison"]["explanation"] == "why"
    assert info["comparison_curves"][0]["coupling"][1] == pytest.approx(pc["no_selection"], rel=1e-9)
    # the 2025 input contains 0 at 2 sigma: no favoured band, an exclusion above its upper edge
    ov = info["overlays"][0]
    assert ov["kind"] == "g2-excluded" and ov["consistent_with_zero"] and "consistent with 0" in ov["label"]
    assert "BNL+FNAL 2025" in ov["label"] and "fnal2025" not in ov["label"]
    # the end-of-run summary a user reads
    from leptoportal.cli.reach import summary_table

    text = summary_table(cfg, res)
    assert "expected 1e+11" in text and "paper: 0.0001 at 0.2 GeV" in text and "no selection" in text


def test_one_g2_default_named_everywhere(capsys):
    from leptoportal import cli

    det = g2.get_g2_determination()
    assert cli.main(["g2", "--model", "lfv", "--mass", "0.2", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["input"] == det.name and rec["input_label"] == det.title == "BNL+FNAL 2023, WP2020 theory"
    cfg = parse_config({"setup": "none", "exposures": [1e10], "model": {"name": "toy"},
                        "statistics": {"method": "background-free"}, "masses": [0.2],
                        "provider": {"name": "toy-power-law"}, "overlays": [{"kind": "g2-band", "loop": "lfv"}]})
    from leptoportal.reach.overlays import compute_overlays

    (ov,) = compute_overlays(cfg, [], lambda m: None)
    assert ov["determination"] == det.name and det.title in ov["label"]
