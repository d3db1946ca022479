"""Muon energy loss and transport: validation against PDG numbers and independent methods.

References used (numbers printed in the PDG "Atomic and Nuclear Properties of Materials" tables,
pdg.lbl.gov/AtomicNuclearProperties, which are computed as in Groom, Mokhov & Striganov, ADNDT 78
(2001) 183):
  minimum ionisation <-dE/dx>_min [MeV cm^2/g]: Fe 1.451, Pb 1.122, Cu 1.403, Al 1.615,
  polystyrene 1.936;  muon critical energy E_muc [GeV]: Fe 347, Cu 315, Pb 141.
At E_muc the electronic and radiative losses are equal (definition), so the PDG total stopping
power there is 2 a(E_muc): this tests a(E) + b(E) E at E ~ 140-350 GeV.
"""

import math

import numpy as np
import pytest

from leptoportal.detector import media, muon, muon_loss
from leptoportal.detector.setup import load_setup
from leptoportal.errors import InputError
from leptoportal.particles import M_MU
from leptoportal.units import ALPHA

PDG_MIN_ION = {"Fe": 1.451, "Pb": 1.122, "Cu": 1.403, "Al": 1.615, "polystyrene": 1.936}
PDG_EMUC = {"Fe": 347.0, "Cu": 315.0, "Pb": 141.0}


@pytest.mark.parametrize("name", sorted(PDG_MIN_ION))
def test_minimum_ionisation_vs_pdg(name):
    sub = media.get_substance(name)
    p = np.geomspace(0.15, 1.5, 600)
    a = muon_loss.electronic_dedx(np.sqrt(p * p + M_MU ** 2), sub) * 1e3
    assert a.min() == pytest.approx(PDG_MIN_ION[name], rel=0.005)
    # minimum at beta*gamma ~ 3-3.5 (PDG Fig. 34.2)
    assert 2.5 < p[np.argmin(a)] / M_MU < 4.5


@pytest.mark.parametrize("name", ["Fe", "Cu", "Pb"])
def test_muon_critical_energy_vs_pdg(name):
    """Ours (with the pair-production Coulomb correction): Fe 343.2, Cu 313.6, Pb 139.5 GeV."""
    assert muon_loss.muon_critical_energy(media.get_substance(name)) == pytest.approx(PDG_EMUC[name], rel=0.03)


@pytest.mark.parametrize("name", ["Fe", "Cu", "Pb"])
def test_total_dedx_at_pdg_critical_energy(name):
    """<-dE/dx> = a + bE at the PDG E_muc must equal 2a (definition of E_muc).

    Ours: +0.6 % (Fe), +0.2 % (Cu), +0.6 % (Pb).  Without the Coulomb correction of the pair
    production cross section lead was +3.6 % (E_muc 132.4 GeV); see docs/detector.md.
    """
    sub = media.get_substance(name)
    E = np.array([PDG_EMUC[name]])
    a, rad = muon_loss.mean_dedx(E, sub, split=True)
    assert (a + rad)[0] == pytest.approx(2.0 * a[0], rel=0.03)


@pytest.mark.parametrize("Z", [6, 26, 29, 82])
def test_coulomb_f_vs_series(Z):
    """PDG Eq. 34.27 fit of f(Z) vs the Davies-Bethe-Maximon series a^2 sum_n 1/(n (n^2 + a^2))."""
    a2 = (ALPHA * Z) ** 2
    n = np.arange(1, 200001, dtype=float)
    series = a2 * np.sum(1.0 / (n * (n * n + a2)))
    assert media.coulomb_f(Z) == pytest.approx(series, rel=0.005)


def test_pair_coulomb_correction_size():
    """Coulomb correction to e+e- production by muons in Pb (Ivanov, Kuraev, Schiller & Serbo,
    PLB 442 (1998) 453: energy-loss corrections from about -65 % at low pair energy to about -10 %
    at high pair energy).  The leading-log form used here gives -f(Z)/L_e: large near threshold,
    ~ -10 % where the screening log is large; scales like (alpha Z)^2 (Fe ~ 10x smaller)."""
    E = 141.0
    v = np.array([2e-4, 1e-3, 1e-2, 1e-1])
    with_cc = muon_loss.pair_dsigma_dv(E, v, 82, 207.2)
    born = muon_loss.pair_dsigma_dv(E, v, 82, 207.2, coulomb=False)
    rel = with_cc / born - 1.0
    assert np.all(rel < 0.0)
    assert np.all(np.diff(rel) > 0.0)  # correction shrinks with the pair energy
    assert -0.13 < rel[-1] < -0.06  # high pair energy: ~ -8 to -10 %
    assert rel[0] < 1.8 * rel[-1]  # low pair energy: much larger
    fe = muon_loss.pair_dsigma_dv(E, v[-1:], 26, 55.845) / muon_loss.pair_dsigma_dv(E, v[-1:], 26, 55.845, coulomb=False) - 1
    assert -0.02 < fe[0] < 0.0
    # b_pair in lead at the critical energy: -9.6 % relative to Born
    vv = np.geomspace(4 * 0.000511 / E, 1 - M_MU / E, 1500)
    b_cc = np.trapezoid(vv * muon_loss.pair_dsigma_dv(E, vv, 82, 207.2), vv)
    b_born = np.trapezoid(vv * muon_loss.pair_dsigma_dv(E, vv, 82, 207.2, coulomb=False), vv)
    assert -0.13 < b_cc / b_born - 1.0 < -0.07


