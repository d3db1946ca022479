"""Tests of leptoportal.detector.em_physics, .shower and .track_lengths: the EM cross sections,
the 1-D cascade MC and its track-length table.

Independent references:
* Rossi's approximation-A track-length constants 0.437 (e+-) and 0.572 (gamma) x E0/E^2
  (Rossi, High-Energy Particles (1952); for b = 0.0135), reproduced by the Mellin-pole
  formula, which then predicts the MC in approximation-A mode (no ionisation, no Compton,
  complete screening);
* Rossi's approximation B: total charged track length T = X0 E0 / E_c (all energies);
* PDG RPP Eq. 34.36: t_max = ln(E0/E_c) - 0.5 for electron-induced showers;
* pair production in Pb: 7/9 (1/X0 per atom) at high energy (PDG Eq. 34.32), Tsai's screening
  limits, NIST attenuation at 10 MeV (loose), the attenuation minimum at a few MeV;
* Berger-Seltzer collision loss per X0 at E_c equals the PDG Rossi E_c (Pb, polystyrene);
* energy conservation (deposit + leakage = E0);
* Eq. (29) of the e->mu paper evaluated step by step vs the binned table.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from leptoportal.detector import em_physics as em
from leptoportal.detector import media
from leptoportal.detector import shower as sh
from leptoportal.detector import track_lengths as tl
from leptoportal.materials import BUILTIN
from leptoportal.errors import InputError

MED = media.pb_sc_medium()


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
    ce, cg = tl.approx_a_track_length_coefficients(18 * 0.0135)
    assert ce == pytest.approx(0.437, abs=1.5e-3)
    assert cg == pytest.approx(0.572, abs=1.5e-3)


def test_cross_section_integrals():
    # pair: 7/9 - xi/54 per X0 at high energy (PDG Eq. 34.32 with the 1/9 term)
    assert float(em.pair_per_x0(1e4, MED.xi)) == pytest.approx(7 / 9 - MED.xi / 54, rel=1e-6)
    assert float(em.pair_per_x0(0.9e-3, MED.xi)) == 0.0
    # soft + hard brems energy loss = E/X0 x (1 + xi/18)... check the total radiated fraction numerically
    E, kc = 10.0, 1e-6
    y = np.geomspace(kc / E, 1, 200001)
    phi = ((4 / 3 + MED.xi / 9) * (1 - y) + y * y) / y
    hard = np.trapezoid(phi, y)
    assert float(em.brems_hard_per_x0(E, kc, MED.xi)) == pytest.approx(hard, rel=1e-4)
    # Klein-Nishina: Thomson limit 0.6652 b at low k, 1/k fall at high k
    assert float(em.klein_nishina_cm2(1e-9)) == pytest.approx(6.6524587e-25, rel=1e-3)


PB = media.ShowerMedium.from_material(BUILTIN["Pb"])
_K_KN_PB = 82.0 / 207.2 * 6.02214076e23  # electrons per gram of Pb (Klein-Nishina per electron -> cm^2/g)


def test_screening_functions_limits():
    """Tsai's fits (RMP 46 (1974) Eqs. 3.38-3.41): complete screening and the unscreened Bethe-Heitler log."""
    p1, p2, s1, s2 = em.tsai_screening(0.0, 0.0)
    assert p1 == pytest.approx(4 * math.log(184.15), abs=2e-3) and s1 == pytest.approx(4 * math.log(1194), abs=2e-3)
    assert p1 - p2 == pytest.approx(2 / 3) and s1 - s2 == pytest.approx(2 / 3)
    # no screening: phi1/4 - ln Z/3 = ln(2 E E'/(m k)) - 1/2 with gam = 100 m k/(E E' Z^1/3)
    # <=> phi1/4 + ln gam = ln 200 - 1/2 (Bethe-Heitler unscreened; Tsai Eq. 3.5 limit)
    for gam in (300.0, 3000.0):
        p1, p2, _, _ = em.tsai_screening(gam, 1.0)
        assert p1 / 4 + math.log(gam) == pytest.approx(math.log(200) - 0.5, abs=3e-3)
        assert p1 == pytest.approx(p2, abs=1e-5)  # phi1 = phi2 without screening


