"""``leptoportal configs``: the shipped reach configs -- list them, show one, copy one to edit.

    leptoportal configs list [--json]
    leptoportal configs show NAME
    leptoportal configs copy NAME DIR [--force]
    leptoportal configs schema

``copy`` writes ``DIR/NAME.toml`` and the setup it names (``DIR/SETUP.toml``), with the config's
``setup`` key pointing at the copied file (a relative path is read from the config's folder), so
``leptoportal reach DIR/NAME.toml`` runs the copy and every number in both files can be edited.
"""

from __future__ import annotations

import json
import re
import sys

from ..errors import InputError


def register(sub) -> None:
    c = sub.add_parser("configs", help="list, show or copy the shipped reach configs",
                       description="The reach configs shipped with leptoportal (data/reach/*.toml): list them, "
                       "print one, or copy one and the setup it names into a folder to edit.")
    s = c.add_subparsers(dest="configs_command", metavar="ACTION")
    s.required = True
    lst = s.add_parser("list", help="one line per shipped config (name, title, source)",
                       description="One line per shipped config; --json: one JSON object per line with name, title, "
                       "source, setup, model, provider, exposures, exposure_unit, cl, masses_gev.")
    lst.add_argument("--json", action="store_true", help="JSON Lines, one object per config")
    lst.set_defaults(func=run_list)
    show = s.add_parser("show", help="print a shipped config's TOML", description="Print a shipped config's TOML.")
    show.add_argument("name", metavar="NAME", help="a shipped config (leptoportal configs list)")
    show.set_defaults(func=run_show)
    cp = s.add_parser("copy", help="copy a config and the setup it names into DIR, ready to edit",
                      description="Write DIR/NAME.toml and DIR/SETUP.toml (the setup the config names); the copied "
                      "config's setup key points at the copied setup file.  Existing files are not overwritten "
                      "unless --force.")
    cp.add_argument("name", metavar="NAME", help="a shipped config (leptoportal configs list)")
    cp.add_argument("directory", metavar="DIR", help="destination folder (created if missing)")
    cp.add_argument("--force", action="store_true", help="overwrite existing files of the same names")
    cp.set_defaults(func=run_copy)
    sc = s.add_parser("schema", help="print the JSON Schema of a reach config (for editors)",
                      description="The JSON Schema (draft 2020-12) of a reach config: every key, its type, unit, "
                      "default and meaning (shipped as data/reach/reach-config.schema.json).")
    sc.set_defaults(func=run_schema)


#: the LaTeX of the shipped titles in plain text, for the terminal
_PLAIN = ((r"\mu", "μ"), (r"\chi", "χ"), (r"\phi", "φ"), (r"\gamma", "γ"), (r"\epsilon", "ε"), (r"\to", "→"),
          (r"\times", "×"), (r"\sqrt", "√"), ("\\ ", " "), ("^3", "³"), ("^-", "⁻"), ("^+", "⁺"), ("$", ""),
          ("{", "("), ("}", ")"))


def plain_text(latex: str) -> str:
    """A plot title's mathtext as terminal text (NA64-$\\mu$ -> NA64-μ)."""
    out = latex
    for a, b in _PLAIN:
        out = out.replace(a, b)
    return " ".join(out.split())


def run_list(args) -> int:
    import warnings

    from ..reach.config import catalogue

    with warnings.catch_warnings():  # a config's run-time warnings (printed by reach) are not the list's
        warnings.simplefilter("ignore")
        recs = catalogue()
    for rec in recs:
        if args.json:
            print(json.dumps(rec, sort_keys=True))
        else:
            print(f"{rec['name']:<29} {plain_text(rec['title'])}\n{'':<29} source: {rec['source']}; "
                  f"setup: {rec['setup']}; exposures: {', '.join(f'{x:g}' for x in rec['exposures'])} "
                  f"{rec['exposure_unit']}")
    return 0


def run_schema(args) -> int:
    from ..reach.schema import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
    return 0


def run_show(args) -> int:
    from ..reach.shipped import shipped_config_text

    with _as_flag("NAME"):
        text = shipped_config_text(args.name)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def run_copy(args) -> int:
    from ..fileio import check_writable_dir, write_text
    from ..reach.shipped import is_setup_path, shipped_config_text, shipped_setup_text
    from ..reach.config import load_config

    with _as_flag("NAME"):
        text = shipped_config_text(args.name)
        cfg = load_config(args.name)
    out = check_writable_dir(args.directory, "DIR")
    files = {out / f"{args.name}.toml": None}
    setup_text = None if is_setup_path(cfg.setup) else shipped_setup_text(cfg.setup)
    if setup_text is not None:
        setup_file = f"{cfg.setup}.toml"
        text, n = re.subn(r'(?m)^setup\s*=\s*"[^"\n]*"', f'setup = "{setup_file}"', text, count=1)
        if n != 1:  # the shipped configs all name their setup on one line
            raise InputError("NAME", f"cannot find the setup line of {args.name!r}")
        files[out / setup_file] = setup_text
    files[out / f"{args.name}.toml"] = text
    existing = [str(f) for f in files if f.exists()]
    if existing and not args.force:
        raise InputError("DIR", f"{', '.join(existing)} already exist(s); use --force to overwrite")
    for path, content in files.items():
        write_text(path, content)
    load_config(out / f"{args.name}.toml")  # the copy loads (its setup resolves beside it)
    for path in files:
        print(path)
    return 0


class _as_flag:
    """Re-raise the loader's ``config`` errors under the positional argument the user typed."""

    def __init__(self, flag: str):
        self.flag = flag

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is InputError and exc.parameter == "config":
            raise InputError(self.flag, exc.message) from None
        return False