def test_radiative_components_behave():
    fe = media.get_substance("Fe")
    b = muon_loss.b_coefficients(np.array([10.0, 100.0, 1000.0]), fe)
    # b rises slowly with energy; pair > brems above ~100 GeV; photonuclear ~ flat
    assert np.all(np.diff(b["total"]) > 0)
    assert b["pair"][1] > b["brems"][1] and b["pair"][2] > b["brems"][2]
    assert b["photonuclear"][2] == pytest.approx(b["photonuclear"][1], rel=0.1)
    # b scales roughly like Z^2/A between Fe and Pb (screening logs reduce it)
    pb = muon_loss.b_coefficients(np.array([1000.0]), media.get_substance("Pb"))["total"][0]
    ratio = pb / b["total"][2]
    assert 0.6 * (82 ** 2 / 207.2) / (26 ** 2 / 55.845) < ratio < (82 ** 2 / 207.2) / (26 ** 2 / 55.845)


def test_csda_range_two_methods():
    """CSDA range by quadrature of 1/<dE/dx> vs the ODE integration used by csda_min_energy."""
    fe = media.single("Fe")
    for E in (2.0, 10.0, 50.0):
        R = muon_loss.csda_range(E, fe)  # g/cm^2
        # a homogeneous "setup" of iron: reuse the NA64e HCAL element geometry replaced by Fe
        L = R / fe.density
        # ODE integration upstream from rest over L cm of iron
        e = M_MU + 1e-3
        h = L / 300
        for _ in range(300):
            k1 = muon_loss.mean_dedx(np.array([e]), fe)[0] * fe.density
            e = e + h * muon_loss.mean_dedx(np.array([e + 0.5 * h * k1]), fe)[0] * fe.density
        assert e == pytest.approx(E, rel=0.01)
    # range ~ E / <dE/dx> at low energy where dE/dx ~ const
    assert muon_loss.csda_range(2.0, fe) == pytest.approx(
        (2.0 - M_MU) / muon_loss.mean_dedx(np.array([1.0]), fe)[0], rel=0.1)


def test_landau_most_probable_loss_and_width():
    """Sampled ionisation in a thin layer: MPV vs PDG Eq. 34.12 (Landau-Vavilov), FWHM ~ 4 xi,
    and the sample mean vs the Bethe mean."""
    rng = np.random.default_rng(11)
    sub = media.get_substance("polystyrene")
    med = media.single("polystyrene")
    tabs = muon_loss.medium_tables(med)
    E, t = 10.0, 1.0 * med.density
    n = 200_000
    Ev = np.full(n, E)
    j, w = muon.grid_pos(Ev)
    d = muon.sample_ionisation(Ev, j, w, np.full(n, t), tabs, rng) * 1e3  # MeV
    g = E / M_MU
    bg2 = g * g - 1.0
    b2 = bg2 / (g * g)
    xi = 0.5 * 0.307075 * sub.Z_over_A * t / b2
    I = sub.I_eV * 1e-6
    delta = float(media.density_effect(0.5 * math.log10(bg2), sub.sternheimer))
    mpv = xi * (math.log(2 * 0.51099895 * bg2 / I) + math.log(xi / I) + 0.200 - b2 - delta)
    h, e = np.histogram(d, bins=np.linspace(0, 3 * mpv, 301))
    c = 0.5 * (e[1:] + e[:-1])
    hs = np.convolve(h, np.ones(7) / 7, mode="same")
    assert c[np.argmax(hs)] == pytest.approx(mpv, rel=0.04)
    above = c[hs > hs.max() / 2]
    assert (above[-1] - above[0]) / xi == pytest.approx(4.018, rel=0.1)  # PDG: w = 4.018 xi
    assert d.mean() == pytest.approx(muon_loss.electronic_dedx(np.array([E]), sub)[0] * t * 1e3, rel=0.02)


def _straight(n, E):
    p = math.sqrt(E * E - M_MU * M_MU)
    return np.tile([E, 0.0, 0.0, p], (n, 1))


@pytest.fixture(scope="module")
def na64e():
    return load_setup("na64e")


