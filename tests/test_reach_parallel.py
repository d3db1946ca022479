"""Parallel execution of the reach scan (leptoportal.reach.runner): the LocalCluster settings really
reach the worker processes, --resume on a cluster gives the serial file, the per-point CPU
accounting written to reach.json is self-consistent, and a failure after the cluster started
(it starts in a background thread at the beginning of the scan) leaves no worker process behind.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from leptoportal.errors import InputError
from leptoportal.reach import engine, get_provider, parse_config, run_scan, runner

pytest.importorskip("dask.distributed")
psutil = pytest.importorskip("psutil")


def cpu_raw(n=8, repeat=2):
    return {
        "title": "toy", "setup": "none", "exposures": [1e10, 1e11], "cl": 0.9, "seed": 5,
        "model": {"name": "toy"}, "statistics": {"method": "auto"},
        "background": {"source": "fixed", "per_exposure": 1.9e-11, "sigma_rel": 0.2},
        "masses": {"min": 0.1, "max": 3.0, "n": n}, "coupling": {"min": 1e-8, "max": 1.0},
        "provider": {"name": "toy-cpu", "A": 1e-3, "events": 20_000, "repeat": repeat},
    }


def _worker_processes():
    return [p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline()) or "forkserver" in " ".join(p.cmdline())]


def test_tail_idle_is_idle_worker_seconds_at_the_end():
    pts = [{"pid": 1, "end_s": 4.0}, {"pid": 1, "end_s": 10.0}, {"pid": 2, "end_s": 7.0}, {"pid": 3, "end_s": 9.5}]
    assert runner.tail_idle(pts) == pytest.approx(3.0 + 0.5)
    assert runner.tail_idle([]) == 0.0


def test_local_cluster_settings_reach_the_worker_processes():
    """The settings that removed the workers' extra CPU are in force inside the workers (not only
    in this process's dask config), and the pinned warm-up task ran once on every worker."""
    cfg = runner.local_cluster_config()
    env = cfg["distributed.nanny.pre-spawn-environ"]
    assert not any(k.startswith("MALLOC_") for k in env)
    keys = [*cfg["distributed.nanny.pre-spawn-environ"], "PYTHONHASHSEED"]
    env_before = {k: os.environ.get(k) for k in keys}
    cluster = runner.Runner(2, None, get_provider("toy-power-law"))
    try:
        client = cluster._connect()

        def probe():  # nested: pickled by value, no test-module import on the workers
            import os as _os

            import dask as _dask

            return {"profile": _dask.config.get("distributed.worker.profile.enabled"),
                    "monitor": _dask.config.get("distributed.worker.memory.monitor-interval"),
                    "malloc": _os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                    "omp": _os.environ.get("OMP_NUM_THREADS"), "numba": _os.environ.get("NUMBA_NUM_THREADS"),
                    "pid": _os.getpid()}

        got = list(client.run(probe).values())
        assert len(got) == 2 and len({g["pid"] for g in got}) == 2 and os.getpid() not in {g["pid"] for g in got}
        for g in got:
            assert g["profile"] is False and g["monitor"] == "1s"
            assert g["malloc"] is None and g["omp"] == "1" and g["numba"] == "1"
        stats = cluster.collect_stats()
        assert sorted(w["pid"] for w in stats["warmup"]) == sorted(g["pid"] for g in got)
        assert all(w["error"] == "" for w in stats["warmup"])
        assert set(stats["worker_process_cpu_s"]) == {str(g["pid"]) for g in got}
        assert stats["cluster_start_s"] > 0
    finally:
        cluster.close()
    assert not _worker_processes()
    # the nanny writes the worker environment into os.environ of this process; the runner undoes it
    assert {k: os.environ.get(k) for k in keys} == env_before


def test_resume_on_cluster_equals_serial_and_accounting_is_consistent(tmp_path):
    cfg = parse_config(cpu_raw())
    run_scan(cfg, tmp_path / "serial", progress=False, quiet=True, overlays=False)
    part = run_scan(cfg, tmp_path / "dask", progress=False, quiet=True, overlays=False, max_points=3)
    assert not part.complete
    res = run_scan(cfg, tmp_path / "dask", workers=2, resume=True, progress=False, quiet=True, overlays=False)
    assert res.complete
    assert (tmp_path / "dask" / "reach.csv").read_text() == (tmp_path / "serial" / "reach.csv").read_text()
    tm = json.loads((tmp_path / "dask" / "reach.json").read_text())["timings"]
    assert tm["points_computed"] == 5 and tm["points_resumed"] == 3
    pts = tm["points"]
    assert sorted(p["index"] for p in pts) == [3, 4, 5, 6, 7]
    workers = set(tm["worker_process_cpu_s"])
    assert {str(p["pid"]) for p in pts} <= workers and str(os.getpid()) not in workers
    for p in pts:
        assert 0 <= p["thread_cpu_seconds"] <= p["cpu_seconds"] + 0.02  # thread CPU is part of process CPU
        assert p["start_s"] <= p["end_s"]
    for pid, cpu in tm["worker_process_cpu_s"].items():  # a worker's CPU covers its tasks (10 ms clock ticks)
        assert cpu + 0.05 >= sum(p["cpu_seconds"] for p in pts if str(p["pid"]) == pid)
    assert tm["tail_idle_s"] >= 0 and tm["main_process_cpu_scan_s"] >= 0
    assert tm["point_thread_cpu_s_sum"] == pytest.approx(sum(p["thread_cpu_seconds"] for p in pts))


def test_error_after_cluster_start_closes_the_cluster(tmp_path, monkeypatch):
    """The cluster starts in a background thread before the background/statistics are computed; an
    error there must still shut it down (no orphaned worker processes) and surface unchanged."""

    def broken(cfg, report=None):
        time.sleep(0.2)
        raise InputError("background.source", "broken on purpose")

    monkeypatch.setattr(engine, "background_model", broken)
    with pytest.raises(InputError, match="broken on purpose"):
        run_scan(parse_config(cpu_raw(n=3)), tmp_path / "out", workers=2, progress=False, quiet=True, overlays=False)
    deadline = time.time() + 10
    while _worker_processes() and time.time() < deadline:
        time.sleep(0.1)
    assert not _worker_processes()
