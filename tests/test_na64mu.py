"""NA64-mu projection (NA64-mu paper Sec. 3): Eq. (3.1) yield, the N >= 3 reach, CLI forms."""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from leptoportal.models.leptophilic import LeptophilicScalar
from scipy import integrate

from leptoportal.analysis import na64mu
from leptoportal.cli import main
from leptoportal.errors import InputError
from leptoportal.particles import M_MU
from leptoportal.units import ALPHA
from leptoportal.xsec.formfactors import g2_atomic_nuclear
from tolerances import rounding


def _eq31_reference(m_S, g_mu, mot, br, E0=150.0, L=20.0, dedy=12.7e-3, x_min=1 / 3, n=3.3e22):
    """Eq. (3.1) with Eq. (3.2)-(3.3) by nested adaptive quadrature, using the paper's n_atom."""
    Z, A = 82, 207.2

    def chi(E):
        tmin, tmax = m_S**4 / (4 * E * E), m_S**2 + M_MU**2
        f = lambda t: (t - tmin) / t**2 * g2_atomic_nuclear(t, Z, A)  # noqa: E731
        pts = [p for p in (1e-6, 1e-4, 1e-2, 0.1, 1.0) if tmin < p < tmax]
        return integrate.quad(f, tmin, tmax, points=pts or None, limit=400, epsrel=1e-9)[0]

    def dsdx(x, E, c):
        bS = math.sqrt(max(1 - m_S**2 / (x * E) ** 2, 0.0))
        num = x**3 * (M_MU**2 * (3 * x * x - 4 * x + 4) + 2 * m_S**2 * (1 - x))
        return g_mu**2 * ALPHA**2 / (12 * math.pi) * c * bS * num / (m_S**2 * (1 - x) + M_MU**2 * x * x) ** 2

    def over_x(E):
        c = chi(E)
        lo, hi = max(x_min, m_S / E), 1 - M_MU / E
        # the spectrum peaks within 1 - x ~ m_mu^2/m_S^2 of the end point: tell quad where
        pts = [p for p in (1 - k * M_MU**2 / m_S**2 for k in (0.1, 1.0, 10.0)) if lo < p < hi]
        return integrate.quad(dsdx, lo, hi, args=(E, c), points=pts or None, limit=200, epsrel=1e-10)[0]

    I = integrate.quad(over_x, E0 - L * dedy, E0, epsrel=1e-9)[0]  # GeV^-2 GeV
    return mot * n / dedy * I * 0.3893793721e9 * 1e-36 * br


@pytest.mark.parametrize("m_S", [0.05, 0.5, 4.0])
def test_yield_matches_independent_quadrature(m_S):
    model = LeptophilicScalar.from_preset("muon-specific", m_S, 3e-4)
    ours = na64mu.thin_target_yield(model, 1e12, n_atoms_per_cm3=3.3e22)
    ref = _eq31_reference(m_S, 3e-4, 1e12, float(model.br_invisible()))
    assert ours == pytest.approx(ref, rel=2e-4)


def test_default_target_density_is_the_papers():
    """n_atom for Pb from the material table: the paper quotes 3.3e22 cm^-3."""
    assert na64mu.ThinTarget().n_atoms == pytest.approx(3.3e22, rel=2e-3)


def test_yield_scales_with_exposure_and_target_length():
    m = LeptophilicScalar.from_preset("muon-specific", 0.2, 1e-4)
    n1 = na64mu.thin_target_yield(m, 1e12)
    assert na64mu.thin_target_yield(m, 1e13) == pytest.approx(10 * n1, rel=rounding(1, 4))  # MOT multiplies the same integral
    # thin target: N is (nearly) proportional to L while dE/dy*L << E
    n_half = na64mu.thin_target_yield(m, 1e12, target_length_cm=10.0)
    assert n_half == pytest.approx(n1 / 2, rel=5e-3)


def test_branching_ratio_enters_exactly():
    """At large g_mu visible decays compete: N/g^2 drops by exactly BR(S -> chi chi)."""
    small = LeptophilicScalar.from_preset("muon-specific", 1.0, 1e-4)
    big = LeptophilicScalar.from_preset("muon-specific", 1.0, 1.0)
    r = (na64mu.thin_target_yield(big, 1e12) / 1.0) / (na64mu.thin_target_yield(small, 1e12) / 1e-8)
    assert r == pytest.approx(float(big.br_invisible()) / float(small.br_invisible()), rel=1e-10)
    assert float(big.br_invisible()) < 0.9
    closed = LeptophilicScalar.from_preset("muon-specific", 1.0, 1e-3, mchi_ratio=1.5)
    assert na64mu.thin_target_yield(closed, 1e12) == 0.0


