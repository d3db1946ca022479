"""``leptoportal leptophilic``: the NA64-mu leptophilic-scalar study.

    leptoportal leptophilic point --model muon-specific --mass 0.1 --g-mu 5e-4 [--g-chi 1]
        [--mchi-ratio 3 | --resonance --eps-r 0.1] --json
    leptoportal leptophilic yield --model muon-specific --mass 0.1 --g-mu 5e-4 --mot 1e12
        [--energy 150] [--target Pb --target-length-cm 20] [--method iww|ww|etl]
        [--form-factor elastic|atomic-nuclear] --json
    leptoportal leptophilic reach --model muon-specific --mot 1e12 1e13 [--resonance --eps-r 0.1]
        --output DIR

Physics: NA64-mu paper (arXiv:1807.03790) Eqs. (2.3)-(2.11), (3.1)-(3.3), (4.1); the e->mu
paper's Eq. (3) for ``g2 --model lfv``.
"""

from __future__ import annotations

import json
import math
import sys

from ..domains import arg, help_range
from ..errors import InputError

PRESETS = ("muon-specific", "lepton-specific")


def _add_model_args(p, with_coupling=True):
    p.add_argument("--model", required=True, choices=PRESETS, help="coupling pattern of Eq. (2.3)")
    if with_coupling:
        p.add_argument("--mass", type=arg("mass"), required=True, metavar="GEV",
                       help=f"scalar mass m_S [GeV], {help_range('mass')}")
        p.add_argument("--g-mu", type=arg("coupling"), required=True, metavar="G",
                       help=f"muon coupling g_mu, {help_range('coupling')}")
    p.add_argument("--g-chi", type=arg("g_chi"), default=1.0, metavar="G",
                   help=f"dark-matter coupling g_chi (default 1), {help_range('g_chi')}")
    rel = p.add_mutually_exclusive_group()
    rel.add_argument("--mchi-ratio", type=arg("mchi_ratio"), default=None, metavar="R",
                     help=f"m_chi = m_S / R (default R = 3, Eq. 2.8), {help_range('mchi_ratio')}")
    rel.add_argument("--resonance", action="store_true",
                     help="m_chi = m_S / (2 sqrt(1 + eps_R)) (Eq. 2.9), with --eps-r")
    p.add_argument("--eps-r", type=arg("eps_r"), default=None, metavar="EPS",
                   help=f"eps_R for --resonance (paper: 0.1), {help_range('eps_r')}")


def _relation(args):
    """(mchi_ratio, eps_R) from the arguments; errors name the flag."""
    if args.resonance:
        eps = 0.1 if args.eps_r is None else args.eps_r
        if not (math.isfinite(eps) and eps > 0):
            raise InputError("--eps-r", f"must be finite and > 0; got {args.eps_r}")
        return None, eps
    if args.eps_r is not None:
        raise InputError("--eps-r", "only meaningful with --resonance")
    ratio = 3.0 if args.mchi_ratio is None else args.mchi_ratio
    if not (math.isfinite(ratio) and ratio > 0):
        raise InputError("--mchi-ratio", f"must be finite and > 0 (m_chi = m_S/R); got {args.mchi_ratio}")
    return ratio, None


def _model(args):
    from ..models.leptophilic import LeptophilicScalar

    ratio, eps = _relation(args)
    return LeptophilicScalar.from_preset(args.model, args.mass, args.g_mu, g_chi=args.g_chi, mchi_ratio=ratio, eps_R=eps)


