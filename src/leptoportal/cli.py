"""Command-line interface: a thin layer over the Python API.

Each feature module ``leptoportal/cli_<name>.py`` registers its sub-commands through a
``register(subparsers)`` function; the modules are discovered by name (sorted), so adding a
command never touches this file.  Every :class:`InputError` (and argparse
usage error) ends as one line on stderr and exit code 2 -- never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import InputError

def _command_modules() -> list[str]:
    import pkgutil

    from . import __path__ as pkg_path

    return sorted(f"leptoportal.{m.name}" for m in pkgutil.iter_modules(pkg_path) if m.name.startswith("cli_"))


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="leptoportal", description="Light dark scalars at lepton fixed-target experiments.")
    parser.add_argument("--version", action="version", version=f"leptoportal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in _command_modules():
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"leptoportal: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("leptoportal: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