def test_energy_conservation_and_upstream_zero(na64e):
    rng = np.random.default_rng(2)
    n = 3000
    start = na64e.elements[2].z_start_cm + 10.0  # inside HCAL0
    tr = muon.transport(na64e, _straight(n, 30.0), start, rng)
    assert np.all(tr.deposit[:, :2] == 0.0)
    ok = ~tr.stopped & ~tr.lost
    assert np.allclose(tr.deposit[ok].sum(1) + tr.p4_exit[ok, 0], 30.0, rtol=1e-9)
    st = tr.stopped
    assert np.allclose(tr.deposit[st].sum(1), 30.0 - M_MU)


def test_reproducible_with_seed(na64e):
    a = muon.transport(na64e, _straight(500, 20.0), 1.0, np.random.default_rng(7))
    b = muon.transport(na64e, _straight(500, 20.0), 1.0, np.random.default_rng(7))
    assert np.array_equal(a.deposit, b.deposit) and np.array_equal(a.p_measured, b.p_measured, equal_nan=True)


def test_mean_loss_thick_iron_mc_vs_csda(na64e):
    """Monte Carlo mean energy loss in the three HCAL modules vs the deterministic mean-loss integral."""
    rng = np.random.default_rng(3)
    n = 20000
    E0 = 40.0
    z0 = na64e.elements[2].z_start_cm
    tr = muon.transport(na64e, _straight(n, E0), z0, rng)
    h = list(na64e.hcal_indices)
    mc = tr.deposit[:, h].sum(1).mean()
    # deterministic: integrate dE/dz = -rho <dE/dx> downstream through the three modules
    E = E0
    for i in h:
        el = na64e.elements[i]
        for _ in range(100):
            dz = el.thickness_cm / 100
            k1 = muon_loss.mean_dedx(np.array([E]), el.medium)[0] * el.medium.density
            E -= dz * muon_loss.mean_dedx(np.array([E - 0.5 * dz * k1]), el.medium)[0] * el.medium.density
    assert mc == pytest.approx(E0 - E, rel=0.02)


def test_min_energy_to_cross_three_hcals(na64e):
    """50 % transmission energy (MC, with straggling) vs CSDA minimum energy (ODE), <= 3 %.

    The e->mu paper (Sec. III B) quotes ~7.5 GeV; we obtain ~5.5 GeV from the ECAL front
    (3 x 1.65 GeV in the HCALs + ECAL/VETO): see docs/detector.md (the paper's 7.5 GeV equals
    3 x the 2.5 GeV calibrated MIP signal per module, not the physical loss).
    """
    e_csda = muon_loss.csda_min_energy(na64e, 0.0, "HCAL2")
    assert 4.5 < e_csda < 7.5
    rng = np.random.default_rng(4)
    n = 6000
    hc2 = na64e.element_index("HCAL2")
    fr = []
    energies = e_csda * np.array([0.96, 1.0, 1.04])
    for E0 in energies:
        tr = muon.transport(na64e, _straight(n, E0), 0.0, rng)
        fr.append(np.mean(tr.stopped & (tr.stop_element <= hc2)))
    e50 = np.interp(0.5, fr[::-1], energies[::-1])
    assert e50 == pytest.approx(e_csda, rel=0.03)


def test_multiple_scattering_highland(na64e):
    """Projected angle r.m.s. after the first HCAL module vs Highland for the whole thickness."""
    rng = np.random.default_rng(5)
    n = 20000
    el = na64e.elements[2]
    setup1 = load_setup("na64e")
    import dataclasses

    s1 = dataclasses.replace(setup1, elements=(el,), spectrometer=None)
    E0 = 100.0
    tr = muon.transport(s1, _straight(n, E0), el.z_start_cm, rng)
    ok = ~tr.stopped
    thx = tr.p4_exit[ok, 1] / tr.p4_exit[ok, 3]
    p_mid = math.sqrt((E0 - 0.5 * tr.deposit[:, 0].mean()) ** 2 - M_MU ** 2)
    th0 = muon.highland_theta0(p_mid, el.thickness_cm / el.medium.X0_cm)
    # Gaussian core (central 68 %): the r.m.s. is inflated by muons that lost a large fraction of
    # their energy in a hard radiative interaction. Stepping applies the Highland log term per
    # step (slightly narrower than one Highland step for the whole module): agreement within 10 %.
    q16, q84 = np.percentile(thx, [16, 84])
    assert 0.5 * (q84 - q16) == pytest.approx(th0, rel=0.10)


