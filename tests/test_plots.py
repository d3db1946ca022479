"""Figures of the e->mu paper (Figs. 1, 2, 4): files, CSV contents and the physics read off the CSVs.

The physics checks use only the CSV numbers (not the plotting code), against the
paper's statements in Sec. II C: WW reproduces ETL to <~2 %, IWW overestimates
the total cross section at 100 GeV by ~2 (0.11 GeV) to ~3 (1 GeV), and
d sigma/dpsi peaks at psi ~ m_phi/E_i.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from leptoportal import cli
from leptoportal.plots import plot_xsec
from leptoportal.xsec.figures import paper_figures

FIGURES = ("fig1_dsigma_dx", "fig1_dsigma_dpsi", "fig2_sigma_vs_energy", "fig4_iww_over_etl")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a leptoportal CSV ('#' metadata lines, one header line, numbers)."""
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(line for line in fh if not line.startswith("#")))
    header, body = rows[0], rows[1:]
    assert body, f"{path.name}: no data rows"
    data = np.array([[float(v) for v in r] for r in body])
    assert data.shape[1] == len(header)
    return {name: data[:, i] for i, name in enumerate(header)}


@pytest.fixture(scope="module")
def plots_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    paths = plot_xsec(out, paper_figures(quick=True))
    return out, [Path(p) for p in paths]


def test_files_written(plots_dir):
    out, paths = plots_dir
    expected = {out / f"{n}.{ext}" for n in FIGURES for ext in ("png", "csv")}
    assert set(paths) == expected
    for p in paths:
        assert p.is_file() and p.stat().st_size > 0
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == PNG_MAGIC
            assert p.stat().st_size > 20_000  # not an empty canvas


def test_csv_parse_units_and_values(plots_dir):
    out, _ = plots_dir
    for name in FIGURES:
        cols = read_csv(out / f"{name}.csv")
        for col, v in cols.items():
            assert np.all(np.isfinite(v)), f"{name}:{col} has non-finite values"
            if col.startswith("reldev"):
                assert np.all(v > -1.0 - 1e-12)  # approx >= 0
            else:
                assert np.all(v > 0), f"{name}:{col} has non-positive values"
                assert col.endswith(("_pb", "_pb_per_rad", "_GeV", "_rad")) or col in ("x", "ratio_IWW_over_ETL"), col


def _at(cols, energy=100.0):
    sel = np.isclose(cols["E_i_GeV"], energy)
    assert sel.any(), f"no {energy} GeV row"
    return {k: v[sel] for k, v in cols.items()}


def test_fig2_ww_reproduces_etl_at_100_gev(plots_dir):
    c = _at(read_csv(plots_dir[0] / "fig2_sigma_vs_energy.csv"))
    assert set(np.round(c["m_phi_GeV"], 6)) == {0.11, 1.0}
    r = c["sigma_WW_pb"] / c["sigma_ETL_pb"]
    assert np.all(np.abs(r - 1) < 0.03), dict(zip(c["m_phi_GeV"], r))
    # the IWW overestimate of the paper: ~2 at 0.11 GeV, ~3 at 1 GeV
    k = c["sigma_IWW_pb"] / c["sigma_ETL_pb"]
    assert 1.5 < k[np.isclose(c["m_phi_GeV"], 0.11)][0] < 2.6
    assert 2.3 < k[np.isclose(c["m_phi_GeV"], 1.0)][0] < 3.5
    # total cross sections grow with energy for both masses (the ETL column)
    cols = read_csv(plots_dir[0] / "fig2_sigma_vs_energy.csv")
    for m in (0.11, 1.0):
        sel = np.isclose(cols["m_phi_GeV"], m)
        order = np.argsort(cols["E_i_GeV"][sel])
        assert np.all(np.diff(cols["sigma_ETL_pb"][sel][order]) > 0)


def test_fig4_iww_over_etl_at_100_gev(plots_dir):
    cols = read_csv(plots_dir[0] / "fig4_iww_over_etl.csv")
    c = _at(cols)
    ratio = c["sigma_IWW_pb"] / c["sigma_ETL_pb"]
    np.testing.assert_allclose(c["ratio_IWW_over_ETL"], ratio, rtol=1e-8)
    assert len(ratio) >= 5
    assert np.all((ratio > 1.5) & (ratio < 3.5)), dict(zip(c["m_phi_GeV"], ratio))
    # IWW approaches ETL from above as the energy grows (Fig. 4's trend)
    for m in np.unique(cols["m_phi_GeV"]):
        sel = np.isclose(cols["m_phi_GeV"], m)
        order = np.argsort(cols["E_i_GeV"][sel])
        assert np.all(np.diff(cols["ratio_IWW_over_ETL"][sel][order]) < 0)


def test_fig1_dx_ww_within_two_percent_of_etl(plots_dir):
    c = read_csv(plots_dir[0] / "fig1_dsigma_dx.csv")
    bulk = (c["x"] > 0.2) & (c["x"] < 0.9)
    assert bulk.sum() > 20
    rel = c["dsigma_dx_WW_pb"][bulk] / c["dsigma_dx_ETL_pb"][bulk] - 1
    assert np.max(np.abs(rel)) < 0.02
    np.testing.assert_allclose(c["reldev_WW"][bulk], rel, rtol=1e-6, atol=1e-9)
    # IWW overestimates (the paper: significant errors, largest at the edges)
    assert np.all(c["dsigma_dx_IWW_pb"][bulk] > c["dsigma_dx_ETL_pb"][bulk])


def _log_peak(psi, f):
    """Peak position of f(psi) from a parabola in (log psi, log f) through the three highest-sample points."""
    i = int(np.clip(np.argmax(f), 1, len(f) - 2))
    lx, ly = np.log(psi[i - 1:i + 2]), np.log(f[i - 1:i + 2])
    a, b, _ = np.polyfit(lx, ly, 2)
    return math.exp(-b / (2 * a)) if a < 0 else psi[np.argmax(f)]


def test_fig1_dpsi_peaks_at_m_over_e(plots_dir):
    c = read_csv(plots_dir[0] / "fig1_dsigma_dpsi.csv")
    for m in np.unique(c["m_phi_GeV"]):
        sel = np.isclose(c["m_phi_GeV"], m)
        psi = c["psi_rad"][sel]
        for method in ("WW", "IWW", "ETL"):
            peak = _log_peak(psi, c[f"dsigma_dpsi_{method}_pb_per_rad"][sel])
            assert 1 / 3 < peak / (m / 100.0) < 3, (method, m, peak)


def test_cli_plot_xsec(tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli.main(["plot", "xsec", "--output", str(out), "--quick"]) == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == 8
    for p in printed:
        assert Path(p).is_file() and Path(p).parent == out
    assert read_csv(out / "fig4_iww_over_etl.csv")["sigma_ETL_pb"].min() > 0


def test_cli_unwritable_output_is_one_line_exit_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert cli.main(["plot", "xsec", "--output", str(blocker / "sub"), "--quick"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--output" in err and "Traceback" not in err


def test_cli_bad_coupling_is_exit_2(tmp_path, capsys):
    assert cli.main(["plot", "xsec", "--output", str(tmp_path / "x"), "--coupling", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--coupling" in err
    assert not (tmp_path / "x").exists()  # validated before anything was written
