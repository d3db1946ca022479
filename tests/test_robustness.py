"""Malformed and extreme input: one line and exit 2 before any work, never a traceback, never a
silent nan/inf/0; every file written atomically; a damaged partial reach table is detected.

The command line is exercised in-process through ``leptoportal.cli.main(argv)`` (its public
behaviour only); a few cases run end to end in a subprocess.  ``benchmarks/fuzz_cli.py`` runs a
larger campaign of the same kind.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import resource
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import leptoportal
from leptoportal import fileio, cli
from leptoportal.domains import DOMAINS, EVENTS_MAX
from leptoportal.errors import InputError
from leptoportal.models import LFVScalar
from leptoportal.reach import load_config, parse_config, read_reach_csv, run_scan
from leptoportal.reach.shipped import decode_toml_bytes
from leptoportal.xsec import api
from leptoportal.xsec.kinematics import frame, lab_energy_range, threshold_energy
from tolerances import rounding

SRC = Path(leptoportal.__file__).parent


def run_cli(argv, capsys):
    """(exit code, stdout, stderr) of ``leptoportal argv`` run in this process."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_error(code, err, flag=None):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    if flag is not None:
        assert flag in lines[0], (flag, lines[0])


# ------------------------------------------------------------------------ every numeric flag
def _numeric_flags():
    """(sub-command path, flag, converter) for every option of every sub-command taking a value."""
    out = []

    def walk(parser, path):
        for act in parser._actions:
            if isinstance(act, argparse._SubParsersAction):
                for name, sub in act.choices.items():
                    walk(sub, path + [name])
            elif act.option_strings and act.type is not None:
                out.append((tuple(path), act.option_strings[-1], act.type))

    walk(cli.build_parser(), [])
    return out


NUMERIC_FLAGS = _numeric_flags()


def test_every_numeric_flag_reads_the_domain_table():
    assert len(NUMERIC_FLAGS) > 40
    plain = [(p, f) for p, f, t in NUMERIC_FLAGS if not hasattr(t, "domain")]
    assert plain == [], f"flags with a bare type= (not from leptoportal.domains): {plain}"


@pytest.mark.parametrize("path,flag,conv", NUMERIC_FLAGS, ids=[f"{' '.join(p)} {f}" for p, f, _ in NUMERIC_FLAGS])
def test_out_of_range_flag_is_one_line_exit_2(path, flag, conv, capsys):
    d = conv.domain
    above = "1e300" if d.hi < 1e300 else "inf"
    for bad in (above, "nan", "x"):
        code, out, err = run_cli([*path, flag, bad], capsys)
        assert_clean_error(code, err, flag)
        assert d.range_text() in err  # the valid range is in the message
        assert out == ""


def test_help_shows_the_valid_range(capsys):
    code, out, _ = run_cli(["xsec", "--help"], capsys)
    assert code == 0
    assert "valid (0, 10000] GeV" in " ".join(out.split())
    assert DOMAINS["energy"].range_text() == "(0, 10000] GeV"


def test_docs_show_the_same_table():
    from leptoportal.domains import markdown_table

    guide = (SRC.parent.parent / "docs" / "guide.md").read_text(encoding="utf-8")
    assert markdown_table() in guide


