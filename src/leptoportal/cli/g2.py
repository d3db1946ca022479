"""``leptoportal g2``: the coupling explaining Delta a_mu and its bands.

    leptoportal g2 --model lfv|muon-specific|lepton-specific --mass M [--input NAME] --json

Physics: the e->mu paper's Eq. (3) for ``--model lfv``; the NA64-mu paper's Eq. (2.6) for the
diagonal scalar.  The Delta a_mu input is ``data/g2_inputs.toml``'s default unless ``--input``.
"""

from __future__ import annotations

from ..domains import arg, help_range
from .leptophilic import PRESETS, emit_record


def _input_help() -> str:
    from ..constraints.g2 import get_g2_determination, load_g2_inputs

    default = get_g2_determination().name
    return ("Delta a_mu determination (data/g2_inputs.toml): " + ", ".join(sorted(load_g2_inputs()))
            + f"; default {default}")


def register(sub) -> None:
    g = sub.add_parser("g2", help="(g-2)_mu: coupling explaining Delta a_mu and its 2 sigma band",
                       description="Coupling giving the central Delta a_mu and the 2 sigma band, for the LFV "
                       "scalar (e->mu paper Eq. 3) or the diagonal scalar (NA64-mu paper Eq. 2.6).")
    g.add_argument("--model", required=True, choices=["lfv", *PRESETS],
                   help="lfv: the e->mu scalar h (Eq. 3); muon-specific / lepton-specific: the diagonal g_mu (Eq. 2.6)")
    g.add_argument("--mass", type=arg("mass"), required=True, metavar="GEV", help=f"scalar mass [GeV], {help_range('mass')}")
    g.add_argument("--input", default=None, metavar="NAME", help=_input_help())
    g.add_argument("--json", action="store_true", help="one JSON object")
    g.set_defaults(func=run_g2)


def run_g2(args) -> int:
    from ..constraints import g2

    kind = "lfv" if args.model == "lfv" else "diagonal"
    det = g2.get_g2_determination(args.input)
    central = float(g2.coupling_central(args.mass, det, kind))
    lo, hi = g2.coupling_band(args.mass, 2.0, det, kind)
    lo3, hi3 = g2.coupling_band(args.mass, 3.0, det, kind)
    rec = {
        "model": args.model, "mass_gev": args.mass, "input": det.name, "input_label": det.title,
        "delta_a_mu": det.value, "sigma": det.sigma,
        "coupling_name": "h" if kind == "lfv" else "g_mu",
        "coupling_central": central,
        "band_2sigma": [float(lo), float(hi)],
        "band_3sigma": [float(lo3), float(hi3)],
        "excluded_5sigma_above": float(g2.coupling_excluded_above(args.mass, 5.0, det, kind)),
        "equation": "e->mu paper Eq. (3)" if kind == "lfv" else "NA64-mu paper Eq. (2.6)",
    }
    if det.consistent_with_zero(2.0):
        rec["note"] = ("Delta a_mu is consistent with 0 at 2 sigma: no favoured band; band_2sigma[1] is an upper "
                       "exclusion edge")
    emit_record(rec, args.json)
    return 0