def register(sub) -> None:
    p = sub.add_parser("leptophilic", help="leptophilic scalar S (NA64-mu paper): model point, yield, reach",
                       description="Leptophilic scalar S coupled to leptons and Dirac dark matter "
                       "(NA64-mu paper, arXiv:1807.03790).")
    what = p.add_subparsers(dest="leptophilic_what", metavar="ACTION")
    what.required = True

    pt = what.add_parser("point", help="widths, BR, g-2, SIDM, perturbativity, DM-electron cross section at one point")
    _add_model_args(pt)
    pt.add_argument("--json", action="store_true", help="one JSON object")
    pt.set_defaults(func=run_point)

    y = what.add_parser("yield", help="NA64-mu signal yield N_chi, Eq. (3.1) incl. BR(S -> chi chi)")
    _add_model_args(y)
    y.add_argument("--mot", type=arg("exposure"), required=True, help=f"muons on target, {help_range('exposure')}")
    y.add_argument("--energy", type=arg("energy"), default=150.0, metavar="GEV",
                   help=f"beam energy (default 150), {help_range('energy')}")
    y.add_argument("--target", default="Pb", help="target material (default Pb)")
    y.add_argument("--target-length-cm", type=arg("length_cm"), default=20.0,
                   help=f"target length (default 20 cm), {help_range('length_cm')}")
    y.add_argument("--dedy", type=arg("dedy"), default=None, metavar="GEV_PER_CM",
                   help="<dE/dy> of the beam in the target (default: the minimum-ionising loss of --target, "
                        f"12.74e-3 GeV/cm for Pb; the paper's 12.7e-3), {help_range('dedy')}")
    y.add_argument("--x-min", type=arg("x_min"), default=1.0 / 3.0,
                   help=f"x = E_S/E_mu cut (default 1/3), {help_range('x_min')}")
    y.add_argument("--method", default="iww", choices=["iww", "ww", "etl"],
                   help="iww = the paper's Eq. (3.2) (default); ww; etl = exact tree level")
    y.add_argument("--form-factor", default="atomic-nuclear", choices=["elastic", "atomic-nuclear"],
                   help="G2 (default atomic-nuclear, as the paper)")
    y.add_argument("--beam", default="mu+", choices=["mu+", "mu-"], help="beam charge (default mu+)")
    y.add_argument("--decay-distance-cm", type=arg("length_cm"), default=None, metavar="CM",
                   help="also count S -> l l, gamma gamma decaying beyond this distance from the target centre "
                        "(decays in flight, the paper's Fig. 2b; the na64mu setup: 1484.2 cm to the end of its last "
                        "HCAL, as the reach providers use); default: Eq. (3.1) as printed, S -> chi chi only, "
                        f"{help_range('length_cm')}")
    y.add_argument("--json", action="store_true", help="one JSON object")
    y.set_defaults(func=run_yield)

    r = what.add_parser("reach", help="95%% CL (3 events) reach in (m_S, g_mu): the shipped na64mu-leptophilic "
                        "reach scan with this model (paper Figs. 5-6) and Fig. 1 (the g_chi constraints)",
                        description="Runs the reach engine on the shipped config na64mu-leptophilic (NA64-mu paper "
                        "Figs. 5-6: 150 GeV muons on 20 cm Pb, IWW, 3 events) with the model, exposures, masses "
                        "and (g-2) input given here; writes reach.csv/json/png/pdf as `leptoportal reach` does, "
                        "and the paper's Fig. 1 (g_chi constraints).")
    _add_model_args(r, with_coupling=False)
    r.add_argument("--mot", type=arg("exposure"), nargs="+", default=[1e12, 1e13],
                   help=f"exposures (default 1e12 1e13), {help_range('exposure')}")
    r.add_argument("--masses", type=arg("mass"), nargs="+", metavar="GEV",
                   help=f"mass grid (default: the config's 30 log points 0.001-10), {help_range('mass')}")
    r.add_argument("--input", default=None, metavar="NAME",
                   help="Delta a_mu determination for the g-2 bands (default: the config's, the NA64-mu paper's "
                        "2016 input pdg2016_na64mu2018)")
    r.add_argument("--output", default="./leptoportal-leptophilic", metavar="DIR", help="output directory")
    rg = r.add_mutually_exclusive_group()
    rg.add_argument("--resume", action="store_true", help="continue a partial scan in DIR")
    rg.add_argument("--force", action="store_true", help="overwrite an existing DIR/reach.csv")
    r.add_argument("--quick", action="store_true", help="coarse mass grid (the config's quick_n points)")
    r.set_defaults(func=run_reach)

    d = what.add_parser("dmdd", help="the DM-electron cross section of the relic and g-2 couplings (paper Fig. 7)",
                        description="sigma_e-bar (NA64-mu paper Eq. 4.1) of the lepton-specific model versus m_chi, for "
                        "the coupling that saturates the relic density and for the (g-2)_mu-favoured band, with "
                        "m_chi = m_S/3 and at resonance (eps_R = 0.1): PNG + CSV.  Experimental curves are not "
                        "shipped; give your own with --limit.")
    d.add_argument("--g-chi", type=arg("g_chi"), default=1.0, metavar="G",
                   help=f"dark-matter coupling g_chi (default 1), {help_range('g_chi')}")
    d.add_argument("--eps-r", type=arg("eps_r"), default=0.1, metavar="EPS",
                   help=f"eps_R of the resonant relation (default 0.1, as the paper), {help_range('eps_r')}")
    d.add_argument("--masses", type=arg("mass"), nargs="+", metavar="GEV",
                   help=f"m_S grid of the scalar masses (m_chi follows from each relation; default 60 log points "
                        f"3 MeV-1 GeV), {help_range('mass')}")
    d.add_argument("--input", default="pdg2016_na64mu2018", metavar="NAME",
                   help="Delta a_mu determination of the (g-2) band (default pdg2016_na64mu2018, the paper's Eq. 1.1 "
                        "input of its Fig. 7; names in data/g2_inputs.toml, e.g. fnal2023_wp2020)")
    d.add_argument("--limit", action="append", default=[], metavar="CSV",
                   help="an experimental sigma_e curve to draw: CSV with '# source:' and '# licence:' header lines "
                        "and columns m_chi_gev,sigma_e_cm2 (repeatable)")
    d.add_argument("--output", default="./leptoportal-dmdd", metavar="DIR",
                   help="output directory (default ./leptoportal-dmdd)")
    d.set_defaults(func=run_dmdd)



