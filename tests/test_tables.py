"""Tests of leptoportal.xsec.tables: grid, interpolation accuracy, cache, parallel build, API.

WW carries the big grids (about 1 ms per point); ETL is used for a few points
on a small table only.  The full-range ETL accuracy check is marked slow.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from leptoportal.errors import InputError
from leptoportal.units import GEV2_TO_PB
from leptoportal.xsec import tables
from leptoportal.xsec.api import sigma_point, make_process
from leptoportal.xsec.tables import SigmaTable, cache_dir, cache_key, sigma_table, threshold_energy


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEPTOPORTAL_CACHE_DIR", str(tmp_path / "cache"))
    warnings.simplefilter("ignore", RuntimeWarning)
    yield


def _direct(proc, E, m, order=1):
    with np.errstate(all="ignore"):
        return np.array([sigma_point(proc, float(e), float(mm), order) for e, mm in zip(E, m)])


def _random_points(rng, n, proc, e_range=(1.0, 1000.0), m_range=(1e-3, 10.0)):
    E = np.exp(rng.uniform(*np.log(e_range), n))
    m = np.exp(rng.uniform(*np.log(m_range), n))
    keep = E > threshold_energy(proc, m)
    return E[keep], m[keep]


# ----------------------------------------------------------------------------- shared WW table


@pytest.fixture(scope="module")
def ww_table():
    return sigma_table(method="ww", cache=False, workers=2)  # default grid, default range


def test_ww_interpolation_accuracy_default_grid(ww_table):
    """<= 0.1 % against direct evaluation at random off-grid points (default WW grid and range).

    Compared where the engine itself is converged (order 1 vs order 2 within
    2e-4) and outside the band E < 2.5 E_th(m) next to the WW flux edge
    (m below the kink m_c ~ m_mu): there the order-1 quadrature has 1e-4..1e-2
    noise, also at the nodes, which no smooth interpolant reproduces.
    """
    proc = ww_table.process
    assert (len(ww_table.tau), len(ww_table.masses)) == tables.DEFAULT_GRID["ww"]
    E, m = _random_points(np.random.default_rng(11), 900, proc)
    ref = _direct(proc, E, m, 1)
    ref2 = _direct(proc, E, m, 2)
    conv = np.abs(ref / np.where(ref2 > 0, ref2, 1.0) - 1.0) < 2e-4
    m_c = ww_table.spec["mass_breaks"][0]
    away = (m >= m_c) | (E >= 2.5 * threshold_energy(proc, m))
    sel = conv & away
    assert sel.mean() > 0.85
    tab = ww_table.sigma_gev2(E, m)
    rel = np.abs(tab[sel] / ref[sel] - 1.0)
    assert np.max(rel) <= 1e-3, (np.max(rel), E[sel][np.argmax(rel)], m[sel][np.argmax(rel)])
    assert np.median(rel) < 2e-5
    # everywhere (also at the flux edge): finite, non-negative, and mostly within 0.1 %
    assert np.all(np.isfinite(tab)) and np.all(tab >= 0)
    assert np.percentile(np.abs(tab / np.where(ref > 0, ref, 1) - 1), 98) < 1e-3


def test_nodes_are_reproduced(ww_table):
    j = [0, 7, 30, len(ww_table.masses) - 1]
    i = [5, 20, len(ww_table.tau) - 1]
    E = ww_table.energies[np.ix_(i, j)]
    m = np.broadcast_to(ww_table.masses[j], E.shape)
    ok = (E >= 1.0) & (E <= 1000.0)
    got = ww_table.sigma_gev2(E[ok], m[ok])
    want = ww_table.values[np.ix_(i, j)][ok]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_below_threshold_is_exactly_zero_and_never_nan(ww_table):
    proc = ww_table.process
    m_f = proc.final.mass
    m = np.geomspace(1e-3, 10, 97)
    E = np.clip(m_f + m - 1e-9, 1.0, None)
    E = np.where(E > 1.0, E, 1.0)
    below = E <= m_f + m
    out = ww_table.sigma_pb(E[below], m[below])
    assert np.all(out == 0.0)
    # a dense sweep over the whole range, across the threshold line
    EE, MM = np.meshgrid(np.geomspace(1, 1000, 301), np.geomspace(1e-3, 10, 203), indexing="ij")
    s = ww_table.sigma_pb(EE, MM)
    assert s.shape == EE.shape
    assert np.all(np.isfinite(s)) and np.all(s >= 0)
    assert np.all(s[EE <= m_f + MM] == 0.0)
    assert np.all(s[EE <= threshold_energy(proc, MM)] == 0.0)


def test_continuous_to_zero_at_threshold():
    """Between threshold and the first tau node sigma is a power law -> 0 (ETL-like, IWW here)."""
    tab = sigma_table(method="iww", energy_range=(5.0, 50.0), mass_range=(2.0, 8.0), n_energy=24, n_mass=12,
                      cache=False)
    m = 6.0
    th = float(threshold_energy(tab.process, m))
    tau_lo = tab.tau[0]
    taus = np.geomspace(1e-3 * tau_lo, 4 * tau_lo, 40)
    s = tab.sigma_gev2(th + taus, m)
    assert np.all(np.diff(s) > 0) and s[0] < 1e-3 * s[-1] and np.all(s > 0)
    # continuous across tau_lo
    eps = 1e-9 * tau_lo
    a, b = tab.sigma_gev2(np.array([th + tau_lo - eps, th + tau_lo + eps]), m)
    assert abs(a / b - 1) < 1e-6
    assert tab.sigma_gev2(th, m) == 0.0


def test_ww_threshold_formula_matches_engine():
    """WW is exactly 0 below max(m_f + m, flux edge) and positive well above it."""
    proc = make_process(method="ww")
    for m in (1e-3, 1e-2, 0.05, 1.0):
        th = float(threshold_energy(proc, m))
        assert th >= proc.final.mass + m
        assert _direct(proc, [th * (1 - 1e-6)], [m])[0] == 0.0
        assert _direct(proc, [th * 1.2], [m])[0] > 0.0
    assert len(tables.mass_breaks(proc, 1e-3, 10.0)) == 1
    assert tables.mass_breaks(make_process(method="etl"), 1e-3, 10.0) == []


def test_etl_threshold_includes_recoil():
    proc = make_process(method="etl")
    m = 2.0
    th = float(threshold_energy(proc, m))
    assert th > proc.final.mass + m
    below, above = _direct(proc, [th * (1 - 1e-6), th * 1.01], [m, m])
    assert below == 0.0 and above > 0.0


# ----------------------------------------------------------------------------- ETL, a handful of points


def test_etl_small_table_accuracy():
    """ETL on a small table (12 x 10 nodes, ~120 engine calls): 0.1 % at 4 off-grid points."""
    tab = sigma_table(method="etl", energy_range=(20.0, 200.0), mass_range=(0.05, 0.5), n_energy=12, n_mass=10,
                      cache=False, workers=2)
    assert np.all(tab.values > 0)
    rng = np.random.default_rng(3)
    E = np.exp(rng.uniform(np.log(20), np.log(200), 4))
    m = np.exp(rng.uniform(np.log(0.05), np.log(0.5), 4))
    ref = _direct(tab.process, E, m)
    rel = np.abs(tab.sigma_gev2(E, m) / ref - 1)
    assert np.max(rel) <= 1e-3, rel


@pytest.mark.slow
def test_etl_default_table_accuracy():
    """Default ETL table over the full default range vs direct evaluation at 30 random points."""
    tab = sigma_table(method="etl", workers=2, cache=False)
    proc = tab.process
    E, m = _random_points(np.random.default_rng(5), 34, proc)
    ref = _direct(proc, E, m, 1)
    ref2 = _direct(proc, E, m, 2)
    conv = np.abs(ref / ref2 - 1) < 2e-4
    rel = np.abs(tab.sigma_gev2(E, m) / ref - 1)
    assert np.max(rel[conv]) <= 1e-3, rel


# ----------------------------------------------------------------------------- parallel build


def test_serial_and_parallel_builds_are_identical():
    kw = dict(method="ww", energy_range=(2.0, 300.0), mass_range=(0.01, 3.0), n_energy=10, n_mass=12, cache=False)
    a = sigma_table(workers=1, **kw)
    b = sigma_table(workers=2, **kw)
    c = sigma_table(workers=3, **kw)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.values, c.values)
    E, m = np.geomspace(2.5, 250, 7), np.geomspace(0.02, 2.5, 7)
    assert np.array_equal(a.sigma_pb(E, m), b.sigma_pb(E, m))


def test_etl_parallel_matches_serial_few_points():
    kw = dict(method="etl", energy_range=(50.0, 100.0), mass_range=(0.1, 0.2), n_energy=4, n_mass=4, cache=False)
    assert np.array_equal(sigma_table(workers=1, **kw).values, sigma_table(workers=2, **kw).values)


# ----------------------------------------------------------------------------- cache


SMALL = dict(method="ww", energy_range=(2.0, 200.0), mass_range=(0.02, 2.0), n_energy=8, n_mass=8)


def test_cache_roundtrip_and_location(tmp_path):
    a = sigma_table(**SMALL)
    path = a.metadata["cache_file"]
    assert path.startswith(str(tmp_path / "cache"))
    assert os.path.isfile(path) and not a.metadata["from_cache"]
    b = sigma_table(**SMALL)
    assert b.metadata["from_cache"] and b.metadata["cache_key"] == a.metadata["cache_key"]
    assert np.array_equal(a.values, b.values)
    assert not [f for f in os.listdir(os.path.dirname(path)) if f.endswith(".tmp")]
    c = sigma_table(cache=False, **SMALL)
    assert c.metadata["cache_file"] is None and np.array_equal(a.values, c.values)


def test_cache_dir_default_and_override(monkeypatch, tmp_path):
    import platformdirs

    assert str(cache_dir()).startswith(str(tmp_path / "cache"))
    monkeypatch.delenv("LEPTOPORTAL_CACHE_DIR")
    assert str(cache_dir()).startswith(platformdirs.user_cache_dir("leptoportal"))


@pytest.mark.parametrize("garbage", [b"", b"not an npz at all", b"PK\x03\x04truncated zip"])
def test_corrupt_cache_is_rebuilt(garbage):
    a = sigma_table(**SMALL)
    with open(a.metadata["cache_file"], "wb") as fh:
        fh.write(garbage)
    b = sigma_table(**SMALL)
    assert not b.metadata["from_cache"] and np.array_equal(a.values, b.values)
    assert sigma_table(**SMALL).metadata["from_cache"]  # rewritten, valid again


def test_cache_file_with_wrong_key_or_values_is_rebuilt():
    a = sigma_table(**SMALL)
    path = a.metadata["cache_file"]
    np.savez(path, key=np.array("someone else's"), values=a.values)
    assert not sigma_table(**SMALL).metadata["from_cache"]
    bad = a.values.copy()
    bad[0, 0] = np.nan
    with open(path, "wb") as fh:
        np.savez(fh, key=np.array(a.metadata["cache_key"]), values=bad)
    b = sigma_table(**SMALL)
    assert not b.metadata["from_cache"] and np.all(np.isfinite(b.values))


def test_cache_key_covers_every_input(monkeypatch):
    base = dict(beam="e-", final="mu-", target="Pb", method="ww", form_factor="elastic")
    grid = dict(energy_range=(2.0, 200.0), mass_range=(0.02, 2.0), n_energy=8, n_mass=8, order=1)

    def key(proc_kw=None, grid_kw=None):
        p = make_process(**{**base, **(proc_kw or {})})
        g = {**grid, **(grid_kw or {})}
        spec, _, _ = tables.grid_spec(p, g["energy_range"], g["mass_range"], g["n_energy"], g["n_mass"], g["order"])
        return cache_key(p, spec)

    k0 = key()
    variants = [
        key({"beam": "e+", "final": "mu+"}), key({"beam": "mu-", "final": "e-"}, {"mass_range": (0.2, 2.0)}),
        key({"target": "W"}), key({"target": "82,207.2,11.35"}), key({"target": "82,207.2,11.0"}),
        key({"method": "iww"}), key({"method": "etl"}), key({"form_factor": "atomic-nuclear"}),
        key(None, {"energy_range": (2.0, 300.0)}), key(None, {"mass_range": (0.03, 2.0)}),
        key(None, {"n_energy": 9}), key(None, {"n_mass": 9}), key(None, {"order": 2}),
    ]
    assert k0 == key()
    assert len(set(variants)) == len(variants) and k0 not in variants
    # code and version changes invalidate the cache
    monkeypatch.setattr(tables, "source_hash", lambda: "0" * 64)
    assert key() != k0
    monkeypatch.undo()
    monkeypatch.setattr(tables, "_package_version", lambda: "9.9.9")
    assert key() != k0


def test_key_inputs_record_everything():
    p = make_process(target="Fe", method="ww")
    spec, _, _ = tables.grid_spec(p, (2.0, 200.0), (0.02, 2.0), 8, 8, 1)
    ki = tables.key_inputs(p, spec)
    for field in ("beam", "final", "method", "form_factor", "version", "source_sha256", "grid", "m_i", "m_f"):
        assert field in ki
    for field in ("name", "Z", "A", "density"):
        assert field in ki["target"]
    assert len(ki["source_sha256"]) == 64 and ki["grid"]["order"] == 1


def test_unwritable_cache_still_returns_table(monkeypatch, tmp_path):
    blocker = tmp_path / "file_not_dir"
    blocker.write_text("x")
    monkeypatch.setenv("LEPTOPORTAL_CACHE_DIR", str(blocker))
    with pytest.warns(RuntimeWarning, match="could not write"):
        t = sigma_table(**SMALL)
    assert np.all(np.isfinite(t.values))


# ----------------------------------------------------------------------------- API


def test_public_api_shapes_units_and_coupling():
    t = sigma_table(**SMALL)
    assert isinstance(t, SigmaTable)
    assert t.values.shape == (8, 8) == t.energies.shape
    assert t.masses.shape == (8,) and t.tau.shape == (8,)
    np.testing.assert_allclose(t.energies - t.threshold(t.masses)[None, :], np.broadcast_to(t.tau[:, None], (8, 8)))
    assert t.energy_range == (2.0, 200.0) and t.mass_range == (0.02, 2.0)
    E = np.array([10.0, 50.0, 150.0])[:, None]
    m = np.array([0.05, 0.5])[None, :]
    s = t.sigma_pb(E, m)
    assert s.shape == (3, 2)
    np.testing.assert_allclose(t.sigma_pb(E, m, coupling=1e-3), 1e-6 * s)
    np.testing.assert_allclose(s, t.sigma_gev2(E, m) * GEV2_TO_PB)
    g = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(t.sigma_pb(50.0, 0.5, coupling=g), s[1, 1] * g**2)
    assert np.ndim(t.sigma_pb(50.0, 0.5)) == 0
    assert "ww" in repr(t) and t.metadata["cache_key"]


def test_sigma_pb_range_errors_name_parameter_and_range():
    t = sigma_table(**SMALL)
    with pytest.raises(InputError, match=r"energy.*\[2, 200\] GeV") as e:
        t.sigma_pb([10.0, 250.0], 0.1)
    assert e.value.parameter == "energy"
    with pytest.raises(InputError, match=r"mass.*\[0.02, 2\] GeV") as e:
        t.sigma_pb(10.0, [0.1, 0.01])
    assert e.value.parameter == "mass"
    with pytest.raises(InputError) as e:
        t.sigma_pb(np.nan, 0.1)
    assert e.value.parameter == "energy"
    with pytest.raises(InputError) as e:
        t.sigma_pb(10.0, 0.1, coupling=np.inf)
    assert e.value.parameter == "coupling"
    # end points are inside
    assert np.all(np.isfinite(t.sigma_pb([2.0, 200.0], [0.02, 2.0])))


@pytest.mark.parametrize(
    "kw, parameter",
    [
        ({"energy_range": (10.0, 5.0)}, "energy_range"),
        ({"energy_range": (0.0, 5.0)}, "energy_range"),
        ({"energy_range": "wide"}, "energy_range"),
        ({"mass_range": (1e-3, np.inf)}, "mass_range"),
        ({"energy_range": (0.1, 0.15), "mass_range": (1.0, 2.0)}, "energy_range"),
        ({"n_energy": 3}, "n_energy"),
        ({"n_mass": 2.5}, "n_mass"),
        ({"workers": 0}, "workers"),
        ({"method": "vegas"}, "method"),
        ({"form_factor": "none"}, "form_factor"),
        ({"target": "unobtainium"}, "target"),
        ({"order": 0}, "order"),
        ({"beam": "mu-", "final": "e-"}, "mass_range"),  # default m_lo below m_mu - m_e
    ],
)
def test_sigma_table_input_errors(kw, parameter):
    args = {**SMALL, **kw}
    with pytest.raises(InputError) as e:
        sigma_table(**args)
    assert e.value.parameter == parameter


def test_other_processes_build_and_are_finite():
    for kw in ({"beam": "mu-", "final": "e-", "mass_range": (0.2, 5.0), "method": "iww"},
               {"beam": "mu+", "final": "mu+", "method": "ww", "target": "W"},
               {"beam": "e-", "final": "e-", "method": "iww", "form_factor": "elastic"}):
        t = sigma_table(**{**SMALL, **kw})
        EE, MM = np.meshgrid(np.geomspace(2, 200, 31), np.geomspace(*t.mass_range, 29), indexing="ij")
        s = t.sigma_pb(EE, MM)
        assert np.all(np.isfinite(s)) and np.all(s >= 0) and np.any(s > 0)
