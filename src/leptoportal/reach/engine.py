r"""The reach scan: excluded coupling versus mass, serially or on a dask cluster.

Definition
----------
At each mass m and exposure E the excluded coupling is where the expected number of
selected signal events N(m, g; E) equals the signal yield N_req excluded at the chosen CL
(:func:`required_signal`).  N is whatever the yield provider returns -- it is *not* assumed
∝ g^2 (branching ratios and widths may depend on g: e.g. BR(S -> chi chi-bar) =
Gamma_chi / (Gamma_chi + Gamma_ll(g_mu)) in the NA64-mu paper, Eqs. (2.5) and (3.1)).

Observed limits: with ``observed_events`` (one count per exposure) each row also carries the
coupling where N(m, g; E) equals the N_req of the observed count (``coupling_limit_observed``,
``coupling_upper_edge_observed``, ``status_observed``, ``n_required_observed``), computed with the
same method, rule, CL and background as the median expected limit beside it (:func:`required_signal`).

Root finding: :func:`leptoportal.stats.intervals.find_limits` (f(t) = ln N(10^t) - ln N_req on
t = log10 g: a grid of ``coupling.points_per_decade`` points per decade, Brent refinement of the
lower edge ``coupling_limit`` and of an upper edge ``coupling_upper_edge``; statuses
``excluded``, ``excluded-window``, ``not-excluded``, ``below-range``).

Execution and reproducibility
-----------------------------
Mass point i uses the random stream ``SeedSequence(seed).spawn(n_masses)[i]`` -- indexed by
mass position, never by completion order -- so serial, ``workers=N`` (a
``dask.distributed.LocalCluster`` of N single-threaded processes) and ``scheduler=ADDRESS``
give identical numbers (:mod:`.runner`).  Each finished mass point (all its exposures) is
appended to ``reach.csv`` and flushed + fsync'ed; when the scan completes the file is rewritten
sorted by mass (atomically), so the final file does not depend on the completion order
(:mod:`.table`).  ``resume=True`` reads a partial ``reach.csv``, checks its ``inputs_sha256``
header against the config, drops a truncated last line and incomplete points, and computes only
the missing masses.

The setup is loaded once, when the config is parsed (:attr:`ReachConfig.loaded_setup`), and
that object goes to the background estimate and to every mass point.
"""

from __future__ import annotations

import dataclasses

import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..fileio import DirectoryLock, check_writable_dir, clean_stale_temps, write_text
from .config import ReachConfig
from .providers import YieldProvider, get_provider
from .runner import Runner, check_scheduler, tail_idle
from .points import make_point, mass_seeds, point_rows, run_point
from .statistics import STATS_TAG, BackgroundThread, background_model, required_signal
from .table import CsvSink, has_rows, header_lines, read_reach_csv, resumable_rows

__all__ = ["PointLog", "ScanOptions", "ScanPlan", "ScanResult", "auto_workers", "run_scan"]



# ============================================================================ the scan
@dataclass(frozen=True)
class ScanOptions:
    """How :func:`run_scan` runs; nothing here changes the numbers (see :func:`run_scan`)."""

    workers: int | None = None
    scheduler: str | None = None
    resume: bool = False
    force: bool = False
    progress: bool = True
    max_points: int | None = None
    overlays: bool = True
    quiet: bool = False
    execution_note: str = ""

    def check(self) -> None:
        """InputError naming the option for a bad combination or value (before any work)."""
        if self.workers is not None and self.scheduler is not None:
            raise InputError("--workers", "give either --workers or --scheduler, not both")
        w = self.workers
        if w is not None and w != "auto" and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
            raise InputError("--workers", f"must be 'auto' or an integer >= 1; got {w!r}")
        m = self.max_points
        if m is not None and (not isinstance(m, int) or m < 0):
            raise InputError("max_points", f"must be an integer >= 0; got {m!r}")
        if self.scheduler is not None:
            check_scheduler(self.scheduler)

    @property
    def mode(self) -> str:
        """The execution as written to reach.json."""
        if self.workers is None and self.scheduler is None:
            return "serial"
        if self.workers is not None:
            return f"dask LocalCluster ({self.workers} workers x 1 thread)"
        return f"dask scheduler {self.scheduler}"


