"""File output: the one place that creates files, always atomically.

A file is written under a temporary name in its target directory,
``.<name>.<pid>.<random><suffix>``, synced to disk and renamed over the target (``os.replace``,
atomic on POSIX), so an interrupted or failed write never leaves a partial file under the real
name; the temporary file is removed on failure.  A temporary file left by a process that was
killed is removed by :func:`clean_stale_temps` (only when that process no longer exists).

Every writer of the package goes through here: :func:`atomic_write` (any ``write_fn(tmp)``),
:func:`write_text`, :func:`write_csv`, :func:`save_figure`, :func:`atomic_save_npz`,
:func:`write_gzip_text` (byte-reproducible gzip: fixed mtime, no name) and :func:`AppendLog`
(the one append-only file: the reach table, rewritten atomically before appending).  Outputs are
checked before any work starts with :func:`check_writable` / :func:`check_writable_dir`.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import re
import secrets
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["read_headed_csv", "atomic_write", "write_text", "write_text_stream", "write_csv", "save_figure", "atomic_save_npz", "write_gzip_text",
           "check_writable", "check_writable_dir", "clean_stale_temps", "AppendLog", "DirectoryLock"]

_TMP_RE = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}(\.[A-Za-z0-9]+)+$")


def _tmp_path(path: Path, suffix: str) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(directory) -> list[Path]:
    """Remove temporary files (``.<name>.<pid>.<hex8><suffix>``) whose writing process is gone.
    Files of live processes (another run writing into the same directory) are left alone."""
    d = Path(directory)
    removed = []
    if not d.is_dir():
        return removed
    for p in d.iterdir():
        m = _TMP_RE.match(p.name)
        if m and p.is_file() and not _pid_alive(int(m.group(1))):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def atomic_write(path, write_fn, *, suffix: str = ".part") -> Path:
    """Create ``path`` atomically: ``write_fn(tmp)`` writes the content to the temporary path
    ``tmp`` (a str in the same directory, ending in ``suffix``, named with this process's PID).
    The file gets the usual permissions (0666 & ~umask).  Returns ``Path(path)``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path, suffix)
    try:
        write_fn(str(tmp))
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


def write_text(path, text: str) -> Path:
    """``text`` (UTF-8) to ``path`` atomically."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data), suffix=".part")


def write_csv(path, columns: dict, meta: dict | None = None, fmt: str = "{:.10g}") -> Path:
    """A CSV of equal-length columns with ``# key: value`` header lines, atomically.
    Non-finite values are written as ``nan`` (the header should say what nan means)."""
    names = list(columns)
    cols = [np.asarray(columns[k], float).ravel() for k in names]
    buf = io.StringIO()
    for k, v in (meta or {}).items():
        buf.write(f"# {k}: {v}\n")
    buf.write(",".join(names) + "\n")
    for row in zip(*cols):
        buf.write(",".join(fmt.format(v) for v in row) + "\n")
    return write_text(path, buf.getvalue())


def save_figure(fig, path, **kwargs) -> Path:
    """``fig.savefig(path)`` atomically (the format follows ``path``'s suffix)."""
    path = Path(path)
    fmt = kwargs.pop("format", path.suffix.lstrip(".") or "png")
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, **kwargs), suffix=path.suffix or ".part")


def atomic_save_npz(path, **arrays) -> Path:
    """``numpy.savez(path, **arrays)`` through :func:`atomic_write`."""
    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def write_text_stream(path, write_text_fn) -> Path:
    """``write_text_fn(fh)`` writes UTF-8 text to ``fh``; the file appears atomically at ``path``."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            write_text_fn(fh)

    return atomic_write(path, write, suffix=".part")


def write_gzip_text(path, write_text_fn) -> Path:
    """A gzip file whose bytes depend only on its content: ``write_text_fn(fh)`` writes text to
    ``fh``; the gzip header carries mtime 0 and no file name."""

    def write(tmp):
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
                io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as fh:
            write_text_fn(fh)

    return atomic_write(path, write, suffix=".part")


def _probe(d: Path) -> None:
    probe = _tmp_path(d / "write-probe", ".probe")
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.unlink(probe)


def check_writable_dir(directory, name: str = "output") -> Path:
    """Create ``directory`` if needed and prove that a file can be created in it (before any work);
    :class:`InputError` naming ``name`` otherwise."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError(name, f"{str(d)!r} exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
        _probe(d)
    except OSError as exc:
        why = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        raise InputError(name, f"cannot write into {str(d)!r}: {why}") from None
    return d


