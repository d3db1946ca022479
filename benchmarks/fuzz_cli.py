"""Robustness campaign for the command line: malformed and extreme inputs, end to end.

Runs every case as its own Python process (``leptoportal.cli.main``) (timeout per case) and sorts the
outcomes into

* ``clean``      -- exit 2 with a one-line message on stderr, or exit 0 with finite output
                    (no nan/inf, no unexplained zero, every written file finite);
* ``traceback``  -- "Traceback" on stderr;
* ``wrong-exit`` -- any other exit code, or exit 0 printing nan/inf or an unexplained 0;
* ``hang``       -- no answer within the timeout.

    python benchmarks/fuzz_cli.py [--jobs 2] [--timeout 90] [--show wrong-exit,traceback,hang]

The cases are generated from the sub-commands' numeric flags (each crossed with out-of-range,
non-finite and garbage values) plus a list of reported inputs.  Numbers are printed as
``tried / clean / traceback / wrong-exit / hang``.  It takes several minutes; it is not part of
the unit tests (those run the same kinds of inputs in-process).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BAD_VALUES = ["-1", "0", "nan", "inf", "-inf", "1e300", "1e-300", "abc", ""]
INT_BAD = ["-1", "0", "3000000000", "1e20", "abc", "2.5"]

# (base argv, {flag: kind}) -- kind "f" (float) or "i" (int); base runs cheaply when valid
SUBCOMMANDS = [
    (["xsec", "--mass", "0.3", "--energy", "100", "--json"],
     {"--mass": "f", "--energy": "f", "--coupling": "f", "--x": "f", "--psi": "f"}),
    (["xsec", "--mass", "0.3", "--energy", "100", "--method", "ww", "--json"], {"--energy": "f", "--mass": "f"}),
    (["generate", "--mass", "0.3", "--energy", "100", "--events", "50", "--no-progress", "--output", "{out}/ev.hepmc3"],
     {"--mass": "f", "--energy": "f", "--coupling": "f", "--events": "i", "--seed": "i", "--workers": "i"}),
    (["g2", "--model", "muon-specific", "--mass", "0.1", "--json"], {"--mass": "f"}),
    (["g2", "--model", "lfv", "--mass", "0.1", "--json"], {"--mass": "f"}),
    (["leptophilic", "point", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4", "--json"],
     {"--mass": "f", "--g-mu": "f", "--g-chi": "f", "--mchi-ratio": "f"}),
    (["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4", "--mot", "1e12",
      "--json"],
     {"--mass": "f", "--g-mu": "f", "--mot": "f", "--energy": "f", "--target-length-cm": "f", "--dedy": "f",
      "--x-min": "f"}),
    (["leptophilic", "reach", "--model", "muon-specific", "--output", "{out}/lr", "--quick"],
     {"--mot": "f", "--masses": "f", "--g-chi": "f", "--mchi-ratio": "f"}),
    (["relic", "line", "--model", "muon-specific", "--n", "3", "--output", "{out}/rl"],
     {"--m-min": "f", "--m-max": "f", "--n": "i", "--g-chi": "f", "--mchi-ratio": "f"}),
    (["relic", "point", "--model", "muon-specific", "--mass", "1.0", "--g-mu", "2e-3", "--json"],
     {"--mass": "f", "--g-mu": "f", "--g-chi": "f", "--mchi-ratio": "f"}),
    (["relic", "point", "--swave-sigma-v", "2.2e-26", "--mass", "100", "--json"],
     {"--swave-sigma-v": "f", "--mass": "f"}),
    (["simulate", "shower", "--showers", "2", "--json"],
     {"--energy": "f", "--showers": "i", "--seed": "i"}),
    (["simulate", "signal", "--mass", "0.3", "--events", "300", "--showers", "20", "--json"],
     {"--mass": "f", "--coupling": "f", "--events": "i", "--seed": "i", "--showers": "i"}),
    (["simulate", "background", "--eot", "1e9", "--hadron-decays", "1000", "--showers", "20", "--json"],
     {"--eot": "f", "--seed": "i", "--workers": "i", "--hadron-decays": "i", "--showers": "i", "--pi-per-e": "f",
      "--k-per-pi": "f", "--srd-suppression": "f", "--d-srd-cm": "f", "--mot-events": "i"}),
    (["plot", "xsec", "--quick", "--output", "{out}/px"], {"--coupling": "f"}),
]

# the reported inputs, verbatim
REPORTED = [
    ["generate", "--mass", "0.3", "--energy", "100", "--events", "50", "--no-progress", "--output", "/proc/x.hepmc3"],
    ["simulate", "signal", "--mass", "0.3", "--events", "300", "--showers", "20", "--plots", "/proc/x"],
    ["simulate", "shower", "--seed", "-1", "--showers", "2"],
    ["simulate", "shower", "--energy", "1e12", "--showers", "2"],
    ["xsec", "--coupling", "1e300", "--mass", "0.3", "--energy", "100"],
    ["xsec", "--mass", "1e-300", "--energy", "100"],
    ["xsec", "--energy", "1e300", "--mass", "0.3"],
    ["xsec", "--target", "1,1e300,1", "--mass", "0.3", "--energy", "100"],
    ["xsec", "--target", "82,207,nan", "--mass", "0.3", "--energy", "100"],
    ["xsec", "--target", "0,0,0", "--mass", "0.3", "--energy", "100"],
    ["xsec", "--target", "Xx", "--mass", "0.3", "--energy", "100"],
    ["xsec", "--mass", "0.002", "--energy", "2", "--method", "ww", "--json"],
    ["xsec", "--mass", "0.001", "--energy", "100", "--method", "ww", "--json"],
    ["g2", "--model", "muon-specific", "--mass", "1e300"],
    ["g2", "--model", "muon-specific", "--mass", "0.1", "--input", "nosuch"],
    ["leptophilic", "point", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "1e300"],
    ["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "1e300", "--mot", "1e12"],
    ["leptophilic", "yield", "--model", "muon-specific", "--mass", "0.1", "--g-mu", "5e-4", "--mot", "1e308"],
    ["leptophilic", "yield", "--model", "muon-specific", "--mass", "200", "--g-mu", "5e-4", "--mot", "1e12"],
    ["relic", "line", "--model", "muon-specific", "--m-max", "1e300", "--n", "3", "--output", "{out}/r2"],
    ["relic", "line", "--model", "muon-specific", "--g-chi", "0", "--n", "3", "--output", "{out}/r3"],
    ["relic", "point", "--model", "muon-specific", "--mass", "1", "--g-mu", "2e-3", "--g-chi", "0"],
    ["generate", "--mass", "0.3", "--energy", "100", "--events", "3000000000", "--output", "{out}/big.hepmc3"],
    ["generate", "--mass", "0.3", "--energy", "100", "--events", "1e20", "--output", "{out}/big.hepmc3"],
    ["reach", "na64e-lfv", "--scheduler", "tcp://127.0.0.1:1", "--output", "{out}/sch"],
]

# reach configs: (name, toml text with {base} = a shipped config's text to be edited)
REACH_EDITS = [
    ("masses.n huge", "n = 40", "n = 2000000000"),
    ("masses.n 200000", "n = 40", "n = 200000"),
    ("exposures 1e308", "exposures = [1e11]", "exposures = [1e308]"),
    ("provider.events 0", "events = 100000", "events = 0"),
    ("provider.method xyz", 'method = "ww"', 'method = "xyz"'),
    ("setup na99", 'setup = "na64e"', 'setup = "na99"'),
    ("provider x_min", 'name = "na64e-simulation"', 'name = "na64e-simulation"\nx_min = 5.0'),
    ("overlay misspelt", 'n_sigma = 3.0', 'n_sigmaa = 3.0'),
    ("seed -1", "seed = 1\n\n[model]", "seed = -1\n\n[model]"),
    ("cl 1", "cl = 0.9", "cl = 1.0"),
    ("coupling.max 1e300", "max = 1.0", "max = 1e300"),
]

FIELDS_NONZERO = ("sigma_pb", "n_signal", "yield_per_eot", "selected_per_eot", "omega_h2", "coupling_central")


def _cases(out: str) -> list[tuple[str, list[str] | str]]:
    cases = []
    for base, flags in SUBCOMMANDS:
        base = [a.replace("{out}", out) for a in base]
        cases.append(("valid " + " ".join(base[:2]), base))
        for flag, kind in flags.items():
            for v in (BAD_VALUES if kind == "f" else INT_BAD):
                argv = list(base)
                if flag in argv:
                    i = argv.index(flag)
                    argv[i + 1] = v
                else:
                    argv += [flag, v]
                cases.append((f"{' '.join(base[:2])} {flag} {v!r}", argv))
    for argv in REPORTED:
        cases.append(("reported " + " ".join(argv[:2]), [a.replace("{out}", out) for a in argv]))
    return cases


def _reach_cases(out: str) -> list:
    from importlib import resources

    base = (resources.files("leptoportal") / "data" / "reach" / "na64e-lfv.toml").read_text(encoding="utf-8")
    cases = []
    for i, (name, old, new) in enumerate(REACH_EDITS):
        assert old in base, name
        p = Path(out) / f"cfg{i}.toml"
        p.write_text(base.replace(old, new, 1), encoding="utf-8")
        cases.append((f"reach config {name}", ["reach", str(p), "--output", f"{out}/reach{i}", "--quick"]))
    p = Path(out) / "utf16.toml"
    p.write_bytes(base.encode("utf-16"))
    cases.append(("reach config utf-16", ["reach", str(p), "--output", f"{out}/reach-u16", "--quick"]))
    p = Path(out) / "latin1.toml"
    p.write_bytes(base.encode("utf-8").replace(b"Secs.", b"Secs.\xe9", 1))  # not UTF-8
    cases.append(("reach config not UTF-8", ["reach", str(p), "--output", f"{out}/reach-l1", "--quick"]))
    return cases


def _files_finite(paths) -> str | None:
    """A written CSV/JSON with inf anywhere, or a CSV column that is nan in every row (a result
    that says nothing) -- unless the file's header says what inf or nan means (``# ... nan = ...``)."""
    for p in paths:
        p = Path(p)
        if not (p.is_file() and p.suffix in (".csv", ".json")):
            continue
        text = p.read_text(errors="replace").lower()
        body = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
        header = [ln for ln in text.splitlines() if ln.startswith("#")]
        if re.search(r"(?<![a-z_])(inf|infinity)(?![a-z_])", "\n".join(body)) and not any("inf =" in ln
                                                                                        for ln in header):
            return f"inf in {p.name}"
        documented = any("nan =" in ln for ln in header)
        if p.suffix == ".csv" and len(body) > 1 and not documented:
            cols = list(zip(*[ln.split(",") for ln in body[1:]]))
            for name, col in zip(body[0].split(","), cols):
                if all(v.strip() == "nan" for v in col):
                    return f"column {name} of {p.name} is nan in every row"
    return None


