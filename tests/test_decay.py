"""Decays in flight of the leptophilic scalar S (NA64-mu paper, arXiv:1807.03790, Fig. 2 and Sec. 3.1):
lab decay length, decay probabilities, the kept fraction BR_inv + BR_vis exp(-d/L), and the two NA64-mu
reach providers that use it.  References: the exponential law written out with Python's decimal module
(50 digits), closed forms of the providers' limits (sqrt(N/A), the plateau A Gamma_chi/B, the two
branches of the Lambert W function of A x exp(-c x)), and per-event sums written out element by element."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy.special import lambertw

from leptoportal.analysis import na64mu
from leptoportal.analysis.signal import selected_scalars
from leptoportal.detector.setup import load_setup
from leptoportal.errors import InputError
from leptoportal.models import decay
from leptoportal.models.leptophilic import LeptophilicScalar
from leptoportal.reach import get_provider, load_config
from leptoportal.stats import find_limits
from leptoportal.units import HBARC_GEV_CM, PB_TO_CM2
from tolerances import rounding

EPS = np.finfo(float).eps


def exact_p(z1: float, z2: float, L: float) -> float:
    """exp(-z1/L) - exp(-z2/L) in 50-digit decimal arithmetic (inputs are exact binary floats)."""
    getcontext().prec = 50
    d1, d2, dl = Decimal(z1), Decimal(z2), Decimal(L)
    return float((-d1 / dl).exp() - (-d2 / dl).exp())


# ----------------------------------------------------------------------------------- models/decay.py
def test_decay_length_is_beta_gamma_c_tau():
    """L = (p/m) hbar c / Gamma: c tau = 19.73269804 cm for Gamma = 1e-15 GeV, beta gamma = sqrt(E^2-m^2)/m."""
    m, E, w = 0.1, 100.0, 1e-15
    ctau = 1.973269804e-14 / 1e-15
    assert ctau == pytest.approx(19.73269804, rel=rounding(1, 2))  # one division of decimal inputs
    assert decay.decay_length_cm(m, E, w) == pytest.approx(math.sqrt(E * E - m * m) / m * ctau, rel=4 * EPS)
    # vectorised over energies and (through the widths) couplings; stable -> inf, at rest -> 0
    L = decay.decay_length_cm(m, np.array([m, 1.0, 10.0]), np.array([[1e-15], [0.0]]))
    assert L.shape == (2, 3) and L[0, 0] == 0.0 and np.all(np.isinf(L[1, 1:]))
    with pytest.raises(InputError, match="energy_gev"):
        decay.decay_length_cm(m, 0.05, w)
    with pytest.raises(InputError, match="width_gev"):
        decay.decay_length_cm(m, 1.0, -1e-15)


def test_decay_probability_against_50_digit_exponentials():
    """P = exp(-z1/L) - exp(-z2/L) for L from 1e-3 to 1e12 times the interval: the expm1 form keeps
    its relative accuracy (a few ulp; the condition number of exp(-a) - exp(-b) in its inputs is
    max(a, b, 1) ~ z2/L, so the bound is 16 eps max(1, z2/L)) where the naive difference loses digits."""
    z1, z2 = 920.0, 1494.2
    for L in (1.0, 50.0, 1494.2, 1e5, 1e9, 1e15):
        ref = exact_p(z1, z2, L)
        got = float(decay.decay_probability(z1, z2, L))
        assert got == pytest.approx(ref, rel=16 * EPS * max(1.0, z2 / L)), L
    # the naive difference at L = 1e15 has lost ~ half of its digits; ours has not
    naive = math.exp(-z1 / 1e15) - math.exp(-z2 / 1e15)
    assert abs(naive / exact_p(z1, z2, 1e15) - 1) > 1e3 * EPS
    # limits: L -> inf gives 0, L -> 0 gives 0 (decayed before z1 > 0) or 1 from z1 = 0; never NaN/inf
    Ls = np.array([0.0, 1e-300, 1e-3, 1.0, 1e300, np.inf])
    zs = np.array([0.0, 1e-300, 1.0, 1e5])
    P = decay.decay_probability(zs[:, None, None], zs[None, :, None] + zs[:, None, None], Ls[None, None, :])
    assert np.all(np.isfinite(P)) and np.all((P >= 0) & (P <= 1))
    assert float(decay.decay_probability(0.0, 1.0, 0.0)) == 1.0
    assert float(decay.decay_probability(1.0, 2.0, 0.0)) == 0.0
    assert float(decay.decay_probability(0.0, 1.0, np.inf)) == 0.0
    # the pieces add up: P(0, z) + exp(-z/L) = 1
    assert float(decay.decay_probability(0.0, 700.0, 300.0) + decay.survival_probability(700.0, 300.0)) \
        == pytest.approx(1.0, rel=4 * EPS)
    with pytest.raises(InputError, match="z2_cm"):
        decay.decay_probability(2.0, 1.0, 10.0)


def test_kept_fraction_limits_and_the_model():
    """kept = BR_inv + BR_vis exp(-d/L): L -> inf (tiny couplings) gives 1, L -> 0 (large couplings) gives
    BR(S -> chi chi-bar) of the model (Eq. 2.5 of the NA64-mu paper); in between the closed form with
    L = (p/m) hbar c / Gamma_S written out here."""
    m, d = 0.1, 1484.2
    E = np.array([30.0, 100.0])
    long_lived = LeptophilicScalar.from_preset("lepton-specific", m, 1e-9, g_chi=1e-9)
    assert np.allclose(decay.missing_energy_fraction(long_lived, E, d), 1.0, rtol=0, atol=1e-9)
    short = LeptophilicScalar.from_preset("lepton-specific", m, np.array([1e-2, 0.3]), g_chi=1e-3)
    f = decay.missing_energy_fraction(short, E[:, None], d)
    # the two widths are summed in another order than total_width(): a few ulp
    assert np.allclose(f, short.br_invisible()[None, :], rtol=8 * EPS, atol=0)
    mid = LeptophilicScalar.from_preset("lepton-specific", m, np.array([1e-4, 4e-4, 3e-3]), g_chi=1e-8)
    gt = np.asarray(mid.total_width())
    L = np.sqrt(100.0 ** 2 - m * m) / m * HBARC_GEV_CM / gt
    ref = mid.br_invisible() + (1 - mid.br_invisible()) * np.exp(-d / L)
    assert 0.05 < np.exp(-d / L)[1] < 0.95  # the interesting regime is covered
    got = decay.missing_energy_fraction(mid, 100.0, d)
    assert np.allclose(got, ref, rtol=64 * EPS * max(1.0, float(np.max(d / L))), atol=0)
    # extreme but valid inputs: never NaN/inf, always in [0, 1]
    ws = np.array([0.0, 1e-300, 1e-20, 1.0, 1e3])
    f = decay.kept_fraction(ws[:, None, None, None], ws[None, :, None, None],
                            m, np.array([m, m * (1 + 4 * EPS), 1e4])[None, None, :, None],
                            np.array([0.0, 1e-300, 1e5])[None, None, None, :])
    assert np.all(np.isfinite(f)) and np.all((f >= 0) & (f <= 1 + 4 * EPS))
    # width_visible is the sum of the visible channels, without the cancellation of Gamma_S - Gamma_chi
    br = mid.branching_ratios()
    assert np.allclose(mid.width_visible() / gt, br["e"] + br["mu"] + br["tau"] + br["gamma"], rtol=8 * EPS)


def test_mean_kept_fraction_equals_the_sum_written_out_event_by_event():
    """The blocked, sorted, truncated sum of mean_kept_fraction against sum_i w_i kept_i / sum_i w_i
    with kept_i from kept_fraction one event at a time (incl. a scalar made at rest: u = inf)."""
    rng = np.random.default_rng(7)
    m = 0.05
    E = np.concatenate([m + rng.exponential(40.0, 500), [m]])
    dist = rng.uniform(1474.2, 1494.2, E.size)
    w = rng.random(E.size)
    gi = np.array([0.0, 1e-20, 3e-17, 1e-15, 1e-9])
    gv = np.array([5e-17, 1e-16, 1e-16, 0.0, 1e-12])
    u = decay.proper_distance_cm(m, E, dist)
    assert np.isinf(u[-1])
    got = decay.mean_kept_fraction(gi, gv, u, w)
    ref = [sum(w[i] * float(decay.kept_fraction(a, b, m, E[i], dist[i])) for i in range(E.size)) / w.sum()
           for a, b in zip(gi, gv)]
    # two summation orders of 501 positive terms: each within 501 EPS of the exact sum
    assert np.allclose(got, ref, rtol=rounding(1, 2 * 501), atol=0)
    assert got[3] == 1.0 and got[4] == pytest.approx(1e-9 / (1e-9 + 1e-12), rel=4 * EPS)


# ----------------------------------------------------------------------------------- geometry
def test_last_calorimeter_of_the_shipped_setups():
    """The rule's distance: end of the furthest-downstream ecal/hcal element of the setup file."""
    mu, e = load_setup("na64mu"), load_setup("na64e")
    assert (mu.last_calorimeter.name, mu.last_calorimeter.z_end_cm) == ("HCAL3", pytest.approx(1355.0 + 139.2))
    assert (e.last_calorimeter.name, e.last_calorimeter.z_end_cm) == ("HCAL2", pytest.approx(350.0 + 139.2))
    # thin target (20 cm from the front of the active target at z = 0): production at z = 10 cm
    assert na64mu.decay_distance_cm(mu, 20.0) == pytest.approx(1494.2 - 10.0, rel=4 * EPS)
    assert na64mu.ThinTarget.from_setup("na64mu").decay_distance_cm == pytest.approx(1484.2, rel=4 * EPS)


