"""Event generation (issue 4): sampled distributions against the engine, kinematics, I/O, CLI.

The expected histograms are computed from the engine's *own* differential cross sections
(leptoportal.xsec), integrated per bin with Gauss-Legendre -- for IWW through the closed
forms (A2), (A4), for ETL through the x-frame closed-form phi_q average (docs/physics.md
Sec. 5), i.e. by routes independent of the densities the sampler evaluates.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy import stats

from leptoportal import LFVScalar
from leptoportal.errors import InputError
from leptoportal.generate import read_events, sample_events, write_events
from leptoportal.generate.sampler import seed_sequence, generate_chunk
from leptoportal.particles import M_E, M_MU
from leptoportal.units import GEV2_TO_PB
from leptoportal.xsec import api, ww
from leptoportal.xsec.etl import x_nodes
from leptoportal.quadrature import gauss_legendre, panel_nodes
from tolerances import EPS, rounding

E0 = 100.0
H = 1e-4


# ------------------------------------------------------------------------------ helpers


def bin_probs(f, edges, norm, n_gl=8):
    """p_b = int_bin f / norm: Gauss-Legendre on 6 panels per bin, geometric when the bin spans
    a factor > 2 (wide tail bins), f vectorised."""
    u, w = gauss_legendre(n_gl)
    out = np.empty(edges.size - 1)
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        if a > 0 and b / a > 2:
            br = np.geomspace(a, b, 7)
        elif a <= 0:
            br = np.concatenate([[0.0], np.geomspace(b * 1e-6, b, 7)])
        else:
            br = np.linspace(a, b, 7)
        lo, hi = br[:-1, None], br[1:, None]
        pts = lo + (hi - lo) * u
        out[k] = np.sum((hi - lo) * w * np.asarray(f(pts.ravel()), float).reshape(pts.shape))
    return out / norm


def cdf_edges(nodes, weights, fvals, k):
    """k equiprobable bin edges from a quadrature of the density (nodes increasing)."""
    c = np.cumsum(weights * fvals)
    c = c / c[-1]
    q = np.linspace(0.0, 1.0, k + 1)[1:-1]
    inner = np.interp(q, c, nodes)
    return np.concatenate([[nodes[0] * (1 - 1e-12) if nodes[0] > 0 else 0.0], inner, [nodes[-1]]])


def chi2_test(sample, edges, probs):
    """Pearson chi^2 of the histogram against the engine's bin probabilities.

    The bins cover the whole support, so the probabilities are renormalised to their sum: a
    *shape* test (dof = bins - 1).  At 1e6 events the overflow bin would otherwise test the
    engine's sigma_total quadrature (converged to ~1e-4) rather than the sampler; the
    normalisation is tested separately (sampler's sigma_MC against the engine's total).
    """
    n = sample.size
    counts, _ = np.histogram(sample, edges)
    assert counts.sum() == n, "events outside the support"
    exp = n * probs / probs.sum()
    keep = exp > 5.0
    chi2 = float(np.sum((counts[keep] - exp[keep]) ** 2 / exp[keep]))
    dof = int(keep.sum()) - 1
    return chi2, dof, float(stats.chi2.sf(chi2, dof))


def unit(sigma_pb):
    return np.asarray(sigma_pb) / (H * H * GEV2_TO_PB)


def proc(method):
    return api.make_process("e-", "mu-", "Pb", method)


def ww_theta_density(method, m, E):
    """d sigma/d theta_k (per h^2, GeV^-2) of the WW/IWW (x, theta_k) density, x integrated."""
    p = proc(method)
    chi_fn = p.chi_fn()
    if method == "iww":
        from leptoportal.xsec import iww

        c = iww.chi_iww(np.array(E), M_E, m, chi_fn)
        chi_fn = lambda tmin, tmax: np.broadcast_to(c, np.shape(tmin))  # noqa: E731
    xs, wx = x_nodes(m / E, 1.0 - M_MU / E, 12)

    def f(th):
        d2 = ww.d2sigma_dx_dcos(E, xs[None, :], th[:, None], M_E, M_MU, m, chi_fn)
        meas = th if method == "iww" else np.sin(th)
        return np.sum(wx * d2, axis=1) * meas

    return f


def check_dist(sample, f, lo, hi, norm, k=30, fine=None):
    """chi^2 p-value of ``sample`` against density f on [lo, hi] with equiprobable bins."""
    nodes, wts = fine if fine is not None else x_nodes(lo, hi, 8)
    edges = cdf_edges(nodes, wts, f(nodes), k)
    edges[0], edges[-1] = lo, hi
    return chi2_test(sample, edges, bin_probs(f, edges, norm))


# ------------------------------------------------------------------------------ distributions


@pytest.fixture(scope="module")
def ww_x():
    return sample_events(LFVScalar(0.3, H), E0, 200_000, np.random.default_rng(11), method="ww")


def test_ww_x_theta_histograms(ww_x):
    ev, m = ww_x, 0.3
    model = LFVScalar(m, H)
    norm = unit(ev.sigma_pb)
    _, _, p = check_dist(ev.x, lambda x: unit(api.dsigma_dx(model, E0, x, method="ww")), m / E0, 1 - M_MU / E0, norm)
    assert p > 1e-3
    th0 = math.sqrt(abs(ww.u_tilde(E0, 0.8, 0.0, M_E, M_MU, m)) / (0.8 * E0 * E0))
    nodes, wts = panel_nodes(1e-4 * th0, ww.THETA_MAX, 8,
                                 breaks=(0.1 * th0, 0.5 * th0, 2 * th0, 10 * th0), log=True)
    f = ww_theta_density("ww", m, E0)
    _, _, p = check_dist(ev.theta_k, f, 0.0, ww.THETA_MAX, norm, fine=(nodes, wts))
    assert p > 1e-3
    assert ev.theta_k.max() <= ww.THETA_MAX * (1 + 1e-12)
    # sampler's own normalisation (accepted fraction x envelope integral) vs the engine's total
    i = ev.info
    assert abs(i["sigma_mc_pb"] - ev.sigma_pb) < 4 * i["sigma_mc_err_pb"]
    assert i["n_violations"] == 0 and i["acceptance"] > 0.5


def test_ww_y_psi_histograms():
    m = 0.3
    model = LFVScalar(m, H)
    ev = sample_events(model, E0, 150_000, np.random.default_rng(12), method="ww", frame="y")
    norm = unit(ev.sigma_pb)
    _, _, p = check_dist(ev.y, lambda y: unit(api.dsigma_dy(model, E0, y, method="ww")), M_MU / E0, 1 - m / E0, norm)
    assert p > 1e-3
    psi0 = float(ww.psi0(E0, 0.2, M_E, M_MU, m))
    nodes, wts = panel_nodes(1e-4 * psi0, ww.PSI_MAX, 8, breaks=(0.1 * psi0, 0.5 * psi0, 2 * psi0, 10 * psi0),
                                 log=True)
    f = lambda psi: unit(api.dsigma_dcos_psi(model, E0, psi, method="ww")) * np.sin(psi)  # noqa: E731
    _, _, p = check_dist(ev.psi, f, 0.0, ww.PSI_MAX, norm, fine=(nodes, wts))
    assert p > 1e-3


def test_iww_against_closed_forms():
    """IWW samples the Eq. (22)/(27) integrands with the constant IWW flux; the expectation is the
    closed-form (A1)-(A2) in x and (A4) in y."""
    m = 0.15
    model = LFVScalar(m, H)
    ev = sample_events(model, E0, 100_000, np.random.default_rng(13), method="iww")
    _, _, p = check_dist(ev.x, lambda x: unit(api.dsigma_dx(model, E0, x, method="iww")), m / E0, 1 - M_MU / E0,
                         unit(ev.sigma_pb))
    assert p > 1e-3
    ev = sample_events(model, E0, 100_000, np.random.default_rng(14), method="iww", frame="y")
    _, _, p = check_dist(ev.y, lambda y: unit(api.dsigma_dy(model, E0, y, method="iww")), M_MU / E0, 1 - m / E0,
                         unit(ev.sigma_pb))
    assert p > 1e-3


@pytest.fixture(scope="module")
def etl_ev():
    return sample_events(LFVScalar(0.3, H), E0, 30_000, np.random.default_rng(15), method="etl")


def test_etl_x_against_closed_form_phi_average(etl_ev):
    """ETL events are drawn in (y, psi, t, phi_q) with the un-averaged |A|^2; their x (from the
    scalar four-vector) must follow dsigma/dx of the (x, theta_k) frame with the closed-form
    phi_q average -- a different frame, a different route through phase space."""
    ev, m = etl_ev, 0.3
    model = LFVScalar(m, H)
    _, _, p = check_dist(ev.x, lambda x: unit(api.dsigma_dx(model, E0, x, method="etl")), m / E0, 1 - M_MU / E0,
                         unit(ev.sigma_pb), k=20)
    assert p > 1e-3
    i = ev.info
    assert abs(i["sigma_mc_pb"] - ev.sigma_pb) < 4 * i["sigma_mc_err_pb"]
    assert i["n_violations"] == 0


def test_etl_four_vectors(etl_ev):
    ev = etl_ev
    M = ev.info["nucleus_mass_gev"]
    for p4, mass in ((ev.lep, M_MU), (ev.phi, 0.3), (ev.rec, M)):
        m2 = p4[:, 0] ** 2 - np.sum(p4[:, 1:] ** 2, axis=1)
        assert np.allclose(m2, mass**2, rtol=0, atol=1e-9 * E0 * E0)
    init = np.array([E0 + M, 0.0, 0.0, math.sqrt(E0**2 - M_E**2)])
    tot = ev.lep + ev.phi + ev.rec
    assert np.max(np.abs(tot - init)) / E0 < 1e-9
    # recoil kinetic energy t/(2M) and t = -(P_i - P_f)^2 from the four-vectors
    q = np.array([M, 0, 0, 0]) - ev.rec
    t4 = -(q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1))
    # t4 = |q|^2 - q0^2 with q0 = M - E_N = -t/(2M): the cancellation in q0 costs ulp(M) ~ 3e-14 GeV, i.e.
    # ~3e-14/M relative to t after squaring; |q|^2 is a sum of squares (cond 1): measured 1.4e-15
    assert np.allclose(t4, ev.t, rtol=rounding(ops=64), atol=0)
    # azimuths uniform (lepton about the beam; phi_q symmetric)
    az = np.arctan2(ev.lep[:, 2], ev.lep[:, 1])
    assert stats.kstest((az + np.pi) / (2 * np.pi), "uniform").pvalue > 1e-3
    assert abs(np.mean(np.sign(ev.phi_q))) < 4 / math.sqrt(len(ev))


def test_ww_four_vectors(ww_x):
    ev = ww_x
    assert ev.info["max_imbalance"] < 1e-9
    assert np.allclose(ev.phi[:, 0] / E0, ev.x, rtol=rounding(ops=4))  # x E0 then / E0: two roundings
    az = np.arctan2(ev.phi[:, 2], ev.phi[:, 1])
    assert stats.kstest((az + np.pi) / (2 * np.pi), "uniform").pvalue > 1e-3
    # WW completion: y = 1 - x - t/(2 M E) exactly (energy conservation with the recoil)
    M = ev.info["nucleus_mass_gev"]
    # y, x <= 1 and t/(2ME) << 1 are combined in another order: a few ulp of 1, absolute
    assert np.allclose(ev.y, 1 - ev.x - ev.t / (2 * M * E0), rtol=0, atol=rounding(ops=16))


# ------------------------------------------------------------------------------ spectra, weights, seeds


def test_per_event_energies_exact_at_own_energy():
    """A spectrum of beam energies in one call: the x histogram is the mixture of the engine's
    dsigma/dx at every event's own energy (11 discrete energies spread over 3 energy bins)."""
    m = 0.3
    model = LFVScalar(m, H)
    rng = np.random.default_rng(16)
    levels = np.linspace(50.0, 100.0, 11)
    E = rng.choice(levels, 60_000)
    ev = sample_events(model, E, E.size, np.random.default_rng(17), method="ww")
    assert ev.info["n_energy_bins"] >= 3
    # z = fraction of the x range at each event's energy
    lo, hi = m / E, 1 - M_MU / E
    z = (ev.x - lo) / (hi - lo)
    edges = np.linspace(0, 1, 26)
    probs = np.zeros(25)
    for Ek in levels:
        frac = np.mean(E == Ek)
        sig = unit(api.total_cross_section(model, Ek, method="ww"))
        a, b = m / Ek, 1 - M_MU / Ek
        probs += frac * bin_probs(lambda x: unit(api.dsigma_dx(model, Ek, x, method="ww")), a + (b - a) * edges, sig)
    assert chi2_test(z, edges, probs)[2] > 1e-3
    # sigma per event: the engine's total at that energy
    for Ek in (50.0, 100.0):
        sel = E == Ek
        assert np.allclose(ev.sigma_pb[sel], api.total_cross_section(model, Ek, method="ww"), rtol=1e-9)


