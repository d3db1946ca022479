"""``leptoportal generate``: unweighted (or weighted) events to HepMC3, LHE or Parquet.

    leptoportal generate --beam e- --final mu- --mass 0.3 --energy 100 --coupling 1e-4 \\
        --target Pb --method ww --events 100000 --seed 1 --output events.hepmc3

The format follows the suffix (.hepmc3, .lhe, .lhe.gz, .parquet).  Every argument is
validated (and the output directory checked) before any event is generated; the file is
written under a temporary name and renamed when complete.  A progress bar goes to stderr
when it is a terminal.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..domains import arg, help_range
from ..xsec import api


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="generate events l_i N -> l_f N phi (HepMC3, LHE, Parquet)",
        description="Sample final states from the ETL (Eq. 12), WW (Eqs. 22, 27) or IWW (App. A) cross sections "
                    "of the e->mu paper by exact rejection against the engine's density; write HepMC3, LHE or "
                    "Parquet (format from the --output suffix).",
    )
    p.add_argument("--beam", default="e-", help="beam lepton: e-, e+, mu-, mu+ (default e-)")
    p.add_argument("--final", default="mu-", help="outgoing lepton, same charge as the beam (default mu-)")
    p.add_argument("--mass", type=arg("mass"), required=True, metavar="GEV",
                   help=f"scalar mass m_phi [GeV], {help_range('mass')}")
    p.add_argument("--energy", type=arg("energy"), required=True, metavar="GEV",
                   help=f"beam energy [GeV], above the process threshold, {help_range('energy')}")
    p.add_argument("--coupling", type=arg("coupling"), default=1e-4,
                   help=f"coupling h (default 1e-4), {help_range('coupling')}")
    p.add_argument("--target", default="Pb", help="Pb, W, Fe, Cu, Al, C, or 'Z,A,density' (default Pb)")
    p.add_argument("--method", default="ww", choices=api.METHODS, help="etl, ww or iww (default ww)")
    p.add_argument("--frame", default=None, choices=["x", "y"],
                   help="WW/IWW: sample (x, theta_k) [x, default] or (y, psi) [y]; ETL always samples the full 2->3")
    p.add_argument("--form-factor", default="elastic", choices=["elastic", "atomic-nuclear"],
                   help="G2: elastic Eq. (6) (default) or atomic+nuclear (Bjorken et al. 2009)")
    p.add_argument("--events", type=arg("events"), required=True,
                   help=f"number of events, {help_range('events')} (memory; split larger samples by --seed)")
    p.add_argument("--seed", type=arg("seed"), default=1, help=f"random seed (default 1), {help_range('seed')}")
    p.add_argument("--weighted", action="store_true", help="weighted events (weights in pb) instead of unweighted")
    p.add_argument("--output", required=True, help="output file: .hepmc3, .lhe, .lhe.gz or .parquet")
    p.add_argument("--workers", type=arg("workers"), default=1,
                   help=f"processes (default 1); events identical for any value; {help_range('workers')}")
    p.add_argument("--no-progress", action="store_true", help="never show the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..generate import sample_events, write_events
    from ..generate.writers import check_writable
    from ..models import LFVScalar

    check_writable(args.output, "--output")
    model = LFVScalar(mass=args.mass, coupling=args.coupling)
    bar = None
    if not args.no_progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=args.events, unit="ev", file=sys.stderr, desc="generate")
    try:
        ev = sample_events(model, args.energy, args.events, np.random.default_rng(args.seed), target=args.target,
                           method=args.method, beam=args.beam, final=args.final, form_factor=args.form_factor,
                           weighted=args.weighted, frame=args.frame, progress=bar.update if bar else None,
                           workers=args.workers)
    finally:
        if bar is not None:
            bar.close()
    path = write_events(ev, args.output)
    i = ev.info
    sys.stdout.write(
        f"wrote {len(ev)} {'weighted' if args.weighted else 'unweighted'} events to {path} "
        f"(method={ev.method}, frame={ev.frame}, sigma={float(np.mean(ev.sigma_pb)):.6g} pb, "
        f"acceptance={i['acceptance']:.3f}, envelope violations={i['n_violations']})\n")
    return 0