# ----------------------------------------------------------------------------------- thin-target provider
def _tt():
    return na64mu.ThinTarget.from_setup("na64mu", dedy_gev_per_cm=12.7e-3)


def test_monochromatic_spectrum_gives_the_closed_form_fraction():
    """A delta-function S energy: the provider-level yield divided by its g^2 production equals
    BR_inv + BR_vis exp(-d/L) with L = (p/m) hbar c / Gamma_S, for couplings from L >> d to L << d."""
    tt, m, E_S, w = _tt(), 0.1, 80.0, 2.5
    spec = na64mu.ProductionSpectrum(m, np.array([E_S]), np.array([w]), w)
    g = np.geomspace(1e-5, 1e-1, 9)
    model = LeptophilicScalar.from_preset("lepton-specific", m, g, g_chi=1e-8)
    N = na64mu.yield_from_spectrum(model, 1e12, tt, spec)
    frac = N / (1e12 * tt.n_atoms / tt.dedy_gev_per_cm * w * PB_TO_CM2 * g ** 2)
    L = math.sqrt(E_S ** 2 - m ** 2) / m * HBARC_GEV_CM / np.asarray(model.total_width())
    closed = model.br_invisible() + (1 - model.br_invisible()) * np.exp(-tt.decay_distance_cm / L)
    x = tt.decay_distance_cm / L
    assert x.min() < 1e-2 and x.max() > 1e3  # both limits are in the scan
    assert np.allclose(frac, closed, rtol=64 * EPS * np.maximum(1.0, np.minimum(x, 745.0)), atol=1e-300)
    assert frac[0] == pytest.approx(1.0, abs=1e-2) and frac[-1] == pytest.approx(model.br_invisible()[-1], rel=rounding(8, 8))  # exp -> 0: a 5-width sum (cond <= 8) and a division
    # without a decay distance the yield is Eq. (3.1) as printed (BR_inv only)
    tt0 = na64mu.ThinTarget()
    assert np.array_equal(na64mu.yield_from_spectrum(model, 1e12, tt0, spec),
                          na64mu.yield_from_integral(model, 1e12, tt0, w))