@dataclass
class ScanPlan:
    """One run of a scan into ``out``: what is fixed before the first mass point is computed.

    ``done_rows``: {mass index: rows} of the points already in reach.csv (``--resume``), to which
    the run adds its points; ``pending``: the mass indices this run computes (``max_points``
    applied); ``warnings``: collected for reach.json (and printed unless ``options.quiet``).
    """

    cfg: ReachConfig
    out: Path
    options: ScanOptions
    provider: YieldProvider
    inputs_hash: str
    t_start: float
    warnings: list = field(default_factory=list)
    done_rows: dict = field(default_factory=dict)
    pending: list = field(default_factory=list)

    @property
    def csv_path(self) -> Path:
        return self.out / "reach.csv"

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)
        if not self.options.quiet:
            sys.stderr.write(f"leptoportal reach: warning: {msg}\n")

    def sink(self, rows: list) -> CsvSink:
        """(Re)write reach.csv with its header and ``rows``; further points are appended to it."""
        return CsvSink(self.csv_path, header_lines(self.cfg, self.inputs_hash), rows)

    def tasks(self, required: list) -> list[dict]:
        """The :func:`run_point` inputs of the pending masses (mass i: stream ``mass_seeds(seed, n)[i]``)."""
        cfg = self.cfg
        options = {k: v for k, v in cfg.provider.items() if k != "name"}
        seeds = mass_seeds(cfg.seed, len(cfg.masses))
        setup = cfg.setup_or_name()
        return [{"index": i, "mass": cfg.masses[i], "model": cfg.model, "setup": setup,
                 "options": options, "provider": self.provider,
                 "seed": seeds[i], "required": required, "g_min": cfg.coupling["min"], "g_max": cfg.coupling["max"],
                 "points_per_decade": cfg.coupling["points_per_decade"]} for i in self.pending]


@dataclass
class PointLog:
    """The cost of the points computed by this run (``timings`` of reach.json)."""

    t_scan_epoch: float
    seconds: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    precision: list = field(default_factory=list)

    def add(self, res: dict, mass: float) -> None:
        if res.get("precision"):
            self.precision.append({"index": res["index"], "mass_gev": mass, **res["precision"]})
        self.seconds[res["index"]] = res["seconds"]
        self.cpu[res["index"]] = res["cpu_seconds"]
        self.points.append({"index": res["index"], "mass_gev": mass, "pid": res["pid"],
                            "seconds": res["seconds"], "cpu_seconds": res["cpu_seconds"],
                            "thread_cpu_seconds": res["thread_cpu_seconds"],
                            "start_s": res["t_start"] - self.t_scan_epoch, "end_s": res["t_end"] - self.t_scan_epoch})

    def timings(self, n_done: int, total_s: float, scan_s: float, overlays_s: float, cpu_main_scan: float,
                overhead: dict) -> dict:
        return {"total_s": total_s, "scan_s": scan_s, "overlays_s": overlays_s,
                "points_computed": len(self.seconds), "points_resumed": n_done - len(self.seconds),
                "point_s_sum": float(sum(self.seconds.values())),
                "point_s_max": float(max(self.seconds.values(), default=0.0)),
                "point_cpu_s_sum": float(sum(self.cpu.values())),
                "point_thread_cpu_s_sum": float(sum(p["thread_cpu_seconds"] for p in self.points)),
                "main_process_cpu_scan_s": cpu_main_scan,
                "tail_idle_s": tail_idle(self.points),
                "points": sorted(self.points, key=lambda p: p["index"]), **overhead}


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
    precision: list = field(default_factory=list)  #: Monte-Carlo precision of the points computed (reach.json)


