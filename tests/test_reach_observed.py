"""Observed limits in the reach scan (``observed_events``): the observed limit beside the median
expected one, checked against closed forms that do not go through leptoportal.stats.

Closed forms (single-bin counting, background b known exactly, Read 2002):
  CLs(s; n) = P(N <= n | s + b) / P(N <= n | b) = exp(-s) sum_{k<=n} (s+b)^k/k! / sum_{k<=n} b^k/k!
  and the limit s_up solves CLs = 1 - CL.  For n = 0, CLs = exp(-s) for every b: s_up = -ln(1 - CL).
  The median expected limit is the limit at the median background-only count.
  toy-power-law: N = A E g^2 (m/m0)^-k, so the coupling where N = N_req is g = sqrt(N_req (m/m0)^k / (A E)).
"""

from __future__ import annotations

import json
import math
import zlib

import pytest
from scipy import optimize

from leptoportal import cli
from leptoportal.errors import InputError
from leptoportal.reach import parse_config, read_reach_csv, run_scan

#: solver setting of the reference roots (not a comparison tolerance: those are >= 1e-8 here)
REFERENCE_ROOT = {"xtol": 1e-14, "rtol": 4 * 2.220446049250313e-16}  # 4 ulp (EPS), the least brentq accepts

A, E, CL = 1e-3, 1e10, 0.9
MASSES = [0.1, 0.3, 1.0]


def raw_config(b_per_exposure=0.0, method="poisson", **top):
    raw = {"title": "obs", "setup": "none", "exposures": [E], "cl": CL, "seed": 3, "model": {"name": "toy"},
           "statistics": {"method": method}, "masses": MASSES, "coupling": {"min": 1e-8, "max": 1.0},
           "provider": {"name": "toy-power-law", "A": A}, **top}
    if b_per_exposure:
        raw["background"] = {"source": "fixed", "per_exposure": b_per_exposure}
    return raw


def g_power_law(n_req: float, m: float) -> float:
    return math.sqrt(n_req * m**2 / (A * E))  # k = 2, m0 = 1


def poisson_cdf(n: int, lam: float) -> float:
    return math.exp(-lam) * sum(lam**k / math.factorial(k) for k in range(n + 1))


def cls_limit(n: int, b: float, cl: float = CL) -> float:
    """s with CLs(s; n, b) = 1 - cl, from the explicit Poisson sums."""
    p_b = poisson_cdf(n, b)
    return optimize.brentq(lambda s: poisson_cdf(n, s + b) / p_b - (1 - cl), 0.0, 100.0, **REFERENCE_ROOT)


def scan(tmp_path, raw, name="out"):
    return run_scan(parse_config(raw), tmp_path / name, progress=False, quiet=True, overlays=False)


def test_zero_observed_zero_background_equals_expected(tmp_path):
    """b = 0, n = 0: the observed and the median expected limit are both -ln(1 - CL) = ln 10 events."""
    res = scan(tmp_path, raw_config(observed_events=0))
    for r in res.rows:
        closed = g_power_law(math.log(10.0), r["mass_gev"])
        # reach.csv holds 12 significant digits: relative rounding <= 5e-12
        assert r["n_required_observed"] == pytest.approx(math.log(10.0), rel=1e-11)
        assert r["coupling_limit_observed"] == pytest.approx(closed, rel=1e-8)
        assert r["coupling_limit"] == pytest.approx(closed, rel=1e-8)
        assert r["status_observed"] == "excluded" and math.isnan(r["coupling_upper_edge_observed"])
    # background-free method, 2 events observed: exp(-s)(1 + s + s^2/2) = 0.1 -> s = 5.322 (b = 0)
    raw = raw_config(method="background-free", observed_events=[2])
    raw["statistics"]["rule"] = "exact"
    res = scan(tmp_path, raw, "bf")
    s2 = optimize.brentq(lambda s: math.exp(-s) * (1 + s + s * s / 2) - 0.1, 0.0, 50.0, **REFERENCE_ROOT)
    assert s2 == pytest.approx(5.322, abs=1e-3)
    for r in res.rows:
        assert r["n_required_observed"] == pytest.approx(s2, rel=1e-9)
        assert r["coupling_limit_observed"] == pytest.approx(g_power_law(s2, r["mass_gev"]), rel=1e-8)
        assert r["coupling_limit"] == pytest.approx(g_power_law(math.log(10.0), r["mass_gev"]), rel=1e-8)


