"""SN 1987A window (leptoportal.constraints.supernova): every piece against an independent route or an
analytic limit, the registry entry's intervals, bad input, and the NA64-mu paper's Sec. 4.2 numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from leptoportal.constraints import supernova as sn
from leptoportal.constraints.registry import ModelChoice, get_constraint
from leptoportal.errors import InputError
from leptoportal.models import LeptophilicScalar, loop_f12_onshell
from leptoportal.particles import M_E, M_MU
from leptoportal.units import ALPHA
from tolerances import rounding


# ----------------------------------------------------------------------------- electron gas
def test_electron_density_nondegenerate_and_degenerate_limits():
    # Boltzmann: n = 2 (m T / 2 pi)^(3/2) e^((mu - m)/T) (1 + 15 T/(8 m) + O(T^2/m^2))
    t = 1e-7
    mu = M_E - 20.0 * t
    boltz = 2.0 * (M_E * t / (2.0 * math.pi)) ** 1.5 * math.exp((mu - M_E) / t) * (1.0 + 15.0 * t / (8.0 * M_E))
    assert sn.electron_number_density(mu, t) == pytest.approx(boltz, rel=1e-6)  # next term ~(T/m)^2 = 4e-8
    # Sommerfeld: mu - E_F = -(pi^2/6) T^2 (2 E_F^2 - m^2)/(E_F p_F^2) + O(T^4)
    n = 1e-6
    p_f = (3.0 * math.pi ** 2 * n) ** (1.0 / 3.0)
    e_f = math.hypot(p_f, M_E)
    for t in (1e-4, 1e-5):
        shift = -(math.pi ** 2 / 6.0) * t ** 2 * (2.0 * e_f ** 2 - M_E ** 2) / (e_f * p_f ** 2)
        mu = sn.electron_chemical_potential(n, t)[0]
        # O(T^4) remainder relative to the shift: ~(T/E_F)^2 <= 1e-5; brentq rtol 1e-13 of E_F
        assert mu - e_f == pytest.approx(shift, rel=1e-4, abs=1e-13 * e_f)


# ----------------------------------------------------------------------------- chi e -> chi e
def _lab_rate_target_at_rest(e_chi, m_chi, m_s, n_e, moment):
    """Independent route: electrons at rest, dsigma/dt = <|M|^2>/(64 pi m_e^2 p^2), lab angle from t."""
    p = math.sqrt(e_chi ** 2 - m_chi ** 2)
    s = m_chi ** 2 + M_E ** 2 + 2.0 * M_E * e_chi
    pstar = M_E * p / math.sqrt(s)

    def integrand(t):
        amp = (4.0 * m_chi ** 2 - t) * (4.0 * M_E ** 2 - t) / (t - m_s ** 2) ** 2  # spin-averaged, g = 1
        e2 = e_chi + t / (2.0 * M_E)
        p2 = math.sqrt(max(e2 * e2 - m_chi ** 2, 0.0))
        c = (t - 2.0 * m_chi ** 2 + 2.0 * e_chi * e2) / (2.0 * p * p2)
        return amp / (64.0 * math.pi * M_E ** 2 * p ** 2) * math.acos(min(1.0, max(-1.0, c))) ** moment

    sig, _ = quad(integrand, -4.0 * pstar ** 2, 0.0, limit=200, epsrel=1e-10, points=[-m_s ** 2])
    return n_e * (p / e_chi) * sig


@pytest.mark.parametrize("m_s", [2e-3, 2e-2])
def test_deflection_rate_against_electrons_at_rest(m_s):
    # cold, non-degenerate electrons (v_e^2 ~ 3T/m_e = 6e-6), no blocking: the 4-d CM-frame integral with
    # boosts must equal the 1-d lab-frame formula for a target at rest
    t = 1e-9
    mu = M_E - 30.0 * t
    n_e = sn.electron_number_density(mu, t)
    e_chi, m_chi = 0.02, 0.004
    for k in (0, 1, 2):
        got = sn.electron_deflection_rate(e_chi, m_chi, m_s, t, mu, blocking=False, moment=k, order=2)
        ref = _lab_rate_target_at_rest(e_chi, m_chi, m_s, n_e, k)
        assert got == pytest.approx(ref, rel=2e-3)  # electron motion O(v_e^2) ~ 1e-5; quadrature ~1e-4


def _boost_matrix(beta):
    """4x4 Lorentz boost taking a particle at rest to velocity beta (rows: E, x, y, z), for arrays of beta."""
    b2 = np.sum(beta * beta, axis=-1)
    g = 1.0 / np.sqrt(1.0 - b2)
    lam = np.zeros(beta.shape[:-1] + (4, 4))
    lam[..., 0, 0] = g
    lam[..., 0, 1:] = g[..., None] * beta
    lam[..., 1:, 0] = g[..., None] * beta
    outer = beta[..., :, None] * beta[..., None, :]
    lam[..., 1:, 1:] = np.eye(3) + ((g - 1.0) / np.where(b2 > 0, b2, 1.0))[..., None, None] * outer
    return lam


def test_deflection_rate_against_monte_carlo_with_moving_degenerate_electrons():
    # independent route: Gamma_theta = int d^3k/(2pi)^3 2 f(E_k) v_Moller int dOmega* <|M|^2>/(64 pi^2 s)
    # (1 - f(E_k')) theta_lab, sampled uniformly (k, direction of k, CM direction on the fixed axes), final states
    # by 4x4 boost matrices; electrons at T = 3 MeV, mu = 20 MeV (the profile at ~40 km)
    rng = np.random.default_rng(12345)
    e_chi, m_chi, m_s, t, mu = 0.012, 0.0033, 0.01, 0.003, 0.02
    n = 800_000
    k_max = 0.02 + 40 * t
    k = k_max * rng.random(n)
    ck = 2.0 * rng.random(n) - 1.0
    phk = 2.0 * math.pi * rng.random(n)
    sk = np.sqrt(1.0 - ck * ck)
    kv = np.stack([k * sk * np.cos(phk), k * sk * np.sin(phk), k * ck], axis=-1)
    ek = np.sqrt(k * k + M_E ** 2)
    p_chi = math.sqrt(e_chi ** 2 - m_chi ** 2)
    pv = np.array([0.0, 0.0, p_chi])
    ptot = np.concatenate([(e_chi + ek)[:, None], pv + kv], axis=-1)
    s = ptot[:, 0] ** 2 - np.sum(ptot[:, 1:] ** 2, axis=-1)
    beta = ptot[:, 1:] / ptot[:, :1]
    to_lab = _boost_matrix(beta)
    to_cm = _boost_matrix(-beta)
    p_cm = np.einsum("nij,j->ni", to_cm, np.array([e_chi, *pv]))
    pstar = np.sqrt(np.sum(p_cm[:, 1:] ** 2, axis=-1))
    cc = 2.0 * rng.random(n) - 1.0
    phc = 2.0 * math.pi * rng.random(n)
    sc = np.sqrt(1.0 - cc * cc)
    u = np.stack([sc * np.cos(phc), sc * np.sin(phc), cc], axis=-1)
    fin_cm = np.concatenate([p_cm[:, :1], pstar[:, None] * u], axis=-1)
    fin = np.einsum("nij,nj->ni", to_lab, fin_cm)
    tt = -2.0 * pstar ** 2 * (1.0 - np.sum(u * p_cm[:, 1:], axis=-1) / pstar)
    theta = np.arccos(np.clip(fin[:, 3] / np.sqrt(np.sum(fin[:, 1:] ** 2, axis=-1)), -1.0, 1.0))
    amp = (4 * m_chi ** 2 - tt) * (4 * M_E ** 2 - tt) / (tt - m_s ** 2) ** 2
    f_in = 1.0 / (np.exp((ek - mu) / t) + 1.0)
    f_out = 1.0 / (np.exp((ptot[:, 0] - fin[:, 0] - mu) / t) + 1.0)
    v_moller = pstar * np.sqrt(s) / (e_chi * ek)
    vol = k_max * 4.0 * math.pi * 4.0 * math.pi          # dk dOmega_k dOmega*
    w = vol * k * k * 2.0 * f_in / (2 * math.pi) ** 3 * v_moller * amp / (64 * math.pi ** 2 * s) * (1.0 - f_out)
    for moment in (1, 2):
        x = w * theta ** moment
        mean, err = x.mean(), x.std() / math.sqrt(n)
        got = sn.electron_deflection_rate(e_chi, m_chi, m_s, t, mu, moment=moment)
        assert abs(got - mean) < 5.0 * err, (got, mean, err)   # err/mean ~ 0.5 %; measured pulls < 1
        assert err < 0.01 * mean


def test_pauli_blocking_limits():
    # non-degenerate gas: 1 - f(E') = 1 to e^(-30)
    t, mu = 1e-6, M_E - 30e-6
    a = sn.electron_deflection_rate(0.02, 0.004, 0.01, t, mu)
    b = sn.electron_deflection_rate(0.02, 0.004, 0.01, t, mu, blocking=False)
    assert a == pytest.approx(b, rel=1e-9)
    # degenerate gas, heavy slow chi (energy transfer omega <= 2 p_F v + (2 p_F)^2/(2 m_chi) ~ 6e-5 << T): only
    # electrons within ~T of the Fermi surface scatter, int f(E)(1 - f(E - omega)) dE = T (1 - omega/2T + ...),
    # so Gamma_blocked = T dGamma_unblocked/dmu
    m_chi = 1000.0
    e_chi = math.hypot(m_chi, 1e-3 * m_chi)      # v = 1e-3
    mu, t, d = 0.03, 1e-3, 2e-3
    blocked = sn.electron_deflection_rate(e_chi, m_chi, 0.01, t, mu)
    up = sn.electron_deflection_rate(e_chi, m_chi, 0.01, t, mu + d, blocking=False)
    down = sn.electron_deflection_rate(e_chi, m_chi, 0.01, t, mu - d, blocking=False)
    # corrections: (T/mu)^2 ~ 1e-3 (Sommerfeld), omega/2T <~ 0.03 (odd in the angle: averages to ~1e-3),
    # (d/mu)^2 ~ 5e-3 (central difference)
    assert blocked == pytest.approx(t * (up - down) / (2.0 * d), rel=2e-3)


def test_deflection_is_quadratic_in_the_couplings():
    base = sn.electron_deflection_rate(0.02, 0.004, 0.01, 3e-3, 0.02)
    assert sn.electron_deflection_rate(0.02, 0.004, 0.01, 3e-3, 0.02, g_e=3.0, g_chi=0.5) == pytest.approx(
        base * 9.0 * 0.25, rel=rounding(1, 64))  # the couplings enter as one factor g_e^2 g_chi^2 of a positive integral


# ----------------------------------------------------------------------------- chi gamma -> chi gamma
def test_chi_photon_cross_section_contact_limit():
    # m_S >> sqrt(s): sigma = g^4 (4 m^2 U^3/3 + U^4/4) / (64 pi m_S^4 (s - m^2)^2), U = (s - m^2)^2/s
    m_chi, s, m_s = 0.01, 0.01, 100.0
    u = (s - m_chi ** 2) ** 2 / s
    ref = (4.0 * m_chi ** 2 * u ** 3 / 3.0 + u ** 4 / 4.0) / (64.0 * math.pi * m_s ** 4 * (s - m_chi ** 2) ** 2)
    assert sn.chi_photon_cross_section(s, m_chi, m_s, 1.0) == pytest.approx(ref, rel=1e-5)  # O(U/m_S^2) = 1e-6


def test_photon_mean_free_path_thermal_average_and_coupling_scaling():
    # a heavy chi at rest (v -> 0): Gamma = int d^3k/(2pi)^3 2 f_BE sigma(m^2 + 2 m omega) -- one scipy quad
    m_chi, m_s, g_gg, t = 5.0, 0.05, 1e-3, 0.03
    e_chi = math.hypot(m_chi, 1e-6)
    km = 1e5 / 1.973269804e-14

    def dens(om):
        return om ** 2 / math.pi ** 2 / math.expm1(om / t) * float(sn.chi_photon_cross_section(
            m_chi ** 2 + 2.0 * m_chi * om, m_chi, m_s, g_gg))

    gamma, _ = quad(dens, 0.0, 60.0 * t, epsrel=1e-11, limit=200)
    v = 1e-6 / e_chi
    assert sn.photon_mean_free_path_km(e_chi, m_chi, m_s, g_gg, t) == pytest.approx(v / gamma / km, rel=2e-5)
    # lambda is proportional to g_gammagamma^-2, i.e. to g_mu^-2 through Eq. (2.4)
    m = 0.02
    g1 = LeptophilicScalar.muon_specific(m, 1e-4, m_chi=m / 3).g_gammagamma()
    g2 = LeptophilicScalar.muon_specific(m, 3e-4, m_chi=m / 3).g_gammagamma()
    lam1 = sn.photon_mean_free_path_km(0.09, m / 3, m, g1, t)
    lam2 = sn.photon_mean_free_path_km(0.09, m / 3, m, g2, t)
    assert lam1 / lam2 == pytest.approx(9.0, rel=rounding(1, 64))  # g_gammagamma^2 factors out of a positive integral


# ----------------------------------------------------------------------------- edges
def test_lower_edges_from_the_sourced_bounds():
    # muon-specific, m_S << m_mu: F_1/2 -> -4/3, g_gg = alpha/(2 pi) (4/3) g_mu/m_mu
    g_closed = sn.G_GAMMAGAMMA_CONTINUUM * 2.0 * math.pi * M_MU * 3.0 / (4.0 * ALPHA)
    assert sn.production_lower_edge("muon-specific", 1e-3)[0] == pytest.approx(g_closed, rel=1e-4)  # (m/m_mu)^2
    # lepton-specific: resonant below omega_p, g_mu = g_e m_mu/m_e exactly
    assert sn.production_lower_edge("lepton-specific", 0.01)[0] == pytest.approx(1e-10 * M_MU / M_E, rel=rounding(1, 4))
    # above omega_p: continuum with all three loops, assembled here from the on-shell loop function
    m = 0.03
    amp = (loop_f12_onshell(4 * M_E ** 2 / m ** 2) + loop_f12_onshell(4 * M_MU ** 2 / m ** 2)
           + loop_f12_onshell(4 * 1.77693 ** 2 / m ** 2)) / M_MU
    g_ref = sn.G_GAMMAGAMMA_CONTINUUM / (ALPHA / (2 * math.pi) * abs(complex(amp)))
    assert sn.production_lower_edge("lepton-specific", m)[0] == pytest.approx(g_ref, rel=2e-4)  # m_tau: PDG vs here
    assert np.isinf(sn.production_lower_edge("muon-specific", 0.2)[0])


def test_paper_lower_edges_within_factor_3():
    # Sec. 4.2: g_mu ~ 1e-8 (lepton-specific, resonant) and "few x 1e-7" (continuum, both presets)
    ls = sn.production_lower_edge("lepton-specific", [0.01, 0.05])
    ms = sn.production_lower_edge("muon-specific", [0.01, 0.05])
    assert 1e-8 / 3 < ls[0] < 3e-8
    for g in (ls[1], *ms):
        assert 1e-7 < g < 9e-7


def test_paper_upper_edges():
    # the paper: ~1e-4 (lepton-specific, rising slightly with m_S), O(1e-3) (muon-specific).  Within a factor 3 at
    # 100 MeV; below, ours falls further (docs/validation.md: profile, simplified criteria) -- pinned here.
    ls = sn.trapping_upper_edge("lepton-specific", [0.01, 0.1])
    mu = sn.trapping_upper_edge("muon-specific", [0.01, 0.1])
    assert ls[0] < ls[1]                             # "increasing slightly for larger m_S"
    assert 1e-4 / 3 < ls[1] < 3e-4 and 1e-3 / 3 < mu[1] < 3e-3
    assert ls[0] == pytest.approx(1.6e-5, rel=0.05) and mu[0] == pytest.approx(2.4e-4, rel=0.05)


def test_decoupling_radius_luminosity_and_mean_energy():
    # massless chi: L = g r^2 T^4 7 pi^3/240 (per dof 7/8 of the photon's pi^2/120 flux), <E> = 7 pi^4 T/(180 zeta 3)
    prof = sn.DEFAULT_PROFILE
    r = 40.0
    t = float(prof.temperature(r))
    lum = 4 * (r * 1e5 / 1.973269804e-14) ** 2 * t ** 4 * 7 * math.pi ** 3 / 240 * 1.602176634e-3 / 6.582119569e-25
    assert sn.chi_luminosity_erg_s(r, 1e-9)[0] == pytest.approx(lum, rel=1e-9)
    assert sn.chi_mean_energy(1e-12, t) == pytest.approx(7 * math.pi ** 4 / (180 * 1.2020569031595942) * t, rel=1e-9)
    # outside R_c, L ~ r^2 T^4 ~ r^(2 - 4n/3): r_KD = R_c (L_c/L_bound)^(3/(4n - 6))
    l_c = sn.chi_luminosity_erg_s(prof.r_c_km, 1e-9)[0]
    r_kd = prof.r_c_km * (l_c / sn.L_BOUND_ERG_S) ** (3.0 / (4.0 * prof.n - 6.0))
    assert sn.decoupling_radius_km(1e-9) == pytest.approx(r_kd, rel=1e-8)


# ----------------------------------------------------------------------------- registry and input
def test_registry_intervals_are_sane():
    c = get_constraint("sn1987a")
    masses = [0.002, 0.02, 0.1, 0.2]
    for name in ("lepton-specific", "muon-specific"):
        ivs = c.intervals(name, masses)
        for m, iv in zip(masses, ivs):
            if m > sn.M_S_MAX_GEV:
                assert iv == []
            else:
                (lo, hi), = iv
                assert 0 < lo < hi < 1e-2
    # the trapping edge scales as 1/g_chi (rate ~ g_e^2 g_chi^2); eps_R works
    (lo1, hi1), = c.intervals(ModelChoice("lepton-specific", g_chi=1.0), [0.02])[0]
    (lo2, hi2), = c.intervals(ModelChoice("lepton-specific", g_chi=0.5), [0.02])[0]
    assert lo1 == lo2 and hi2 == pytest.approx(2.0 * hi1, rel=rounding(1, 16))  # edge = sqrt((pi/2)/(g_chi^2 A)) m_mu/m_e
    assert c.intervals(ModelChoice("muon-specific", eps_R=0.1), [0.02])[0]
    # a profile so hot that the chi sphere lies beyond R_gain: no trapping edge, the window is one-sided
    hot = sn.SNProfile(t_c_gev=0.3)
    assert sn.decoupling_radius_km(0.003, hot) == sn.R_GAIN_KM
    (lo, hi), = sn.sn1987a_intervals("lepton-specific", [0.01], profile=hot)[0]
    assert lo == pytest.approx(1e-10 * M_MU / M_E) and hi == math.inf


@pytest.mark.parametrize("call, key", [
    (lambda: sn.production_lower_edge("lfv", 0.01), "model"),
    (lambda: sn.trapping_upper_edge("muon-specific", -0.01), "m_S"),
    (lambda: sn.trapping_upper_edge("muon-specific", 0.01, g_chi=0.0), "g_chi"),
    (lambda: sn.electron_deflection_rate(0.001, 0.004, 0.01, 1e-3, 0.02), "e_chi"),
    (lambda: sn.electron_deflection_rate(0.02, 0.004, 0.01, 1e-3, 0.02, moment=3), "moment"),
    (lambda: sn.electron_chemical_potential(float("nan"), 1e-3), "n_e"),
    (lambda: sn.chi_photon_cross_section(1e-6, 0.01, 0.1, 1.0), "s"),
    (lambda: sn.SNProfile(y_e=1.5), "y_e"),
    (lambda: get_constraint("sn1987a").intervals("lfv", [0.01]), "model"),
])
def test_bad_input_raises_input_error_naming_the_key(call, key):
    with pytest.raises(InputError, match=key):
        call()