#: a local cluster costs about this much wall time before its workers compute (start-up, imports, the
#: first point's table loads on each worker; docs/reach.md "Parallel execution and its overhead")
CLUSTER_START_S = 8.0


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def auto_workers(cfg: ReachConfig, provider: YieldProvider, n_pending: int) -> tuple[int | None, str]:
    """``--workers auto``: (workers or None for serial, the reason in one phrase).

    A local cluster of min(CPUs, points) workers when there are >= 2 CPUs and the pending points'
    estimated serial time (``provider.cost_s`` each) exceeds twice the cluster's start-up; serial
    otherwise, and also when the NA64e background must be estimated first (the serial scan then
    computes its points beside the estimate, which keeps both cores busy on its own).  The numbers
    do not depend on the choice (the same seeds per mass point)."""
    cpus = usable_cpus()
    serial_s = provider.cost_s * n_pending
    if cpus < 2:
        return None, "serial (one CPU)"
    if n_pending < 2 or serial_s <= 2.0 * CLUSTER_START_S:
        return None, f"serial ({n_pending} point(s) of about {provider.cost_s:g} s: a cluster would not pay off)"
    bg = cfg.background
    if bg["source"] == "na64e-estimate":
        from ..analysis.backgrounds import is_cached

        extra = {k: bg[k] for k in ("hadron_decays", "max_dimuon_events", "n_showers") if k in bg}
        if not is_cached(cfg.setup_or_name(), eot=bg["eot"], seed=bg["seed"], **extra):
            return None, "serial, beside the background estimate (not cached yet)"
    n = min(cpus, n_pending)
    return n, f"{n} local workers ({n_pending} points of about {provider.cost_s:g} s on {cpus} CPUs)"


def run_scan(cfg: ReachConfig, outdir, *, workers: int | str | None = None, scheduler: str | None = None,
             resume: bool = False, force: bool = False, progress: bool = True, max_points: int | None = None,
             overlays: bool = True, quiet: bool = False, execution_note: str = "") -> ScanResult:
    """Run the reach scan of ``cfg`` into ``outdir`` (reach.csv, reach.json); draws nothing --
    :func:`leptoportal.plots.plot_reach` draws the returned rows, overlays and comparisons.

    ``workers``: start a LocalCluster with that many single-threaded worker processes, or
    ``"auto"`` (:func:`auto_workers`: a cluster on the usable CPUs when the points are worth it);
    ``scheduler``: address of an existing dask scheduler; neither: serial.
    ``resume``: continue a partial reach.csv (same inputs hash required).  ``force``:
    overwrite an existing reach.csv.  ``max_points``: stop after computing this many new mass
    points (leaves a valid partial scan, as a kill would; used by the tests).  ``overlays``:
    compute the config's overlay curves (returned in the result and summarised in reach.json).
    """
    t_start = time.perf_counter()
    opts = ScanOptions(workers, scheduler, resume, force, progress, max_points, overlays, quiet, execution_note)
    opts.check()
    provider = get_provider(cfg.provider["name"])
    out = check_writable_dir(Path(outdir).expanduser(), "--output")
    lock = DirectoryLock(out, "--output").acquire()
    try:
        clean_stale_temps(out)
        plan = ScanPlan(cfg, out, opts, provider, cfg.inputs_hash(), t_start)
        return _run_locked(plan)
    finally:
        lock.release()


