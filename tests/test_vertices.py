"""Scalar and pseudoscalar vertices in the engine (issue: leptophilic S): independent checks.

* Eq. (3.2) of the NA64-mu paper, written out here from the paper, against the engine's IWW
  with the scalar vertex (u~ integrated to infinity): the 1/(12 pi) prefactor of its
  footnote 7 and the m_mu^2 (3x^2 - 4x + 4) + 2 m_S^2 (1 - x) numerator.
* WW (Eqs. 21-27 with the vertex mass combination replaced) against the exact tree-level
  2->3 calculation for muons at 150 GeV, in x and in y: a check that only the vertex dm2 of
  Eq. (27) was changed (the kinematic one kept).
* Chiral = (scalar + pseudoscalar)/4 at the level of integrated cross sections.
* Positivity/finiteness over the engine's domain (hypothesis).
(The |A|^2 themselves are checked against explicit Dirac traces in test_amplitudes_trace.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import rounding
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from leptoportal import LFVScalar
from leptoportal.errors import InputError
from leptoportal.materials import get_material
from leptoportal.models.leptophilic import LeptophilicScalar
from leptoportal.particles import M_MU
from leptoportal.units import ALPHA
from leptoportal.xsec import api, iww
from leptoportal.xsec.formfactors import g2_atomic_nuclear, g2_elastic


def _chi_eq33(E, m_S, g2, Z, A):
    """Eq. (3.3) of the NA64-mu paper by adaptive quadrature."""
    tmin = m_S**4 / (4 * E * E)
    tmax = m_S**2 + M_MU**2
    f = lambda t: (t - tmin) / t**2 * g2(t, Z, A)  # noqa: E731
    pts = [p for p in (1e-6, 1e-4, 1e-2, 0.1, 1.0) if tmin < p < tmax]
    return integrate.quad(f, tmin, tmax, points=pts or None, limit=400, epsrel=1e-10)[0]


def _eq32(E, x, m_S, chi):
    """Eq. (3.2) of the NA64-mu paper per g_mu^2 [GeV^-2], beta_mu included."""
    beta_mu = np.sqrt(1 - M_MU**2 / E**2)
    beta_S = np.sqrt(1 - m_S**2 / (x * E) ** 2)
    num = x**3 * (M_MU**2 * (3 * x * x - 4 * x + 4) + 2 * m_S**2 * (1 - x))
    return ALPHA**2 / (12 * np.pi) * chi * beta_mu * beta_S * num / (m_S**2 * (1 - x) + M_MU**2 * x * x) ** 2


@pytest.mark.parametrize("ff,g2", [("elastic", g2_elastic), ("atomic-nuclear", g2_atomic_nuclear)])
@pytest.mark.parametrize("m_S", [0.02, 0.3, 3.0])
def test_iww_scalar_is_eq_3_2(ff, g2, m_S):
    E = 150.0
    pb = get_material("Pb")
    proc = api.make_process("mu+", "mu+", "Pb", "iww", ff, "scalar")
    x = np.array([0.05, 0.34, 0.6, 0.9, 0.999])
    x = x[x * E > m_S]
    ours = iww.dsigma_dx(E, x, M_MU, M_MU, m_S, proc.chi_fn(), theta_max=np.inf, vertex="scalar")
    ref = _eq32(E, x, m_S, _chi_eq33(E, m_S, g2, pb.Z, pb.A))
    # beta_mu = 1 - 2.5e-7 is the only factor the engine does not carry
    np.testing.assert_allclose(ours, ref, rtol=2e-6)


def test_iww_prefactor_is_one_over_12pi_not_4pi():
    """Footnote 7: with 1/(4 pi) the engine would be 3x Eq. (3.2); it is not."""
    E, m_S = 150.0, 0.5
    proc = api.make_process("mu-", "mu-", "Pb", "iww", "elastic", "scalar")
    x = np.array([0.5])
    ours = iww.dsigma_dx(E, x, M_MU, M_MU, m_S, proc.chi_fn(), theta_max=np.inf, vertex="scalar")[0]
    ref = _eq32(E, x, m_S, _chi_eq33(E, m_S, g2_elastic, 82, 207.2))[0]
    assert ours == pytest.approx(ref, rel=1e-5)
    assert abs(ours / ref - 3.0) > 1.0


@pytest.mark.parametrize("vertex", ["scalar", "pseudoscalar"])
@pytest.mark.parametrize("m", [0.02, 0.5])
def test_ww_matches_etl_for_muons(vertex, m):
    """WW vs exact tree level for 150 GeV muons on Pb: <= 1 % in d sigma/dx and d sigma/dy."""
    model = LFVScalar(m, 1.0, vertex)
    v = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    kw = dict(beam="mu-", final="mu-", target="Pb")
    for fn in (api.dsigma_dx, api.dsigma_dy):
        etl = fn(model, 150.0, v, method="etl", **kw)
        ww = fn(model, 150.0, v, method="ww", **kw)
        np.testing.assert_allclose(ww, etl, rtol=1e-2)


def test_scalar_and_pseudoscalar_really_differ_for_muons():
    """dm2_vertex = m^2 - 4 m_mu^2 vs m^2: at m = 20 MeV the soft part of the x spectrum differs
    by an order of magnitude (measured ratio S/P: 41 at x = 0.1, 10 at 0.3, 1.17 at 0.9)."""
    x = np.array([0.1, 0.3])
    s = api.dsigma_dx(LFVScalar(0.02, 1.0, "scalar"), 150.0, x, method="etl", beam="mu-", final="mu-")
    p = api.dsigma_dx(LFVScalar(0.02, 1.0, "pseudoscalar"), 150.0, x, method="etl", beam="mu-", final="mu-")
    assert np.all(s / p > 5.0)


@pytest.mark.parametrize("method", ["etl", "ww", "iww"])
def test_chiral_is_quarter_of_scalar_plus_pseudoscalar(method):
    """|A|^2_chiral = (|A|^2_S + |A|^2_P)/4 (no S-P interference in the unpolarised sum)."""
    sig = {v: api.total_cross_section(LFVScalar(0.3, 1.0, v), 100.0, method=method)[()]
           for v in ("chiral", "scalar", "pseudoscalar")}
    # the same quadrature nodes; |A|^2 per node combined in two orders (terms of one sign; ~64 roundings per node,
    # summed over the nodes with positive weights: cond 1)
    assert sig["chiral"] == pytest.approx((sig["scalar"] + sig["pseudoscalar"]) / 4, rel=rounding(2, 256))


def test_chiral_limit_scalar_equals_pseudoscalar():
    """For m_phi >> m_e the electron mass term is negligible: e->e scalar and pseudoscalar agree."""
    s = api.total_cross_section(LFVScalar(1.0, 1.0, "scalar"), 100.0, beam="e-", final="e-")
    p = api.total_cross_section(LFVScalar(1.0, 1.0, "pseudoscalar"), 100.0, beam="e-", final="e-")
    assert float(s) == pytest.approx(float(p), rel=1e-4)


def test_leptophilic_model_through_the_api():
    m = LeptophilicScalar.muon_specific(0.2, 1e-3)
    assert m.vertex == "scalar" and m.mass == 0.2
    ref = api.total_cross_section(LFVScalar(0.2, 1e-3, "scalar"), 150.0, beam="mu-", final="mu-")
    got = api.total_cross_section(m, 150.0, beam="mu-", final="mu-")
    # the same engine call with the same inputs (only the coupling reaches it differently: g^2 once rounded)
    assert float(got) == pytest.approx(float(ref), rel=rounding(ops=4))
    # flavour diagonal: no e -> mu production
    assert float(api.total_cross_section(m, 100.0, beam="e-", final="mu-")) == 0.0
    with pytest.raises(InputError) as exc:
        api.make_process("mu-", "mu-", "Pb", "etl", "elastic", "tensor")
    assert exc.value.parameter == "vertex"


@settings(max_examples=25, deadline=None)
@given(vertex=st.sampled_from(["scalar", "pseudoscalar"]), beam=st.sampled_from(["e-", "mu-"]),
       logm=st.floats(-3.0, 1.0), logE=st.floats(np.log10(15.0), 3.0), x=st.floats(1e-4, 1 - 1e-4),
       method=st.sampled_from(["etl", "ww", "iww"]))
def test_vertex_cross_sections_positive_and_finite(vertex, beam, logm, logE, x, method):
    m, E = 10**logm, 10**logE
    model = LFVScalar(m, 1.0, vertex)
    d = api.dsigma_dx(model, E, [x], method=method, beam=beam, final=beam)
    assert np.all(np.isfinite(d)) and np.all(d >= 0)


def test_cli_xsec_coupling_type(capsys):
    from leptoportal.cli import main

    assert main(["xsec", "--beam", "mu-", "--final", "mu-", "--coupling-type", "pseudoscalar", "--mass", "0.1",
                 "--energy", "150", "--coupling", "1e-3", "--method", "ww", "--json"]) == 0
    import json

    rec = json.loads(capsys.readouterr().out)
    ref = api.total_cross_section(LFVScalar(0.1, 1e-3, "pseudoscalar"), 150.0, method="ww", beam="mu-", final="mu-")
    assert rec["coupling_type"] == "pseudoscalar"
    assert rec["sigma_pb"] == float(ref)  # the same function; JSON repr round-trips
