"""Command-line interface: a thin layer over the Python API.

One module per command in this package (``cli/xsec.py``, ``cli/reach.py``, ...), each with a
``register(subparsers)`` function; :data:`COMMANDS` lists them explicitly.  Every
:class:`InputError` (and argparse usage error) ends as one line on stderr and exit code 2 --
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys

from ..errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, the same prefix as every other error
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        command = " ".join(self.prog.split()[1:])
        sys.stderr.write(f"leptoportal: error: {message}" + (f" (leptoportal {command} --help)" if command else "")
                         + "\n")
        raise SystemExit(2)


def _commands():
    """The command modules, in the order ``--help`` lists them."""
    from . import configs, constraints, g2, generate, leptophilic, plot, reach, relic, simulate, xsec

    return (configs, constraints, generate, g2, leptophilic, plot, reach, relic, simulate, xsec)


#: the sub-commands (one module of this package each)
COMMANDS = ("configs", "constraints", "generate", "g2", "leptophilic", "plot", "reach", "relic", "simulate", "xsec")


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = _Parser(prog="leptoportal", description="Light dark scalars at lepton fixed-target experiments.")
    parser.add_argument("--version", action="version", version=f"leptoportal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in _commands():
        module.register(sub)
    return parser


#: API parameter names whose flag is not "--" + the name with "-" for "_"
API_FLAGS = {"n_events": "--events", "n_showers": "--showers", "vertex": "--coupling-type", "eps_R": "--eps-r",
             "energy_gev": "--energy", "determination": "--input", "sigma_v": "--swave-sigma-v",
             "chunk_size": "--events", "rng": "--seed"}


@contextlib.contextmanager
def flags(names: dict):
    """Re-raise an API :class:`InputError` under the command-line flag the user typed: the API's
    ``energy`` becomes ``--energy``, ``target.A`` ``--target`` (its message keeps the detail);
    ``names`` maps other API names to flags (``{"n_events": "--events"}``)."""
    try:
        yield
    except InputError as exc:
        p = exc.parameter
        if p.startswith("-") or p.startswith("config") or p.isupper():  # a flag, a config key, a positional
            raise
        flag = names.get(p) or names.get(p.split(".")[0]) or "--" + p.split(".")[0].split("[")[0].replace("_", "-")
        detail = f"{p}: " if "." in p else ""
        raise InputError(flag, detail + exc.message) from None


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(f"leptoportal: warning: {_one_line(message)}\n")


def main(argv=None) -> int:
    """Run the command line; the exit code: 0 done, 2 invalid input (one line on stderr, nothing
    computed), 1 a failure while working (one line: a file that could not be written, memory),
    130 interrupted.  ``LEPTOPORTAL_TRACEBACK=1`` shows the full traceback of a failure."""
    import os
    import warnings

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (already printed as one line), --help, --version
        return exc.code if isinstance(exc.code, int) else 2
    old_show = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        if args.command == "reach":  # its errors name the config key (masses.n) or the flag already
            return int(args.func(args) or 0)
        with flags(API_FLAGS):
            return int(args.func(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"leptoportal: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("leptoportal: interrupted\n")
        return 130
    except BrokenPipeError:  # `leptoportal ... | head`: the reader has all it wanted
        import os as _os

        try:
            _os.dup2(_os.open(_os.devnull, _os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except Exception as exc:  # never a traceback on the terminal: one line, exit 1
        if os.environ.get("LEPTOPORTAL_TRACEBACK"):
            raise
        if isinstance(exc, OSError):
            what = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
            sys.stderr.write(f"leptoportal: error: {_one_line(what)}\n")
        elif isinstance(exc, MemoryError):
            sys.stderr.write("leptoportal: error: out of memory (reduce --events or the number of masses)\n")
        else:
            sys.stderr.write(f"leptoportal: internal error: {type(exc).__name__}: {_one_line(exc)} (please report; "
                             "LEPTOPORTAL_TRACEBACK=1 shows where)\n")
        return 1
    finally:
        warnings.showwarning = old_show
