"""``leptoportal simulate``: fast detector simulation from the command line.

    leptoportal simulate signal --setup na64e --mass 0.3 --coupling 1e-4 --events 100000 \\
        --seed 1 [--method etl|ww|iww] [--plots DIR] [--json]
    leptoportal simulate signal --setup na64mu --process mu-to-e --mass 0.3 --coupling 1e-4 --json
    leptoportal simulate shower --setup na64e [--beam e-] [--showers 200] [--json]

``signal`` prints the produced signal per EOT (e- and e+ shower particles together, and the
e+ part separately; e->mu paper Eq. 29), the selection efficiency (cuts i-iii, Eq. 28) and
the selected signal per EOT.  ``shower`` prints the total track lengths of the ECAL shower.
The ``background`` sub-command is defined in :mod:`leptoportal.cli.background`.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..domains import arg, help_range
from ..errors import InputError


def register(sub) -> None:
    p = sub.add_parser("simulate", help="fast detector simulation: signal yield/efficiency, shower track lengths",
                       description="Fast simulation of NA64e/NA64-mu (e->mu paper Sec. III).")
    what = p.add_subparsers(dest="what", metavar="WHAT")
    what.required = True

    s = what.add_parser("signal", help="signal yield per EOT, efficiency and selected events (e->mu paper Eq. 29)",
                        description="Signal per EOT from the ECAL shower track lengths x sigma (Eq. 29), the "
                                    "final state from the generator, muon transport and the selection (Eq. 28).")
    s.add_argument("--setup", default="na64e", help="setup name (na64e) or path to a setup TOML (default na64e)")
    s.add_argument("--mass", type=arg("mass"), required=True, metavar="GEV",
                   help=f"scalar mass m_phi [GeV], {help_range('mass')}")
    s.add_argument("--coupling", type=arg("coupling"), default=1e-4,
                   help="coupling: h of e->mu phi (e+- beams), g_mu of the muon-specific leptophilic scalar "
                        "(muon beams, e.g. --setup na64mu); default 1e-4; " + help_range("coupling"))
    s.add_argument("--events", type=arg("events"), default=100000,
                   help=f"signal events to simulate (default 100000), {help_range('events')}")
    s.add_argument("--seed", type=arg("seed"), default=1, help=f"random seed (default 1), {help_range('seed')}")
    s.add_argument("--method", default="ww", choices=["etl", "ww", "iww"], help="cross-section method (default ww)")
    s.add_argument("--beam", default=None, help="beam particle (default: the setup's)")
    s.add_argument("--showers", type=arg("showers"), default=200,
                   help=f"showers for the track-length table (default 200, cached), {help_range('showers')}")
    s.add_argument("--nuclei", nargs="+", default=None,
                   help="production nuclei of the ECAL / active target (default: every element of it heavier than "
                        "hydrogen, e.g. Pb C for the Pb/Sc shashlik)")
    s.add_argument("--process", default="auto", choices=["auto", "mu-to-e"],
                   help="auto: e->mu phi for e+- beams, mu N -> mu N S (leptophilic) for muon beams; mu-to-e: "
                        "mu N -> e N phi at a muon-beam setup (LFV scalar, coupling h; proposed selection)")
    s.add_argument("--plots", metavar="DIR", help="write Figs. 6-7 (HCAL deposits, E_miss) and their CSVs here")
    s.add_argument("--json", action="store_true", help="one JSON object on stdout")
    s.set_defaults(func=run_signal)

    sh = what.add_parser("shower", help="track lengths of the EM shower in the ECAL",
                         description="Differential track lengths of e-, e+, gamma from the 1-D cascade MC.")
    sh.add_argument("--setup", default="na64e", help="setup name or TOML path (default na64e)")
    sh.add_argument("--beam", default="e-", choices=["e-", "e+", "gamma"])
    sh.add_argument("--energy", type=arg("shower_energy"), default=None, metavar="GEV",
                    help=f"primary energy (default: beam), {help_range('shower_energy')}")
    sh.add_argument("--showers", type=arg("showers"), default=200, help=f"showers (default 200), {help_range('showers')}")
    sh.add_argument("--seed", type=arg("seed"), default=0, help=f"random seed (default 0), {help_range('seed')}")
    sh.add_argument("--lpm", action="store_true", help="LPM suppression (Migdal)")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=run_shower)

    from .background import register_simulate

    register_simulate(what)


def run_signal(args: argparse.Namespace) -> int:
    from ..fileio import check_writable_dir
    from ..analysis.signal import simulate_signal
    from ..plots.signal import write_signal_plots

    if args.plots and args.process == "mu-to-e":
        raise InputError("--plots", "not available with --process mu-to-e")
    if args.plots:
        check_writable_dir(args.plots, "--plots")
    if sys.stderr.isatty():
        sys.stderr.write(f"leptoportal: simulating {args.events} signal events at m = {args.mass:g} GeV "
                         f"({args.setup}, {args.method}) ...\n")
    if args.process == "mu-to-e":
        from ..analysis.signal_mue import simulate_signal_mu_to_e

        res = simulate_signal_mu_to_e(args.setup, args.mass, args.coupling, events=args.events, seed=args.seed,
                                      method=args.method, nuclei=None if args.nuclei is None else tuple(args.nuclei))
    else:
        res = simulate_signal(args.setup, args.mass, args.coupling, events=args.events, seed=args.seed,
                              method=args.method, beam=args.beam, nuclei=None if args.nuclei is None else tuple(args.nuclei), n_showers=args.showers)
    out = res.to_json()
    if args.plots:
        files = write_signal_plots(res, args.plots)
        out["plots"] = [str(f) for f in files]
    if args.json:
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        for k in ("setup", "mass", "coupling", "method", "events", "yield_per_eot", "yield_per_eot_positron",
                  "efficiency", "efficiency_error", "efficiency_electron", "selected_per_eot"):
            if k in out:
                sys.stdout.write(f"{k:>26}: {out[k]}\n")
        for k, text in out.get("efficiency_definitions", {}).items():
            sys.stdout.write(f"# {k}: {text}\n")
        if out.get("cutflow"):
            first = next(iter(out["cutflow"].values()))
            cols = list(first) if isinstance(first, dict) else ["all"]
            kind = ("cumulative fraction of production" if "produced" in out["cutflow"]
                    else "fraction of production passing each cut on its own")
            sys.stdout.write(f"# cut flow ({kind}: " + ", ".join(cols) + ")\n")
            for name, v in out["cutflow"].items():
                vals = [v[c] for c in cols] if isinstance(v, dict) else [v]
                sys.stdout.write(f"{name:>30}: " + "  ".join(f"{x:.4g}" for x in vals) + "\n")
    return 0


def run_shower(args: argparse.Namespace) -> int:
    from ..detector.track_lengths import track_lengths

    tab = track_lengths(args.setup, beam=args.beam, energy=args.energy, n_showers=args.showers, seed=args.seed,
                        lpm=args.lpm)
    med = tab.medium
    out = {"medium": med.name, "X0_cm": med.X0_cm, "ecrit_gev": med.ecrit_gev, "length_x0": med.length_x0,
           "energy_gev": tab.energy_gev, "beam": tab.primary, "n_showers": tab.n_showers,
           "track_length_cm": {s: tab.total_cm(s) for s in tab.species},
           "track_length_above_1gev_cm": {s: tab.total_cm(s, 1.0) for s in tab.species},
           "approx_b_total_cm": med.X0_cm * tab.energy_gev / med.ecrit_gev,
           "from_cache": tab.meta.get("from_cache", False)}
    if args.json:
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        for k, v in out.items():
            sys.stdout.write(f"{k:>28}: {v}\n")
    return 0
