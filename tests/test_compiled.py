"""Compiled WW/IWW kernels (xsec/compiled.py, generate/compiled.py and generate/kernels.py: the WW fast
path of generate/channels.py) against the NumPy engine (xsec/ww.py, flux.py, iww.py, kinematics.py),
which stays the reference.

The compiled density is the engine's algebra evaluated point by point in the same operation order.
The two routes differ only where a transcendental function is evaluated (libm in Numba, NumPy's own
SIMD log1p/exp/sin on AVX-512 machines: one ulp apart), and every expression on the way is well
conditioned: the closed-form flux of Eq. (16) is used only where it amplifies rounding by at most
26.2 (flux.Z_CLOSED; tests/test_conditioning.py), the numeric flux, the Eq. (27) bracket and the
densities are sums and products of positive terms.  The tolerance is RTOL = rounding(cond=26.2,
ops=32) = 1.9e-13 relative on every grid point (measured worst, both NumPy code paths: 1.3e-14).  The
sampler built on it is then checked against the engine's single differentials (chi^2), for
processes and masses other than those of tests/test_generate.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from leptoportal import LFVScalar
from leptoportal.generate import channels as D
from leptoportal.generate import compiled as gc
from leptoportal.generate import sample_events, sampler
from leptoportal.generate.envelope import build_envelope
from leptoportal.generate.fourvec import build_final_state_numpy
from leptoportal.xsec import api, iww, kinematics, ww
from leptoportal.xsec import compiled as xc
from leptoportal.xsec.etl import x_nodes
from tolerances import EPS, rounding

#: see the module docstring: the flux closed form's largest amplification, ~32 roundings and 1-ulp calls
RTOL = rounding(cond=26.2, ops=32)
MASSES = (0.01, 0.3, 2.0)
#: mu -> e needs m_phi > m_mu - m_e (the engine refuses lighter scalars: the beam would decay)
MASSES_MUE = (0.12, 0.3, 2.0)


def _masses(beam, final):
    return MASSES_MUE if (beam, final) == ("mu-", "e-") else MASSES
ENERGIES = (10.0, 40.0, 150.0)
VERTICES = ("chiral", "scalar", "pseudoscalar")
PAIRS = (("e-", "mu-"), ("mu-", "e-"))


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert np.array_equal(a > 0, b > 0), "different support"
    nz = a != 0
    return float(np.max(np.abs(a[nz] - b[nz]) / np.abs(a[nz]))) if nz.any() else 0.0


def _grid(lo, hi, amax, n=40):
    """(fraction, angle) grid: fractions up to both ends, angles 0 and log-spaced to amax."""
    z = lo + (hi - lo) * np.concatenate([[1e-9, 1e-4], np.linspace(0.01, 0.99, n - 4), [1 - 1e-4, 1 - 1e-9]])
    a = np.concatenate([[0.0], np.geomspace(1e-7, amax, n - 1)])
    return np.meshgrid(z, a, indexing="ij")


@pytest.mark.parametrize("form_factor", ["elastic", "atomic-nuclear"])
@pytest.mark.parametrize("beam,final", PAIRS + (("mu-", "mu-"),))
def test_density_equals_engine(beam, final, form_factor):
    """Eq. (22) (x, theta_k) and Eq. (27) (y, psi): compiled == ww.d2sigma_*_dcos with the engine's flux
    (closed form Eqs. 15-16 or numeric Eq. 14), three vertices, masses 0.01-2 GeV, E = 10-150 GeV."""
    proc = api.make_process(beam, final, "Pb", "ww", form_factor)
    m_i, m_f = proc.masses
    chi_fn = proc.chi_fn()
    worst = 0.0
    for m in _masses(beam, final):
        for E in ENERGIES:
            X, TH = _grid(m / E, 1 - m_f / E, ww.THETA_MAX)
            Y, PS = _grid(m_f / E, 1 - m / E, ww.PSI_MAX)
            for v in VERTICES:
                ref = ww.d2sigma_dx_dcos(E, X, TH, m_i, m_f, m, chi_fn, vertex=v)
                got = xc.d2sigma_dx_dcos(E, X, TH, m_i, m_f, m, 82, 207.2, form_factor, v)
                assert (ref > 0).sum() > 0.1 * ref.size  # (u~ >= 0 at wide angles for mu -> e, small m: 0)
                worst = max(worst, _rel(ref, got))
                ref = ww.d2sigma_dy_dcos(E, Y, PS, m_i, m_f, m, chi_fn, vertex=v)
                got = xc.d2sigma_dy_dcos(E, Y, PS, m_i, m_f, m, 82, 207.2, form_factor, v)
                worst = max(worst, _rel(ref, got))
                # IWW form of Eq. (27): constant flux
                c = iww.chi_iww(np.array(E), m_i, m, chi_fn)
                ref = ww.d2sigma_dy_dcos(E, Y, PS, m_i, m_f, m, chi_fn, iww_chi=c, vertex=v)
                got = xc.d2sigma_dy_dcos(E, Y, PS, m_i, m_f, m, 82, 207.2, form_factor, v, iww_chi=c)
                worst = max(worst, _rel(ref, got))
    assert worst <= RTOL


@pytest.mark.parametrize("Z,A", [(82, 207.2), (6, 12.011), (29, 63.546)])
def test_flux_equals_engine(Z, A):
    """chi of Eqs. (14)-(16) on t_min in [1e-16, t_max], both form factors, three targets."""
    from leptoportal.xsec.flux import chi_analytic, chi_numeric
    from leptoportal.xsec.formfactors import g2_atomic_nuclear

    tmin = np.geomspace(1e-16, 0.2, 3000)
    for tmax in (0.09, 4.0):
        tm = np.full_like(tmin, tmax)
        assert _rel(chi_analytic(tmin, tm, Z, A), xc.chi_flux(tmin, tm, Z, A)) <= RTOL
        assert _rel(chi_numeric(tmin, tm, Z, A, g2_atomic_nuclear),
                    xc.chi_flux(tmin, tm, Z, A, "atomic-nuclear")) <= RTOL


@pytest.mark.parametrize("method", ["ww", "iww"])
@pytest.mark.parametrize("frame", ["x", "y"])
def test_mapped_channel_density_equals_numpy_reference(method, frame):
    """WWChannel.h (vectorised compiled blocks) == WWChannel.h_numpy (engine arrays) point by point,
    per-event energies, all vertices, both form factors, both beams; and h_max == max of h_numpy."""
    rng = np.random.default_rng(3)
    worst = 0.0
    for (beam, final) in PAIRS:
        for ff in ("elastic", "atomic-nuclear"):
            for m in _masses(beam, final):
                for v in VERTICES:
                    ch = D.WWChannel(api.make_process(beam, final, "Pb", method, ff), m, v, frame)
                    n = 1500 if ff == "elastic" else 200
                    u = rng.random((n, 2))
                    u[:6] = [[0, 0], [1, 1], [0, 1], [1, 0], [0.5, 0.5], [1e-12, 1 - 1e-12]]
                    E = rng.uniform(10.0, 150.0, n)
                    ref = ch.h_numpy(u, E)
                    assert (ref > 0).mean() > 0.2
                    worst = max(worst, _rel(ref, ch.h(u, E)))
                    # the scalar per-point form of the same density
                    c = np.empty(n)
                    gc.iww_flux_points(E, ch.P, xc.GL_U, xc.GL_W, c)
                    one = np.array([gc.h_one(u[i, 0], u[i, 1], E[i], ch.P, c[i], xc.GL_U, xc.GL_W)
                                    for i in range(0, n, 10)])
                    worst = max(worst, _rel(ref[::10], one))
                    Es = [20.0, 25.2, 31.6]
                    worst = max(worst, _rel(np.max([ch.h_numpy(u, e) for e in Es], axis=0), ch.h_max(u, Es)))
    assert worst <= RTOL


def test_frame_and_g2_bound_equal_numpy():
    """frame_one == kinematics.frame; g2_bound == channels.g2_bound_nucleus (both form factors)."""
    rng = np.random.default_rng(5)
    n = 4000
    M = api.make_process("e-", "mu-", "Pb", "ww").target.nucleus_mass_gev
    E = rng.uniform(2.0, 200.0, n)
    Ea = E * rng.uniform(0.0, 1.0, n)
    th = np.exp(rng.uniform(-14, 0, n))
    for m_i, m_a, m_b in ((5.11e-4, 0.3, 0.10566), (0.10566, 5.11e-4, 1.5), (0.10566, 0.10566, 0.01)):
        fr = kinematics.frame(E, m_i, Ea, m_a, m_b, th, M)
        got = np.array([xc.frame_one(E[i], m_i, Ea[i], m_a, m_b, th[i], M) for i in range(n)])
        assert np.array_equal(got[:, 8].astype(bool), fr.valid)
        v = fr.valid
        assert v.sum() > n // 4
        for k, ref in enumerate((fr.pabs, fr.aabs, fr.V, fr.ut, fr.bcoef, fr.Acoef, fr.tmin, fr.tmax)):
            assert np.allclose(got[v, k], ref[v], rtol=RTOL, atol=0), k
    for ff in ("elastic", "atomic-nuclear"):
        P = xc.params(0.0, 0.0, 0.3, 82, 207.2, ff)
        a = np.sort(10.0 ** rng.uniform(-14, 4, (500, 2)), axis=1)
        ref = D.g2_bound_nucleus(a[:, 0], a[:, 1], 82, 207.2, ff != "elastic")
        got = np.array([gc.g2_bound(lo, hi, P) for lo, hi in a])
        assert np.allclose(got, ref, rtol=RTOL, atol=0)


def test_compiled_completion_matches_reference():
    """The compiled WW completion: four-vectors equal the NumPy algebra (fourvec.build_final_state_numpy)
    at the returned (t, phi_q, phi_a); t follows the same Eq. (14) law as the NumPy sampler (KS)."""
    ch = D.make_channel(api.make_process("e-", "mu-", "Pb", "ww"), 0.3)
    n = 20000
    u = np.tile([[0.4, 0.6]], (n, 1))
    E = np.full(n, 100.0)
    out = ch.complete(u, E, np.random.default_rng(1))
    ref = ch.complete_numpy(u, E, np.random.default_rng(2))
    assert out["valid"].all() and ref["valid"].all()
    assert stats.ks_2samp(np.log(out["t"]), np.log(ref["t"])).pvalue > 1e-3
    z, ang, _ = ch.to_vars(u[:1], E[:1])
    phi_a = np.arctan2(out["phi"][:, 2], out["phi"][:, 1]) % (2 * np.pi)
    pa, pb, rec, ok = build_final_state_numpy(E, ch.m_i, z * E, ang, phi_a, ch.m_a, ch.m_b, ch.M, out["t"],
                                              out["phi_q"])
    assert ok.all()
    # same algebra; phi_a is recovered here by arctan2 (1 ulp), so a component may move by a few ulp of E = 100
    for a, b in ((pa, out["phi"]), (pb, out["lep"]), (rec, out["rec"])):
        assert np.allclose(a, b, rtol=rounding(ops=16), atol=rounding(ops=64) * 100.0)
    assert stats.kstest(out["phi_q"] / (2 * np.pi), "uniform").pvalue > 1e-3


def _chi2(sample, f, lo, hi, k=25):
    """Pearson chi^2 p-value of ``sample`` against the density f on [lo, hi] (equiprobable bins from a
    Gauss-Legendre CDF of f; probabilities per bin by GL on 4 panels; shape only)."""
    nodes, wts = x_nodes(lo, hi, 16)
    c = np.cumsum(wts * f(nodes))
    edges = np.concatenate([[lo], np.interp(np.linspace(0, 1, k + 1)[1:-1], c / c[-1], nodes), [hi]])
    from leptoportal.quadrature import gauss_legendre

    gu, gw = gauss_legendre(8)
    probs = []
    for a, b in zip(edges[:-1], edges[1:]):
        br = np.geomspace(a, b, 5) if a > 0 and b / a > 2 else np.linspace(a, b, 5)
        lo_, hi_ = br[:-1, None], br[1:, None]
        pts = lo_ + (hi_ - lo_) * gu
        probs.append(np.sum((hi_ - lo_) * gw * f(pts.ravel()).reshape(pts.shape)))
    probs = np.array(probs)
    counts, _ = np.histogram(sample, edges)
    assert counts.sum() == sample.size
    exp = sample.size * probs / probs.sum()
    return float(stats.chi2.sf(np.sum((counts - exp) ** 2 / exp), k - 1))


@pytest.mark.parametrize("beam,final,m,E", [("mu-", "e-", 0.12, 150.0), ("e-", "mu-", 2.0, 100.0)])
def test_sampler_x_and_theta_against_engine(beam, final, m, E):
    """Events of the compiled sampler: x against Eq. (23) (engine dsigma_dx), theta_k against the
    x-integral of Eq. (22) x sin(theta); 1e5 events; sigma_MC against the engine total (4 sigma)."""
    proc = api.make_process(beam, final, "Pb", "ww")
    m_i, m_f = proc.masses
    chi_fn = proc.chi_fn()
    ev = sample_events(LFVScalar(m, 1e-4), E, 100_000, np.random.default_rng(21), beam=beam, final=final,
                       method="ww")
    assert ev.info["n_violations"] == 0 and ev.info["max_imbalance"] < 1e-9
    assert abs(ev.info["sigma_mc_pb"] - ev.sigma_pb) < 4 * ev.info["sigma_mc_err_pb"]
    xlo, xhi = m / E, 1 - m_f / E
    assert _chi2(ev.x, lambda x: ww.dsigma_dx(E, x, m_i, m_f, m, chi_fn), xlo, xhi) > 1e-3
    xs, wx = x_nodes(xlo, xhi, 12)

    def f_th(th):
        return np.sum(wx * ww.d2sigma_dx_dcos(E, xs[None, :], th[:, None], m_i, m_f, m, chi_fn), axis=1) * np.sin(th)

    assert _chi2(ev.theta_k, f_th, 0.0, ww.THETA_MAX) > 1e-3


def test_same_seed_same_events_and_numpy_switch():
    """Same seed => identical events (serial, two workers); the NumPy reference path (USE_COMPILED =
    False) samples the same law (two-sample KS in x and theta_k) from its own stream."""
    model = LFVScalar(0.3, 1e-4)
    E = np.exp(np.random.default_rng(0).uniform(np.log(5.0), np.log(100.0), 6000))
    a = sample_events(model, E, E.size, np.random.default_rng(5), chunk_size=2000)
    b = sample_events(model, E, E.size, np.random.default_rng(5), chunk_size=2000, workers=2)
    assert np.array_equal(a.lep, b.lep) and np.array_equal(a.rec, b.rec) and np.array_equal(a.x, b.x)
    assert a.info["n_proposed"] == b.info["n_proposed"] and a.info["max_imbalance"] < 1e-9
    try:
        D.USE_COMPILED = False
        sampler.clear_envelope_cache()
        c = sample_events(model, E, E.size, np.random.default_rng(5), chunk_size=2000)
    finally:
        D.USE_COMPILED = True
        sampler.clear_envelope_cache()
    assert not np.array_equal(a.x, c.x)
    assert stats.ks_2samp(a.x, c.x).pvalue > 1e-3 and stats.ks_2samp(a.theta_k, c.theta_k).pvalue > 1e-3


def test_spectrum_envelope_bounds_the_density():
    """An energy-bin envelope built from the compiled h_max bounds h at energies across the bin: no
    violation in 2e5 proposals at 20 energies inside the bin (the sampler would redraw if there were)."""
    ch = D.make_channel(api.make_process("e-", "mu-", "Pb", "ww"), 0.7)
    lo, hi = 10.0 ** 1.3, 10.0 ** 1.4
    Es = [lo, np.sqrt(lo * hi), hi]
    env = build_envelope(lambda u: ch.h_max(u, Es), ch.n_bins, np.random.default_rng(1), n_adapt=1, n_random=2,
                         calibration=30_000)
    u, idx, g = env.propose(200_000, np.random.default_rng(2))
    Ep = np.repeat(np.geomspace(lo, hi * (1 - 1e-12), 20), 10_000)
    h = ch.h(u, Ep)
    assert (h > 0).mean() > 0.5
    assert np.count_nonzero(h > g) == 0


# ------------------------------------------------------------------------------ fused event kernel (speed work)


def _flux_windows():
    """(t_min, t_max) windows covering the cases of the t envelope: t_min below the screening scale t_a,
    between t_a and d, above d; t_max below and above d; ramp fitting and not fitting below d."""
    P = D.WWChannel(api.make_process("e-", "mu-", "Pb", "ww"), 0.3).P
    ta, td = P[xc.I_TA], P[xc.I_TD]
    return P, ta, td, [(0.1 * ta, 0.09), (3e-6, 0.09), (3e-6, 0.5 * td), (2.0 * td, 0.09), (0.5 * td, 0.9 * td),
                       (1e-9, 1e-8)]


def test_t_sampler_follows_eq14_closed_form_cdf():
    """The recoil t of the WW completion (generate.compiled.sample_t_flux, three-piece envelope) against the
    exact CDF of the Eq. (14) integrand (t - t_min)/t^2 G2_el(t), which is the closed form Eq. (16):
    F(t) = chi(t_min, t)/chi(t_min, t_max) (xsec.flux.chi_analytic) -- KS, 4e4 per window;
    the vectorised first trial of the fused kernel (log_poly, t_setup/t_propose/t_accept, exp_poly) is
    checked the same way through the events below.  Also vs the NumPy sampler (two-sample KS)."""
    from leptoportal.xsec.flux import chi_analytic
    from leptoportal.xsec.formfactors import g2_elastic

    P, ta, td, wins = _flux_windows()
    rng = np.random.default_rng(11)
    n = 40_000
    for lo, hi in wins:
        tmin, tmax = np.full(n, lo), np.full(n, hi)
        t = np.empty(n)
        gc.sample_t_flux_array(np.random.default_rng(int(1e6 * lo / hi) + 3), tmin, tmax, P, t)
        assert np.all((t >= lo) & (t <= hi))
        F = lambda x: chi_analytic(lo, x, 82, 207.2) / chi_analytic(lo, hi, 82, 207.2)  # noqa: E731
        assert stats.kstest(t, F).pvalue > 1e-3, (lo, hi)
        ref = D.sample_flux_t(tmin[:10000], tmax[:10000], g2_elastic, 82, 207.2, rng)
        assert stats.ks_2samp(np.log(t), np.log(ref)).pvalue > 1e-3, (lo, hi)
    # atomic+nuclear form factor: the uniform-in-ln t proposal, against the NumPy sampler
    from leptoportal.xsec.formfactors import g2_atomic_nuclear

    Pa = xc.params(M_E_, 0.10566, 0.3, 82, 207.2, "atomic-nuclear")
    tmin, tmax = np.full(n, 3e-6), np.full(n, 0.09)
    t = np.empty(n)
    gc.sample_t_flux_array(np.random.default_rng(5), tmin, tmax, Pa, t)
    ref = D.sample_flux_t(tmin[:20000], tmax[:20000], g2_atomic_nuclear, 82, 207.2, rng, inelastic=True)
    assert stats.ks_2samp(np.log(t), np.log(ref)).pvalue > 1e-3


M_E_ = 5.10998950e-4


def test_vectorisable_helpers_against_libm():
    """cos_sin_2pi, polar_angle, exp_poly, log_poly (branch-free polynomial forms used by the fused kernel)
    against the exact functions (mpmath, 30 digits) of the same double arguments, so that no library's own
    rounding enters.  Error budget: series truncation < 2e-18 (see the docstrings), then rounding of a
    well-conditioned Horner sum (terms decreasing, cond ~1) plus, for the polar angle, the addition of
    pi/4, pi/2 or pi (0.5 ulp of pi each): cos/sin <= rounding(ops=2) absolute (measured 0.5 EPS), polar
    angle <= rounding(ops=8) absolute and relative below 0.1 rad (measured 2.0 EPS), exp and log <=
    rounding(ops=4) relative (measured 1.0 and 0.86 EPS)."""
    import math

    import mpmath as mp
    from numba import njit

    mp.mp.dps = 30
    def ref(f, *a):
        return np.array([float(f(*(mp.mpf(float(v)) for v in args))) for args in zip(*a)])

    @njit
    def cs(r, c, s):
        for i in range(r.size):
            c[i], s[i] = gc.cos_sin_2pi(r[i])

    @njit
    def pa(y, x, o):
        for i in range(y.size):
            o[i] = gc.polar_angle(y[i], x[i])

    rng = np.random.default_rng(4)
    n = 3000
    r = np.concatenate([rng.random(n), [0.0, 0.125, 0.25, 0.5, 0.75, 1 - 2**-53]])
    c, s = np.empty_like(r), np.empty_like(r)
    cs(r, c, s)
    two_pi_r = [2 * mp.pi * mp.mpf(float(v)) for v in r]  # the exact angle, not the rounded product 2 pi r
    assert np.max(np.abs(c - np.array([float(mp.cos(a)) for a in two_pi_r]))) <= rounding(ops=2)
    assert np.max(np.abs(s - np.array([float(mp.sin(a)) for a in two_pi_r]))) <= rounding(ops=2)
    y = np.concatenate([np.abs(rng.standard_cauchy(n)), [0.0, 1.0, 0.0, 1e-300]])
    x = np.concatenate([rng.standard_cauchy(n), [1.0, 0.0, -1.0, 1.0]])
    o = np.empty_like(y)
    pa(y, x, o)
    at = ref(mp.atan2, y, x)
    assert np.max(np.abs(o - at)) <= rounding(ops=8)
    small = (at < 0.1) & (at > 0)  # small polar angles: relative accuracy
    assert np.max(np.abs(o[small] / at[small] - 1.0)) <= rounding(ops=8)
    z = np.concatenate([rng.uniform(0, 60, n), [0.0, 1e-12, 30.0]])
    kb = np.empty(z.size, np.int64)
    e = np.empty_like(z)
    gc.exp_poly(z, e, kb)
    assert np.max(np.abs(e / ref(mp.exp, z) - 1.0)) <= rounding(ops=4)
    v = np.concatenate([np.exp(rng.uniform(-40, 40, n)), [1.0, 2.0, 1 + 1e-12, math.sqrt(2.0)]])
    lg = np.empty_like(v)
    gc.log_poly(v, lg, np.empty(v.size, np.int64))
    lref = ref(mp.log, v)
    assert np.max(np.abs(lg - lref) / np.maximum(np.abs(lref), 1.0)) <= rounding(ops=4)
    assert lg[-4] == 0.0


@pytest.mark.parametrize("method,frame", [("ww", "x"), ("ww", "y"), ("iww", "x")])
def test_fused_events_kinematics_and_law(method, frame):
    """Events of the fused kernel (WWChannel.events, the default unweighted path): every event conserves
    four-momentum (fourvec.conservation recomputed here from the stored four-vectors, <= 1e-9; the kernel's
    own max agrees), x, y, theta_k, psi equal those read off the four-vectors, t equals -(P_f - P_i)^2 of the
    stored recoil, phi_q uniform; and the law equals the NumPy reference path's (USE_COMPILED = False):
    two-sample KS of the sampled pair, of the other pair, and of ln t (3e4 events each)."""
    from leptoportal.generate.fourvec import angle_to_beam, conservation

    model = LFVScalar(0.3, 1e-4)
    kw = dict(method=method, frame=frame)
    a = sample_events(model, 100.0, 30_000, np.random.default_rng(8), **kw)
    proc = api.make_process("e-", "mu-", "Pb", method)
    M, m_i = proc.target.nucleus_mass_gev, proc.masses[0]
    imb = conservation(a.beam_energy, m_i, M, a.lep, a.phi, a.rec)
    # both are max_mu |sum p_f - p_i|_mu / E of the same stored four-vectors, the kernel's in its own order:
    # rounding noise of O(1) quantities, so they agree to a few EPS absolute (not relative: both are ~EPS)
    assert imb.max() <= 1e-9 and abs(imb.max() - a.info["max_imbalance"]) <= 8 * EPS
    # one correctly rounded division each way (E = 100 exactly): <= 1 ulp
    assert np.allclose(a.x, a.phi[:, 0] / 100.0, rtol=2 * EPS, atol=0)
    assert np.allclose(a.y, a.lep[:, 0] / 100.0, rtol=2 * EPS, atol=0)
    # the kernel's branch-free atan2 (<= 2 ulp, test above) vs NumPy's arctan2 of a hypot (cond ~1): few ulp.
    # The relative comparison is the test; the absolute floor only covers an angle that is exactly 0
    # (d ln(angle) is unbounded there), far below any emitted angle (theta ~ m/E >= 1e-5 rad here).
    angle_floor_rad = 1e-18
    assert np.allclose(a.theta_k, angle_to_beam(a.phi), rtol=rounding(ops=32), atol=angle_floor_rad)
    assert np.allclose(a.psi, angle_to_beam(a.lep), rtol=rounding(ops=32), atol=angle_floor_rad)
    t_rec = 2.0 * M * (a.rec[:, 0] - M)  # -(P_f - P_i)^2 = 2 M (E_N - M) for the nucleus at rest
    assert np.allclose(t_rec, a.t, rtol=1e-6)
    assert stats.kstest((a.phi_q % (2 * np.pi)) / (2 * np.pi), "uniform").pvalue > 1e-3
    try:
        D.USE_COMPILED = False
        sampler.clear_envelope_cache()
        b = sample_events(model, 100.0, 30_000, np.random.default_rng(9), **kw)
    finally:
        D.USE_COMPILED = True
        sampler.clear_envelope_cache()
    for v in ("x", "y", "theta_k", "psi"):
        assert stats.ks_2samp(getattr(a, v), getattr(b, v)).pvalue > 1e-3, v
    assert stats.ks_2samp(np.log(a.t), np.log(b.t)).pvalue > 1e-3
