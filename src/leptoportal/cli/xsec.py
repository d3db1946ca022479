"""``leptoportal xsec``: production cross sections from the command line.

    leptoportal xsec --beam e- --final mu- --mass 0.11 0.3 --energy 100 150 \\
        --coupling 1e-4 --target Pb --method etl --x 0.1 0.5 --psi 0.001 --json
    leptoportal xsec --beam mu- --final mu- --coupling-type scalar --mass 0.1 --energy 150 --json

``--coupling-type``: chiral (h l_f-bar P_R l_i phi, the e->mu paper; default), scalar
(g l-bar l S) or pseudoscalar (g l-bar i gamma5 l a); ``--coupling`` is h or g.

With ``--json``: JSON Lines, one object per (energy, mass) point, energies outer
and masses inner in the order given.  Lines are printed as they are computed, so
an interrupted run keeps what it has.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np

from ..domains import arg, help_range
from ..models import LFVScalar
from ..xsec import api


def register(sub) -> None:
    p = sub.add_parser(
        "xsec",
        help="production cross sections l_i N -> l_f N phi (ETL, WW, IWW)",
        description="Total and differential cross sections (pb) for l_i N -> l_f N phi "
        "(e->mu paper Sec. II): ETL Eq. (12), WW Eqs. (22)-(27), IWW Eqs. (A1)-(A4).",
    )
    p.add_argument("--beam", default="e-", help="beam lepton: e-, e+, mu-, mu+ (default e-)")
    p.add_argument("--final", default="mu-", help="outgoing lepton, same charge as the beam (default mu-)")
    p.add_argument("--mass", type=arg("mass"), nargs="+", required=True, metavar="GEV",
                   help=f"scalar mass(es) m_phi [GeV], {help_range('mass')}")
    p.add_argument("--energy", type=arg("energy"), nargs="+", required=True, metavar="GEV",
                   help=f"beam energy(ies) [GeV], above the process threshold, {help_range('energy')}")
    p.add_argument("--coupling", type=arg("coupling"), default=1e-4,
                   help="coupling h (chiral) or g (scalar/pseudoscalar), default 1e-4; sigma scales as its square; "
                   + help_range("coupling"))
    p.add_argument("--coupling-type", default="chiral", choices=["chiral", "scalar", "pseudoscalar"],
                   help="vertex: chiral h l_f-bar P_R l_i phi (e->mu paper, default), scalar g l-bar l S, "
                   "pseudoscalar g l-bar i gamma5 l a")
    p.add_argument("--target", default="Pb", help="Pb, W, Fe, Cu, Al, C, or 'Z,A,density' (default Pb)")
    p.add_argument("--method", default="etl", choices=api.METHODS, help="etl (exact), ww, iww (default etl). WW applies where m_f^2 <= 3 (m_phi^2 + m_i^2): for e->mu "
                   "below m_phi ~ 60 MeV it underestimates ETL and vanishes at low energy (its flux window closes: "
                   "below 2.81 GeV at 2 MeV, 5.06 GeV at 1 MeV on Pb); the output then carries a 'warning'")
    p.add_argument("--form-factor", default="elastic", choices=["elastic", "atomic-nuclear"],
                   help="G2: elastic Eq. (6) (default) or atomic+nuclear (Bjorken et al. 2009)")
    p.add_argument("--x", type=arg("x"), nargs="+", metavar="X",
                   help=f"also d sigma/dx at these x = E_phi/E_i, {help_range('x')}")
    p.add_argument("--psi", type=arg("psi"), nargs="+", metavar="RAD",
                   help=f"also d sigma/dpsi at these lepton angles [rad], {help_range('psi')}")
    p.add_argument("--json", action="store_true", help="JSON Lines output (one object per point)")
    p.set_defaults(func=run)


def _floats(a):
    return [float(v) for v in np.ravel(a)]


def run(args: argparse.Namespace) -> int:
    # validate everything before computing anything
    proc = api.make_process(args.beam, args.final, args.target, args.method, args.form_factor, args.coupling_type)
    for E in args.energy:
        api._check_points(proc, E, np.asarray(args.mass))

    common = dict(target=args.target, method=args.method, beam=args.beam, final=args.final,
                  form_factor=args.form_factor)
    out = sys.stdout
    if not args.json:
        head = f"{'E [GeV]':>10} {'m_phi [GeV]':>12} {'sigma [pb]':>14}"
        out.write(f"# {proc.beam.name} {proc.target.name} -> {proc.final.name} {proc.target.name} phi, "
                  f"method={args.method}, vertex={args.coupling_type}, coupling={args.coupling:g}, "
                  f"form factor={args.form_factor}\n{head}\n")
    for E in args.energy:
        for m in args.mass:
            model = LFVScalar(mass=m, coupling=args.coupling, vertex=args.coupling_type)
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always", api.ApproximationWarning)
                rec = {
                    "energy_gev": E,
                    "mass_gev": m,
                    "method": args.method,
                    "beam": proc.beam.name,
                    "final": proc.final.name,
                    "target": proc.target.name,
                    "coupling": args.coupling,
                    "coupling_type": args.coupling_type,
                    "form_factor": args.form_factor,
                    "sigma_pb": float(api.total_cross_section(model, E, **common)),
                }
                if args.x is not None:
                    rec["x"] = list(args.x)
                    rec["dsigma_dx_pb"] = _floats(api.dsigma_dx(model, E, args.x, **common))
                if args.psi is not None:
                    rec["psi_rad"] = list(args.psi)
                    rec["dsigma_dpsi_pb_per_rad"] = _floats(api.dsigma_dpsi(model, E, args.psi, **common))
            notes = list(dict.fromkeys(str(w.message) for w in seen if issubclass(w.category, api.ApproximationWarning)))
            if notes:
                rec["warning"] = "; ".join(notes)
            if args.json:
                out.write(json.dumps(rec) + "\n")
            else:
                out.write(f"{E:10.4g} {m:12.6g} {rec['sigma_pb']:14.6e}\n")
                if notes:
                    out.write(f"    warning: {rec['warning']}\n")
                if args.x is not None:
                    out.write("    x:           " + " ".join(f"{v:11.4g}" for v in args.x) + "\n")
                    out.write("    dsig/dx [pb]:" + " ".join(f"{v:11.4e}" for v in rec["dsigma_dx_pb"]) + "\n")
                if args.psi is not None:
                    out.write("    psi [rad]:   " + " ".join(f"{v:11.4g}" for v in args.psi) + "\n")
                    out.write("    dsig/dpsi [pb/rad]:" + " ".join(f"{v:11.4e}" for v in rec["dsigma_dpsi_pb_per_rad"]) + "\n")
            out.flush()
    return 0