def emit_record(rec: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rec) + "\n")
    else:
        for k, v in rec.items():
            sys.stdout.write(f"{k:32s} {v}\n")


def _finite(v):
    v = float(v)
    return v if math.isfinite(v) else None


def run_point(args) -> int:
    from ..constraints import darkmatter, g2

    model = _model(args)
    rec = {
        "model": args.model, "mass_gev": args.mass, "g_mu": args.g_mu, "g_e": float(model.g_e),
        "g_tau": float(model.g_tau), "g_chi": args.g_chi, "m_chi_gev": float(model.m_chi),
        "invisible_open": bool(model.invisible_open),
        "width_gev": float(model.total_width()),
        "br_invisible": float(model.br_invisible()),
        "branching_ratios": {k: float(v) for k, v in model.branching_ratios().items()},
        "g_gammagamma_per_gev": float(model.g_gammagamma()),
        "delta_a_mu": float(g2.delta_a_mu_scalar(args.mass, args.g_mu)),
        "sigma_T_over_m_cm2_per_g": float(darkmatter.sidm_sigma_t_over_m(args.g_chi, model.m_chi, args.mass)),
        "sidm_born_valid": bool(darkmatter.sidm_born_valid(args.g_chi, model.m_chi, args.mass)),
        "perturbativity_scale_gev": (_finite(darkmatter.perturbativity_scale(args.g_chi, args.mass))
                                     if args.g_chi > 0 else None),
        "log_perturbativity_scale": (float(darkmatter.log_perturbativity_scale(args.g_chi, args.mass))
                                     if args.g_chi > 0 else None),
    }
    if args.model == "lepton-specific":
        rec["sigma_e_cm2"] = float(darkmatter.sigma_e_bar_cm2(args.g_chi, model.g_e, model.m_chi, args.mass))
    if not model.invisible_open:
        rec["warning"] = "m_chi >= m_S/2: S cannot decay to chi chi-bar (br_invisible = 0)"
    emit_record(rec, args.json)
    return 0


