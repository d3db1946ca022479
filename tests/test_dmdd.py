"""The NA64-mu paper's Fig. 7 (leptoportal leptophilic dmdd): sigma_e-bar of the relic and g-2
couplings, checked through the units of Eq. (4.1), the g^2 scaling of the band and the relic
density its coupling gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leptoportal.cli import main
from leptoportal.constraints import g2
from leptoportal.constraints.darkmatter import dmdd_predictions
from leptoportal.particles import M_E, M_MU
from tolerances import rounding

HBARC_GEV_CM = 0.1973269804e-13  # CODATA 2018, typed here independently of leptoportal.units


@pytest.fixture(scope="module")
def data():
    return dmdd_predictions([0.03, 0.3])


def test_band_edges_scale_as_the_coupling_squared(data):
    det = g2.get_g2_determination()
    c = data["columns"]
    for name in ("ratio3", "resonance"):
        ratio = c[f"sigma_e_g2_high_cm2_{name}"] / c[f"sigma_e_g2_low_cm2_{name}"]
        np.testing.assert_allclose(ratio, (det.value + 2 * det.sigma) / (det.value - 2 * det.sigma), rtol=1e-8)


def test_eq_4_1_in_cm2_and_the_relic_coupling_behind_it(data):
    from leptoportal.constraints.relic import omega_h2
    from leptoportal.models.leptophilic import LeptophilicScalar

    c = data["columns"]
    m_s, m_chi, sig = 0.3, c["m_chi_gev_ratio3"][1], c["sigma_e_relic_cm2_ratio3"][1]
    assert m_chi == pytest.approx(0.1, rel=rounding(1, 2))  # 0.3 / 3
    mu = m_chi * M_E / (m_chi + M_E)
    # invert Eq. (4.1) with an independently typed hbar c: g_e^2 = sigma pi m_S^4 / (mu^2 g_chi^2 (hbar c)^2)
    g_e = math.sqrt(sig * math.pi * m_s ** 4 / (mu ** 2 * HBARC_GEV_CM ** 2))
    model = LeptophilicScalar.from_preset("lepton-specific", m_s, g_e * M_MU / M_E, mchi_ratio=3.0)
    assert omega_h2(model) == pytest.approx(0.12, rel=2e-3)


def test_cli_writes_figure_and_csv_and_checks_user_curves(tmp_path, capsys):
    good = tmp_path / "xenon10.csv"
    good.write_text("# source: my digitisation\n# licence: mine\nm_chi_gev,sigma_e_cm2\n0.005,1e-37\n0.1,1e-38\n")
    out = tmp_path / "dd"
    assert main(["leptophilic", "dmdd", "--masses", "0.03", "0.3", "--limit", str(good), "--output", str(out)]) == 0
    assert (out / "dmdd.png").stat().st_size > 0 and (out / "dmdd.csv").is_file()
    assert "licence: mine" in (out / "dmdd_limits.csv").read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text("# source: somewhere\nm_chi_gev,sigma_e_cm2\n0.005,1e-37\n0.1,1e-38\n")
    capsys.readouterr()
    assert main(["leptophilic", "dmdd", "--limit", str(bad), "--output", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--limit" in err and "licence" in err and not (tmp_path / "x").exists()
