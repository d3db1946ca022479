"""``leptoportal reach``: the excluded coupling versus mass (the papers' reach figures).

    leptoportal reach CONFIG.toml|NAME [--output DIR] [--workers N|auto|serial | --scheduler ADDR]
                      [--resume | --force] [--stat METHOD] [--seed N] [--quick] [--no-progress]

``NAME`` is a shipped config (``na64e-lfv``, ``na64mu-leptophilic``).  DIR receives
``reach.csv`` (written point by point), ``reach.json``, ``reach.png``, ``reach.pdf`` and
``reach_overlays.csv``.  A config that states ``observed_events`` gets the observed limit beside
the median expected one (reach.csv ``*_observed`` columns, the summary, the figure).  Config errors: one line naming the key, exit 2.  See
:mod:`leptoportal.reach` and docs/reach.md.
"""

from __future__ import annotations

import argparse
import math
import sys

from ..domains import arg, help_range

STAT_CHOICES = ("auto", "asymptotic", "poisson", "neyman", "toys", "background-free")


def _workers_arg(text: str):
    """``--workers``: 'auto', 'serial' or an integer in the workers domain."""
    word = text.strip().lower()
    if word == "auto":
        return "auto"
    if word == "serial":
        return None
    try:
        return _WORKERS(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; or 'auto', 'serial'") from None


_WORKERS = arg("workers")
_workers_arg.domain = _WORKERS.domain

def register(sub) -> None:
    p = sub.add_parser(
        "reach", help="excluded coupling vs mass scan (reach.csv/json/png/pdf)",
        description="Scan the excluded coupling versus mass for a config (TOML file or shipped name: "
        "na64e-lfv, na64mu-leptophilic) and draw the reach figure.")
    p.add_argument("config", metavar="CONFIG", help="a .toml config file or a shipped config name")
    p.add_argument("--output", metavar="DIR", default=None, help="output directory (default ./reach-<config name>)")
    ex = p.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=_workers_arg, metavar="N|auto|serial", default="auto",
                    help="run on a local dask.distributed cluster of N single-threaded worker processes, "
                    + help_range("workers") + "; 'auto' (default): one worker per usable CPU when the pending "
                    "points are worth a cluster's start-up and the background needs no estimating first "
                    "(else serial); 'serial': in this process, no cluster")
    ex.add_argument("--scheduler", metavar="ADDRESS", default=None, help="use an existing dask scheduler")
    rg = p.add_mutually_exclusive_group()
    rg.add_argument("--resume", action="store_true", help="continue a partial scan in DIR (same inputs required)")
    rg.add_argument("--force", action="store_true", help="overwrite an existing DIR/reach.csv")
    p.add_argument("--stat", choices=STAT_CHOICES, default=None,
                   help="force the statistical method (default: the config's statistics.method)")
    p.add_argument("--seed", type=arg("seed"), default=None, help=f"override the config's seed, {help_range('seed')}")
    p.add_argument("--energy", type=arg("energy"), default=None, metavar="GEV",
                   help=f"override the setup's beam energy [GeV], {help_range('energy')} (refused when the config "
                   "states observed_events)")
    p.add_argument("--exposure", type=arg("exposure"), nargs="+", default=None, metavar="N",
                   help=f"override the config's exposures (EOT/MOT, one curve each), {help_range('exposure')} "
                   "(refused when the config states observed_events)")
    p.add_argument("--masses", type=arg("mass"), nargs="+", default=None, metavar="GEV",
                   help=f"override the config's mass grid [GeV], {help_range('mass')}")
    p.add_argument("--quick", action="store_true", help="coarse mass grid (masses.quick_n points) for smoke tests")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..reach import load_config, run_scan

    cfg = load_config(args.config).with_overrides(stat=args.stat, quick=args.quick, seed=args.seed, energy=args.energy,
                                                  exposures=args.exposure, masses=args.masses)
    outdir = args.output or f"./reach-{cfg.name}"
    res = run_scan(cfg, outdir, workers=None if args.scheduler else args.workers, scheduler=args.scheduler, resume=args.resume,
                   force=args.force, progress=not args.no_progress and sys.stderr.isatty())
    for r in res.required:
        sys.stderr.write(f"leptoportal reach: exposure {r.exposure:.3g} {cfg.exposure_unit}: N_req = "
                         f"{r.n_required:.4g} events ({r.method}; {r.reason})\n")
        if r.observed is not None:
            sys.stderr.write(f"leptoportal reach: exposure {r.exposure:.3g} {cfg.exposure_unit}: observed "
                             f"N_req = {r.n_required_observed:.4g} events ({r.reason_observed})\n")
    files = dict(res.files)
    if res.complete:
        from ..plots import plot_reach

        files.update(plot_reach(cfg, res.rows, res.overlays, res.outdir, comparisons=res.comparisons))
        _record_files(files)
    sys.stdout.write(summary_table(cfg, res))
    for path in files.values():
        print(path, flush=True)
    return 0