def test_weighted_events_estimate_sigma():
    model = LFVScalar(0.3, H)
    ev = sample_events(model, E0, 50_000, np.random.default_rng(18), method="ww", weighted=True)
    w = ev.weight
    assert np.all(w > 0)
    err = w.std() / math.sqrt(w.size)
    assert abs(w.mean() - ev.sigma_pb) < 4 * err
    assert err / ev.sigma_pb < 0.01


def test_reproducible_and_chunk_independent():
    model = LFVScalar(0.3, H)
    a = sample_events(model, E0, 3000, np.random.default_rng(5), method="ww", chunk_size=1000)
    b = sample_events(model, E0, 3000, np.random.default_rng(5), method="ww", chunk_size=1000)
    c = sample_events(model, E0, 3000, np.random.default_rng(6), method="ww", chunk_size=1000)
    assert np.array_equal(a.lep, b.lep) and np.array_equal(a.rec, b.rec)
    assert not np.array_equal(a.lep, c.lep)
    # two worker processes: identical events and counters
    par = sample_events(model, E0, 3000, np.random.default_rng(5), method="ww", chunk_size=1000, workers=2)
    assert np.array_equal(a.lep, par.lep) and np.array_equal(a.rec, par.rec) and np.array_equal(a.x, par.x)
    assert par.info["n_proposed"] == a.info["n_proposed"]
    # prefix property: the first chunk does not depend on how many chunks follow
    d = sample_events(model, E0, 1000, np.random.default_rng(5), method="ww", chunk_size=1000)
    assert np.array_equal(a.phi[:1000], d.phi)
    # chunk 2 computed alone (as a parallel worker would) from its spawned seed
    from leptoportal.generate.channels import make_channel
    from leptoportal.generate.sampler import energy_bins, Envelopes

    ss = seed_sequence(np.random.default_rng(5)).spawn(3)
    E = np.full(1000, E0)
    bidx, bins = energy_bins(E, 10)
    ch = make_channel(api.make_process("e-", "mu-", "Pb", "ww"), 0.3)
    st = {"proposed": 0, "accepted": 0, "violations": 0, "redraws": 0, "incomplete": 0, "max_violation_ratio": 0.0}
    lep, phi, rec, *_ = generate_chunk(ch, Envelopes(ch, bins), E, bidx, ss[2], np.random.PCG64, False, st)
    assert np.array_equal(lep, a.lep[2000:]) and np.array_equal(rec, a.rec[2000:])