@pytest.mark.parametrize("n_obs", [1, 9])
def test_observed_below_background_is_stronger_above_weaker(tmp_path, n_obs):
    """b = 5 events: the median background-only count is 5 (P(N <= 4) = 0.440 < 1/2 <= P(N <= 5) = 0.616);
    1 observed event gives a stronger (lower) coupling limit than expected, 9 a weaker one."""
    b = 5.0
    assert poisson_cdf(4, b) < 0.5 <= poisson_cdf(5, b)
    s_exp, s_obs = cls_limit(5, b), cls_limit(n_obs, b)
    res = scan(tmp_path, raw_config(b / E, observed_events=n_obs))
    (req,) = res.required
    assert req.n_required == pytest.approx(s_exp, rel=1e-8)
    assert req.n_required_observed == pytest.approx(s_obs, rel=1e-8)
    for r in res.rows:
        assert r["background_events"] == pytest.approx(b) and r["stat_method"] == "poisson"
        assert r["coupling_limit"] == pytest.approx(g_power_law(s_exp, r["mass_gev"]), rel=1e-8)
        assert r["coupling_limit_observed"] == pytest.approx(g_power_law(s_obs, r["mass_gev"]), rel=1e-8)
        if n_obs < b:
            assert r["coupling_limit_observed"] < r["coupling_limit"]
        else:
            assert r["coupling_limit_observed"] > r["coupling_limit"]
    info = json.loads((tmp_path / "out" / "reach.json").read_text())
    assert info["observed_events"] == [n_obs]
    assert info["statistics"][0]["n_required_observed"] == pytest.approx(s_obs, rel=1e-8)
    # the end-of-run summary has the observed column beside the expected one
    from leptoportal.cli.reach import summary_table

    text = summary_table(parse_config(raw_config(b / E, observed_events=n_obs)), res)
    head = text.splitlines()[1]
    assert "expected 1e+10 EOT" in head and "observed 1e+10 EOT" in head
    assert f"{res.rows[0]['coupling_limit_observed']:.4g}" in text.splitlines()[2]


def test_empty_neyman_interval_is_below_range_and_said(tmp_path):
    """Neyman, n = 0 over b = 5: P(N = 0 | s + b) = exp(-(s + b)) = 1 - CL has s = ln 10 - 5 < 0, i.e. the
    count excludes even s = 0; the observed limit is then below-range (every coupling), not a number."""
    res = scan(tmp_path, raw_config(5.0 / E, method="neyman", observed_events=0))
    (req,) = res.required
    assert math.log(10.0) - 5.0 < 0 and req.n_required_observed == 0.0 and "interval is empty" in req.reason_observed
    for r in res.rows:
        assert r["status_observed"] == "below-range" and math.isnan(r["coupling_limit_observed"])
        assert r["status"] == "excluded"  # the median expected limit (n = 5) is a number


def test_toys_share_their_pseudo_experiments():
    """method = toys: the observed count equal to the median background-only count (5 for b = 5) gives
    the expected N_req exactly, because both limits are computed from the same pseudo-experiments."""
    from leptoportal.reach import required_signal

    raw = raw_config(5.0 / E, method="toys", observed_events=5)
    raw["statistics"]["n_toys"] = 2000
    req = required_signal(parse_config(raw), E, {"per_exposure": 5.0 / E, "sigma_rel": 0.0})
    assert req.method == "toys" and req.n_required_observed == req.n_required
    assert req.n_required == pytest.approx(cls_limit(5, 5.0), rel=0.1)  # 2000 toys: a few % Monte-Carlo error


def test_without_observation_the_columns_are_nan_and_a_legacy_table_resumes(tmp_path):
    raw = raw_config(5.0 / E)
    full = scan(tmp_path, raw, "full")
    text = (tmp_path / "full" / "reach.csv").read_text()
    assert "# observed_events: none" in text
    header = next(ln for ln in text.splitlines() if not ln.startswith("#")).split(",")
    assert {"coupling_limit_observed", "coupling_upper_edge_observed", "status_observed"} <= set(header)
    for r in full.rows:
        assert math.isnan(r["coupling_limit_observed"]) and math.isnan(r["coupling_upper_edge_observed"])
        assert r["status_observed"] == "no-observation" and math.isfinite(r["coupling_limit"])
    # a partial table written in the format without observed columns (its rows re-checksummed)
    part = tmp_path / "part"
    run_scan(parse_config(raw), part, progress=False, quiet=True, overlays=False, max_points=2)
    cols = None
    out = []
    for ln in (part / "reach.csv").read_text().splitlines():
        if ln.startswith("#"):
            out.append(ln)
            continue
        fields = ln.split(",")
        if cols is None:
            cols = fields
            keep = [i for i, c in enumerate(cols) if not c.endswith("_observed")]
            out.append(",".join(cols[i] for i in keep))
            continue
        t = ",".join(fields[i] for i in keep[:-1])
        out.append(f"{t},{zlib.crc32(t.encode()):08x}")
    (part / "reach.csv").write_text("\n".join(out) + "\n")
    meta, rows = read_reach_csv(part / "reach.csv")
    assert meta["format"].startswith("legacy") and len(rows) == 2 and rows[0]["status_observed"] == "no-observation"
    res = run_scan(parse_config(raw), part, progress=False, quiet=True, overlays=False, resume=True)
    assert res.complete and res.timings["points_resumed"] == 2
    assert (part / "reach.csv").read_text() == text  # rewritten in the current format, same numbers
    # a config with an observation is another input: the old table is not continued
    with pytest.raises(InputError, match="observed_events"):
        run_scan(parse_config(raw_config(5.0 / E, observed_events=0)), part, progress=False, quiet=True,
                 overlays=False, resume=True)