def test_reach_root_matches_closed_form():
    """N = A g^2 Gamma_chi / (Gamma_chi + B g^2) (all visible widths ~ g_mu^2 for the muon-specific
    preset) has the closed-form root g^2 = 3 Gamma_chi / (A Gamma_chi - 3 B)."""
    m_S, mot = 2.0, 1e12
    unit = LeptophilicScalar.from_preset("muon-specific", m_S, 1.0)
    g_chi_width = float(unit.width_chichi())
    B = float(unit.total_width()) - g_chi_width
    A = na64mu.thin_target_yield(LeptophilicScalar.from_preset("muon-specific", m_S, 1e-6), mot) / 1e-12 / float(
        LeptophilicScalar.from_preset("muon-specific", m_S, 1e-6).br_invisible())
    g_closed = math.sqrt(3 * g_chi_width / (A * g_chi_width - 3 * B))
    assert na64mu.reach_coupling("muon-specific", m_S, mot) == pytest.approx(g_closed, rel=1e-8)


def test_reach_is_nan_when_visible_decays_win():
    """Lepton-specific above the tau threshold at 1e12 MOT: N saturates below 3 -> no reach."""
    assert math.isnan(na64mu.reach_coupling("lepton-specific", 10.0, 1e12))
    assert na64mu.reach_coupling("lepton-specific", 10.0, 1e13) > 0


def test_etl_below_iww_for_muons():
    """Footnote 6: IWW is not exact; for 150 GeV muons ETL/IWW < 1 (0.81 at 10 MeV ... 0.17 at 10 GeV
    for the total cross section; here the x > 1/3 yield)."""
    for m in (0.02, 1.0):
        model = LeptophilicScalar.from_preset("muon-specific", m, 1e-4)
        r = na64mu.thin_target_yield(model, 1e12, method="etl") / na64mu.thin_target_yield(model, 1e12)
        assert 0.1 < r < 1.0


@pytest.mark.parametrize("kw,param", [
    (dict(target_length_cm=-1), "target_length_cm"),
    (dict(x_min=1.2), "x_min"),
    (dict(energy_gev=2.0, target_length_cm=200.0), "target_length_cm"),
    (dict(beam="e-"), "beam"),
    (dict(method="nope"), "method"),
])
def test_bad_thin_target_inputs(kw, param):
    with pytest.raises(InputError) as exc:
        na64mu.ThinTarget(**kw)
    assert exc.value.parameter == param


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


def test_cli_point_yield_g2_forms():
    code, out, _ = _run(["leptophilic", "point", "--model", "lepton-specific", "--mass", "0.1", "--g-mu", "5e-4",
                         "--json"])
    rec = json.loads(out)
    assert code == 0
    for k in ("width_gev", "br_invisible", "delta_a_mu", "sigma_T_over_m_cm2_per_g", "sigma_e_cm2",
              "perturbativity_scale_gev"):
        assert k in rec
    code, out, _ = _run(["leptophilic", "point", "--model", "muon-specific", "--mass", "0.3", "--g-mu", "1e-3",
                         "--resonance", "--eps-r", "0.1", "--json"])
    rec = json.loads(out)
    assert rec["m_chi_gev"] == pytest.approx(0.3 / (2 * math.sqrt(1.1)))
    code, out, _ = _run(["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4",
                         "--mot", "1e12", "--dedy", "12.7e-3", "--json"])
    rec = json.loads(out)
    m = LeptophilicScalar.from_preset("muon-specific", 0.1, 5e-4)
    # the paper's inputs; the CLI sums the tabulated spectrum, the API the production integral: the same nodes,
    # summed in two orders (480 positive terms)
    assert rec["n_signal"] == pytest.approx(na64mu.thin_target_yield(m, 1e12), rel=rounding(1, 2 * 480))
    # without --dedy: the target's own minimum-ionising loss
    code, out, _ = _run(["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4",
                         "--mot", "1e12", "--target", "W", "--json"])
    rec = json.loads(out)
    assert rec["dedy_gev_per_cm"] == na64mu.min_ionising_dedx("W")  # the same function; JSON repr round-trips
    assert rec["dedy_source"] == "minimum-ionising loss of --target"
    # decays in flight: with S -> chi chi-bar closed only visible decays beyond the given distance count
    vis = ["leptophilic", "yield", "--model", "lepton-specific", "--mass", "0.05", "--g-mu", "1e-3", "--mot", "1e12",
           "--mchi-ratio", "1.5", "--dedy", "12.7e-3", "--json"]
    code, out, _ = _run(vis)
    assert code == 0 and json.loads(out)["n_signal"] == 0.0 and "--decay-distance-cm" in json.loads(out)["warning"]
    code, out, _ = _run(vis + ["--decay-distance-cm", "1484.2"])
    rec = json.loads(out)
    m = LeptophilicScalar.from_preset("lepton-specific", 0.05, 1e-3, mchi_ratio=1.5)
    tt = na64mu.ThinTarget(decay_distance_cm=1484.2)
    ref = na64mu.yield_from_spectrum(m, 1e12, tt, na64mu.production_spectrum(0.05, tt))
    assert code == 0 and rec["n_signal"] == ref and 3.0 < ref  # the same spectrum and sum; JSON repr round-trips
    code, out, _ = _run(["g2", "--model", "muon-specific", "--mass", "0.2", "--json"])
    rec = json.loads(out)
    lo, hi = rec["band_2sigma"]
    assert lo < rec["coupling_central"] < hi


