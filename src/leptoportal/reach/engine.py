r"""The reach scan: excluded coupling versus mass, serially or on a dask cluster.

Definition
----------
At each mass m and exposure E the excluded coupling is where the expected number of
selected signal events N(m, g; E) equals the signal yield N_req excluded at the chosen CL
(:func:`required_signal`).  N is whatever the yield provider returns -- it is *not* assumed
∝ g^2 (branching ratios and widths may depend on g: e.g. BR(S -> chi chi-bar) =
Gamma_chi / (Gamma_chi + Gamma_ll(g_mu)) in the NA64-mu paper, Eqs. (2.5) and (3.1)).

Root finding: :func:`leptoportal.stats.intervals.find_limits` (f(t) = ln N(10^t) - ln N_req on
t = log10 g: a grid of ``coupling.points_per_decade`` points per decade, Brent refinement of the
lower edge ``coupling_limit`` and of an upper edge ``coupling_upper_edge``; statuses
``excluded``, ``excluded-window``, ``not-excluded``, ``below-range``).

Execution and reproducibility
-----------------------------
Mass point i uses the random stream ``SeedSequence(seed).spawn(n_masses)[i]`` -- indexed by
mass position, never by completion order -- so serial, ``workers=N`` (a
``dask.distributed.LocalCluster`` of N single-threaded processes) and ``scheduler=ADDRESS``
give identical numbers.  Each finished mass point (all its exposures) is appended to
``reach.csv`` and flushed + fsync'ed; when the scan completes the file is rewritten sorted
by mass (atomically), so the final file does not depend on the completion order.
``resume=True`` reads a partial ``reach.csv``, checks its ``inputs_sha256`` header against the
config, drops a truncated last line and incomplete points, and computes only the missing
masses.

With ``workers=N`` the LocalCluster starts in a background thread at the beginning of the scan
(its workers import the provider's module while this process computes background, statistics
and overlays), with the settings of :func:`local_cluster_config`; the per-point CPU accounting
(process and computing-thread CPU, worker start-up, scheduler/client CPU, idle tail) goes to
``reach.json`` ``timings`` (docs/reach.md, "Parallel execution and its overhead").
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fileio import AppendLog, DirectoryLock, check_writable_dir, clean_stale_temps, write_text
from ..errors import InputError
from ..stats.intervals import find_limits
from .config import ReachConfig
from .providers import get_provider

__all__ = ["COLUMNS", "RequiredSignal", "ScanResult", "required_signal",
           "background_model", "run_scan", "read_reach_csv", "mass_seeds", "local_cluster_config"]

COLUMNS = ("mass_index", "mass_gev", "exposure", "coupling_limit", "coupling_upper_edge", "status",
           "n_required", "background_events", "sigma_background_events", "stat_method", "n_yield_evaluations",
           "info")
CHECK_COLUMN = "crc32"
STATUSES = ("excluded", "excluded-window", "below-range", "not-excluded")
_STATS_TAG = 0x5E1EC7  # entropy word separating the statistics stream from the mass streams


# ============================================================================ statistics
@dataclass(frozen=True)
class RequiredSignal:
    """Signal events excluded at the CL for one exposure, with the method used and why."""

    exposure: float
    n_required: float
    background: float
    sigma_background: float
    method: str
    reason: str


def background_model(cfg: ReachConfig, report=None) -> dict:
    """Background per unit exposure and its relative uncertainty, from the config.

    ``fixed``: the configured number.  ``na64e-estimate``:
    ``leptoportal.analysis.backgrounds.estimate(setup, eot=..., seed=...)``'s
    ``total_after_cuts_per_eot``, its statistical uncertainty (if the result carries one) added
    in quadrature to ``sigma_rel``.  Returns ``{per_exposure, sigma_rel, source, detail}``.
    """
    bg = cfg.background
    if bg["source"] == "none":
        return {"per_exposure": 0.0, "sigma_rel": 0.0, "source": "none", "detail": "background-free"}
    if bg["source"] == "fixed":
        return {"per_exposure": bg["per_exposure"], "sigma_rel": bg["sigma_rel"], "source": "fixed",
                "detail": bg.get("reference", "")}
    from ..analysis.backgrounds import estimate

    extra = {k: bg[k] for k in ("hadron_decays", "max_dimuon_events", "n_showers") if k in bg}
    if report is not None:
        extra["report"] = report
    res = estimate(setup=cfg.setup, eot=bg["eot"], seed=bg["seed"], **extra)
    per = float(res.total_after_cuts_per_eot)
    stat_rel = 0.0
    for name in ("total_after_cuts_per_eot_err", "total_after_cuts_per_eot_unc", "total_after_cuts_per_eot_stat",
                 "total_after_cuts_per_eot_sigma"):
        if hasattr(res, name):
            err = float(getattr(res, name))
            stat_rel = err / per if per > 0 else 0.0
            break
    if not (math.isfinite(per) and per >= 0):
        raise RuntimeError(f"background estimate returned {per!r} events per EOT")
    if hasattr(res, "to_dict"):
        detail = {k: v for k, v in res.to_dict().items() if k not in ("table", "details")}
    else:
        detail = {k: float(v) for k, v in vars(res).items()
                  if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)}
    return {"per_exposure": per, "sigma_rel": math.hypot(stat_rel, bg["sigma_rel"]), "source": "na64e-estimate",
            "detail": detail}


def required_signal(cfg: ReachConfig, exposure: float, bkg: dict) -> RequiredSignal:
    """N_req at ``exposure``: the CL upper limit on the signal yield (stats.limits) or the
    background-free rule (``events_required_background_free``)."""
    # imported here, not at module level: dask workers import this module for run_point and do not
    # need scipy.stats (0.4 s of CPU per worker process)
    from ..stats import events_required_background_free, upper_limit

    st = cfg.statistics
    if st["method"] == "background-free":
        n = events_required_background_free(cfg.cl, rule=st["rule"])
        why = ("NA64-mu paper rule: >= 3 signal events, background free, 95% CL" if st["rule"] == "3events"
               else f"background free, no event observed: N = -ln(1 - CL) = {n:.4g}")
        return RequiredSignal(exposure, n, 0.0, 0.0, f"background-free ({st['rule']})", why)
    b = bkg["per_exposure"] * exposure
    sb = bkg["sigma_rel"] * b
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, _STATS_TAG]))
    res = upper_limit(b, sb, cfg.cl, method=st["method"], n_obs=st.get("n_obs"), rng=rng,
                      prior=st["prior"], n_toys=st["n_toys"])
    return RequiredSignal(exposure, res.s_up, b, sb, res.method_used, res.reason)


def mass_seeds(seed: int, n: int) -> list:
    """Per-mass streams: ``SeedSequence(seed).spawn(n)``, element i for mass index i."""
    return np.random.SeedSequence(seed).spawn(n)


# ============================================================================ one mass point
def _fmt(x) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return format(float(x), ".12g")


def run_point(task: dict) -> dict:
    """Compute one mass point (all exposures); runs in the main process or on a dask worker.

    Besides the rows it returns its cost: ``seconds`` (wall), ``cpu_seconds`` (CPU of the whole
    process while it ran: on a dask worker this includes the worker's own threads -- event
    loop, heartbeats, monitors), ``thread_cpu_seconds`` (CPU of the computing thread alone),
    ``pid`` and the start/end times (``time.time()``) used for the scan's overhead accounting.
    """
    t_wall0 = time.time()
    t0 = time.perf_counter()
    c0 = time.process_time()
    th0 = time.thread_time()
    prov = task["provider"]
    point = prov.make(task["mass"], task["model"], task["options"], task["seed"], task["setup"])
    rows, notes = [], []
    for req in task["required"]:
        E = req.exposure
        res = find_limits(lambda g: point.events(g, E), req.n_required, task["g_min"], task["g_max"],
                          points_per_decade=task["points_per_decade"], upper_edge=point.upper_edge)
        info = ";".join(f"{k}={_fmt(v)}" for k, v in sorted(point.info.items()))
        rows.append([task["index"], task["mass"], E, res.lower, res.upper, res.status, req.n_required,
                     req.background, req.sigma_background, req.method, res.n_evaluations, info])
        notes += [f"m = {task['mass']:.6g} GeV, exposure {E:.3g}: {w}" for w in res.warnings]
    return {"index": task["index"], "rows": rows, "warnings": notes, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0, "thread_cpu_seconds": time.thread_time() - th0,
            "pid": os.getpid(), "t_start": t_wall0, "t_end": time.time()}


# ============================================================================ CSV sink
def _header_lines(cfg: ReachConfig, inputs_hash: str) -> list[str]:
    return [
        "# leptoportal reach scan (one row per mass point and exposure)\n",
        f"# inputs_sha256: {inputs_hash}\n",
        f"# config: {cfg.name}\n",
        f"# model: {json.dumps(cfg.model, sort_keys=True)}\n",
        f"# provider: {cfg.provider['name']}\n",
        f"# exposure_unit: {cfg.exposure_unit}; cl: {cfg.cl:g}; seed: {cfg.seed}\n",
        "# units: mass_gev in GeV; exposure in the exposure_unit; coupling_limit/coupling_upper_edge dimensionless "
        "(nan = none, see status); n_required, background_events, sigma_background_events in events; "
        "crc32 = CRC-32 of the row's text before it (a damaged row is detected and recomputed by --resume)\n",
        ",".join(COLUMNS) + f",{CHECK_COLUMN}\n",
    ]


def _row_line(row) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([_fmt(v) for v in row])
    text = buf.getvalue()
    return f"{text},{zlib.crc32(text.encode('utf-8')):08x}\n"


class _CsvSink:
    """Appends rows, flushes and fsyncs after every mass point (an :class:`~leptoportal.fileio.AppendLog`)."""

    def __init__(self, path: Path, header: list[str], existing_rows: list[list]):
        self.path = path
        self.log = AppendLog(path, "".join(header), [_row_line(row) for row in existing_rows])

    def append(self, rows) -> None:
        self.log.append("".join(_row_line(r) for r in rows))

    def close(self) -> None:
        self.log.close()


def read_reach_csv(path, damaged: list | None = None) -> tuple[dict, list[dict]]:
    """Read a reach.csv: (metadata from '#' lines, list of row dicts with typed values).

    Every data row carries the CRC-32 of its text; a row that is not valid UTF-8, holds a NUL
    byte, has the wrong number of fields, a bad checksum or a value that does not parse is
    *damaged*.  With ``damaged`` (a list) each damaged row is reported there as "line N: why"
    and left out (``--resume`` recomputes its mass point); without it the first damaged row
    raises :class:`InputError` naming the line.  An unterminated last line (a write cut by a
    kill) counts as damaged too.
    """
    path = Path(path)
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    last_cut = lines[-1] != b""
    meta, rows = {}, []
    header = None

    def bad(n, why):
        msg = f"line {n}: {why}"
        if damaged is None:
            raise InputError(str(path), f"{msg}; rerun with --resume to recompute it, or --force")
        damaged.append(msg)

    for n, b in enumerate(lines, start=1):
        if not b:
            continue
        if n == len(lines) and last_cut:
            bad(n, "unterminated (the write was cut)")
            continue
        try:
            ln = b.decode("utf-8")
        except UnicodeDecodeError:
            bad(n, "not valid UTF-8")
            continue
        if "\x00" in ln:
            bad(n, "contains a NUL byte")
            continue
        if header is None:
            if ln.startswith("#"):
                if ":" in ln:
                    k, v = ln[1:].split(":", 1)
                    meta[k.strip()] = v.strip()
                continue
            header = next(csv.reader([ln]))
            if tuple(header) != (*COLUMNS, CHECK_COLUMN):
                raise InputError(str(path), f"line {n}: columns {header}, expected {[*COLUMNS, CHECK_COLUMN]} "
                                            "(a table from another version, or damaged: use --force)")
            continue
        text, _, crc = ln.rpartition(",")
        if crc != f"{zlib.crc32(text.encode('utf-8')):08x}":
            bad(n, "checksum mismatch")
            continue
        r = next(csv.reader([text]))
        if len(r) != len(COLUMNS):
            bad(n, f"{len(r)} fields, expected {len(COLUMNS)}")
            continue
        try:
            row = {"mass_index": int(r[0]), "mass_gev": float(r[1]), "exposure": float(r[2]),
                   "coupling_limit": float(r[3]), "coupling_upper_edge": float(r[4]), "status": r[5],
                   "n_required": float(r[6]), "background_events": float(r[7]),
                   "sigma_background_events": float(r[8]), "stat_method": r[9],
                   "n_yield_evaluations": int(r[10]), "info": r[11]}
        except ValueError as exc:
            bad(n, f"unreadable value ({exc})")
            continue
        if row["status"] not in STATUSES:
            bad(n, f"unknown status {row['status']!r}")
            continue
        rows.append(row)
    return meta, rows


def _row_list(d: dict) -> list:
    return [d[c] for c in COLUMNS]


# ============================================================================ the scan
@dataclass
class ScanResult:
    """What :func:`run_scan` did: rows (sorted by mass, exposure), files, completeness."""

    rows: list
    complete: bool
    outdir: Path
    files: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    required: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    paper_comparison: dict | None = None
    overlays: list = field(default_factory=list)  #: computed overlay curves (drawn by leptoportal.plots.plot_reach)
    comparisons: list = field(default_factory=list)  #: comparison curves (no selection), drawn dotted grey


def _versions() -> dict:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("leptoportal", "numpy", "scipy", "pyhf", "dask", "distributed", "matplotlib", "mplhep"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _warn(msg: str, warnings: list, quiet: bool) -> None:
    warnings.append(msg)
    if not quiet:
        sys.stderr.write(f"leptoportal reach: warning: {msg}\n")


def run_scan(cfg: ReachConfig, outdir, *, workers: int | None = None, scheduler: str | None = None,
             resume: bool = False, force: bool = False, progress: bool = True, max_points: int | None = None,
             overlays: bool = True, quiet: bool = False, execution_note: str = "") -> ScanResult:
    """Run the reach scan of ``cfg`` into ``outdir`` (reach.csv, reach.json); draws nothing --
    :func:`leptoportal.plots.plot_reach` draws the returned rows, overlays and comparisons.

    ``workers``: start a LocalCluster with that many single-threaded worker processes;
    ``scheduler``: address of an existing dask scheduler; neither: serial.
    ``resume``: continue a partial reach.csv (same inputs hash required).  ``force``:
    overwrite an existing reach.csv.  ``max_points``: stop after computing this many new mass
    points (leaves a valid partial scan, as a kill would; used by the tests).  ``overlays``:
    compute the config's overlay curves (returned in the result and summarised in reach.json).
    """
    t_start = time.perf_counter()
    if workers is not None and scheduler is not None:
        raise InputError("--workers", "give either --workers or --scheduler, not both")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError("--workers", f"must be an integer >= 1; got {workers!r}")
    if max_points is not None and (not isinstance(max_points, int) or max_points < 0):
        raise InputError("max_points", f"must be an integer >= 0; got {max_points!r}")
    if scheduler is not None:
        check_scheduler(scheduler)
    provider = get_provider(cfg.provider["name"])
    out = check_writable_dir(Path(outdir).expanduser(), "--output")
    lock = DirectoryLock(out, "--output").acquire()
    try:
        clean_stale_temps(out)
        return _run_locked(cfg, out, provider, workers, scheduler, resume, force, progress, max_points, overlays, quiet,
                           execution_note, t_start)
    finally:
        lock.release()


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Refuse an unreachable dask scheduler before any work (InputError naming --scheduler)."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(address if "://" in address else f"tcp://{address}")
    if u.scheme not in ("tcp", "tls"):
        raise InputError("--scheduler", f"must be tcp://HOST:PORT or tls://HOST:PORT; got {address!r}")
    try:
        host, port = u.hostname, u.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise InputError("--scheduler", f"must be tcp://HOST:PORT; got {address!r}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise InputError("--scheduler", f"no dask scheduler reachable at {address}: {exc.strerror or exc}") from None


def _has_rows(csv_path: Path) -> bool:
    """True if ``csv_path`` holds at least one data row (a header-only table is no result)."""
    try:
        lines = [ln for ln in csv_path.read_bytes().split(b"\n") if ln and not ln.startswith(b"#")]
    except OSError:
        return False
    return len(lines) > 1


def _run_locked(cfg, out, provider, workers, scheduler, resume, force, progress, max_points, with_overlays, quiet,
                execution_note, t_start) -> ScanResult:
    csv_path = out / "reach.csv"
    inputs_hash = cfg.inputs_hash()
    warnings: list[str] = []

    # ---- previous rows (resume)
    n_exp = len(cfg.exposures)
    done_rows: dict[int, list] = {}
    if csv_path.exists() and not resume and not force and _has_rows(csv_path):
        raise InputError("--output", f"{csv_path} exists: use --resume to continue that scan or --force to overwrite it")
    if resume and csv_path.exists():
        damaged: list[str] = []
        meta, rows = read_reach_csv(csv_path, damaged)
        for d in damaged:
            _warn(f"{csv_path.name} {d}: its mass point is recomputed", warnings, quiet)
        old = meta.get("inputs_sha256")
        if old != inputs_hash:
            raise InputError("--resume", f"{csv_path} was written for different inputs (inputs_sha256 {old} != "
                             f"{inputs_hash}); use the same config/options or --force to start over")
        groups: dict[int, list] = {}
        for r in rows:
            groups.setdefault(r["mass_index"], []).append(r)
        for i, grp in groups.items():
            exps = sorted({r["exposure"] for r in grp})
            if (0 <= i < len(cfg.masses) and len(grp) == n_exp and exps == sorted(cfg.exposures)
                    and all(r["mass_gev"] == float(_fmt(cfg.masses[i])) for r in grp)):
                done_rows[i] = [_row_list(r) for r in sorted(grp, key=lambda r: cfg.exposures.index(r["exposure"]))]

    pending = [i for i in range(len(cfg.masses)) if i not in done_rows]
    pending_run = pending[:max_points] if max_points is not None else pending
    options = {k: v for k, v in cfg.provider.items() if k != "name"}
    # ---- the dask cluster starts now, in a background thread, and its workers import/warm the provider
    # while this process computes the background, the statistics and the overlays (docs/reach.md,
    # "Parallel execution and its overhead")
    runner = _Runner(workers, scheduler, provider) if pending_run else _Runner(None, None)
    try:
        return _scan_body(cfg, out, csv_path, provider, inputs_hash, warnings, done_rows, pending_run, options,
                          runner, workers, scheduler, progress, with_overlays, quiet, execution_note, t_start)
    finally:
        runner.close()


def _scan_body(cfg, out, csv_path, provider, inputs_hash, warnings, done_rows, pending_run, options, runner,
               workers, scheduler, progress, with_overlays, quiet, execution_note, t_start) -> ScanResult:
    # ---- statistics once per exposure (background does not depend on the mass)
    report = (lambda msg: sys.stderr.write(f"leptoportal reach: {msg}\n")) if progress and not quiet else None
    bkg = background_model(cfg, report)
    required = [required_signal(cfg, E, bkg) for E in cfg.exposures]

    # ---- overlays up front: a bad overlay option fails before any scan work; missing modules warn
    overlays, t_overlays = [], 0.0
    if with_overlays:
        from .overlays import compute_overlays

        t0 = time.perf_counter()
        overlays = compute_overlays(cfg, [], lambda msg: _warn(msg, warnings, quiet))
        t_overlays = time.perf_counter() - t0

    seeds = mass_seeds(cfg.seed, len(cfg.masses))
    tasks = [{"index": i, "mass": cfg.masses[i], "model": cfg.model, "setup": cfg.setup,
              "options": options, "provider": provider,
              "seed": seeds[i], "required": required, "g_min": cfg.coupling["min"], "g_max": cfg.coupling["max"],
              "points_per_decade": cfg.coupling["points_per_decade"]} for i in pending_run]

    # the table is (re)written when the first row is known: a run that fails before leaves no stub
    sink = None
    if done_rows:
        sink = _CsvSink(csv_path, _header_lines(cfg, inputs_hash), [row for i in sorted(done_rows) for row in done_rows[i]])
    point_seconds: dict[int, float] = {}
    point_cpu: dict[int, float] = {}
    points: list[dict] = []
    mode = "serial" if workers is None and scheduler is None else (
        f"dask LocalCluster ({workers} workers x 1 thread)" if workers is not None else f"dask scheduler {scheduler}")
    t_scan = time.perf_counter()
    t_scan_epoch = time.time()
    cpu_main0 = time.process_time()
    interrupted = False
    bar = _progress(len(cfg.masses), len(done_rows), progress)
    try:
        for res in runner.run(tasks):
            if sink is None:
                sink = _CsvSink(csv_path, _header_lines(cfg, inputs_hash), [])
            sink.append(res["rows"])
            done_rows[res["index"]] = res["rows"]
            point_seconds[res["index"]] = res["seconds"]
            point_cpu[res["index"]] = res["cpu_seconds"]
            points.append({"index": res["index"], "mass_gev": cfg.masses[res["index"]], "pid": res["pid"],
                           "seconds": res["seconds"], "cpu_seconds": res["cpu_seconds"],
                           "thread_cpu_seconds": res["thread_cpu_seconds"],
                           "start_s": res["t_start"] - t_scan_epoch, "end_s": res["t_end"] - t_scan_epoch})
            for w in res["warnings"]:
                _warn(w, warnings, quiet)
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if sink is not None:
            sink.close()
        if bar is not None:
            bar.close()
        if interrupted:
            sys.stderr.write(f"leptoportal reach: interrupted; {len(done_rows)}/{len(cfg.masses)} mass points in "
                             f"{csv_path} (continue with --resume)\n")
    t_scan = time.perf_counter() - t_scan
    cpu_main_scan = time.process_time() - cpu_main0
    overhead = runner.collect_stats()  # worker process CPU etc., before the cluster is closed

    complete = len(done_rows) == len(cfg.masses)
    if complete:  # final file sorted by mass, independent of the completion order
        all_rows = [row for i in sorted(done_rows) for row in done_rows[i]]
        sink = _CsvSink(csv_path, _header_lines(cfg, inputs_hash), all_rows)
        sink.close()
    files = {"csv": csv_path}
    # the numbers exactly as written (same for resumed scans)
    result_rows = read_reach_csv(csv_path)[1] if csv_path.exists() else []

    comparisons = no_selection_curves(cfg, result_rows) if complete else []
    paper_cmp = paper_comparison(cfg, result_rows, comparisons) if complete and cfg.paper else None

    timings = {"total_s": time.perf_counter() - t_start, "scan_s": t_scan, "overlays_s": t_overlays,
               "points_computed": len(point_seconds), "points_resumed": len(done_rows) - len(point_seconds),
               "point_s_sum": float(sum(point_seconds.values())),
               "point_s_max": float(max(point_seconds.values(), default=0.0)),
               "point_cpu_s_sum": float(sum(point_cpu.values())),
               "point_thread_cpu_s_sum": float(sum(p["thread_cpu_seconds"] for p in points)),
               "main_process_cpu_scan_s": cpu_main_scan,
               "tail_idle_s": tail_idle(points),
               "points": sorted(points, key=lambda p: p["index"]), **overhead}
    meta = {
        "leptoportal_reach": 1,
        "complete": complete,
        "config": cfg.to_dict(),
        "inputs_sha256": inputs_hash,
        "seed": cfg.seed,
        "seeding": "mass point i uses numpy SeedSequence(seed).spawn(n_masses)[i]; statistics toys use "
                   f"SeedSequence([seed, {_STATS_TAG:#x}])",
        "execution": mode + (f"; {execution_note}" if execution_note else ""),
        "background": bkg,
        "statistics": [{"exposure": r.exposure, "n_required": r.n_required, "background_events": r.background,
                        "sigma_background_events": r.sigma_background, "method_used": r.method, "reason": r.reason}
                       for r in required],
        "versions": _versions(),
        "timings": timings,
        "warnings": warnings,
        "files": {k: str(Path(v).name) for k, v in files.items()},
    }
    meta["overlays"] = [{k: o[k] for k in ("kind", "label", "source", "determination", "determination_label",
                                           "consistent_with_zero") if k in o} for o in overlays]
    if paper_cmp is not None:
        meta["paper_comparison"] = paper_cmp
    if comparisons:
        meta["comparison_curves"] = [{"label": c["label"], "exposure": c["exposure"], "mass_gev": c["m"].tolist(),
                                      "coupling": c["g"].tolist(), "definition": c["definition"]}
                                     for c in comparisons]
    json_path = out / "reach.json"
    text = json.dumps(meta, indent=2, default=_json_default) + "\n"
    write_text(json_path, text)
    files["json"] = json_path
    return ScanResult(result_rows, complete, out, files, warnings, required, timings, paper_cmp, overlays,
                      comparisons)


def _info(row: dict) -> dict:
    """The provider's per-mass numbers recorded in a row's ``info`` column (k=v;k=v)."""
    out = {}
    for part in str(row.get("info", "")).split(";"):
        k, _, v = part.partition("=")
        try:
            out[k.strip()] = float(v)
        except ValueError:
            pass
    return out


def no_selection_curves(cfg: ReachConfig, rows: list) -> list:
    """The coupling at which the *produced* signal (no selection) equals N_req, per exposure.

    Available when the provider records ``yield_per_eot_ref``, the produced yield per EOT at its
    ``reference_coupling`` h_ref, for a yield proportional to h^2 (the invisibly decaying LFV phi):
    h = h_ref sqrt(N_req / (yield_per_eot_ref * exposure))."""
    h_ref = cfg.provider.get("reference_coupling")
    if h_ref is None:
        return []
    out = []
    for E in cfg.exposures:
        rr = sorted((r for r in rows if r["exposure"] == E), key=lambda r: r["mass_gev"])
        ys = [_info(r).get("yield_per_eot_ref") for r in rr]
        if not rr or any(y is None or not y > 0 for y in ys):
            return []
        m = np.array([r["mass_gev"] for r in rr])
        g = np.array([h_ref * math.sqrt(r["n_required"] / (y * E)) for r, y in zip(rr, ys)])
        out.append({"exposure": E, "m": m, "g": g, "label": cfg.paper.get("no_selection_label",
                                                                          "all produced, no selection"),
                    "definition": "h where the produced yield (e- and e+ induced, before any cut) equals N_req"})
    return out


def _loglog_at(m, g, m0: float) -> float:
    ok = np.isfinite(g) & (g > 0)
    if not ok.any():
        return math.nan
    return float(10.0 ** np.interp(math.log10(m0), np.log10(m[ok]), np.log10(g[ok])))


def paper_comparison(cfg: ReachConfig, rows: list, comparisons: list) -> dict:
    """The config's published number beside ours (first exposure) and the no-selection number,
    log-log interpolated at the paper's mass."""
    p = cfg.paper
    E = cfg.exposures[0]
    rr = sorted((r for r in rows if r["exposure"] == E), key=lambda r: r["mass_gev"])
    m = np.array([r["mass_gev"] for r in rr])
    ours = _loglog_at(m, np.array([r["coupling_limit"] for r in rr]), p["mass_gev"])
    nosel = next((c for c in comparisons if c["exposure"] == E), None)
    out = {"mass_gev": p["mass_gev"], "exposure": E, "paper": p["coupling"], "paper_source": p["source"],
           "ours": ours, "ours_over_paper": ours / p["coupling"] if math.isfinite(ours) else None,
           "explanation": p["explanation"]}
    if nosel is not None:
        ns = _loglog_at(nosel["m"], nosel["g"], p["mass_gev"])
        out.update({"no_selection": ns, "no_selection_over_paper": ns / p["coupling"]})
    return out


