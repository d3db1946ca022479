"""``leptoportal plot``: the paper's figures, each PNG with a CSV of the plotted data beside it.

    leptoportal plot xsec --output ./leptoportal-plots [--quick] \\
        [--target Pb] [--coupling 1e-4] [--beam e-] [--final mu-]

``plot xsec`` draws Figs. 1 (top: d sigma/dx; bottom: d sigma/dpsi), 2 and 4 of
the NA64 e->mu paper (Sec. II C) with :func:`leptoportal.plots.plot_xsec` and
prints the written paths, one per line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..domains import arg, help_range

DEFAULT_OUTPUT = "./leptoportal-plots"


def register(sub) -> None:
    p = sub.add_parser("plot", help="figures (PNG) with their data (CSV)",
                       description="Draw figures; every PNG gets a CSV with exactly the plotted data beside it.")
    what = p.add_subparsers(dest="plot_what", metavar="FIGURES")
    what.required = True
    x = what.add_parser(
        "xsec",
        help="cross-section figures of the e->mu paper (Figs. 1, 2, 4)",
        description="Figs. 1 (d sigma/dx and d sigma/dpsi at 100 GeV), 2 (sigma vs beam energy) and 4 "
        "(sigma_IWW/sigma_ETL) of the NA64 e->mu paper, Sec. II C: ETL, WW and IWW.",
    )
    x.add_argument("--output", default=DEFAULT_OUTPUT, metavar="DIR",
                   help=f"output directory, created if missing (default {DEFAULT_OUTPUT})")
    x.add_argument("--quick", action="store_true", help="coarse grids (a few seconds instead of ~half a minute)")
    x.add_argument("--target", default="Pb", help="Pb, W, Fe, Cu, Al, C, or 'Z,A,density' (default Pb)")
    x.add_argument("--coupling", type=arg("coupling"), default=1e-4,
                   help=f"coupling h (default 1e-4), {help_range('coupling')}; sigma scales as h^2")
    x.add_argument("--beam", default="e-", help="beam lepton: e-, e+, mu-, mu+ (default e-)")
    x.add_argument("--final", default="mu-", help="outgoing lepton, same charge as the beam (default mu-)")
    x.set_defaults(func=run_xsec)


def run_xsec(args: argparse.Namespace) -> int:
    from .. import plots
    from ..fileio import check_writable_dir
    from ..xsec import figures

    figures.process_for(args.target, args.beam, args.final, args.coupling)  # validate before any output is made
    outdir = check_writable_dir(Path(args.output).expanduser(), "--output")
    data = figures.paper_figures(quick=args.quick, target=args.target, beam=args.beam, final=args.final,
                                 coupling=args.coupling)
    paths = plots.plot_xsec(outdir, data)
    for path in paths:
        print(path, flush=True)
    return 0