def classify(rc, out: str, err: str, outdir: str) -> tuple[str, str]:
    if rc is None:
        return "hang", "timeout"
    if "Traceback" in err:
        return "traceback", err.strip().splitlines()[-1][:160]
    if rc == 2:
        lines = [ln for ln in err.strip().splitlines() if ln.strip() and not ln.startswith("usage:")
                 and not ln.startswith(" ")]
        if len(lines) == 1:
            return "clean", lines[0][:160]
        return "wrong-exit", "exit 2 with several lines: " + " | ".join(lines)[:160]
    if rc != 0:
        return "wrong-exit", f"exit {rc}: {err.strip()[-160:]}"
    low = out.lower()
    if re.search(r"(?<![a-z_])(nan|inf|infinity)(?![a-z_])", low):
        return "wrong-exit", "exit 0 printing nan/inf: " + out.strip()[:160]
    for line in out.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            for k in FIELDS_NONZERO:
                if rec.get(k) == 0 and "warning" not in rec:
                    return "wrong-exit", f"exit 0 with {k} = 0 and no warning"
    bad = _files_finite(Path(outdir).rglob("*"))
    if bad:
        return "wrong-exit", "exit 0 but " + bad
    return "clean", "ok"


def run_case(label, argv, timeout, workdir):
    outdir = tempfile.mkdtemp(dir=workdir)
    argv = [a.replace(str(workdir) + "/CASE", outdir) for a in argv]
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        cp = subprocess.run([sys.executable, "-c", "import sys; from leptoportal.cli import main; sys.exit(main())", *argv], capture_output=True, text=True,
                            timeout=timeout, env=env, cwd=outdir)
        rc, out, err = cp.returncode, cp.stdout, cp.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = None, "", ""
    kind, why = classify(rc, out, err, outdir)
    return label, argv, kind, why


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=90.0)
    ap.add_argument("--show", default="traceback,wrong-exit,hang")
    ap.add_argument("--filter", default="", help="only cases whose label contains this")
    ap.add_argument("--json", help="write every outcome here")
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lp-fuzz-"))
    out = str(work / "CASE")
    cases = _cases(out) + _reach_cases(str(work))
    cases = [c for c in cases if a.filter in c[0]]
    counts = {"clean": 0, "traceback": 0, "wrong-exit": 0, "hang": 0}
    results = []
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(run_case, lab, av, a.timeout, work) for lab, av in cases]
        for f in cf.as_completed(futs):
            lab, av, kind, why = f.result()
            counts[kind] += 1
            results.append({"label": lab, "argv": av, "kind": kind, "why": why})
    show = set(a.show.split(","))
    for r in sorted(results, key=lambda r: (r["kind"], r["label"])):
        if r["kind"] in show:
            print(f"[{r['kind']}] {r['label']}: {r['why']}\n    leptoportal {' '.join(r['argv'])}")
    print(f"tried {len(results)} / clean {counts['clean']} / traceback {counts['traceback']} / "
          f"wrong-exit {counts['wrong-exit']} / hang {counts['hang']}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0 if counts["clean"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