def test_cli_flags_bad_inputs_with_one_line():
    for argv, flag in ((["leptophilic", "point", "--model", "muon-specific", "--mass", "-1", "--g-mu", "1"], "--mass"),
                       (["leptophilic", "point", "--model", "muon-specific", "--mass", "1", "--g-mu", "1",
                         "--resonance", "--eps-r", "0"], "--eps-r"),
                       (["leptophilic", "yield", "--model", "muon-specific", "--mass", "1", "--g-mu", "1",
                         "--mot", "0"], "--mot"),
                       (["g2", "--model", "lfv", "--mass", "0.05"], "m_phi")):
        code, out, err = _run(argv)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and flag in err
    # m_chi >= m_S/2 is allowed but flagged
    code, out, _ = _run(["leptophilic", "point", "--model", "muon-specific", "--mass", "1", "--g-mu", "1",
                         "--mchi-ratio", "1.5", "--json"])
    assert code == 0 and "warning" in json.loads(out)


def test_cli_reach_runs_the_reach_engine(tmp_path):
    """`leptophilic reach` is the reach engine on the shipped na64mu-leptophilic config with this model:
    reach.csv per (mass, exposure), the figures, and the limit equal to the thin-target root of
    na64mu.reach_coupling (Eq. 3.1 with BR(S -> chi chi) at every g, 3 events)."""
    from leptoportal.reach import read_reach_csv

    code, out, _ = _run(["leptophilic", "reach", "--model", "muon-specific", "--mot", "1e12", "1e13",
                         "--masses", "0.05", "0.5", "--output", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "reach.png").stat().st_size > 10000 and (tmp_path / "leptophilic-gchi-constraints.png").exists()
    rows = {(r["mass_gev"], r["exposure"]): r["coupling_limit"] for r in read_reach_csv(tmp_path / "reach.csv")[1]}
    assert set(rows) == {(0.05, 1e12), (0.05, 1e13), (0.5, 1e12), (0.5, 1e13)}
    for m in (0.05, 0.5):
        assert rows[(m, 1e12)] == pytest.approx(na64mu.reach_coupling("muon-specific", m, 1e12), rel=1e-6)
    # 10x the exposure: sqrt(10) smaller coupling where BR = 1
    assert rows[(0.05, 1e12)] / rows[(0.05, 1e13)] == pytest.approx(np.sqrt(10), rel=1e-5)
    info = json.loads((tmp_path / "reach.json").read_text())
    assert info["config"]["model"] == {"name": "leptophilic", "pattern": "muon-specific", "g_chi": 1.0,
                                       "mchi_ratio": 3.0}


def test_gchi_figure_matches_papers_20_mev_statement(tmp_path):
    """Fig. 1: with g_chi = 1 the SIDM bound (Eq. 2.10, m_chi = m_S/3) allows m_S above ~20 MeV
    (the paper: 'we take g_chi = 1 and restrict the scalar mass to be above 20 MeV')."""
    from leptoportal.plots import plot_leptophilic_gchi

    from leptoportal.constraints.darkmatter import gchi_constraints

    png, csv = plot_leptophilic_gchi(tmp_path, gchi_constraints(masses=np.geomspace(0.005, 0.1, 400)))
    assert png.stat().st_size > 10000
    rows = [ln for ln in csv.read_text().splitlines() if not ln.startswith("#")]
    head = rows[0].split(",")
    data = np.array([[float(v) for v in r.split(",")] for r in rows[1:]])
    m = data[:, head.index("mass_gev")]
    g = data[:, head.index("g_chi_sidm_max_ratio3")]
    m_cross = np.interp(0.0, np.log(g), m)
    assert 0.015 < m_cross < 0.021