def _run_locked(plan: ScanPlan) -> ScanResult:
    cfg, opts, csv_path = plan.cfg, plan.options, plan.csv_path
    # ---- previous rows (resume)
    if csv_path.exists() and not opts.resume and not opts.force and has_rows(csv_path):
        raise InputError("--output", f"{csv_path} exists: use --resume to continue that scan or --force to overwrite it")
    if opts.resume and csv_path.exists():
        plan.done_rows = resumable_rows(csv_path, cfg, plan.inputs_hash, plan.warn)
    pending = [i for i in range(len(cfg.masses)) if i not in plan.done_rows]
    plan.pending = pending[:opts.max_points] if opts.max_points is not None else pending
    if opts.workers == "auto":
        n, why = auto_workers(cfg, plan.provider, len(plan.pending))
        note = "; ".join(x for x in (opts.execution_note, f"--workers auto: {why}") if x)
        opts = plan.options = dataclasses.replace(opts, workers=n, execution_note=note)
        if opts.progress and not opts.quiet:
            sys.stderr.write(f"leptoportal reach: --workers auto: {why}\n")
    # ---- the dask cluster starts now, in a background thread, and its workers import/warm the provider
    # while this process computes the background, the statistics and the overlays (docs/reach.md,
    # "Parallel execution and its overhead")
    runner = Runner(opts.workers, opts.scheduler, plan.provider) if plan.pending else Runner(None, None)
    try:
        return _scan(plan, runner)
    finally:
        runner.close()


def _scan(plan: ScanPlan, runner: Runner) -> ScanResult:
    cfg, opts, csv_path, done_rows = plan.cfg, plan.options, plan.csv_path, plan.done_rows
    # ---- statistics once per exposure (background does not depend on the mass)
    report = (lambda msg: sys.stderr.write(f"leptoportal reach: {msg}\n")) if opts.progress and not opts.quiet else None
    # a serial scan computes its mass points while the background is estimated (the points' yields
    # do not need it; their limits do, and are found once it is known); dask workers start first
    overlap = (cfg.background["source"] == "na64e-estimate" and bool(plan.pending)
               and runner.workers is None and runner.scheduler is None)
    if report is not None and runner.workers:
        report(f"starting a dask cluster of {runner.workers} workers (they import the provider meanwhile) ...")
    if report is not None and overlap:
        report("the background estimate runs beside the scan; the limits follow once it is known")
    background = BackgroundThread(cfg, report) if overlap else None
    bkg = None if overlap else background_model(cfg, report)
    required = None if overlap else [required_signal(cfg, E, bkg) for E in cfg.exposures]

    # ---- overlays up front: a bad overlay option fails before any scan work; a failing overlay warns
    overlays, t_overlays = [], 0.0
    if opts.overlays:
        from .overlays import compute_overlays

        t0 = time.perf_counter()
        overlays = compute_overlays(cfg, [], plan.warn, run_scan=run_scan)
        t_overlays = time.perf_counter() - t0

    tasks = plan.tasks(required)
    # the table is (re)written when the first row is known: a run that fails before leaves no stub
    sink = plan.sink([row for i in sorted(done_rows) for row in done_rows[i]]) if done_rows else None
    t_scan = time.perf_counter()
    log = PointLog(time.time())
    cpu_main0 = time.process_time()
    interrupted = False
    if report is not None and plan.pending:
        report(f"{len(plan.pending)} mass point(s) to compute; the first builds the cross-section and shower tables "
               "it needs (up to a minute with empty caches, read from the cache afterwards)")
    bar = _progress(len(cfg.masses), len(done_rows), opts.progress)

    def finished(res, counted=False):
        nonlocal sink
        if sink is None:
            sink = plan.sink([])
        sink.append(res["rows"])
        done_rows[res["index"]] = res["rows"]
        log.add(res, cfg.masses[res["index"]])
        for w in res["warnings"]:
            plan.warn(w)
        if bar is not None and not counted:
            bar.update(1)

    try:
        if overlap:  # yields first, while the background runs; then the limits, in mass order
            made = []
            for t in tasks:
                made.append((t, make_point(t)))
                if bar is not None:
                    bar.update(1)
            bkg = background.get()
            required = [required_signal(cfg, E, bkg) for E in cfg.exposures]
            for t, res in made:
                rows, notes = point_rows(t, res.pop("point"), required)
                finished({**res, "rows": rows, "warnings": notes}, counted=True)
        else:
            for res in runner.run(tasks, run_point):
                finished(res)
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
        plan.sink([row for i in sorted(done_rows) for row in done_rows[i]]).close()
    files = {"csv": csv_path}
    # the numbers exactly as written (same for resumed scans)
    result_rows = read_reach_csv(csv_path)[1] if csv_path.exists() else []

    comparisons = no_selection_curves(cfg, result_rows) if complete else []
    paper_cmp = paper_comparison(cfg, result_rows, comparisons) if complete and cfg.paper else None

    timings = log.timings(len(done_rows), time.perf_counter() - plan.t_start, t_scan, t_overlays, cpu_main_scan,
                          overhead)
    files["json"] = _write_json(plan, complete, bkg, required, timings, overlays, paper_cmp, comparisons,
                                log.precision)
    return ScanResult(result_rows, complete, plan.out, files, plan.warnings, required, timings, paper_cmp, overlays,
                      comparisons, log.precision)


