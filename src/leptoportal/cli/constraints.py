"""``leptoportal constraints``: the registry of constraints -- list them, evaluate one.

    leptoportal constraints list [--model M] [--json]
    leptoportal constraints show ID --model M [--mchi-ratio R | --resonance --eps-r EPS] [--g-chi G]
                                 --mass M [M ...] [--json]
    leptoportal constraints show --file LIMIT.csv --model M --mass M [M ...] [--json]
    leptoportal constraints show monophoton-belle2 --input ALP.csv --model M --mass M [M ...] [--json]

``show`` prints one JSON object per mass (JSON Lines): ``mass_gev``, ``intervals`` (a list of
``[low, high]`` coupling intervals of the constraint's role; ``high`` = 4 pi, the top of the
coupling domain, for a one-sided bound; empty where nothing applies), ``role``, ``kind``,
``source``, the coupling's name, the model, the entry's parameters as used and its notes.  The registry and each entry's physics:
:mod:`leptoportal.constraints.registry`, docs/constraints.md.
"""

from __future__ import annotations

import json
import sys

from ..domains import arg, help_range
from ..domains import COUPLING_MAX
from ..errors import InputError

MODEL_CHOICES = ("muon-specific", "lepton-specific", "lfv")


def register(sub) -> None:
    c = sub.add_parser("constraints", help="the registry of constraints: list, or evaluate one on a mass grid",
                       description="Every probe of the scalar's parameter space as one registry entry (id, models, "
                       "kind, role, source, validity); list them or evaluate one's coupling intervals.")
    s = c.add_subparsers(dest="constraints_command", metavar="ACTION")
    s.required = True
    lst = s.add_parser("list", help="the registered constraints", description="The registered constraints.")
    lst.add_argument("--model", choices=MODEL_CHOICES, default=None, help="only those that apply to this model")
    lst.add_argument("--json", action="store_true", help="JSON Lines, one object per constraint")
    lst.set_defaults(func=run_list)
    sh = s.add_parser("show", help="a constraint's coupling intervals per mass",
                      description="The coupling intervals of a constraint's role (excluded, favoured, target) at each "
                      "mass: JSON Lines with --json, one object per mass.")
    sh.add_argument("id", nargs="?", default=None, metavar="ID", help="a registered id (constraints list)")
    sh.add_argument("--file", default=None, metavar="CSV",
                    help="a limit file instead of an id (header: source, cl, model, licence; docs/constraints.md)")
    sh.add_argument("--model", required=True, choices=MODEL_CHOICES,
                    help="muon-specific / lepton-specific (NA64-mu paper Eq. 2.3) or lfv (e->mu paper)")
    sh.add_argument("--mass", type=arg("mass"), nargs="+", required=True, metavar="GEV",
                    help=f"scalar masses [GeV], {help_range('mass')}")
    sh.add_argument("--g-chi", type=arg("g_chi"), default=1.0, metavar="G",
                    help=f"dark-matter coupling g_chi (default 1), {help_range('g_chi')}")
    rel = sh.add_mutually_exclusive_group()
    rel.add_argument("--mchi-ratio", type=arg("mchi_ratio"), default=None, metavar="R",
                     help=f"m_chi = m_S / R (default R = 3, Eq. 2.8), {help_range('mchi_ratio')}")
    rel.add_argument("--resonance", action="store_true", help="m_chi = m_S / (2 sqrt(1 + eps_R)) (Eq. 2.9)")
    sh.add_argument("--eps-r", type=arg("eps_r"), default=None, metavar="EPS",
                    help=f"eps_R for --resonance (paper: 0.1), {help_range('eps_r')}")
    sh.add_argument("--input", default=None, metavar="NAME",
                    help="g2-band / g2-excluded: the Delta a_mu determination (data/g2_inputs.toml; default its "
                         "default, named in the output); monophoton-babar / monophoton-belle2: the CSV of the "
                         "g_agammagamma(m) limit to convert (header source, cl, licence; columns "
                         "mass_gev,g_agg_per_gev; docs/constraints.md)")
    sh.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter of the constraint (repeatable; 'constraints list --json' shows each entry's "
                         "params), e.g. --param phi_field=real (muonium), --param path=out/reach.csv (reach-csv)")
    sh.add_argument("--json", action="store_true", help="JSON Lines, one object per mass")
    sh.set_defaults(func=run_show)