def _record_files(files: dict) -> None:
    """reach.json's ``files``: every file of the run (the figure and the overlay CSV are drawn after the
    scan wrote reach.json), rewritten atomically."""
    import json
    from pathlib import Path

    from ..fileio import write_text

    path = files.get("json")
    if path is None:
        return
    meta = json.loads(Path(path).read_text(encoding="utf-8"))
    meta["files"] = {k: Path(v).name for k, v in files.items()}
    write_text(path, json.dumps(meta, indent=2) + "\n")


def _cell(g: float, status: str) -> str:
    """A limit and its status, in reach.csv's words (excluded, excluded-window, below-range, not-excluded)."""
    return f" {(format(g, '.4g') if math.isfinite(g) else 'none'):>24} {status:>16}"


def summary_table(cfg, res) -> str:
    """The end-of-run summary: one line per mass (per exposure the median expected limit and its
    status and, when the config states observed events, the observed limit and its status), then
    the paper comparison when the config names a published number."""
    observed = cfg.observed_events is not None
    head = ""
    for E in cfg.exposures:
        tag = format(E, '.3g') + ' ' + cfg.exposure_unit
        head += f" {'expected ' + tag:>24} {'status':>16}"
        if observed:
            head += f" {'observed ' + tag:>24} {'status':>16}"
    what = ("median expected and observed limits" + " (observed events: "
            + ", ".join(f"{n} at {E:.3g} {cfg.exposure_unit}" for n, E in zip(cfg.observed_events, cfg.exposures))
            + ")") if observed else "median expected limit"
    lines = [f"# {cfg.name}: {100 * cfg.cl:g}% CL {what} on the coupling"
             + ("" if res.complete else " (partial: continue with --resume)"),
             f"{'mass [GeV]':>12}{head}"]
    by_mass: dict = {}
    for r in res.rows:
        by_mass.setdefault(r["mass_gev"], {})[r["exposure"]] = r
    for m in sorted(by_mass):
        cells = ""
        for E in cfg.exposures:
            r = by_mass[m].get(E)
            if r is None:
                cells += f" {'-':>24} {'-':>16}" * (2 if observed else 1)
            else:
                cells += _cell(r["coupling_limit"], r["status"])
                if observed:
                    cells += _cell(r["coupling_limit_observed"], r["status_observed"])
        lines.append(f"{m:>12.5g}{cells}")
    pc = res.paper_comparison
    if pc:
        line = (f"# paper: {pc['paper']:.3g} at {pc['mass_gev']:g} GeV ({pc['paper_source']}); this scan: "
                f"{pc['ours']:.3g} ({pc['ours_over_paper']:.3g} x the paper)")
        if "no_selection" in pc:
            line += f"; all produced, no selection: {pc['no_selection']:.3g} ({pc['no_selection_over_paper']:.3g} x)"
        lines += [line, f"# why: {pc['explanation']}"]
    prec = [p for p in getattr(res, "precision", None) or []]
    if prec:
        worst = max(p["limit_rel_err"] for p in prec)
        lines.append(f"# Monte Carlo precision of the limits computed now: <= {100 * worst:.2g} % "
                     f"({prec[0]['events']:g} simulated events per mass; reach.json mc_precision)")
    return "\n".join(lines) + "\n"
