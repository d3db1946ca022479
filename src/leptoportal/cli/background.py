"""``leptoportal simulate background``: background rates per EOT (NA64e) or per MOT (NA64-mu).

    leptoportal simulate background --setup na64e --eot 1.5e11 --seed 1 --json [--plots DIR]
    leptoportal simulate background --setup na64mu --mot-events 200000 --json [--one-vs-two]

Registered into the ``simulate`` command by :mod:`leptoportal.cli.simulate`.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..domains import arg, help_range
from ..errors import InputError


def register_simulate(what) -> None:
    """Add the ``background`` sub-command to the ``simulate`` sub-parsers ``what``."""
    b = what.add_parser("background", help="background rates: dimuons, hadron decays in flight (NA64e); "
                                           "muon tridents (NA64-mu)",
                        description="Backgrounds of the e->mu paper Sec. III C (per EOT) with importance "
                                    "sampling, and the muon trident of the NA64-mu paper Sec. 3.2 (per MOT).")
    b.add_argument("--setup", default="na64e", help="na64e (default), na64mu, or a setup TOML path")
    b.add_argument("--eot", type=arg("exposure"), default=1.5e11,
                   help=f"EOT-equivalent exposure reached by biasing (default 1.5e11), {help_range('exposure')}")
    b.add_argument("--seed", type=arg("seed"), default=1, help=f"random seed (default 1), {help_range('seed')}")
    b.add_argument("--workers", type=arg("workers"), default=None,
                   help=f"processes (default: min(2, cores)), {help_range('workers')}")
    b.add_argument("--hadron-decays", type=arg("decays"), default=100000,
                   help=f"forced decays per hadron channel (default 1e5), {help_range('decays')}")
    b.add_argument("--showers", type=arg("showers"), default=200,
                   help=f"showers of the track-length table (cached), {help_range('showers')}")
    b.add_argument("--pi-per-e", type=arg("fraction"), default=None,
                   help=f"pi-/e- admixture (default 1e-2, paper), {help_range('fraction')}")
    b.add_argument("--k-per-pi", type=arg("fraction"), default=None,
                   help=f"K-/pi- ratio (default 0.03, paper), {help_range('fraction')}")
    b.add_argument("--srd-suppression", type=arg("fraction"), default=None,
                   help=f"SRD hadron suppression (default 2e-5), {help_range('fraction')}")
    b.add_argument("--d-srd-cm", type=arg("length_cm"), default=None,
                   help=f"SRD-to-ECAL distance [cm] (default: setup or 240), {help_range('length_cm')}")
    b.add_argument("--mot-events", type=arg("decays"), default=200000,
                   help=f"NA64-mu: trident MC events (default 2e5), {help_range('decays')}")
    b.add_argument("--one-vs-two", action="store_true", help="NA64-mu: apply the 1-vs-2 MIP rejection")
    b.add_argument("--plots", metavar="DIR", help="write the E_miss figure (Fig. 7) and its CSV here")
    b.add_argument("--json", action="store_true", help="one JSON object on stdout")
    b.set_defaults(func=run_background)


def _hadron_config(args):
    from ..analysis.backgrounds.hadrons import HadronConfig

    kw = {}
    for name in ("pi_per_e", "k_per_pi", "srd_suppression", "d_srd_cm"):
        v = getattr(args, name)
        if v is not None:
            kw[name] = v
    return HadronConfig(**kw)


def run_background(args: argparse.Namespace) -> int:
    from ..analysis import backgrounds

    from ..fileio import check_writable_dir

    if args.plots:
        check_writable_dir(args.plots, "--plots")
    if str(args.setup).lower() == "na64mu":
        if args.mot_events < 100:
            raise InputError("--mot-events", f"must be >= 100; got {args.mot_events}")
        r = backgrounds.estimate_na64mu(args.setup, n_events=args.mot_events, seed=args.seed,
                                        use_1vs2=args.one_vs_two)
        out = r.to_dict()
        if args.json:
            sys.stdout.write(json.dumps(out) + "\n")
        else:
            for k, v in out.items():
                sys.stdout.write(f"{k:>34}: {v}\n")
        return 0
    if args.hadron_decays < 100:
        raise InputError("--hadron-decays", f"must be >= 100; got {args.hadron_decays}")
    cfg = _hadron_config(args)
    report = (lambda msg: sys.stderr.write(f"leptoportal: {msg}\n")) if sys.stderr.isatty() else None
    res = backgrounds.estimate(args.setup, eot=args.eot, seed=args.seed, workers=args.workers,
                               hadron_decays=args.hadron_decays, hadron_config=cfg, n_showers=args.showers,
                               report=report)
    out = res.to_dict()
    if args.plots:
        signal = None
        try:
            from ..analysis.signal import simulate_signal

            signal = simulate_signal(args.setup, 0.3, 1e-4, events=20000, seed=args.seed, n_showers=args.showers)
        except ImportError:
            signal = None
        from ..plots.backgrounds import write_background_plots

        files = write_background_plots(res, args.plots, signal=signal)
        out["plots"] = [str(f) for f in files]
    if args.json:
        sys.stdout.write(json.dumps(out) + "\n")
        return 0
    sys.stdout.write(f"# backgrounds for {res.setup}, {res.eot:.3g} EOT-equivalent requested, seed {res.seed}\n")
    sys.stdout.write(f"{'source':<42} {'per EOT':>11} {'stat err':>10} {'90% UL':>10} {'paper':>10}\n")
    for row in res.table():
        ul = "-" if row["upper_limit_90"] is None else f"{row['upper_limit_90']:.3g}"
        pp = "-" if row["paper"] is None else f"{row['paper']:.3g}"
        sys.stdout.write(f"{row['source']:<42} {row['per_eot']:>11.3g} {row['stat_err']:>10.2g} {ul:>10} {pp:>10}\n")
    sys.stdout.write(f"dimuon EOT-equivalent reached: {res.dimuon_eot_equivalent:.3g}; hadron: "
                     f"{res.hadron_eot_equivalent:.3g}\n# {res.model_note}\n")
    return 0