# ------------------------------------------------------------------------------ vertex, bad input


class _VertexModel:
    def __init__(self, mass, vertex):
        self.mass, self.vertex = mass, vertex

    def coupling_for(self, beam, final):
        return H


def test_vertex_is_threaded_or_refused():
    from leptoportal.generate.channels import accepts_vertex

    m = _VertexModel(0.3, "scalar")
    if accepts_vertex(ww.d2sigma_dx_dcos):
        ev = sample_events(m, E0, 200, np.random.default_rng(1), method="ww")
        assert ev.info["vertex"] == "scalar"
    else:
        with pytest.raises(InputError, match="vertex"):
            sample_events(m, E0, 200, np.random.default_rng(1), method="ww")
    ev = sample_events(_VertexModel(0.3, "chiral"), E0, 200, np.random.default_rng(1), method="ww")
    assert len(ev) == 200


@pytest.mark.parametrize("kwargs,param", [
    (dict(n_events=0), "n_events"), (dict(n_events=-5), "n_events"), (dict(n_events=2.5), "n_events"),
    (dict(energy=np.ones(3) * 100), "energy"), (dict(energy=0.3), "energy"), (dict(method="foo"), "method"),
    (dict(method="etl", frame="x"), "frame"), (dict(rng=42), "rng"), (dict(final="mu+"), "final"),
])
def test_bad_input(kwargs, param):
    args = dict(model=LFVScalar(0.3, H), energy=E0, n_events=10, rng=np.random.default_rng(1))
    args.update({k: v for k, v in kwargs.items() if k in args})
    kw = {k: v for k, v in kwargs.items() if k not in args}
    with pytest.raises(InputError, match=param):
        sample_events(args["model"], args["energy"], args["n_events"], args["rng"], **kw)


