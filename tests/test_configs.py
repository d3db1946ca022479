"""The shipped reach configs as a catalogue: ``leptoportal configs list|show|copy``; a copied
config and its setup load from their folder, and an edit of the copied setup is what the loader
reads."""

from __future__ import annotations

import json
import tomllib

import pytest

from leptoportal.cli import main
from leptoportal.detector.setup import load_setup
from leptoportal.reach.config import load_config, shipped_configs


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
