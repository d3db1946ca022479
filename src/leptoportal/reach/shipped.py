"""The shipped configs and setups: their names and TOML texts (``leptoportal configs``; the records of
``configs list`` are :func:`leptoportal.reach.config.catalogue`)."""

from __future__ import annotations

import codecs
from importlib import resources

from ..errors import InputError

__all__ = ["decode_toml_bytes", "is_setup_path", "shipped_config_text", "shipped_configs",
           "shipped_setup_text"]


def shipped_configs() -> list[str]:
    """Names of the configs shipped in ``leptoportal/data/reach`` (``na64e-lfv``, ...)."""
    d = resources.files("leptoportal").joinpath("data", "reach")
    return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".toml"))


def decode_toml_bytes(data: bytes, where: str) -> str:
    """TOML text from a file's bytes: UTF-8 (TOML's encoding; a UTF-8 byte-order mark is dropped)
    or, when the file starts with a UTF-16 byte-order mark (Windows editors), UTF-16, which is
    decoded.  Anything else that is not UTF-8 is refused, naming the line and byte."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("config", f"{where}: starts with a UTF-16 byte-order mark but is not UTF-16 "
                             f"(byte {exc.start})") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError("config", f"{where}: not UTF-8 (TOML files are UTF-8): byte {exc.start} on line {line} is "
                         f"0x{data[exc.start]:02x}") from None


def is_setup_path(setup: str) -> bool:
    """True when the ``setup`` key names a file (``*.toml`` or a path), not a shipped setup."""
    return setup.endswith(".toml") or "/" in setup


def shipped_config_text(name: str) -> str:
    """The TOML text of a shipped config (:func:`shipped_configs` names them)."""
    if name not in shipped_configs():
        raise InputError("config", f"{name!r} is not a shipped config; shipped: {', '.join(shipped_configs())}")
    return resources.files("leptoportal").joinpath("data", "reach", f"{name}.toml").read_text(encoding="utf-8")


def shipped_setup_text(name: str) -> str | None:
    """The TOML text of a shipped setup (``data/experiments/NAME.toml``), or None if there is none."""
    f = resources.files("leptoportal").joinpath("data", "experiments", f"{name.strip().lower()}.toml")
    return f.read_text(encoding="utf-8") if f.is_file() else None