# ------------------------------------------------------------------------------ I/O


@pytest.mark.parametrize("suffix", [".hepmc3", ".lhe", ".lhe.gz", ".parquet"])
def test_round_trip(tmp_path, suffix):
    ev = sample_events(LFVScalar(0.3, H), E0, 300, np.random.default_rng(3), method="etl")
    path = tmp_path / f"events{suffix}"
    write_events(ev, path)
    back = read_events(path)
    for k in ("lep", "phi", "rec", "weight"):
        assert np.array_equal(back[k], getattr(ev, k)), k
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_parquet_columns(tmp_path):
    E = np.repeat([60.0, 80.0, 100.0], 20)
    ev = sample_events(LFVScalar(0.3, H), E, 60, np.random.default_rng(3), method="etl")
    path = write_events(ev, tmp_path / "e.parquet")
    cols = read_events(path)["columns"]
    for c in ("x", "y", "theta_k", "psi", "weight", "lep_E", "lep_px", "lep_py", "lep_pz", "phi_E", "phi_pz",
              "rec_E", "rec_px", "t", "phi_q", "beam_energy", "sigma_pb"):
        assert c in cols, c
    assert np.array_equal(cols["psi"], ev.psi)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from leptoportal.generate import writers

    ev = sample_events(LFVScalar(0.3, H), E0, 20, np.random.default_rng(3), method="ww")

    def boom(batch, tmp):
        with open(tmp, "w") as f:
            f.write("partial")
        raise OSError("disk full")

    monkeypatch.setattr(writers, "_write_parquet", boom)
    with pytest.raises(OSError):
        write_events(ev, tmp_path / "e.parquet")
    assert list(tmp_path.iterdir()) == []