def _json_default(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    return repr(x)


def _progress(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="mass", desc="reach", file=sys.stderr, dynamic_ncols=True)


def tail_idle(points: list) -> float:
    """Worker-seconds idle at the end of the scan: sum over processes of (last end - that process's last end)."""
    if not points:
        return 0.0
    last: dict[int, float] = {}
    for p in points:
        last[p["pid"]] = max(last.get(p["pid"], -math.inf), p["end_s"])
    end = max(last.values())
    return float(sum(end - t for t in last.values()))


def local_cluster_config() -> dict:
    """dask settings :func:`run_scan` uses for its ``LocalCluster`` (measured in docs/reach.md).

    * worker environment: dask's ``pre-spawn-environ`` without ``MALLOC_TRIM_THRESHOLD_`` (which
      made every large NumPy temporary a fresh mmap: 4.5x the CPU of a Monte-Carlo point), with
      OMP/MKL/OPENBLAS/NUMBA threads capped at 1 (one single-threaded worker per core);
    * no statistical profiler in the workers (a 10 ms stack sampler: about half of the workers'
      extra CPU) and slower housekeeping (most of the rest, and most of the scheduler/nanny CPU):
      event-loop lag probe every 1 s instead of 20 ms, memory monitor every 1 s instead of
      100 ms, system monitor every 5 s instead of 0.5 s;
    * one task per worker at a time (``worker-saturation`` 1): the rest wait on the scheduler,
      so no worker holds a queued task while another one idles at the end of the scan; work
      stealing off (nothing left to steal).
    """
    import dask

    env = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
           if not k.startswith("MALLOC_")}
    env.update({k: 1 for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")})
    return {
        "distributed.nanny.pre-spawn-environ": env,
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.admin.system-monitor.gil.enabled": False,
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.scheduler.work-stealing": False,
    }


def _warm_worker(provider) -> dict:
    """Runs once on every worker as soon as the cluster is up, while the main process computes the
    background, statistics and overlays: runs the provider's ``warm`` (its imports)."""
    t0, c0 = time.perf_counter(), time.process_time()
    error = ""
    try:
        if provider.warm is not None:
            provider.warm()
    except Exception as exc:  # the mass points themselves will report it
        error = f"{type(exc).__name__}: {exc}"
    return {"pid": os.getpid(), "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "error": error}


def _process_cpu() -> dict:
    """CPU seconds (user + system) used so far by the calling process, and its pid."""
    t = os.times()
    return {"pid": os.getpid(), "cpu_seconds": t.user + t.system}


class _Runner:
    """Runs mass points serially, on a LocalCluster started in a background thread at construction
    (``workers``), or on an existing scheduler; collects the parallel-overhead numbers."""

    def __init__(self, workers: int | None, scheduler: str | None, provider=None):
        self.workers, self.scheduler = workers, scheduler
        self.client = self.cluster = None
        self.warm_futures: list = []
        self.stats: dict = {}
        self._pool = self._start = None
        self._t0 = time.perf_counter()
        if workers is not None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix="leptoportal-reach-cluster")
            self._start = self._pool.submit(self._start_local, provider)

    def _start_local(self, provider):
        import logging

        import dask
        from dask.distributed import Client, LocalCluster

        cfg = local_cluster_config()
        saved = {k: os.environ.get(k) for k in [*cfg["distributed.nanny.pre-spawn-environ"], "PYTHONHASHSEED"]}
        try:
            with dask.config.set(cfg):
                cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
        finally:  # the nanny writes the worker environment into this process's os.environ: undo that
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        try:
            client = Client(cluster)
            self.stats["cluster_start_s"] = time.perf_counter() - self._t0
            # one pinned warm-up task per worker, not awaited: it runs while the main process works
            self.warm_futures = [client.submit(_warm_worker, provider, workers=[addr],
                                               allow_other_workers=False, pure=False)
                                 for addr in sorted(client.scheduler_info()["workers"])]
        except BaseException:
            cluster.close()
            raise
        return client, cluster

    def _connect(self):
        if self.client is not None:
            return self.client
        if self._start is not None:
            t0 = time.perf_counter()
            self.client, self.cluster = self._start.result()
            self.stats["cluster_wait_s"] = time.perf_counter() - t0
        else:
            from dask.distributed import Client

            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, ValueError) as exc:
                raise InputError("--scheduler", f"cannot connect to dask scheduler {self.scheduler!r}: {exc}") from None
        return self.client

    def run(self, tasks: list):
        """Yield finished points: in order (serial) or as they complete (dask).

        dask: submitted in mass-index order, which is also the scheduler's priority order; with one
        task per worker at a time each worker takes the next mass as soon as it is free.
        """
        if not tasks:
            return
        if self.workers is None and self.scheduler is None:
            for t in tasks:
                yield run_point(t)
            return
        from dask.distributed import as_completed

        client = self._connect()
        futures = [client.submit(run_point, t, pure=False) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                if not fut.done():
                    fut.cancel()

    def collect_stats(self) -> dict:
        """Cluster start, warm-up and worker-process CPU (dask), as numbers for reach.json."""
        out = dict(self.stats)
        if self.client is None:
            return out
        try:
            out["warmup"] = [f.result(timeout=30) for f in self.warm_futures]
            out["worker_process_cpu_s"] = {str(v["pid"]): v["cpu_seconds"]
                                           for v in self.client.run(_process_cpu).values()}
        except Exception as exc:  # accounting only: never fail a finished scan for it
            out["accounting_error"] = f"{type(exc).__name__}: {exc}"
        return out

    def close(self) -> None:
        if self._start is not None and self.client is None:
            try:  # started but never used (error or interrupt before the scan): wait for it, then close
                self.client, self.cluster = self._start.result()
            except BaseException:
                pass
        try:
            if self.client is not None:
                self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            self.client = self.cluster = self._start = self._pool = None