def check_writable(path, name: str = "output") -> Path:
    """``path`` can be created (its directory exists and accepts a new file; it is not a directory)."""
    p = Path(path)
    d = p.parent if str(p.parent) else Path(".")
    if not d.is_dir():
        raise InputError(name, f"directory {str(d)!r} does not exist")
    if p.is_dir():
        raise InputError(name, f"{str(p)!r} is a directory")
    try:
        _probe(d)
    except OSError as exc:
        raise InputError(name, f"cannot write into {str(d)!r}: {exc.strerror or exc}") from None
    return p


class AppendLog:
    """A text file grown line by line (fsync after every append): first rewritten atomically with
    ``header`` + ``lines``, then opened for appending.  A crash can only cut the last line, which
    the reader detects."""

    def __init__(self, path, header: str, lines=()):
        self.path = Path(path)
        write_text(self.path, header + "".join(lines))
        self.fh = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115 (closed by close())

    def append(self, text: str) -> None:
        self.fh.write(text)
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


class DirectoryLock:
    """An exclusive lock on an output directory: the file ``.lock`` holding the owner's PID,
    created with O_EXCL.  A lock whose process is gone is taken over; a live one is refused with
    an :class:`InputError` naming ``name`` and the PID."""

    def __init__(self, directory, name: str = "--output"):
        self.path = Path(directory) / ".lock"
        self.name = name
        self.held = False

    def acquire(self) -> "DirectoryLock":
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or "0")
                except (OSError, ValueError):
                    pid = 0
                if pid and _pid_alive(pid):
                    raise InputError(self.name, f"{str(self.path.parent)!r} is in use by another run (PID {pid}; "
                                                f"lock file {self.path.name}); wait for it or use another directory") from None
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{os.getpid()}\n")
            self.held = True
            return self
        raise InputError(self.name, f"could not lock {str(self.path.parent)!r}")

    def release(self) -> None:
        if self.held:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def read_headed_csv(path, name: str, header_keys, required) -> tuple:
    """A user's data file: ``# key: value`` header lines, then comma-separated rows (the first is
    the column names).  Returns (Path, header dict, [(line number, cells)]).  ``header_keys``: the
    keys allowed (any other, a repeated one, or the spelling 'license' is an error); ``required``:
    the keys that must be given.  Errors are :class:`InputError` naming ``name`` (the caller's flag
    or key for the file).  A '#' line without ':' is a comment; blank lines are skipped; a UTF-8
    byte-order mark is dropped."""
    if not isinstance(path, (str, Path)) or not str(path):
        raise InputError(name, f"must be the path of a CSV file; got {path!r}")
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, f"cannot read {str(p)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    header, rows = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            key = key.strip().lower()
            if sep and key:
                if key == "license":
                    raise InputError(name, f"{p}, line {n}: write 'licence' (the key this format uses)")
                if key not in header_keys:
                    raise InputError(name, f"{p}, line {n}: unknown header key {key!r}; valid: "
                                     f"{', '.join(sorted(header_keys))} (a '#' line without ':' is a comment)")
                if key in header:
                    raise InputError(name, f"{p}, line {n}: {key!r} is given twice")
                header[key] = value.strip()
            continue
        rows.append((n, [c.strip() for c in line.split(",")]))
    missing = [k for k in required if not header.get(k)]
    if missing:
        raise InputError(name, f"{p}: the header must state {', '.join(missing)} (lines '# key: value')")
    return p, header, rows
