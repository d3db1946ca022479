"""The registry of constraints: each entry's intervals checked against something independent (the
forward calculation it inverts, a closed-form scaling), user limit files, and the CLI's JSON Lines."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from leptoportal.cli import main
from leptoportal.constraints import g2
from leptoportal.constraints.registry import (MODELS, ModelChoice, constraints_for, get_constraint, load_limit_file,
                                              registered_ids)
from leptoportal.domains import COUPLING_MAX
from leptoportal.errors import InputError
from leptoportal.models.leptophilic import LeptophilicScalar
from tolerances import rounding

MASSES = [0.01, 0.3, 2.0]


@pytest.mark.parametrize("model, kind", [("muon-specific", "diagonal"), ("lfv", "lfv")])
def test_g2_band_edges_reproduce_the_measured_delta_a_mu(model, kind):
    det = g2.get_g2_determination()
    ivs = get_constraint("g2-band").intervals(model, [0.2, 1.0, 5.0])
    for m, iv in zip([0.2, 1.0, 5.0], ivs):
        (lo, hi), = iv
        # the forward calculation at the edges gives central -/+ 2 sigma
        assert g2.delta_a_mu(m, lo, kind) == pytest.approx(det.value - 2 * det.sigma, rel=1e-8)
        assert g2.delta_a_mu(m, hi, kind) == pytest.approx(det.value + 2 * det.sigma, rel=1e-8)
        # Delta a_mu is quadratic in the coupling: the edges' ratio is fixed without any loop integral
        assert hi / lo == pytest.approx(math.sqrt((det.value + 2 * det.sigma) / (det.value - 2 * det.sigma)), rel=1e-8)
    excl = get_constraint("g2-excluded").intervals(model, [1.0])[0]
    assert excl[0][1] == COUPLING_MAX
    assert g2.delta_a_mu(1.0, excl[0][0], kind) == pytest.approx(det.value + 5 * det.sigma, rel=1e-8)


def test_g2_lfv_needs_m_phi_above_m_mu_minus_m_e():
    assert get_constraint("g2-band").intervals("lfv", [0.05])[0] == []
    assert get_constraint("g2-excluded").intervals("lfv", [0.05])[0] == []


def test_sidm_boundary_follows_the_m_S_cubed_scaling():
    """sigma_T/m_chi of Eq. (2.10) ~ g_chi^4 m_chi/m_S^4 ~ m_S^-3 at fixed m_S/m_chi: the boundary
    mass is (sigma_T/m at 1 GeV / limit)^(1/3) GeV, a closed form the root finder never sees."""
    from leptoportal.constraints.darkmatter import sidm_sigma_t_over_m

    for g_chi in (0.5, 1.0, 2.0):
        m_star = (float(sidm_sigma_t_over_m(g_chi, 1.0 / 3.0, 1.0)) / 1.0) ** (1.0 / 3.0)
        ms = [m_star * 0.99, m_star * 1.01]
        got = get_constraint("sidm").intervals(ModelChoice("muon-specific", g_chi=g_chi), ms)
        assert got[0] == [[1e-12, COUPLING_MAX]] and got[1] == []


def test_relic_target_gives_the_observed_density():
    from leptoportal.constraints.relic import omega_h2

    (iv,) = get_constraint("relic").intervals("lepton-specific", [0.3])
    (g, g_same), = iv
    assert g == g_same
    model = LeptophilicScalar.from_preset("lepton-specific", 0.3, g, mchi_ratio=3.0)
    assert omega_h2(model) == pytest.approx(0.12, rel=2e-3)


def test_every_entry_evaluates_for_every_model_it_applies_to(tmp_path):
    assert {"g2-band", "g2-excluded", "relic", "sidm", "k-mu-nu-s", "mu-decay", "tau-decay", "z-gamma-s",
            "z-tau-tau-s", "monophoton-babar", "monophoton-belle2", "tera-z"} <= set(registered_ids())
    alp = tmp_path / "alp.csv"  # the mono-photon entries convert a user's g_agammagamma(m) curve
    alp.write_text("# source: toy\n# cl: 0.9\n# licence: CC0-1.0\nmass_gev,g_agg_per_gev\n0.01,1e-5\n3,1e-4\n")
    for model in MODELS:
        for c in constraints_for(model):
            if c.id == "reach-csv":  # needs another run's reach.csv: tests/test_lfv_constraints.py
                continue
            ivs = c.intervals(model, MASSES, **({"alp_file": str(alp)} if "alp_file" in c.params else {}))
            assert len(ivs) == len(MASSES)
            for iv in ivs:
                for lo, hi in iv:
                    assert 0 < lo <= hi <= COUPLING_MAX and math.isfinite(lo)
    with pytest.raises(InputError, match="model"):
        get_constraint("relic").intervals("lfv", [1.0])
    with pytest.raises(InputError, match="mass"):
        get_constraint("g2-band").intervals("muon-specific", [1e3])


def _limit_file(path, header, rows):
    path.write_text("".join(f"# {k}: {v}\n" for k, v in header.items()) + "\n".join(rows) + "\n")
    return path


HEADER = {"source": "a test curve", "cl": "0.9", "model": "muon-specific", "licence": "CC-BY-4.0"}


def test_user_limit_file_interpolates_in_log_log_and_states_its_source(tmp_path):
    f = _limit_file(tmp_path / "mine.csv", HEADER, ["mass_gev,coupling", "0.01,1e-3", "1.0,1e-1"])
    c = load_limit_file(f)
    assert c.kind == "user file" and c.role == "excluded" and "CC-BY-4.0" in c.source and "0.9" in c.source
    ivs = c.intervals("muon-specific", [0.01, 0.1, 1.0, 2.0])
    assert ivs[0] == [[pytest.approx(1e-3), COUPLING_MAX]]
    assert ivs[1][0][0] == pytest.approx(1e-2, rel=rounding(2, 16))  # the geometric midpoint: exp of a log-linear interpolation
    assert ivs[3] == []  # outside the file's masses nothing applies
    two = _limit_file(tmp_path / "band.csv", {**HEADER, "role": "favoured"},
                      ["mass_gev,coupling_low,coupling_high", "0.1,1e-4,2e-4", "1,1e-3,2e-3"])
    assert load_limit_file(two).intervals("muon-specific", [1.0])[0] == [[pytest.approx(1e-3), pytest.approx(2e-3)]]


@pytest.mark.parametrize("header, rows, match", [
    ({k: v for k, v in HEADER.items() if k != "licence"}, ["mass_gev,coupling", "0.1,1e-3", "1,1e-2"], "licence"),
    ({**HEADER, "model": "vector"}, ["mass_gev,coupling", "0.1,1e-3", "1,1e-2"], "model"),
    (HEADER, ["mass,g", "0.1,1e-3", "1,1e-2"], "columns"),
    (HEADER, ["mass_gev,coupling", "1,1e-3", "0.1,1e-2"], "increasing"),
    (HEADER, ["mass_gev,coupling", "0.1,abc", "1,1e-2"], "line 6"),
    (HEADER, ["mass_gev,coupling", "0.1,20", "1,1e-2"], "line 6: coupling"),
    (HEADER, ["mass_gev,coupling", "0.1,1e-3", "1000,1e-2"], "line 7: mass"),
    ({**{k: v for k, v in HEADER.items() if k != "licence"}, "license": "MIT"}, ["mass_gev,coupling", "0.1,1e-3",
                                                                                "1,1e-2"], "licence"),
    ({**HEADER, "licens": "x"}, ["mass_gev,coupling", "0.1,1e-3", "1,1e-2"], "unknown header key"),
])
def test_user_limit_file_errors_name_what_is_wrong(tmp_path, header, rows, match):
    f = _limit_file(tmp_path / "bad.csv", header, rows)
    with pytest.raises(InputError, match=match):
        load_limit_file(f)


def test_cli_show_json_lines_and_errors(tmp_path, capsys):
    assert main(["constraints", "show", "g2-band", "--model", "muon-specific", "--mass", "0.1", "1", "--json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["mass_gev"] for r in recs] == [0.1, 1.0]
    for r in recs:
        assert r["role"] == "favoured" and r["kind"] == "computed" and r["source"] and len(r["intervals"]) == 1
    f = _limit_file(tmp_path / "mine.csv", HEADER, ["mass_gev,coupling", "0.01,1e-3", "1.0,1e-1"])
    assert main(["constraints", "show", "--file", str(f), "--model", "muon-specific", "--mass", "0.1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "user file"
    assert main(["constraints", "list", "--model", "lfv", "--json"]) == 0
    ids = [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()]
    assert "relic-lfv" in ids and "relic" not in ids
    for argv, flag in ((["constraints", "show", "nope", "--model", "lfv", "--mass", "1"], "ID"),
                       (["constraints", "show", "relic", "--model", "lfv", "--mass", "1"], "--model"),
                       (["constraints", "show", "g2-band", "--model", "lfv", "--mass", "1e9"], "--mass"),
                       (["constraints", "show", "sidm", "--model", "muon-specific", "--eps-r", "0.1", "--mass", "1"],
                        "--eps-r")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert flag in err and err.count("\n") == 1


def test_reach_configs_name_registry_constraints_and_limit_files_as_overlays(tmp_path, capsys):
    """[[overlays]] kind = a registry id (or "file" with a limit CSV beside the config) is drawn and
    written to reach_overlays.csv with the registry's numbers; a parameter it does not have, or a
    model it does not apply to, is refused at load."""
    import csv as _csv

    from leptoportal.reach.config import load_config

    assert main(["configs", "copy", "na64mu-leptophilic", str(tmp_path)]) == 0
    _limit_file(tmp_path / "mine.csv", HEADER, ["mass_gev,coupling", "0.01,1e-3", "1.0,1e-1"])
    cfg_path = tmp_path / "na64mu-leptophilic.toml"
    base = cfg_path.read_text()
    cfg_path.write_text(base + '\n[[overlays]]\nkind = "tau-decay"\n\n[[overlays]]\nkind = "file"\npath = "mine.csv"\n')
    out = tmp_path / "out"
    assert main(["reach", str(cfg_path), "--masses", "0.05", "0.5", "--exposure", "1e12", "--output", str(out),
                 "--no-progress"]) == 0
    rows = list(_csv.reader(line for line in (out / "reach_overlays.csv").read_text().splitlines()
                            if not line.startswith("#")))[1:]
    n = len(load_config(cfg_path).overlays)
    tau = [r for r in rows if int(float(r[0])) == n - 2]
    assert tau, "the tau-decay overlay is in reach_overlays.csv"
    m, lo = float(tau[0][1]), float(tau[0][2])
    # reach_overlays.csv holds 10 significant digits (fileio.write_csv)
    assert lo == pytest.approx(get_constraint("tau-decay").intervals("muon-specific", [m])[0][0][0], rel=1e-9)
    assert any(int(float(r[0])) == n - 1 for r in rows)  # the user's file
    capsys.readouterr()
    for extra, match in (('[[overlays]]\nkind = "tau-decay"\nn_sigma = 2.0\n', "n_sigma"),
                         ('[[overlays]]\nkind = "relic-lfv"\n', "overlays"),
                         ('[[overlays]]\nkind = "no-such"\n', "kind")):
        cfg_path.write_text(base + "\n" + extra)
        with pytest.raises(InputError, match=match):
            load_config(cfg_path)