def test_pair_cross_section_in_lead():
    """Pair production in Pb: high-energy limit 7/9 (1/X0 per atom), rise from threshold, attenuation minimum."""
    X0 = PB.x0_gcm2
    # high-energy limit: complete screening, PDG Eq. 34.32: 7/9 - xi/54 per X0 (7/9 when the 1/9 term is dropped)
    s_inf = float(em.pair_screened_per_x0(1e6, PB)[0])
    assert s_inf == pytest.approx(7 / 9 - PB.xi / 54, rel=2e-3)
    assert s_inf == pytest.approx(7 / 9, rel=0.01)
    # screening=False gives the complete-screening form (Tsai Eq. 3.84) wherever f is applied (k >= 50 MeV)
    k = np.geomspace(2e-3, 1e3, 40)
    kh = k[k >= em.PAIR_COULOMB_MIN_GEV]
    np.testing.assert_allclose(em.pair_screened_per_x0(kh, PB, screening=False), em.pair_per_x0(kh, PB.xi),
                               rtol=1e-6)
    # intermediate screening lowers it, increasingly towards threshold; monotonic rise on each side of
    # the 50 MeV switch of the Coulomb correction
    s = em.pair_screened_per_x0(k, PB)
    assert np.all(s <= em.pair_per_x0(k, PB.xi) * (1 + 1e-9) * 1.07)
    lo, hi = k < em.PAIR_COULOMB_MIN_GEV, k >= em.PAIR_COULOMB_MIN_GEV
    assert np.all(np.diff(s[lo]) > 0) and np.all(np.diff(s[hi]) > 0)
    # 10 MeV: XCOM/Hubbell-Seltzer (NIST SRD 126) mu/rho(Pb, 10 MeV) = 0.0497 cm^2/g of which
    # Klein-Nishina ~0.012 and photo-effect ~0.001, i.e. pair ~0.037 cm^2/g ~ 0.30 of 7/9 per X0.
    # Born-approximation Bethe-Heitler without the Coulomb correction overshoots by ~10 % here.
    r10 = float(em.pair_screened_per_x0(0.01, PB)[0]) / s_inf
    assert 0.28 < r10 < 0.40, r10
    # photon mean free path (pair + Compton) at 10 MeV: NIST gives 1/(0.0497 X0) = 3.16 X0
    mu = em.pair_screened_per_x0(0.01, PB)[0] / X0 + float(em.klein_nishina_cm2(0.01)) * _K_KN_PB
    assert 2.7 < 1 / (mu * X0) < 3.5
    # the attenuation minimum of lead lies at a few MeV (NIST: ~3.5 MeV, 0.042 cm^2/g): Compton falling,
    # pair rising; photo-effect (neglected) would move the minimum up slightly
    kk = np.geomspace(1.5e-3, 2e-2, 200)
    att = em.pair_screened_per_x0(kk, PB) / X0 + em.klein_nishina_cm2(kk) * _K_KN_PB
    assert 2e-3 < kk[np.argmin(att)] < 5e-3
    assert 0.032 < att.min() < 0.045


def test_bremsstrahlung_screening():
    """Screened brems (Tsai Eq. 3.9) -> complete screening (Eq. 3.83) at high E; smaller at low E."""
    for E in (1e3, 1e4):
        assert float(em.brems_hard_screened_per_x0(E, 0.01, MED)[0]) == pytest.approx(
            float(em.brems_hard_per_x0(E, 0.01, MED.xi)), rel=0.01)
    E = np.array([0.02, 0.1, 1.0])
    scr = em.brems_hard_screened_per_x0(E, 0.002, MED)
    cs = em.brems_hard_per_x0(E, 0.002, MED.xi)
    assert np.all(scr < cs) and scr[0] / cs[0] < scr[1] / cs[1] < scr[2] / cs[2] < 1.0
    # soft-photon limit y -> 0 is completely screened at any E
    assert float(em.brems_ydsigma_per_x0(0.05, 1e-7, MED)) == pytest.approx(4 / 3 + MED.xi / 9, rel=1e-3)
    np.testing.assert_allclose(em.brems_soft_screened_loss_per_x0(E, 0.002, MED, screening=False),
                               em.brems_soft_loss_per_x0(E, 0.002, MED.xi), rtol=1e-6)