def test_cli(tmp_path, capsys):
    from leptoportal.cli import main

    out = tmp_path / "ev.parquet"
    rc = main(["generate", "--mass", "0.3", "--energy", "100", "--events", "500", "--seed", "3", "--method", "iww",
               "--output", str(out)])
    assert rc == 0 and out.exists()
    assert "500 unweighted events" in capsys.readouterr().out
    back = read_events(out)
    assert back["lep"].shape == (500, 4)
    for argv, word in ((["--events", "0"], "--events"), (["--output", str(tmp_path / "x.root")], "suffix"),
                       (["--output", str(tmp_path / "no" / "x.lhe")], "does not exist"),
                       (["--energy", "0.3"], "energy")):
        base = {"--mass": "0.3", "--energy": "100", "--events": "10", "--output": str(tmp_path / "y.lhe")}
        base.update(dict(zip(argv[::2], argv[1::2])))
        rc = main(["generate"] + [a for kv in base.items() for a in kv])
        err = capsys.readouterr().err
        assert rc == 2 and word in err and err.count("\n") == 1
    assert not (tmp_path / "y.lhe").exists()
    assert os.listdir(tmp_path) == ["ev.parquet"]


# ------------------------------------------------------------------------------ building blocks


def test_flux_t_bound_is_a_bound():
    """The analytic G2 bound used for the WW/IWW recoil (rejection in ln t) is >= G2 on any interval."""
    from leptoportal.generate.channels import g2_bound_nucleus
    from leptoportal.xsec.formfactors import g2_atomic_nuclear, g2_elastic

    rng = np.random.default_rng(0)
    for Z, A in ((82, 207.2), (6, 12.011), (29, 63.546)):
        for _ in range(300):
            a, b = np.sort(10.0 ** rng.uniform(-14, 4, 2))
            tt = np.geomspace(a, b, 300)
            assert np.all(g2_elastic(tt, Z, A) <= g2_bound_nucleus(np.array(a), np.array(b), Z, A, False) * (1 + 1e-12))
            assert np.all(g2_atomic_nuclear(tt, Z, A) <= g2_bound_nucleus(np.array(a), np.array(b), Z, A, True) * (1 + 1e-12))


def test_etl_t_map_is_a_bijection_with_its_jacobian():
    """The ETL t map (table inverse CDF + k_T^2 box): monotone, onto [t_min, t_max], and its Jacobian
    integrates to the range (midpoint rule in u converges to ln(t_max/t_min))."""
    from leptoportal.generate.channels import make_channel

    ch = make_channel(proc("etl"), 0.3)
    n = 200_001
    u = (np.arange(n) + 0.5) / n
    for tmin, tmax, kt2 in ((1e-9, 1e3, 1e-3), (1e-12, 1e-2, 1e-8), (2e-6, 6e3, 0.05), (18.0, 7e3, 0.09)):
        t, jac = ch.t_map(u, np.full(n, tmin), np.full(n, tmax), np.full(n, kt2))
        assert np.all(np.diff(t) >= 0)
        ends, _ = ch.t_map(np.array([0.0, 1.0]), np.full(2, tmin), np.full(2, tmax), np.full(2, kt2))
        assert ends == pytest.approx([tmin, tmax], rel=1e-9)
        assert np.mean(jac / t) == pytest.approx(math.log(tmax / tmin), rel=2e-3)
        # the Jacobian is the derivative of the map (central differences; a kink within +-d is rare)
        ur = np.random.default_rng(1).uniform(0.001, 0.999, 2000)
        d = 1e-8
        one = np.ones(ur.size)
        tp, _ = ch.t_map(ur + d, tmin * one, tmax * one, kt2 * one)
        tm, _ = ch.t_map(ur - d, tmin * one, tmax * one, kt2 * one)
        _, jr = ch.t_map(ur, tmin * one, tmax * one, kt2 * one)
        rel = np.abs((tp - tm) / (2 * d) / jr - 1)
        assert np.quantile(rel, 0.99) < 1e-4