BAD = [
    ({"statistics": {"method": "poisson", "n_obs": 0}}, "statistics.n_obs", "observed_events"),
    ({"observed_events": -1}, "observed_events", "integer >= 0"),
    ({"observed_events": 1.5}, "observed_events", "integer >= 0"),
    ({"observed_events": True}, "observed_events", "integer >= 0"),
    ({"observed_events": "0"}, "observed_events", "integer >= 0"),
    ({"observed_events": [0, 0]}, "observed_events", "one count per exposure"),
    ({"exposures": [1e10, 1e11], "observed_events": 0}, "observed_events", "exactly one exposure"),
    ({"exposures": [1e10, 1e11], "observed_events": [0, -2]}, "observed_events[1]", "integer >= 0"),
    ({"cl": 0.95, "statistics": {"method": "background-free", "rule": "3events"}, "observed_events": 1},
     "observed_events", "3events"),
]


@pytest.mark.parametrize("patch,key,words", BAD, ids=[b[1] + ":" + repr(list(b[0].values())[-1]) for b in BAD])
def test_loader_rejects_n_obs_and_malformed_observed_events(patch, key, words):
    with pytest.raises(InputError) as exc:
        parse_config({**raw_config(), **patch})
    assert exc.value.parameter == key and words in exc.value.message


def test_cli_names_the_new_key_and_refuses_overriding_an_observed_runs_exposure(tmp_path, capsys):
    cfg_path = tmp_path / "old.toml"
    cfg_path.write_text('setup = "none"\nexposures = [1e10]\nmasses = [0.1]\n[model]\nname = "toy"\n'
                        '[statistics]\nmethod = "poisson"\nn_obs = 0\n[provider]\nname = "toy-power-law"\n')
    assert cli.main(["reach", str(cfg_path), "--output", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "statistics.n_obs" in err and "observed_events" in err
    cfg = parse_config(raw_config(observed_events=0))
    with pytest.raises(InputError, match="observed_events") as exc:
        cfg.with_overrides(exposures=[1e12])
    assert exc.value.parameter == "--exposure"
    assert cfg.with_overrides(masses=[0.2]).observed_events == (0,)


def test_plot_draws_the_observed_limit_solid_beside_the_dashed_expected(tmp_path, monkeypatch):
    from matplotlib.colors import to_hex

    import leptoportal.plots.reach as plot_mod

    figs = []
    real = plot_mod.save_figure
    monkeypatch.setattr(plot_mod, "save_figure", lambda fig, path, **kw: (figs.append(fig), real(fig, path, **kw)))
    raw = raw_config(5.0 / E, observed_events=1)
    cfg = parse_config(raw)
    res = scan(tmp_path, raw)
    plot_mod.plot_reach(cfg, res.rows, [], tmp_path / "out")
    ax = figs[0].axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    (exp_label,) = [k for k in lines if "expected" in k]
    (obs_label,) = [k for k in lines if "observed" in k]
    assert lines[obs_label].get_linestyle() == "-" and lines[exp_label].get_linestyle() == "--"
    assert to_hex(lines[obs_label].get_color()) == to_hex(lines[exp_label].get_color()) == to_hex(cfg.plot["curve_color"])
    assert list(lines[obs_label].get_ydata()) == [r["coupling_limit_observed"] for r in res.rows]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert exp_label in legend and obs_label in legend and "1 event" in obs_label


def test_json_schema_accepts_a_count_or_a_list_and_refuses_text():
    import jsonschema

    from leptoportal.reach.schema import json_schema

    v = jsonschema.Draft202012Validator(json_schema())
    assert not list(v.iter_errors(raw_config(observed_events=0)))
    assert not list(v.iter_errors(raw_config(observed_events=[0])))
    assert list(v.iter_errors(raw_config(observed_events="0")))
    assert list(v.iter_errors({**raw_config(), "statistics": {"method": "poisson", "n_obs": 0}}))