def test_shipped_config_limits_do_not_change():
    """na64mu-leptophilic (g_chi = 1, m_chi = m_S/3): S -> chi chi-bar dominates the width, the S decays
    within a micron (L at the limit <= 1.1e-4 cm at every shipped mass), so exp(-d/L) = 0 and the limit
    is that of BR_inv alone (yield_from_integral) to rounding, at every sixth shipped mass, both exposures."""
    cfg = load_config("na64mu-leptophilic")
    prov = get_provider("na64mu-thin-target")
    opts = {k: v for k, v in cfg.provider.items() if k != "name"}
    tt = na64mu.ThinTarget.from_setup(cfg.loaded_setup, **{k: v for k, v in opts.items() if k != "order"})
    longest = 0.0
    for m in cfg.masses[::6]:
        pt = prov.make(m, cfg.model, opts, None, cfg.loaded_setup)
        integral = pt.info["production_integral_pb_gev"]
        for E in cfg.exposures:
            new = find_limits(lambda g: pt.events(g, E), 3.0, cfg.coupling["min"], cfg.coupling["max"])

            def old(g):
                mod = LeptophilicScalar.from_preset("muon-specific", m, g, g_chi=1.0, mchi_ratio=3.0)
                return np.asarray(na64mu.yield_from_integral(mod, E, tt, integral), float)

            ref = find_limits(old, 3.0, cfg.coupling["min"], cfg.coupling["max"])
            assert new.status == ref.status == "excluded" and math.isnan(new.upper)
            # the two yields differ by rounding only (exp(-d/L) is exactly 0 here): <= 64 roundings, halved at a
            # root of N ~ g^2, and brentq takes the same steps
            assert new.lower == pytest.approx(ref.lower, rel=rounding(1, 64))
            mod = LeptophilicScalar.from_preset("muon-specific", m, new.lower, g_chi=1.0, mchi_ratio=3.0)
            longest = max(longest, float(decay.decay_length_cm(m, 150.0, mod.total_width())))
    assert longest < 1e-3  # cm (measured 1.8e-4 at m_S = 1 MeV, 150 GeV, the most boosted S): d/L > 1e6


