"""The shipped reach configs as a catalogue: ``leptoportal configs list|show|copy``; a copied
config and its setup load from their folder, and an edit of the copied setup is what the loader
reads."""

from __future__ import annotations

import json
import tomllib

import pytest

from leptoportal.cli import main
from leptoportal.detector.setup import load_setup
from leptoportal.reach.shipped import shipped_configs
from leptoportal.reach.config import load_config


def test_list_json_has_one_valid_object_per_config(capsys):
    assert main(["configs", "list", "--json"]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in recs] == shipped_configs()
    for r in recs:
        assert r["title"] and r["source"] and r["exposures"]
        assert r["masses_gev"]["min"] < r["masses_gev"]["max"]


def test_show_prints_the_config_the_loader_reads(capsys):
    assert main(["configs", "show", "na64e-lfv"]) == 0
    text = capsys.readouterr().out
    assert tomllib.loads(text)["setup"] == load_config("na64e-lfv").setup == "na64e"


@pytest.mark.parametrize("name", ["na64e-lfv", "na64mu-leptophilic"])
def test_copy_writes_config_and_setup_that_load_beside_each_other(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the copy must not depend on the working directory
    dest = tmp_path / "mine"
    assert main(["configs", "copy", name, str(dest)]) == 0
    shipped = load_config(name)
    copied = load_config(dest / f"{name}.toml")
    setup_file = dest / f"{shipped.setup}.toml"
    assert setup_file.is_file() and copied.setup == str(setup_file)
    assert copied.inputs() | {"setup": None} == shipped.inputs() | {"setup": None}
    # an edit of the copied setup is what is read
    text = setup_file.read_text()
    assert load_setup(copied.setup).beam.energy_gev == load_setup(shipped.setup).beam.energy_gev
    setup_file.write_text(text.replace("energy_gev = ", "energy_gev = 1", 1))
    assert load_setup(copied.setup).beam.energy_gev != load_setup(shipped.setup).beam.energy_gev


def test_copy_refuses_to_overwrite_and_names_bad_input(tmp_path, capsys):
    assert main(["configs", "copy", "na64e-lfv", str(tmp_path)]) == 0
    before = (tmp_path / "na64e-lfv.toml").read_bytes()
    assert main(["configs", "copy", "na64e-lfv", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "DIR" in err and "--force" in err and err.count("\n") == 1
    assert (tmp_path / "na64e-lfv.toml").read_bytes() == before
    assert main(["configs", "copy", "na64e-lfv", str(tmp_path), "--force"]) == 0
    assert main(["configs", "show", "no-such-config"]) == 2
    err = capsys.readouterr().err
    assert "NAME" in err and "na64e-lfv" in err


# ---------------------------------------------------------------- one rule: a field present is honoured
def _mutations(node, path=()):
    """(path, mutated value) for every leaf of a TOML document: numbers scaled, booleans flipped,
    strings changed, each number of a list scaled in turn."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _mutations(v, path + (k,))
    elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        for i, v in enumerate(node):
            yield from _mutations(v, path + (i,))
    elif isinstance(node, bool):
        yield path, not node
    elif isinstance(node, (int, float)):
        yield path, (node * 1.37 if node else 1.0) if isinstance(node, float) else node + 1
    elif isinstance(node, str):
        yield path, node + "-x"
    elif isinstance(node, list):
        for i, x in enumerate(node):
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                yield path, [y * 1.37 if j == i else y for j, y in enumerate(node)]


def _set(doc, path, value):
    import copy

    doc = copy.deepcopy(doc)
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


def _dump(doc) -> str:
    """A minimal TOML writer for the shipped files' shapes (tables, arrays of tables, inline values)."""
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    out = []

    def table(d, name):
        simple = {k: v for k, v in d.items() if not isinstance(v, dict) and not (
            isinstance(v, list) and v and all(isinstance(x, dict) for x in v))}
        if name:
            out.append(f"[{name}]")
        out.extend(f"{json.dumps(k)} = {val(v)}" for k, v in simple.items())
        for k, v in d.items():
            sub = f"{name}.{json.dumps(k)}" if name else json.dumps(k)
            if isinstance(v, dict):
                table(v, sub)
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                for x in v:
                    out.append(f"[[{sub}]]")
                    out.extend(f"{json.dumps(kk)} = {val(vv)}" for kk, vv in x.items())

    table(doc, "")
    return "\n".join(out) + "\n"


def _record(cfg):
    return json.dumps(cfg.to_dict(), sort_keys=True, default=repr)


@pytest.mark.parametrize("name", shipped_configs())
def test_every_key_of_a_shipped_config_is_honoured_or_rejected(name, tmp_path):
    """One rule: mutate any key of the config or of the setup it simulates; the load either fails
    (naming what is wrong) or the recorded block (inputs, resolved setup and provider values,
    labels) changes.  A key read by nobody would pass neither."""
    from leptoportal.errors import InputError
    from leptoportal.reach.shipped import shipped_config_text, shipped_setup_text

    raw = tomllib.loads(shipped_config_text(name))
    setup_raw = tomllib.loads(shipped_setup_text(raw["setup"]))
    (tmp_path / "setup.toml").write_text(_dump(setup_raw))
    base = load_config(_write(tmp_path / "c.toml", _dump({**raw, "setup": "setup.toml"})))
    ref = _record(base)
    assert _record(load_config(tmp_path / "c.toml")) == ref  # the record is deterministic
    ignored, n_loaded = [], 0
    for path, value in _mutations(raw):
        if path == ("setup",):
            continue  # the setup is mutated key by key below
        try:
            rec = _record(load_config(_write(tmp_path / "c.toml", _dump({**_set(raw, path, value), "setup": "setup.toml"}))))
        except InputError:
            continue
        if rec == ref:
            ignored.append(("config",) + path)
        n_loaded += 1
    if base.loaded_setup is not None:
        for path, value in _mutations(setup_raw):
            (tmp_path / "setup_m.toml").write_text(_dump(_set(setup_raw, path, value)))
            try:
                rec = _record(load_config(_write(tmp_path / "c.toml", _dump({**raw, "setup": "setup_m.toml"}))))
            except InputError:
                continue
            if rec == ref:
                ignored.append(("setup",) + path)
            n_loaded += 1
    assert ignored == []
    assert n_loaded > 30  # the mutations did load


def _write(path, text):
    path.write_text(text)
    return path


def test_thin_target_reads_beam_and_target_from_the_setup(tmp_path):
    """Eq. (3.1)'s energy, beam and target come from the setup: a copy with another energy or
    target is honoured (and recorded), and the old provider keys are refused, naming the setup."""
    from leptoportal.analysis.na64mu import ThinTarget, min_ionising_dedx, production_integral
    from leptoportal.errors import InputError

    assert main(["configs", "copy", "na64mu-leptophilic", str(tmp_path)]) == 0
    cfg = load_config(tmp_path / "na64mu-leptophilic.toml")
    res = cfg.resolved["provider"]
    assert (res["energy_gev"], res["target"], res["target_length_cm"], res["beam"]) == (150.0, "Pb", 20.0, "mu+")
    assert res["n_atoms_per_cm3"] == pytest.approx(3.3e22, rel=0.01)  # the paper's n_atom for lead
    setup = tmp_path / "na64mu.toml"
    text = setup.read_text()
    setup.write_text(text.replace('material = "Pb"                 # NA64-mu paper Sec. 3.1', 'material = "W"'))
    w = load_config(tmp_path / "na64mu-leptophilic.toml")
    assert w.resolved["provider"]["target"] == "W" and w.inputs_hash() != cfg.inputs_hash()
    tt_pb, tt_w = ThinTarget.from_setup(cfg.loaded_setup), ThinTarget.from_setup(w.loaded_setup)
    assert production_integral(0.1, tt_w) != production_integral(0.1, tt_pb)
    raw = tomllib.loads((tmp_path / "na64mu-leptophilic.toml").read_text())
    raw["provider"]["energy_gev"] = 160.0
    with pytest.raises(InputError, match=r"provider\.energy_gev.*setup"):
        load_config(_write(tmp_path / "old-style.toml", _dump(raw)))
    # the default <dE/dy>: the minimum-ionising loss, PDG 1.122 MeV cm^2/g x 11.35 g/cm^3 for lead
    assert min_ionising_dedx("Pb") == pytest.approx(1.122e-3 * 11.35, rel=3e-3)


def test_reach_overrides_are_recorded_and_change_the_resume_key():
    cfg = load_config("na64mu-leptophilic")
    over = cfg.with_overrides(energy=160.0, exposures=[1e11], masses=[0.1, 0.2])
    assert over.overrides == {"energy_gev": 160.0, "exposures": [1e11], "masses_gev": [0.1, 0.2]}
    assert over.resolved["provider"]["energy_gev"] == 160.0 and over.exposures == (1e11,)
    assert over.masses == (0.1, 0.2) and over.inputs_hash() != cfg.inputs_hash()
    assert cfg.resolved["provider"]["energy_gev"] == 150.0  # the original is untouched
    with pytest.raises(Exception, match="--energy"):
        cfg.with_overrides(energy=-1.0)


@pytest.mark.slow
def test_na64e_like_reach_on_a_tungsten_ecal_from_the_config_alone(tmp_path, monkeypatch):
    """A copied NA64e setup whose ECAL plates are W instead of Pb runs through the whole chain
    (shower tables, sigma tables on W, detector, selection) with no Python: production is summed
    over the W and C of the new ECAL, and the limit differs from the Pb one."""
    import re

    from leptoportal.reach import run_scan

    monkeypatch.chdir(tmp_path)
    assert main(["configs", "copy", "na64e-lfv", "w"]) == 0
    setup = tmp_path / "w" / "na64e.toml"
    setup.write_text(setup.read_text().replace('{ material = "Pb", thickness_cm = 0.15', '{ material = "W", thickness_cm = 0.15', 1))
    cfg_path = tmp_path / "w" / "na64e-lfv.toml"
    text = re.sub(r"\[background\][^\[]*", '[background]\nsource = "fixed"\nper_exposure = 1.9e-11\nsigma_rel = 0.0\n'
                  'reference = "e->mu paper Sec. III C"\n\n', cfg_path.read_text())
    cfg_path.write_text(text.replace("events = 100000", "events = 2000"))
    cfg = load_config(cfg_path).with_overrides(masses=[0.3])
    assert "W" in repr(cfg.loaded_setup.ecal.medium)
    res = run_scan(cfg, tmp_path / "out", progress=False, quiet=True, overlays=False)
    (row,) = res.rows
    assert row["status"] == "excluded" and 1e-5 < row["coupling_limit"] < 1.0
    info = json.loads((tmp_path / "out" / "reach.json").read_text())
    assert info["overrides"] == {"masses_gev": [0.3]} and info["resolved"]["setup"]["name"] == "na64e"


def test_json_schema_ships_validates_the_shipped_configs_and_rejects_the_loaders_typos(tmp_path, capsys):
    """The JSON Schema for editors is generated from the loader's key table, shipped in sync,
    accepts every shipped config and rejects a misspelt key as the loader does."""
    import jsonschema
    from importlib import resources

    from leptoportal.errors import InputError
    from leptoportal.reach.shipped import shipped_config_text
    from leptoportal.reach.schema import json_schema, markdown_table

    shipped = json.loads(resources.files("leptoportal").joinpath("data", "reach", "reach-config.schema.json")
                         .read_text(encoding="utf-8"))
    assert shipped == json_schema()
    assert main(["configs", "schema"]) == 0 and json.loads(capsys.readouterr().out) == shipped
    validator = jsonschema.Draft202012Validator(shipped)
    for name in shipped_configs():
        raw = tomllib.loads(shipped_config_text(name))
        assert list(validator.iter_errors(raw)) == [], name
        for path, typo in ((("exposure_units",), "MOT"), (("masses", "quik_n"), 3), (("plot", "xlimit"), [1, 2]),
                           (("coupling", "mn"), 1e-6), (("statistics", "metod"), "auto")):
            bad = _set(raw, path, typo) if len(path) == 1 or path[0] in raw else {**raw, path[0]: {path[1]: typo}}
            assert list(validator.iter_errors(bad)), (name, path)
            with pytest.raises(InputError, match=path[-1]):
                load_config(_write(tmp_path / "typo.toml", _dump({**bad, "setup": raw["setup"]})))
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "reach.md").read_text(encoding="utf-8")
    assert markdown_table() in doc


def test_thin_target_and_full_chain_produce_the_same_where_both_apply():
    """Eq. (3.1)'s production integral (thin target) and the detector chain's production along the
    beam muon's track are two codes for the same number: with the same method and the same lead
    (the chain's Pb/Sc ECAL holds n_Pb = half of pure lead's atoms) they agree to ~1 %; the rest of
    their difference is the method (IWW, theta to infinity, vs WW, theta_k <= 0.1) and the selection."""
    from leptoportal.analysis.na64mu import ThinTarget, production_integral
    from leptoportal.analysis.signal import simulate_signal_muon_beam
    from leptoportal.detector.setup import load_setup
    from leptoportal.materials import get_material
    from leptoportal.units import PB_TO_CM2

    st = load_setup("na64mu")
    tt = ThinTarget.from_setup(st, dedy_gev_per_cm=12.7e-3, x_min=1e-4, method="ww")
    f_pb = st.ecal.shower_medium().nuclei()["Pb"] / get_material("Pb").atoms_per_cm3
    for m in (0.01, 1.0):
        # thin target: N/MOT = n_atom / <dE/dy> * integral (pb GeV) at g = 1e-4
        thin = tt.n_atoms / tt.dedy_gev_per_cm * production_integral(m, tt) * PB_TO_CM2 * 1e-8
        full = simulate_signal_muon_beam(st, m, 1e-4, events=2000, seed=1, method="ww", nuclei=("Pb",))
        assert full.yield_per_eot == pytest.approx(f_pb * thin, rel=0.02), m


def test_resume_is_keyed_by_contents_not_by_the_path_typed_and_says_what_differs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["configs", "copy", "na64mu-leptophilic", "mydir"]) == 0
    args = ["--masses", "0.1", "--exposure", "1e12", "--no-progress"]
    assert main(["reach", "mydir/na64mu-leptophilic.toml", "--output", "r1", *args]) == 0
    before = (tmp_path / "r1" / "reach.csv").read_bytes()
    monkeypatch.chdir(tmp_path / "mydir")
    assert main(["reach", str(tmp_path / "mydir" / "na64mu-leptophilic.toml"), "--output", "../r1", "--resume",
                 *args]) == 0
    assert (tmp_path / "r1" / "reach.csv").read_bytes() == before
    capsys.readouterr()
    assert main(["reach", "na64mu-leptophilic.toml", "--output", "../r1", "--resume", "--energy", "160", *args]) == 2
    err = capsys.readouterr().err
    assert "differs in: overrides.energy_gev (none -> 160.0)" in err and err.count("\n") == 1


def test_the_limits_monte_carlo_precision_is_reported(tmp_path):
    """A simulated point reports its efficiency's binomial error and the limit's, which for
    N ~ g^2 x efficiency is half of it; reach.json and the summary carry them."""
    import math

    from leptoportal.reach import get_provider, run_scan
    from leptoportal.cli.reach import summary_table

    cfg = load_config("na64mu-leptophilic")
    raw = copy_raw(cfg)
    raw["provider"] = {"name": "na64mu-simulation", "events": 2000}
    raw["masses"] = [0.1]
    raw["exposures"] = [1e12]
    raw.pop("plot", None)
    from leptoportal.reach.config import parse_config

    c = parse_config(raw, name="mc")
    res = run_scan(c, tmp_path, progress=False, quiet=True, overlays=False)
    (p,) = res.precision
    info_cells = dict(kv.split("=") for kv in res.rows[0]["info"].split(";"))
    eff = float(info_cells["efficiency"])
    assert p["events"] == 2000 and p["limit_rel_err"] == pytest.approx(0.5 * p["efficiency_rel_err"])
    # binomial: sqrt(eff (1 - eff) / n) / eff (the events are weighted, so only roughly)
    assert p["efficiency_rel_err"] == pytest.approx(math.sqrt((1 - eff) / (eff * 2000)), rel=0.5)
    info = json.loads((tmp_path / "reach.json").read_text())
    assert info["mc_precision"]["max_limit_rel_err"] == pytest.approx(p["limit_rel_err"])
    assert "Monte Carlo precision" in summary_table(c, res)
    assert get_provider("na64mu-thin-target").make(0.1, c.model, {}, None, "na64mu").precision == {}


def copy_raw(cfg):
    import copy

    return copy.deepcopy(cfg.raw) | {"setup": "na64mu"}


def test_na64mu_mu_to_e_config_runs_at_test_size(tmp_path):
    """The shipped mu -> e projection at NA64-mu (two masses, 2e3 events): a limit at each mass,
    the process resolved from the setup (mu+ beam -> e+), the proposed selection recorded."""
    import copy

    from leptoportal.reach import run_scan
    from leptoportal.reach.config import parse_config

    cfg = load_config("na64mu-lfv-mu-to-e")
    assert cfg.resolved["provider"]["final"] == "e+" and cfg.resolved["provider"]["selection"]["e_miss_min_gev"] == 50
    raw = copy.deepcopy(cfg.raw)
    raw["provider"]["events"] = 2000
    raw["masses"] = [0.2, 1.0]
    res = run_scan(parse_config(raw, name="mue"), tmp_path, progress=False, quiet=True, overlays=False)
    assert [r["status"] for r in res.rows] == ["excluded"] * 4
    g = {(r["mass_gev"], r["exposure"]): r["coupling_limit"] for r in res.rows}
    # background free: N ~ h^2 MOT, so ten times the exposure lowers the limit by sqrt(10)
    assert g[(0.2, 1e12)] / g[(0.2, 1e13)] == pytest.approx(10 ** 0.5, rel=1e-6)


def test_a_setup_file_given_as_a_config_is_named_as_such_and_the_list_is_plain_text(capsys):
    from importlib import resources

    setup = resources.files("leptoportal").joinpath("data", "experiments", "na64e.toml")
    assert main(["reach", str(setup), "--output", "unused"]) == 2
    err = capsys.readouterr().err
    assert "is a setup file" in err and err.count("\n") == 1
    assert main(["configs", "list"]) == 0
    out, err = capsys.readouterr()
    assert "$" not in out and "\\mu" not in out and "NA64-μ" in out and err == ""