def test_collision_stopping_power_reproduces_rossi_ec():
    """Berger-Seltzer dE/dx (PDG Sec. 34.2.7) x X0 at E = E_c equals E_c (Rossi), for Pb and polystyrene.

    PDG tables: Pb E_c = 7.43 MeV, X0 = 6.37 g/cm^2; polystyrene E_c = 93.11 MeV, X0 = 43.79 g/cm^2
    (independent: they are computed by the PDG from their own stopping powers).
    """
    assert float(em.collision_dedx_gev_cm2_g(7.43e-3, PB)) * 6.37 == pytest.approx(7.43e-3, rel=0.02)
    ps = media.ShowerMedium("ps", 1.06, tuple(c for c in MED.components if c.Z < 10), 1.0)
    ps = media.ShowerMedium("ps", 1.06, tuple(dataclasses.replace(c, mass_fraction=c.mass_fraction / sum(
        d.mass_fraction for d in ps.components)) for c in ps.components), 1.0)
    assert float(em.collision_dedx_gev_cm2_g(93.11e-3, ps)) * 43.79 == pytest.approx(93.11e-3, rel=0.02)
    # energy dependence: rises from 2 MeV to 1 GeV (relativistic rise, capped by the density effect)
    d = em.collision_dedx_gev_cm2_g(np.array([2e-3, 1e-2, 1e-1, 1.0, 10.0]), PB)
    assert np.all(np.diff(d) > 0) and 1.3 < d[3] / d[0] < 1.7
    # e+ (Bhabha) loses slightly less than e- (Moller) at these energies (ICRU 37)
    dp = em.collision_dedx_gev_cm2_g(np.array([1e-2, 1.0]), PB, positron=True)
    assert np.all((dp < d[[1, 3]]) & (dp > 0.95 * d[[1, 3]]))


def test_tabulated_brackets_match_direct_evaluation():
    """The fast path (brackets tabulated in ln r) reproduces the direct Tsai evaluation."""
    R = em.Rates(MED, 0.01, 100.0)
    rng = np.random.default_rng(1)
    E = np.exp(rng.uniform(math.log(0.011), math.log(100), 5000))
    y = rng.uniform(0, 1, 5000)
    ok = y < 1 - 0.000511 / E
    np.testing.assert_allclose(R.brk.brems(E, y)[ok], em.brems_ydsigma_per_x0(E, y, MED)[ok], atol=2e-3)
    k = np.exp(rng.uniform(math.log(0.0011), math.log(100), 5000))
    x = rng.uniform(0, 1, 5000)
    ok = (x > 0.000511 / k) & (x < 1 - 0.000511 / k)
    direct = em.pair_dsigma_per_x0(k, x, MED)
    np.testing.assert_allclose(R.brk.pair(k, x, k >= em.PAIR_COULOMB_MIN_GEV)[ok], direct[ok], atol=2e-3)
    i = np.clip(np.searchsorted(R.lnE, np.log(k), side="right") - 1, 0, R.lnE.size - 1)
    assert np.all(direct <= R.pair_bound[i])  # rejection bound holds


def test_lpm_factors():
    e_lpm = MED.e_lpm_gev
    assert float(em.lpm_brems_factor(1.0, 0.01, e_lpm)) > 0.99  # E << E_LPM: no suppression
    assert float(em.lpm_brems_factor(1000.0, 1e-4, e_lpm)) < 0.2  # strong suppression of soft photons
    assert float(em.lpm_pair_factor(10.0, 0.5, e_lpm)) > 0.99
    s = em.lpm_brems_factor(np.full(50, 1e3), np.geomspace(1e-6, 0.999, 50), e_lpm)
    assert np.all((s > 0) & (s <= 1))


