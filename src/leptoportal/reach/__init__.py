"""Reach scans: the excluded coupling versus mass for a model, setup, exposure and CL.

Quick start::

    from leptoportal.reach import load_config, run_scan
    cfg = load_config("na64e-lfv")            # a shipped config, or a path to a .toml
    res = run_scan(cfg, "out/", workers=2)     # reach.csv, reach.json, reach.png, reach.pdf
    res.rows[0]["coupling_limit"]

Pieces: :mod:`.config` (TOML schema and validation), :mod:`.providers` (signal-yield
providers registered by name), :mod:`.engine` (statistics, one mass point, the scan's
orchestration), :mod:`.table` (reach.csv: checksummed rows written point by point, read back for
``--resume``), :mod:`.runner` (serial or dask execution and its overhead accounting),
:mod:`.overlays` (g-2 bands, relic lines, SIDM region).
The CLI is ``leptoportal reach`` (:mod:`leptoportal.cli.reach`, which also draws the figure).
"""

from .shipped import shipped_configs
from .config import ReachConfig, load_config, parse_config
from .engine import ScanResult, run_scan
from .points import mass_seeds, run_point
from .statistics import RequiredSignal, background_model, required_signal
from .providers import PointYield, YieldProvider, get_provider, provider_names, register_provider
from .table import COLUMNS, read_reach_csv

__all__ = [
    "COLUMNS", "PointYield", "ReachConfig", "RequiredSignal", "ScanResult", "YieldProvider",
    "background_model", "get_provider", "load_config", "mass_seeds", "parse_config",
    "provider_names", "read_reach_csv", "register_provider", "required_signal", "run_point", "run_scan",
    "shipped_configs",
]
