"""Constraints on the e->mu paper's LFV scalar from muon physics (leptoportal.constraints.lfv) and a reach
curve of another run as an overlay (leptoportal.constraints.reachcsv): each number checked against something
independent -- explicit Dirac traces, a numeric phase-space root, closed-form limits, the Fierz identity, the
published MACS correspondence P = 8.3e-11 <-> G = 3.0e-3 G_F in 0.1 T, and the published field dependences
(Horikawa & Sasaki PRD 53 (1996) 560; Hou & Wong Phys. Lett. B (1995), hep-ph/9505300, doi:10.1016/0370-2693(95)00893-P)."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from scipy import optimize

from leptoportal.constraints import lfv
from leptoportal.constraints.decays.inputs import G_F, HBAR_GEV_S, TAU_MU
from leptoportal.constraints.registry import get_constraint
from leptoportal.domains import COUPLING_MAX
from leptoportal.errors import InputError
from leptoportal.particles import M_E, M_MU
from tolerances import rounding

#: solver setting of the reference phase-space root (not a comparison tolerance): as exact as doubles allow
ROOT = {"xtol": 1e-16, "rtol": 4 * float(np.finfo(float).eps)}
#: Fock-space matrix elements are sums of <= 32 products of spinor components of size <= 1, entries of size
#: <= 100 (12 x 4 sqrt 2): absolute rounding <= 32 x 100 x EPS
MATRIX_ATOL = rounding(100, 32)


def _gammas():
    s = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex),
         np.array([[1, 0], [0, -1]], complex)]
    z, one = np.zeros((2, 2)), np.eye(2)
    g0 = np.block([[one, z], [z, -one]]).astype(complex)
    gs = [g0] + [np.block([[z, si], [-si, z]]) for si in s]
    g5 = 1j * gs[0] @ gs[1] @ gs[2] @ gs[3]
    return gs, g5


def _slash(p, gs):
    return p[0] * gs[0] - p[1] * gs[1] - p[2] * gs[2] - p[3] * gs[3]


# ----------------------------------------------------------------------------- mu -> e phi
def test_mu_to_e_phi_width_from_an_explicit_trace_and_a_numeric_phase_space_root():
    """|M|^2 from Tr[(p_e + m_e) P_R (p_mu + m_mu) P_L] with explicit gamma matrices at explicit momenta, and the
    two-body phase space from the root of energy conservation with its Jacobian dE/dp (no Kallen function)."""
    gs, g5 = _gammas()
    one = np.eye(4)
    pr, pl = (one + g5) / 2, (one - g5) / 2
    for m in (1e-4, 0.013, 0.05, 0.1):
        p = optimize.brentq(lambda q, m=m: math.hypot(q, M_E) + math.hypot(q, m) - M_MU, 0.0, M_MU, **ROOT)
        e_e, e_phi = math.hypot(p, M_E), math.hypot(p, m)
        n = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
        pe = np.array([e_e, *(p * n)])
        pmu = np.array([M_MU, 0, 0, 0])
        tr = np.trace((_slash(pe, gs) + M_E * one) @ pr @ (_slash(pmu, gs) + M_MU * one) @ pl).real
        amp2 = 0.5 * tr  # muon spin average, h = 1
        jac = p / e_e + p / e_phi
        width = 1.0 / (2 * M_MU) * 4 * math.pi * p * p / ((2 * math.pi) ** 2 * 4 * e_e * e_phi * jac) * amp2
        assert float(lfv.width_mu_to_e_phi(1.0, m)) == pytest.approx(width, rel=1e-10)
    # massless limit: |h|^2 m_mu / (32 pi), half that of a pure scalar coupling
    assert float(lfv.width_mu_to_e_phi(0.3, 1e-9)) == pytest.approx(0.09 * M_MU / (32 * math.pi), rel=1e-5)
    assert float(lfv.width_mu_to_e_phi(1.0, M_MU - M_E)) == 0.0  # closed


def test_mu_to_e_phi_entry_puts_br_on_the_twist_limit_and_takes_a_user_file(tmp_path):
    c = get_constraint("mu-to-e-phi")
    masses = [0.005, 0.05, 0.09, 0.2]
    ivs = c.intervals("lfv", masses)
    assert ivs[2] == [] and ivs[3] == []  # TWIST abstract stops at 80 MeV; the channel closes at m_mu - m_e
    for m, iv, lim in ((0.005, ivs[0], 5.8e-5), (0.05, ivs[1], 1.0e-5)):
        (h, top), = iv
        assert top == COUPLING_MAX
        assert float(lfv.br_mu_to_e_phi(h, m)) == pytest.approx(lim, rel=1e-9)
    f = tmp_path / "br.csv"
    f.write_text("# source: my curve\n# cl: 0.9\n# licence: CC-BY-4.0\nmass_gev,br_limit\n0.01,1e-4\n0.1,1e-6\n")
    (h, _), = c.intervals("lfv", [0.0316227766], br_file=str(f))[0]
    assert float(lfv.br_mu_to_e_phi(h, 0.0316227766)) == pytest.approx(1e-5, rel=1e-6)  # log-log midpoint
    f.write_text("# source: my curve\n# cl: 0.9\nmass_gev,br_limit\n0.01,1e-4\n0.1,1e-6\n")
    with pytest.raises(InputError, match="br_file.*licence"):
        c.intervals("lfv", [0.05], br_file=str(f))


# ----------------------------------------------------------------------------- muonium
def test_fock_space_antiparticle_modes_carry_their_physical_spin():
    """d_s^dagger |0> (v_s = i gamma^2 u_s^*) has J_z = +-1/2 as labelled, for both fields."""
    jz_mu, jz_e = lfv.spin_operator_z("mu").toarray(), lfv.spin_operator_z("e").toarray()
    mu_states, mubar_states = lfv.conversion_states()
    vac = np.zeros(256)
    vac[0] = 1.0
    j0_mu, j0_e = vac @ jz_mu @ vac, vac @ jz_e @ vac
    for k, (s_mu, s_e) in enumerate(((0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5))):
        for states in (mu_states, mubar_states):
            x = states[:, k]
            assert (x.conj() @ jz_mu @ x).real - j0_mu.real == pytest.approx(s_mu, abs=1e-12)
            assert (x.conj() @ jz_e @ x).real - j0_e.real == pytest.approx(s_e, abs=1e-12)


def test_va_operator_reproduces_the_macs_correspondence_and_the_closed_form_field_factor():
    """(V-A)x(V-A) with G = 3.0e-3 G_F gives P = 8.3e-11 in 0.1 T (Willmann et al. 1999 quote both numbers), and
    P(B)/P(0) = 1/(2(1 + x^2)), x = B (a_e + a_mu)/nu_hfs: only the M_F = 0 states convert once the Zeeman
    splitting exceeds Gamma_mu, each with overlap 1/sqrt(1 + x^2) between the Mu and Mu-bar eigenstates."""
    t = lfv.conversion_matrices()["VA"]
    assert np.allclose(t, 4 * math.sqrt(2) * np.eye(4), atol=MATRIX_ATOL)  # equal singlet and triplet amplitudes
    p = lfv.conversion_probability(lfv.MMBAR_G_LIMIT_VA * G_F * t, 0.1)
    assert p == pytest.approx(lfv.MMBAR_P_LIMIT, rel=0.03)  # G quoted to 2 digits: 3 % in P
    for b in (0.05, 0.1, 0.3):
        x = b * (lfv.A_E_HZ_PER_T + lfv.A_MU_HZ_PER_T) / lfv.NU_HFS_HZ
        ratio = lfv.conversion_probability(t, b) / lfv.conversion_probability(t, 0.0)
        assert ratio == pytest.approx(1 / (2 * (1 + x * x)), rel=1e-4)  # Zeeman tails ~(Gamma/dE)^2


def test_field_dependence_of_other_structures_matches_the_literature():
    mats = lfv.conversion_matrices()

    def ratio(name, b):
        return lfv.conversion_probability(mats[name], b) / lfv.conversion_probability(mats[name], 0.0)

    # Horikawa & Sasaki: (V-A)x(V+A) reduced by < 20 % up to ~300 G and by 33 % in the large-field limit
    assert 0.8 < ratio("VA_VpA", 0.03) < 1.0 and ratio("VA_VpA", 10.0) == pytest.approx(2 / 3, rel=1e-3)
    # Hou & Wong: a pseudoscalar converts only singlet muonium; (S-P)x(S-P) behaves as (V-A)x(V-A)
    f_basis = np.array([[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1], [0, 1, -1, 0]]) / np.array([1, 2 ** .5, 1, 2 ** .5])[:, None]
    pp = f_basis @ mats["PP"] @ f_basis.T
    assert np.allclose(np.diag(pp)[:3], 0.0, atol=MATRIX_ATOL) and abs(pp[3, 3]) > 1
    for b in (0.01, 0.1, 1.0):
        assert ratio("SP", b) == pytest.approx(ratio("VA", b), rel=1e-10)
    # every structure is rotation invariant: diagonal in (F, M_F), one amplitude per F
    for name in ("SP_s", "SP_t", "VA_VpA", "SS"):
        d = f_basis @ mats[name] @ f_basis.T
        assert np.allclose(d - np.diag(np.diag(d)), 0.0, atol=MATRIX_ATOL)
        assert np.allclose(np.diag(d)[:3], d[0, 0], atol=MATRIX_ATOL)
    # the s-like contraction (a (mu+ e-) pair annihilated into phi at rest) is pseudoscalar: singlet only
    assert np.allclose(np.diag(f_basis @ mats["SP_s"] @ f_basis.T)[:3], 0.0, atol=MATRIX_ATOL)


def test_fierz_identity_holds_for_the_fock_space_matrix_elements():
    """(mu-bar P_L e)(mu-bar P_L e) = -1/2 (same) - 1/8 (mu-bar s^{mn} P_L e)(mu-bar s_{mn} P_L e) for anticommuting
    fields, so the tensor operator's matrix elements are -12 times the scalar one's."""
    mats = lfv.conversion_matrices()
    assert np.allclose(mats["TT_L"], -12.0 * mats["SP"], atol=MATRIX_ATOL)
    assert np.allclose(mats["SP"], mats["SP_s"] + mats["SP_t"], atol=MATRIX_ATOL)


def test_muonium_entry_complex_is_empty_and_real_sits_on_the_limit():
    c = get_constraint("muonium")
    masses = [0.01, 0.2, 1.0, 50.0, 100.0]
    assert c.intervals("lfv", masses) == [[] for _ in masses]
    assert "no tree-level conversion" in c.notes
    ivs = c.intervals("lfv", masses, phi_field="real")
    edges = [iv[0][0] for iv in ivs]
    for m, h in zip(masses, edges):
        assert float(lfv.muonium_probability_real_phi(h, m)) == pytest.approx(lfv.MMBAR_P_LIMIT, rel=1e-9)
    # heavy phi: the local operator (h^2/2m^2)(mu-bar P_L e)^2, so the edge grows linearly with m (up to the
    # O(m_mu^2/m^2) ~ 5e-6 of the propagators at 50 GeV)
    assert edges[4] / edges[3] == pytest.approx(2.0, rel=2e-5)
    # light phi: the propagators -> -1/(m_mu +- m_e)^2, the edge flattens
    e_light = lfv.muonium_lower_edge([1e-4, 1e-3], "real")
    assert e_light[0] == pytest.approx(e_light[1], rel=1e-3)
    with pytest.raises(InputError, match="phi_field"):
        c.intervals("lfv", [1.0], phi_field="imaginary")
    with pytest.raises(InputError, match="model"):
        c.intervals("muon-specific", [1.0])


def test_muonium_uses_the_s_and_t_propagators_separately():
    """Near m_phi = m_mu - m_e only the t-like contraction is enhanced: P follows |c_s T_s + c_t T_t|^2 with
    c = -1/2 / (m^2 - q^2), q^2 = (m_mu + m_e)^2 and (m_mu - m_e)^2, not a common propagator."""
    mats = lfv.conversion_matrices()
    m = 0.1055
    cs, ct = -0.5 / (m * m - (M_MU + M_E) ** 2), -0.5 / (m * m - (M_MU - M_E) ** 2)
    expect = lfv.conversion_probability(cs * mats["SP_s"] + ct * mats["SP_t"], 0.1)
    # the same 8x8 diagonalisations (backward error ~ 8 EPS of the Hamiltonian, amplified <= 10 by the small
    # splittings P depends on, x2 for |amplitude|^2) and <= 64 further roundings
    assert float(lfv.muonium_probability_real_phi(1.0, m)) == pytest.approx(expect, rel=rounding(20, 64))
    common = lfv.conversion_probability(ct * mats["SP"], 0.1)
    assert abs(expect / common - 1) > 0.05


# ----------------------------------------------------------------------------- reach.csv of another run
@pytest.fixture(scope="module")
def mu_to_e_reach(tmp_path_factory):
    """A reach.csv written now by the reach engine for the NA64-mu mu -> e config (model lfv-scalar, two
    exposures, background free), with the analytic toy yield N = A E h^2 (m/m0)^-k in place of the simulation
    (which takes a minute with empty caches), so the limits are known in closed form."""
    from leptoportal.reach import run_scan
    from leptoportal.reach.config import load_config, parse_config

    out = tmp_path_factory.mktemp("mue")
    with warnings.catch_warnings():  # the config's own warning (mu -> e backgrounds not estimated)
        warnings.filterwarnings("ignore", message="backgrounds of mu -> e phi")
        raw = copy.deepcopy(load_config("na64mu-lfv-mu-to-e").raw)
        raw["provider"] = {"name": "toy-power-law", "A": 1e-6, "k": 2.0, "m0": 1.0}
        raw["masses"] = [0.2, 1.0]
        res = run_scan(parse_config(raw, name="mue"), out, progress=False, quiet=True, overlays=False)
    return out / "reach.csv", res.rows


def test_reach_csv_entry_reads_the_other_run(mu_to_e_reach, tmp_path):
    path, rows = mu_to_e_reach
    c = get_constraint("reach-csv")
    g = {(r["mass_gev"], r["exposure"]): r["coupling_limit"] for r in rows}
    n_req = rows[0]["n_required"]
    for (m, e), h in g.items():  # N = A E h^2 m^-2 = N_req
        assert h == pytest.approx(math.sqrt(n_req / (1e-6 * e)) * m, rel=1e-8)
    ivs = c.intervals("lfv", [0.2, 1.0, 0.2 ** 0.5, 2.0], path=str(path))
    assert ivs[0] == [[pytest.approx(g[(0.2, 1e13)], rel=1e-11), COUPLING_MAX]]  # default: the largest exposure
    assert ivs[1][0][0] == pytest.approx(g[(1.0, 1e13)], rel=1e-11)
    assert ivs[2][0][0] == pytest.approx(math.sqrt(g[(0.2, 1e13)] * g[(1.0, 1e13)]), rel=1e-9)  # log-log midpoint
    assert ivs[3] == []  # outside the file's masses
    low = c.intervals("lfv", [0.2], path=str(path), exposure=1e12)[0][0][0]
    assert low == pytest.approx(g[(0.2, 1e12)], rel=1e-11)
    with pytest.raises(InputError, match="path"):
        c.intervals("muon-specific", [0.2], path=str(path))  # a curve in h, not g_mu
    with pytest.raises(InputError, match="exposure"):
        c.intervals("lfv", [0.2], path=str(path), exposure=5e12)
    bad = tmp_path / "reach.csv"
    lines = path.read_text().splitlines()
    k = next(i for i, ln in enumerate(lines) if ln and not ln.startswith("#") and ln[0].isdigit())
    lines[k] = lines[k].replace(",", ";", 1)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="checksum"):
        c.intervals("lfv", [0.2], path=str(bad))
    with pytest.raises(InputError, match="path"):
        c.intervals("lfv", [0.2], path=str(tmp_path / "none.csv"))


def test_na64e_config_overlays_the_mu_to_e_reach_and_the_lfv_constraints(mu_to_e_reach, tmp_path):
    """kind = "reach-csv" in the e->mu config: validated at load (a missing file is refused before any scan
    work), drawn from the other run's numbers; the shipped config's muonium / mu -> e phi overlays evaluate."""
    from leptoportal.cli import main
    from leptoportal.reach.config import load_config
    from leptoportal.reach.overlays import compute_overlays

    path, rows = mu_to_e_reach
    assert main(["configs", "copy", "na64e-lfv", str(tmp_path)]) == 0
    cfg_path = tmp_path / "na64e-lfv.toml"
    base = cfg_path.read_text()
    cfg_path.write_text(base + f'\n[[overlays]]\nkind = "reach-csv"\npath = "{path}"\nexposure = 1e12\n')
    cfg = load_config(cfg_path)
    warnings = []
    ovs = compute_overlays(cfg, [], warnings.append)
    assert not warnings
    by_kind = {o["kind"]: o for o in ovs}
    rc = by_kind["reach-csv"]
    g = {r["mass_gev"]: r["coupling_limit"] for r in rows if r["exposure"] == 1e12}
    inside = (rc["m"] >= 0.2) & (rc["m"] <= 1.0)
    assert np.all(np.isfinite(rc["lo"][inside])) and np.all(np.isnan(rc["lo"][~inside]))
    assert np.nanmin(rc["lo"]) >= min(g.values()) * (1 - 1e-9) and np.nanmax(rc["lo"]) <= max(g.values()) * (1 + 1e-9)
    assert {"muonium", "mu-to-e-phi"} <= set(by_kind)
    mu = by_kind["muonium"]
    assert np.all(np.isfinite(mu["lo"]))  # the shipped overlay draws the real-phi case (labelled so)
    cfg_path.write_text(base + '\n[[overlays]]\nkind = "reach-csv"\npath = "missing/reach.csv"\n')
    with pytest.raises(InputError, match=r"overlays\[\d+\]\.path"):
        load_config(cfg_path)


def test_twist_steps_and_sm_width_inputs():
    assert lfv.twist_br_limit([0.001, 0.0129, 0.013, 0.08, 0.0801]).tolist()[:4] == [5.8e-5, 5.8e-5, 1e-5, 1e-5]
    assert math.isnan(lfv.twist_br_limit([0.0801])[0])
    # BR = G/(G + G_SM): at the edge G = G_SM B/(1 - B)
    h = float(lfv.mu_to_e_phi_lower_edge([0.05])[0])
    assert float(lfv.width_mu_to_e_phi(h, 0.05)) == pytest.approx(HBAR_GEV_S / TAU_MU * 1e-5 / (1 - 1e-5), rel=rounding(2, 16))  # closed-form edge, squared back


def test_cli_show_takes_constraint_parameters(capsys):
    import json

    from leptoportal.cli import main

    assert main(["constraints", "show", "muonium", "--model", "lfv", "--mass", "0.2", "--param", "phi_field=real",
                 "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["intervals"][0][0] == float(lfv.muonium_lower_edge([0.2], "real")[0])  # same code; JSON repr round-trips
    assert rec["params"] == {"phi_field": "real"}
    for argv in (["--param", "phi_field=imaginary"], ["--param", "field=real"], ["--param", "phi_field"]):
        assert main(["constraints", "show", "muonium", "--model", "lfv", "--mass", "0.2", *argv]) == 2
        err = capsys.readouterr().err
        assert "--param" in err and err.count("\n") == 1
