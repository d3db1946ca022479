"""Rare decays of leptoportal.constraints.decays (arXiv:1807.03790 Sec. 4.4-4.6, Table 1).

1. Every closed-form spin-summed |M|^2 against an explicit Dirac-matrix trace (Dirac representation,
   gamma5 = i g0 g1 g2 g3, spin sums (p-slash +- m), Z polarisation sum -g + P P / M^2 built from 4x4 matrices)
   at random phase-space points (sequential two-body decays, random directions).  Tolerance 1e-9 relative:
   the traces add terms of a few x the result (cancellation < 1e3 at generic points), each with ~16 roundings.
2. Normalisations through the same integrators and constants: mu/tau decay without S vs
   G_F^2 M^5/(192 pi^3) f(x); BR(K -> mu nu) vs PDG; Gamma(Z -> tau tau) vs closed form and measurement.
3. The soft (eikonal) limit of every radiative width, dGamma/dE_S -> Gamma_0 x (soft factor) |q|/(4 pi^2).
4. The Z gamma S loop (the paper's A.1 at q^2 = M_Z^2) against Djouadi's H -> Z gamma I_1 - I_2.
5. The paper's numbers (within a factor 1.5 in coupling), and the two it does not reproduce (documented in
   docs/constraints.md: mu decay and Z -> gamma S) pinned to our values so that a change is seen.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from leptoportal.constraints.decays import (
    DECAY_BOUNDS,
    br_k_mu_nu,
    br_k_mu_nu_s,
    fermi,
    fermi_f,
    inputs,
    kaon,
    width_fermi,
    width_fermi_closed,
    width_k_mu_nu,
    width_k_mu_nu_closed,
    width_z_ll,
    width_z_ll_closed,
    zdecays,
    zgamma_loop_djouadi,
)
from leptoportal.constraints.g2 import coupling_central
from leptoportal.domains import COUPLING_MAX
from leptoportal.errors import InputError
from leptoportal.models.leptophilic import LeptophilicScalar, loop_f12
from leptoportal.particles import M_E, M_MU, M_TAU
from leptoportal.units import ALPHA
from tolerances import rounding

RTOL_TRACE = 1e-9
N_POINTS = 64

# ------------------------------------------------------------------------ explicit Dirac algebra
G0 = np.diag([1, 1, -1, -1]).astype(complex)
_S = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex), np.array([[1, 0], [0, -1]], complex)]
GK = [np.block([[np.zeros((2, 2)), s], [-s, np.zeros((2, 2))]]) for s in _S]
GAM = np.array([G0] + GK)                                  # gamma^mu, (4, 4, 4)
G5 = 1j * GAM[0] @ GAM[1] @ GAM[2] @ GAM[3]
ONE = np.eye(4, dtype=complex)
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])


def sl(p):
    """p-slash for p (..., 4): gamma^mu p_mu."""
    return np.einsum("...m,mab->...ab", p @ METRIC, GAM)


def bar(a):
    """Dirac adjoint gamma0 A^dagger gamma0 over the last two axes."""
    return G0 @ np.conj(np.swapaxes(a, -1, -2)) @ G0


def tr(a):
    return np.trace(a, axis1=-2, axis2=-1)


def mdot(a, b):
    return np.einsum("...m,mn,...n->...", a, METRIC, b)


def test_dirac_algebra():
    """The explicit matrices satisfy {g^mu, g^nu} = 2 g^{mu nu} and g5^2 = 1, {g5, g^mu} = 0."""
    for m in range(4):
        for n in range(4):
            assert np.allclose(GAM[m] @ GAM[n] + GAM[n] @ GAM[m], 2 * METRIC[m, n] * ONE)
        assert np.allclose(G5 @ GAM[m] + GAM[m] @ G5, 0)
    assert np.allclose(G5 @ G5, ONE)


# ------------------------------------------------------------------------ random phase space
def _boost(p, parent):
    """Boost p (rest frame of ``parent``) to the frame where parent has four-momentum ``parent``."""
    m = np.sqrt(mdot(parent, parent))
    b = parent[..., 1:] / parent[..., :1]
    g = parent[..., 0] / m
    bp = np.sum(b * p[..., 1:], -1)
    b2 = np.sum(b * b, -1)
    coef = np.where(b2 > 0, (g - 1) * bp / np.where(b2 > 0, b2, 1), 0.0)
    e = g * (p[..., 0] + bp)
    vec = p[..., 1:] + (coef[..., None] + (g * p[..., 0])[..., None]) * b
    return np.concatenate([e[..., None], vec], -1)


def _two_body(parent, m1, m2, rng):
    M = np.sqrt(mdot(parent, parent))
    lam = (M ** 2 - (m1 + m2) ** 2) * (M ** 2 - (m1 - m2) ** 2)
    k = np.sqrt(np.clip(lam, 0, None)) / (2 * M)
    c = rng.uniform(-1, 1, M.shape)
    ph = rng.uniform(0, 2 * np.pi, M.shape)
    s = np.sqrt(1 - c * c)
    n = np.stack([s * np.cos(ph), s * np.sin(ph), c], -1)
    p1 = np.concatenate([np.sqrt(k * k + m1 * m1)[..., None], k[..., None] * n], -1)
    p2 = np.concatenate([np.sqrt(k * k + m2 * m2)[..., None], -k[..., None] * n], -1)
    return _boost(p1, parent), _boost(p2, parent)


def _rest(M, n):
    return np.tile(np.array([M, 0.0, 0.0, 0.0]), (n, 1))


# ------------------------------------------------------------------------ 1. |M|^2 vs Dirac traces
def test_k_mu_nu_amp2_trace():
    """K+ -> mu+ nu (S): sum|M|^2 = pref Tr[k A (p - m) A-bar], A = P (1 - g5) [(-p' + m)/D] vs kaon.py."""
    rng = np.random.default_rng(11)
    m, M = M_MU, kaon.M_K
    pref = inputs.G_F ** 2 * inputs.V_US ** 2 * inputs.F_K ** 2 / 2
    P = _rest(M, N_POINTS)
    p0, k0 = _two_body(P, m, 0.0, rng)
    a0 = sl(P) @ (ONE - G5)
    ref0 = pref * tr(sl(k0) @ a0 @ (sl(p0) - m * ONE) @ bar(a0)).real
    assert np.allclose(kaon.amp2_k_mu_nu(P, p0, k0), ref0, rtol=RTOL_TRACE, atol=0)
    for m_S, g in ((0.01, 0.3), (0.2, 1.7)):
        R = m + rng.uniform(0, 1, N_POINTS) * (M - m_S - m)
        q, r = _two_body(P, m_S, R, rng)
        p, k = _two_body(r, m, 0.0, rng)
        pp = p + q
        d = mdot(pp, pp) - m * m
        a = g * sl(P) @ (ONE - G5) @ (-sl(pp) + m * ONE) / d[:, None, None]
        ref = pref * tr(sl(k) @ a @ (sl(p) - m * ONE) @ bar(a)).real
        ours = kaon.amp2_k_mu_nu_s(P, p, k, q, g_mu=g, m_S=m_S)
        assert np.allclose(ours, ref, rtol=RTOL_TRACE, atol=0)
        assert np.all(ref > 0)


def _fermi_trace(P, pf, q, k1, k2, M, m, g_i, g_f):
    """sum|M|^2 from the explicit matrices: (G_F^2/2) sum_{X,Y} T1_XY^{ab} T2_XY^{cd} g_ac g_bd, X, Y over the
    diagrams (a: S off the initial lepton, b: off the final lepton), each line a trace with its spin sum."""
    n = P.shape[0]
    va = np.broadcast_to(np.einsum("mab,bc->mac", GAM, ONE - G5), (n, 4, 4, 4))     # gamma^a (1 - g5)
    d_i = mdot(P - q, P - q) - M * M
    d_f = mdot(pf + q, pf + q) - m * m
    ins_i = g_i * (sl(P - q) + M * ONE) / d_i[:, None, None]
    ins_f = g_f * (sl(pf + q) + m * ONE) / d_f[:, None, None]
    line1 = {"a": np.einsum("nmab,nbc->nmac", va, ins_i), "b": va}
    line2 = {"a": va, "b": np.einsum("nab,nmbc->nmac", ins_f, va)}
    total = np.zeros(n)
    for X in "ab":
        for Y in "ab":
            T1 = np.einsum("nab,nmbc,ncd,nlda->nml", sl(k1), line1[X], sl(P) + M * ONE, bar(line1[Y]))
            T2 = np.einsum("nab,nmbc,ncd,nlda->nml", sl(pf) + m * ONE, line2[X], sl(k2), bar(line2[Y]))
            total += np.einsum("nml,mk,lj,nkj->n", T1, METRIC, METRIC, T2).real
    return inputs.G_F ** 2 / 2 * total


@pytest.mark.parametrize("parent,daughter,m_S,g_i,g_f", [
    ("mu", "e", 0.02, 0.7, 0.0), ("mu", "e", 0.03, 0.4, 1.3), ("tau", "mu", 0.1, 0.0, 0.9),
    ("tau", "mu", 0.5, 1.9, 0.6)])
def test_fermi_amp2_trace(parent, daughter, m_S, g_i, g_f):
    """mu/tau -> l nu nu S: the W-vector formula of fermi.py vs the two explicit trace lines (incl. interference)."""
    rng = np.random.default_rng(7)
    M, m = fermi.LEPTON_MASS[parent], fermi.LEPTON_MASS[daughter]
    P = _rest(M, N_POINTS)
    R1 = m + rng.uniform(0.05, 1, N_POINTS) * (M - m_S - m)
    q, r1 = _two_body(P, m_S, R1, rng)
    R2 = rng.uniform(0.05, 0.95, N_POINTS) * (np.sqrt(mdot(r1, r1)) - m)
    pf, pair = _two_body(r1, m, R2, rng)
    k1, k2 = _two_body(pair, 0.0, 0.0, rng)
    ours = fermi.amp2_fermi_s(P, pf, q, k1, k2, M=M, m=m, m_S=m_S, g_i=g_i, g_f=g_f)
    ref = _fermi_trace(P, pf, q, k1, k2, M, m, g_i, g_f) / 2       # average over the initial spin
    assert np.allclose(ours, ref, rtol=RTOL_TRACE, atol=0)
    assert np.all(ref > 0)


def test_fermi_amp2_trace_without_s():
    """64 G_F^2 (P.k2)(p_f.k1) vs the explicit traces (spin-averaged: the textbook 128 G_F^2 is the sum)."""
    rng = np.random.default_rng(8)
    M, m = M_MU, M_E
    P = _rest(M, N_POINTS)
    pf, pair = _two_body(P, m, rng.uniform(0.05, 0.95, N_POINTS) * (M - m), rng)
    k1, k2 = _two_body(pair, 0.0, 0.0, rng)
    ref = inputs.G_F ** 2 / 2 * _fermi_trace_sm(P, pf, k1, k2, M, m) / 2     # average over the initial spin
    assert np.allclose(fermi.amp2_fermi(P, pf, k1, k2), ref, rtol=RTOL_TRACE, atol=0)


def _fermi_trace_sm(P, pf, k1, k2, M, m):
    va = np.einsum("mab,bc->mac", GAM, ONE - G5)
    T1 = np.einsum("nab,mbc,ncd,lda->nml", sl(k1), va, sl(P) + M * ONE, bar(va))
    T2 = np.einsum("nab,mbc,ncd,lda->nml", sl(pf) + m * ONE, va, sl(k2), bar(va))
    return np.einsum("nml,mk,lj,nkj->n", T1, METRIC, METRIC, T2).real


def _z_trace(P, p1, p2, q, m, g, M):
    """sum_pol,spins |M(Z -> f f-bar S)|^2 with the explicit matrices and -g + P P / M^2 (q = None: no S)."""
    c = math.sqrt(inputs.G_Z_HALF_SQ)
    vert = np.einsum("mab,bc->mac", GAM, inputs.G_V_LEPTON * ONE - inputs.G_A_LEPTON * G5)     # (4, 4, 4)
    if q is None:
        gam = c * np.broadcast_to(vert, (P.shape[0],) + vert.shape)
    else:
        d1 = mdot(p1 + q, p1 + q) - m * m
        d2 = mdot(p2 + q, p2 + q) - m * m
        left = (sl(p1 + q) + m * ONE) / d1[:, None, None]
        right = (-sl(p2 + q) + m * ONE) / d2[:, None, None]
        gam = c * g * (np.einsum("nab,mbc->nmac", left, vert) + np.einsum("mab,nbc->nmac", vert, right))
    T = np.einsum("nab,nmbc,ncd,nlda->nml", sl(p1) + m * ONE, gam, sl(p2) - m * ONE, bar(gam))
    Pl = P @ METRIC
    pol = -METRIC[None] + np.einsum("nm,nl->nml", Pl, Pl) / M ** 2
    return np.einsum("nml,nml->n", T, pol).real


@pytest.mark.parametrize("flavour,m_S,g", [("tau", 0.02, 0.5), ("tau", 7.0, 1.3), ("mu", 30.0, 0.8)])
def test_z_ffs_amp2_trace(flavour, m_S, g):
    """Z -> l l S: the X_V, X_A closed forms of zdecays.py (incl. the P P / M_Z^2 axial term) vs explicit traces."""
    rng = np.random.default_rng(5)
    m, M = zdecays._MASS[flavour], inputs.M_Z
    P = _rest(M, N_POINTS)
    R = 2 * m + rng.uniform(0.01, 1, N_POINTS) * (M - m_S - 2 * m)
    q, r = _two_body(P, m_S, R, rng)
    p1, p2 = _two_body(r, m, m, rng)
    ref = _z_trace(P, p1, p2, q, m, g, M)
    d1 = mdot(p1 + q, p1 + q) - m * m
    d2 = mdot(p2 + q, p2 + q) - m * m
    ours = zdecays.amp2_z_ffs(d1, d2, m, m_S, g, M)
    assert np.allclose(ours, ref, rtol=RTOL_TRACE, atol=0)
    # no S: Z -> l l
    p1, p2 = _two_body(P, m, m, rng)
    assert np.allclose(zdecays.amp2_z_ll(m, M), _z_trace(P, p1, p2, None, m, 0.0, M), rtol=RTOL_TRACE, atol=0)


# ------------------------------------------------------------------------ 2. normalisations
@pytest.mark.parametrize("parent,daughter", [("mu", "e"), ("tau", "mu"), ("tau", "e")])
def test_lepton_decay_without_s_matches_fermi_formula(parent, daughter):
    """Same pair-tensor integral and Q quadrature as the S width vs G_F^2 M^5/(192 pi^3) f(x) (measured ~5e-15)."""
    assert width_fermi(parent, daughter) == pytest.approx(width_fermi_closed(parent, daughter), rel=1e-6)
    assert float(fermi_f(1e-30)) == pytest.approx(1.0)
    assert fermi.width_fermi("mu", "e") / (inputs.HBAR_GEV_S / inputs.TAU_MU) == pytest.approx(1.0, abs=6e-3)


def test_k_mu_nu_normalisation():
    """BR(K -> mu nu) from f_K, |V_us|, G_F, tau_K (PDG 2024): tree level 0.6231, 2.0 % below 63.56 %;
    with the short-distance electroweak factor S_EW = 1.0232 (Marciano-Sirlin; assumed, not applied in the
    code) within 1 % of the measurement."""
    # the same inputs in two groupings: products and powers of ~12 factors, (1 - r^2)^2 with r^2 = 0.046 (cond 1.1)
    assert width_k_mu_nu() == pytest.approx(width_k_mu_nu_closed(), rel=rounding(2, 32))
    br = br_k_mu_nu()
    assert br == pytest.approx(0.6231, abs=5e-4)
    assert br == pytest.approx(inputs.BR_K_MUNU_MEASURED, rel=0.025)
    assert br * 1.0232 == pytest.approx(inputs.BR_K_MUNU_MEASURED, rel=0.01)


def test_z_tautau_normalisation():
    """Gamma(Z -> tau tau) from the same |M|^2 and phase space: closed form to 1e-3 (exact here) and the
    PDG 84.08 MeV within 1.5 % (tree level in the G_F scheme: 83.21 MeV, -1.04 %)."""
    assert width_z_ll("tau") == pytest.approx(width_z_ll_closed("tau"), rel=1e-3)
    assert width_z_ll("tau") == pytest.approx(inputs.GAMMA_Z_TAUTAU, rel=0.015)


def test_four_body_quadrature_vs_flat_monte_carlo():
    """An independent integrator for tau -> mu nu nu S (S off both leptons): flat sequential-two-body Monte Carlo
    of the *unintegrated* |M|^2 (so the nu nu-bar tensor integral is tested too), dPhi_4 = prod dR_i^2/(2 pi)
    Phi_2, Phi_2 = |p|/(4 pi sqrt s) per isotropic decay; 1.5e5 points, 5 sigma (~3 %).  Long version with more
    processes and 1e6 points: benchmarks/validate_decays.py."""
    rng = np.random.default_rng(2)
    n, m_S, g_i, g_f = 150_000, 0.3, 3.0, 1.0
    M, m = M_TAU, M_MU
    P = _rest(M, n)

    def phi2(parent, m1, m2):
        s = mdot(parent, parent)
        lam = (s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)
        return np.sqrt(np.clip(lam, 0, None)) / (2 * s) / (4 * math.pi)

    r1 = rng.uniform(m ** 2, (M - m_S) ** 2, n)
    q, R1 = _two_body(P, m_S, np.sqrt(r1), rng)
    hi = (np.sqrt(r1) - m) ** 2
    r2 = rng.uniform(0, 1, n) * hi
    pf, R2 = _two_body(R1, m, np.sqrt(r2), rng)
    k1, k2 = _two_body(R2, 0.0, 0.0, rng)
    w = (((M - m_S) ** 2 - m ** 2) / (2 * math.pi) * hi / (2 * math.pi)
         * phi2(P, m_S, np.sqrt(r1)) * phi2(R1, m, np.sqrt(r2)) * phi2(R2, 0.0, 0.0))
    vals = w * fermi.amp2_fermi_s(P, pf, q, k1, k2, M=M, m=m, m_S=m_S, g_i=g_i, g_f=g_f) / (2 * M)
    mc, err = vals.mean(), vals.std() / math.sqrt(n)
    quad = fermi.width_fermi_s("tau", "mu", m_S, g_i, g_f)
    assert abs(mc - quad) < 5 * err and err < 0.01 * quad


# ------------------------------------------------------------------------ 3. eikonal limits
def test_eikonal_lepton_decays():
    """dGamma/dE_S -> Gamma_0 g^2 (2M/D_i)^2 |q|/(4 pi^2) (S off the initial lepton, angle independent) and
    -> Gamma_0 g^2 |q|/(4 pi^2 E^2) off the final lepton (angle average of (2m/(2 p.q))^2 = 1/E^2 for m_S -> 0)."""
    for parent, daughter, E, m_S in (("tau", "mu", 1e-5, 1e-9), ("mu", "e", 1e-8, 1e-13)):
        M = fermi.LEPTON_MASS[parent]
        g0 = width_fermi(parent, daughter)
        qm = math.sqrt(E * E - m_S * m_S)
        soft_i = g0 * (2 * M / (m_S ** 2 - 2 * M * E)) ** 2 * qm / (4 * math.pi ** 2)
        ours = fermi.dwidth_dE_S(parent, daughter, m_S, E, 1.0, 0.0)[0]
        assert ours / soft_i == pytest.approx(1.0, abs=5e-4)
    g0 = width_fermi("tau", "mu")
    E = 1e-5
    ours = fermi.dwidth_dE_S("tau", "mu", 1e-9, E, 0.0, 1.0)[0]
    assert ours / (g0 / (4 * math.pi ** 2 * E)) == pytest.approx(1.0, abs=5e-4)


def test_eikonal_k_and_z():
    """K -> mu nu S and Z -> tau tau S at small E_S vs Gamma_0 |q|/(4 pi^2) <soft factor^2>, the angle average
    done in closed form with the exact D = 2 p.q + m_S^2 (fixed two-body energies of the non-radiative decay)."""
    m_S, E = 1e-7, 1e-5
    qm = math.sqrt(E * E - m_S * m_S)
    m, M = M_MU, kaon.M_K
    e_mu = (M * M + m * m) / (2 * M)
    p_mu = math.sqrt(e_mu ** 2 - m * m)
    a, b = 2 * e_mu * E + m_S ** 2, 2 * p_mu * qm
    soft = 4 * m * m / (a * a - b * b)
    ref = width_k_mu_nu() * qm / (4 * math.pi ** 2) * soft
    assert kaon.dwidth_dE_S_k(m_S, E)[0] / ref == pytest.approx(1.0, abs=5e-4)
    m, M = M_TAU, inputs.M_Z
    m_S, E = 1e-9, 1e-6
    qm = math.sqrt(E * E - m_S * m_S)
    e0 = M / 2
    p0 = math.sqrt(e0 ** 2 - m * m)
    a, b = 2 * e0 * E + m_S ** 2, 2 * p0 * qm
    soft = 4 * m * m * (2 / (a * a - b * b) + math.log((a + b) / (a - b)) / (a * b))
    ref = width_z_ll("tau") * qm / (4 * math.pi ** 2) * soft
    assert zdecays.dwidth_dE_S_z_ffs(m_S, E)[0] / ref == pytest.approx(1.0, abs=5e-4)


# ------------------------------------------------------------------------ 4. Z gamma S loop
def test_zgamma_loop_vs_djouadi():
    """Paper A.1 at rho = M_Z^2/(4 m^2) (time-like, both sides of the thresholds) = 4 [I_1 - I_2](tau, lambda)
    of the SM H -> Z gamma fermion loop (Djouadi Phys. Rept. 457, HHG), lambda = 1/rho."""
    rng = np.random.default_rng(3)
    tau = 10 ** rng.uniform(-2, 3, 40)
    lam = 10 ** rng.uniform(-3, 2, 40)
    keep = np.abs(np.log(tau / lam)) > 0.05
    tau, lam = tau[keep], lam[keep]
    ours = loop_f12(tau, 1.0 / lam)
    ref = 4 * zgamma_loop_djouadi(tau, lam)
    assert np.allclose(ours, ref, rtol=1e-9, atol=0)
    assert zgamma_loop_djouadi(1e4, 2e4).real == pytest.approx(-1 / 3, rel=1e-3)


def test_z_gamma_s_width_vs_djouadi_formula():
    """Normalisation of Gamma(Z -> gamma S) against Djouadi's Gamma(H -> Z gamma) fermion term (Phys. Rept. 457
    (2008) 1): G_F^2 M_W^2 alpha M_H^3 (1 - M_Z^2/M_H^2)^3 / (64 pi^4) |sum_f Q_f v-hat_f / c_W (I_1 - I_2)|^2,
    v-hat = 2 I_3 - 4 Q s^2 = 2 g_V, with the Yukawa m_f/v -> g_l (A_f -> (g_l/m_l) v A_f, 1/v^2 = sqrt2 G_F,
    M_W^2/c_W^2 = M_Z^2).  The squared S-Z-gamma form factor |A|^2 = 32 pi Gamma_H / (M_H^3 (1 - r)^3) is then put
    into the Z -> gamma S width |A|^2 (M_Z^2 - m_S^2)^3 / (96 pi M_Z^3)."""
    for preset, m_S in (("lepton-specific", 0.3), ("muon-specific", 5.0), ("lepton-specific", 20.0)):
        model = LeptophilicScalar.from_preset(preset, m_S, 0.1)
        M = inputs.M_Z
        # Djouadi, H -> Z gamma: sum_f Q_f v-hat_f / c_W A_f with A_f = I1 - I2; a Yukawa y_f = g_f
        # replaces m_f / v, so A_f -> (g_f / m_f) v A_f.  |A|^2 = Gamma_H 32 pi / M_H^3 (1 - r)^-3.
        amp = 0j
        for fl, m in zdecays._MASS.items():
            g = model.coupling(fl)
            if g:
                amp += (-1.0) * 2 * inputs.G_V_LEPTON * (g / m) * zgamma_loop_djouadi(4 * m * m / m_S ** 2,
                                                                                    4 * m * m / M ** 2)
        # Gamma_H(M_H) = G_F^2 M_W^2 alpha M_H^3 (1-r)^3 / (64 pi^4) |amp / c_W|^2 v^2 with M_W^2/c_W^2 = M_Z^2
        v2 = 1.0 / (math.sqrt(2) * inputs.G_F)
        a2 = inputs.G_F ** 2 * M ** 2 * ALPHA * abs(amp) ** 2 * v2 / (64 * math.pi ** 4) * 32 * math.pi
        ref = a2 * (M * M - m_S * m_S) ** 3 / (96 * math.pi * M ** 3)
        assert zdecays.width_z_gamma_s(model) == pytest.approx(ref, rel=1e-9)


# ------------------------------------------------------------------------ 5. paper numbers and API
def test_paper_k_decay_at_g2_coupling():
    """Paper Sec. 4.4: g-2 couplings give BR(K -> mu nu S) <~ 1e-8 (ours 5e-9 to 9.5e-9 for 5-100 MeV)."""
    m = np.array([0.005, 0.01, 0.02, 0.05, 0.1])
    model = LeptophilicScalar.from_preset("muon-specific", m, coupling_central(m, kind="diagonal"))
    br = br_k_mu_nu_s(model)
    assert np.all(br < 1e-8 * 1.5 ** 2) and np.all(br > 1e-9)


@pytest.mark.parametrize("preset,paper", [("muon-specific", 0.5), ("lepton-specific", 0.02)])
def test_paper_tau_decay(preset, paper):
    """Paper Sec. 4.6: tau decays exclude g_mu >~ 0.5 (muon-specific), >~ 0.02 (lepton-specific) at 20 MeV
    (ours 0.388 and 0.0190)."""
    g = float(DECAY_BOUNDS["tau-decay"].lower_edge(preset, 0.02)[0])
    assert paper / 1.5 < g < paper * 1.5


def test_paper_mu_decay_not_reproduced():
    """Paper Sec. 4.6: mu decay excludes only g_mu >~ 1.  Ours at 20 MeV: 0.035 -- the paper's number is NOT
    reproduced (docs/constraints.md); pinned here.  The soft limit fixes the rate: Gamma/Gamma_mu at g = 1 is
    1.6e-3, 800 x the 1.96e-6 criterion."""
    g = float(DECAY_BOUNDS["mu-decay"].lower_edge("muon-specific", 0.02)[0])
    assert 0.030 < g < 0.040


def test_paper_z_decays():
    """Z -> gamma S lepton-specific: paper g_mu >~ 0.7, ours 1.76 (factor 2.5, NOT reproduced; documented) and
    nothing excluded above 2 m_mu; muon-specific never; Z -> tau tau S cuts off between 8 and 12 GeV
    (paper: 'around 10 GeV')."""
    zg = DECAY_BOUNDS["z-gamma-s"]
    g = zg.lower_edge("lepton-specific", np.array([0.05, 0.15, 1.0]))
    assert 1.6 < g[0] < 1.9 and 1.6 < g[1] < 1.9 and np.isinf(g[2])
    assert np.all(np.isinf(zg.lower_edge("muon-specific", np.array([0.05, 1.0]))))
    ztt = DECAY_BOUNDS["z-tau-tau-s"].lower_edge("lepton-specific", np.array([0.02, 8.0, 12.0]))
    assert 0.005 < ztt[0] < 0.015 and np.isfinite(ztt[1]) and np.isinf(ztt[2])


def test_bounds_api():
    """ids, fields, shapes, inf outside the range, intervals, and observable(g*) = limit (root found)."""
    assert set(DECAY_BOUNDS) == {"k-mu-nu-s", "mu-decay", "tau-decay", "z-gamma-s", "z-tau-tau-s"}
    for bid, b in DECAY_BOUNDS.items():
        assert b.id == bid and b.mass_range_gev[0] < b.mass_range_gev[1]
    b = DECAY_BOUNDS["k-mu-nu-s"]
    m = np.array([[0.02, 0.1], [0.5, 0.3]])
    edge = b.lower_edge("muon-specific", m)
    assert edge.shape == m.shape and np.isinf(edge[1, 0])
    iv = b.intervals("muon-specific", m)
    assert len(iv) == 4 and iv[2] == [] and iv[0] == [[pytest.approx(edge[0, 0]), COUPLING_MAX]]
    for g, mass in ((edge[0, 0], 0.02), (edge[0, 1], 0.1)):
        model = LeptophilicScalar.from_preset("muon-specific", mass, g)
        assert float(b.observable(model)) == pytest.approx(b.limit, rel=1e-6)
        below = LeptophilicScalar.from_preset("muon-specific", mass, 0.99 * g)
        assert float(b.observable(below)) < b.limit
    assert np.isinf(DECAY_BOUNDS["z-tau-tau-s"].lower_edge("muon-specific", 1.0)[0])
    with pytest.raises(InputError):
        b.lower_edge("electron-specific", 0.1)
    with pytest.raises(InputError):
        b.lower_edge("muon-specific", [0.1, -1.0])