@pytest.mark.parametrize("beam,final,method,m,E,ff", [
    ("e+", "mu+", "ww", 0.3, 100.0, "elastic"), ("mu-", "mu-", "etl", 0.5, 160.0, "atomic-nuclear"),
    ("mu-", "mu-", "iww", 1.0, 150.0, "atomic-nuclear"), ("mu-", "e-", "ww", 0.2, 150.0, "elastic"),
])
def test_other_processes(beam, final, method, m, E, ff):
    ev = sample_events(LFVScalar(m, H), E, 2000, np.random.default_rng(2), beam=beam, final=final, method=method,
                       form_factor=ff)
    i = ev.info
    assert i["max_imbalance"] < 1e-9 and np.all(np.isfinite(ev.lep))
    assert abs(i["sigma_mc_pb"] - ev.sigma_pb) < 4 * i["sigma_mc_err_pb"]


def test_alias_table_and_envelope_on_a_known_density():
    """Walker alias draws follow the cell masses (zero-mass cells never drawn); the grid-envelope
    rejection sampler reproduces an analytic 2-D density with a sharp ridge (chi^2 in both margins)."""
    from leptoportal.generate.envelope import alias_table, build_envelope

    rng = np.random.default_rng(0)
    mass = rng.random(500) ** 4
    mass[::7] = 0.0
    prob, alias = alias_table(mass)
    r = rng.random(2_000_000) * mass.size
    col = r.astype(np.int64)
    idx = np.where(r - col < prob[col], col, alias[col])
    counts = np.bincount(idx, minlength=mass.size)
    assert counts[mass == 0].sum() == 0
    exp = mass / mass.sum() * idx.size
    keep = exp > 5
    chi2 = np.sum((counts[keep] - exp[keep]) ** 2 / exp[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3

    # density on [0,1]^2: 1/((u0 - 0.3)^2 + 0.01) * (1 + u1), separable => exact margins
    def h(u):
        return 1.0 / ((u[:, 0] - 0.3) ** 2 + 0.01) * (1.0 + u[:, 1])

    env = build_envelope(h, (32, 32), np.random.default_rng(1), calibration=20000)
    u, idx, g, rr = env.propose(400_000, np.random.default_rng(2), extra=1)
    hv = h(u)
    assert np.all(hv <= g)
    acc = u[rr[:, 0] * g < hv]
    e = np.linspace(0, 1, 21)
    a = np.arctan((e - 0.3) / 0.1)
    p0 = np.diff(a) / (a[-1] - a[0])
    p1 = np.diff(e + e**2 / 2) / 1.5
    assert chi2_test(acc[:, 0], e, p0)[2] > 1e-3
    assert chi2_test(acc[:, 1], e, p1)[2] > 1e-3


@pytest.mark.parametrize("vertex", ["scalar", "pseudoscalar"])
@pytest.mark.parametrize("method", ["ww", "etl"])
def test_non_chiral_vertices_sample_the_engine_density(vertex, method):
    """mu N -> mu N S with a scalar/pseudoscalar vertex: the sampler's own cross-section estimate
    (sum of envelope x acceptance) agrees with the engine total, and <x> with the engine's spectrum."""
    from leptoportal import LFVScalar
    from leptoportal.generate import sample_events
    from leptoportal.xsec import api

    model = LFVScalar(0.1, 1e-3, vertex)
    b = sample_events(model, 150.0, 20000, np.random.default_rng(7), method=method, beam="mu-", final="mu-")
    ref = float(api.total_cross_section(model, 150.0, method=method, beam="mu-", final="mu-"))
    assert abs(b.info["sigma_mc_pb"] - ref) < 4 * b.info["sigma_mc_err_pb"]
    xs = np.linspace(0.0005, 0.9995, 2000)
    d = api.dsigma_dx(model, 150.0, xs, method=method, beam="mu-", final="mu-")
    mean_x = np.trapezoid(xs * d, xs) / np.trapezoid(d, xs)
    assert np.mean(b.x) == pytest.approx(mean_x, abs=4 * np.std(b.x) / np.sqrt(b.x.size) + 2e-3)


# ------------------------------------------------------------------------------ speed paths: caches and kernels


def _spectrum(n, seed, lo=5.0, hi=100.0):
    return np.exp(np.random.default_rng(seed).uniform(math.log(lo), math.log(hi), n))


def test_envelope_cache_cold_warm_and_call_order_identical():
    """Memoised envelopes only save time: the events are bit-identical with a cold cache, a warm
    cache, and a cache warmed by other calls in another order (other energies, another mass, a
    chunk that had to raise cells).  The cached envelopes are read-only (copy-on-use)."""
    from leptoportal.generate import sampler as smp

    model = LFVScalar(0.3, H)
    E = _spectrum(6000, 1)
    E2 = _spectrum(3000, 2, 2.0, 60.0)

    def run(energies, seed, m=0.3):
        return sample_events(LFVScalar(m, H), energies, energies.size, np.random.default_rng(seed), method="ww",
                             chunk_size=2000)

    smp.clear_envelope_cache()
    cold = run(E, 5)
    n_cached = len(smp.ENVELOPE_CACHE)
    assert n_cached == cold.info["n_energy_bins"] > 3
    warm = run(E, 5)
    assert len(smp.ENVELOPE_CACHE) == n_cached  # nothing rebuilt
    smp.clear_envelope_cache()
    other_first = [run(E2, 9), run(E2, 9, m=0.5), sample_events(model, E0, 500, np.random.default_rng(3))]
    late = run(E, 5)
    for ev in (warm, late):
        for k in ("lep", "phi", "rec", "x", "theta_k", "t", "phi_q"):
            assert np.array_equal(getattr(cold, k), getattr(ev, k)), k
        assert ev.info["n_proposed"] == cold.info["n_proposed"]
    # the other calls' own results do not depend on what ran before them either
    smp.clear_envelope_cache()
    again = run(E2, 9)
    assert np.array_equal(again.lep, other_first[0].lep)
    # cached envelopes cannot be modified in place
    env = next(iter(smp.ENVELOPE_CACHE.values()))
    with pytest.raises(ValueError):
        env.env.reshape(-1)[0] = 0.0
    cp = env.copy()
    cp.env.reshape(-1)[0] *= 2.0  # a copy is writable


def test_envelope_cache_copy_on_violation_does_not_leak():
    """A chunk whose envelope is violated raises cells on a *copy*: a shrunken cached envelope
    (forced violations) gives the same events whether or not earlier calls hit the violation."""
    from leptoportal.generate import sampler as smp

    model = LFVScalar(0.3, H)
    E = _spectrum(3000, 4, 20.0, 80.0)
    smp.clear_envelope_cache()
    ref = sample_events(model, E, E.size, np.random.default_rng(8), method="ww", chunk_size=1000)
    # shrink every cached envelope (on writable copies put back into the cache) -> violations
    for key, env in list(smp.ENVELOPE_CACHE.items()):
        cp = env.copy()
        flat = cp.env.reshape(-1)
        top = np.argsort(flat * cp.volumes().reshape(-1))[-5:]  # the 5 most probable cells
        flat[top] *= 0.8
        cp.refresh()
        smp.ENVELOPE_CACHE[key] = smp.freeze_envelope(cp)
    shrunk = {k: v.env.copy() for k, v in smp.ENVELOPE_CACHE.items()}
    a = sample_events(model, E, E.size, np.random.default_rng(8), method="ww", chunk_size=1000)
    b = sample_events(model, E, E.size, np.random.default_rng(8), method="ww", chunk_size=1000)
    assert a.info["n_redraws"] > 0
    assert np.array_equal(a.lep, b.lep) and a.info["n_redraws"] == b.info["n_redraws"]
    for k, v in smp.ENVELOPE_CACHE.items():  # the raised cells stayed in the chunk's copy
        assert np.array_equal(v.env, shrunk[k])
    assert not np.array_equal(a.lep, ref.lep)
    smp.clear_envelope_cache()
    assert np.array_equal(sample_events(model, E, E.size, np.random.default_rng(8), method="ww",
                                        chunk_size=1000).lep, ref.lep)


def test_fixed_energy_bins_are_data_independent():
    from leptoportal.generate.sampler import BIN_OFFSET, energy_bins

    E = np.array([1.0, 1.2, 1.26, 9.99, 10.0, 55.0, 100.0])
    b1, bins1 = energy_bins(E, 10)
    b2, bins2 = energy_bins(E[3:], 10)
    for b, e in zip(b2, E[3:]):  # the bin of an energy does not depend on the other energies
        assert b == b1[list(E).index(e)]
        lo, hi = bins2[int(b)]
        assert bins1[int(b)] == (lo, hi) and lo <= e * (1 + 1e-12) and e < hi * (1 + 1e-12)
    assert b1[0] == BIN_OFFSET and bins1[BIN_OFFSET][0] == 1.0
    # the lowest bin's lower edge is raised to the threshold floor
    _, bins3 = energy_bins(E, 10, e_floor=1.1)
    assert bins3[BIN_OFFSET] == (1.1, 10 ** 0.1)


def test_compiled_final_state_matches_numpy_reference():
    """The fused per-event kernel equals the NumPy algebra (fourvec.build_final_state_numpy) and
    fourvec.finish equals conservation() + angle_to_beam()."""
    from leptoportal.generate.fourvec import (angle_to_beam, build_final_state, build_final_state_numpy,
                                              conservation, finish)
    from leptoportal.xsec.kinematics import frame

    rng = np.random.default_rng(11)
    n = 20000
    M = 193.7
    E = rng.uniform(2.0, 200.0, n)
    Ea = E * rng.uniform(0.01, 0.99, n)
    th = np.exp(rng.uniform(-12, -1, n))
    fr = frame(E, M_E, Ea, 0.3, M_MU, th, M)
    t = np.exp(np.log(np.where(fr.valid, fr.tmin, 1.0)) + rng.random(n) * np.log(np.where(
        fr.valid, fr.tmax / fr.tmin, 2.0)))
    t[::50] = 1e9  # outside the window: invalid rows
    pa_, pb_ = rng.uniform(0, 2 * np.pi, (2, n))
    a = build_final_state(E, M_E, Ea, th, pa_, 0.3, M_MU, M, t, pb_, fr=fr)
    b = build_final_state_numpy(E, M_E, Ea, th, pa_, 0.3, M_MU, M, t, pb_, fr=fr)
    assert np.array_equal(a[3], b[3]) and (~a[3]).sum() >= n // 50
    # the same algebra, with sin/cos/atan2 from libm (Numba) or NumPy (SIMD on AVX-512): 1 ulp each, entering
    # components of size <= E linearly (cond ~1 per component, measured 2.8e-14 GeV at E <= 200 GeV)
    for x, y in zip(a[:3], b[:3]):
        assert np.allclose(x, y, rtol=rounding(ops=64), atol=rounding(ops=64) * E.max())
    v = a[3]
    lep, phi, rec = a[1][v], a[0][v], a[2][v]
    out = [np.empty(v.sum()) for _ in range(4)]
    worst = finish(E[v], M_E, M, lep, phi, rec, *out)
    # both are max |sum p_f - p_i| / E of the same four-vectors: values ~EPS, which may differ by a few
    # roundings of O(1) quantities (absolute, not relative)
    assert abs(worst - conservation(E[v], M_E, M, phi, lep, rec).max()) <= 8 * EPS
    assert worst < 1e-9
    # one division each (<= 1 ulp); the polar angle by the kernel's atan2 (<= 2 ulp) vs NumPy's arctan2 of a
    # hypot (cond ~1): a few ulp
    assert np.allclose(out[0], phi[:, 0] / E[v], rtol=2 * EPS) and np.allclose(out[1], lep[:, 0] / E[v], rtol=2 * EPS)
    assert np.allclose(out[2], angle_to_beam(phi), rtol=rounding(ops=32))
    assert np.allclose(out[3], angle_to_beam(lep), rtol=rounding(ops=32))
    # a broken event is caught (NaN or imbalance)
    rec2 = rec.copy()
    rec2[7, 3] += 1e-6 * E[v][7]
    assert finish(E[v], M_E, M, lep, phi, rec2, *out) > 1e-9
    rec2[7, 3] = np.nan
    assert not finish(E[v], M_E, M, lep, phi, rec2, *out) <= 1e-9


def test_energies_just_above_the_kinematic_threshold_are_generated():
    """Beam energies spread from just above the exact e N -> mu N phi threshold (nuclear recoil
    included: 1.10883 GeV for m_phi = 1 GeV on Pb) upwards: the sampler's lowest cross-section node
    must not fall between the WW threshold m_mu + m_phi = 1.10566 GeV and the recoil one, where the
    engine refuses the energy (this raised before)."""
    from leptoportal.generate.sampler import energy_floor
    from leptoportal.xsec.api import make_process
    from leptoportal.xsec.kinematics import threshold_energy

    proc = make_process("e-", "mu-", "Pb", "ww")
    thr = float(threshold_energy(*proc.masses, 1.0, proc.target.nucleus_mass_gev))
    assert energy_floor(proc, 1.0) > thr > proc.final.mass + 1.0
    E = np.geomspace(thr * (1 + 1e-6), 40.0, 300)
    ev = sample_events(LFVScalar(mass=1.0, coupling=1e-4), E, E.size, np.random.default_rng(3), target="Pb",
                       method="ww", beam="e-", final="mu-")
    assert np.all(np.isfinite(ev.weight)) and np.all(ev.weight >= 0) and ev.weight.sum() > 0