# ------------------------------------------------------------------------ reported inputs
REPORTED = [
    (["xsec", "--coupling", "1e300", "--mass", "0.3", "--energy", "100"], "--coupling"),
    (["xsec", "--mass", "1e-300", "--energy", "100"], "--mass"),
    (["xsec", "--energy", "1e300", "--mass", "0.3"], "--energy"),
    (["xsec", "--target", "1,1e300,1", "--mass", "0.3", "--energy", "100"], "target.A"),
    (["xsec", "--target", "82,207,0", "--mass", "0.3", "--energy", "100"], "target.density"),
    (["g2", "--model", "muon-specific", "--mass", "1e300"], "--mass"),
    (["leptophilic", "point", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "1e300"], "--g-mu"),
    (["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "1e300", "--mot", "1e12"],
     "--g-mu"),
    (["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4", "--mot", "1e308"],
     "--mot"),
    (["leptophilic", "yield", "--model", "muon-specific", "--mass", "200", "--g-mu", "5e-4", "--mot", "1e12"],
     "--mass"),
    (["relic", "line", "--model", "muon-specific", "--m-max", "1e300", "--output", "{tmp}/r"], "--m-max"),
    (["relic", "line", "--model", "muon-specific", "--g-chi", "0", "--output", "{tmp}/r"], "--g-chi"),
    (["simulate", "shower", "--seed", "-1"], "--seed"),
    (["simulate", "shower", "--energy", "1e12"], "--energy"),
    (["generate", "--mass", "0.3", "--energy", "100", "--events", "3000000000", "--output", "{tmp}/e.hepmc3"],
     "--events"),
    (["generate", "--mass", "0.3", "--energy", "100", "--events", "1e20", "--output", "{tmp}/e.hepmc3"], "--events"),
    (["generate", "--mass", "0.3", "--energy", "100", "--events", "10", "--output", "/proc/x.hepmc3"], "--output"),
    (["generate", "--mass", "0.3", "--energy", "100", "--events", "10", "--output", "{tmp}/e.txt"], "--output"),
    (["simulate", "signal", "--mass", "0.3", "--events", "10", "--plots", "/proc/x"], "--plots"),
    (["xsec", "--mass", "5", "--energy", "5.1"], "energy"),  # above m_f + m_phi, below the exact threshold
]


@pytest.mark.parametrize("argv,flag", REPORTED, ids=[" ".join(a[:4]) for a, _ in REPORTED])
def test_reported_inputs(argv, flag, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run_cli(argv, capsys)
    assert_clean_error(code, err, flag)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_ww_silent_zero_is_reported(capsys):
    """WW's flux window m_phi^2 + m_i^2 closes for e->mu at low E and small m_phi: exit 0, the
    record says so (and ETL, the exact result, is positive)."""
    code, out, err = run_cli(["xsec", "--mass", "0.002", "--energy", "2", "--method", "ww", "--json"], capsys)
    assert code == 0
    import json

    rec = json.loads(out)
    assert rec["sigma_pb"] == 0.0 and "empty" in rec["warning"] and "etl" in rec["warning"]
    code, out, _ = run_cli(["xsec", "--mass", "0.002", "--energy", "2", "--method", "etl", "--json"], capsys)
    rec = json.loads(out)
    assert rec["sigma_pb"] > 0 and "warning" not in rec
    # at the paper's masses WW is silent
    code, out, _ = run_cli(["xsec", "--mass", "0.3", "--energy", "100", "--method", "ww", "--json"], capsys)
    assert "warning" not in json.loads(out)


# ------------------------------------------------------------------------ API
def test_api_raises_input_error():
    with pytest.raises(InputError, match="order"):
        api.total_cross_section(LFVScalar(mass=0.3), 100.0, order=0)
    with pytest.raises(InputError, match="mass"):
        LFVScalar(mass="abc")
    with pytest.raises(InputError, match="coupling"):
        LFVScalar(mass=0.3, coupling=1e300)
    from leptoportal.generate import sample_events

    with pytest.raises(InputError, match="n_events"):
        sample_events(LFVScalar(mass=0.3), 100.0, 10**20, np.random.default_rng(1))
    with pytest.raises(InputError, match="n_events"):
        sample_events(LFVScalar(mass=0.3), 100.0, EVENTS_MAX + 1, np.random.default_rng(1))


def test_lab_energy_range_against_the_frame():
    """Exact E_phi range (two-body endpoints with (l_f N) at its minimum mass) against a second
    method: where the (x, theta) frame of Eq. (12) has a non-empty t range, on a fine grid."""
    M = 207.2 * 0.93149410242
    for m_i, m_f, m, fac in [(0.000511, 0.10566, 5.0, 1.001), (0.000511, 0.10566, 0.3, 2.0),
                             (0.10566, 0.10566, 100.0, 1.01)]:
        E = threshold_energy(m_i, m_f, m, M) * fac
        lo, hi = lab_energy_range(E, m_i, m, m_f, M)
        xs = np.linspace(m / E, 1 - m_f / E, 1001)[1:-1]
        th = np.concatenate([np.geomspace(1e-9, 1e-2, 150), np.linspace(1e-2, np.pi, 250)])
        with np.errstate(all="ignore"):
            ok = frame(E, m_i, xs[:, None] * E, m, m_f, th[None, :], M).valid.any(axis=1)
        step = xs[1] - xs[0]
        slack = rounding(ops=64) * E  # both ends are O(E) sums of a few O(E) terms (cond ~1)
        assert xs[ok].min() * E >= lo - slack and xs[ok].max() * E <= hi + slack
        assert xs[ok].min() * E <= lo + 2 * step * E and xs[ok].max() * E >= hi - 2 * step * E
    # at threshold everything moves with the CM: E_a = gamma m_a at both ends
    E = threshold_energy(0.000511, 0.10566, 1.0, M)
    lo, hi = lab_energy_range(E, 0.000511, 1.0, 0.10566, M)
    gamma = (E + M) / math.sqrt(0.000511**2 + M * M + 2 * E * M)
    assert lo == pytest.approx(gamma * 1.0, rel=1e-9) and hi == pytest.approx(gamma, rel=1e-9)


def test_threshold_is_exact_and_etl_positive_just_above():
    proc = api.make_process()
    M = proc.target.nucleus_mass_gev
    thr = threshold_energy(*proc.masses, 5.0, M)
    assert thr > 0.10566 + 5.0 + 0.06  # the recoil moves it by 68 MeV on Pb
    with pytest.raises(InputError, match="threshold"):
        api.total_cross_section(LFVScalar(mass=5.0), thr * (1 - 1e-9))
    for fac in (1 + 1e-6, 1.001):
        s = float(api.total_cross_section(LFVScalar(mass=5.0), thr * fac))
        assert math.isfinite(s) and s > 0


def test_etl_differentials_finite_and_exactly_zero_outside_kinematics():
    m = LFVScalar(mass=0.3)
    x = np.array([1e-6, 0.001, 0.5, 0.99, 1 - 1e-9])
    d = api.dsigma_dx(m, 100.0, x)
    assert np.all(np.isfinite(d))
    assert d[0] == 0.0 and d[1] == 0.0 and d[-1] == 0.0  # x < m/E and x > 1 - m_f/E: no phase space
    assert d[2] > 0 and d[3] > 0
    dy = api.dsigma_dy(m, 100.0, x)
    assert np.all(np.isfinite(dy)) and dy[0] == 0.0 and dy[2] > 0


def test_config_domains_and_encodings(tmp_path):
    text = (SRC / "data" / "reach" / "na64e-lfv.toml").read_text(encoding="utf-8")
    bad = [("n = 40", "n = 2000000000", "masses.n"), ("n = 40", "n = 200000", "masses.n"),
           ("exposures = [1e11]", "exposures = [1e308]", "exposures[0]"),
           ("events = 100000", "events = 0", "provider.events"),
           ('method = "ww"', 'method = "xyz"', "provider.method"),
           ('setup = "na64e"', 'setup = "na99"', "setup"),
           ('name = "na64e-simulation"', 'name = "na64e-simulation"\nx_min = 5.0', "provider.x_min"),
           ("g_dark = 0.1", "g_darkk = 0.1", "params.g_darkk"),
           ("seed = 1\n\n[model]", "seed = -1\n\n[model]", "seed"),
           ("max = 1.0", "max = 1e300", "coupling.max")]
    import tomllib

    for old, new, key in bad:
        assert old in text, old
        with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
            parse_config(tomllib.loads(text.replace(old, new, 1)))
    raw = tomllib.loads(text.replace("[provider]", '[provider]\nx_min = 5.0').replace(
        'name = "na64e-simulation"', 'name = "na64mu-thin-target"').replace('name = "lfv-scalar"', 'name = "leptophilic"'))
    raw["provider"] = {"name": "na64mu-thin-target", "x_min": 5.0}
    with pytest.raises(InputError, match="provider.x_min"):
        parse_config(raw)
    # encodings: UTF-8 with BOM and UTF-16 with BOM decode to the same config; other bytes are refused
    ref = load_config("na64e-lfv")
    for i, data in enumerate([b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-16")]):
        p = tmp_path / f"c{i}.toml"
        p.write_bytes(data)
        assert load_config(p).inputs_hash() == ref.inputs_hash()
    with pytest.raises(InputError, match="not UTF-8.*line"):
        decode_toml_bytes(text.encode("utf-8").replace(b"Secs.", b"Secs.\xe9"), "x.toml")


def test_relic_lfv_parameter_names_follow_the_function():
    import inspect

    from leptoportal.constraints.relic import lfv_annihilation_rate_line
    from leptoportal.reach.overlay_config import RELIC_LFV_PARAMS

    assert set(RELIC_LFV_PARAMS) == set(inspect.signature(lfv_annihilation_rate_line).parameters) - {"m_phi"}


def test_reach_refuses_bad_scheduler_before_any_file(tmp_path, capsys):
    code, _, err = run_cli(["reach", "na64e-lfv", "--scheduler", "tcp://127.0.0.1:1", "--output",
                            tmp_path / "o", "--no-progress"], capsys)
    assert_clean_error(code, err, "--scheduler")
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------------ atomic files
WRITE_CALLS = {"savefig", "savez", "savez_compressed", "save", "savetxt", "write_table", "to_csv", "tofile",
               "write_text", "write_bytes", "to_parquet", "dump"}


def _writes(tree):
    """(line, what) of calls that create files: open(..., 'w'/'a'/'x'), savefig, np.save*, ...
    Allowed: the helpers of leptoportal.fileio, and a call on the name ``tmp`` inside a function
    taking ``tmp`` (the temporary path that leptoportal.fileio.atomic_write hands to its writer)."""
    found = []

    class V(ast.NodeVisitor):
        def __init__(self):
            self.params = [set()]

        def visit_FunctionDef(self, node):
            self.params.append({a.arg for a in node.args.args + node.args.kwonlyargs})
            self.generic_visit(node)
            self.params.pop()

        visit_Lambda = visit_FunctionDef

        def visit_Call(self, node):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            writing = False
            if name == "open":
                modes = [a for a in node.args[1:2]] + [k.value for k in node.keywords if k.arg == "mode"]
                writing = any(isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax")
                              for m in modes)
            elif name in WRITE_CALLS:
                writing = True
            if isinstance(f, ast.Name) and f.id in fileio.__all__ or (
                    isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "fileio"):
                writing = False  # the helper itself
            if writing:
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                to_tmp = "tmp" in names and "tmp" in self.params[-1]
                if not to_tmp:
                    found.append((node.lineno, ast.unparse(node)[:80]))
            self.generic_visit(node)

    V().visit(tree)
    return found


def test_no_module_writes_a_file_outside_the_atomic_helper():
    bad = []
    for path in SRC.rglob("*.py"):
        if path.name == "fileio.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad += [f"{path.relative_to(SRC)}:{ln}: {src}" for ln, src in _writes(tree)]
    assert bad == [], "\n".join(bad)


def test_the_ast_check_sees_writes():
    tree = ast.parse("import numpy as np\ndef f(p, fig):\n    open(p, 'w')\n    fig.savefig(p)\n    np.savez(p)\n"
                     "def g(tmp):\n    open(tmp, 'wb')\n")
    assert [ln for ln, _ in _writes(tree)] == [3, 4, 5]


def test_atomic_write_helper(tmp_path):
    target = tmp_path / "a.csv"

    def fail(tmp):
        Path(tmp).write_text("partial")
        assert f".{os.getpid()}." in Path(tmp).name
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        fileio.atomic_write(target, fail)
    assert list(tmp_path.iterdir()) == []
    fileio.write_csv(target, {"a": [1.0, 2.0]}, {"source": "test"})
    assert target.read_text() == "# source: test\na\n1\n2\n"
    # temp files of dead processes are cleaned up, those of live ones (this process) are kept
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".x.csv.{dead_pid}.0123abcd.part"
    live = tmp_path / f".y.csv.{os.getpid()}.0123abcd.part"
    stale.write_text("x")
    live.write_text("y")
    assert fileio.clean_stale_temps(tmp_path) == [stale]
    assert live.exists() and not stale.exists()


def test_directory_lock(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / ".lock").write_text(f"{sleeper.pid}\n")
        with pytest.raises(InputError, match=f"PID {sleeper.pid}"):
            fileio.DirectoryLock(tmp_path).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    with fileio.DirectoryLock(tmp_path) as lock:  # the dead owner's lock is taken over
        assert lock.held and (tmp_path / ".lock").read_text().strip() == str(os.getpid())
    assert not (tmp_path / ".lock").exists()


def _fsize_limited(argv, limit, cwd):
    def pre():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond the limit fails with EFBIG

    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "leptoportal", *argv], capture_output=True, text=True, cwd=cwd,
                          preexec_fn=pre, env=env, timeout=300)


@pytest.mark.parametrize("case", ["csv", "png", "hepmc3"])
def test_file_size_limit_leaves_no_partial_file(case, tmp_path):
    if case == "hepmc3":
        argv = ["generate", "--mass", "0.3", "--energy", "100", "--events", "300", "--no-progress",
                "--output", str(tmp_path / "ev.hepmc3")]
        limit, missing, present = 50_000, ["ev.hepmc3"], []  # 300 events are ~240 kB
    else:
        argv = ["relic", "line", "--model", "lfv", "--n", "40", "--output", str(tmp_path)]
        # the CSV is ~1 kB and the PNG ~30 kB: cut the CSV, or let the CSV through and cut the PNG
        limit = 500 if case == "csv" else 8000
        missing = ["relic_lfv_eq2_ratio3.csv", "relic_lfv_eq2_ratio3.png"] if case == "csv" else \
            ["relic_lfv_eq2_ratio3.png"]
        present = [] if case == "csv" else ["relic_lfv_eq2_ratio3.csv"]
    cp = _fsize_limited(argv, limit, tmp_path)
    assert cp.returncode == 1, cp.stderr
    # one error line (a library warning about its own cache, if any, may precede it)
    assert "Traceback" not in cp.stderr and cp.stderr.strip().splitlines()[-1].startswith("leptoportal: error"), \
        cp.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not any(n in names for n in missing), names
    assert all(n in names for n in present), names
    assert not any(n.endswith((".part", ".png", ".csv")) and n.startswith(".") for n in names), names
    if present:
        assert (tmp_path / present[0]).read_text().count("\n") == 43  # 2 comments + header + 40 rows


# ------------------------------------------------------------------------ reach table damage and runs
def toy_raw(**kw):
    raw = {"title": "toy", "setup": "none", "exposures": [1e10], "cl": 0.9, "seed": 3, "model": {"name": "toy"},
           "statistics": {"method": "background-free"}, "masses": {"min": 0.1, "max": 1.0, "n": 4},
           "coupling": {"min": 1e-8, "max": 1.0}, "provider": {"name": "toy-power-law", "A": 1e-3}}
    raw.update(kw)
    return raw


def _corrupt(text: bytes, how: str) -> bytes:
    lines = text.split(b"\n")
    i = next(k for k, ln in enumerate(lines) if ln.startswith(b"2,"))  # the row of mass index 2
    ln = lines[i]
    f = ln.split(b",")
    f[3] = bytes([f[3][0] ^ 1]) + f[3][1:]  # one digit of the limit changed
    lines[i] = {"utf8": ln[:5] + b"\xff\xfe" + ln[7:], "nul": ln[:5] + b"\x00" + ln[6:],
                "digit": b",".join(f), "info": ln.rsplit(b",", 2)[0] + b",garbage," + ln.rsplit(b",", 1)[1],
                "fields": ln.replace(b",", b";", 1)}[how] if how != "truncate" else ln
    out = b"\n".join(lines)
    if how == "truncate":  # a cut last line
        out = out.rstrip(b"\n")[:-7]
    return out


@pytest.mark.parametrize("how", ["utf8", "nul", "digit", "info", "fields", "truncate"])
def test_resume_detects_every_damaged_line(how, tmp_path):
    cfg = parse_config(toy_raw())
    ref = run_scan(cfg, tmp_path / "ref", progress=False, overlays=False, quiet=True)
    p = tmp_path / "ref" / "reach.csv"
    clean = p.read_bytes()
    data = _corrupt(clean, how)
    assert data != clean
    p.write_bytes(data)
    damaged = []
    read_reach_csv(p, damaged)
    assert len(damaged) == 1 and damaged[0].startswith("line "), damaged
    with pytest.raises(InputError, match="line"):
        read_reach_csv(p)
    res = run_scan(cfg, tmp_path / "ref", resume=True, progress=False, overlays=False, quiet=True)
    assert any("recomputed" in w for w in res.warnings)
    assert [r["coupling_limit"] for r in res.rows] == [r["coupling_limit"] for r in ref.rows]
    assert p.read_bytes() == clean  # the recomputed table is the undamaged one, byte for byte


def test_failed_run_leaves_no_stub_and_second_run_needs_no_force(tmp_path, monkeypatch):
    from leptoportal.reach import providers

    prov = providers.get_provider("toy-power-law")

    def boom(*a, **k):
        raise RuntimeError("provider failed")

    monkeypatch.setitem(providers._REGISTRY, "toy-power-law", providers.YieldProvider(
        prov.name, boom, prov.description, prov.options))
    cfg = parse_config(toy_raw())
    with pytest.raises(RuntimeError):
        run_scan(cfg, tmp_path, progress=False, overlays=False, quiet=True)
    assert not (tmp_path / "reach.csv").exists() and not (tmp_path / ".lock").exists()
    monkeypatch.setitem(providers._REGISTRY, "toy-power-law", prov)
    res = run_scan(cfg, tmp_path, progress=False, overlays=False, quiet=True)
    assert res.complete


def test_second_run_into_a_locked_directory_refuses(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tmp_path.mkdir(exist_ok=True)
        (tmp_path / ".lock").write_text(f"{sleeper.pid}\n")
        with pytest.raises(InputError, match="in use by another run"):
            run_scan(parse_config(toy_raw()), tmp_path, progress=False, overlays=False, quiet=True)
        assert not (tmp_path / "reach.csv").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# ------------------------------------------------------------------------ end to end, no traceback
E2E = [
    ["xsec", "--target", "1,1e300,1", "--mass", "0.3", "--energy", "100"],
    ["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4", "--mot", "1e308"],
    ["generate", "--mass", "0.3", "--energy", "100", "--events", "10", "--output", "/proc/x.hepmc3"],
    ["reach", "na64e-lfv", "--workers", "0"],
]


@pytest.mark.parametrize("argv", E2E, ids=[" ".join(a[:2]) for a in E2E])
def test_end_to_end_no_traceback(argv, tmp_path):
    cp = subprocess.run([sys.executable, "-m", "leptoportal", *argv], capture_output=True, text=True, cwd=tmp_path,
                        timeout=120, env=dict(os.environ, MPLBACKEND="Agg"))
    assert cp.returncode == 2 and "Traceback" not in cp.stderr and len(cp.stderr.strip().splitlines()) == 1, \
        cp.stderr
    assert list(tmp_path.iterdir()) == []


def test_api_never_hides_a_nonfinite_cross_section(monkeypatch):
    monkeypatch.setitem(api.QUANTITIES[api.Method.ETL], "sigma_total", lambda *a, **k: float("nan"))
    with pytest.raises(ArithmeticError, match="non-finite"):
        api.total_cross_section(LFVScalar(mass=0.3), 100.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert api.total_cross_section(LFVScalar(mass=0.3), 100.0, method="ww") > 0
