"""Where cached tables live: one root, one folder per kind of table.

Root: ``$LEPTOPORTAL_CACHE_DIR`` if set, else ``platformdirs.user_cache_dir("leptoportal")``.
Folders: ``sigma_tables`` (cross sections, :mod:`leptoportal.xsec.tables`), ``shower_tables``
(:mod:`leptoportal.detector.shower`), ``muon_tables`` (:mod:`leptoportal.detector.muon`).  Files
are written through :func:`leptoportal._io.atomic_save_npz`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root", "cache_dir"]


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
