"""Tests of leptoportal.detector.shower: the 1-D EM cascade MC and its track-length table.

Independent references:
* Rossi's approximation-A track-length constants 0.437 (e+-) and 0.572 (gamma) x E0/E^2
  (Rossi, High-Energy Particles (1952); for b = 0.0135), reproduced by the Mellin-pole
  formula, which then predicts the MC in approximation-A mode (no ionisation, no Compton);
* Rossi's approximation B: total charged track length T = X0 E0 / E_c (all energies);
* PDG RPP Eq. 34.36: t_max = ln(E0/E_c) - 0.5 for electron-induced showers;
* energy conservation (deposit + leakage = E0);
* Eq. (29) of the e->mu paper evaluated step by step vs the binned table.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from leptoportal.detector import shower as sh
from leptoportal.errors import InputError

MED = sh.pb_sc_medium()


def _edges(E0, lo=0.01, per_decade=20):
    n = int(math.ceil(math.log10(E0 / lo) * per_decade))
    e = lo * (E0 / lo) ** (np.arange(n + 1) / n)
    e[-1] *= 1 + 1e-12
    return e


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEPTOPORTAL_CACHE_DIR", str(tmp_path / "cache"))


def test_mixture_properties_against_pdg():
    # 1.5 mm Pb + 1.5 mm polystyrene: 1/X0 = sum w/X0 with PDG X0 (6.37, 43.79 g/cm^2) -> 6.859 g/cm^2
    w_pb = 0.15 * 11.35 / (0.15 * 11.35 + 0.15 * 1.060)
    x0_pdg = 1.0 / (w_pb / 6.37 + (1 - w_pb) / 43.79)
    assert MED.x0_gcm2 == pytest.approx(x0_pdg, rel=5e-3)
    assert MED.length_x0 == pytest.approx(40.0)
    # E_c of the mixture lies between Pb (7.43 MeV) and polystyrene (93.1 MeV), close to Pb
    assert 7.43e-3 < MED.ecrit_gev < 10e-3
    # xi = (Z^2+Z)/(Z^2(Lrad-f)+Z L'rad) ~ 1/ln(183 Z^-1/3) ~ 0.29 for Pb
    assert 0.27 < MED.xi < 0.31


def test_mellin_pole_reproduces_rossi_constants():
    # Rossi's b = 0.0135 corresponds to xi/9 = 2b
    ce, cg = sh.approx_a_track_length_coefficients(18 * 0.0135)
    assert ce == pytest.approx(0.437, abs=1.5e-3)
    assert cg == pytest.approx(0.572, abs=1.5e-3)


def test_cross_section_integrals():
    # pair: 7/9 - xi/54 per X0 at high energy (PDG Eq. 34.32 with the 1/9 term)
    assert float(sh.pair_per_x0(1e4, MED.xi)) == pytest.approx(7 / 9 - MED.xi / 54, rel=1e-6)
    assert float(sh.pair_per_x0(0.9e-3, MED.xi)) == 0.0
    # soft + hard brems energy loss = E/X0 x (1 + xi/18)... check the total radiated fraction numerically
    E, kc = 10.0, 1e-6
    y = np.geomspace(kc / E, 1, 200001)
    phi = ((4 / 3 + MED.xi / 9) * (1 - y) + y * y) / y
    hard = np.trapezoid(phi, y)
    assert float(sh.brems_hard_per_x0(E, kc, MED.xi)) == pytest.approx(hard, rel=1e-4)
    # Klein-Nishina: Thomson limit 0.6652 b at low k, 1/k fall at high k
    assert float(sh.klein_nishina_cm2(1e-9)) == pytest.approx(6.6524587e-25, rel=1e-3)


def test_lpm_factors():
    e_lpm = MED.e_lpm_gev
    assert float(sh.lpm_brems_factor(1.0, 0.01, e_lpm)) > 0.99  # E << E_LPM: no suppression
    assert float(sh.lpm_brems_factor(1000.0, 1e-4, e_lpm)) < 0.2  # strong suppression of soft photons
    assert float(sh.lpm_pair_factor(10.0, 0.5, e_lpm)) > 0.99
    s = sh.lpm_brems_factor(np.full(50, 1e3), np.geomspace(1e-6, 0.999, 50), e_lpm)
    assert np.all((s > 0) & (s <= 1))


def test_approximation_a_differential_track_length():
    """MC (no ionisation, no Compton) vs the Mellin-pole result c E0/E^2 for E << E0, in decade bins."""
    E0 = 100.0
    edges = np.array([0.1, 0.3, 1.0])
    res = sh.cascade(MED, "e-", E0, 40, np.random.default_rng(5), energy_edges=edges, depth_edges_x0=[0, 200],
                     e_cut=0.01, ionisation=False, compton=False)
    ce, cg = sh.approx_a_track_length_coefficients(MED.xi)
    pred = E0 * (1 / edges[:-1] - 1 / edges[1:])
    ratio_e = res.hist[:2].sum(axis=(0, 2)) / (ce * pred)
    ratio_g = res.hist[2].sum(axis=1) / (cg * pred)
    assert np.all(np.abs(ratio_e - 1) < 0.05), ratio_e
    assert np.all(np.abs(ratio_g - 1) < 0.05), ratio_g


def test_energy_conservation():
    E0 = 20.0
    res = sh.cascade(MED, "e-", E0, 10, np.random.default_rng(1), energy_edges=_edges(E0),
                     depth_edges_x0=np.linspace(0, MED.length_x0, 161), e_cut=0.005)
    assert res.edep.sum() + res.leak_gev == pytest.approx(E0, rel=2e-4)


def test_approximation_b_total_track_length():
    """Approximation B (constant loss eps0 per X0, no Compton): T = X0 E0 / eps0 (Rossi).

    The model is run with eps0 = 0.5 GeV so that the cut-offs (1.1 MeV) and the rest energy
    (2 m_e per pair, not available for ionisation) are small against eps0; they remove
    ~(2 m_e + 2 e_cut) per low-energy pair, a few per cent (measured 0.973).  Tolerance:
    0.95 <= T eps0 / (X0 E0) <= 1, and E0 scaling (10 vs 50 GeV) within 1 %.
    """
    ratios = []
    for E0, n in ((10.0, 16), (50.0, 4)):
        res = sh.cascade(MED, "e-", E0, n, np.random.default_rng(2), energy_edges=_edges(E0, 1.1e-3),
                         depth_edges_x0=[0, 200], e_cut=1.1e-3, compton=False, ecrit_override=0.5)
        ratios.append(res.hist[:2].sum() * 0.5 / E0)
    assert 0.95 <= ratios[0] <= 1.0 and 0.95 <= ratios[1] <= 1.0, ratios
    assert ratios[1] == pytest.approx(ratios[0], rel=0.01)


def test_full_shower_track_length_scales_with_energy():
    """Full physics, 10 MeV cut: T(> 10 MeV) / (X0 E0/E_c) is energy independent (1 vs 30 GeV, 3 %)."""
    out = []
    for E0, n in ((1.0, 200), (30.0, 8)):
        res = sh.cascade(MED, "e-", E0, n, np.random.default_rng(3), energy_edges=_edges(E0),
                         depth_edges_x0=[0, MED.length_x0], e_cut=0.01)
        out.append(res.hist[:2].sum() * MED.ecrit_gev / E0)
    assert out[1] == pytest.approx(out[0], rel=0.03)
    assert 0.15 < out[0] < 0.35  # cut (10 MeV) above E_c: most of the track is below the cut


def _tmax(E0, n, seed):
    tE = np.linspace(0, MED.length_x0, 161)
    res = sh.cascade(MED, "e-", E0, n, np.random.default_rng(seed), energy_edges=_edges(E0, 1.1e-3),
                     depth_edges_x0=tE, e_cut=1.1e-3)
    tc = 0.5 * (tE[1:] + tE[:-1])
    w = res.edep
    mu = np.sum(w * tc) / w.sum()
    var = np.sum(w * (tc - mu) ** 2) / w.sum()
    b = mu / var
    return (mu * b - 1) / b  # t_max of the gamma-function fit by moments (PDG Eq. 34.35)


@pytest.mark.slow
def test_shower_maximum_vs_pdg():
    """t_max = ln(E0/E_c) - 0.5 (PDG Eq. 34.36) within 1 X0 at 5, 20, 100 GeV; growth with ln E0 within 0.4 X0.

    t_max from the gamma-function fit (PDG Eq. 34.35) of the energy-deposit profile, by moments.
    The 1-D MC peaks 0.5-0.8 X0 earlier than the PDG rule (numbers in docs/shower.md),
    attributed to the complete-screening pair cross section used down to the cut (it
    overestimates pair production by 1-50 MeV photons, which then convert too early).
    """
    ts = {E0: _tmax(E0, n, 11) for E0, n in ((5.0, 40), (20.0, 12), (100.0, 6))}
    for E0, t in ts.items():
        assert abs(t - (math.log(E0 / MED.ecrit_gev) - 0.5)) < 1.0, (E0, t)
    assert (ts[100.0] - ts[5.0]) == pytest.approx(math.log(20.0), abs=0.4), ts


def test_eq29_step_sum_equals_table_integral():
    """Sum_k w(E_k) dL_k over MC steps (Eq. 29 literally) == binned table integral of w, within 1 %."""
    E0 = 20.0
    e_edges = _edges(E0, 0.01, 25)
    t_edges = np.linspace(0, MED.length_x0, 161)

    def w(E):
        E = np.asarray(E, float)
        return np.where(E > 1.0, np.log(E) ** 2 * E ** 0.3, 0.0)

    res = sh.cascade(MED, "e-", E0, 10, np.random.default_rng(4), energy_edges=e_edges, depth_edges_x0=t_edges,
                     e_cut=0.01, score_fn={"e-": w, "e+": w})
    X0 = MED.X0_cm
    tab = sh.TrackLengthTable(sh.SPECIES, e_edges, t_edges * X0, {s: res.hist[i] * X0 for i, s in
                                                                  enumerate(sh.SPECIES)}, MED, "e-", E0, 10)
    for s in ("e-", "e+"):
        direct = res.score[s] * X0
        assert tab.integral(s, w) == pytest.approx(direct, rel=0.01)


def test_table_cache_and_sampling():
    med = sh.pb_sc_medium(length_x0=20.0)
    t1 = sh.track_lengths(med, energy=5.0, n_showers=5, seed=3)
    t2 = sh.track_lengths(med, energy=5.0, n_showers=5, seed=3)
    assert not t1.meta["from_cache"] and t2.meta["from_cache"]
    for s in sh.SPECIES:
        np.testing.assert_array_equal(t1.hist[s], t2.hist[s])
    t3 = sh.track_lengths(med, energy=5.0, n_showers=6, seed=3)
    assert not t3.meta["from_cache"]
    # dl_de integrates back to the total
    E = np.geomspace(t1.energy_edges[0], t1.energy_edges[-1] * (1 - 1e-9), 200001)
    assert np.trapezoid(t1.dl_de("e-", E), E) == pytest.approx(t1.total_cm("e-"), rel=2e-3)
    # sampling: fraction above 1 GeV equals the table's, depth within the medium
    rng = np.random.default_rng(0)
    Ev, z, tot = t1.sample("e-", 20000, rng, e_min=0.5, e_max=5.0)
    assert tot == pytest.approx(t1.total_cm("e-", 0.5), rel=0.02)
    frac = np.mean(Ev > 1.0)
    assert frac == pytest.approx(t1.total_cm("e-", 1.0) / t1.total_cm("e-", 0.5), abs=0.02)
    assert np.all((z >= 0) & (z <= med.length_cm)) and np.all((Ev >= 0.5) & (Ev <= 5.0))
    # weighted sampling follows L x w: <1/w> over draws = L / integral(w)
    Ev, z, tot = t1.sample("e-", 20000, rng, e_min=0.5, e_max=5.0, weight_fn=lambda e: e ** 2)
    assert np.mean(1 / Ev ** 2) == pytest.approx(t1.total_cm("e-", 0.5) / tot, rel=0.05)


def test_bad_input():
    with pytest.raises(InputError):
        sh.track_lengths(MED, beam="mu-")
    with pytest.raises(InputError):
        sh.track_lengths(MED, energy=-1.0)
    with pytest.raises(InputError):
        sh.pb_sc_medium(pb_mm=0)
    with pytest.raises(InputError):
        sh.cascade(MED, "e-", 1.0, 1, np.random.default_rng(0), energy_edges=[0.01, 1], depth_edges_x0=[0, 1],
                   e_cut=5e-4)