def test_upper_edge_appears_when_the_invisible_plateau_is_low():
    """With g_chi << g_mu the invisible yield tends to the plateau A Gamma_chi/B (production ~ g^2 times
    BR_inv ~ Gamma_chi/(B g^2)); the visible decays beyond the last calorimeter add A g^2 <exp(-d/L)>, which
    rises and falls.  g_chi = 1e-3: the plateau (1e2-1e5 events at 1e12 MOT) stays above N = 3, no upper edge,
    and N(g = 1) is the closed form.  g_chi = 1e-8 (lepton-specific, S -> e e below 2 m_mu): the excluded band
    closes; its lower edge is sqrt(3/A) (every S escapes) and its upper edge lies between the Lambert-W upper
    branches of A x exp(-c x) (x = g^2) for the spectrum's most and least boosted S."""
    st = load_setup("na64mu")
    prov = get_provider("na64mu-thin-target")
    opts = {"dedy_gev_per_cm": 12.7e-3, "x_min": 1 / 3, "method": "iww", "form_factor": "atomic-nuclear"}
    tt = _tt()
    mot, n_req = 1e12, 3.0
    for m in (0.01, 0.1):
        # g_chi = 1e-3: a plateau, no window
        model = {"name": "leptophilic", "pattern": "lepton-specific", "g_chi": 1e-3, "mchi_ratio": 3.0}
        pt = prov.make(m, model, opts, None, st)
        res = find_limits(lambda g: pt.events(g, mot), n_req, 1e-7, 1.0, upper_edge=True)
        assert res.status == "excluded" and math.isnan(res.upper)
        A = mot * tt.n_atoms / tt.dedy_gev_per_cm * pt.info["production_integral_pb_gev"] * PB_TO_CM2
        one = LeptophilicScalar.from_preset("lepton-specific", m, 1.0, g_chi=1e-3)
        gc, gv = float(one.width_chichi()), float(one.width_visible())
        assert float(pt.events(np.array([1.0]), mot)[0]) == pytest.approx(A * gc / (gc + gv), rel=rounding(1, 32))  # products of ~10 factors, two routes
        # g_chi = 1e-8: the window
        model = dict(model, g_chi=1e-8)
        pt = prov.make(m, model, opts, None, st)
        res = find_limits(lambda g: pt.events(g, mot), n_req, 1e-7, 1.0, upper_edge=True)
        assert res.status == "excluded-window" and pt.upper_edge
        assert res.lower == pytest.approx(math.sqrt(n_req / A), rel=1e-2)  # nearly every S escapes
        spec = na64mu.production_spectrum(m, tt)
        B = float(LeptophilicScalar.from_preset("lepton-specific", m, 1.0, g_chi=0.0).total_width())  # Gamma_vis/g^2
        p = np.sqrt(spec.energy_gev ** 2 - m * m)
        c = B * tt.decay_distance_cm * m / (p * HBARC_GEV_CM)  # d/L = c g^2 for each S
        x_lo = [-float(lambertw(-ci * n_req / A, 0).real) / ci for ci in (c.min(), c.max())]
        x_up = [-float(lambertw(-ci * n_req / A, -1).real) / ci for ci in (c.max(), c.min())]
        assert math.sqrt(x_lo[0]) < res.lower < math.sqrt(x_lo[1])
        assert math.sqrt(x_up[0]) < res.upper < math.sqrt(x_up[1])
        assert res.upper / res.lower > 10.0


def test_visible_only_scalar_gives_a_window_with_the_invisible_channel_closed():
    """m_chi = m_S/1.5 > m_S/2: no S -> chi chi-bar; before decays in flight the yield was 0, now the
    muon-specific S -> gamma gamma (the loop of Eq. 2.4) beyond the last calorimeter gives a window."""
    prov = get_provider("na64mu-thin-target")
    model = {"name": "leptophilic", "pattern": "muon-specific", "g_chi": 1.0, "mchi_ratio": 1.5}
    pt = prov.make(0.1, model, {}, None, load_setup("na64mu"))
    res = find_limits(lambda g: pt.events(g, 1e12), 3.0, 1e-7, 1.0, upper_edge=True)
    assert res.status == "excluded-window" and 1e-5 < res.lower < res.upper < 0.1


