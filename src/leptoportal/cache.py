"""Cached tables: one root, one folder per kind, one source-hash scheme, keyed npz files.

Root: ``$LEPTOPORTAL_CACHE_DIR`` if set, else ``platformdirs.user_cache_dir("leptoportal")``.
Folders: ``sigma_tables`` (cross sections, :mod:`leptoportal.xsec.tables`), ``shower_tables``
(:mod:`leptoportal.detector.track_lengths`), ``muon_tables`` (:mod:`leptoportal.detector.muon_loss`).

Every table is keyed by the SHA-256 of a canonical JSON of everything that determines its
numbers (:func:`cache_key`): the physical and numerical inputs, the package version, and
:func:`source_hash` of an explicit list of the source files that compute it.  The key is
stored inside the file (``__key__``) and checked on load (:func:`load_npz`); a file whose key,
array names, shapes or values do not fit is ignored and rebuilt, never trusted.  Files are
written atomically (:func:`leptoportal.fileio.atomic_save_npz`), so a killed run leaves no
half-written table.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .fileio import atomic_save_npz

__all__ = ["cache_root", "cache_dir", "source_hash", "cache_key", "load_npz", "save_npz"]

_PKG = Path(__file__).resolve().parent
_KEY_NAME = "__key__"


def cache_root() -> Path:
    """``$LEPTOPORTAL_CACHE_DIR`` if set, else the user cache folder of ``platformdirs``."""
    env = os.environ.get("LEPTOPORTAL_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("leptoportal"))


def cache_dir(kind: str) -> Path:
    """The folder of one kind of table (not created here)."""
    return cache_root() / kind


@lru_cache(maxsize=None)
def source_hash(files: tuple[str, ...]) -> str:
    """SHA-256 over the named source files of the package, by relative name and bytes.

    ``files`` are paths relative to the package folder (``"xsec/engine.py"``).  A name that
    is not a file of the package raises ``FileNotFoundError``: a cache that lists a source
    which moved must be updated, not silently keyed on less.
    """
    h = hashlib.sha256()
    for name in files:
        f = _PKG / name
        if not f.is_file():
            raise FileNotFoundError(f"cache source list names {name!r}, which is not a file of leptoportal")
        h.update(name.encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def cache_key(inputs: dict) -> str:
    """Hex SHA-256 of the canonical JSON (sorted keys, no spaces) of ``inputs``."""
    blob = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def load_npz(path, key: str, names) -> dict | None:
    """The arrays ``names`` of the table at ``path`` if it exists and was written under ``key``.

    Returns None (never raises) when the file is missing, unreadable, truncated, written under
    another key, lacks an array, or holds a non-finite value: the caller rebuilds.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            if _KEY_NAME not in data.files or str(data[_KEY_NAME]) != key:
                return None
            out = {n: np.array(data[n]) for n in names}
    except Exception:  # missing, corrupt, truncated, foreign: rebuild
        return None
    for a in out.values():
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            return None
    return out


def save_npz(path, key: str, **arrays) -> bool:
    """Write ``arrays`` and ``key`` to ``path`` atomically; False (no exception) if the folder is
    not writable -- a cache is an optimisation, the computed table is returned either way."""
    try:
        atomic_save_npz(Path(path), **{_KEY_NAME: np.array(key)}, **arrays)
    except OSError:
        return False
    return True