def _write_json(plan: ScanPlan, complete: bool, bkg: dict, required: list, timings: dict, overlays: list,
                paper_cmp: dict | None, comparisons: list, precision: list = ()) -> Path:
    """reach.json: the config, inputs hash, seeding, execution, background, statistics, versions,
    timings, warnings, files, overlay summaries, paper comparison and comparison curves."""
    cfg, opts = plan.cfg, plan.options
    meta = {
        "leptoportal_reach": 1,
        "complete": complete,
        "config": cfg.to_dict(),
        "resolved": cfg.resolved,
        "overrides": cfg.overrides,
        "mc_precision": {"points": sorted(precision, key=lambda p: p["index"]),
                         "max_limit_rel_err": max((p["limit_rel_err"] for p in precision), default=None),
                         "note": "statistical precision of the simulated points computed by this run (resumed "
                                 "points keep theirs in the run that computed them); delta g/g = delta eff/(2 eff)"}
        if precision else None,
        "inputs_sha256": plan.inputs_hash,
        "seed": cfg.seed,
        "seeding": "mass point i uses numpy SeedSequence(seed).spawn(n_masses)[i]; statistics toys use "
                   f"SeedSequence([seed, {STATS_TAG:#x}])",
        "execution": opts.mode + (f"; {opts.execution_note}" if opts.execution_note else ""),
        "background": bkg,
        "observed_events": list(cfg.observed_events) if cfg.observed_events is not None else None,
        "statistics": [{"exposure": r.exposure, "n_required": r.n_required, "background_events": r.background,
                        "sigma_background_events": r.sigma_background, "method_used": r.method, "reason": r.reason,
                        "observed_events": r.observed,
                        "n_required_observed": r.n_required_observed if r.observed is not None else None,
                        "reason_observed": r.reason_observed}
                       for r in required],
        "versions": _versions(),
        "timings": timings,
        "warnings": plan.warnings,
        "files": {"csv": plan.csv_path.name},
    }
    meta["overlays"] = [{k: o[k] for k in ("kind", "label", "source", "determination", "determination_label",
                                           "consistent_with_zero") if k in o} for o in overlays]
    if cfg.plot.get("reproduces") or cfg.plot.get("not_drawn"):
        meta["figure"] = {"reproduces": cfg.plot.get("reproduces", ""), "not_drawn": cfg.plot.get("not_drawn", [])}
    if paper_cmp is not None:
        meta["paper_comparison"] = paper_cmp
    if comparisons:
        meta["comparison_curves"] = [{"label": c["label"], "exposure": c["exposure"], "mass_gev": c["m"].tolist(),
                                      "coupling": c["g"].tolist(), "definition": c["definition"]}
                                     for c in comparisons]
    json_path = plan.out / "reach.json"
    write_text(json_path, json.dumps(meta, indent=2, default=_json_default) + "\n")
    return json_path


def _versions() -> dict:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("leptoportal", "numpy", "scipy", "pyhf", "dask", "distributed", "matplotlib", "mplhep"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


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