def test_approximation_a_differential_track_length():
    """MC (no ionisation, no Compton) vs the Mellin-pole result c E0/E^2 for E << E0, in decade bins."""
    E0 = 100.0
    edges = np.array([0.1, 0.3, 1.0])
    res = sh.cascade(MED, "e-", E0, 40, np.random.default_rng(5), energy_edges=edges, depth_edges_x0=[0, 200],
                     e_cut=0.01, ionisation=False, compton=False, screening=False)
    ce, cg = tl.approx_a_track_length_coefficients(MED.xi)
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
    """t_max = ln(E0/E_c) - 0.5 (PDG RPP Eq. 34.36) at 5, 20, 100 GeV.

    t_max from the gamma-function fit (PDG Eq. 34.35) of the energy-deposit profile, by moments
    (1.1 MeV cuts).  Tolerances: the mean offset over the three energies within 0.3 X0, each
    energy within 0.5 X0 (statistical sd of one run here: ~0.07 / 0.13 / 0.25 X0), growth
    t_max(100) - t_max(5) = ln 20 within 0.6 X0.  Measured (docs/shower.md): -0.26 / -0.14 / +0.11
    X0 from the rule; before the low-energy physics (complete screening down to the cut, constant
    dE/dx) it was -0.84 / -0.61 / -0.82.
    """
    ts = {E0: _tmax(E0, n, 11) for E0, n in ((5.0, 120), (20.0, 30), (100.0, 8))}
    off = {E0: t - (math.log(E0 / MED.ecrit_gev) - 0.5) for E0, t in ts.items()}
    for E0, d in off.items():
        assert abs(d) < 0.5, (E0, ts)
    assert abs(sum(off.values()) / 3) < 0.3, off
    assert (ts[100.0] - ts[5.0]) == pytest.approx(math.log(20.0), abs=0.6), ts


def test_eq29_step_sum_equals_table_integral():
    """Sum_k w(E_k) dL_k over MC steps (Eq. 29 literally) == binned table integral of w, within 1 %."""
    E0 = 20.0
    # 100 bins per decade: the table assumes a track length uniform in ln E inside a bin, which at
    # 25 bins/decade is off by up to ~1 % for the primary's peak at E0 (measured 0.988-1.007)
    e_edges = _edges(E0, 0.01, 100)
    t_edges = np.linspace(0, MED.length_x0, 161)

    def w(E):
        E = np.asarray(E, float)
        return np.where(E > 1.0, np.log(E) ** 2 * E ** 0.3, 0.0)

    res = sh.cascade(MED, "e-", E0, 10, np.random.default_rng(4), energy_edges=e_edges, depth_edges_x0=t_edges,
                     e_cut=0.01, score_fn={"e-": w, "e+": w})
    X0 = MED.X0_cm
    tab = tl.TrackLengthTable(sh.SPECIES, e_edges, t_edges * X0, {s: res.hist[i] * X0 for i, s in
                                                                  enumerate(sh.SPECIES)}, MED, "e-", E0, 10)
    for s in ("e-", "e+"):
        direct = res.score[s] * X0
        assert tab.integral(s, w) == pytest.approx(direct, rel=0.005)


def test_table_cache_and_sampling():
    med = media.pb_sc_medium(length_x0=20.0)
    t1 = tl.track_lengths(med, energy=5.0, n_showers=5, seed=3)
    t2 = tl.track_lengths(med, energy=5.0, n_showers=5, seed=3)
    assert not t1.meta["from_cache"] and t2.meta["from_cache"]
    for s in sh.SPECIES:
        np.testing.assert_array_equal(t1.hist[s], t2.hist[s])
    t3 = tl.track_lengths(med, energy=5.0, n_showers=6, seed=3)
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
        tl.track_lengths(MED, beam="mu-")
    with pytest.raises(InputError):
        tl.track_lengths(MED, energy=-1.0)
    with pytest.raises(InputError):
        media.pb_sc_medium(pb_mm=0)
    with pytest.raises(InputError):
        sh.cascade(MED, "e-", 1.0, 1, np.random.default_rng(0), energy_edges=[0.01, 1], depth_edges_x0=[0, 1],
                   e_cut=5e-4)