def test_spectrometer_resolution_and_acceptance(na64e):
    rng = np.random.default_rng(6)
    n = 4000
    tr = muon.transport(na64e, _straight(n, 50.0), 0.0, rng)
    acc = tr.in_acceptance
    assert acc.mean() > 0.8
    r = tr.p_measured[acc] / tr.p_spectrometer[acc]
    assert abs(np.median(r) - 1.0) < 0.01
    # expected from the MM geometry: sigma(dtheta) = sqrt(2) * 2 sigma_x / L (two 2-point lines)
    sx, L, BL = 0.01, 50.0, 3.5
    p_sp = tr.p_spectrometer[acc].mean()  # ~42 GeV after the ECAL and HCALs
    expect = math.sqrt(2.0) * (math.sqrt(2.0) * sx / L) * p_sp / (0.299792458 * BL)
    assert np.std(r) == pytest.approx(expect, rel=0.1)
    assert np.all(np.isnan(tr.p_measured[~acc]))


def test_transport_bad_input(na64e):
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="p4"):
        muon.transport(na64e, np.zeros((3, 3)), 0.0, rng)
    with pytest.raises(InputError, match="rng"):
        muon.transport(na64e, _straight(3, 10.0), 0.0, 42)
    with pytest.raises(InputError, match="charge"):
        muon.transport(na64e, _straight(3, 10.0), 0.0, rng, charge=2)
    with pytest.raises(InputError, match="p4"):
        muon.transport(na64e, np.array([[0.05, 0, 0, 0.01]]), 0.0, rng)
    with pytest.raises(InputError, match="engine"):
        muon.transport(na64e, _straight(3, 10.0), 0.0, rng, engine="gpu")
    with pytest.raises(InputError, match="max_step_cm"):
        muon.transport(na64e, _straight(3, 10.0), 0.0, rng, max_step_cm=0.0)


def test_backward_and_resting_muons_range_out_where_they_start(na64e):
    """Muons at rest or at ~90 degrees (pz <= 0.05 p) deposit their kinetic energy in the start element."""
    rng = np.random.default_rng(1)
    p4 = np.array([[1.0, 0.0, math.sqrt(1.0 - M_MU ** 2), 0.0],     # transverse, in the ECAL
                   [M_MU, 0.0, 0.0, 0.0],                             # at rest
                   [2.0, 0.0, 0.0, -math.sqrt(4.0 - M_MU ** 2)],     # backward, in a gap
                   [10.0, 0.0, 0.0, math.sqrt(100.0 - M_MU ** 2)]])
    tr = muon.transport(na64e, p4, np.array([5.0, 5.0, 47.0, 5.0]), rng)
    assert tr.deposit[0, 0] == pytest.approx(1.0 - M_MU) and tr.stopped[0]
    assert tr.deposit[1].sum() == 0.0 and tr.stopped[1]
    assert tr.lost[2] and tr.deposit[2].sum() == 0.0
    assert np.all(np.isfinite(tr.p4_exit)) and not tr.stopped[3]


def test_low_energy_range_pdg_example():
    """PDG RPP (Passage of particles, range figure caption): at beta*gamma = 1.4 in lead
    R/M ~ 400 g cm^-2 GeV^-1 (a value read from a log-scale figure, hence the 8 % tolerance; our
    Bethe formula has no shell/Barkas corrections, which matter at these low energies)."""
    p = 1.4 * M_MU
    R = muon_loss.csda_range(math.hypot(p, M_MU), media.get_substance("Pb"))
    assert R / M_MU == pytest.approx(400.0, rel=0.08)


@pytest.mark.slow
def test_numba_engine_agrees_with_numpy(na64e):
    """The compiled engine implements the same algorithm: compare means/fractions (statistical)."""
    rng = np.random.default_rng(8)
    n = 40000
    E = 60.0 * rng.beta(0.7, 2.0, n) + 0.3
    th = rng.normal(0.0, 0.01, n)
    p = np.sqrt(E * E - M_MU ** 2)
    p4 = np.stack([E, p * th, 0 * E, p * np.sqrt(1 - th ** 2)], 1)
    z = rng.uniform(0.0, 20.0, n)
    a = muon.transport(na64e, p4, z, np.random.default_rng(1), engine="numpy")
    b = muon.transport(na64e, p4, z, np.random.default_rng(1), engine="numba")
    for f in ("stopped", "lost", "in_acceptance"):
        fa, fb = getattr(a, f).mean(), getattr(b, f).mean()
        assert abs(fa - fb) < 4 * math.sqrt(fa * (1 - fa) / n) + 1e-3, f
    da, db = a.deposit.mean(0), b.deposit.mean(0)
    sa = a.deposit.std(0) / math.sqrt(n)
    assert np.all(np.abs(da - db) < 5 * sa * math.sqrt(2) + 1e-3)
    ra = np.nanmean(a.p_measured / a.p_spectrometer)
    rb = np.nanmean(b.p_measured / b.p_spectrometer)
    assert abs(ra - rb) < 2e-3
    # reproducible with the same seed
    c = muon.transport(na64e, p4, z, np.random.default_rng(1), engine="numba")
    assert np.array_equal(b.deposit, c.deposit)