def run_yield(args) -> int:
    from ..analysis import na64mu

    model = _model(args)
    dedy = args.dedy
    if dedy is None:
        try:
            dedy = na64mu.min_ionising_dedx(args.target)
        except InputError as exc:
            raise InputError("--dedy", f"{exc.message} (--target {args.target})") from None
    tt = na64mu.ThinTarget(args.energy, args.target, args.target_length_cm, dedy, args.x_min, args.method,
                           args.form_factor, args.beam, decay_distance_cm=args.decay_distance_cm)
    spectrum = na64mu.production_spectrum(args.mass, tt)
    integral = spectrum.integral_pb_gev
    if not integral > 0:
        raise InputError("--mass", f"m_S = {args.mass:g} GeV cannot be produced with x = E_S/E_mu > --x-min = "
                         f"{args.x_min:.4g} by a {args.energy:g} GeV beam on {args.target} (zero phase space)")
    n = na64mu.yield_from_spectrum(model, args.mot, tt, spectrum)
    rec = {
        "model": args.model, "mass_gev": args.mass, "g_mu": args.g_mu, "mot": args.mot,
        "n_signal": n, "br_invisible": float(model.br_invisible()),
        "sigma_x_gt_xmin_pb_per_g2": integral / (tt.energy_gev - tt.e_min),
        "method": args.method, "form_factor": args.form_factor, "energy_gev": args.energy,
        "target": args.target, "target_length_cm": args.target_length_cm, "x_min": args.x_min,
        "dedy_gev_per_cm": dedy, "dedy_source": "--dedy" if args.dedy is not None else "minimum-ionising loss of --target",
        "n_atoms_per_cm3": tt.n_atoms, "equation": "NA64-mu paper Eq. (3.1)",
    }
    if args.decay_distance_cm is not None:
        rec["decay_distance_cm"] = args.decay_distance_cm
        rec["equation"] += " with decays in flight: BR_inv + BR_vis exp(-d/L(E_S)) per S (Fig. 2)"
    if not model.invisible_open:
        rec["warning"] = ("m_chi >= m_S/2: S cannot decay to chi chi-bar, so n_signal = 0 (give --decay-distance-cm "
                          "to count visible decays beyond the detector)" if args.decay_distance_cm is None else
                          "m_chi >= m_S/2: S cannot decay to chi chi-bar; n_signal counts only its visible decays "
                          "beyond --decay-distance-cm")
    emit_record(rec, args.json)
    return 0


def leptophilic_reach_config(args):
    """The shipped ``na64mu-leptophilic`` reach config with this command's model, exposures, masses
    and (g-2) input (the one NA64-mu reach pipeline: the reach engine)."""
    import copy

    from ..constraints import g2
    from ..reach import load_config, parse_config

    ratio, eps = _relation(args)
    base = load_config("na64mu-leptophilic")
    raw = copy.deepcopy(base.raw)
    rel = {"eps_R": eps} if eps is not None else {"mchi_ratio": ratio}
    raw["model"] = {"name": "leptophilic", "pattern": args.model, "g_chi": args.g_chi, **rel}
    raw["exposures"] = list(args.mot)
    relation = (rf"$m_\chi = m_S/{ratio:g}$" if eps is None else rf"$m_\chi = m_S/(2\sqrt{{1+{eps:g}}})$")
    raw["title"] = rf"NA64-$\mu$, {args.model} $S$, {relation}"
    if args.masses is not None:
        raw["masses"] = sorted(set(float(m) for m in args.masses))
    plot = dict(raw.get("plot", {}))
    plot.pop("curve_labels", None)
    if args.masses is not None:
        plot.pop("xlim", None)
    raw["plot"] = plot
    overlays = []
    for ov in raw.get("overlays", []):
        ov = dict(ov)
        if ov["kind"] in ("relic", "sidm"):
            ov.pop("mchi_ratio", None)
            ov.pop("eps_R", None)
            ov.update(rel)
            ov["g_chi"] = args.g_chi
            if ov["kind"] == "relic":
                ov["model"] = args.model
        if ov["kind"] in ("g2-band", "g2-excluded") and args.input is not None:
            future = ov.get("determination", "").endswith("_future")
            name = args.input + "_future" if future else args.input
            if future and name not in g2.load_g2_inputs():
                continue  # no projected errors for this input
            ov["determination"] = name
        overlays.append(ov)
    raw["overlays"] = overlays
    if args.input is not None:
        g2.get_g2_determination(args.input)
    cfg = parse_config(raw, name=f"leptophilic-{args.model}")
    return cfg.with_overrides(quick=args.quick) if args.quick else cfg


