"""Cross-section engine: each result against something independent."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate

import leptoportal as lp
from leptoportal.errors import InputError
from leptoportal.materials import BUILTIN, x0_gcm2, custom_material, get_material
from leptoportal.particles import M_E, M_MU
from leptoportal.units import AMU_GEV
from leptoportal.xsec import etl, iww, ww
from leptoportal.xsec.flux import chi_analytic, chi_numeric
from leptoportal.xsec.formfactors import g2_atomic_nuclear, g2_elastic, nuclear_d, screening_tsai
from tolerances import rounding

Z, A = 82, 207.2
M_PB = A * AMU_GEV


def chi_pb(tmin, tmax):
    return chi_analytic(tmin, tmax, Z, A)


# ---------------------------------------------------------------- form factor and flux


def test_elastic_form_factor_limits():
    ta = 1 / screening_tsai(Z) ** 2
    td = nuclear_d(A)
    assert td == pytest.approx(0.164 * A ** (-2 / 3))  # GeV^2 (so t/d is dimensionless)
    t_mid = np.sqrt(ta * td)  # screening and nuclear size both negligible
    assert g2_elastic(t_mid, Z, A) == pytest.approx(Z * Z, rel=2e-3)
    assert g2_elastic(1e-3 * ta, Z, A) < 1e-5 * Z * Z  # full screening
    assert g2_elastic(100 * td, Z, A) < 1e-3 * Z * Z  # nuclear suppression
    assert np.all(g2_atomic_nuclear(np.geomspace(1e-12, 1, 50), Z, A) >= g2_elastic(np.geomspace(1e-12, 1, 50), Z, A))


@pytest.mark.parametrize("tmin", [1e-14, 1e-10, 1e-8, 1e-6, 1e-4])
@pytest.mark.parametrize("tmax", [1e-3, 0.0121, 1.0])
def test_flux_analytic_equals_numeric_and_quad(tmin, tmax):
    a = chi_analytic(tmin, tmax, Z, A)
    n = chi_numeric(tmin, tmax, Z, A, g2_elastic)
    q = integrate.quad(lambda lt: (np.exp(lt) - tmin) / np.exp(lt) * g2_elastic(np.exp(lt), Z, A),
                       np.log(tmin), np.log(tmax), limit=400, epsrel=1e-11)[0]
    assert a == pytest.approx(q, rel=1e-7)
    assert n == pytest.approx(q, rel=1e-7)


# ---------------------------------------------------------------- IWW closed forms


@pytest.mark.parametrize("m_phi,x", [(0.11, 0.2), (0.3, 0.5), (1.0, 0.9)])
def test_iww_a2_equals_numeric_integral_of_a1(m_phi, x):
    E = 100.0
    chi = iww.chi_iww(E, M_E, m_phi, chi_pb)
    umax = ww.u_tilde(E, x, 0.0, M_E, M_MU, m_phi)
    umin = ww.u_tilde(E, x, ww.THETA_MAX, M_E, M_MU, m_phi)
    f = lambda u: ww.amp22_tmin_x(x, u, M_E, M_MU, m_phi) / u**2
    num = integrate.quad(f, umin, umax, epsrel=1e-12, limit=200, points=[umax * 10, umax * 100])[0]
    beta = np.sqrt(1 - m_phi**2 / (x * E) ** 2)
    expect = lp.units.ALPHA**2 / (4 * np.pi) * beta * (1 - x) * chi * num  # Eq. (A1)
    assert iww.dsigma_dx(E, x, M_E, M_MU, m_phi, chi_pb) == pytest.approx(expect, rel=1e-9)


@pytest.mark.parametrize("m_phi,y", [(0.11, 0.2), (0.3, 0.5), (1.0, 0.05)])
def test_iww_a4_equals_numeric_integral_of_a3(m_phi, y):
    """A4 = A3 with dcos(psi) -> psi dpsi (the paper's stated step); sin(psi) dpsi differs < 1%."""
    E = 100.0
    chi = iww.chi_iww(E, M_E, m_phi, chi_pb)
    f_small = lambda psi: psi * ww.d2sigma_dy_dcos(E, y, psi, M_E, M_MU, m_phi, None, iww_chi=chi)
    f_exact = lambda psi: np.sin(psi) * ww.d2sigma_dy_dcos(E, y, psi, M_E, M_MU, m_phi, None, iww_chi=chi)
    p0 = ww.psi0(E, y, M_E, M_MU, m_phi)
    pts = [p0 * 0.1, p0, p0 * 10]
    small = integrate.quad(f_small, 0, ww.PSI_MAX, points=pts, epsrel=1e-12, limit=400)[0]
    exact = integrate.quad(f_exact, 0, ww.PSI_MAX, points=pts, epsrel=1e-12, limit=400)[0]
    a4 = iww.dsigma_dy(E, y, M_E, M_MU, m_phi, chi_pb)
    assert a4 == pytest.approx(small, rel=1e-8)
    assert a4 == pytest.approx(exact, rel=1e-2)


# ---------------------------------------------------------------- ETL convergence and paper statements


@pytest.mark.parametrize("E,m,beam,final", [(100.0, 0.11, "e-", "mu-"), (100.0, 1.0, "e-", "mu-"),
                                             (150.0, 0.5, "mu-", "mu-"), (20.0, 0.01, "e-", "e-")])
def test_etl_convergence_doubling_orders(E, m, beam, final):
    mod = lp.LFVScalar(m, 1e-4)
    s1 = lp.total_cross_section(mod, E, method="etl", beam=beam, final=final)
    s2 = lp.total_cross_section(mod, E, method="etl", beam=beam, final=final, order=2)
    assert abs(s2 / s1 - 1) < 1e-3


@pytest.fixture(scope="module")
def paper_sigmas():
    masses = np.array([0.11, 0.3, 0.5, 0.7, 1.0])
    mod = lp.LFVScalar(masses, 1e-4)
    return masses, {m: lp.total_cross_section(mod, 100.0, "Pb", m) for m in ("etl", "ww", "iww")}


def test_ww_within_2_percent_of_etl_at_100_gev(paper_sigmas):
    """e->mu paper Sec. II C: WW reproduces ETL to <~2 % for m_phi = 0.11-1 GeV at 100 GeV."""
    masses, s = paper_sigmas
    assert np.all(np.abs(s["ww"] / s["etl"] - 1) < 0.02)


def test_iww_over_etl_matches_paper(paper_sigmas):
    """Paper: IWW overestimates ETL by ~2 (0.11 GeV) and ~3 (1 GeV) at 100 GeV (Fig. 2, Fig. 4)."""
    masses, s = paper_sigmas
    r = s["iww"] / s["etl"]
    assert 1.8 < r[0] < 2.4
    assert 2.6 < r[-1] < 3.4
    assert np.all(np.diff(r) > 0)  # grows with mass


@pytest.mark.parametrize("method", ["ww", "etl"])
def test_dsigma_dpsi_peaks_near_m_over_e(method):
    """Paper: d sigma/d psi peaks at psi ~ m_phi/E_i."""
    m = 0.3
    psi = np.geomspace(1e-4, 3e-2, 31)
    d = lp.dsigma_dpsi(lp.LFVScalar(m, 1e-4), 100.0, psi, method=method)
    peak = psi[np.argmax(d)]
    assert m / 100.0 / 3 < peak < 3 * m / 100.0


def test_etl_y_and_psi_distributions_integrate_to_total():
    """Two other parametrisations of the same phase space give the same sigma_total."""
    m, E = 0.3, 100.0
    mod = lp.LFVScalar(m, 1e-4)
    total = float(lp.total_cross_section(mod, E))
    ys, wy = etl.x_nodes(M_MU / E, 1 - m / E, 8)
    via_y = np.sum(wy * lp.dsigma_dy(mod, E, ys))
    assert via_y == pytest.approx(total, rel=2e-3)
    # d sigma/dy at y equals d sigma/dx at x = 1 - y up to the nucleus recoil (t/2M ~ 1e-8 E)
    y = np.array([0.05, 0.3, 0.7, 0.95])
    assert lp.dsigma_dy(mod, E, y) == pytest.approx(lp.dsigma_dx(mod, E, 1 - y), rel=2e-3)


def test_etl_psi_distribution_integrates_to_total():
    m, E = 0.7, 100.0
    mod = lp.LFVScalar(m, 1e-4)
    total = float(lp.total_cross_section(mod, E))
    lo, hi = np.log(1e-6), np.log(np.pi)
    u, w = np.polynomial.legendre.leggauss(48)
    edges = np.linspace(lo, hi, 7)
    tot = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        psi = np.exp(a + (b - a) * (u + 1) / 2)
        tot += np.sum((b - a) / 2 * w * psi * lp.dsigma_dpsi(mod, E, psi))
    assert tot == pytest.approx(total, rel=5e-3)


def test_sigma_scales_as_coupling_squared_exactly():
    s1 = lp.total_cross_section(lp.LFVScalar(0.3, 1e-4), 100.0, method="ww")
    s2 = lp.total_cross_section(lp.LFVScalar(0.3, 3e-3), 100.0, method="ww")
    assert s2 / s1 == pytest.approx(900.0, rel=rounding(1, 8))  # h^2 multiplies the same integral


def test_broadcasting_shapes():
    mod = lp.LFVScalar(np.array([0.11, 0.3, 1.0]), 1e-4)
    s = lp.total_cross_section(mod, np.array([[50.0], [100.0]]), method="iww")
    assert s.shape == (2, 3)
    d = lp.dsigma_dx(mod, 100.0, np.array([0.1, 0.5, 0.9, 0.99]), method="ww")
    assert d.shape == (3, 4)


# ---------------------------------------------------------------- properties


PAIRS = [("e-", "mu-"), ("e-", "e-"), ("mu-", "mu-"), ("mu+", "e+"), ("e+", "mu+")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logE=st.floats(0.0, 3.0),
    logm=st.floats(-3.0, 1.0),
    pair=st.sampled_from(PAIRS),
    method=st.sampled_from(["etl", "ww", "iww"]),
    h=st.floats(1e-8, 1.0),
)
def test_sigma_positive_finite_and_quadratic(logE, logm, pair, method, h):
    E, m = 10.0**logE, 10.0**logm
    beam, final = pair
    mi = M_MU if beam.startswith("mu") else M_E
    mf = M_MU if final.startswith("mu") else M_E
    if E <= (mf + m) * 1.0001 or m <= (mi - mf) * 1.0001:
        with pytest.raises(InputError):
            lp.total_cross_section(lp.LFVScalar(m, h), E, method=method, beam=beam, final=final)
        return
    s = lp.total_cross_section(lp.LFVScalar(m, h), E, method=method, beam=beam, final=final)
    assert np.isfinite(s) and s >= 0
    s1 = lp.total_cross_section(lp.LFVScalar(m, 1.0), E, method=method, beam=beam, final=final)
    assert s == pytest.approx(s1 * h * h, rel=rounding(1, 8))  # h^2 multiplies the same integral


@settings(max_examples=25, deadline=None)
@given(x=st.floats(1e-6, 1 - 1e-6), logm=st.floats(-3.0, 1.0), method=st.sampled_from(["etl", "ww", "iww"]))
def test_dsigma_dx_finite_nonnegative(x, logm, method):
    d = lp.dsigma_dx(lp.LFVScalar(10.0**logm, 1e-3), 100.0, [x], method=method)
    assert np.all(np.isfinite(d)) and np.all(d >= 0)


# ---------------------------------------------------------------- materials


def test_builtin_materials_and_x0_formula():
    assert set(BUILTIN) == {"Pb", "W", "Fe", "Cu", "Al", "C"}
    for m in BUILTIN.values():
        # the tabulated X0 (PDG) against the closed-form Tsai/PDG fit: independent to ~2 %
        assert x0_gcm2(m.Z, m.A) == pytest.approx(m.X0_cm * m.density, rel=0.03)
    pb = get_material("pb")
    assert pb.X0_cm == pytest.approx(0.5612, rel=2e-3)
    u = get_material("82,207.2,11.35")
    assert u.Z == 82 and u.X0_cm == pytest.approx(pb.X0_cm, rel=0.03)
    assert custom_material(74, 183.84, 19.3).X0_cm == pytest.approx(0.3504, rel=0.03)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs,param",
    [
        (dict(beam="tau-"), "beam"),
        (dict(beam="q"), "beam"),
        (dict(final="mu+"), "final"),
        (dict(target="Unobtainium"), "target"),
        (dict(method="exact"), "method"),
        (dict(energy=0.3), "energy"),
        (dict(energy=-5.0), "energy"),
        (dict(form_factor="dipole"), "form_factor"),
    ],
)
def test_bad_input_names_parameter(kwargs, param):
    args = dict(energy=100.0, target="Pb", method="ww", beam="e-", final="mu-")
    args.update(kwargs)
    E = args.pop("energy")
    with pytest.raises(InputError) as exc:
        lp.total_cross_section(lp.LFVScalar(0.3, 1e-4), E, **args)
    assert isinstance(exc.value, ValueError)
    assert exc.value.parameter == param