# ----------------------------------------------------------------------------------- simulation provider
def test_simulation_provider_averages_the_kept_fraction_over_selected_events(monkeypatch):
    """na64mu-simulation: N(g) = per MOT x MOT x (g/g_ref)^2 x sum_sel w_i kept_i / sum_sel w_i, written out
    here event by event from the selected events (S energy, vertex -> end of HCAL3 distance).  The chain runs
    once: the provider is handed this test's simulation."""
    from leptoportal.analysis import signal

    st = load_setup("na64mu")
    prov = get_provider("na64mu-simulation")
    model = {"name": "leptophilic", "pattern": "lepton-specific", "g_chi": 1e-8, "mchi_ratio": 3.0}
    opts = prov.validate({"events": 1000}, model)
    res = signal.simulate_signal_muon_beam(st, 0.1, opts["reference_coupling"], events=1000, seed=3,
                                           method=opts["method"], preset="lepton-specific",
                                           form_factor=opts["form_factor"])
    monkeypatch.setattr(signal, "simulate_signal_muon_beam", lambda *a, **k: res)
    pt = prov.make(0.1, model, opts, np.random.SeedSequence(3), st)
    assert pt.upper_edge and pt.info["decay_distance_cm_mean"] == pytest.approx(1484.2, abs=10.0)
    sel = selected_scalars(res, st)
    assert sel["weight"].size == int(np.count_nonzero(res.arrays["mask"])) > 100
    assert np.all((sel["distance_cm"] >= 1494.2 - 20.0 - 1e-9) & (sel["distance_cm"] <= 1494.2 + 1e-9))
    per_mot = res.yield_per_eot * res.efficiency
    g = np.array([1e-5, 1e-3, 3e-3, 1e-1])
    got = pt.events(g, 1e12)
    for gi, n in zip(g, got):
        mod = LeptophilicScalar.from_preset("lepton-specific", 0.1, gi, g_chi=1e-8)
        kept = [float(decay.kept_fraction(mod.width_chichi(), mod.width_visible(), 0.1, e, d))
                for e, d in zip(sel["energy_gev"], sel["distance_cm"])]
        ref = per_mot * 1e12 * (gi / opts["reference_coupling"]) ** 2 * np.dot(sel["weight"], kept) / sel["weight"].sum()
        # sums of positive terms over the selected events (cond 1): <= 4 roundings per event
        assert n == pytest.approx(ref, rel=rounding(1, 4 * sel["weight"].size))
    assert got[2] < got[1]  # visible decays inside the detector: the yield falls again


def test_reach_scan_reports_the_upper_edge_of_the_real_provider(tmp_path):
    """The engine end to end: the shipped na64mu-leptophilic config with the invisible channel closed
    (m_chi = m_S/1.5) and the lepton-specific pattern: reach.csv carries both edges (status
    excluded-window) from the na64mu-thin-target provider at two masses below 2 m_mu, and no
    warning about an undeclared upper edge; the edges are those find_limits gives on the provider."""
    import copy

    from leptoportal.reach import parse_config, read_reach_csv, run_scan

    cfg = load_config("na64mu-leptophilic")
    raw = copy.deepcopy(cfg.raw) | {"setup": "na64mu"}
    raw["model"] = {"name": "leptophilic", "pattern": "lepton-specific", "g_chi": 1.0, "mchi_ratio": 1.5}
    raw["masses"] = [0.01, 0.1]
    raw["overlays"] = []
    raw.pop("plot", None)
    c = parse_config(raw, name="visible-window")
    res = run_scan(c, tmp_path, progress=False, quiet=True, overlays=False)
    assert not any("monotonic" in w for w in res.warnings)
    _, rows = read_reach_csv(tmp_path / "reach.csv")
    assert len(rows) == 4
    prov = get_provider("na64mu-thin-target")
    for r in rows:
        assert r["status"] == "excluded-window" and r["coupling_limit"] < r["coupling_upper_edge"]
        pt = prov.make(r["mass_gev"], c.model, {k: v for k, v in c.provider.items() if k != "name"}, None,
                       c.loaded_setup)
        ref = find_limits(lambda g: pt.events(g, r["exposure"]), 3.0, c.coupling["min"], c.coupling["max"])
        assert r["coupling_upper_edge"] == pytest.approx(ref.upper, rel=1e-9)
        assert "decay_distance_cm=1484.2" in r["info"]