def run_reach(args) -> int:
    from ..constraints import darkmatter
    from ..plots import plot_leptophilic_gchi, plot_reach
    from ..reach import run_scan
    from .reach import summary_table

    if not (math.isfinite(args.g_chi) and args.g_chi > 0):
        raise InputError("--g-chi", f"must be finite and > 0; got {args.g_chi}")
    cfg = leptophilic_reach_config(args)
    res = run_scan(cfg, args.output, resume=args.resume, force=args.force,
                   progress=sys.stderr.isatty())
    files = dict(res.files)
    if res.complete:
        files.update(plot_reach(cfg, res.rows, res.overlays, res.outdir, comparisons=res.comparisons))
    _, eps = _relation(args)
    png, csv = plot_leptophilic_gchi(res.outdir, darkmatter.gchi_constraints(eps_R=0.1 if eps is None else eps))
    files.update({"gchi_png": png, "gchi_csv": csv})
    sys.stdout.write(summary_table(cfg, res))
    for pth in files.values():
        sys.stdout.write(f"{pth}\n")
    return 0

def read_dd_limit(path):
    """(label, m_chi [GeV], sigma_e [cm^2], where from) of a user's direct-detection curve: a CSV whose ``#``
    header states ``source`` and ``licence`` (``label`` optional), columns m_chi_gev,sigma_e_cm2."""
    from pathlib import Path

    import numpy as np

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("--limit", f"cannot read {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    head, rows = {}, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            k, sep, v = line[1:].partition(":")
            if sep:
                head[k.strip().lower()] = v.strip()
        elif line:
            rows.append(line)
    missing = [k for k in ("source", "licence") if not head.get(k)]
    if missing:
        raise InputError("--limit", f"{path}: the header must state {', '.join(missing)} ('# key: value' lines)")
    if not rows or [c.strip() for c in rows[0].split(",")] != ["m_chi_gev", "sigma_e_cm2"]:
        raise InputError("--limit", f"{path}: columns must be m_chi_gev,sigma_e_cm2")
    try:
        a = np.array([[float(c) for c in r.split(",")] for r in rows[1:]], float)
    except ValueError:
        raise InputError("--limit", f"{path}: a data row is not two numbers") from None
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] != 2 or not np.all(np.isfinite(a) & (a > 0)):
        raise InputError("--limit", f"{path}: needs >= 2 rows of two finite positive numbers")
    return (head.get("label") or f"{head['source']}", a[:, 0], a[:, 1],
            f"{path}; source: {head['source']}; licence: {head['licence']}")


def run_dmdd(args) -> int:
    from ..constraints import darkmatter
    from ..fileio import check_writable_dir
    from ..plots import plot_dmdd

    limits = [read_dd_limit(f) for f in args.limit]
    if args.input is not None:  # a bad (g-2) input is refused before the output folder is made
        from ..constraints.g2 import get_g2_determination

        try:
            get_g2_determination(args.input)
        except InputError as exc:
            raise InputError("--input", exc.message) from None
    check_writable_dir(args.output, "--output")
    data = darkmatter.dmdd_predictions(args.masses, g_chi=args.g_chi,
                                       relations=(("ratio3", 3.0, None), ("resonance", None, args.eps_r)),
                                       determination=args.input)
    for pth in plot_dmdd(args.output, data, limits):
        sys.stdout.write(f"{pth}\n")
    return 0