def test_bad_model_and_x():
    with pytest.raises(InputError, match="mass"):
        lp.LFVScalar(-0.1, 1e-4)
    with pytest.raises(InputError, match="coupling"):
        lp.LFVScalar(0.1, -1e-4)
    with pytest.raises(InputError, match="x"):
        lp.dsigma_dx(lp.LFVScalar(0.3, 1e-4), 100.0, [0.5, 1.2])
    with pytest.raises(InputError, match="mass"):  # mu -> e phi decay open: pole
        lp.total_cross_section(lp.LFVScalar(0.05, 1e-4), 100.0, beam="mu-", final="e-")


# ---------------------------------------------------------------- CLI


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "leptoportal.cli", *args], capture_output=True, text=True)


def test_cli_json_lines_order_and_fields():
    r = _cli("xsec", "--beam", "e-", "--final", "mu-", "--mass", "0.11", "0.3", "--energy", "100", "150",
             "--coupling", "1e-4", "--target", "Pb", "--method", "ww", "--x", "0.1", "0.5", "--psi", "0.003", "--json")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(d["energy_gev"], d["mass_gev"]) for d in recs] == [(100, 0.11), (100, 0.3), (150, 0.11), (150, 0.3)]
    for d in recs:
        assert d["method"] == "ww" and d["sigma_pb"] > 0
        assert len(d["dsigma_dx_pb"]) == 2 and len(d["dsigma_dpsi_pb_per_rad"]) == 1
    direct = lp.total_cross_section(lp.LFVScalar(0.3, 1e-4), 150.0, method="ww")
    assert recs[3]["sigma_pb"] == float(direct)  # the same function in a subprocess; JSON repr round-trips


@pytest.mark.parametrize(
    "args",
    [
        ["--mass", "-1", "--energy", "100"],
        ["--mass", "0.3", "--energy", "0.2"],
        ["--mass", "0.3", "--energy", "100", "--target", "Xx"],
        ["--mass", "0.3", "--energy", "100", "--final", "mu+"],
        ["--mass", "0.3", "--energy", "100", "--x", "1.5"],
        ["--mass", "0.3", "--energy", "100", "--coupling", "-1"],
        ["--mass", "0.3", "--energy", "100", "--method", "foo"],
        ["--mass", "abc", "--energy", "100"],
    ],
)
def test_cli_bad_input_one_line_exit_2(args):
    r = _cli("xsec", *args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
