"""``leptoportal relic``: thermal-relic targets.

    leptoportal relic line --model muon-specific --mchi-ratio 3 --output DIR
    leptoportal relic line --model lepton-specific --resonance --eps-r 0.1 --output DIR
    leptoportal relic line --model lfv --output DIR          # e->mu paper Eq. (2) estimate
    leptoportal relic point --model muon-specific --mass 1.0 --g-mu 2e-3 --mchi-ratio 3 --json
    leptoportal relic point --swave-sigma-v 2.2e-26 --mass 100 [--majorana] --json

``line`` writes ``relic_<model>_<relation>.csv`` and ``.png`` (coupling giving
Omega h^2 = 0.12 versus the mediator mass; nan where unreachable / below 1 MeV).
For ``--model lfv`` the line is the e->mu paper's Eq. (2) *annihilation-rate estimate*
h(m_phi) with g = 0.1 and m_1 = m_2 = R m_phi (R = --mchi-ratio, the paper's 3).
``point --mass`` is m_S for the leptophilic presets and m_chi for ``--swave-sigma-v``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from ..domains import arg, check, help_range
from ..errors import InputError

MODELS = ("muon-specific", "lepton-specific", "lfv")


def register(sub) -> None:
    p = sub.add_parser("relic", help="thermal relic targets (freeze-out) and the e->mu Eq. (2) estimate",
                       description="Relic abundance of Dirac DM through the leptophilic scalar "
                       "(arXiv:1807.03790 Sec. 2.2) and the e->mu paper's Eq. (2) annihilation-rate estimate.")
    rs = p.add_subparsers(dest="relic_command", metavar="{line,point}")
    rs.required = True

    line = rs.add_parser("line", help="coupling giving Omega h^2 = 0.12 versus mediator mass (CSV + PNG)")
    line.add_argument("--model", required=True, choices=MODELS)
    _relation_args(line)
    line.add_argument("--m-min", type=arg("mass"), default=None, metavar="GEV",
                      help=f"lowest mediator mass (default 0.003 GeV; 0.106 for lfv), {help_range('mass')}")
    line.add_argument("--m-max", type=arg("mass"), default=None, metavar="GEV",
                      help=f"highest mediator mass (default 10; 3 for lfv), {help_range('mass')}")
    line.add_argument("--n", type=arg("n_line"), default=50,
                      help=f"number of log-spaced masses (default 50), {help_range('n_line')}")
    line.add_argument("--g-chi", type=arg("g_chi"), default=1.0,
                      help=f"dark coupling g_chi (default 1, as in the paper), {help_range('g_chi')}")
    line.add_argument("--output", required=True, metavar="DIR", help="output directory")
    line.set_defaults(func=run_line)

    pt = rs.add_parser("point", help="Omega h^2 at one parameter point (JSON with --json)")
    pt.add_argument("--model", choices=MODELS[:2], help="leptophilic preset (with --g-mu)")
    pt.add_argument("--mass", type=arg("any_mass"), required=True, metavar="GEV",
                    help=f"m_S for --model ({help_range('mass')}); m_chi for --swave-sigma-v "
                    f"({help_range('m_chi_swave')})")
    pt.add_argument("--g-mu", type=arg("coupling"), help=f"muon coupling g_mu, {help_range('coupling')}")
    pt.add_argument("--g-chi", type=arg("g_chi"), default=1.0,
                    help=f"dark coupling g_chi (default 1), {help_range('g_chi')}")
    _relation_args(pt)
    pt.add_argument("--swave-sigma-v", type=arg("sigma_v"), metavar="CM3_S",
                    help=f"constant s-wave <sigma v> in cm^3/s (generic benchmark mode), {help_range('sigma_v')}")
    pt.add_argument("--majorana", action="store_true", help="with --swave-sigma-v: Majorana DM (default Dirac)")
    pt.add_argument("--json", action="store_true", help="print one JSON object")
    pt.set_defaults(func=run_point)


def _relation_args(p) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--mchi-ratio", type=arg("mchi_ratio"), default=None,
                   help="m_chi = m_S / R (Eq. 2.8, default 3); for relic line --model lfv: m_1 = m_2 = R m_phi (default 3); "
                   + help_range("mchi_ratio"))
    g.add_argument("--resonance", action="store_true",
                   help="m_chi = m_S / (2 sqrt(1 + eps_R)) (Eq. 2.9)")
    p.add_argument("--eps-r", type=arg("eps_r"), default=None,
                   help=f"eps_R for --resonance (default 0.1), {help_range('eps_r')}")


def _relation(args):
    if args.eps_r is not None and not args.resonance:
        raise InputError("--eps-r", "only meaningful together with --resonance")
    if args.resonance:
        eps = 0.1 if args.eps_r is None else args.eps_r
        if not math.isfinite(eps) or eps <= 0:
            raise InputError("--eps-r", f"must be > 0 (valid range (0, inf)); got {eps}")
        return None, eps
    ratio = 3.0 if args.mchi_ratio is None else args.mchi_ratio
    if not math.isfinite(ratio) or ratio <= 0:
        raise InputError("--mchi-ratio", f"must be a finite number > 0; got {ratio}")
    return ratio, None


def run_line(args: argparse.Namespace) -> int:
    from ..fileio import check_writable_dir
    from ..constraints import relic
    from ..plots.relic import plot_relic_line

    ratio, eps = _relation(args)
    if args.n < 2:
        raise InputError("--n", f"a line needs at least 2 masses; got {args.n}")
    lfv = args.model == "lfv"
    if lfv and eps is not None:
        raise InputError("--resonance", "the lfv annihilation-rate estimate (Eq. 2) has no resonance option")
    lo = args.m_min if args.m_min is not None else (0.106 if lfv else 0.003)
    hi = args.m_max if args.m_max is not None else (3.0 if lfv else 10.0)
    for name, v in (("--m-min", lo), ("--m-max", hi)):
        if not math.isfinite(v) or v <= 0:
            raise InputError(name, f"must be a finite mass > 0 GeV; got {v}")
    if hi <= lo:
        raise InputError("--m-max", f"must exceed --m-min ({lo}); got {hi}")
    out = check_writable_dir(Path(args.output).expanduser(), "--output")
    masses = np.logspace(math.log10(lo), math.log10(hi), args.n)
    if lfv:
        coupling = relic.lfv_annihilation_rate_line(masses, psi_mass_ratio=ratio)
        tag = f"lfv_eq2_ratio{ratio:g}"
        label = (f"e->mu paper Eq. (2) annihilation-rate estimate: g=0.1, m1=m2={ratio:g} m_phi, "
                 "RHS = 10 pb (not a Boltzmann solution)")
        cols = {"m_phi_gev": masses, "h": coupling}
        ylab, xlab = "$h$", r"$m_\phi$ [GeV]"
    else:
        mchi = masses / ratio if ratio is not None else masses / (2.0 * math.sqrt(1.0 + eps))
        if np.all(mchi < relic.M_CHI_MIN_GEV):
            raise InputError("--m-max", f"every m_chi is below {relic.M_CHI_MIN_GEV * 1e3:g} MeV (BBN era)")
        coupling = relic.relic_coupling(args.model, masses, mchi_ratio=ratio if ratio is not None else 3.0,
                                        eps_R=eps, g_chi=args.g_chi)
        rel = f"ratio{ratio:g}" if ratio is not None else f"resonance_eps{eps:g}"
        tag = f"{args.model}_{rel}"
        label = (f"{args.model}, g_chi={args.g_chi:g}, "
                 + (f"m_chi = m_S/{ratio:g}" if ratio is not None else f"m_chi = m_S/(2 sqrt(1+{eps:g}))")
                 + ", Omega h^2 = 0.12 (freeze-out)")
        cols = {"m_S_gev": masses, "m_chi_gev": mchi, "g_mu": coupling}
        ylab, xlab = r"$g_\mu$ (relic, $\Omega h^2 = 0.12$)", r"$m_S$ [GeV]"
        low = mchi < relic.M_CHI_MIN_GEV
        if np.any(low):
            sys.stderr.write(f"leptoportal: note: {int(low.sum())} masses with m_chi < 1 MeV (BBN era) left as nan\n")
        bad = ~low & ~np.isfinite(coupling)
        if np.all(~np.isfinite(coupling)):
            raise InputError("--g-chi", f"no g_mu in [1e-12, sqrt(4 pi)] reaches Omega h^2 = 0.12 at any mass in "
                             f"[{lo:g}, {hi:g}] GeV with g_chi = {args.g_chi:g}: nothing to draw")
        if np.any(bad):
            sys.stderr.write(f"leptoportal: note: {int(bad.sum())} masses where no g_mu in [1e-12, sqrt(4 pi)] "
                             "reaches Omega h^2 = 0.12 left as nan\n")
    csv, png = plot_relic_line(out / f"relic_{tag}", masses, coupling, cols, label, xlab, ylab,
                               legend=label.split(":")[0] if lfv else "relic target")
    sys.stdout.write(f"{csv}\n{png}\n")
    return 0


def run_point(args: argparse.Namespace) -> int:
    from ..constraints import relic
    from ..models.leptophilic import LeptophilicScalar

    if args.swave_sigma_v is not None:
        check(args.mass, "m_chi_swave", "--mass")
        if args.model is not None or args.g_mu is not None:
            raise InputError("--swave-sigma-v", "benchmark mode takes only --mass and optionally --majorana")
        res = relic.omega_h2_swave(args.swave_sigma_v, args.mass, majorana=args.majorana)
        rec = {"mode": "swave", "m_chi_gev": args.mass, "sigma_v_cm3_s": args.swave_sigma_v,
               "majorana": bool(args.majorana), "omega_h2": res.omega_h2, "x_freeze_out": res.x_freeze_out}
    else:
        if args.model is None:
            raise InputError("--model", "give --model muon-specific|lepton-specific (with --g-mu), or --swave-sigma-v")
        if args.majorana:
            raise InputError("--majorana", "only with --swave-sigma-v (the leptophilic chi is a Dirac fermion)")
        check(args.mass, "mass", "--mass")
        if args.g_mu is None:
            raise InputError("--g-mu", f"is required with --model; {help_range('coupling')}")
        ratio, eps = _relation(args)
        model = LeptophilicScalar.from_preset(args.model, args.mass, args.g_mu, mchi_ratio=ratio if ratio is not None else 3.0,
                                  eps_R=eps, g_chi=args.g_chi)
        res = relic.omega_h2(model, details=True)
        rec = {"mode": "model", "model": args.model, "m_S_gev": args.mass, "m_chi_gev": float(model.m_chi),
               "g_mu": args.g_mu, "g_chi": args.g_chi, "mchi_ratio": ratio, "eps_R": eps,
               "omega_h2": res.omega_h2, "x_freeze_out": res.x_freeze_out}
    if args.json:
        sys.stdout.write(json.dumps(rec) + "\n")
    else:
        sys.stdout.write(" ".join(f"{k}={v}" for k, v in rec.items()) + "\n")
    return 0
