"""Atomic file output: the one implementation every writer and cache uses.

A file is written under a temporary name in its target directory, synced to disk and renamed
over the target (``os.replace``, atomic on POSIX), so an interrupted or failed write never
leaves a partial file under the real name; the temporary file is removed on failure.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def atomic_write(path, write_fn, *, suffix: str = ".part") -> Path:
    """Create ``path`` atomically: ``write_fn(tmp)`` writes the content to the temporary path
    ``tmp`` (a str in the same directory, ending in ``suffix``).  The file gets the usual
    permissions (0666 & ~umask; mkstemp would leave 0600).  Returns ``Path(path)``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=str(path.parent))
    os.close(fd)
    try:
        write_fn(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_save_npz(path, **arrays) -> Path:
    """``numpy.savez(path, **arrays)`` through :func:`atomic_write`."""
    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")