def run_list(args) -> int:
    from ..constraints.registry import constraints_for

    for c in constraints_for(args.model):
        d = c.describe()
        if args.json:
            print(json.dumps(d))
        else:
            print(f"{c.id:<14} {c.role:<9} {c.kind:<15} {', '.join(c.models)}\n{'':<14} {c.source}")
    return 0


def _model(args):
    from ..constraints.registry import ModelChoice

    if args.eps_r is not None and not args.resonance:
        raise InputError("--eps-r", "only meaningful with --resonance")
    if args.resonance:
        return ModelChoice(args.model, g_chi=args.g_chi, mchi_ratio=None, eps_R=0.1 if args.eps_r is None else args.eps_r)
    return ModelChoice(args.model, g_chi=args.g_chi, mchi_ratio=3.0 if args.mchi_ratio is None else args.mchi_ratio)


def run_show(args) -> int:
    from ..constraints.registry import get_constraint, load_limit_file

    if (args.id is None) == (args.file is None):
        raise InputError("ID", "give a constraint id or --file CSV (one of them)")
    model = _model(args)
    if args.file is not None:
        try:
            c = load_limit_file(args.file)
        except InputError as exc:
            raise InputError("--file", exc.message) from None
    else:
        try:
            c = get_constraint(args.id)
        except InputError as exc:
            raise InputError("ID", exc.message) from None
    if not c.applies_to(model.name):
        raise InputError("--model", f"{c.id!r} applies to {', '.join(c.models)}; got {model.name!r}")
    params = {}
    if args.input is not None:
        if "alp_file" in c.params:
            params["alp_file"] = args.input
        elif "determination" not in c.params:
            raise InputError("--input", f"{c.id!r} takes no --input (g2-band, g2-excluded: a Delta a_mu "
                             "determination; monophoton-babar, monophoton-belle2: a g_agammagamma(m) CSV)")
        else:
            from ..constraints.g2 import get_g2_determination

            params["determination"] = get_g2_determination(args.input).name
    for item in args.param:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError("--param", f"must be KEY=VALUE; got {item!r}")
        if key not in c.params:
            raise InputError("--param", f"{key!r} is not a parameter of {c.id!r}; valid: "
                                        f"{', '.join(sorted(c.params)) or '(none)'}")
        try:
            params[key] = float(value)
        except ValueError:
            params[key] = value.strip()
    if "determination" in c.params:
        from ..constraints.g2 import get_g2_determination

        params["determination"] = get_g2_determination(params.get("determination")).name
    try:
        intervals = c.intervals(model, args.mass, **params)
    except InputError as exc:
        if exc.parameter == "alp_file" and args.input is not None:
            raise InputError("--input", exc.message) from None
        if exc.parameter in c.params:
            raise InputError("--param" if exc.parameter != "alp_file" else "--input",
                             f"{exc.parameter}: {exc.message}") from None
        raise
    shown = c.resolve_params(params) if c.params else {}
    if not args.json and c.notes:
        sys.stdout.write(f"{c.id}  note: {c.notes}\n")
    for m, iv in zip(args.mass, intervals):
        rec = {"id": c.id, "mass_gev": m, "model": model.to_dict(), "coupling": model.coupling_name,
               "intervals": iv, "role": c.role, "kind": c.kind, "source": c.source,
               "mass_range_gev": list(c.mass_range_gev), **({"params": shown} if shown else {}),
               **({"notes": c.notes} if c.notes else {})}
        if args.json:
            sys.stdout.write(json.dumps(rec) + "\n")
        else:
            ivs = ", ".join(f"[{a:.4g}, {'4pi (the coupling cap)' if b >= COUPLING_MAX else format(b, '.4g')}]"
                            for a, b in iv) or "(none)"
            sys.stdout.write(f"{c.id}  m = {m:g} GeV  {c.role} {model.coupling_name}: {ivs}\n")
    return 0
