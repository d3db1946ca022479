"""Execution of the reach scan's mass points: serially, on a dask ``LocalCluster`` or on an
existing dask scheduler, and the accounting of the parallel overhead.

With ``workers=N`` the LocalCluster starts in a background thread when the :class:`Runner` is
made (its workers run the provider's ``warm`` while the main process computes background,
statistics and overlays), with the settings of :func:`local_cluster_config`; the per-point CPU
accounting (process and computing-thread CPU, worker start-up, scheduler/client CPU, idle tail)
goes to ``reach.json`` ``timings`` (docs/reach.md, "Parallel execution and its overhead").
"""

from __future__ import annotations

import math
import os
import time

from ..errors import InputError

__all__ = ["Runner", "check_scheduler", "local_cluster_config", "tail_idle"]


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
    """dask settings of the :class:`Runner`'s ``LocalCluster`` (measured in docs/reach.md).

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


class Runner:
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

    def run(self, tasks: list, point):
        """Yield ``point(task)`` for every task: in order (serial) or as they complete (dask).

        dask: submitted in mass-index order, which is also the scheduler's priority order; with one
        task per worker at a time each worker takes the next mass as soon as it is free.
        """
        if not tasks:
            return
        if self.workers is None and self.scheduler is None:
            for t in tasks:
                yield point(t)
            return
        from dask.distributed import as_completed

        client = self._connect()
        futures = [client.submit(point, t, pure=False) for t in tasks]
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
